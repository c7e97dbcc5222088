"""`adaptive_max_pool1d/2d/3d`: the maximum of each of PyTorch's adaptive bins, with its index.

Bin i along an axis of size n covers [floor(i n / out), ceil((i + 1) n / out)). Every bin is read as the
longest bin's length, the shorter ones repeating their last element (a repeat never changes a maximum, and
the first maximum in scan order is the one reported, as PyTorch). Indices are ``h * W + w`` (3-D:
``(d * H + h) * W + w``); the backward adds each output's gradient at its index.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import op
from ..backend.typing import Namespace
from .pool import _adaptive_sizes, check_rank
from .pool_symbolic import adaptive_bins, bins_over_symbolic_sizes
from .value_checks import InvalidValueError, refuse_complex


@lru_cache(maxsize=256)
def _bins(size: int, out: int) -> tuple[tuple[int, ...], ...]:
    """(out, longest bin) positions read for each bin (short bins repeat their last position)."""
    spans = [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]
    longest = max(end - start for start, end in spans)
    return tuple(tuple(min(start + r, end - 1) for r in range(longest)) for start, end in spans)


class AdaptiveMaxPool(Function):
    """x (B, *S), S = (H, W) or (D, H, W) → (values (B, *output_size), indices into S flattened row-major
    (``h * W + w``, ``(d * H + h) * W + w``), int64)."""

    ties_constant_gradient = True  # PyTorch's adaptive max pooling backward reads the input

    output_size: tuple[int, ...]

    def forward(self, xp: Namespace, x: Any) -> tuple[Any, Any]:
        size = x.shape[1:]
        dev = device(x)
        self.shape = tuple(x.shape)
        if 0 in self.output_size:  # an empty result, as PyTorch's (its backward gives zeros here)
            self.indices = xp.zeros((x.shape[0], *self.output_size), dtype=xp.int64, device=dev)
            return xp.zeros((x.shape[0], *self.output_size), dtype=x.dtype, device=dev), self.indices
        bins = [xp.asarray(_bins(s, o), dtype=xp.int64, device=dev) for s, o in zip(size, self.output_size)]
        picked = x
        for axis, positions in enumerate(bins):  # (B, o1 * k1, o2 * k2, ...)
            picked = xp.take(picked, xp.reshape(positions, (-1,)), axis=axis + 1)
        outs, reads = [p.shape[0] for p in bins], [p.shape[1] for p in bins]
        rank = len(bins)
        picked = xp.reshape(picked, (-1,) + tuple(v for o, k in zip(outs, reads) for v in (o, k)))  # -1: a symbolic B
        order = (0,) + tuple(range(1, 2 * rank, 2)) + tuple(range(2, 2 * rank + 1, 2))
        windows = xp.reshape(xp.permute_dims(picked, order), (-1, *outs, math.prod(reads)))
        arg = xp.argmax(windows, axis=-1)  # (B, *outs), first maximum in the bins' scan order
        values = xp.max(windows, axis=-1)
        flat = None
        for axis in range(rank):
            within = (arg // math.prod(reads[axis + 1:])) % reads[axis]
            along = (1,) * (axis + 1) + (outs[axis],) + (1,) * (rank - axis - 1)  # broadcast along this axis
            first, last = bins[axis][:, 0], bins[axis][:, -1]  # a bin's own positions run from first to last
            at = xp.minimum(xp.reshape(first, along) + within, xp.reshape(last, along))
            flat = at if flat is None else flat * size[axis] + at
        self.indices = flat
        return values, self.indices

    def backward(self, xp: Namespace, g: Any, _: Any = None) -> Any:
        b, *size = self.shape
        count = math.prod(size)
        base = xp.reshape(xp.arange(b, dtype=xp.int64, device=device(g)) * count, (b,) + (1,) * len(size))
        flat = xp.reshape(self.indices + base, (-1,))
        grad = op(self.backend, "scatter_add")(flat, xp.reshape(g, (-1, 1)), b * count)
        return xp.reshape(grad, self.shape)


def _adaptive_max(fn: str, input: Tensor, output_size: Any, return_indices: bool, spatial_dims: int) -> Any:
    check_rank(fn, input, spatial_dims)
    batched = input.ndim == spatial_dims + 2
    for axis, size in enumerate(input.shape[1 if batched else 0:], 1 if batched else 0):
        if size == 0:  # (a window of nothing has no maximum; None, a symbolic axis, passes)
            raise InvalidValueError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but "
                                    f"input has sizes {list(input.shape)} with dimension {axis} being empty")
    refuse_complex(fn, input)
    requested = bins_over_symbolic_sizes(input, output_size, spatial_dims)
    if requested is not None:  # bins over symbolic sizes (an ONNX export; to all ones: _global_max)
        if return_indices:
            raise NotImplementedError(f"{fn}: return_indices=True over symbolic spatial sizes (an ONNX export with "
                                      f"them in dynamic_axes) is not recorded; export with static sizes")
        return adaptive_bins(input, requested, "max")
    sizes = _adaptive_sizes(fn, input, output_size, spatial_dims)
    if spatial_dims == 1:
        sizes = (1,) + sizes
    lead = tuple(input.shape[:input.ndim - spatial_dims])
    spatial = (1, input.shape[-1]) if spatial_dims == 1 else tuple(input.shape[-spatial_dims:])
    if None in spatial and all(s == 1 for s in sizes):  # global max pooling over symbolic sizes (an ONNX export)
        return _global_max(input, spatial_dims, return_indices)
    flat = input.reshape(-1, *spatial)
    values, indices = AdaptiveMaxPool.apply(flat, output_size=sizes)
    first = lead[0] if isinstance(lead[0], int) else -1  # -1: a symbolic batch size (an ONNX export)
    out_shape = (first,) + lead[1:] + sizes[len(sizes) - spatial_dims:]  # (given: -1 cannot size 0 elements)
    values = values.reshape(*out_shape)
    return (values, indices.detach().reshape(*out_shape)) if return_indices else values


def _global_max(input: Tensor, spatial_dims: int, return_indices: bool) -> Any:
    """Adaptive max pooling to size 1 where a spatial size is symbolic (an ONNX export with dynamic height and width:
    CBAM's and timm's max pools), which the bins cannot be built for: the maximum over the spatial axes, and the
    index of its first occurrence in the flattened window."""
    axes = tuple(range(input.ndim - spatial_dims, input.ndim))
    values = input.amax(dim=axes, keepdim=True)
    if not return_indices:
        return values
    flat = input.flatten(input.ndim - spatial_dims) if spatial_dims > 1 else input
    indices = flat.argmax(-1, keepdim=True)
    for _ in range(spatial_dims - 1):
        indices = indices.unsqueeze(-1)
    return values, indices


def adaptive_max_pool1d(input: Tensor, output_size: int | Sequence[int], return_indices: bool = False) -> Any:
    """Maximum of each adaptive bin along the last axis: (N, C, L) or (C, L) → (..., output_size)."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, return_indices, 1)


def adaptive_max_pool2d(input: Tensor, output_size: int | Sequence[int | None], return_indices: bool = False) -> Any:
    """Maximum of each adaptive (H, W) bin: (N, C, H, W) or (C, H, W) → (..., out_h, out_w).

    With ``return_indices`` also the int64 indices ``h * W + w`` of the maxima (for `max_unpool2d`).
    """
    return _adaptive_max("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool3d(input: Tensor, output_size: int | Sequence[int | None], return_indices: bool = False) -> Any:
    """Maximum of each adaptive (D, H, W) bin: (N, C, D, H, W) or (C, D, H, W) → (..., out_d, out_h, out_w).

    With ``return_indices`` also the int64 indices ``(d * H + h) * W + w`` of the maxima (for `max_unpool3d`).
    """
    return _adaptive_max("adaptive_max_pool3d", input, output_size, return_indices, 3)


# PyTorch's *_with_indices spellings: always (out, indices), whatever return_indices says (as PyTorch's)
def adaptive_max_pool1d_with_indices(input: Tensor, output_size: int | Sequence[int],  # noqa: A002
                                     return_indices: bool = False) -> Any:
    """`adaptive_max_pool1d` returning ``(out, indices)``."""
    return _adaptive_max("adaptive_max_pool1d_with_indices", input, output_size, True, 1)


def adaptive_max_pool2d_with_indices(input: Tensor, output_size: int | Sequence[int | None],  # noqa: A002
                                     return_indices: bool = False) -> Any:
    """`adaptive_max_pool2d` returning ``(out, indices)``."""
    return _adaptive_max("adaptive_max_pool2d_with_indices", input, output_size, True, 2)


def adaptive_max_pool3d_with_indices(input: Tensor, output_size: int | Sequence[int | None],  # noqa: A002
                                     return_indices: bool = False) -> Any:
    """`adaptive_max_pool3d` returning ``(out, indices)``."""
    return _adaptive_max("adaptive_max_pool3d_with_indices", input, output_size, True, 3)
