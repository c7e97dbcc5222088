"""Writing through index Tensors as PyTorch's ``index_add``, ``index_copy``, ``index_fill`` and ``index_put``, with
their in-place forms (``index_add_``... and ``scatter_``, ``scatter_add_``, ``scatter_reduce_``) on `Tensor`.

``index_add``/``index_copy`` are `indexing.Scatter` with the 1-D index spread over the source's shape (added:
duplicates sum; copied: the last write wins); ``index_fill`` writes a value under a mask of the named slices;
``index_put`` is item assignment (`indexing.IndexPut`) with a tuple of index Tensors, or, with ``accumulate``, a
scatter-add at the positions they name. The in-place forms run the same Functions through `inplace._update`
(version counter, leaf and dtype rules of the other in-place methods).
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor, make_tensor
from ..backend import dtype_name, op
from ..backend.arrays import integer_fill
from ..backend.symbolic import is_symbolic
from ..backend.typing import Namespace
from . import indexing
from .inplace import _itself, _update
from .scatter_reduce import IndexingError, index_array, scatter_reduce
from .torch_small_ops import broadcast_shapes
from .value_checks import array_on_backend, checked_dim


def _source(name: str, input: Tensor, dim: int, idx: Any, source: Any, scalar: bool) -> Tensor:  # noqa: A002
    """``source`` checked: a Tensor of ``input``'s backend and dtype, of ``input``'s shape but ``len(index)`` at
    ``dim`` (``scalar``: a 0-d source stands for one entry, as ``index_copy`` allows)."""
    if not isinstance(source, Tensor):
        raise TypeError(f"{name}: source must be an anynn Tensor, got {type(source).__name__}")
    array_on_backend(source, input.backend, name, "the source", "the input")
    if source.dtype != input.dtype:
        raise RuntimeError(f"{name}: the input has dtype {dtype_name(input.dtype)} and the source "
                           f"{dtype_name(source.dtype)}; they must match")
    count = idx.shape[0]
    if input.ndim == 0 and count != 1:
        raise RuntimeError(f"{name}: a 0-d input takes one index, got {count}")
    expected = tuple(count if d == dim else n for d, n in enumerate(input.shape))
    given = tuple(source.shape)  # (a None, a symbolic axis of an ONNX export: the graph checks it as it runs)
    if (len(given) != len(expected) or any(a != b and None not in (a, b) for a, b in zip(given, expected))) and \
            not (source.ndim == 0 and expected == (1,) and scalar):
        raise IndexingError(f"{name}: expected a source of shape {expected} (the input's {input.shape} with the "
                            f"{count} indices at dim {dim}), got {source.shape}")
    return source


def _vector(name: str, input: Tensor, dim: int, index: Any, dtypes: tuple[str, ...],  # noqa: A002
            negative: bool = False) -> Any:
    """``index`` as a checked 1-D native array (a 0-d index is one entry)."""
    bound = input.shape[dim] if input.ndim else 1
    idx = index_array(name, input, index, dtypes, bound, negative)
    if idx.ndim > 1:
        raise IndexingError(f"{name}: index must be a vector (or 0-d), got shape {tuple(idx.shape)}")
    return input.backend.xp.reshape(idx, (-1,))


def _along(input: Tensor, dim: int, idx: Any, source: Tensor) -> tuple[Tensor, Any, Tensor]:  # noqa: A002
    """``(input, index, source)`` for `indexing.Scatter`: the vector index spread over the source's shape (0-d
    operands as 1-element vectors)."""
    xp = input.backend.xp
    if input.ndim == 0:
        input = input.reshape(1)
    if source.ndim == 0:
        source = source.reshape(1)
    spread = xp.reshape(idx, tuple(-1 if d == dim else 1 for d in range(source.ndim)))
    if None in source.array.shape:  # a symbolic axis (ONNX export): broadcast against the source itself
        return input, xp.broadcast_arrays(spread, source.array)[0], source
    return input, xp.broadcast_to(spread, tuple(source.shape)), source


def _shaped(out: Tensor, input: Tensor) -> Tensor:  # noqa: A002
    return out if input.ndim else out.reshape(())


def index_add(input: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:  # noqa: A002
    """``input`` with ``alpha * source`` added into the slices ``index`` names along ``dim``; repeated indices add
    (``torch.index_add``). index: int64 or int32 vector of ``source.shape[dim]`` entries; source: input's shape
    and dtype except ``len(index)`` at ``dim``."""
    name = "index_add"
    dim = checked_dim(name, input, dim)
    idx = _vector(name, input, dim, index, ("int64", "int32"))
    source = _source(name, input, dim, idx, source, scalar=False)
    if alpha != 1:
        if input.backend.xp.isdtype(input.array.dtype, "integral"):
            alpha = int(alpha)  # PyTorch cuts the factor to the integer dtype first
        source = source * alpha
    target, spread, src = _along(input, dim, idx, source)
    return _shaped(indexing.Scatter.apply(target, spread, src, dim=dim, add=True), input)


def index_copy(input: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """``input`` with the slices ``index`` names along ``dim`` replaced by those of ``source``
    (``torch.index_copy``; of repeated indices the last write wins). index: int64 vector of
    ``source.shape[dim]`` entries; source: input's shape and dtype except ``len(index)`` at ``dim``."""
    name = "index_copy"
    dim = checked_dim(name, input, dim)
    idx = _vector(name, input, dim, index, ("int64",))
    source = _source(name, input, dim, idx, source, scalar=True)
    target, spread, src = _along(input, dim, idx, source)
    return _shaped(indexing.Scatter.apply(target, spread, src, dim=dim, add=False), input)


class IndexFill(Function):
    """``out = where(mask, value, a)``: ``mask`` (boolean, broadcast against ``a``) marks the filled slices.

    Gradients: ``a`` gets ``g`` outside the mask; the 0-d ``value`` the sum of ``g`` inside it (each filled slice
    once, however often the index names it, as in PyTorch).
    """

    def forward(self, xp: Namespace, a: Any, mask: Any, value: Any) -> Any:
        self.mask, self.value_dtype = mask, value.dtype
        return xp.where(mask, xp.astype(value, a.dtype), a)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, None, Any]:
        need_a, _, need_value = self.needs_input_grad
        zero = xp.zeros((), dtype=g.dtype, device=self.backend.device)
        grad_a = xp.where(self.mask, zero, g) if need_a else None
        grad_value = None
        if need_value:
            grad_value = xp.sum(xp.where(self.mask, g, zero))
            if grad_value.dtype != self.value_dtype:
                grad_value = xp.astype(grad_value, self.value_dtype)
        return grad_a, None, grad_value


def index_fill(input: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:  # noqa: A002
    """``input`` with the slices ``index`` names along ``dim`` set to ``value`` (``torch.index_fill``).

    index: int64 vector (negative entries count from the end); value: a number or a 0-d Tensor (cast to the
    input's dtype; a Tensor that requires grad gets the sum of the gradient over the filled slices).
    """
    name = "index_fill"
    dim = checked_dim(name, input, dim)
    idx = _vector(name, input, dim, index, ("int64",), negative=True)
    be, xp = input.backend, input.backend.xp
    size = input.array.shape[dim] if input.ndim else 1
    if isinstance(value, Tensor):
        array_on_backend(value, be, name, "the value", "the input")
        if value.ndim != 0:
            raise RuntimeError(f"{name}: the value must be a number or a 0-d tensor, got a tensor of shape "
                               f"{value.shape}")
    elif isinstance(value, numbers.Number):
        value = make_tensor(xp.asarray(_number_as(xp, input.array.dtype, value), dtype=input.array.dtype,
                                        device=be.device), be, None, 0)
    else:
        raise TypeError(f"{name}: the value must be a number or a 0-d anynn Tensor, got {type(value).__name__}")
    if size is None:  # a symbolic axis (an ONNX export): its size, read when the graph runs
        size = be.symbolic_shape(input.array)[dim]
    wrapped = xp.where(idx < 0, idx + (size.array if is_symbolic(size) else size), idx)
    slots = xp.arange(size, dtype=idx.dtype, device=be.device)
    mask = xp.any(wrapped[:, None] == slots[None, :], axis=0)  # (size,): the slices the index names
    mask = xp.reshape(mask, tuple(-1 if d == dim else 1 for d in range(input.ndim)))
    return IndexFill.apply(input, mask, value)


def _number_as(xp: Namespace, dtype: Any, value: Any) -> Any:
    """``value`` as the Python type of ``dtype``'s kind (integers cut toward zero, as PyTorch's fill does)."""
    if xp.isdtype(dtype, "bool"):
        return bool(value)
    # (a float beyond a floating dtype's range, 1e40 into float32, is PyTorch's RuntimeError too)
    return integer_fill(xp, dtype, int(value) if xp.isdtype(dtype, "integral") else value, "index_fill")


class IndexPutAccumulate(Function):
    """``out = a`` with ``v`` (broadcast to ``a[indices]``) added at the positions ``indices`` name; repeated
    positions add. Gradients: ``a`` gets ``g``; ``v`` gets ``g[indices]`` summed over its broadcast."""

    target: indexing.Target

    def forward(self, xp: Namespace, a: Any, v: Any) -> Any:
        self.v_shape = tuple(v.shape)
        positions = self.target.positions
        values = xp.reshape(xp.broadcast_to(v, tuple(positions.shape)), (-1,))
        added = op(self.backend, "scatter_add")(xp.reshape(positions, (-1,)), values, math.prod(a.shape))
        return indexing.add_into(xp, a, xp.reshape(added, tuple(a.shape)))

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        need_a, need_v = self.needs_input_grad
        grad_v = sum_to_shape(xp, self.target.read(xp, g), self.v_shape) if need_v else None
        return (g if need_a else None), grad_v


def index_put(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """``input`` with ``input[indices] = values`` (``accumulate``: ``+=``, repeated positions adding), as
    ``torch.index_put``.

    indices: a tuple (or list) of index Tensors, one per leading dimension: integer (negative entries count from
    the end) or boolean masks; values: input's dtype, broadcastable to ``input[indices]``'s shape.
    """
    name = "index_put"
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"{name}: indices must be a tuple of Tensors, got {type(indices).__name__}")
    be, axis = input.backend, 0
    for i in indices:
        if not isinstance(i, Tensor):
            raise TypeError(f"{name}: indices must be anynn Tensors, got {type(i).__name__}")
        data = array_on_backend(i, be, name, "an index", "the input")
        if not be.xp.isdtype(data.dtype, ("integral", "bool")):
            raise IndexingError(f"{name}: index tensors must hold integers or booleans, got {dtype_name(data.dtype)}")
        is_mask = be.xp.isdtype(data.dtype, "bool") or dtype_name(data.dtype) == "uint8"
        width = data.ndim if is_mask else 1
        if axis + width > input.ndim:
            raise IndexingError(f"{name}: too many indices for a tensor of shape {input.shape}")
        if not is_mask:
            index_array(name, input, i, (dtype_name(data.dtype),), input.shape[axis], negative=True)
        axis += width
    if not isinstance(values, Tensor):
        raise TypeError(f"{name}: values must be an anynn Tensor, got {type(values).__name__}")
    array_on_backend(values, be, name, "the values", "the input")
    if values.dtype != input.dtype:
        raise RuntimeError(f"{name}: the input has dtype {dtype_name(input.dtype)} and the values "
                           f"{dtype_name(values.dtype)}; they must match")
    target = indexing.Target(be, input.shape, tuple(indices))
    shape = target.selected_shape
    vshape = tuple(values.shape)
    if len(vshape) > len(shape) or any(v not in (1, s) for v, s in zip(vshape[::-1], shape[::-1])):
        raise RuntimeError(f"{name}: shape mismatch: values of shape {vshape} cannot be broadcast to the indexed "
                           f"shape {shape}")
    if accumulate:
        return IndexPutAccumulate.apply(input, values, target=target)
    return indexing.IndexPut.apply(input, values, target=target)


def index_put_(input: Tensor, indices: Any, values: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """`index_put` in place: ``input`` itself, changed (``torch.index_put_``)."""
    return _update(input, "index_put_", lambda s: index_put(s, indices, _itself(s, input, values), accumulate), values)


def masked_scatter(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """``input`` with the positions where ``mask`` holds filled, in row-major order, by the first elements of
    ``source`` (``torch.masked_scatter``): `index_put` of ``source.reshape(-1)[:k]`` at the broadcast mask, so both
    gradients are index_put's (``input``: zero where the mask holds; ``source``: the gradient read back there).

    mask: boolean; ``input`` and ``mask`` broadcast together, as PyTorch's (in ``masked_scatter_`` the mask must
    broadcast to ``input.shape``); source: input's dtype, at least as many elements as the mask has true entries
    (counted on the host).
    """
    return _masked_scatter(input, mask, source, grow=True)


def _masked_scatter(input: Tensor, mask: Tensor, source: Tensor, grow: bool) -> Tensor:  # noqa: A002
    """`masked_scatter`; ``grow``: input and mask broadcast together (out of place), else the mask to the input."""
    name = "masked_scatter" if grow else "masked_scatter_"
    be = input.backend
    if not isinstance(mask, Tensor) or not isinstance(source, Tensor):
        raise TypeError(f"{name}: mask and source must be anynn Tensors, got {type(mask).__name__} and "
                        f"{type(source).__name__}")
    data = array_on_backend(mask, be, name, "the mask", "the input")
    if not be.xp.isdtype(data.dtype, "bool"):
        raise RuntimeError(f"{name}: only supports boolean masks, but got mask with dtype {dtype_name(data.dtype)}")
    array_on_backend(source, be, name, "the source", "the input")
    if source.dtype != input.dtype:
        raise RuntimeError(f"{name}: expected self and source to have same dtypes but got "
                           f"{dtype_name(input.dtype)} and {dtype_name(source.dtype)}")
    if be.is_traced(data):  # no count on the host (ONNX export, compiled step): each true entry reads its rank
        return _masked_scatter_traced(input, make_tensor(data, be, None, 0), source)
    shape = tuple(input.shape)
    try:
        if grow and None not in shape:  # (None: a symbolic axis of an ONNX export, left to broadcast_to)
            shape = tuple(broadcast_shapes(tuple(data.shape), shape))
        full = be.xp.broadcast_to(data, shape)
    except (ValueError, RuntimeError):  # (NumPy's and PyTorch's refusals)
        raise RuntimeError(f"{name}: the mask of shape {tuple(data.shape)} does not broadcast to the input's shape "
                           f"{tuple(input.shape)}") from None
    if shape != tuple(input.shape):  # a mask of more or longer axes: the input expanded to the joint shape
        input = input.expand(shape)
    count = int(be.xp.sum(be.xp.astype(full, be.xp.int64)))
    if count > source.numel():
        raise RuntimeError(f"{name}: Number of elements of source < number of ones in mask ({source.numel()} < "
                           f"{count})")
    return index_put(input, (make_tensor(full, be, None, 0),), source.reshape(-1)[:count])


def _masked_scatter_traced(input: Tensor, mask: Tensor, source: Tensor) -> Tensor:  # noqa: A002
    """`masked_scatter` where the mask has no values yet: the k-th true entry in row-major order reads
    ``source.reshape(-1)[k]`` (its rank: the running count of true entries, minus one), a false one keeps input's
    value; a source shorter than the count fails when the graph runs (Gather's bounds)."""
    from ..factories import zeros_like

    mask = mask.logical_or(zeros_like(input, dtype="bool"))  # broadcast by the graph (input's axes may be symbolic)
    flat = mask.reshape(-1)
    rank = (flat.long().cumsum(0) - 1).clamp(min=0)
    picked = source.reshape(-1)[rank].reshape(tuple(input.shape))
    return input.where(mask.logical_not(), picked)


def masked_scatter_(self: Tensor, mask: Tensor, source: Tensor) -> Tensor:
    """`masked_scatter` in place."""
    return _update(self, "masked_scatter_", lambda s: _masked_scatter(s, mask, _itself(s, self, source), grow=False),
                   source)


def index_add_(self: Tensor, dim: int, index: Tensor, source: Tensor, *, alpha: Any = 1) -> Tensor:
    """`index_add` in place."""
    return _update(self, "index_add_", lambda s: index_add(s, dim, index, _itself(s, self, source), alpha=alpha),
                   source)


def index_copy_(self: Tensor, dim: int, index: Tensor, source: Tensor) -> Tensor:
    """`index_copy` in place."""
    return _update(self, "index_copy_", lambda s: index_copy(s, dim, index, _itself(s, self, source)), source)


def index_fill_(self: Tensor, dim: int, index: Tensor, value: Any) -> Tensor:
    """`index_fill` in place."""
    return _update(self, "index_fill_", lambda s: index_fill(s, dim, index, value), value)


def scatter_reduce_(self: Tensor, dim: int, index: Tensor, src: Tensor, reduce: str, *,
                    include_self: bool = True) -> Tensor:
    """`scatter_reduce` in place."""
    return _update(self, "scatter_reduce_",
                   lambda s: scatter_reduce(s, dim, index, _itself(s, self, src), reduce, include_self=include_self),
                   src)


def scatter_(self: Tensor, dim: int, index: Tensor, src: Any = None, *, value: Any = None,
             reduce: str | None = None) -> Tensor:
    """`indexing.scatter` in place (``x.scatter_(1, labels, 1.0)`` writes a one-hot code)."""
    return _update(self, "scatter_",
                   lambda s: indexing.scatter(s, dim, index, _itself(s, self, src), value=value, reduce=reduce),
                   src if src is not None else value)


def scatter_add_(self: Tensor, dim: int, index: Tensor, src: Tensor) -> Tensor:
    """`indexing.scatter_add` in place."""
    return _update(self, "scatter_add_", lambda s: indexing.scatter_add(s, dim, index, _itself(s, self, src)), src)


METHODS: dict[str, Any] = {
    "index_add": index_add, "index_add_": index_add_, "index_copy": index_copy, "index_copy_": index_copy_,
    "index_fill": index_fill, "index_fill_": index_fill_, "index_put": index_put, "index_put_": index_put_,
    "scatter_reduce": scatter_reduce, "scatter_reduce_": scatter_reduce_, "scatter_": scatter_,
    "scatter_add_": scatter_add_, "masked_scatter": masked_scatter, "masked_scatter_": masked_scatter_,
}

__all__ = ["index_add", "index_copy", "index_fill", "index_put", "index_put_", "masked_scatter", "scatter_reduce"]
