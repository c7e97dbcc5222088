"""Reductions that pick or skip entries: ``nansum``/``nanmean`` (NaNs skipped), ``aminmax``, ``cummax``/``cummin``
(running extremes), ``kthvalue`` and ``mode``, with PyTorch's signatures and named-tuple results.

The indices are found in the backend's array namespace (not differentiable); the values are then gathered at them
with `anynn.functional.gather`, whose gradient scatter-adds ``g`` to the chosen entries: PyTorch's
``value_selecting_reduction_backward`` (a running extreme picked by several outputs collects all their gradients).
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor, make_tensor
from ..backend import dtype_name
from ..backend.typing import Namespace
from . import elementwise, indexing, reduce
from .scatter_reduce import IndexingError
from .sorting import ValuesIndices, _ranked
from .value_checks import UnsupportedDTypeError, check_reducible, checked_dim, refuse_boolean, refuse_kernel


class MinMax(NamedTuple):
    """What ``aminmax`` returns, like ``torch.return_types.aminmax``."""

    min: Any
    max: Any




def _floating(name: str, x: Tensor) -> None:
    if not x.backend.xp.isdtype(x.array.dtype, "real floating"):
        # (PyTorch: RuntimeError 'expected input to have floating point or complex dtype'; a TypeError too)
        raise UnsupportedDTypeError(f"{name}: expected a floating point input, got {x.dtype} (cast it with .float())")


class NanToZero(Function):
    """a with its NaNs 0; the gradient ``g * (a == a)``, a product by the mask as PyTorch's nansum backward (an inf or
    NaN ``g``, as the ``1 / 0`` of an all-NaN lane's nanmean, gives NaN at a NaN of ``a``, not 0)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.nan = xp.isnan(a)  # (a boolean mask: a constant of a recorded backward)
        return xp.where(self.nan, xp.zeros_like(a), a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * xp.astype(xp.logical_not(self.nan), g.dtype)


def nansum(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Sum over ``dim`` (all when ``None``) treating NaN as 0; the gradient is 0 at a NaN (NaN where the incoming
    gradient is inf or NaN), as PyTorch's; complex tensors are refused, as PyTorch's CPU kernel refuses them."""
    if input.is_complex():
        raise UnsupportedDTypeError(f"nansum does not support complex inputs (got {dtype_name(input.dtype)}), as "
                                    f"PyTorch's CPU kernel; sum the real and imaginary parts apart")
    source = input if dtype is None else input.astype(dtype)
    xp = source.backend.xp
    if xp.isdtype(source.array.dtype, "real floating"):
        source = NanToZero.apply(source)
    out = source.sum(dim, keepdim)
    return out if dtype is None or out.dtype == source.dtype else out.astype(source.dtype)


def nanmean(input: Tensor, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Mean over ``dim`` of the entries that are not NaN (NaN where every entry of a lane is)."""
    _floating("nanmean", input)  # (the input's dtype, whatever dtype= asks, as PyTorch's)
    source = input if dtype is None else input.astype(dtype)
    xp = source.backend.xp
    kept = make_tensor(xp.astype(~xp.isnan(source.array), source.array.dtype), source.backend, None, 0)
    return nansum(source, dim, keepdim) / kept.sum(dim, keepdim)


def aminmax(input: Tensor, *, dim: int | None = None, keepdim: bool = False) -> MinMax:  # noqa: A002
    """``(min, max)`` over ``dim`` (all entries when ``None``); ties share the gradient, as ``amin``/``amax``."""
    if dim is None and 0 in input.shape:  # (not numel(): an ONNX export's symbolic axis has no size)
        raise RuntimeError("aminmax(): cannot compute aminmax over an empty dimension as the operation has no "
                           "identity")
    axis = None if dim is None else checked_dim("aminmax", input, dim)
    return MinMax(reduce.min(input, axis, keepdim), reduce.max(input, axis, keepdim))


def _running_extreme(name: str, input: Tensor, dim: int, largest: bool) -> ValuesIndices:  # noqa: A002
    """Running max (min) along ``dim`` and the index it was last reached at; a NaN wins from where it appears."""
    if input.ndim == 0:
        xp = input.backend.xp
        zero = make_tensor(xp.zeros((), dtype=xp.int64, device=input.backend.device), input.backend, None, 0)
        return ValuesIndices(elementwise.clone(input), zero)
    refuse_kernel(name, f"{name}_cpu", ("complex floating",), input)  # (no order; NumPy's is lexicographic)
    axis = checked_dim(name, input, dim)
    xp, a = input.backend.xp, input.array
    if a.shape[axis] == 0:  # nothing to run over: empty values and indices, as PyTorch's
        empty = xp.zeros(a.shape, dtype=xp.int64, device=input.backend.device)
        return ValuesIndices(elementwise.clone(input), make_tensor(empty, input.backend, None, 0))
    moved = xp.moveaxis(a, axis, 0)
    if xp.isdtype(moved.dtype, "bool"):  # compared as 0 and 1 (the standard orders no booleans)
        moved = xp.astype(moved, xp.uint8)
    floating = xp.isdtype(a.dtype, "real floating")
    if moved.shape[0] is None:  # a symbolic axis (ONNX export): no loop over its steps, all pairs compared at once
        index = make_tensor(_running_extreme_indices(xp, moved, axis, largest, floating), input.backend, None, 0)
        return ValuesIndices(indexing.gather(input, axis, index), index)
    best, where = moved[0, ...], xp.zeros_like(moved[0, ...], dtype=xp.int64)  # (zeros_like: symbolic axes kept)
    found = [where]
    for i in range(1, moved.shape[0]):  # the sizes are static: one slice per step, traceable
        x = moved[i, ...]
        wins = (x >= best) if largest else (x <= best)
        if floating:
            wins = xp.isnan(x) | (wins & ~xp.isnan(best))
        best = xp.where(wins, x, best)
        where = xp.where(wins, xp.full_like(where, i), where)
        found.append(where)
    indices = xp.moveaxis(xp.stack(found, axis=0), 0, axis)
    index = make_tensor(indices, input.backend, None, 0)
    return ValuesIndices(indexing.gather(input, axis, index), index)


def _running_extreme_indices(xp: Any, moved: Any, axis: int, largest: bool, floating: bool) -> Any:
    """The indices of `_running_extreme` along the first axis of ``moved`` (n, ...), for a symbolic n: step i's
    extreme over the steps j <= i (an (n, n, ...) comparison, O(n^2) memory), then the last such j holding it (the
    loop's ``>=`` moves the index to a later equal value; a NaN, once seen, is the extreme and each later NaN takes
    the index)."""
    lane = moved[(slice(None),) + (0,) * (moved.ndim - 1)]  # (n,)
    steps = xp.cumulative_sum(xp.ones_like(lane, dtype=xp.int64)) - 1
    steps = xp.reshape(steps, (-1,) + (1,) * (moved.ndim - 1))
    seen = steps[None, ...] <= steps[:, None, ...]  # (i, j, 1...): step j is at or before step i
    rows = moved[None, ...]  # (1, j, ...)
    if xp.isdtype(moved.dtype, "bool"):
        worst: Any = not largest
    elif floating:
        worst = -math.inf if largest else math.inf
    else:
        info = xp.iinfo(moved.dtype)
        worst = info.min if largest else info.max
    fill = xp.asarray(worst, dtype=moved.dtype)
    usable = seen & ~xp.isnan(rows) if floating else seen
    candidates = xp.where(usable, rows, fill)
    extreme = xp.max(candidates, axis=1) if largest else xp.min(candidates, axis=1)  # (i, ...): NaNs left out
    hits = usable & (rows == extreme[:, None, ...])
    if floating:
        nans = seen & xp.isnan(rows)
        hits = xp.where(xp.any(nans, axis=1, keepdims=True), nans, hits)
    last = xp.max(xp.where(hits, steps[None, ...], xp.asarray(-1, dtype=xp.int64)), axis=1)
    return xp.moveaxis(last, 0, axis)


def cummax(input: Tensor, dim: int) -> ValuesIndices:  # noqa: A002 - PyTorch's name
    """``(values, indices)``: the running maximum along ``dim`` and where it was (the last index reaching it)."""
    return _running_extreme("cummax", input, dim, True)


def cummin(input: Tensor, dim: int) -> ValuesIndices:  # noqa: A002
    """``(values, indices)``: the running minimum along ``dim`` and where it was (the last index reaching it)."""
    return _running_extreme("cummin", input, dim, False)


def _pick(input: Tensor, axis: int, picked: Any, keepdim: bool) -> ValuesIndices:  # noqa: A002
    """Values at ``picked`` (int64, ``input``'s shape with ``axis`` of size 1) and the indices, ``axis`` dropped
    unless ``keepdim``."""
    index = make_tensor(picked, input.backend, None, 0)
    values = indexing.gather(input, axis, index)
    if not keepdim:  # position 0 of ``axis``, not squeeze: an ONNX export's recording may forget that size 1
        at = (slice(None),) * axis + (0,)
        values, index = values[at], index[at]
    return ValuesIndices(values, index)


def kthvalue(input: Tensor, k: int, dim: int = -1, keepdim: bool = False) -> ValuesIndices:  # noqa: A002
    """``(values, indices)`` of the ``k``-th smallest entry along ``dim`` (``k`` from 1), as ``torch.kthvalue``."""
    if input.ndim == 0:
        if k != 1:
            raise IndexingError(f"kthvalue(): selected number k ({k}) out of range for a 0-d tensor")
        return ValuesIndices(elementwise.clone(input), make_tensor(
            input.backend.xp.zeros((), dtype=input.backend.xp.int64, device=input.backend.device), input.backend,
            None, 0))
    refuse_boolean("kthvalue", "kthvalue_cpu", input)
    refuse_kernel("kthvalue", "kthvalue_cpu", ("complex floating",), input)
    axis = checked_dim("kthvalue", input, dim)
    size = input.shape[axis]
    if not 1 <= k <= (k if size is None else size):  # (None: a symbolic axis, ONNX export: its size known as it runs)
        raise IndexingError(f"kthvalue(): selected number k ({k}) out of range for dimension {dim} of size {size}")
    xp = input.backend.xp
    order = xp.argsort(input.array, axis=axis, stable=True)  # NaN sorts last, as PyTorch's
    lead = (slice(None),) * axis
    if size is None:  # a symbolic axis: a Gather of one position keeps its size 1 known (a slice's is not)
        picked = xp.take(order, xp.asarray([k - 1], dtype=xp.int64), axis=axis)
        return _pick(input, axis, xp.astype(picked, xp.int64), keepdim)
    return _pick(input, axis, xp.astype(order[lead + (slice(k - 1, k), ...)], xp.int64), keepdim)


def mode(input: Tensor, dim: int = -1, keepdim: bool = False) -> ValuesIndices:  # noqa: A002
    """``(values, indices)``: the most frequent value along ``dim`` (the smallest among equally frequent ones) and
    the last index holding it, as PyTorch's CPU ``torch.mode``."""
    if input.ndim == 0:
        return kthvalue(input, 1)
    refuse_kernel("mode", "mode_cpu", ("complex floating",), input)
    axis = checked_dim("mode", input, dim)
    xp, a = input.backend.xp, input.array
    check_reducible("mode", a, axis)  # (NumPy's 'zero-size array to reduction operation maximum' before)
    moved = xp.moveaxis(a, axis, -1)  # (..., n)
    n = moved.shape[-1]
    same = moved[..., :, None] == moved[..., None, :]  # (..., n, n): an O(n^2) count per lane
    counts = xp.sum(xp.astype(same, xp.int64), axis=-1)
    nan = xp.isnan(moved) if xp.isdtype(moved.dtype, ("real floating", "complex floating")) else None
    if nan is not None:  # a NaN equals nothing, itself neither: it counts once, as each NaN in PyTorch's lanes
        counts = counts + xp.astype(nan, xp.int64)
    most = xp.max(counts, axis=-1, keepdims=True)
    # among the most frequent, the smallest value: rank entries by value, the candidates first
    order = xp.argsort(_ranked(xp, moved), axis=-1, stable=True)  # (booleans as 0 and 1)
    sorted_counts = xp.take_along_axis(counts, order, axis=-1)
    first = xp.argmax(xp.astype(sorted_counts == most, xp.int8), axis=-1, keepdims=True)
    value = xp.take_along_axis(xp.take_along_axis(moved, order, axis=-1), first, axis=-1)  # (..., 1)
    positions = xp.arange(n, dtype=xp.int64, device=input.backend.device)
    hit = moved == value if nan is None else (moved == value) | (nan & xp.isnan(value))
    holding = xp.where(hit, positions, xp.full_like(positions, -1))
    last = xp.max(holding, axis=-1, keepdims=True)
    return _pick(input, axis, xp.moveaxis(last, -1, axis), keepdim)


METHODS: dict[str, Any] = {"nansum": nansum, "nanmean": nanmean, "aminmax": aminmax, "cummax": cummax,
                           "cummin": cummin, "kthvalue": kthvalue, "mode": mode}
