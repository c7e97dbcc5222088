"""``clamp``/``clip`` with Tensor bounds (PyTorch's ``clamp(input, min: Tensor, max: Tensor)``).

`ClampTensor` is ``minimum(maximum(x, min), max)`` with the bounds broadcast against ``x``: where ``min > max``
the result is ``max``, as PyTorch's. The gradient follows PyTorch's ``clamp_backward``: ``x`` gets it where
``min <= x <= max`` (at a bound too), ``min`` where ``x < min`` (and ``min < max`` when both are given), ``max``
where ``x > max`` (or ``max < min``); each summed back to its own shape.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..backend.typing import Namespace
from .value_checks import KernelNotImplementedError, check_one_backend, explain_shape_failure


class ClampTensor(Function):
    """``x`` (*) clamped to Tensor bounds ``low``/``high`` (either ``None``), each broadcastable to the others."""

    ties_constant_gradient = False  # the gradient through masks of the bounds

    def forward(self, xp: Namespace, x: Any, low: Any, high: Any) -> Any:
        self.x, self.low, self.high = x, low, high
        boolean = xp.isdtype(x.dtype, "bool")  # (an or / and: array-api-strict orders no booleans)
        out = x
        if low is not None:
            out = xp.logical_or(out, low) if boolean else xp.maximum(out, low)
        if high is not None:
            out = xp.logical_and(out, high) if boolean else xp.minimum(out, high)
        return out

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        x, low, high = self.x, self.low, self.high
        want_x, want_low, want_high = self.needs_input_grad
        zero = xp.zeros_like(g)
        grads: list[Any] = [None, None, None]
        if want_x:
            inside = xp.ones_like(g, dtype=xp.bool)
            if low is not None:
                inside = inside & (x >= low)
            if high is not None:
                inside = inside & (x <= high)
            grads[0] = sum_to_shape(xp, xp.where(inside, g, zero), tuple(x.shape))
        if want_low:
            below = x < low
            if high is not None:
                below = below & (low < high)
            grads[1] = sum_to_shape(xp, xp.where(below, g, zero), tuple(low.shape))
        if want_high:
            above = x > high
            if low is not None:
                above = above | (high < low)
            grads[2] = sum_to_shape(xp, xp.where(above, g, zero), tuple(high.shape))
        return grads[0], grads[1], grads[2]


def _promoted(xp: Namespace, tensors: list[Any]) -> Any:
    """PyTorch's result dtype of ``tensors``: the highest kind (bool < integer < floating) decides, and within it
    the tensors with dimensions outrank 0-d ones (NumPy's promotion would give float64 for int64 with float32)."""
    def kind(t: Any) -> int:
        dtype = t.array.dtype
        return 2 if xp.isdtype(dtype, ("real floating", "complex floating")) else int(xp.isdtype(dtype, "integral"))

    top = [t for t in tensors if kind(t) == max(kind(u) for u in tensors)]
    ranked = [t for t in top if t.ndim] or top
    return xp.result_type(*(t.array.dtype for t in ranked))


def clamp_tensor(x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - PyTorch's names
    """``x`` clamped to ``[min, max]`` where a bound is a Tensor or native array (a number is made a Tensor like
    ``x``); the bounds broadcast with ``x`` and the result takes their promoted dtype."""
    from ..autograd.tensor import Tensor

    if min is None and max is None:
        raise ValueError("clamp: at least one of 'min' or 'max' must not be None")
    check_one_backend("clamp", x, min, max)
    be = x.backend
    xp = be.xp

    def as_bound(value: Any) -> Any:
        if value is None or isinstance(value, Tensor):
            return value
        if be.is_native(value):
            return Tensor._make(value, be, None, 0)
        # a float number bounding an integer input makes the result PyTorch's default float32
        floating = isinstance(value, float) and not xp.isdtype(x.array.dtype, ("real floating", "complex floating"))
        return Tensor._make(xp.asarray(value, dtype=xp.float32 if floating else x.array.dtype, device=be.device),
                            be, None, 0)

    low, high = as_bound(min), as_bound(max)
    dtype = _promoted(xp, [t for t in (x, low, high) if t is not None])
    x, low, high = (t if t is None or t.array.dtype == dtype else t.astype(dtype) for t in (x, low, high))
    if low is not None and high is not None and xp.isdtype(dtype, "bool"):  # (one bound: clamp_min / clamp_max's)
        raise KernelNotImplementedError("clamp: \"clamp_cpu\" not implemented for 'Bool' (a boolean tensor between "
                                        "two boolean bounds), as in PyTorch; give one bound or cast first (x.long())")
    try:
        return ClampTensor.apply(x, low, high)
    except (ValueError, RuntimeError, TypeError) as error:  # bounds that do not broadcast (NumPy's ValueError)
        for bound in (low, high):
            if bound is not None:
                explain_shape_failure("clamp", x, bound, False, error)
        raise
