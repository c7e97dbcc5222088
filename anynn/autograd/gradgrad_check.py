"""Numerical check of second derivatives: the recorded gradient against central differences of the gradient."""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .grad_api import grad
from .grad_check import checked_inputs, compare_central_differences, leaf_copies, output_weights
from .tensor import Tensor


def gradgrad_check(fn: Callable[..., Any], *inputs: Tensor, eps: float = 1e-6, atol: float = 1e-5,
                   rtol: float = 1e-4, seed: int = 0, warn_low_precision: bool = False) -> bool:
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
    TypeError
        For an input that requires a gradient in a dtype other than float64 (with ``warn_low_precision``, as
        PyTorch's ``gradgradcheck``: a warning).
    """
    checked, backend = checked_inputs("gradgrad_check", inputs, warn_low_precision=warn_low_precision)
    inputs = leaf_copies(inputs, checked)
    rng = np.random.default_rng(seed)
    weights = output_weights(fn, inputs, backend, rng)
    directions = {i: Tensor._make(backend.from_host(rng.standard_normal(inputs[i].shape)), backend, None, 0)
                  for i in checked}

    def projected(args: list[Any], create_graph: bool) -> Any:
        out = fn(*args)
        out = out if isinstance(out, tuple) else (out,)
        total: Any = None  # a Tensor from the first output that requires grad on (None: none does)
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

    compare_central_differences("second-derivative check",
                                lambda args: _as_float(projected(args, create_graph=False)), inputs, checked,
                                analytic, eps, atol, rtol, moved_requires_grad=True)
    return True


def _as_float(value: Tensor | None) -> float:
    return 0.0 if value is None else float(value.item())


__all__ = ["gradgrad_check"]
