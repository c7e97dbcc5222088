"""Max unpooling, ``max_unpool1d/2d/3d``: the partial inverse of max pooling with indices.

Each value goes to its flat in-plane index with a sort and a binary search, which the array API standard
offers (it has no scatter).
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .value_checks import NotATensorError, check_indices
from .pool import _SPATIAL, IntOrPair
from .windows import ntuple


class MaxUnpool(Function):
    """Zeros of shape (..., *out_spatial) with x (..., *in_spatial) placed at its flat in-plane ``indices``.

    Where several values share an index the last one wins (PyTorch's CPU order); the gradient of each
    value is the output gradient at its index (a gather), as in PyTorch.
    """

    out_spatial: tuple[int, ...]

    def forward(self, xp: Namespace, x: Any, indices: Any) -> Any:
        self.x_shape = tuple(x.shape)
        n = len(self.out_spatial)
        lead = tuple(x.shape[:-n])
        planes, per_in, per_out = math.prod(lead), math.prod(x.shape[-n:]), math.prod(self.out_spatial)
        dev = device(x)
        starts = xp.arange(planes, dtype=xp.int64, device=dev) * per_out
        flat = xp.reshape(xp.astype(indices, xp.int64), (planes, per_in)) + starts[:, None]
        self.flat = xp.reshape(flat, (-1,))
        total = planes * per_out
        if self.flat.shape[0] == 0 or total == 0:
            return xp.zeros(lead + self.out_spatial, dtype=x.dtype, device=dev)
        # for every output position, the last value written there: a stable sort of the targets, then a
        # right-sided binary search finds the last writer at or before each position
        order = xp.argsort(self.flat, stable=True)
        targets = xp.take(self.flat, order)
        positions = xp.arange(total, dtype=xp.int64, device=dev)
        last = xp.searchsorted(targets, positions, side="right") - 1
        last = xp.maximum(last, xp.zeros_like(last))
        hit = xp.take(targets, last) == positions
        values = xp.take(xp.reshape(x, (-1,)), xp.take(order, last))
        out = xp.where(hit, values, xp.zeros_like(values))
        return xp.reshape(out, lead + self.out_spatial)

    def backward(self, xp: Namespace, grad: Any) -> tuple[Any, None]:
        if self.flat.shape[0] == 0:
            return xp.zeros(self.x_shape, dtype=grad.dtype, device=device(grad)), None
        return xp.reshape(xp.take(xp.reshape(grad, (-1,)), self.flat), self.x_shape), None


def _unpool_size(fn: str, x: Any, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
                 output_size: Sequence[int] | None) -> tuple[int, ...]:
    """PyTorch's unpooled size ``(in - 1) * stride - 2 * padding + kernel``, or a checked ``output_size``."""
    n = len(kernel)
    default = tuple((size - 1) * s - 2 * p + k for size, k, s, p in zip(x.shape[-n:], kernel, stride, padding))
    if output_size is None:
        sizes = default
    else:
        sizes = tuple(int(v) for v in output_size)
        if len(sizes) == n + 2:  # PyTorch also takes the full (N, C, *spatial) shape
            sizes = sizes[2:]
        if len(sizes) != n:
            raise ValueError(f"{fn}: output_size must hold {n} (or {n + 2}) sizes, got {tuple(output_size)!r}")
        for axis, (size, d, s) in enumerate(zip(sizes, default, stride)):
            if not d - s < size < d + s:
                raise ValueError(f"{fn}: invalid output_size {tuple(output_size)!r}: size {axis} must be between "
                                 f"{d - s} and {d + s} (exclusive) for an input of shape {x.shape}")
    if min(sizes) < 1:
        raise ValueError(f"{fn}: the unpooled size {sizes} of an input of shape {x.shape} is empty")
    return sizes


def _check_unpool_indices(fn: str, x: Any, indices: Any, out_spatial: tuple[int, ...]) -> None:
    """Raise unless ``indices`` is an integer Tensor of x's backend and shape, every value inside a plane."""
    if not isinstance(x, Tensor) or not isinstance(indices, Tensor):
        bad = indices if isinstance(x, Tensor) else x
        raise NotATensorError(f"{fn}: expected anynn Tensors for the input and the indices, got "
                              f"{type(bad).__module__}.{type(bad).__name__}; wrap it with anynn.tensor(...)")
    check_indices(fn, indices, x, "input", "int64, as max pooling returns them", math.prod(out_spatial),
                  f"output planes of shape {out_spatial}", shape=tuple(x.shape))


def _max_unpool(fn: str, x: Any, indices: Any, kernel_size: IntOrPair, stride: IntOrPair | None,
                padding: IntOrPair, output_size: Sequence[int] | None, spatial_dims: int) -> Any:
    if x.ndim < spatial_dims + 1:
        raise ValueError(f"{fn}: expected an input with at least {spatial_dims + 1} dimensions "
                         f"(C, {_SPATIAL[spatial_dims]}), got shape {x.shape}")
    kernel = ntuple(kernel_size, spatial_dims, "kernel_size", fn)
    stride_n = kernel if stride is None else ntuple(stride, spatial_dims, "stride", fn)
    padding_n = ntuple(padding, spatial_dims, "padding", fn)
    if min(kernel) < 1 or min(stride_n) < 1 or min(padding_n) < 0:
        raise ValueError(f"{fn}: kernel_size and stride must be positive and padding non-negative")
    out_spatial = _unpool_size(fn, x, kernel, stride_n, padding_n, output_size)
    _check_unpool_indices(fn, x, indices, out_spatial)
    return MaxUnpool.apply(x, indices, out_spatial=out_spatial)


def max_unpool1d(input: Any, indices: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None,  # noqa: A002 - PyTorch's name
                 padding: IntOrPair = 0, output_size: Sequence[int] | None = None) -> Any:
    """Partial inverse of `max_pool1d`: input (..., L) placed at ``indices`` (input's shape) into zeros (..., L_out).

    ``L_out = (L - 1) stride - 2 padding + kernel_size`` unless ``output_size`` (within a stride of that)
    says otherwise; ``stride`` defaults to ``kernel_size``. The gradient of input gathers at the indices.
    """
    return _max_unpool("max_unpool1d", input, indices, kernel_size, stride, padding, output_size, 1)


def max_unpool2d(input: Any, indices: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None,  # noqa: A002 - PyTorch's name
                 padding: IntOrPair = 0, output_size: Sequence[int] | None = None) -> Any:
    """Partial inverse of `max_pool2d`: input (N, C, H, W) or (C, H, W) → zeros (..., H_out, W_out) holding input
    at the flat in-plane ``indices`` (``h * W_out + w``, input's shape).

    Sizes as in `max_unpool1d`, per axis; where indices repeat, the last value wins.
    """
    return _max_unpool("max_unpool2d", input, indices, kernel_size, stride, padding, output_size, 2)


def max_unpool3d(input: Any, indices: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None,  # noqa: A002 - PyTorch's name
                 padding: IntOrPair = 0, output_size: Sequence[int] | None = None) -> Any:
    """Partial inverse of `max_pool3d`: input (N, C, D, H, W) or (C, D, H, W) → (..., D_out, H_out, W_out)."""
    return _max_unpool("max_unpool3d", input, indices, kernel_size, stride, padding, output_size, 3)
