"""Products and distances of vectors under PyTorch's names: ``outer``, ``dot``, ``cross``, ``cdist``.

All are made of primitives already in the graph (reshape, multiply, index, norm), whose gradients they inherit.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.broadcasting import broadcast_shapes
from . import broadcast, reduce, shape
from .value_checks import require_tensor
from .value_checks import (_TORCH_DTYPE_NAMES, KernelNotImplementedError, ShapeMismatchError, UnsupportedDTypeError,
                           check_same_dtype, check_tensor_arguments, one_dim, refuse_complex, refuse_kernel)


def outer(input: Tensor, vec2: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """``input[i] * vec2[j]``: (N,) and (M,) → (N, M) (``torch.outer``, alias ``ger``)."""
    require_tensor("outer", input, "input", 1)
    require_tensor("outer", vec2, "vec2", 2)
    if input.ndim != 1 or vec2.ndim != 1:
        raise RuntimeError(f"outer: expected two 1-D tensors, got shapes {tuple(input.shape)} and {tuple(vec2.shape)}")
    return input.reshape(-1, 1) * vec2.reshape(1, -1)


def dot(input: Tensor, tensor: Tensor) -> Tensor:  # noqa: A002
    """The inner product of two 1-D tensors of the same length (``torch.dot``); a 0-d tensor."""
    require_tensor("dot", input, "input", 1)
    require_tensor("dot", tensor, "tensor", 2)
    if input.ndim != 1 or tensor.ndim != 1 or input.shape != tensor.shape:
        raise RuntimeError(f"dot: expected two 1-D tensors of the same length, got shapes {tuple(input.shape)} "
                           f"and {tuple(tensor.shape)}")
    check_same_dtype("dot", ("input", "tensor"), (input, tensor))
    if input.dtype == input.backend.dtype("bool"):
        raise KernelNotImplementedError("dot: \"dot\" not implemented for 'Bool', as in PyTorch; cast the vectors "
                                        "first (x.long())")
    return (input * tensor).sum(dtype=input.dtype)  # integers stay in their dtype, as PyTorch's (sum counts in int64)


def cross(input: Tensor, other: Tensor, dim: int | None = None) -> Tensor:  # noqa: A002
    """The 3-D cross product along ``dim`` (by default the first axis of ``input`` of size 3, as ``torch.cross``;
    use ``dim=-1`` for ``torch.linalg.cross``). As PyTorch's: the operands have one rank, one dtype and size 3 at
    ``dim``; their other axes broadcast."""
    dim = None if dim is None else one_dim("cross", dim)
    check_tensor_arguments("linalg.cross", input=input, other=other)
    if input.ndim != other.ndim:
        raise ShapeMismatchError(f"linalg.cross: inputs must have the same number of dimensions (shapes "
                                 f"{tuple(input.shape)} and {tuple(other.shape)})")
    if dim is None:
        dim = next((a for a, n in enumerate(input.shape) if n == 3), None)
        if dim is None:
            raise ShapeMismatchError(f"cross: no dimension of size 3 in input (shape {tuple(input.shape)})")
    ndim = input.ndim
    if not -ndim <= dim < ndim:
        raise IndexError(f"cross: dim {dim} is out of range for shape {tuple(input.shape)} (expected in "
                         f"[{-ndim}, {ndim - 1}])")
    if input.shape[dim] != 3 or other.shape[dim] != 3:
        raise ShapeMismatchError(f"linalg.cross: inputs dimension {dim} must have length 3. Got {input.shape[dim]} "
                                 f"and {other.shape[dim]}")
    refuse_kernel("cross", "cross", ("bool",), input)
    check_same_dtype("linalg.cross", ("input", "other"), (input, other))
    shape_out = _broadcast_shape(tuple(input.shape), tuple(other.shape))
    if tuple(input.shape) != shape_out:
        input = broadcast.expand(input, shape_out)
    if tuple(other.shape) != shape_out:
        other = broadcast.expand(other, shape_out)
    axis = dim % ndim

    def part(t: Tensor, k: int) -> Tensor:
        return shape.GetItem.apply(t, index=tuple(k if a == axis else slice(None) for a in range(ndim)))

    a = [part(input, k) for k in range(3)]
    b = [part(other, k) for k in range(3)]
    return shape.stack([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]], axis)


def _broadcast_shape(a: tuple[int, ...], b: tuple[int, ...]) -> tuple[int, ...]:
    out = broadcast_shapes(a, b)
    if out is None:
        raise RuntimeError(f"shapes {a} and {b} do not broadcast")
    return out


def cdist(x1: Tensor, x2: Tensor, p: float = 2.0, compute_mode: str | None = None) -> Tensor:
    """p-norm distances between the rows of ``x1`` (..., P, M) and ``x2`` (..., R, M): (..., P, R)
    (``torch.cdist``). Computed from the differences (memory P·R·M), exact also for nearby points; where two
    rows coincide the gradient is zero, as PyTorch's."""
    check_tensor_arguments("cdist", x1=x1, x2=x2)
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: expected (..., P, M) and (..., R, M) tensors, got {tuple(x1.shape)} and "
                           f"{tuple(x2.shape)}")
    if p < 0:
        raise RuntimeError(f"cdist: p must be non-negative, got {p}")
    for name, x in (("X1", x1), ("X2", x2)):  # (anynn computed integers in float32)
        if not x.is_floating_point() and not x.is_complex():
            raise UnsupportedDTypeError(f"cdist only supports floating-point dtypes, {name} got: "
                                        f"{_TORCH_DTYPE_NAMES.get(dtype_name(x.dtype), dtype_name(x.dtype))}")
    refuse_complex("cdist", x1, x2)
    check_same_dtype("cdist", ("x1", "x2"), (x1, x2))  # (PyTorch's kernel: 'expected scalar type Double')
    refuse_kernel("cdist", "cdist", ("float16",), x1, x2)
    difference = shape.unsqueeze(x1, -2) - shape.unsqueeze(x2, -3)
    return _row_norms(difference, p)


def pdist(input: Tensor, p: float = 2.0) -> Tensor:  # noqa: A002 - PyTorch's name
    """p-norm distances between every pair of rows ``i < j`` of ``input`` (N, M): (N (N - 1) / 2,), in the
    order of the upper triangle of `cdist` read row by row (``torch.pdist``); where two rows coincide the
    gradient is zero, as PyTorch's."""
    require_tensor("pdist", input)
    if input.ndim != 2:
        raise RuntimeError(f"pdist: expected a 2-D (N, M) input, got shape {tuple(input.shape)} ({input.ndim}D)")
    if not input.is_floating_point():
        raise RuntimeError(f"pdist: expected a floating-point input, got dtype {input.dtype}")
    refuse_kernel("pdist", "pdist", ("float16",), input)
    if p < 0:
        raise RuntimeError(f"pdist: p must be non-negative, got {p}")
    rows = input.shape[0]
    if rows is None:  # (an ONNX export's symbolic axis)
        raise ValueError(f"pdist: the pairs i < j of the rows of an input of shape {tuple(input.shape)} are listed "
                         f"from its row count, which a symbolic axis (None: an ONNX export with dynamic_axes) has "
                         f"not got; use cdist(x, x) (every pair, under a symbolic batch too) or static shapes")
    first = [i for i in range(rows) for _ in range(i + 1, rows)]
    second = [j for i in range(rows) for j in range(i + 1, rows)]
    be = input.backend
    pick = [Tensor._make(be.xp.asarray(index, dtype=be.xp.int64, device=be.device), be, None, 0)
            for index in (first, second)]
    difference = shape.index(input, pick[0]) - shape.index(input, pick[1])
    return _row_norms(difference, p)


def _row_norms(difference: Tensor, p: float) -> Tensor:
    """The p-norms of ``difference`` (..., M) along its last axis: (...). p = 0 counts the nonzero entries with a
    zero gradient (PyTorch's cdist/pdist backward gives zeros there, where its norm of order 0 gives none: the count
    is tied to the differences by a ``where`` that never picks them); rows of M = 0 are 0 for every p (inf's max has
    nothing to start from)."""
    norms = reduce.norm(difference, 2.0 if difference.shape[-1] == 0 else p, dim=-1)
    if p == 0 and difference.requires_grad:
        from .elementwise import where

        xp = difference.backend.xp
        norms = where(xp.ones_like(norms.array, dtype=xp.bool), norms, difference.sum(-1))
    return norms


ger = outer

FUNCTIONS: dict[str, Any] = {"outer": outer, "ger": outer, "dot": dot, "cross": cross, "cdist": cdist}

__all__ = ["FUNCTIONS", *FUNCTIONS]
