"""Pools over symbolic spatial sizes: an ONNX export with the height and width in ``dynamic_axes``.

A symbolic axis reads ``None`` in anynn's code (its size is known when the graph runs), so the bins and windows a
pool builds from the sizes cannot be built. Two common spellings still have a graph:

- a kernel that is the input's whole spatial size, read from the model's own ``x.size()`` (``F.avg_pool2d(x,
  x.size()[2:])``, GeM pooling's ``F.avg_pool2d(x.pow(p), (x.size(-2), x.size(-1)))``): one window, a global pool;
- adaptive pooling (and area interpolation) to a fixed size: bin i of o along an axis of size n covers
  ``[floor(i n / o), ceil((i + 1) n / o))``, PyTorch's bins, as an (o, n) mask the graph computes from n as it runs
  (a masked mean or maximum), one axis after the other.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..autograd.tensor import Tensor, make_tensor
from ..backend.symbolic import SymInt, is_symbolic
from .elementwise import where
from .value_checks import is_floating


def has_symbolic_axis(x: Tensor, spatial_dims: int) -> bool:
    """Whether a spatial axis of ``x`` (the last ``spatial_dims``) is symbolic (``None``)."""
    return None in tuple(x.shape)[x.ndim - spatial_dims:]


def symbolic_sizes(x: Tensor, spatial_dims: int) -> tuple[Any, ...]:
    """The last ``spatial_dims`` sizes of ``x``: ints, a `SymInt` for each symbolic axis."""
    return tuple(x.backend.symbolic_shape(x.array))[x.ndim - spatial_dims:]


def _same_axis(value: Any, x: Tensor, axis: int) -> bool:
    """Whether ``value`` (a kernel size from the model's ``x.size()``) is the size of axis ``axis`` of ``x``: read
    from that axis of ``x`` itself, or the size of an axis of the same name in ``dynamic_axes``."""
    own = x.backend.symbolic_shape(x.array)[axis]
    if not is_symbolic(value) or not is_symbolic(own):
        return False
    if value.origin is not None and value.origin[0]() is x.array and value.origin[1] == axis:
        return True
    return not own.expr.startswith("<") and value.expr == own.expr


def global_window(fn: str, x: Tensor, kernel_size: Any, stride: Any, padding: Any, dilation: Any,
                  spatial_dims: int) -> bool:
    """Whether a pool whose ``kernel_size`` holds `SymInt`s takes the whole spatial extent of ``x`` as its one
    window (no padding, no dilation): then it is a global pool, ``(..., 1, 1)``, whatever the stride. Any other
    symbolic kernel is refused naming the sizes: ONNX pools take their kernel as a constant of the graph."""
    kernel = tuple(kernel_size) if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * spatial_dims
    pads = tuple(padding) if isinstance(padding, (tuple, list)) else (padding,) * spatial_dims
    dilations = tuple(dilation) if isinstance(dilation, (tuple, list)) else (dilation,) * spatial_dims
    whole = len(kernel) == spatial_dims and all(
        _same_axis(k, x, x.ndim - spatial_dims + i) for i, k in enumerate(kernel))
    if whole and all(p == 0 for p in pads) and all(d == 1 for d in dilations):
        return True
    raise NotImplementedError(
        f"{fn}: kernel_size {tuple(kernel)} holds the size of a symbolic axis (an ONNX export with it in "
        f"dynamic_axes), and ONNX pools take their kernel as a constant; only a kernel that is the whole of the "
        f"input's own spatial size (x.size()[2:], no padding or dilation: a global pool) records. Use "
        f"F.adaptive_avg_pool2d / adaptive_max_pool2d for a fixed output size, or export with static sizes "
        f"(stride {stride!r}, padding {padding!r})")


def adaptive_bins(x: Tensor, output_size: Sequence[int | None], reduce: str) -> Tensor:
    """PyTorch's adaptive bins of the last ``len(output_size)`` axes of ``x`` (``None`` keeps an axis), over sizes
    some of which are symbolic, one axis after the other: the ``reduce`` (``"mean"`` or ``"max"``) of each bin's
    positions, the others masked out."""
    spatial_dims = len(output_size)
    y = x
    for i, (out, n) in enumerate(zip(output_size, symbolic_sizes(x, spatial_dims))):
        axis = x.ndim - spatial_dims + i
        if out is None or (not is_symbolic(n) and not is_symbolic(out) and out == n):
            continue
        inside = _membership(x, n, out)  # (out, n)
        rows = y.movedim(axis, -1).unsqueeze(-2)  # (..., 1, n) against (out, n): a NaN or inf stays in its bins
        if reduce == "mean":
            pooled = where(inside, rows, 0.0).sum(-1) / inside.sum(1).to(x.dtype)
        else:
            low = float("-inf") if is_floating(x) else rows.amin(-1, keepdim=True)
            pooled = where(inside, rows, low).amax(-1)
        y = pooled.movedim(-1, axis)
    return y


def _membership(x: Tensor, n: Any, out: Any) -> Tensor:
    """(out, n) booleans, True where position h of an axis of size ``n`` is in bin k of ``out`` (each an int or a
    `SymInt`): ``floor(k n / out) <= h < ceil((k + 1) n / out)``, in integers ``k n < (h + 1) out`` and ``h out <
    (k + 1) n``."""
    xp = x.backend.xp
    size, count = (v.array if is_symbolic(v) else v for v in (n, out))
    h = xp.reshape(xp.arange(n), (1, -1))
    k = xp.reshape(xp.arange(out), (-1, 1))
    return make_tensor((k * size < (h + 1) * count) & (h * count < (k + 1) * size), x.backend, None, 0)


def scaled_size(xp: Any, n: Any, factor: float) -> Any:
    """``floor(n * factor)`` of a `SymInt` ``n`` as a `SymInt` (PyTorch's output size of a scale factor, computed in
    float64 as its Python does); an int ``n`` gives the int."""
    if not is_symbolic(n):
        return int(math.floor(n * factor))
    value = xp.astype(xp.floor(xp.astype(n.array, xp.float64) * factor), n.array.dtype)
    low = None if n.low is None else int(math.floor(n.low * factor))
    return SymInt(value, f"floor({n.expr} * {factor})", None if n.hint is None else int(math.floor(n.hint * factor)),
                  low)


def bins_over_symbolic_sizes(x: Tensor, output_size: Any, spatial_dims: int) -> tuple[int | None, ...] | None:
    """The output sizes of an adaptive pool of ``x`` that `adaptive_bins` records: where a spatial axis is symbolic
    and the sizes are ones it takes (positive ints, ``None``, keep the axis, in 2-D and 3-D only), not all ones (the
    layers' global paths record those). None otherwise: the layer's own path, its checks and their errors."""
    requested = tuple(output_size) if isinstance(output_size, (tuple, list)) else (output_size,) * spatial_dims
    if not has_symbolic_axis(x, spatial_dims):
        return None
    ok = all(s is None or (type(s) is int and s >= 1) for s in requested)
    if not ok or (len(requested) == 1 and None in requested) or all(s == 1 for s in requested):
        return None
    return requested


def symbolic_kernel(kernel_size: Any) -> bool:
    """Whether a pool's ``kernel_size`` holds a `SymInt` (a size the model read from a symbolic axis)."""
    if isinstance(kernel_size, (tuple, list)):
        return any(is_symbolic(k) for k in kernel_size)
    return is_symbolic(kernel_size)
