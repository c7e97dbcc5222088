"""``anynn.linalg``: PyTorch's ``torch.linalg``: norms (``vector_norm``, ``matrix_norm``, ``norm``), ``cross``,
``inv``/``det``/``slogdet``/``solve``, ``cholesky``/``solve_triangular``, ``eigh``/``eigvalsh``, ``svd``/``svdvals``,
``qr``, ``pinv``, ``lstsq``, ``matrix_power``, ``matrix_exp``/``householder_product``, ``cond``, and ``matrix_rank``
(a count); each differentiable to any order. ``tensorinv``, ``tensorsolve``, ``vander`` and ``lu_solve`` are in
`anynn.functional.linalg_tensor`; ``ldl_factor``/``ldl_factor_ex``/``ldl_solve`` in `anynn.functional.ldl`. The
error-reporting ``cholesky_ex``/``inv_ex``/``solve_ex`` and the LU factorization ``lu_factor``/``lu_factor_ex`` are
in `anynn.functional.linalg_ex`.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple, Sequence

from .autograd.tensor import Tensor
from .backend import dtype_name
from .functional import reduce
from .functional.cholesky import cholesky, cholesky_solve, solve_triangular
from .functional.linalg_spellings import logdet, matrix_power
from .functional.matrix_functions import householder_product, matrix_exp
from .functional.matrix_norm import matrix_norm
from .functional.matrix_inverse import LinAlgError, SignLogAbsDet, det, inv, slogdet, solve
from .functional.linalg_ex import cholesky_ex, inv_ex, lu_factor, lu_factor_ex, solve_ex
from .functional.linalg_ex import linalg_lu as lu
from .functional.pinv import pinv
from .functional.spectral import EighResult, QrResult, SvdResult, eigh, eigvalsh, qr, svd, svdvals
from .functional.eigen_general import EigResult, eig, eigvals
from .functional.vector_products import cross as _cross
from .functional.value_checks import one_dim
from .functional.diagonal import diagonal as _diagonal
from .functional.linalg import matmul as _matmul
from .functional.linalg_tensor import lu_solve, tensorinv, tensorsolve, vander
from .functional.ldl import LDLFactorExResult, LDLFactorResult, ldl_factor, ldl_factor_ex, ldl_solve


def _dims(dim: Any) -> Any:
    return tuple(dim) if isinstance(dim, list) else dim


def vector_norm(x: Tensor, ord: float = 2, dim: Any = None, keepdim: bool = False, *,  # noqa: A002 - PyTorch's name
                dtype: Any = None) -> Tensor:
    """The vector ``ord``-norm of ``x`` over ``dim`` (all elements when ``None``): ``ord`` any positive number,
    ``inf`` (largest ``|x|``), ``-inf`` (smallest) or ``0`` (the number of nonzero elements)."""
    dim = _dims(dim)
    ord = float(ord)  # noqa: A001
    return reduce.norm(x, ord, dim, keepdim, dtype=dtype)  # ord <= 0 included (PyTorch's conventions there)


def norm(A: Tensor, ord: Any = None, dim: Any = None, keepdim: bool = False, *,  # noqa: A002,N803
         dtype: Any = None) -> Tensor:
    """``torch.linalg.norm``: a vector norm over an int ``dim`` (or of the flattened tensor when ``ord`` and ``dim``
    are both ``None``), a matrix norm over a pair of dims (or a 2-D ``A``)."""
    dim = _dims(dim)
    if ord is None and dim is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if isinstance(dim, int) or (dim is None and A.ndim == 1) or (isinstance(dim, tuple) and len(dim) == 1):
        return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim != 2:
            raise RuntimeError(f"linalg.norm: with ord={ord!r} and dim=None the input must be 1-D or 2-D, got shape "
                               f"{tuple(A.shape)}")
        dim = (-2, -1)
    return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)


def matrix_rank(A: Tensor, tol: float | None = None, hermitian: bool = False, *,  # noqa: N803
                atol: float | None = None, rtol: float | None = None, out: None = None) -> Tensor:
    """The number (int64, shape (*)) of singular values of A (*, m, n) above ``max(atol, rtol * σ_max)``
    (``torch.linalg.matrix_rank``, its defaults: ``rtol = max(m, n) * eps`` when neither is given); ``tol``,
    PyTorch's older spelling (positional too: ``matrix_rank(A, 1e-5)``), is ``atol`` with ``rtol = 0``."""
    from .autograd.mode import no_grad

    if tol is not None:
        if atol is not None or rtol is not None:
            raise TypeError("linalg.matrix_rank: give tol or atol / rtol (its newer names), not both")
        atol, rtol = tol, 0.0

    with no_grad():
        values = eigvalsh(A).abs() if hermitian else svdvals(A)
        if atol is None and rtol is None:
            rtol = max(A.shape[-2], A.shape[-1]) * float(A.backend.xp.finfo(A.array.dtype).eps)
        largest = reduce.max(values, axis=-1, keepdims=True) if values.shape[-1] else values.sum(-1, keepdim=True)
        cutoff = largest * (rtol or 0.0)
        if atol is not None:
            cutoff = cutoff.clamp(min=float(atol))
        return (values > cutoff).astype("int64").sum(-1)


class LstsqResult(NamedTuple):
    """``torch.return_types.linalg_lstsq``."""

    solution: Tensor
    residuals: Tensor
    rank: Tensor
    singular_values: Tensor


def lstsq(A: Tensor, B: Tensor, rcond: float | None = None, *, driver: str | None = None) -> LstsqResult:  # noqa: N803
    """The least-squares solution X (*, n, k) of ``A X = B`` for A (*, m, n), B (*, m, k) or (*, m)
    (``torch.linalg.lstsq``: ``rank`` (*) int64, ``residuals`` and ``singular_values`` as its CPU ``driver`` gives them,
    see `_lstsq_details`). X is ``pinv(A) B`` with singular values below ``rcond * σ_max`` dropped (default
    ``max(m, n) * eps``), whose gradient is PyTorch's."""
    from .functional.matrix_inverse import check_matrices

    check_matrices("lstsq", A, complex_ok=True)
    from .functional.value_checks import check_one_backend

    check_one_backend("linalg.lstsq", A, B)
    if not isinstance(B, Tensor) or B.array.dtype != A.array.dtype:
        raise RuntimeError(f"linalg.lstsq: Expected B to be a Tensor of A's dtype {A.dtype}, got "
                           f"{B.dtype if isinstance(B, Tensor) else type(B).__name__}")
    vector = B.ndim == A.ndim - 1
    b = B.unsqueeze(-1) if vector else B
    if b.ndim < 2 or b.shape[-2] != A.shape[-2]:
        raise RuntimeError(f"linalg.lstsq: input.size(-2) should match other.size(-2), got {A.shape[-2]} and "
                           f"{b.shape[-2] if b.ndim >= 2 else tuple(b.shape)}")
    rtol = max(A.shape[-2], A.shape[-1]) * float(A.backend.xp.finfo(A.array.dtype).eps) if rcond is None else rcond
    solution = pinv(A, rtol=rtol) @ b
    rank, residuals, values = _lstsq_details(A, b, solution, rtol, driver)
    return LstsqResult(solution.squeeze(-1) if vector else solution, residuals, rank, values)


def _lstsq_details(A: Tensor, b: Tensor, solution: Tensor, rtol: float, driver: str | None,  # noqa: N803
                   ) -> tuple[Tensor, Tensor, Tensor]:
    """``(rank, residuals, singular_values)`` of PyTorch's CPU ``driver``: ``gelsy`` (the default) the rank alone;
    ``gelsd``/``gelss`` the rank, A's singular values (*, min(m, n)) and, for a tall A (m > n) of full rank in every
    batch, the residuals ``sum(|A X - B|^2)`` over the rows (*, k); ``gels`` the residuals of a tall A alone. Empty
    where they give nothing."""
    from .autograd.mode import no_grad
    from .backend.arrays import any_true

    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"torch.linalg.lstsq: parameter `driver` should be one of (gels, gelsy, gelsd, gelss), "
                           f"got {driver!r}")
    empty = (A.real if A.is_complex() else A).new_zeros((0,))  # (a complex A's residuals and values are real)
    rank = matrix_rank(A, rtol=rtol) if driver != "gels" else A.new_zeros((0,), dtype="int64")
    with no_grad():
        values = svdvals(A) if driver in ("gelsd", "gelss") else empty
    m, n = A.shape[-2], A.shape[-1]
    if driver not in ("gels", "gelsd", "gelss") or m <= n or (
            driver != "gels" and any_true(A.backend, (rank != n).array, if_traced=True)):
        return rank, empty, values
    return rank, ((A @ solution - b).abs() ** 2).sum(-2), values


def cross(input: Tensor, other: Tensor, *, dim: int = -1) -> Tensor:  # noqa: A002
    """The cross product along ``dim`` (default the last axis, unlike ``anynn.cross``)."""
    return _cross(input, other, one_dim("linalg_cross", dim))


def matmul(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """``torch.linalg.matmul``: `anynn.matmul` (vectors, matrices, broadcast stacks)."""
    return _matmul(input, other)


def diagonal(A: Tensor, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """``torch.linalg.diagonal``: the diagonals of the matrices over the last two axes (``anynn.diagonal`` with
    those axes as defaults)."""
    return _diagonal(A, offset, dim1, dim2)


def vecdot(x: Tensor, y: Tensor, *, dim: int = -1) -> Tensor:
    """The dot products ``sum(conj(x) * y)`` along ``dim`` of x and y broadcast together (``torch.linalg.vecdot``);
    floating or complex tensors, as PyTorch's (integers and booleans refused)."""
    for t in (x, y):
        if isinstance(t, Tensor) and not t.backend.xp.isdtype(t.array.dtype, ("real floating", "complex floating")):
            raise RuntimeError(f"linalg.vecdot: Expected a floating point or complex tensor as input. Got "
                               f"{dtype_name(t.dtype)}, as in PyTorch; cast it first (x.float())")
    return (x.conj() * y).sum(dim)


def _chain_order(sizes: list[int]) -> list[list[int]]:
    """The matrix-chain split table for matrices ``i`` of shape ``(sizes[i], sizes[i + 1])``: ``split[i][j]`` is where
    the product of ``i..j`` is cut with the fewest scalar multiplications (the first such cut, as PyTorch's)."""
    n = len(sizes) - 1
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = -1
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + sizes[i] * sizes[k + 1] * sizes[j + 1]
                if cost[i][j] < 0 or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k
    return split


def multi_dot(tensors: Sequence[Tensor]) -> Tensor:
    """The product ``A1 @ A2 @ ... @ An`` of two or more matrices, multiplied in the order that takes the fewest
    scalar multiplications (``torch.linalg.multi_dot``). The first may be a vector (a row) and the last a vector
    (a column); their axes are dropped from the result, as ``matmul`` drops them."""
    tensors = list(tensors)
    if len(tensors) < 2:
        raise RuntimeError(f"multi_dot(): expected at least 2 tensors but got {len(tensors)}")
    last = len(tensors) - 1
    for i, t in enumerate(tensors):
        allowed = (1, 2) if i in (0, last) else (2,)
        if t.ndim not in allowed:
            where = "the first tensor" if i == 0 else ("the last tensor" if i == last else f"tensor {i}")
            raise RuntimeError(f"multi_dot(): {where} must be {' or '.join(f'{d}D' for d in allowed)} but got "
                               f"{t.ndim}D")
    mats = [tensors[0].reshape(1, -1) if tensors[0].ndim == 1 else tensors[0], *tensors[1:last],
            tensors[last].reshape(-1, 1) if tensors[last].ndim == 1 else tensors[last]]
    for i in range(last):
        if mats[i].shape[1] != mats[i + 1].shape[0]:
            raise RuntimeError(f"multi_dot(): tensors {i} and {i + 1} with shapes {tuple(tensors[i].shape)} and "
                               f"{tuple(tensors[i + 1].shape)} cannot be multiplied")
    split = _chain_order([m.shape[0] for m in mats] + [mats[-1].shape[1]])

    def product(i: int, j: int) -> Tensor:
        if i == j:
            return mats[i]
        k = split[i][j]
        return _matmul(product(i, k), product(k + 1, j))

    out = product(0, last)
    shape = tuple(n for n, keep in ((out.shape[0], tensors[0].ndim == 2), (out.shape[1], tensors[last].ndim == 2))
                  if keep)
    return out.reshape(shape)


def cond(A: Tensor, p: Any = None, *, out: None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """The condition number of each matrix of A (*, m, n) (``torch.linalg.cond``): with ``p`` None, 2 or -2 the ratio
    of the largest to the smallest singular value (-2: its reciprocal; any m, n), with ``"fro"``, ``"nuc"``, +-1 or
    +-inf ``matrix_norm(A, p) * matrix_norm(inv(A), p)`` of square A, +inf for a singular one, as PyTorch's."""
    if not (p is None or p in (2, -2, "fro", "nuc", 1, -1, math.inf, -math.inf)):
        raise RuntimeError(f"linalg.cond got an invalid norm type: {p}")
    empty = 0 in tuple(A.shape)  # (not numel(): an exported graph's symbolic axis has no size)
    if p is None or p in (2, -2) or empty:
        values = svdvals(A)
        if empty:  # (PyTorch's 0 where NumPy has no condition number: 0 x 0 matrices, a batch of none)
            return values.sum(-1)
        largest, smallest = values[..., 0], values[..., -1]
        return smallest / largest if p == -2 else largest / smallest
    inverse, info = inv_ex(A)
    singular = info != 0
    value = matrix_norm(A, p) * matrix_norm(inverse.masked_fill(singular[..., None, None], 0.0), p)
    return value.masked_fill(singular, math.inf)


__all__ = ["EigResult", "eig", "eigvals",
           "EighResult", "LstsqResult", "QrResult", "SignLogAbsDet", "SvdResult", "cholesky", "cholesky_solve",
           "cross", "det", "eigh", "eigvalsh", "householder_product", "inv", "logdet", "lstsq", "matrix_exp",
           "matrix_norm", "matrix_power", "matrix_rank", "norm", "pinv", "qr", "slogdet", "solve", "solve_triangular",
           "svd", "svdvals", "vector_norm", "LinAlgError", "cholesky_ex", "inv_ex", "lu", "lu_factor", "lu_factor_ex",
           "solve_ex", "diagonal", "matmul", "multi_dot", "vecdot", "cond", "lu_solve", "tensorinv", "tensorsolve",
           "vander", "ldl_factor", "ldl_factor_ex", "ldl_solve", "LDLFactorResult", "LDLFactorExResult"]

from .out_argument import install_linalg as _install_out_arguments  # noqa: E402

_install_out_arguments(globals())  # PyTorch's out= on torch.linalg.inv, det, solve, svd...
from .functional.parser_names import install as _install_parser_names  # noqa: E402

_install_parser_names(globals(), "linalg")  # torch.linalg.cholesky(input=A), torch.linalg.lstsq(input=A, b=B)
from .functional.numpy_spellings import install as _install_numpy_spellings  # noqa: E402
from .functional.parser_names import PARSER_NAMES as _PARSER_NAMES  # noqa: E402

_install_numpy_spellings(globals(), __all__, "linalg.", _PARSER_NAMES["linalg"])  # linalg.norm(x=A, axis=-1)
