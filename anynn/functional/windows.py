"""Shared machinery of convolution and pooling: padding, im2col (``unfold``), col2im (``fold``), sizes.

Everything acts on the last two axes ``(H, W)``; leading axes (batch, channels) ride along. Windows come
from the ``sliding_window_view`` fast path (a zero-copy view on NumPy, CuPy and PyTorch) or its portable
fallback; ``fold`` accumulates ``kh * kw`` strided slices, so no Python loop runs over batch or channels.
"""

from __future__ import annotations

from typing import Any, Sequence

from array_api_compat import device

from ..backend import Backend, op
from ..backend.arrays import at_add, at_set

Pair = tuple[int, int]


def pair(value: int | Sequence[int], name: str, layer: str) -> Pair:
    """``3`` → ``(3, 3)``; a 2-sequence stays (as ints); anything else is an error naming ``layer``."""
    if isinstance(value, int):
        return (value, value)
    values = tuple(value)
    if len(values) != 2 or not all(isinstance(v, int) for v in values):
        raise ValueError(f"{layer}: {name} must be an int or a pair of ints, got {value!r}")
    return (values[0], values[1])


def output_size(size: int, kernel: int, stride: int, pad_total: int, dilation: int, ceil_mode: bool = False,
                pad_before: int = 0) -> int:
    """Number of window positions along one axis (PyTorch's formula, ``ceil_mode`` as in its pooling).

    In ceil mode the last window must still start inside the input or the leading padding; it may run
    past the end, so ceil mode can give one window even when the input is smaller than the kernel.
    Returns 0 (never a negative count) when no window fits.
    """
    span = size + pad_total - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return max(span // stride + 1, 0)  # floor division: a negative span gives no window
    out = -(-span // stride) + 1
    if (out - 1) * stride >= size + pad_before:
        out -= 1
    return max(out, 0)


def pad2d(xp: Any, x: Any, pads: tuple[int, int, int, int], value: float = 0.0) -> Any:
    """Pad the last two axes of ``x`` by ``(top, bottom, left, right)`` with ``value``.

    Built with ``full`` and one slice write (no ``pad`` in the array API standard).
    """
    top, bottom, left, right = pads
    if top == bottom == left == right == 0:
        return x
    *lead, h, w = x.shape
    out = xp.full((*lead, h + top + bottom, w + left + right), value, dtype=x.dtype, device=device(x))
    return at_set(out, (Ellipsis, slice(top, top + h), slice(left, left + w)), x)


def window_slice(offset: Pair, count: Pair, stride: Pair) -> tuple[Any, ...]:
    """Index of the ``count`` window elements at kernel ``offset`` (already scaled by dilation)."""
    return (Ellipsis, slice(offset[0], offset[0] + (count[0] - 1) * stride[0] + 1, stride[0]),
            slice(offset[1], offset[1] + (count[1] - 1) * stride[1] + 1, stride[1]))


def unfold(backend: Backend, x: Any, kernel: Pair, stride: Pair, dilation: Pair, count: Pair) -> Any:
    """im2col: x (N, C, Hp, Wp), already padded → contiguous columns (N, C, kh, kw, Ho, Wo).

    ``count`` = (Ho, Wo) window positions. The windows are a strided view where the backend has the
    fast path; the one copy is the permute-and-reshape into the column layout the matmul wants.
    """
    xp = backend.xp
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, count
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    if x.shape[-2] > span[0] + (ho - 1) * sh or x.shape[-1] > span[1] + (wo - 1) * sw:
        x = x[..., :span[0] + (ho - 1) * sh, :span[1] + (wo - 1) * sw]  # rows no window reaches
    windows = op(backend, "sliding_window_view")(x, span, axis=(2, 3))  # (N, C, H', W', span_h, span_w)
    windows = windows[:, :, ::sh, ::sw, ::dh, ::dw]  # (N, C, Ho, Wo, kh, kw)
    cols = xp.permute_dims(windows, (0, 1, 4, 5, 2, 3))
    n, c = x.shape[0], x.shape[1]
    # reshape to the flat column matrix and back: forces one contiguous copy on every library
    flat = xp.reshape(cols, (n, c * kh * kw, ho * wo))
    return xp.reshape(flat, (n, c, kh, kw, ho, wo))


def fold(xp: Any, cols: Any, padded_shape: Pair, stride: Pair, dilation: Pair) -> Any:
    """col2im: sum columns (N, C, kh, kw, Ho, Wo) back into an image (N, C, Hp, Wp).

    The adjoint of `unfold`: one strided slice-add per kernel offset (``kh * kw`` of them).
    """
    n, c, kh, kw, ho, wo = cols.shape
    out = xp.zeros((n, c) + tuple(padded_shape), dtype=cols.dtype, device=device(cols))
    for i in range(kh):
        for j in range(kw):
            index = window_slice((i * dilation[0], j * dilation[1]), (ho, wo), stride)
            out = at_add(out, index, cols[:, :, i, j, :, :])
    return out


def fold_channels_last(xp: Any, cols: Any, padded_shape: Pair, stride: Pair, dilation: Pair) -> Any:
    """col2im in channels-last layout: columns (Ho, Wo, N, kh, kw, C) → image (Hp, Wp, N, C).

    The same sums as `fold`, but each slice-add runs over contiguous channels: faster than `fold` when
    there are more channels than output columns (deep layers with small feature maps).
    """
    ho, wo, n, kh, kw, c = cols.shape
    out = xp.zeros(tuple(padded_shape) + (n, c), dtype=cols.dtype, device=device(cols))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dilation[0], i * dilation[0] + (ho - 1) * stride[0] + 1, stride[0])
            columns = slice(j * dilation[1], j * dilation[1] + (wo - 1) * stride[1] + 1, stride[1])
            out = at_add(out, (rows, columns, Ellipsis), cols[:, :, :, i, j, :])
    return out
