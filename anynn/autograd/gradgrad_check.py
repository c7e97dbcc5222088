"""Numerical check of second derivatives: the recorded gradient against central differences of the gradient."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .grad_api import grad
from .grad_check import GradientCheckError
from .tensor import Tensor


def gradgrad_check(fn: Callable[..., Any], *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5,
                   rtol: float = 1e-4, seed: int = 0) -> bool:
    """Check the derivatives of ``fn``'s gradient (``create_graph=True``) with central differences in float64.

    With fixed random weights ``w`` (one per output) and ``v`` (one per checked input), the scalar
    ``s = sum_i <v_i, d<w, fn(inputs)>/d input_i>`` is differentiated twice: analytically, through the
    recorded backward pass, and numerically, by central differences of the first-order gradient. Every input
    with ``requires_grad`` is checked, element by element (keep them small).

    Returns
    -------
    True when every second derivative agrees within ``atol + rtol * |numerical|``.

    Raises
    ------
    GradientCheckError
        Naming the input, the element index, both values, and the difference of the worst element.
    """
    for i, t in enumerate(inputs):
        if isinstance(t, Tensor) and t.requires_grad and "float64" not in str(t.dtype):
            raise TypeError(f"gradgrad_check needs float64 inputs; input {i} is {t.dtype}")
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradgrad_check: no input requires a gradient")
    backend = inputs[checked[0]].backend
    rng = np.random.default_rng(seed)
    first = fn(*inputs)
    outputs = first if isinstance(first, tuple) else (first,)
    weights = [Tensor._make(backend.xp.astype(backend.from_host(rng.standard_normal(o.shape)), o.array.dtype),
                            backend, None, 0) for o in outputs]
    directions = {i: Tensor._make(backend.from_host(rng.standard_normal(inputs[i].shape)), backend, None, 0)
                  for i in checked}

    def projected(args: list[Any], create_graph: bool) -> Any:
        out = fn(*args)
        out = out if isinstance(out, tuple) else (out,)
        total = None
        for o, w in zip(out, weights):
            if not o.requires_grad:
                continue
            term = (o * w).sum()
            total = term if total is None else total + term
        wrt = [args[i] for i in checked]
        grads = grad(total, wrt, create_graph=create_graph, allow_unused=True)
        s = None
        for i, g in zip(checked, grads):
            if g is None:
                continue
            term = (g * directions[i]).sum()
            s = term if s is None else s + term
        return s

    s = projected(list(inputs), create_graph=True)
    analytic = {i: np.zeros(inputs[i].shape) for i in checked}
    if s is not None and s.requires_grad:
        found = grad(s, [inputs[i] for i in checked], allow_unused=True)
        for i, g in zip(checked, found):
            if g is not None:
                analytic[i] = g.numpy().astype(np.float64)

    worst = (0.0, None)
    for i in checked:
        base = inputs[i].numpy().astype(np.float64)
        numeric = np.zeros_like(base)
        for idx in np.ndindex(base.shape):
            values = []
            for step in (eps, -eps):
                moved = base.copy()
                moved[idx] += step
                args = list(inputs)
                args[i] = Tensor._make(backend.from_host(moved), backend, None, 0).requires_grad_()
                value = projected(args, create_graph=False)
                values.append(0.0 if value is None else float(value.item()))
            numeric[idx] = (values[0] - values[1]) / (2 * eps)
        excess = np.abs(analytic[i] - numeric) - (atol + rtol * np.abs(numeric))
        if excess.size and excess.max() > worst[0]:
            at = np.unravel_index(int(np.argmax(excess)), excess.shape)
            worst = (float(excess.max()), (i, at, analytic[i][at], numeric[at]))
    if worst[1] is not None:
        i, at, a, n = worst[1]
        raise GradientCheckError(
            f"second-derivative check failed for input {i} at index {tuple(int(k) for k in at)}: analytic {a:.8g}, "
            f"numerical {n:.8g}, difference {abs(a - n):.3g} (tolerance {atol} + {rtol}*|numerical|)")
    return True


__all__ = ["gradgrad_check"]
