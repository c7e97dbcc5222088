"""``torch.linalg``'s error-reporting variants: ``cholesky_ex``, ``inv_ex``, ``solve_ex``, and the LU factorization
``lu_factor`` / ``lu_factor_ex``.

The ``_ex`` functions never raise for a matrix that cannot be factorized (unless ``check_errors=True``): they return
``info`` (*,) int32, 0 where the matrix factorized and LAPACK's code where it did not: for ``cholesky_ex`` the order
of the first leading minor that is not positive-definite, for ``inv_ex``/``solve_ex``/``lu_factor_ex`` the
(1-based) position of the first zero pivot of the partially pivoted LU factorization. The codes come from one
elimination (`eliminate`), written in the array namespace, so they need no host value and are the same on every
backend. Results of a matrix with ``info > 0`` are NaN (PyTorch leaves LAPACK's partial results there).
"""

from __future__ import annotations

import warnings
from typing import Any, NamedTuple

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.mode import is_grad_enabled, no_grad
from ..autograd.tensor import Tensor, make_tensor
from ..backend import dtype_name
from ..backend.typing import Namespace
from . import elementwise
from .cholesky import cholesky
from .formulas.conjugate import conj, is_complex
from .lu_steps import eliminate
from .matrix_inverse import LinAlgError, check_matrices, check_square, inv, solve


class CholeskyExResult(NamedTuple):
    """``torch.return_types.linalg_cholesky_ex``."""

    L: Tensor  # noqa: N815 - PyTorch's field name
    info: Tensor


class InvExResult(NamedTuple):
    """``torch.return_types.linalg_inv_ex``."""

    inverse: Tensor
    info: Tensor


class SolveExResult(NamedTuple):
    """``torch.return_types.linalg_solve_ex``."""

    result: Tensor
    info: Tensor


class LUFactorResult(NamedTuple):
    """``torch.return_types.linalg_lu_factor``."""

    LU: Tensor  # noqa: N815
    pivots: Tensor


class LUFactorExResult(NamedTuple):
    """``torch.return_types.linalg_lu_factor_ex``."""

    LU: Tensor  # noqa: N815
    pivots: Tensor
    info: Tensor


def _masks_of(xp: Namespace, m: int, n: int, like: Any) -> tuple[Any, Any]:
    """(strictly lower, upper with diagonal) masks (m, n) of ``like``'s dtype and device."""
    rows, columns = xp.arange(m, device=device(like)), xp.arange(n, device=device(like))
    lower = xp.astype(rows[:, None] > columns[None, :], like.dtype)
    return lower, 1 - lower


def _adjoint(xp: Namespace, a: Any) -> Any:
    """``aᴴ``, the conjugate transpose of each matrix (the transpose of a real one)."""
    return conj(xp, xp.matrix_transpose(a))


def _masks(xp: Namespace, n: int, like: Any) -> tuple[Any, Any]:
    """`_masks_of` a square (n, n)."""
    return _masks_of(xp, n, n, like)


class LUFactorFunction(Function):
    """A (*, m, n) → LU (*, m, n) (packed factors of ``A[order] = L U``, k = min(m, n): L (*, m, k) unit lower,
    U (*, k, n) upper); pivots and info are kept on ``self``. Gradient, with G_L, G_U the strictly lower and upper
    parts of the incoming gradient (PyTorch's ``linalg_lu_backward``):

    - square: ``G_A[order] = L⁻ᴴ (tril₋₁(Lᴴ G_L) + triu(G_U Uᴴ)) U⁻ᴴ``;
    - wide (m < n, U = [U₁ U₂]): ``L⁻ᴴ [G_U₁ + tril₋₁(Lᴴ G_L - G_U Uᴴ) U₁⁻ᴴ, G_U₂]``;
    - tall (m > n, L = [L₁; L₂]): ``(G_L + [L₁⁻ᴴ triu(G_U Uᴴ - Lᴴ G_L); 0]) U⁻ᴴ``.
    """

    pivot: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.lu, self.pivots, self.info, self.order = eliminate(xp, a, self.pivot)
        return self.lu

    def backward(self, xp: Namespace, g: Any) -> Any:
        m, n = self.lu.shape[-2], self.lu.shape[-1]
        if m == n:
            lower_mask, upper_mask = _masks(xp, n, self.lu)
            eye = xp.eye(n, dtype=self.lu.dtype, device=device(self.lu))
            lower, upper = self.lu * lower_mask + eye, self.lu * upper_mask
            phi = xp.matmul(_adjoint(xp, lower), g * lower_mask) * lower_mask + \
                xp.matmul(g * upper_mask, _adjoint(xp, upper)) * upper_mask
            left = xp.linalg.solve(_adjoint(xp, lower), phi)  # L⁻ᴴ phi
            permuted = _adjoint(xp, xp.linalg.solve(upper, _adjoint(xp, left)))  # ... U⁻ᴴ
        else:
            permuted = (self._wide if m < n else self._tall)(xp, g, m, n)
        back = xp.argsort(self.order, axis=-1)  # the rows of A from the rows of L U
        return xp.take_along_axis(permuted, xp.broadcast_to(back[..., None], tuple(permuted.shape)), axis=-2)

    def _wide(self, xp: Namespace, g: Any, m: int, n: int) -> Any:
        """The gradient of the row-permuted A (*, m, n), m < n: L (*, m, m), U = [U₁ U₂] (*, m, n)."""
        lower_mask, upper_mask = _masks_of(xp, m, n, self.lu)
        eye = xp.eye(m, dtype=self.lu.dtype, device=device(self.lu))
        lower = self.lu[..., :m] * lower_mask[:, :m] + eye
        upper, g_upper = self.lu * upper_mask, g * upper_mask
        inner = xp.matmul(_adjoint(xp, lower), g[..., :m] * lower_mask[:, :m]) - xp.matmul(
            g_upper, _adjoint(xp, upper))
        # tril₋₁(inner) U₁⁻ᴴ
        spread = _adjoint(xp, xp.linalg.solve(upper[..., :m], _adjoint(xp, inner * lower_mask[:, :m])))
        wanted = xp.concat([g_upper[..., :m] + spread, g_upper[..., m:]], axis=-1)
        return xp.linalg.solve(_adjoint(xp, lower), wanted)

    def _tall(self, xp: Namespace, g: Any, m: int, n: int) -> Any:
        """The gradient of the row-permuted A (*, m, n), m > n: L = [L₁; L₂] (*, m, n), U (*, n, n)."""
        lower_mask, upper_mask = _masks_of(xp, m, n, self.lu)
        eye = xp.eye(m, n, dtype=self.lu.dtype, device=device(self.lu))
        lower, g_lower = self.lu * lower_mask + eye, g * lower_mask
        upper = self.lu[..., :n, :] * upper_mask[:n, :]
        inner = xp.matmul(g[..., :n, :] * upper_mask[:n, :], _adjoint(xp, upper)) - xp.matmul(
            _adjoint(xp, lower), g_lower)
        top = xp.linalg.solve(_adjoint(xp, lower[..., :n, :]), inner * upper_mask[:n, :])  # L₁⁻ᴴ triu(inner)
        wanted = g_lower + xp.concat([top, xp.zeros_like(g_lower[..., n:, :])], axis=-2)
        return _adjoint(xp, xp.linalg.solve(upper, _adjoint(xp, wanted)))  # ... U⁻ᴴ


def _info_tensor(info: Any, like: Tensor) -> Tensor:
    return make_tensor(info, like.backend, None, 0)


def _raise_for(name: str, info: Tensor, describe: Any) -> None:
    """``check_errors=True``: PyTorch's LinAlgError for the first failed matrix (this reads ``info`` on the host).
    A traced ``info`` (jax.jit, an ONNX export) has no value: the check is skipped there, as every value check."""
    if info.backend.is_traced(info.array):
        return
    codes = info.numpy().reshape(-1)
    failed = [i for i, code in enumerate(codes.tolist()) if code]
    if failed:
        where = f"(Batch element {failed[0]}): " if info.ndim else ""
        raise LinAlgError(f"linalg.{name}: {where}{describe(int(codes[failed[0]]))}")


def _nan_where(failed: Tensor, value: Tensor) -> Tensor:
    """``value`` with the matrices whose ``failed`` is set replaced by NaN."""
    return elementwise.where(failed[..., None, None], float("nan"), value)


def _identity_where(failed: Tensor, a: Tensor) -> Tensor:
    """``a`` with the failed matrices replaced by identities, so the factorization of the others can run."""
    xp, n = a.backend.xp, a.shape[-1]
    eye = make_tensor(xp.eye(n, dtype=a.array.dtype, device=device(a.array)), a.backend, None, 0)
    return elementwise.where(failed[..., None, None], eye, a)


def _hermitian_from_lower(xp: Namespace, a: Any) -> Any:
    lower, _ = _masks(xp, a.shape[-1], a)
    diagonal = a * (1 - lower - xp.matrix_transpose(lower))
    strict = a * lower
    return strict + conj(xp, xp.matrix_transpose(strict)) + diagonal


def cholesky_ex(A: Tensor, *, upper: bool = False, check_errors: bool = False,  # noqa: N803 - PyTorch's names
                out: None = None) -> CholeskyExResult:
    """``linalg.cholesky`` of A (*, n, n) that reports instead of raising: ``(L, info)``, info (*) int32 the order
    of the first leading minor that is not positive-definite (0: none; L is NaN there). Reads A's lower triangle."""
    check_square("cholesky_ex", A, complex_ok=True)
    xp = A.backend.xp
    with no_grad():
        lu, _, zero_at, _ = eliminate(xp, _hermitian_from_lower(xp, A.array), pivot=False)
        n = A.shape[-1]
        heads = xp.stack([lu[..., k, k] for k in range(n)], axis=-1) if n else xp.ones(A.shape[:-1], dtype=lu.dtype)
        bad = ~(xp.real(heads) > 0) if is_complex(xp, heads) else ~(heads > 0)  # not positive, or NaN
        steps = xp.arange(1, n + 1, dtype=xp.int32, device=device(lu))
        beyond = xp.asarray(n + 1, dtype=xp.int32, device=device(lu))
        first = xp.min(xp.where(bad, steps, beyond), axis=-1) if n else zero_at
        info = _info_tensor(xp.where(first > n, xp.zeros_like(first), first), A)
    if check_errors:
        _raise_for("cholesky_ex", info, lambda code: "The factorization could not be completed because the input is "
                   f"not positive-definite (the leading minor of order {code} is not positive-definite).")
    failed = info > 0
    factor = _nan_where(failed, cholesky(_identity_where(failed, A)))
    return CholeskyExResult(factor.mH if upper else factor, info)


def _lu_info(A: Tensor) -> Tensor:
    with no_grad():
        _, _, info, _ = eliminate(A.backend.xp, A.array, pivot=True)
    return _info_tensor(info, A)


def _singular(code: int) -> str:
    return (f"The diagonal element {code} is zero, the inversion could not be completed because the input matrix "
            "is singular.")


def inv_ex(A: Tensor, *, check_errors: bool = False, out: None = None) -> InvExResult:  # noqa: N803
    """``linalg.inv`` of A (*, n, n) that reports instead of raising: ``(inverse, info)``, info (*) int32 the
    position of the first zero pivot of A's LU factorization (0: invertible; the inverse is NaN otherwise)."""
    check_square("inv_ex", A, complex_ok=True)
    info = _lu_info(A)
    if check_errors:
        _raise_for("inv_ex", info, _singular)
    failed = info > 0
    return InvExResult(_nan_where(failed, inv(_identity_where(failed, A))), info)


def solve_ex(A: Tensor, B: Tensor, *, left: bool = True, check_errors: bool = False,  # noqa: N803
             out: None = None) -> SolveExResult:
    """``linalg.solve`` that reports instead of raising: ``(X, info)`` with info (*) int32 as in `inv_ex` for A's
    matrices (X is NaN where A is singular)."""
    check_square("solve_ex", A, complex_ok=True)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve_ex: expected a Tensor for B, got {type(B).__name__}")
    info = _lu_info(A)
    if check_errors:
        _raise_for("solve_ex", info, lambda code: "The solver failed because the input matrix is singular.")
    failed = info > 0
    result = solve(_identity_where(failed, A), B, left=left)
    shape = tuple(info.shape) + (1,) * (result.ndim - info.ndim)
    return SolveExResult(elementwise.where(failed.reshape(*shape), float("nan"), result), info)


def _zero_pivot(code: int) -> str:
    return (f"U[{code},{code}] is zero and using it on lu_solve would result in a division by zero. If you still want "
            "to perform the factorization, consider calling linalg.lu(A, pivot) or linalg.lu_factor_ex(A, pivot)")


def lu_factor_ex(A: Tensor, *, pivot: bool = True, check_errors: bool = False,  # noqa: N803
                 out: None = None) -> LUFactorExResult:
    """The LU factorization of A (*, m, n) with partial pivoting (``pivot=False``: none, as PyTorch on a GPU):
    ``(LU, pivots, info)``: L (unit diagonal, not stored) and U packed in LU (*, m, n); pivots (*, min(m, n)) int32,
    1-based (row i was swapped with row ``pivots[i]``); info (*) int32, the first zero pivot (0: none).
    Differentiable (LU's gradient as PyTorch's, square or not)."""
    check_matrices("lu_factor_ex", A, complex_ok=True)
    if A.requires_grad and is_grad_enabled():
        node = LUFactorFunction.apply(A, pivot=bool(pivot))
        pivots, info = node.grad_fn.pivots, node.grad_fn.info
    else:
        lu, pivots, info, _ = eliminate(A.backend.xp, A.array, bool(pivot))
        node = make_tensor(lu, A.backend, None, 0)
    info_t = _info_tensor(info, A)
    if check_errors:
        _raise_for("lu_factor_ex", info_t, _zero_pivot)
    return LUFactorExResult(node, _info_tensor(pivots, A), info_t)


def lu_factor(A: Tensor, *, pivot: bool = True, out: None = None) -> LUFactorResult:  # noqa: N803
    """`lu_factor_ex` that raises PyTorch's error for a singular matrix: ``(LU, pivots)``."""
    check_matrices("lu_factor", A, complex_ok=True)
    found = lu_factor_ex(A, pivot=pivot)
    _raise_for("lu_factor", found.info, _zero_pivot)
    return LUFactorResult(found.LU, found.pivots)


class LUUnpackResult(NamedTuple):
    """``torch.return_types.lu_unpack`` (and ``linalg_lu``): ``A = P L U``."""

    P: Tensor
    L: Tensor
    U: Tensor


def _permutation(xp: Namespace, pivots: Any, m: int, dtype: Any) -> Any:
    """P (*, m, m) with ``A = P L U`` from LAPACK's 1-based row swaps ``pivots`` (*, k): the swaps applied in
    order to the rows 0..m-1 give the rows of A in LU's order, ``order``, and ``P[order[r], r] = 1``."""
    dev = device(pivots)
    swaps = xp.astype(pivots, xp.int64) - 1
    rows = xp.arange(m, dtype=xp.int64, device=dev)
    batch = tuple(pivots.shape[:-1])
    if None in batch and pivots.shape[-1]:  # a symbolic batch axis (ONNX export): rows added to zeros of its shape
        order = xp.zeros_like(swaps[..., :1]) + rows
    else:
        order = xp.broadcast_to(rows, batch + (m,))
    for i in range(pivots.shape[-1]):
        j = swaps[..., i:i + 1]  # (*, 1)
        at_i, at_j = order[..., i:i + 1], xp.take_along_axis(order, j, axis=-1)
        order = xp.where(rows == i, at_j, xp.where(rows == j, at_i, order))
    return xp.astype(rows[:, None] == order[..., None, :], dtype)


def lu_unpack(LU_data: Tensor, LU_pivots: Tensor, unpack_data: bool = True, unpack_pivots: bool = True,  # noqa: N803
              *, out: None = None) -> LUUnpackResult:
    """``torch.lu_unpack``: ``(P, L, U)`` with ``A = P L U`` from `lu_factor`'s ``(LU, pivots)``; LU (*, m, n),
    pivots (*, min(m, n)). L (*, m, k) is unit lower triangular, U (*, k, n) upper, k = min(m, n); L and U are
    differentiable in LU. ``unpack_data=False`` / ``unpack_pivots=False`` give empty L, U / P, as PyTorch."""
    check_matrices("lu_unpack", LU_data, complex_ok=True)
    if not isinstance(LU_pivots, Tensor) or dtype_name(LU_pivots.dtype) not in ("int32", "int64"):
        given = dtype_name(LU_pivots.dtype) if isinstance(LU_pivots, Tensor) else type(LU_pivots).__name__
        raise TypeError(f"lu_unpack: LU_pivots must be an integer Tensor (lu_factor's pivots), got {given}")
    xp, m, n = LU_data.backend.xp, LU_data.shape[-2], LU_data.shape[-1]
    k = min(m, n)
    dev = device(LU_data.array)
    empty = make_tensor(xp.zeros((0,), dtype=LU_data.array.dtype, device=dev), LU_data.backend, None, 0)
    lower = upper = empty
    if unpack_data:
        unit = make_tensor(xp.eye(m, k, dtype=LU_data.array.dtype, device=dev), LU_data.backend, None, 0)
        lower = LU_data[..., :, :k].tril(-1) + unit
        upper = LU_data[..., :k, :].triu()
    perm = empty
    if unpack_pivots:
        perm = make_tensor(_permutation(xp, LU_pivots.array, m, LU_data.array.dtype), LU_data.backend, None, 0)
    return LUUnpackResult(perm, lower, upper)


LU_DEPRECATION = ("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.linalg.lu_factor_ex and will be "
                  "removed in a future PyTorch release.\nLU, pivots = torch.lu(A, compute_pivots)\nshould be replaced "
                  "with\nLU, pivots = torch.linalg.lu_factor(A, compute_pivots)\nand\nLU, pivots, info = torch.lu(A, "
                  "compute_pivots, get_infos=True)\nshould be replaced with\nLU, pivots, info = "
                  "torch.linalg.lu_factor_ex(A, compute_pivots)")
_lu_warned = [False]  # PyTorch warns once per process (TORCH_WARN_ONCE), for torch.lu and Tensor.lu alike


def lu(A: Tensor, pivot: bool = True, get_infos: bool = False, out: None = None) -> tuple[Tensor, ...]:  # noqa: N803
    """The older ``torch.lu`` / ``Tensor.lu``: `lu_factor_ex`'s ``(LU, pivots)``, with ``info`` when
    ``get_infos`` (a singular matrix is factorized, not refused, as PyTorch's); the first call warns of the
    deprecation with PyTorch's UserWarning."""
    if not _lu_warned[0]:
        _lu_warned[0] = True
        warnings.warn(LU_DEPRECATION, UserWarning, stacklevel=2)
    found = lu_factor_ex(A, pivot=pivot)
    return (found.LU, found.pivots, found.info) if get_infos else (found.LU, found.pivots)


def linalg_lu(A: Tensor, *, pivot: bool = True, out: None = None) -> LUUnpackResult:  # noqa: N803
    """``torch.linalg.lu``: ``(P, L, U)`` with ``A = P L U`` for A (*, m, n), differentiable."""
    found = lu_factor_ex(A, pivot=pivot)
    return lu_unpack(found.LU, found.pivots)
