"""Window and padding arithmetic of every windowed op (conv, transposed conv, pool, unpool, fold), in one place:
int-or-tuple arguments, output sizes, ``"same"`` padding, constant padding, window slices, im2col (``unfold``)
and col2im (``fold``).

The im2col helpers act on the last two axes ``(H, W)``; leading axes (batch, channels) ride along. Windows come
from the ``sliding_window_view`` fast path (a zero-copy view on NumPy, CuPy and PyTorch) or its portable
fallback; ``fold`` accumulates ``kh * kw`` strided slices, so no Python loop runs over batch or channels.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..backend import Backend, op
from ..backend.arrays import at_add, at_set
from .value_checks import python_ints

Pair = tuple[int, int]
IntOrTuple = int | Sequence[int]


class WindowArgumentTypeError(ValueError, TypeError):
    """A window argument (kernel_size, stride, padding...) that is no int nor a sequence of ints (``stride=2.5``,
    ``kernel_size="a"``): PyTorch's parser raises TypeError ('must be tuple of ints, not str'); a ValueError as
    the other refusals of `ntuple`."""


def ntuple(value: IntOrTuple, n: int, name: str, where: str, *, bools: bool = True, kind: str = "",
           one: bool = False) -> tuple[int, ...]:
    """``3`` → ``(3,) * n``; an n-sequence of ints stays (as a tuple); with ``one``, a 1-sequence ``[3]`` is
    ``(3,) * n`` too (PyTorch's convolutions and pools expand it: EfficientNet's blocks pass ``stride=[1]``);
    anything else is a `ValueError` naming ``where``, ``name`` and ``kind`` (default "a pair" or "an n-tuple");
    ``bools=False`` refuses True/False. NumPy's integers count as ints, as PyTorch's."""
    value = python_ints(value)
    if isinstance(value, int):
        if bools or not isinstance(value, bool):
            return (value,) * n
        values: tuple[Any, ...] = (value,) * n
    else:
        try:
            values = tuple(value)
        except TypeError:  # (a float or None: "'float' object is not iterable" before)
            kind = kind or ("a pair" if n == 2 else f"a {n}-tuple")
            raise WindowArgumentTypeError(f"{where}: {name} must be an int or {kind} of ints, got "
                                          f"{type(value).__name__} {value!r}") from None
        if one and len(values) == 1:
            values = values * n
    ok = len(values) == n
    typed = not isinstance(value, (str, bytes))
    for v in values:  # (a loop, not all() over a generator: the windowed ops parse their arguments every call)
        if not isinstance(v, int) or (not bools and isinstance(v, bool)):
            ok = typed = False
    if not ok:
        kind = kind or ("a pair" if n == 2 else f"a {n}-tuple")
        error = ValueError if typed else WindowArgumentTypeError  # (PyTorch: a length is checked, a type parsed)
        raise error(f"{where}: {name} must be an int or {kind} of ints, got {value!r}")
    return values


def pair(value: IntOrTuple, name: str, layer: str, *, one: bool = False) -> Pair:
    """``3`` → ``(3, 3)``; a 2-sequence stays (as ints), with ``one`` also ``[3]``; anything else is an error
    naming ``layer``."""
    first, second = ntuple(value, 2, name, layer, one=one)
    return (first, second)


def same_padding(kernel: Sequence[int], dilation: Sequence[int]) -> tuple[int, ...]:
    """``padding="same"`` (stride 1) as ``(before, after)`` per axis, flattened: the odd extra goes after,
    as PyTorch does."""
    pads: list[int] = []
    for k, d in zip(kernel, dilation):
        total = d * (k - 1)
        pads += [total // 2, total - total // 2]
    return tuple(pads)


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


def pad_slices(shape: Sequence[int], pads: Sequence[tuple[int, int, int]]) -> tuple[tuple[int, ...], tuple[Any, ...],
                                                                                 tuple[Any, ...]]:
    """Constant padding of ``shape`` by ``pads`` ((axis, before, after), ...; negative pads crop) as
    ``(padded shape, source index, destination index)``: ``out[dst] = x[src]``."""
    ndim = len(shape)
    out_shape = list(shape)
    src: list[Any] = [slice(None)] * ndim
    dst: list[Any] = [slice(None)] * ndim
    for axis, before, after in pads:
        size = shape[axis]
        out_shape[axis] = size + before + after
        src[axis] = slice(max(-before, 0), size - max(-after, 0))
        dst[axis] = slice(max(before, 0), max(before, 0) + size - max(-before, 0) - max(-after, 0))
    return tuple(out_shape), tuple(src), tuple(dst)


def constant_pad(xp: Any, x: Any, pads: Sequence[tuple[int, int, int]], value: Any = 0.0) -> Any:
    """``x`` padded with ``value`` by ``pads`` ((axis, before, after), ...; negative pads crop).

    Built with ``full`` and one slice write (no ``pad`` in the array API standard).
    """
    shape, src, dst = pad_slices(tuple(x.shape), pads)
    out = full_as(xp, shape, value, x)
    if 0 in shape or any(s.stop - s.start <= 0 for s in src if s.stop is not None):
        return out  # nothing of x is kept: skip the empty write
    return at_set(out, dst, x[src])


def full_as(xp: Any, shape: Sequence[int | None], value: Any, like: Any) -> Any:
    """``xp.full(shape, value)`` in ``like``'s dtype and device, where a ``None`` size (a symbolic axis while an
    ONNX export records) is ``like``'s size on that axis: ``like`` has the rank of ``shape`` and is ``None``
    wherever ``shape`` is. Built as a ``where`` that never picks ``like`` (sliced to one element on the known
    axes) over ``value`` in the known sizes: broadcasting gives the symbolic sizes, no size is computed from one,
    and the known sizes stay known to the graph."""
    if None not in shape:
        return xp.full(tuple(shape), value, dtype=like.dtype, device=device(like))
    if like.ndim != len(shape) or any(n is None and m is not None for n, m in zip(shape, like.shape)):
        raise ValueError(f"full_as: the symbolic sizes of the shape {tuple(shape)} are not those of an array of "
                         f"shape {tuple(like.shape)}")
    if any(m == 0 for n, m in zip(shape, like.shape) if n is not None):
        raise ValueError(f"full_as: an array of shape {tuple(like.shape)} with an empty axis cannot give the "
                         f"symbolic sizes of the shape {tuple(shape)}")
    symbolic = like[tuple(slice(None) if n is None else slice(0, 1) for n in shape)]
    never = xp.zeros((1,) * len(shape), dtype=xp.bool, device=device(like))
    return xp.where(never, symbolic, xp.full(tuple(1 if n is None else n for n in shape), value, dtype=like.dtype,
                                             device=device(like)))


def pad_last_axes(xp: Any, x: Any, pads: Sequence[tuple[int, int]], value: float = 0.0) -> Any:
    """Pad the last ``len(pads)`` axes of ``x`` by ``(before, after)`` each with ``value`` (`constant_pad`)."""
    if not any(before or after for before, after in pads):
        return x
    first = x.ndim - len(pads)
    return constant_pad(xp, x, tuple((first + i, before, after) for i, (before, after) in enumerate(pads)), value)


def pad2d(xp: Any, x: Any, pads: tuple[int, int, int, int], value: float = 0.0) -> Any:
    """Pad the last two axes of ``x`` by ``(top, bottom, left, right)`` with ``value`` (`pad_last_axes`)."""
    top, bottom, left, right = pads
    return pad_last_axes(xp, x, ((top, bottom), (left, right)), value)


# (offset, count, stride) -> index: pools and col2im ask for the same few indices at every step
_WINDOW_SLICES: dict[tuple[Any, Any, Any], tuple[Any, ...]] = {}


def window_slice(offset: Sequence[int], count: Sequence[int], stride: Sequence[int]) -> tuple[Any, ...]:
    """Index of the ``count`` window elements at kernel ``offset`` (already scaled by dilation), any rank."""
    key: Any = (offset, count, stride)
    try:
        return _WINDOW_SLICES[key]
    except KeyError:
        pass
    except TypeError:  # a list among them: computed, not kept
        key = None
    index = (Ellipsis,) + tuple(slice(o, o + (c - 1) * s + 1, s) for o, c, s in zip(offset, count, stride))
    if key is not None:
        if len(_WINDOW_SLICES) >= 1024:
            _WINDOW_SLICES.clear()
        _WINDOW_SLICES[key] = index
    return index


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
    shape = (n, c) + tuple(padded_shape)
    if n is None:  # a symbolic batch (ONNX export): zeros of the batch cols has when the graph runs
        out = full_as(xp, shape, 0, cols[:, :, 0, 0, :, :])
    else:
        out = xp.zeros(shape, dtype=cols.dtype, device=device(cols))
    for i in range(kh):
        for j in range(kw):
            index = window_slice((i * dilation[0], j * dilation[1]), (ho, wo), stride)
            out = at_add(out, index, cols[:, :, i, j, :, :])
    return out


def fold_channels_last(xp: Any, cols: Any, padded_shape: Pair, stride: Pair, dilation: Pair) -> Any:
    """col2im in channels-last layout: columns (kh, kw, Ho, Wo, N, C) → image (Hp, Wp, N, C).

    The same sums as `fold`, but each slice-add reads one contiguous (Ho, Wo, N, C) block and runs over
    contiguous channels: faster than `fold` when there are more channels than output columns (deep layers
    with small feature maps).
    """
    kh, kw, ho, wo, n, c = cols.shape
    out = xp.zeros(tuple(padded_shape) + (n, c), dtype=cols.dtype, device=device(cols))
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dilation[0], i * dilation[0] + (ho - 1) * stride[0] + 1, stride[0])
            columns = slice(j * dilation[1], j * dilation[1] + (wo - 1) * stride[1] + 1, stride[1])
            out = at_add(out, (rows, columns, Ellipsis), cols[i, j, ...])
    return out
