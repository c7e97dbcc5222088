"""PyTorch's NumPy-style array functions, composed of differentiable primitives: ``tensordot`` (permute, reshape,
matmul), ``take_along_dim`` (broadcast, gather), ``tensor_split`` (slices) and ``diff`` (concat, slices, subtract).

Each keeps PyTorch's signature and semantics; the gradients are those of the primitives they are made of.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from . import broadcast, indexing, shape
from .rearrange import unflatten
from ..backend.broadcasting import broadcast_shapes
from .value_checks import checked_dim, python_ints




def tensordot(a: Tensor, b: Tensor, dims: Any = 2, out: Any = None) -> Tensor:
    """Sum of products over ``dims``: an int ``n`` pairs ``a``'s last ``n`` axes with ``b``'s first ``n``; a pair
    of lists pairs ``a``'s ``dims[0]`` with ``b``'s ``dims[1]``. Result: ``a``'s free axes then ``b``'s."""
    if isinstance(dims, Tensor):
        dims = dims.tolist()
    if isinstance(dims, int):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        dims_a, dims_b = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    else:
        dims_a, dims_b = ([d] if isinstance(d, int) else list(d) for d in dims)
    if len(dims_a) != len(dims_b):
        raise RuntimeError(f"tensordot: both dimension lists should have the same length, got {dims_a} and {dims_b}")
    dims_a = [checked_dim("tensordot", a, d) for d in dims_a]
    dims_b = [checked_dim("tensordot", b, d) for d in dims_b]
    for da, db in zip(dims_a, dims_b):
        if a.shape[da] != b.shape[db]:
            # PyTorch's broadcast of a contracted size 1: the other side is summed over that dim first
            if a.shape[da] == 1:
                b = b.sum(db, keepdim=True)
            elif b.shape[db] == 1:
                a = a.sum(da, keepdim=True)
            else:
                raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has size "
                                   f"{a.shape[da]} in dim {da} and second has size {b.shape[db]} in dim {db}")
    free_a = [d for d in range(a.ndim) if d not in dims_a]
    free_b = [d for d in range(b.ndim) if d not in dims_b]
    # (*free_a, K) @ (K, M): a's free axes stay axes of their own (a batched product), so a symbolic one of an
    # ONNX export is never multiplied into a merged size (its size is known only when the graph runs)
    left = _merged(shape.permute(a, tuple(free_a + dims_a)), len(free_a), a.ndim - 1)
    right = _merged(_merged(shape.permute(b, tuple(dims_b + free_b)), 0, len(dims_b) - 1), 1, b.ndim - len(dims_b))
    result = left @ right
    if len(free_b) != 1:
        result = unflatten(result, -1, tuple(b.shape[d] for d in free_b)) if free_b else shape.squeeze(result, -1)
    return result if out is None else out.copy_(result)


def _merged(x: Tensor, start: int, end: int) -> Tensor:
    """x with axes ``start`` to ``end`` merged into one (``end = start - 1``: a new axis of size 1 at ``start``)."""
    if end < start:
        return shape.unsqueeze(x, start)
    return x if end == start else shape.flatten(x, start, end)


def take_along_dim(input: Tensor, indices: Tensor, dim: int | None = None, *,  # noqa: A002 - PyTorch's name
                   out: Any = None) -> Tensor:
    """``input``'s values at ``indices`` along ``dim`` (``None``: of the flattened input), the other dims of both
    broadcast against each other (``torch.take_along_dim``); the gradient scatter-adds back."""
    if dim is None:
        result = indexing.gather(shape.reshape(input, (-1,)), 0, shape.reshape(indices, (-1,)))
    else:
        if input.ndim != indices.ndim:
            raise RuntimeError(f"take_along_dim: input ({input.ndim}-d) and indices ({indices.ndim}-d) should have "
                               "the same number of dimensions")
        dim = checked_dim("take_along_dim", input, dim)
        # (attention's broadcast rule: a symbolic size of an ONNX export matches the other, unless that is 1)
        sizes = [(broadcast_shapes((n,), (m,)) or (max(n, m),))[0] for n, m in zip(input.shape, indices.shape)]
        for i, (n, m) in enumerate(zip(input.shape, indices.shape)):
            if i != dim and n != m and 1 not in (n, m) and None not in (n, m):
                raise RuntimeError(f"take_along_dim: input {tuple(input.shape)} and indices {tuple(indices.shape)} "
                                   f"do not broadcast outside dim {dim}")
        wide = broadcast.expand(input, tuple(input.shape[i] if i == dim else s for i, s in enumerate(sizes)))
        where = indices if all(indices.shape[i] == s for i, s in enumerate(sizes) if i != dim) else \
            broadcast.expand(indices, tuple(indices.shape[i] if i == dim else s for i, s in enumerate(sizes)))
        result = indexing.gather(wide, dim, where)
    return result if out is None else out.copy_(result)


def tensor_split(input: Tensor, indices_or_sections: Any, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """Views of ``input`` split along ``dim``: into ``n`` parts (an int; the first ``size % n`` one longer), or at
    the given indices (a list/tuple), as ``torch.tensor_split``."""
    dim = checked_dim("tensor_split", input, dim)
    size = input.shape[dim]
    if isinstance(indices_or_sections, Tensor):
        indices_or_sections = indices_or_sections.tolist()
    indices_or_sections = python_ints(indices_or_sections)
    if isinstance(indices_or_sections, int):
        sections = indices_or_sections
        if sections <= 0:
            raise RuntimeError(f"tensor_split: number of sections must be larger than 0, got {sections}")
        base, extra = divmod(size, sections)
        bounds, start = [], 0
        for i in range(sections - 1):
            start += base + (1 if i < extra else 0)
            bounds.append(start)
    else:  # each index as a slice bound: a negative one counts from the end, clamped to [0, size] (PyTorch's)
        bounds = [min(max(int(i) + size if int(i) < 0 else int(i), 0), size) for i in indices_or_sections]
    edges = [0] + bounds + [size]
    lead = (slice(None),) * dim
    return tuple(shape.index(input, lead + (slice(lo, max(lo, hi)),))
                 for lo, hi in zip(edges[:-1], edges[1:]))


def diff(input: Tensor, n: int = 1, dim: int = -1, prepend: Tensor | None = None,  # noqa: A002
         append: Tensor | None = None) -> Tensor:
    """The ``n``-th forward difference along ``dim`` (``out[i] = x[i + 1] - x[i]``, repeated ``n`` times), after
    joining ``prepend``/``append`` along ``dim``, as ``torch.diff``."""
    if input.ndim == 0:
        raise RuntimeError("diff expects input to be at least one-dimensional")
    dim = checked_dim("diff", input, dim)
    if n < 0:
        raise RuntimeError(f"diff: the order n must be non-negative, got {n}")
    if n == 0:
        return input.clone()  # as PyTorch's: a copy, no difference taken, prepend and append left out
    parts = [t for t in (prepend, input, append) if t is not None]
    x = shape.concat(parts, dim) if len(parts) > 1 else input
    lead = (slice(None),) * dim
    booleans = x.backend.xp.isdtype(x.array.dtype, "bool")
    for _ in range(n):
        if x.shape[dim] == 0:
            break
        later, earlier = shape.index(x, lead + (slice(1, None),)), shape.index(x, lead + (slice(None, -1),))
        x = later ^ earlier if booleans else later - earlier  # booleans: PyTorch's difference is "changed"
    return x


METHODS: dict[str, Any] = {"take_along_dim": take_along_dim, "tensor_split": tensor_split, "diff": diff}
