"""Matrix norms (``torch.linalg.matrix_norm``) and ``torch.norm`` / ``Tensor.norm``, whose string orders name
matrix norms.

``torch.norm(x, p)`` is the vector ``p``-norm (`reduce.norm`) for a number ``p``, and for ``p="fro"`` over at
most two dims; any other string (``"nuc"``, or ``"fro"`` over three dims) is `matrix_norm` over ``dim`` (all
dims when ``None``), which takes exactly two: PyTorch's rules, its messages included.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from . import reduce
from .spectral import svdvals

__all__ = ["matrix_norm", "norm"]


def _matrix_dims(A: Tensor, ord: Any, dim: Any) -> tuple[int, int]:  # noqa: A002,N803 - PyTorch's names
    """``dim`` as two distinct non-negative axes of ``A``, refused as PyTorch's ``linalg.matrix_norm`` refuses
    another order, another count of dims, repeated dims or ``A`` of fewer than 2 dims (RuntimeError), an axis out
    of range (IndexError)."""
    if not (ord in ("fro", "nuc") or (not isinstance(ord, (str, bool)) and ord in (1, -1, 2, -2, math.inf,
                                                                                   -math.inf))):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    if len(dims) != 2:
        raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got {' '.join(map(str, dims))}")
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 dimensions.")
    for d in dims:
        if not -A.ndim <= d < A.ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [{-A.ndim}, {A.ndim - 1}], but "
                             f"got {d})")
    rows, cols = (d % A.ndim for d in dims)
    if rows == cols:
        raise RuntimeError(f"linalg.matrix_norm: dims must be different. Got ({dims[0]}, {dims[1]})")
    return rows, cols


def matrix_norm(A: Tensor, ord: Any = "fro", dim: Any = (-2, -1), keepdim: bool = False, *,  # noqa: A002,N803
                dtype: Any = None) -> Tensor:
    """A matrix norm of ``A`` (..., m, n) over the two axes ``dim``: ``"fro"``, ``1``/``-1`` (largest/smallest
    absolute column sum), ``inf``/``-inf`` (row sum), ``2``/``-2`` (largest/smallest singular value) or ``"nuc"``
    (their sum); the two axes are removed (kept as size 1 with ``keepdim``)."""
    rows, cols = _matrix_dims(A, ord, dim)
    A = reduce.cast_for_norm("linalg.matrix_norm", A, dtype)
    if ord == "fro":
        return reduce.norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        summed, other = (rows, cols) if ord in (1, -1) else (cols, rows)
        sums = abs(A).sum(dim=summed, keepdim=keepdim)  # (no squeeze: it refuses an ONNX export's symbolic axes)
        pick = reduce.max if ord > 0 else reduce.min
        return pick(sums, axis=other - (not keepdim and summed < other), keepdims=keepdim)
    values = svdvals(A.movedim((rows, cols), (-2, -1)))  # ord 2, -2 or "nuc"
    empty_max = ord == 2 and values.shape[-1] == 0  # (PyTorch's 0 for the largest of no singular values)
    out = values.sum(-1) if ord == "nuc" or empty_max else (reduce.max if ord == 2 else reduce.min)(values, axis=-1)
    return out.unsqueeze(min(rows, cols)).unsqueeze(max(rows, cols)) if keepdim else out


def norm(input: Tensor, p: Any = "fro", dim: Any = None, keepdim: bool = False, *,  # noqa: A002 - PyTorch's name
         dtype: Any = None) -> Tensor:
    """``torch.norm`` / ``Tensor.norm``: the vector ``p``-norm over ``dim`` (all elements when ``None``) for a number
    ``p`` (``None``: 2), and for ``"fro"`` over at most two dims; another string order (``"nuc"``) is `matrix_norm`
    over ``dim`` (all of ``input``'s dims when ``None``), which must be two."""
    if isinstance(p, str) and not (p == "fro" and (dim is None or isinstance(dim, int) or len(dim) <= 2)):
        return matrix_norm(input, p, tuple(range(input.ndim)) if dim is None else dim, keepdim, dtype=dtype)
    return reduce.norm(input, 2 if p in ("fro", None) else p, dim, keepdim, dtype=dtype)
