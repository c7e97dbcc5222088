"""``torch.linalg``'s ``tensorinv``, ``tensorsolve``, ``vander`` and ``lu_solve``, and the top-level
``torch.lu_solve``, ``torch.triangular_solve``, ``torch.svd_lowrank`` and ``torch.pca_lowrank``: compositions of
anynn's differentiable `inv`, `solve`, `solve_triangular`, `lu_unpack`, `qr` and `svd` (so every gradient, to any
order, is theirs).

Shapes: ``tensorinv(A, ind)``: A (*I, *J) with prod(I) == prod(J), the result (*J, *I). ``tensorsolve(A, B)``:
A (*B.shape, *X), the result X. ``vander(x, N)``: x (*, n), the result (*, n, N) of powers 0 .. N-1.
``lu_solve(LU, pivots, B)``: LU (*, n, n), pivots (*, n), B (*, n, k) (``left=False``: (*, k, n)).
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .cholesky import solve_triangular
from .linalg_ex import lu_unpack
from .matrix_inverse import check_matrices, inv, solve
from .shape import concat


def _product(sizes: Sequence[int]) -> int:
    return math.prod(int(s) for s in sizes)


def tensorinv(A: Tensor, ind: int = 2, *, out: None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """The inverse of A (*I, *J) as a tensor product, ``tensordot(tensorinv(A, ind), A, ind)`` the identity on J:
    A's first ``ind`` dims against the rest, whose sizes must have the same product (``torch.linalg.tensorinv``)."""
    if ind <= 0:
        raise ValueError(f"linalg.tensorinv: Expected a strictly positive integer for 'ind', but got {ind}")
    rows, cols = tuple(A.shape[:ind]), tuple(A.shape[ind:])
    if _product(rows) != _product(cols):
        raise RuntimeError(f"linalg.tensorinv: Expected self to satisfy the requirement prod(self.shape[ind:]) == "
                           f"prod(self.shape[:ind]), but got {_product(cols)} != {_product(rows)}")
    return inv(A.reshape(_product(rows), _product(cols))).reshape(cols + rows)


def tensorsolve(A: Tensor, B: Tensor, dims: Sequence[int] | None = None, *, out: None = None) -> Tensor:  # noqa: N803
    """X with ``tensordot(A, X, X.ndim) == B`` (``torch.linalg.tensorsolve``): A (*B.shape, *X.shape); ``dims``
    moves those dims of A to the end first."""
    if dims is not None:
        dims = [d % A.ndim for d in dims]
        kept = [d for d in range(A.ndim) if d not in dims]
        A = A.permute(kept + list(dims))  # noqa: N806
    unknowns = tuple(A.shape[B.ndim:])
    # (PyTorch checks the counts only: B (2, 3) solves against A (3, 2, 6) flattened, as its reshape does)
    if _product(unknowns) != B.numel() or _product(A.shape[:B.ndim]) != B.numel():
        raise RuntimeError(f"linalg.tensorsolve: Expected self to satisfy the requirement "
                           f"prod(self.shape[other.ndim:]) == prod(self.shape[:other.ndim]), but got "
                           f"{_product(unknowns)} != {_product(A.shape[:B.ndim])} (A {tuple(A.shape)}, "
                           f"B {tuple(B.shape)})")
    return solve(A.reshape(B.numel(), B.numel()), B.reshape(B.numel(), 1)).reshape(unknowns)


def vander(x: Tensor, *, N: int | None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """The Vandermonde matrix of x (*, n): (*, n, N), column j the power ``x ** j`` (``torch.linalg.vander``;
    increasing powers, unlike ``torch.vander``); N defaults to n and must be at least 1."""
    if x.ndim == 0:  # a number: PyTorch's (1, N) matrix of its powers (N given: its own count is 1)
        if N is None or N <= 1:
            raise RuntimeError("linalg.vander: N must be greater than 1.")
        x = x.reshape(1)
    count = x.shape[-1] if N is None else N
    if count <= 0:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {count}")
    if dtype_name(x.dtype) == "bool":
        raise RuntimeError("linalg.vander supports floating point, complex, and integer tensors, but got Bool")
    if x.backend.xp.isdtype(x.array.dtype, "integral") and dtype_name(x.dtype) != "int64":
        x = x.astype("int64")  # PyTorch's powers are a cumulative product, which counts integers in int64
    column = x.unsqueeze(-1)
    powers = [Tensor._make(x.backend.xp.ones_like(column.array), x.backend, None, 0)]
    for _ in range(1, count):
        powers.append(column if len(powers) == 1 else powers[-1] * column)
    return concat(powers, axis=-1)


def lu_solve(LU: Tensor, pivots: Tensor, B: Tensor, *, left: bool = True, adjoint: bool = False,  # noqa: N803
             out: None = None) -> Tensor:
    """The solution X of ``A X = B`` (``left=False``: ``X A = B``; ``adjoint``: ``A^H`` for A) from `lu_factor`'s
    ``(LU, pivots)`` of A (``torch.linalg.lu_solve``): differentiable in LU and B."""
    check_matrices("lu_solve", LU, square=True, complex_ok=True)
    check_matrices("lu_solve", B, complex_ok=True)
    if not left:  # X A = B  <=>  A^T X^T = B^T, and A^T = conj(A^H)
        solved = lu_solve(LU, pivots, B.mT.conj(), left=True, adjoint=not adjoint)
        return solved.conj().mT
    n = LU.shape[-1]
    if B.shape[-2] != n:
        raise RuntimeError(f"linalg.lu_solve: Incompatible shapes of A and B for the equation AX = B "
                           f"({n}x{n} and {B.shape[-2]}x{B.shape[-1]})")
    permutation, lower, upper = lu_unpack(LU, pivots)
    if adjoint:  # A^H = U^H L^H P^T: X = P L^-H U^-H B
        inner = solve_triangular(upper.mT.conj(), B, upper=False)
        return permutation @ solve_triangular(lower.mT.conj(), inner, upper=True, unitriangular=True)
    inner = solve_triangular(lower, permutation.mT @ B, upper=False, unitriangular=True)
    return solve_triangular(upper, inner, upper=True)


def lu_solve_legacy(b: Tensor, LU_data: Tensor, LU_pivots: Tensor, *, out: None = None) -> Tensor:  # noqa: N803
    """The older ``torch.lu_solve(b, LU_data, LU_pivots)``: `lu_solve` with its arguments in that order."""
    return lu_solve(LU_data, LU_pivots, b)


class TriangularSolveResult(NamedTuple):
    solution: Tensor
    cloned_coefficient: Tensor


def triangular_solve(b: Tensor, A: Tensor, upper: bool = True, transpose: bool = False,  # noqa: N803
                     unitriangular: bool = False, *, out: None = None) -> TriangularSolveResult:
    """The older ``torch.triangular_solve``: ``(X, A.clone())`` with ``op(A) X = b``, ``op(A)`` A or (``transpose``)
    its transpose, A (*, n, n) upper (or lower) triangular, b (*, n, k); the other triangle of A is not read."""
    coefficient = A.mT if transpose else A
    solution = solve_triangular(coefficient, b, upper=upper != transpose, unitriangular=unitriangular)
    return TriangularSolveResult(solution, A.clone())


def _approximate_basis(A: Tensor, q: int, niter: int, M: Tensor | None) -> Tensor:  # noqa: N803
    """Orthonormal Q (*, m, q) whose span approximates A's range (A - M's): a Gaussian sketch A R, then ``niter``
    rounds of subspace iteration through A^H and A, each re-orthonormalized by QR (Halko et al. 2009, algorithm
    4.4). R is drawn from anynn's host generator, as `randn`'s."""
    from ..factories import randn
    from .spectral import qr

    def times(left: Tensor, right: Tensor, transposed: bool) -> Tensor:
        product = (left.mH if transposed else left) @ right
        if M is None:
            return product
        return product - (M.mH if transposed else M) @ right

    sketch = randn(A.shape[-1], q, dtype=A.dtype, backend=A.backend)
    basis = qr(times(A, sketch, False)).Q
    for _ in range(niter):
        basis = qr(times(A, basis, True)).Q
        basis = qr(times(A, basis, False)).Q
    return basis


def svd_lowrank(A: Tensor, q: int | None = 6, niter: int | None = 2, M: Tensor | None = None  # noqa: N803
                ) -> tuple[Tensor, Tensor, Tensor]:
    """``(U, S, V)`` with ``A ~ U diag(S) V^H`` of rank q by randomized subspace iteration (``torch.svd_lowrank``):
    A (*, m, n) (minus M, broadcast, when given), U (*, m, q), S (*, q), V (*, n, q); differentiable through QR and
    SVD. The sketch is random: for a matrix of rank at most q the result is exact; otherwise it approximates
    the leading triplets, better with more ``niter``."""
    check_matrices("svd_lowrank", A, complex_ok=True)
    q = 6 if q is None else q
    niter = 2 if niter is None else niter
    m, n = A.shape[-2], A.shape[-1]
    if M is not None:
        M = M.expand(tuple(A.shape))  # noqa: N806
    wide = m < n
    if wide:  # the algorithm sketches the range of a tall matrix
        A, M = A.mH, None if M is None else M.mH  # noqa: N806
    basis = _approximate_basis(A, q, niter, M)
    projected = basis.mH @ A if M is None else basis.mH @ A - basis.mH @ M
    from .spectral import svd

    factors = svd(projected, full_matrices=False)
    left, right = basis @ factors.U, factors.Vh.mH
    return (right, factors.S, left) if wide else (left, factors.S, right)


def pca_lowrank(A: Tensor, q: int | None = None, center: bool = True, niter: int = 2  # noqa: N803
                ) -> tuple[Tensor, Tensor, Tensor]:
    """`svd_lowrank` of A (*, m, n) with its column means (over the m rows) subtracted when ``center``
    (``torch.pca_lowrank``): V's columns are the principal directions, ``S ** 2 / (m - 1)`` their variances; q
    defaults to min(6, m, n)."""
    check_matrices("pca_lowrank", A, complex_ok=True)
    m, n = A.shape[-2], A.shape[-1]
    q = min(6, m, n) if q is None else q
    if not (isinstance(q, int) and 0 <= q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than min(m, n)={min(m, n)}")
    if not (isinstance(niter, int) and niter >= 0):
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    if not center:
        return svd_lowrank(A, q, niter)
    return svd_lowrank(A - A.mean(dim=-2, keepdim=True), q, niter)


__all__ = ["TriangularSolveResult", "lu_solve", "lu_solve_legacy", "pca_lowrank", "svd_lowrank", "tensorinv",
           "tensorsolve", "triangular_solve", "vander"]
