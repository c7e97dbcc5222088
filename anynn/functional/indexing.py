"""Writing through an index: item assignment (``x[i] = v``), ``gather``, ``scatter``, ``scatter_add``,
``index_select``, ``take``, ``masked_select`` and ``one_hot``.

Writes into arrays go through `put` (principle 8): in place where the array allows it and the index is one the
standard can write (ints, slices, ``...``, one boolean mask), otherwise a new array built from the flat positions
of the index with ``argsort``/``searchsorted``/``where`` (the last write wins, as on PyTorch's CPU).
"""

from __future__ import annotations

import numbers
from typing import Any

from ..backend.arrays import device_of as device

from ..autograd import mode
from ..autograd.inference import refuse_inplace
from ..autograd.primitive import Function, note_new_producer
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor, make_tensor, mark_modified
from ..backend import dtype_name, op
from ..backend.arrays import check_range, integer_fill, is_writeable, write_all
from ..backend.typing import Namespace
from . import shape as shape_ops
from ..backend.broadcasting import broadcast_shapes
from ..backend.symbolic import is_symbolic
from .broadcast import expand
from .formulas.gather_positions import _dim_positions, _zero_pad
from .scatter_reduce import IndexingError, scatter_reduce
from .value_checks import python_ints, require_tensor
from .value_checks import (DTypeMismatchError, InvalidValueError, ShapeMismatchError, UnsupportedDTypeError,
                           array_on_backend, check_one_backend, checked_dim, refuse_float_ints)


# -- the one write helper ----------------------------------------------------------------------------
class Target:
    """Where ``x[index]`` points in an array of ``shape``: a basic index the standard can write, or flat positions.

    ``basic`` is a tuple of ints and positive-step slices (``None`` when the index needs positions);
    ``positions`` are the int64 flat positions of ``x[index]`` (shape of ``x[index]``), made on demand.
    """

    def __init__(self, backend: Any, shape: tuple[int, ...], index: Any) -> None:
        self.backend, self.shape, self.index = backend, tuple(shape), shape_ops.legacy_tuple(index)
        shape_ops.check_index(index)
        self.basic = _basic(index, self.shape)
        self.mask = _mask_of(self.index, self.shape)
        self.along = _along_axes(backend, self.index, self.shape)
        self._positions: Any = None

    @property
    def positions(self) -> Any:
        if self._positions is None:
            if None in self.shape:  # (the flat positions of every element count them)
                raise ValueError(f"an indexed write (x[i] = v, index_put, index_put_) with index arrays into a "
                                 f"tensor of shape {self.shape} needs the flat positions of its elements, which a "
                                 f"symbolic axis (None: an ONNX export with dynamic_axes) has no size for; write "
                                 f"with a boolean mask (anynn.where, masked_fill) or export with static shapes")
            xp, n = self.backend.xp, 1
            for s in self.shape:
                n *= s
            flat = xp.reshape(xp.arange(n, dtype=xp.int64, device=self.backend.device), self.shape)
            with mode.no_grad():
                self._positions = shape_ops.index(make_tensor(flat, self.backend, None, 0), self.index).array
        return self._positions

    @property
    def selected_shape(self) -> tuple[int, ...]:
        if self.basic is None and self.along is not None and None in self.shape:  # (no positions: the axes' own)
            return self.along.selected_shape(self.shape)
        if self.basic is None and self.mask is not None and None in self.shape:  # (a count known when it runs)
            return (None,) + self.shape[self.mask.ndim:]
        return tuple(self.positions.shape) if self.basic is None else _basic_shape(self.basic, self.shape)

    def read(self, xp: Namespace, a: Any) -> Any:
        """``a[index]``."""
        if self.basic is not None:
            return a[self.basic]
        picked = xp.take(xp.reshape(a, (-1,)), xp.reshape(self.positions, (-1,)), axis=0)
        return xp.reshape(picked, tuple(self.positions.shape))


def _mask_of(index: Any, shape: tuple[int, ...]) -> Any:
    """The array of ``index`` where it is one boolean mask of the leading axes (``x[x > 0]``), else None."""
    parts = index if isinstance(index, tuple) else (index,)
    if len(parts) != 1:
        return None
    mask = parts[0].array if isinstance(parts[0], Tensor) else parts[0]
    if not hasattr(mask, "dtype") or not hasattr(mask, "shape") or isinstance(mask, numbers.Number):
        return None
    if dtype_name(mask.dtype) != "bool" or not 0 < mask.ndim <= len(shape):
        return None
    return mask if tuple(mask.shape) == shape[:mask.ndim] else None


class _Along:
    """Integer index arrays on axes of known size, whole slices (or ``...``) elsewhere (``x[:, idx]``,
    ``x[:, i, j]``): the ``axes`` indexed (in order), their ``arrays`` (1-D, broadcast to ``count`` entries) and
    whether the axes are adjacent (the selection's entries then take their place; else they come first, as
    PyTorch's advanced indexing)."""

    def __init__(self, axes: list[int], arrays: list[Any], count: int) -> None:
        self.axes, self.arrays, self.count = axes, arrays, count
        self.adjacent = axes == list(range(axes[0], axes[0] + len(axes)))

    def selected_shape(self, shape: tuple[Any, ...]) -> tuple[Any, ...]:
        rest = tuple(n for k, n in enumerate(shape) if k not in self.axes)
        at = self.axes[0] if self.adjacent else 0
        return rest[:at] + (self.count,) + rest[at:]


def _along_axes(backend: Any, index: Any, shape: tuple[Any, ...]) -> _Along | None:
    """`_Along` where ``index`` is integer index arrays (1-D, of one length or 1; lists of ints; ints beside them)
    on axes of known size and whole slices (or ``...``) elsewhere, else None."""
    parts = index if isinstance(index, tuple) else (index,)
    if sum(p is Ellipsis for p in parts) > 1 or any(p is None for p in parts):
        return None
    if Ellipsis in [p for p in parts if not hasattr(p, "shape")]:
        at = next(k for k, p in enumerate(parts) if p is Ellipsis)
        parts = parts[:at] + (slice(None),) * (len(shape) - len(parts) + 1) + parts[at + 1:]
    parts = parts + (slice(None),) * (len(shape) - len(parts))
    if len(parts) != len(shape):
        return None
    xp = backend.xp
    axes, arrays, entries = [], [], False  # (entries: a 1-D index; ints alone are a basic index, 0-d tensors
    for axis, part in enumerate(parts):  # alone select no axis of entries)
        if isinstance(part, slice) and part == slice(None):
            continue
        array = part.array if isinstance(part, Tensor) else part
        if is_symbolic(array):  # a size read while recording (x[x.size(0) - 1] = v): an entry of one, the same write
            array, entries = xp.reshape(array.array, (1,)), True
        elif isinstance(array, numbers.Integral) and not isinstance(array, bool):
            array = [int(array)]
        else:
            entries = entries or isinstance(array, list) or getattr(array, "ndim", 0) == 1
        if isinstance(array, list) and array and all(isinstance(i, int) and not isinstance(i, bool) for i in array):
            array = xp.asarray(array, dtype=xp.int64, device=backend.device)
        symbolic = hasattr(backend, "symbolic_shape")  # (the recording backend: a symbolic size is read as it runs)
        if (not hasattr(array, "dtype") or isinstance(array, numbers.Number) or array.ndim > 1
                or not dtype_name(array.dtype).startswith(("int", "uint"))
                or ((None in array.shape or shape[axis] is None) and not symbolic)):
            return None
        axes.append(axis)
        arrays.append(array if array.ndim == 1 else xp.reshape(array, (-1,)))
    lengths = {array.shape[0] for array in arrays} - {1}
    if not entries or len(lengths) > 1:  # (one symbolic length beside another length: refused)
        return None
    return _Along(axes, arrays, lengths.pop() if lengths else 1)


def _put_along(xp: Namespace, a: Any, target: Target, values: Any) -> Any:
    """``a`` with ``a[..., i, j, ...] = values`` along axes of known size (`Target.along`): for each cell of those
    axes its last writer (comparisons with the indices, no flat positions: the other axes may be symbolic) and a
    where over it."""
    along, shape = target.along, tuple(a.shape)
    known = target.backend.symbolic_shape(a)  # (a symbolic axis indexed: its size read when the graph runs)
    sizes = [known[axis] for axis in along.axes]
    count, k = along.count, len(sizes)
    if count is None:  # index arrays of a symbolic length (x[arange(B), labels] = 1): read when the graph runs
        count = target.backend.symbolic_shape(next(i for i in along.arrays if i.shape[0] is None))[0]
    written: Any = None  # (n_1, ..., n_k, count): entry w writes that cell
    for j, (n, index) in enumerate(zip(sizes, along.arrays)):
        index = xp.where(index < 0, index + (n.array if is_symbolic(n) else n), index)
        slots = xp.reshape(xp.arange(n, dtype=index.dtype, device=device(a)), (1,) * j + (n,) + (1,) * (k - j))
        hits = slots == xp.reshape(index, (1,) * k + (-1,))
        written = hits if written is None else written & hits
    writers = xp.arange(count, dtype=xp.int64, device=device(a))
    last = xp.max(xp.where(written, writers, xp.full_like(writers, -1)), axis=-1)  # the last writer, or -1
    lift = tuple(sizes[along.axes.index(d)] if d in along.axes else 1 for d in range(a.ndim))
    hit = xp.reshape(last >= 0, lift)
    if _count(tuple(values.shape)) == 1:
        return xp.where(hit, xp.reshape(xp.astype(values, a.dtype), ()), a)
    first = along.arrays[0]
    first = first if first.shape[0] == along.count else xp.broadcast_to(first, (count,))
    region = xp.take(a, first, axis=along.axes[0])  # (a template of the
    region = region[tuple(0 if d in along.axes[1:] else slice(None) for d in range(a.ndim))]  # selection's sizes)
    at = along.axes[0] if along.adjacent else 0
    if not along.adjacent:
        region = xp.moveaxis(region, along.axes[0], 0)
    fitted = _fit(xp, values, along.selected_shape(shape), a.dtype, region)
    # (.., n_1 * ... * n_k, ..); last is at most count - 1: only the cells no entry writes (-1) need clipping
    picked = xp.take(fitted, xp.reshape(xp.maximum(last, xp.zeros_like(last)), (-1,)), axis=at)
    if k > 1:  # the cells' axis split into the indexed axes (read as the graph runs where others are symbolic)
        sized = tuple(target.backend.symbolic_shape(picked)) if None in tuple(picked.shape) else tuple(picked.shape)
        picked = xp.reshape(picked, sized[:at] + tuple(sizes) + sized[at + 1:])
    if not along.adjacent:  # (the indexed axes first, then the rest: back to a's order)
        order = along.axes + [d for d in range(a.ndim) if d not in along.axes]
        picked = xp.permute_dims(picked, tuple(order.index(d) for d in range(a.ndim)))
    return xp.where(hit, picked, a)


def _put_masked_rows(xp: Namespace, a: Any, mask: Any, values: Any) -> Any:
    """``a`` with ``a[mask] = values`` where the number of selected rows has no value yet (a recorded mask:
    ``x[m] = x[m] * 2`` in an ONNX export): the k-th True of the flat mask takes row k of ``values`` (k counted by a
    running sum, after a zero row 0), a where writes them (PyTorch's masked_scatter)."""
    rest = tuple(a.shape[mask.ndim:])
    rows = xp.cumulative_sum(xp.astype(xp.reshape(mask, (-1,)), xp.int64))  # (row 0: a zero row, which the
    values = values if values.dtype == a.dtype else xp.astype(values, a.dtype)  # positions before the first True
    values = xp.concat([xp.zeros((1,) + rest, dtype=a.dtype, device=device(a)),  # take: none may select nothing)
                        xp.reshape(values, (-1,) + rest)], axis=0)
    picked = xp.take(values, rows, axis=0)  # (a symbolic axis, one at most, among the mask's: Reshape's -1)
    shape = tuple(-1 if n is None else n for n in a.shape)
    return xp.where(_lifted(xp, mask, a.ndim), xp.reshape(picked, shape), a)


def _lifted(xp: Namespace, mask: Any, ndim: int) -> Any:
    """``mask`` with trailing axes of size 1 up to ``ndim`` axes, to broadcast against the array it selects from."""
    for _ in range(ndim - mask.ndim):
        mask = xp.expand_dims(mask, axis=-1)
    return mask


def _count(shape: tuple[Any, ...]) -> Any:
    """The number of elements of ``shape``; None where an axis is symbolic."""
    n = 1
    for size in shape:
        if size is None:
            return None
        n *= size
    return n


def _basic(index: Any, shape: tuple[int, ...]) -> tuple[Any, ...] | None:
    """``index`` as ints and positive-step slices the standard's setitem takes, or ``None`` if it has others."""
    parts = index if isinstance(index, tuple) else (index,)
    for i in parts:
        if not (i is Ellipsis or isinstance(i, slice) or (isinstance(i, numbers.Integral) and not isinstance(i, bool))):
            return None
    full = shape_ops._expand_ellipsis(parts, len(shape))
    positive, flips, symbolic = shape_ops._positive_steps(full, shape)
    if symbolic:
        raise ValueError(f"index: assignment into {_describe(index)}, bounded by the size of a symbolic axis (an ONNX "
                         f"export with dynamic_axes), is not recorded; write it with anynn.where over a mask of "
                         f"positions (anynn.arange(T) < k), or export with static shapes")
    return None if flips else positive


def _describe(index: Any) -> str:
    parts = index if isinstance(index, tuple) else (index,)
    return "x[" + ", ".join("..." if i is Ellipsis else str(i) if not isinstance(i, slice) else
                            ":".join("" if v is None else str(v) for v in (i.start, i.stop)) +
                            ("" if i.step is None else f":{i.step}") for i in parts) + "]"


def _basic_shape(index: tuple[Any, ...], shape: tuple[int, ...]) -> tuple[int, ...]:
    out: list[int | None] = []
    for i, n in zip(index, shape):
        if isinstance(i, slice):
            if n is None:  # a symbolic axis (an ONNX export): only the whole of it has a size the graph knows
                if i.start not in (None, 0) or i.stop is not None or i.step not in (None, 1):
                    raise ValueError(f"index: the slice {i} of an axis of symbolic size (an ONNX export with "
                                     f"dynamic_axes) has a size the graph has only when it runs")
                out.append(None)
                continue
            out.append(len(range(*i.indices(n))))
    return tuple(out)


def _fit(xp: Namespace, values: Any, shape: tuple[int, ...], dtype: Any, region: Any = None) -> Any:
    """``values`` cast to ``dtype`` and broadcast to ``shape`` (leading axes of size 1 dropped, as PyTorch allows).

    A symbolic size in ``shape`` (``None``, an ONNX export) is that of ``region`` (the array being written, of
    ``shape``): the values broadcast against it in a ``where`` that never picks it."""
    if values.dtype != dtype:
        values = xp.astype(values, dtype)
    vshape = tuple(values.shape)
    while len(vshape) > len(shape) and vshape[0] == 1:
        vshape = vshape[1:]
    if vshape != tuple(values.shape):
        values = xp.reshape(values, vshape)
    if vshape == shape:
        return values
    if None in shape and region is not None:
        return xp.where(xp.zeros((1,) * len(shape), dtype=xp.bool, device=device(region)), region, values)
    return xp.broadcast_to(values, shape)


def scatter_last(xp: Namespace, flat: Any, positions: Any, values: Any) -> Any:
    """A new 1-D array: ``flat`` with ``values[k]`` at ``positions[k]``; of repeated positions the last write wins.

    Standard only, no setitem: sort the positions (stably), find for every slot its last writer with
    ``searchsorted``, and pick with ``where``.
    """
    k = positions.shape[0]
    if k == 0:
        return flat
    order = xp.argsort(positions, stable=True)
    ordered = xp.take(positions, order, axis=0)
    slots = xp.arange(flat.shape[0], dtype=positions.dtype, device=device(flat))
    last = xp.searchsorted(ordered, slots, side="right") - 1
    safe = xp.clip(last, 0, k - 1)
    hit = (last >= 0) & (xp.take(ordered, safe, axis=0) == slots)
    return xp.where(hit, xp.take(values, xp.take(order, safe, axis=0), axis=0), flat)


def put(xp: Namespace, a: Any, target: Target, values: Any, inplace: bool) -> Any:
    """``a`` with ``a[index] = values`` (values broadcast to ``a[index]``): written into ``a`` itself when
    ``inplace`` and the array is writeable, else into a new array (``a`` untouched)."""
    writeable = is_writeable(a)
    if target.basic is not None and writeable:
        out = a if inplace else xp.asarray(a, copy=True)
        selected = _basic_shape(target.basic, tuple(a.shape))
        out[target.basic] = _fit(xp, values, selected, a.dtype, out[target.basic] if None in selected else None)
        return out
    if target.mask is not None and _count(tuple(values.shape)) == 1:  # x[mask] = v: a where, which every array (a
        # JAX or a recorded one: no positions that depend on the mask's values) writes, as PyTorch's masked_fill_
        value = xp.reshape(values if values.dtype == a.dtype else xp.astype(values, a.dtype), ())
        new = xp.where(_lifted(xp, target.mask, a.ndim), value, a)
        if inplace and writeable:
            write_all(a, new)
            return a
        return new
    if target.along is not None and None in tuple(a.shape):  # x[:, idx] = v under a symbolic axis (an ONNX export)
        return _put_along(xp, a, target, values)
    if target.mask is not None and tuple(a.shape).count(None) <= 1 and None not in tuple(a.shape)[target.mask.ndim:] \
            and (None in tuple(a.shape) or None in tuple(target.positions.shape)):  # (a recorded mask's count)
        return _put_masked_rows(xp, a, target.mask, values)
    positions = target.positions
    fitted = _fit(xp, values, tuple(positions.shape), a.dtype)
    flat_positions = xp.reshape(positions, (-1,))
    if inplace and writeable and flat_positions.shape[0] == 0:
        return a  # nothing selected (an all-False mask): no write (writing a view of a strided a into it is refused)
    new = scatter_last(xp, xp.reshape(a, (-1,)), flat_positions, xp.reshape(fitted, (-1,)))
    new = xp.reshape(new, tuple(a.shape))
    if inplace and writeable:
        write_all(a, new)  # keep the array (and views of it) the same object, as PyTorch's in-place write does
        return a
    return new


class IndexPut(Function):
    """``out = a; out[index] = v``: the gradient reaches ``a`` except where overwritten, and ``v`` summed over
    its broadcast (``torch.Tensor.index_put`` / ``CopySlices``)."""

    target: Target
    # the backward reads the index and v's shape, no value of a or v: an input changed in place after the write (v
    # a view of a, as masked_scatter_(mask, a[3:]) reads one) is no value it needs (PyTorch's CopySlices saves none)
    reads_no_input_values = True

    def forward(self, xp: Namespace, a: Any, v: Any) -> Any:
        self.v_shape = tuple(v.shape)
        return put(xp, a, self.target, v, inplace=False)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        need_a, need_v = self.needs_input_grad
        grad_a = grad_v = None
        if need_a:
            grad_a = put(xp, g, self.target, xp.zeros((), dtype=g.dtype, device=device(g)), inplace=False)
        if need_v:
            if self.target.mask is not None and _count(self.v_shape) == 1:  # (the where `put` wrote)
                picked = xp.where(_lifted(xp, self.target.mask, g.ndim), g, xp.zeros_like(g))
                grad_v = xp.reshape(xp.sum(picked), self.v_shape)
            else:
                grad_v = sum_to_shape(xp, self.target.read(xp, g), self.v_shape)
        return grad_a, grad_v


def _value_array(x: Tensor, value: Any) -> Any:
    """The assigned value as a Tensor (kept in the graph) or a native array of ``x``'s backend and dtype."""
    be = x.backend
    if isinstance(value, Tensor):
        array_on_backend(value, be, "item assignment", "the value", "the tensor")
        return value if value.dtype == x.dtype else value.astype(x.array.dtype)
    if be.is_native(value):
        return make_tensor(be.xp.astype(value, x.array.dtype), be, None, 0)
    if isinstance(value, (numbers.Number, bool)):  # (converted as PyTorch's fill: NaN into int64 is its RuntimeError)
        value = integer_fill(be.xp, x.array.dtype, value, "item assignment", wrapped=True)
        return make_tensor(be.xp.asarray(value, dtype=x.array.dtype, device=be.device), be, None, 0)
    from ..backend import host_array, is_host_array

    if not is_host_array(value):  # (None filled NaN, a list was read as an array, a str raised NumPy's ValueError)
        raise TypeError(f"can't assign a {type(value).__name__} to a tensor of dtype {dtype_name(x.dtype)}, as in "
                        f"PyTorch; give a number or a tensor (anynn.tensor(...))")
    return make_tensor(be.asarray(host_array(value, None), x.array.dtype), be, None, 0)


def _refuse_byte_mask_fill(index: Any, value: Any) -> None:
    """PyTorch fills ``x[mask] = v`` (the mask the one tensor of the index, beside ints, slices and ``...``; ``v``
    one element) with ``masked_fill_``, which refuses a uint8 mask (old RL code's ByteTensor masks): so does
    anynn. A value of more elements, or a mask beside another index tensor, goes on as a deprecated mask."""
    parts = index if isinstance(index, tuple) else (index,)
    arrays = [i for i in parts if not (i is None or i is Ellipsis or isinstance(i, (slice, numbers.Integral)))]
    if len(arrays) != 1 or not isinstance(arrays[0], Tensor) or dtype_name(arrays[0].dtype) != "uint8":
        return
    if isinstance(value, (bool, int, float, complex)) or (isinstance(value, Tensor) and value.numel() == 1):
        raise UnsupportedDTypeError("masked_fill_ only supports boolean masks, but got mask with dtype unsigned char")


def setitem(x: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value`` with PyTorch's rules: every index ``x[index]`` reads (ints, slices, ``...``,
    ``None``, integer and boolean arrays); ``value`` a number or a tensor broadcastable to ``x[index]``.

    Inside a graph ``x`` becomes the output of an `IndexPut` node; a leaf that requires grad refuses, as in PyTorch.
    A bare ``False`` selects nothing and changes nothing, as PyTorch's (no node, no check of the value's shape).
    """
    if index is False and isinstance(value, (Tensor, bool, int, float, complex)):
        return
    _refuse_byte_mask_fill(index, value)
    refuse_inplace(x, "item assignment")
    recording = mode.is_grad_enabled()
    if recording and x._ctx is None and x._requires_grad:
        raise RuntimeError("a leaf Variable that requires grad is being used in an in-place operation.")
    v = _value_array(x, value)
    target = Target(x.backend, x.shape, index)
    if target.mask is None or _count(tuple(v.shape)) != 1:  # (one element fills any selection: no count needed)
        selected = target.selected_shape
        given = tuple(v.shape)
        while len(given) > len(selected) and given[0] == 1:  # PyTorch drops leading ones of the value
            given = given[1:]
        if len(given) > len(selected) or any(g not in (1, s) for g, s in zip(given[::-1], selected[::-1])
                                              if s is not None and g is not None):  # (None: a symbolic axis, as
            # the graph runs; a value's x[:2] of one is 2 or 1 there, as the eager check of dynamic_axes saw)
            raise InvalidValueError(f"shape mismatch: value tensor of shape {tuple(v.shape)} cannot be broadcast "
                                    f"to indexing result of shape {selected}")
    if recording and (x._requires_grad or v._requires_grad):
        from ..autograd.views import refresh_views, view_root
        from .inplace import refuse_piece_of_split, write_back_to_base

        refuse_piece_of_split(x, "item assignment")
        if view_root(v) is view_root(x):  # x[i] += a hands x's own view back (t = x[i]; t += a; x[i] = t): written
            v = v.clone()  # as a copy, which refreshing x's views leaves alone (the view is taken again below)
        view_of = x._ctx
        old = make_tensor(x.array, x.backend, x._ctx, x._index)
        old._requires_grad = x._requires_grad
        out = IndexPut.apply(old, v, target=target)
        x.array, x._ctx, x._index, x._requires_grad = out.array, out._ctx, out._index, True
        mark_modified(x)
        note_new_producer(x, old)
        write_back_to_base(view_of, x)  # x a view of another tensor (x = y[0]; x[1] = v): y changes too
        refresh_views(x)  # and views of x (v = x[1:]) see the change
    else:
        # written into the array of a leaf (a view's source, sharing it, sees the change); a tensor that a Function
        # made takes a new array (that Function may have saved the old one), which its source is then given
        before = x.array
        x.array = put(x.backend.xp, before, target, v.array, inplace=x._ctx is None)
        mark_modified(x)
        from ..autograd.views import copy_holding, refresh_after_change
        from .inplace import write_back_to_base

        holder = copy_holding(x) if x.array is before else None
        if x.array is not before:
            write_back_to_base(x._ctx, x)
        elif holder is not None:  # a copy along x's chain of views (x = y.diagonal()[1:]) passes the change on
            write_back_to_base(holder[1], holder[0])
        refresh_after_change(x, x.array is not before)


# -- gather / scatter along one dimension --------------------------------------------------------------
def _gather_flat(xp: Namespace, a: Any, positions: Any) -> Any:
    picked = xp.take(xp.reshape(a, (-1,)), xp.reshape(positions, (-1,)), axis=0)
    return xp.reshape(picked, tuple(positions.shape))


class Gather(Function):
    """``out[i][j][k] = a[i][index[i][j][k]][k]`` (along ``dim``); the gradient scatter-adds back."""

    dim: int

    def forward(self, xp: Namespace, a: Any, index: Any) -> Any:
        self.shape = tuple(a.shape)
        self.positions = _dim_positions(xp, index, self.shape, self.dim)
        return _gather_flat(xp, a, self.positions)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, None]:
        n = 1
        for s in self.shape:
            n *= s
        flat = op(self.backend, "scatter_add")(xp.reshape(self.positions, (-1,)), xp.reshape(g, (-1,)), n)
        return xp.reshape(flat, self.shape), None


def add_into(xp: Namespace, base: Any, added: Any) -> Any:
    """``base + added``; for booleans a logical or, as PyTorch adds them (the standard refuses ``+`` of booleans)."""
    return base | added if xp.isdtype(base.dtype, "bool") else base + added


class Scatter(Function):
    """``out = a`` with ``src`` entries written at ``index`` along ``dim`` (``add``: added, duplicates summing).

    Only the part of ``src`` that ``index`` covers is read (as in PyTorch); the rest gets no gradient.
    """

    dim: int
    add: bool

    def forward(self, xp: Namespace, a: Any, index: Any, src: Any) -> Any:
        self.positions = xp.reshape(_dim_positions(xp, index, tuple(a.shape), self.dim), (-1,))
        self.index_shape = tuple(index.shape)
        self.src_shape = tuple(src.shape)
        if src.ndim == 0:
            values = xp.broadcast_to(xp.astype(src, a.dtype), self.index_shape)
        else:
            values = src[tuple(slice(0, n) for n in self.index_shape)]
        flat, values = xp.reshape(a, (-1,)), xp.reshape(values, (-1,))
        if self.add:
            out = add_into(xp, flat, op(self.backend, "scatter_add")(self.positions, values, flat.shape[0]))
        else:
            out = scatter_last(xp, flat, self.positions, values)
        return xp.reshape(out, tuple(a.shape))

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, None, Any]:
        need_a, _, need_src = self.needs_input_grad
        flat = xp.reshape(g, (-1,))
        grad_a = grad_src = None
        if need_a:
            if self.add:
                grad_a = g
            else:
                zeros = xp.zeros(self.positions.shape, dtype=g.dtype, device=device(g))
                grad_a = xp.reshape(scatter_last(xp, flat, self.positions, zeros), tuple(g.shape))
        if need_src:
            picked = xp.reshape(xp.take(flat, self.positions, axis=0), self.index_shape)
            grad_src = _zero_pad(xp, picked, self.src_shape)
        return grad_a, None, grad_src


# -- wrappers with PyTorch's names and arguments ------------------------------------------------------


def _integer_index(name: str, x: Tensor, index: Any, dim: int | None = None) -> Any:
    """``index`` as a native integer array of ``x``'s backend, each value checked against ``x.shape[dim]``."""
    if not isinstance(index, Tensor):
        raise TypeError(f"{name}: index must be an integer anynn Tensor, got {type(index).__name__}")
    array_on_backend(index, x.backend, name, "the index", "the input")
    xp = x.backend.xp
    if not xp.isdtype(index.array.dtype, "integral"):
        raise UnsupportedDTypeError(f"{name}: index must hold integers (int64), got {index.dtype}")
    # a symbolic axis of an ONNX export has no bound to check against (onnxruntime checks the upper one as it runs)
    bound = x.shape[dim] if dim is not None and x.ndim else 1
    if dim is not None and 0 not in index.shape and bound is not None:
        check_range(x.backend, index.array, 0, bound,
                    f"{name}: index {{value}} is out of bounds for dim {dim} of size {bound}", IndexingError)
    return index.array


def _check_region(name: str, x: Tensor, index: Any, dim: int, other: str = "input") -> None:
    if index.ndim != x.ndim or any(i > n for a, (i, n) in enumerate(zip(index.shape, x.shape))
                                   if a != dim and i is not None and n is not None):  # (None: ONNX symbolic)
        # (PyTorch: RuntimeError 'Index tensor must have the same number of dimensions as input tensor')
        raise ShapeMismatchError(f"{name}: index of shape {tuple(index.shape)} must have the {other}'s number of "
                                 f"dimensions and be no larger than its shape {x.shape} outside dim {dim}")


def gather(input: Tensor, dim: int, index: Tensor, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    """Values of ``input`` along ``dim`` at ``index`` (``torch.gather``); output has ``index``'s shape.

    input: (*), index: integer, same number of dimensions, no larger than input outside ``dim``.
    """
    dim = checked_dim("gather", input, dim)
    idx = _integer_index("gather", input, index, dim)
    _check_region("gather", input, idx, dim)
    return Gather.apply(input, idx, dim=dim)


def _number_in(xp: Namespace, dtype: Any, value: Any) -> Any:
    """A Python number ``value`` as the Python type of ``dtype``'s kind (cut toward zero for integers, as PyTorch's
    scatter does; strict libraries refuse a float for an integer array); anything else unchanged."""
    if not isinstance(value, numbers.Number) or isinstance(value, bool):
        return value
    if xp.isdtype(dtype, "bool"):
        return bool(value)
    return int(value.real) if xp.isdtype(dtype, "integral") else value


def _scatter(name: str, input: Tensor, dim: int, index: Tensor, src: Any, add: bool) -> Tensor:  # noqa: A002
    dim = checked_dim(name, input, dim)
    idx = _integer_index(name, input, index, dim)
    _check_region(name, input, idx, dim)
    xp = input.backend.xp
    if isinstance(src, Tensor):
        if src.ndim != idx.ndim or any(i > n for i, n in zip(idx.shape, src.shape) if i is not None and n is not None):
            raise ShapeMismatchError(f"{name}: src of shape {src.shape} must cover index's shape {tuple(idx.shape)}")
        check_one_backend(name, input, src)
        if src.dtype != input.dtype:
            raise DTypeMismatchError(f"{name}: src has dtype {src.dtype}, the input {input.dtype}; they must match")
    else:
        check_one_backend(name, input, src)  # (a number, or an array of the input's backend: not a host copy)
        src = xp.asarray(_number_in(xp, input.array.dtype, src), dtype=input.array.dtype, device=input.backend.device)
    return Scatter.apply(input, idx, src, dim=dim, add=add)


def scatter(input: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,  # noqa: A002
            reduce: str | None = None) -> Tensor:
    """``input`` with ``src[i][j][k]`` written at ``[i][index[i][j][k]][k]`` (``torch.scatter``); ``src`` may be
    a number (or give ``value=``). ``reduce="add"`` adds instead, ``reduce="multiply"`` multiplies the input's
    entries by what lands on them; of repeated positions the last write wins."""
    if src is None:
        src = value
    if src is None:
        raise TypeError("scatter: give src (a tensor or a number) or value=")
    if reduce not in (None, "add", "multiply"):
        raise RuntimeError(f"scatter: reduce argument must be either add or multiply, got {reduce!r} "
                           "(see scatter_reduce for sum, prod, mean, amax and amin)")
    if reduce == "multiply":
        return _scatter_multiply(input, dim, index, src)
    return _scatter("scatter", input, dim, index, src, reduce == "add")


def _scatter_multiply(input: Tensor, dim: int, index: Tensor, src: Any) -> Tensor:  # noqa: A002
    """``scatter(reduce="multiply")``: scatter_reduce's product with the input's own entries (a number ``src``
    lands as a tensor of index's shape in the input's dtype)."""
    if not isinstance(src, Tensor):
        check_one_backend("scatter", input, src)
        idx = _integer_index("scatter", input, index, checked_dim("scatter", input, dim))
        xp = input.backend.xp
        value = xp.asarray(_number_in(xp, input.array.dtype, src), dtype=input.array.dtype, device=input.backend.device)
        src = make_tensor(xp.broadcast_to(value, tuple(idx.shape)), input.backend, None, 0)
    elif src.dtype != input.dtype:
        raise DTypeMismatchError(f"scatter: src has dtype {src.dtype}, the input {input.dtype}; they must match")
    return scatter_reduce(input, dim, index, src, "prod", include_self=True)


def scatter_add(input: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:  # noqa: A002
    """``input`` plus ``src`` added at ``index`` along ``dim``; repeated positions add (``torch.scatter_add``)."""
    return _scatter("scatter_add", input, dim, index, src, True)


def index_select(input: Tensor, dim: int, index: Tensor) -> Tensor:  # noqa: A002
    """The entries ``index`` (1-D integers) of ``input`` along ``dim``; repeated entries add gradients."""
    dim = checked_dim("index_select", input, dim)
    if input.ndim == 0:  # a number: PyTorch's one index 0 gives it back (its own (1,) row)
        if index.numel() != 1:
            raise RuntimeError(f"index_select(): Index to scalar can have only 1 value, got {index.numel()} value(s)")
        return index_select(input.reshape(1), 0, index.reshape(1)).reshape(())
    idx = _integer_index("index_select", input, index, dim)
    if idx.ndim > 1:
        raise IndexingError(f"index_select(): Index is supposed to be a vector (1-D or 0-d), got shape "
                            f"{tuple(idx.shape)}")  # (PyTorch's IndexError)
    idx = input.backend.xp.reshape(idx, (-1,))
    return shape_ops.index(input, (slice(None),) * dim + (make_tensor(idx, input.backend, None, 0),))


def take(input: Tensor, index: Tensor) -> Tensor:  # noqa: A002
    """The entries of ``input`` read as a flat 1-D tensor at the integer ``index`` (``torch.take``).

    input: (*), index: (*I) integers in ``[-input.numel(), input.numel())`` (negative counts from the end)
    → (*I); repeated entries add gradients.
    """
    idx = _integer_index("take", input, index)
    xp = input.backend.xp
    if idx.dtype != xp.int64:  # (PyTorch's take wants int64 indices, as its index_select does not)
        raise RuntimeError(f"take(): expected an int64 index tensor, got {dtype_name(idx.dtype)}")
    count = input.numel()
    if idx.size:
        check_range(input.backend, idx, -count, count,
                    f"take: index {{value}} is out of range for a tensor of {count} elements")
    idx = xp.where(idx < 0, idx + count, idx)
    return shape_ops.index(shape_ops.reshape(input, (-1,)), make_tensor(idx, input.backend, None, 0))


def masked_select(input: Tensor, mask: Any) -> Tensor:  # noqa: A002
    """The entries of ``input`` where the boolean ``mask`` holds (both broadcast), as a 1-D tensor."""
    require_tensor("masked_select", input, "input", 1)
    require_tensor("masked_select", mask, "mask", 2)
    check_one_backend("masked_select", input, mask)
    xp = input.backend.xp
    mask_data = mask.array if isinstance(mask, Tensor) else mask
    if not xp.isdtype(mask_data.dtype, "bool"):
        raise UnsupportedDTypeError(f"masked_select: the mask must be boolean, got {mask_data.dtype}")
    if broadcast_shapes(tuple(input.shape), tuple(mask_data.shape)) is None:
        raise ValueError(f"masked_select: the mask of shape {tuple(mask_data.shape)} does not broadcast with the "
                         f"input of shape {tuple(input.shape)}")
    shape = broadcast_shapes(tuple(input.array.shape), tuple(mask_data.shape))  # (ndonnx's broadcast_arrays forgets
    full = expand(input, shape) if tuple(input.array.shape) != shape else input  # the static sizes beside a symbolic
    selector = mask_data if tuple(mask_data.shape) == shape else xp.broadcast_to(mask_data, shape)  # axis)
    if shape == ():  # a 0-d boolean index is not portable: select from one element instead
        full, selector = shape_ops.reshape(full, (1,)), xp.reshape(selector, (1,))
    return shape_ops.index(full, make_tensor(selector, input.backend, None, 0))


def one_hot(tensor: Tensor, num_classes: int = -1) -> Tensor:
    """int64 one-hot codes of int64 ``tensor`` (*) → (*, num_classes); ``-1``: one more than the largest value. Another
    dtype is refused, as PyTorch's."""
    require_tensor("one_hot", tensor)
    refuse_float_ints("one_hot", num_classes=num_classes)
    num_classes = python_ints(num_classes)
    if isinstance(tensor, Tensor) and dtype_name(tensor.dtype) != "int64":
        raise RuntimeError(f"one_hot is only applicable to index tensor of type LongTensor (got "
                           f"{dtype_name(tensor.dtype)}), as in PyTorch; cast it first (x.long())")
    if num_classes == -1:
        if tensor.backend.is_traced(tensor.array):
            raise NotImplementedError("one_hot: num_classes=-1 counts the classes from the largest value, which a "
                                      "recorded or traced tensor (an ONNX export's input) has only when the graph "
                                      "runs; pass num_classes")
        if not tensor.size:
            raise RuntimeError("one_hot: cannot infer the number of classes from an empty tensor; pass num_classes")
        num_classes = int(tensor.max().item()) + 1
    idx = _integer_index("one_hot", tensor, tensor)
    xp = tensor.backend.xp
    if 0 not in tensor.shape:  # not empty (a symbolic axis, None, is taken as not empty)
        check_range(tensor.backend, idx, 0, num_classes,
                    f"one_hot: class values must be in [0, {num_classes}), got {{value}}", error=RuntimeError)
    classes = xp.arange(num_classes, dtype=idx.dtype, device=tensor.backend.device)
    return make_tensor(xp.astype(idx[..., None] == classes, xp.int64), tensor.backend, None, 0)
