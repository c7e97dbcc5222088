"""PyTorch's NumPy-style builders, composed of differentiable primitives (reshape, expand, concat, stack, pad,
multiply, row gathers): ``atleast_1d/2d/3d``, ``hstack`` / ``vstack`` / ``row_stack`` / ``dstack`` /
``column_stack``, ``kron``, ``block_diag``, ``cartesian_prod`` and ``combinations``.

Each keeps PyTorch's signature and semantics; the gradients are those of the primitives they are made of.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from ..autograd.tensor import Tensor, make_tensor
from . import broadcast, shape
from .padding import pad
from .value_checks import refuse_single_tensor, require_tensor


def _tensors(op: str, tensors: tuple[Any, ...]) -> tuple[list[Tensor], bool]:
    """The tensors of ``op(t)``, ``op(t1, t2...)`` or ``op([t1, t2...])``, and whether one came bare."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
        single = False
    else:
        single = len(tensors) == 1
    for t in tensors:
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): expected Tensors, got {type(t).__name__}")
    return list(tensors), single


def _at_least(op: str, tensors: tuple[Any, ...], rank: int) -> Any:
    items, single = _tensors(op, tensors)
    out = tuple(_to_rank(t, rank) for t in items)
    return out[0] if single else out


def _to_rank(t: Tensor, rank: int) -> Tensor:
    """PyTorch's placement of the new axes: 1-d ``(n)`` is ``(1, n)`` at rank 2 and ``(1, n, 1)`` at rank 3;
    2-d ``(m, n)`` is ``(m, n, 1)`` at rank 3."""
    if t.ndim >= rank:
        return t
    if t.ndim == 0:
        return shape.reshape(t, (1,) * rank)
    if t.ndim == 1:
        return shape.reshape(t, ((1,) + tuple(t.shape) + (1,))[:rank])
    return shape.reshape(t, tuple(t.shape) + (1,))


def atleast_1d(*tensors: Any) -> Any:
    """Each tensor with at least 1 dimension: a 0-d tensor becomes ``(1,)``. One tensor in, one out; several (or
    a list) in, a tuple out."""
    return _at_least("atleast_1d", tensors, 1)


def atleast_2d(*tensors: Any) -> Any:
    """Each tensor with at least 2 dimensions: ``()`` → ``(1, 1)``, ``(n,)`` → ``(1, n)``."""
    return _at_least("atleast_2d", tensors, 2)


def atleast_3d(*tensors: Any) -> Any:
    """Each tensor with at least 3 dimensions: ``()`` → ``(1, 1, 1)``, ``(n,)`` → ``(1, n, 1)``,
    ``(m, n)`` → ``(m, n, 1)``."""
    return _at_least("atleast_3d", tensors, 3)


def _joined(op: str, tensors: Any) -> list[Tensor]:
    refuse_single_tensor(op, tensors)
    items, _ = _tensors(op, (tensors,))
    if not items:
        raise RuntimeError(f"{op} expects a non-empty TensorList")
    return items


def hstack(tensors: Any) -> Tensor:
    """Concatenate column-wise: along dim 0 for 1-d tensors (0-d become ``(1,)``), along dim 1 otherwise."""
    items = [_to_rank(t, 1) for t in _joined("hstack", tensors)]
    result = shape.concat(items, axis=0 if items[0].ndim == 1 else 1)
    return result


def vstack(tensors: Any) -> Tensor:
    """Concatenate row-wise (along dim 0) after `atleast_2d`: ``(n,)`` tensors become rows ``(1, n)``."""
    result = shape.concat([_to_rank(t, 2) for t in _joined("vstack", tensors)], axis=0)
    return result


def row_stack(tensors: Any) -> Tensor:
    """`vstack` under NumPy's older name."""
    return vstack(tensors)


def dstack(tensors: Any) -> Tensor:
    """Concatenate depth-wise (along dim 2) after `atleast_3d`."""
    result = shape.concat([_to_rank(t, 3) for t in _joined("dstack", tensors)], axis=2)
    return result


def column_stack(tensors: Any) -> Tensor:
    """Concatenate along dim 1, 0-d and 1-d tensors first made columns ``(n, 1)``."""
    items = [shape.reshape(t, (math.prod(t.shape), 1)) if t.ndim <= 1 else t
             for t in _joined("column_stack", tensors)]
    result = shape.concat(items, axis=1)
    return result


def kron(input: Tensor, other: Tensor, *, out: Any = None) -> Tensor:  # noqa: A002 - PyTorch's name
    """Kronecker product: ``a`` (a_0, ..., a_k) and ``b`` (b_0, ..., b_k) (the shorter shape padded with leading
    1s) give (a_0 b_0, ..., a_k b_k), block ``i`` being ``a[i] * b``."""
    require_tensor("kron", input, "input", 1)
    require_tensor("kron", other, "other", 2)
    rank = max(input.ndim, other.ndim)
    a_shape = (1,) * (rank - input.ndim) + tuple(input.shape)
    b_shape = (1,) * (rank - other.ndim) + tuple(other.shape)
    a = shape.reshape(input, tuple(itertools.chain.from_iterable((n, 1) for n in a_shape)))
    b = shape.reshape(other, tuple(itertools.chain.from_iterable((1, n) for n in b_shape)))
    # a symbolic axis (None while an ONNX export records) merges to an unknown size, which reshape infers
    merged = tuple(None if n is None or m is None else n * m for n, m in zip(a_shape, b_shape))
    result = shape.reshape(a * b, merged)
    return result if out is None else out.copy_(result)


def block_diag(*tensors: Tensor) -> Tensor:
    """The tensors as blocks along the diagonal of a zero matrix: 0-d count as ``(1, 1)``, 1-d ``(n,)`` as a row
    ``(1, n)``; result ``(sum of rows, sum of columns)``."""
    items, _ = _tensors("block_diag", tensors)
    if not items:
        raise TypeError("block_diag() needs at least one tensor (PyTorch returns an empty (1, 0) tensor of its "
                        "default backend; anynn has no backend to choose without one)")
    blocks = []
    for i, t in enumerate(items):
        if t.ndim > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer dimensions. Input {i} has "
                               f"{t.ndim} dimensions")
        blocks.append(_to_rank(t, 2))
    width = sum(b.shape[1] for b in blocks)
    rows, left = [], 0
    for b in blocks:
        rows.append(pad(b, (left, width - left - b.shape[1])))
        left += b.shape[1]
    return shape.concat(rows, axis=0)


def cartesian_prod(*tensors: Tensor) -> Tensor:
    """All tuples of one element from each 1-d tensor, in row-major order: ``(n_1 * ... * n_k, k)``; a single
    tensor comes back as it is."""
    items, _ = _tensors("cartesian_prod", tensors)
    for t in items:
        if t.ndim != 1:
            raise RuntimeError(f"cartesian_prod: Expect a 1D vector, but got shape {tuple(t.shape)}")
    if len(items) == 1:
        return items[0]
    sizes = tuple(t.shape[0] for t in items)
    columns = []
    for i, t in enumerate(items):
        axis_shape = (1,) * i + (sizes[i],) + (1,) * (len(items) - i - 1)
        columns.append(shape.reshape(broadcast.expand(shape.reshape(t, axis_shape), *sizes), (-1,)))
    return shape.stack(columns, axis=1)


def combinations(input: Tensor, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-``r`` combinations of a 1-d tensor's elements, as ``itertools.combinations`` (or
    ``combinations_with_replacement``) orders them: ``(count, r)``; ``r=0`` gives an empty ``(0,)`` tensor that,
    as PyTorch's, is a new one off the graph."""
    if input.ndim != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        be = input.backend
        return make_tensor(be.xp.zeros((0,), dtype=input.array.dtype, device=be.device), be, None, 0)
    pick = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    flat = list(itertools.chain.from_iterable(pick(range(input.shape[0]), r)))
    be = input.backend
    index = be.xp.reshape(be.asarray(flat, be.dtype("int64")), (len(flat) // r, r))
    return shape.take_rows(input, make_tensor(index, be, None, 0))


METHODS: dict[str, Any] = {"kron": kron}
