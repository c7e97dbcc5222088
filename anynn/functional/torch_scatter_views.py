"""PyTorch's out-of-place writes through a view (``select_scatter``, ``slice_scatter``, ``diagonal_scatter``,
``as_strided_scatter``), flat writes (``put``), ``index_reduce`` and ``as_strided``, each as one index computation
and an existing differentiable index op.

The positions a view covers are found by taking the same view of ``arange(numel).reshape(shape)``: its elements are
the flat positions, in the view's order. Writing ``src`` there is ``index_copy`` on the flattened input (the input's
gradient is zero at the written positions, ``src``'s is the gradient read there), reading is ``take``.

``as_strided`` reads the elements a strided view of the input's row-major storage would: a copy with the view's
values and gradient (overlapping windows accumulate), not a view, since anynn's arrays are not strided memory
(JAX's and array_api_strict's cannot be viewed at all); writing through it does not reach the input.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Callable

import math
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name, op
from ..backend.arrays import device_of as device
from ..backend.typing import Namespace
from .index_writes import index_add, index_copy, scatter_reduce
from .scatter_reduce import IndexingError
from .value_checks import refuse_kernel


def _positions(x: Tensor, view: Callable[[Tensor], Tensor]) -> Tensor:
    """The flat positions (int64) of the elements ``view`` selects from a tensor of ``x``'s shape, in view order."""
    flat = x.detach().new_ones((x.numel(),), dtype="int64").cumsum(0) - 1
    return view(flat.reshape(tuple(x.shape)))


def _write(op: str, input: Tensor, src: Tensor, view: Callable[[Tensor], Tensor]) -> Tensor:  # noqa: A002
    if not isinstance(input, Tensor) or not isinstance(src, Tensor):
        raise TypeError(f"{op}(): expected Tensors for input and src, got {type(input).__name__} and "
                        f"{type(src).__name__}")
    where = _positions(input, view)
    if tuple(where.shape) != tuple(src.shape):
        raise RuntimeError(f"{op}(): expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(where.shape)}")
    if src.dtype != input.dtype:  # written as copy_ writes: cast to the input's dtype (differentiably), as PyTorch
        if src.is_complex() and not input.is_complex():
            raise RuntimeError(f"{op}(): a complex src ({dtype_name(src.dtype)}) cannot be written into a real "
                               f"input ({dtype_name(input.dtype)}); take src.real or make the input complex")
        src = src.to(input.dtype)
    flat = index_copy(input.reshape(-1), 0, where.reshape(-1), src.reshape(-1))
    return flat.reshape(tuple(input.shape))


def select_scatter(input: Tensor, src: Tensor, dim: int, index: int) -> Tensor:  # noqa: A002
    """``torch.select_scatter``: ``input`` with ``input.select(dim, index)`` replaced by ``src`` (a new tensor)."""
    return _write("select_scatter", input, src, lambda t: t.select(dim, index))


def slice_scatter(input: Tensor, src: Tensor, dim: int = 0, start: int | None = None,  # noqa: A002
                  end: int | None = None, step: int = 1) -> Tensor:
    """``torch.slice_scatter``: ``input`` with ``input[..., start:end:step, ...]`` (along ``dim``) replaced by
    ``src``."""
    def view(t: Tensor) -> Tensor:
        axis = dim + t.ndim if dim < 0 else dim
        return t[(slice(None),) * axis + (slice(start, end, step),)]

    return _write("slice_scatter", input, src, view)


def diagonal_scatter(input: Tensor, src: Tensor, offset: int = 0, dim1: int = 0,  # noqa: A002
                     dim2: int = 1) -> Tensor:
    """``torch.diagonal_scatter``: ``input`` with ``input.diagonal(offset, dim1, dim2)`` replaced by ``src``."""
    return _write("diagonal_scatter", input, src, lambda t: t.diagonal(offset, dim1, dim2))


def as_strided_scatter(input: Tensor, src: Tensor, size: Sequence[int], stride: Sequence[int],  # noqa: A002
                       storage_offset: int | None = None) -> Tensor:
    """``torch.as_strided_scatter``: ``input`` with the elements ``input.as_strided(size, stride, storage_offset)``
    reads (of its row-major storage) replaced by ``src`` (shape ``size``); where windows overlap the last write wins
    and each ``src`` element still gets the gradient read at its position, as PyTorch's."""
    if any(int(n) > 1 and int(s) == 0 for n, s in zip(size, stride)):  # PyTorch's copy_ refuses a repeated target
        raise RuntimeError("as_strided_scatter(): unsupported operation: more than one element of the written-to "
                           f"tensor refers to a single memory location (size {list(size)}, stride {list(stride)}). "
                           "Please clone() the tensor before performing the operation.")
    return _write("as_strided_scatter", input, src, lambda t: as_strided(t, size, stride, storage_offset))


def put(input: Tensor, index: Tensor, source: Tensor, accumulate: bool = False) -> Tensor:  # noqa: A002
    """``torch.put``: ``input`` (as if flattened) with ``source`` written (or with ``accumulate`` added) at the flat
    positions ``index`` (negative ones count from the end); ``index`` and ``source`` have one number of elements."""
    if index.numel() != source.numel():
        raise IndexingError(f"put(): Expected source and index to have the same number of elements, but got source "
                            f"{source.numel()} and index {index.numel()}")
    n = input.numel()
    where = index.reshape(-1)
    where = where + (where < 0).to(where.dtype) * n
    write = index_add if accumulate else index_copy
    return write(input.reshape(-1), 0, where, source.reshape(-1)).reshape(tuple(input.shape))


def index_reduce(input: Tensor, dim: int, index: Tensor, source: Tensor, reduce: str, *,  # noqa: A002
                 include_self: bool = True) -> Tensor:
    """``torch.index_reduce``: slice ``i`` of ``source`` along ``dim`` reduced (``'prod'``, ``'mean'``, ``'amax'``,
    ``'amin'``) into slice ``index[i]`` of ``input``; ``scatter_reduce`` with ``index`` spread over ``source``."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or amin but got {reduce}.")
    if index.ndim != 1:
        raise IndexError(f"index_reduce(): Index is supposed to be a vector, got {index.ndim} dimensions")
    # (PyTorch's kernels without complex and bool versions; its 1-D path refuses them with include_self too)
    if not include_self:
        refuse_kernel("index_reduce", "index_reduce_func_exclude_input_init", ("complex floating", "bool"), input)
    refuse_kernel("index_reduce", "index_func_", ("complex floating",) if reduce in ("amax", "amin") else (), input)
    refuse_kernel("index_reduce", "div_floor_cpu", ("bool",) if reduce == "mean" else (), input)
    if input.ndim == 0 and source.ndim == 0:  # numbers: through their (1,) views, as PyTorch's
        return index_reduce(input.reshape(1), dim, index, source.reshape(1), reduce,
                            include_self=include_self).reshape(())
    axis = dim + source.ndim if dim < 0 else dim
    shape = [1] * source.ndim
    shape[axis] = index.shape[0]
    spread = index.reshape(shape).expand(tuple(source.shape))
    return scatter_reduce(input, dim, spread, source, reduce, include_self=include_self)


def as_strided(input: Tensor, size: Sequence[int], stride: Sequence[int],  # noqa: A002
               storage_offset: int | None = None) -> Tensor:
    """``torch.as_strided`` read from ``input``'s row-major storage: element ``(i0, i1, ...)`` of the result is
    storage element ``storage_offset + sum(ik * stride[k])``. A copy (see the module docstring); shape ``size``."""
    size, stride = [int(s) for s in size], [int(s) for s in stride]
    offset = 0 if storage_offset is None else int(storage_offset)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape: {len(stride)} strides for {len(size)} sizes")
    if any(s < 0 for s in size) or any(s < 0 for s in stride) or offset < 0:
        raise RuntimeError(f"as_strided: sizes, strides and storage_offset must be non-negative, got size={size}, "
                           f"stride={stride}, storage_offset={offset}")
    last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else offset - 1
    if last >= input.numel():
        raise RuntimeError(f"setStorage: sizes {size}, strides {stride}, storage offset {offset} reach element "
                           f"{last}, out of bounds for storage of {input.numel()} elements")
    return AsStrided.apply(input, size=tuple(size), stride=tuple(stride), offset=offset)


class AsStrided(Function):
    """a's row-major elements at ``offset + sum(i_k stride_k)``, of shape ``size``; repeated elements add in
    backward. Saves the geometry only, as PyTorch's AsStridedBackward saves no tensor (a second backward without
    retain_graph runs)."""

    size: tuple[int, ...]
    stride: tuple[int, ...]
    offset: int

    def _positions(self, xp: Namespace, like: Any) -> Any:
        """The flat positions read, (prod(size),) int64."""
        where = xp.full((1,) * len(self.size), self.offset, dtype=xp.int64, device=device(like))
        for k, (n, s) in enumerate(zip(self.size, self.stride)):
            shape = [1] * len(self.size)
            shape[k] = n
            where = where + xp.reshape(xp.arange(n, dtype=xp.int64, device=device(like)) * s, tuple(shape))
        return xp.reshape(xp.broadcast_to(where, self.size), (-1,))

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.in_shape = tuple(a.shape)
        return xp.reshape(xp.take(xp.reshape(a, (-1,)), self._positions(xp, a), axis=0), self.size)

    def backward(self, xp: Namespace, g: Any) -> Any:
        numel = math.prod(self.in_shape)
        positions = self._positions(xp, g)
        if positions.shape[0] == 0:  # nothing read: zeros, a function of g (as PyTorch's recorded gradient)
            return xp.zeros(self.in_shape, dtype=g.dtype, device=device(g)) + xp.sum(g) * 0.0
        flat = op(self.backend, "scatter_add")(positions, xp.reshape(g, (-1,)), numel)
        return xp.reshape(flat, self.in_shape)


__all__ = ["as_strided", "as_strided_scatter", "diagonal_scatter", "index_reduce", "put", "select_scatter",
           "slice_scatter"]
