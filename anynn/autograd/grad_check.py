"""Numerical gradient check: analytic gradients against float64 central differences."""

from __future__ import annotations

import warnings

from typing import Any, Callable

import numpy as np

from ..backend import Backend
from .grad_api import grad
from .mode import no_grad
from .tensor import Tensor


class GradientCheckError(AssertionError):
    """Analytic and numerical gradients disagree; the message names the worst element."""


def grad_check(fn: Callable[..., Any], *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5,
               rtol: float = 1e-4, seed: int = 0, warn_low_precision: bool = False) -> bool:
    """Check the gradients of ``fn(*inputs)`` with central differences in float64 (or complex128).

    The output is reduced to a scalar with fixed random weights (so every output element matters; a complex
    output by the real part of its product with complex weights). Every input with ``requires_grad`` is
    checked, element by element; a complex input's numerical gradient is PyTorch's ``dL/dx + i dL/dy``, its
    real and imaginary parts moved in turn.

    Returns
    -------
    True when every gradient agrees within ``atol + rtol * |numerical|``.

    Raises
    ------
    GradientCheckError
        Naming the input, the element index, both values, and the difference of the worst element.
    TypeError
        For an input that requires a gradient in a dtype other than float64/complex128; with
        ``warn_low_precision`` (PyTorch's ``gradcheck``) a warning instead, and the differences in that dtype.
    """
    checked, backend = checked_inputs("grad_check", inputs, complex_ok=True, warn_low_precision=warn_low_precision)
    inputs = leaf_copies(inputs, checked)
    rng = np.random.default_rng(seed)

    projections = output_weights(fn, inputs, backend, rng)

    def scalar(*args: Any) -> Tensor:
        out = fn(*args)
        out = out if isinstance(out, tuple) else (out,)
        total: Any = None  # a Tensor from the first output on
        for o, w in zip(out, projections):
            term = (o * w).sum()
            term = term.real if term.is_complex() else term
            total = term if total is None else total + term
        return total

    # grad(), not backward(): an input made by an operation (x.clone()) has no .grad, as in PyTorch's gradcheck
    found = grad(scalar(*inputs), [inputs[i] for i in checked], allow_unused=True)
    analytic = {i: (g.numpy().astype(_host_dtype(g)) if g is not None else np.zeros(inputs[i].shape))
                for i, g in zip(checked, found)}
    with no_grad():
        compare_central_differences("gradient check", lambda args: float(scalar(*args).item()), inputs, checked,
                                    analytic, eps, atol, rtol)
    return True


def _host_dtype(t: Tensor) -> Any:
    return np.complex128 if t.is_complex() else np.float64


def checked_inputs(name: str, inputs: tuple[Any, ...], complex_ok: bool = False,
                   warn_low_precision: bool = False) -> tuple[list[int], Backend]:
    """The positions of the inputs that require a gradient (all float64, or complex128 where ``complex_ok``; at
    least one) and their backend. ``warn_low_precision``: a floating input of another precision is warned about
    (as PyTorch's gradcheck warns) instead of refused."""
    allowed = ("float64", "complex128") if complex_ok else ("float64",)
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and not any(d in str(t.dtype) for d in allowed):
            if warn_low_precision and (t.is_floating_point() or t.is_complex()):
                warnings.warn(f"{name}: input {i} requires a gradient and is {t.dtype}, not "
                              f"{' or '.join(allowed)}: finite differences in that precision will likely fail the "
                              f"check", UserWarning, stacklevel=3)
                continue
            raise TypeError(f"{name} needs {' or '.join(allowed)} inputs; input {i} is {t.dtype}")
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        for i, t in enumerate(inputs):  # PyTorch's gradcheck(fn, (x, y)) spelling, given to the *inputs form
            if isinstance(t, (list, tuple)) and any(isinstance(x, Tensor) for x in t):
                raise TypeError(f"{name}: input {i} is a {type(t).__name__} of Tensors; pass the inputs as separate "
                                f"arguments, {name}(fn, x, y) (anynn.autograd.gradcheck takes PyTorch's tuple)")
        raise ValueError(f"{name}: no input requires a gradient")
    return checked, inputs[checked[0]].backend


def leaf_copies(inputs: tuple[Any, ...], checked: list[int]) -> tuple[Any, ...]:
    """The inputs with each checked one replaced by a new leaf of the same values: the check differentiates
    ``fn`` alone, never the graph an input came from (an input made by ``x.clone()`` and checked twice)."""
    return tuple(t.detach().requires_grad_() if i in checked else t for i, t in enumerate(inputs))


def output_weights(fn: Callable[..., Any], inputs: tuple[Any, ...], backend: Backend,
                   rng: np.random.Generator) -> list[Tensor]:
    """Fixed standard-normal weights, one Tensor per output of ``fn(*inputs)``, in each output's dtype (complex
    weights, real and imaginary parts drawn in turn, for a complex output)."""
    first = fn(*inputs)
    outputs = first if isinstance(first, tuple) else (first,)

    def draw(o: Tensor) -> Any:
        w = rng.standard_normal(o.shape)
        return w + 1j * rng.standard_normal(o.shape) if o.is_complex() else w

    return [Tensor._make(backend.xp.astype(backend.from_host(draw(o)), o.array.dtype), backend, None, 0)
            for o in outputs]


def compare_central_differences(what: str, value: Callable[[list[Any]], float], inputs: tuple[Any, ...],
                                checked: list[int], analytic: dict[int, Any], eps: float, atol: float, rtol: float,
                                moved_requires_grad: bool = False) -> None:
    """Raise `GradientCheckError` unless ``analytic[i]`` matches central differences of ``value`` in input ``i``.

    ``value(args)`` is the scalar at the inputs ``args``; each checked input is moved by ``±eps`` one element at
    a time (a new float64 Tensor, requiring a gradient where ``moved_requires_grad``). The error names the worst
    element of all inputs: ``|analytic - numerical| - (atol + rtol * |numerical|)`` largest. A complex input is
    moved along its real and then its imaginary part: its numerical gradient is ``dL/dx + i dL/dy``.
    """
    backend = inputs[checked[0]].backend
    worst: tuple[float, Any] = (0.0, None)
    for i in checked:
        base = inputs[i].numpy().astype(_host_dtype(inputs[i]))
        directions = (1.0, 1j) if np.iscomplexobj(base) else (1.0,)
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            for direction in directions:
                values = []
                for step in (eps, -eps):
                    moved = base.copy()
                    moved[idx] += step * direction
                    args = list(inputs)
                    array = backend.from_host(moved)
                    if array.dtype != inputs[i].array.dtype:  # (a float32 input under PyTorch's gradcheck)
                        array = backend.xp.astype(array, inputs[i].array.dtype)
                    args[i] = Tensor._make(array, backend, None, 0)
                    if moved_requires_grad:
                        args[i].requires_grad_()
                    values.append(value(args))
                numeric[idx] += direction * (values[0] - values[1]) / (2 * eps)
        excess = np.abs(analytic[i] - numeric) - (atol + rtol * np.abs(numeric))
        if excess.size and excess.max() > worst[0]:
            at = np.unravel_index(int(np.argmax(excess)), excess.shape)
            worst = (float(excess.max()), (i, at, analytic[i][at], numeric[at]))
    if worst[1] is not None:
        i, at, a, n = worst[1]
        raise GradientCheckError(
            f"{what} failed for input {i} at index {tuple(int(k) for k in at)}: analytic {a:.8g}, "
            f"numerical {n:.8g}, difference {abs(a - n):.3g} (tolerance {atol} + {rtol}*|numerical|)"
        )
