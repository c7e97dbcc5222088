"""The strides a view would have in PyTorch, for libraries that show no layout (JAX, ndonnx).

PyTorch's ``reshape`` gives a view where the source's strides allow one and a copy elsewhere (a transposed source),
so a later in-place change of the source reaches the view or not. NumPy, CuPy and PyTorch tell which they made
(`anynn.backend.arrays.reshape_copied`); a JAX array has no strides. `reshape_is_copy` follows the chain of view
operations from a tensor back to the one it is a view of (a tensor with no view behind it counts as row-major, as
`Tensor.stride` presents every tensor) and applies PyTorch's rule to the strides that chain gives.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..backend.arrays import row_major, row_major_strides


def reshape_is_copy(source: Tensor, shape: Sequence[int]) -> bool:
    """Whether PyTorch's ``source.reshape(shape)`` copies, on a library that shows no layout (False where the
    library shows it: `reshape_copied` answered there, or where a size is symbolic)."""
    if row_major(source.array) is not None or not _concrete(tuple(source.shape)) or not _concrete(tuple(shape)):
        return False
    strides = view_strides(source)
    return strides is not None and view_strides_after_reshape(tuple(source.shape), strides, tuple(shape)) is None


def _concrete(shape: tuple[Any, ...]) -> bool:
    return all(type(n) is int for n in shape)


def view_strides(t: Tensor) -> tuple[int, ...] | None:
    """``t``'s strides in the tensor it is a view of (through reshape, permute, basic indexing, split: the view
    Functions that answer ``view_strides(source_strides, source_shape, shape)``), as PyTorch lays them out;
    row-major where ``t`` is no view; None where a view operation of the chain answers none, or a size is
    symbolic."""
    if not _concrete(tuple(t.shape)):  # a symbolic size (an ONNX export): no strides to follow
        return None
    fn = t.__dict__.get("_view_of", t._ctx)
    inputs = getattr(fn, "inputs", None)
    if not getattr(fn, "makes_view", False) or not inputs or not isinstance(inputs[0], Tensor):
        return row_major_strides(tuple(t.shape))
    follow = getattr(fn, "view_strides", None)
    if follow is None:
        return None
    source = view_strides(inputs[0])
    return None if source is None else follow(source, tuple(inputs[0].shape), tuple(t.shape))


def indexed_strides(source: tuple[int, ...], index: tuple[Any, ...]) -> tuple[int, ...] | None:
    """The strides after basic indexing by ``index`` (`GetItem`'s: ints, positive-step slices, None, one per
    axis)."""
    strides, axis = [], 0
    for i in index:
        if i is None:
            strides.append(1)  # a new axis of size 1: its stride is never read
        elif isinstance(i, slice):
            strides.append(source[axis] * (i.step or 1))
            axis += 1
        elif type(i) is int:
            axis += 1
        else:
            return None
    return tuple(strides)


def view_strides_after_reshape(shape: tuple[int, ...], strides: tuple[int, ...],
                               new_shape: tuple[int, ...]) -> tuple[int, ...] | None:
    """The strides of a view of ``shape`` elements laid out by ``strides`` read as ``new_shape``; None where no
    view can (PyTorch's ``computeStride``: each run of axes merged or split must be contiguous within itself)."""
    numel = math.prod(shape)
    if numel == 0 or not shape:
        return row_major_strides(new_shape)
    new_strides = [0] * len(new_shape)
    view_d = len(new_shape) - 1
    chunk_base = strides[-1]
    tensor_numel = view_numel = 1
    for d in range(len(shape) - 1, -1, -1):
        tensor_numel *= shape[d]
        if d == 0 or (shape[d - 1] != 1 and strides[d - 1] != tensor_numel * chunk_base):
            while view_d >= 0 and (view_numel < tensor_numel or new_shape[view_d] == 1):
                new_strides[view_d] = view_numel * chunk_base
                view_numel *= new_shape[view_d]
                view_d -= 1
            if view_numel != tensor_numel:
                return None
            if d > 0:
                chunk_base, tensor_numel, view_numel = strides[d - 1], 1, 1
    return tuple(new_strides) if view_d == -1 else None
