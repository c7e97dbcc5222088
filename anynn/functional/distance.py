"""Distances between rows: `pairwise_distance` (p-norm of the difference) and `cosine_similarity`.

The p-norm and its derivative are array-level helpers (`p_norm`, `p_norm_grad`), shared with the triplet loss.
Inputs broadcast against each other; gradients are summed back to each input's shape.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..backend.typing import Namespace
from ..backend.broadcasting import broadcast_shapes
from .precision import cast_to, is_low_precision, upcast
from .elementwise import as_common_floating
from .value_checks import InvalidValueError, ShapeMismatchError
from .value_checks import (check_floating, check_tensor_arguments, is_floating, one_dim,
                           refuse_boolean_subtraction, refuse_complex)


def p_norm(xp: Namespace, d: Any, p: float, axis: int = -1) -> Any:
    """``||d||_p`` along ``axis`` (kept as a size-1 axis): p = 2, 1, inf, -inf, 0 (count of non-zeros) or any."""
    if p == 2.0:
        return xp.sqrt(xp.sum(d * d, axis=axis, keepdims=True))
    a = xp.abs(d)
    if p == 1.0:
        return xp.sum(a, axis=axis, keepdims=True)
    if p == math.inf:
        return xp.max(a, axis=axis, keepdims=True)
    if p == -math.inf:
        return xp.min(a, axis=axis, keepdims=True)
    if p == 0.0:
        return xp.sum(xp.astype(d != 0, d.dtype), axis=axis, keepdims=True)
    return xp.sum(a ** p, axis=axis, keepdims=True) ** (1.0 / p)


def p_norm_grad(xp: Namespace, d: Any, norm: Any, p: float, axis: int = -1) -> Any:
    """``d ||d||_p / d d`` for the ``norm`` from `p_norm` (PyTorch's: 0 where the norm is 0; for +-inf the
    gradient is shared by the elements that reach the extreme)."""
    zero = xp.zeros_like(d)
    if p == 0.0:
        return zero
    if p == 1.0:
        return xp.sign(d)
    if p in (math.inf, -math.inf):
        hits = xp.astype(xp.abs(d) == norm, d.dtype)
        return xp.sign(d) * hits / xp.sum(hits, axis=axis, keepdims=True)
    nonzero = norm != 0
    safe_norm = xp.where(nonzero, norm, xp.ones_like(norm))
    if p == 2.0:
        return xp.where(nonzero, d / safe_norm, zero)
    a = xp.abs(d)
    safe_a = xp.where(a > 0, a, xp.ones_like(a))  # |d|^(p-1) is infinite at 0 for p < 1; PyTorch gives 0 there
    scaled = xp.where(a > 0, xp.sign(d) * (safe_a / safe_norm) ** (p - 1.0), zero)
    return xp.where(nonzero, scaled, zero)


def _squeeze(xp: Namespace, a: Any, axis: int, keepdim: bool) -> Any:
    return a if keepdim else xp.squeeze(a, axis=axis)


class PairwiseDistanceFunction(Function):
    """``||x1 - x2 + eps||_p`` along the last axis."""

    p: float
    eps: float
    keepdim: bool

    def forward(self, xp: Namespace, x1: Any, x2: Any) -> Any:
        self.shapes = (tuple(x1.shape), tuple(x2.shape))
        self.dtype = x1.dtype
        # float16 squares overflow past ~256: the norm is computed in float32 and cast back, as in PyTorch
        self.d = upcast(xp, x1) - upcast(xp, x2) + self.eps
        self.norm = p_norm(xp, self.d, self.p)
        return cast_to(xp, _squeeze(xp, self.norm, -1, self.keepdim), self.dtype)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        if self.p == 0.0:  # a count of nonzeros: PyTorch's backward gives no gradient (x.grad stays None)
            return None, None
        g = upcast(xp, g)
        if not self.keepdim:
            g = xp.expand_dims(g, axis=-1)
        grad = g * p_norm_grad(xp, self.d, self.norm, self.p)
        need1, need2 = self.needs_input_grad
        return (cast_to(xp, sum_to_shape(xp, grad, self.shapes[0]), self.dtype) if need1 else None,
                cast_to(xp, sum_to_shape(xp, -grad, self.shapes[1]), self.dtype) if need2 else None)


class CosineSimilarityFunction(Function):
    """``sum(x1 * x2) / (max(||x1||, eps) * max(||x2||, eps))`` along ``axis``.

    As in PyTorch, the clamp of each norm at ``eps`` changes the value but not the path of the gradient.
    """

    axis: int
    eps: float

    def forward(self, xp: Namespace, x1: Any, x2: Any) -> Any:
        self.shapes = (tuple(x1.shape), tuple(x2.shape))
        x1, x2 = xp.broadcast_arrays(x1, x2)
        axis = self.axis
        self.x1, self.x2 = x1, x2
        self.n1 = xp.sqrt(xp.sum(x1 * x1, axis=axis, keepdims=True))
        self.n2 = xp.sqrt(xp.sum(x2 * x2, axis=axis, keepdims=True))
        self.c1 = xp.clip(self.n1, self.eps, None)
        self.c2 = xp.clip(self.n2, self.eps, None)
        self.out = xp.sum((x1 / self.c1) * (x2 / self.c2), axis=axis, keepdims=True)
        return xp.squeeze(self.out, axis=axis)

    def _grad(self, xp: Namespace, g: Any, mine: Any, other: Any, norm: Any, clamped: Any, other_clamped: Any) -> Any:
        safe = xp.where(norm != 0, norm, xp.ones_like(norm))
        along_norm = xp.where(norm != 0, self.out / (clamped * safe), xp.zeros_like(norm))
        return g * (other / (clamped * other_clamped) - along_norm * mine)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        g = xp.expand_dims(g, axis=self.axis)
        need1, need2 = self.needs_input_grad
        grad1 = grad2 = None
        if need1:
            grad1 = sum_to_shape(xp, self._grad(xp, g, self.x1, self.x2, self.n1, self.c1, self.c2), self.shapes[0])
        if need2:
            grad2 = sum_to_shape(xp, self._grad(xp, g, self.x2, self.x1, self.n2, self.c2, self.c1), self.shapes[1])
        return grad1, grad2


def _broadcast_shape(name: str, a: Any, b: Any) -> tuple[int, ...]:
    out = broadcast_shapes(tuple(a.shape), tuple(b.shape))
    if out is None:
        raise ShapeMismatchError(f"{name}: the shapes of x1 {tuple(a.shape)} and x2 {tuple(b.shape)} do not broadcast")
    return out


def _wider_of(x1: Any, x2: Any) -> tuple[Any, Any]:
    """Two floating operands of two precisions both in the wider (float16 beside float32: float32), as PyTorch
    promotes them; anything else as it is."""
    if is_floating(x1) and is_floating(x2) and x1.dtype != x2.dtype:
        common = x1.backend.xp.result_type(x1.dtype, x2.dtype)
        return x1.to(common), x2.to(common)
    return x1, x2


def pairwise_distance(x1: Any, x2: Any, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> Any:
    """p-norm of ``x1 - x2 + eps`` along the last axis: x1 (N, D) or (D,), x2 broadcastable → (N,) or ()."""
    check_tensor_arguments("pairwise_distance", x1=x1, x2=x2)
    # (PyTorch's is |x1 - x2 + eps|; this one would square x)
    refuse_complex("pairwise_distance", x1, x2, torch_supports=True)
    refuse_boolean_subtraction(x1, x2)  # (PyTorch's x1 - x2; its layer refused a bool operand already)
    x1, x2 = _wider_of(*as_common_floating(x1, x2))  # integers in the float operand's dtype (float32 if none)
    shape = _broadcast_shape("pairwise_distance", x1, x2)
    if not shape:
        raise ValueError("pairwise_distance: inputs must have at least one dimension, got scalars")
    return PairwiseDistanceFunction.apply(x1, x2, p=float(p), eps=float(eps), keepdim=bool(keepdim))


def cosine_similarity(x1: Any, x2: Any, dim: int = 1, eps: float = 1e-8) -> Any:
    """Cosine of the angle between ``x1`` and ``x2`` along ``dim`` (they broadcast); ``dim`` is removed."""
    check_tensor_arguments("cosine_similarity", x1=x1, x2=x2)
    dim = one_dim("cosine_similarity", dim)
    if not eps >= 0:  # (a negative eps could divide by a negative norm product)
        raise InvalidValueError(f"cosine_similarity: eps must be non-negative, got {eps}, as in PyTorch")
    if not is_floating(x1) and not is_floating(x2):  # PyTorch computes in their common dtype: refused for integers
        check_floating("cosine_similarity", x1)
    refuse_complex("cosine_similarity", x1, x2)
    x1, x2 = _wider_of(*as_common_floating(x1, x2))
    if is_low_precision(x1.backend.xp, x1.array.dtype):  # the squared norms in float32, as PyTorch's kernels
        return cosine_similarity(x1.float(), x2.float(), dim, eps).to(x1.dtype)
    shape = _broadcast_shape("cosine_similarity", x1, x2)
    ndim = max(len(shape), 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"cosine_similarity: dim {dim} is out of range for inputs of shapes {tuple(x1.shape)} "
                         f"and {tuple(x2.shape)}; expected a dim in [{-ndim}, {ndim - 1}]")
    if not shape:  # two numbers: along the one axis of their (1,) views (a 0-d array has no axis 0 to reduce)
        x1, x2 = x1.reshape(1), x2.reshape(1)
    return CosineSimilarityFunction.apply(x1, x2, axis=int(dim) % len(shape) if shape else 0, eps=float(eps))
