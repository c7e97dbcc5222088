"""`adaptive_max_pool1d/2d`: the maximum of each of PyTorch's adaptive bins, with its index.

Bin i along an axis of size n covers [floor(i n / out), ceil((i + 1) n / out)). Every bin is read as the
longest bin's length, the shorter ones repeating their last element (a repeat never changes a maximum, and
the first maximum in scan order is the one reported, as PyTorch). Indices are ``h * W + w``; the backward
adds each output's gradient at its index.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

from array_api_compat import device

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import op
from ..backend.typing import Namespace
from .pool import _adaptive_sizes, check_rank


@lru_cache(maxsize=256)
def _bins(size: int, out: int) -> tuple[tuple[int, ...], ...]:
    """(out, longest bin) positions read for each bin (short bins repeat their last position)."""
    spans = [((i * size) // out, -((-(i + 1) * size) // out)) for i in range(out)]
    longest = max(end - start for start, end in spans)
    return tuple(tuple(min(start + r, end - 1) for r in range(longest)) for start, end in spans)


class AdaptiveMaxPool(Function):
    """x (B, H, W) → (values (B, out_h, out_w), indices h * W + w (int64))."""

    output_size: tuple[int, int]

    def forward(self, xp: Namespace, x: Any) -> tuple[Any, Any]:
        b, h, w = x.shape
        dev = device(x)
        rows = xp.asarray(_bins(h, self.output_size[0]), dtype=xp.int64, device=dev)  # (oh, kh)
        cols = xp.asarray(_bins(w, self.output_size[1]), dtype=xp.int64, device=dev)  # (ow, kw)
        (oh, kh), (ow, kw) = rows.shape, cols.shape
        picked = xp.take(xp.take(x, xp.reshape(rows, (-1,)), axis=1), xp.reshape(cols, (-1,)), axis=2)
        windows = xp.permute_dims(xp.reshape(picked, (b, oh, kh, ow, kw)), (0, 1, 3, 2, 4))
        windows = xp.reshape(windows, (b, oh, ow, kh * kw))
        arg = xp.argmax(windows, axis=-1)  # (b, oh, ow), first maximum in (kh, kw) scan order
        values = xp.max(windows, axis=-1)
        r, c = arg // kw, arg % kw
        h_at = xp.take(xp.reshape(rows, (-1,)), xp.reshape(xp.arange(oh, device=dev)[:, None] * kh + r, (-1,)))
        w_at = xp.take(xp.reshape(cols, (-1,)), xp.reshape(xp.arange(ow, device=dev)[None, :] * kw + c, (-1,)))
        self.indices = xp.reshape(h_at * w + w_at, (b, oh, ow))
        self.shape = (b, h, w)
        return values, self.indices

    def backward(self, xp: Namespace, g: Any, _: Any = None) -> Any:
        b, h, w = self.shape
        base = xp.arange(b, dtype=xp.int64, device=device(g))[:, None, None] * (h * w)
        flat = xp.reshape(self.indices + base, (-1,))
        grad = op(self.backend, "scatter_add")(flat, xp.reshape(g, (-1, 1)), b * h * w)
        return xp.reshape(grad, (b, h, w))


def _adaptive_max(fn: str, input: Tensor, output_size: Any, return_indices: bool, spatial_dims: int) -> Any:
    check_rank(fn, input, spatial_dims)
    sizes = _adaptive_sizes(fn, input, output_size, spatial_dims)
    if spatial_dims == 1:
        sizes = (1,) + sizes
    lead = tuple(input.shape[:input.ndim - spatial_dims])
    h, w = (1, input.shape[-1]) if spatial_dims == 1 else tuple(input.shape[-2:])
    flat = input.reshape(-1, h, w)
    values, indices = AdaptiveMaxPool.apply(flat, output_size=sizes)
    out_shape = lead + sizes[2 - spatial_dims:]
    values = values.reshape(*out_shape)
    return (values, indices.detach().reshape(*out_shape)) if return_indices else values


def adaptive_max_pool1d(input: Tensor, output_size: int | Sequence[int], return_indices: bool = False) -> Any:
    """Maximum of each adaptive bin along the last axis: (N, C, L) or (C, L) → (..., output_size)."""
    return _adaptive_max("adaptive_max_pool1d", input, output_size, return_indices, 1)


def adaptive_max_pool2d(input: Tensor, output_size: int | Sequence[int | None], return_indices: bool = False) -> Any:
    """Maximum of each adaptive (H, W) bin: (N, C, H, W) or (C, H, W) → (..., out_h, out_w).

    With ``return_indices`` also the int64 indices ``h * W + w`` of the maxima (for `max_unpool2d`).
    """
    return _adaptive_max("adaptive_max_pool2d", input, output_size, return_indices, 2)
