"""``linalg.ldl_factor``/``ldl_factor_ex``/``ldl_solve``: the Bunch-Kaufman factorization ``P A Pᵀ = L D Lᵀ`` of a
symmetric (or Hermitian) matrix and the solve that uses it, as PyTorch's (LAPACK's sytf2/sytrs, lower triangle).

The pivot choices (a 1x1 or a 2x2 block of D, which row to swap in) depend on the values, one decision per column,
so the factorization runs on the host copy of the matrices, like PyTorch's CPU LAPACK call; the results come back
to the tensor's backend. PyTorch has no derivative for either: the results do not require grad. A traced matrix
(jax.jit, ONNX export) has no values to decide on and is refused.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.arrays import device_of
from ..backend.broadcasting import broadcast_shapes
from .matrix_inverse import check_matrices

_ALPHA = (1.0 + math.sqrt(17.0)) / 8.0  # Bunch-Kaufman's growth bound, LAPACK's choice


class LDLFactorResult(NamedTuple):
    """``torch.return_types.linalg_ldl_factor``."""

    LD: Tensor  # noqa: N815
    pivots: Tensor


class LDLFactorExResult(NamedTuple):
    """``torch.return_types.linalg_ldl_factor_ex``."""

    LD: Tensor  # noqa: N815
    pivots: Tensor
    info: Tensor


def _swap_rows(a: Any, i: int, j: int) -> None:
    a[[i, j]] = a[[j, i]]


def _factor_one(a: Any, pivots: Any, conj: Any) -> int:
    """sytf2 (lower) on one host matrix ``a`` (n, n), in place; 1-based ``pivots`` (negative for 2x2 blocks);
    returns LAPACK's info (the first zero pivot column, 1-based; 0: none). ``conj``: the conjugate for Hermitian
    input, the identity otherwise."""
    n, info, k = a.shape[0], 0, 0
    hermitian = conj is not _same
    while k < n:
        step, absakk = 1, float(abs(a[k, k].real) if hermitian else _size(a[k, k]))
        imax, colmax = k, 0.0
        if k < n - 1:
            imax = k + 1 + int(_size(a[k + 1:, k]).argmax())
            colmax = float(_size(a[imax, k]))
        if max(absakk, colmax) == 0:
            info = info or k + 1
            kp = k
        elif absakk >= _ALPHA * colmax:
            kp = k
        else:
            row = _size(a[imax, k:imax])  # row imax of the lower triangle left of the diagonal, its column below
            rowmax = float(row.max())
            if imax < n - 1:
                rowmax = max(rowmax, float(_size(a[imax + 1:, imax]).max()))
            if absakk >= _ALPHA * colmax * (colmax / rowmax):
                kp = k
            elif float(abs(a[imax, imax].real) if hermitian else _size(a[imax, imax])) >= _ALPHA * rowmax:
                kp = imax
            else:
                kp, step = imax, 2
        kk = k + step - 1
        if kp != kk:  # swap rows and columns kk and kp of the trailing lower triangle
            a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
            between = a[kk + 1:kp, kk].copy()
            a[kk + 1:kp, kk] = conj(a[kp, kk + 1:kp])
            a[kp, kk + 1:kp] = conj(between)
            if conj is not _same:
                a[kp, kk] = conj(a[kp, kk])
            a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
            if step == 2:
                a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
        if max(absakk, colmax) != 0:
            if step == 1:
                d11 = 1.0 / (a[k, k].real if conj is not _same else a[k, k])
                column = a[k + 1:, k].copy()
                trailing = a[k + 1:, k + 1:] - d11 * column[:, None] * conj(column)[None, :]
                a[k + 1:, k + 1:] = trailing
                a[k + 1:, k] = column * d11
            elif k < n - 2:
                wk, wkp1 = _block_multipliers(a, k, hermitian)
                a[k + 2:, k + 2:] -= (a[k + 2:, k, None] * conj(wk)[None, :]
                                      + a[k + 2:, k + 1, None] * conj(wkp1)[None, :])
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
        if step == 1:
            pivots[k] = kp + 1
        else:
            pivots[k] = pivots[k + 1] = -(kp + 1)
        k += step
    if hermitian:
        for i in range(n):  # D's diagonal is real
            a[i, i] = a[i, i].real
    return info


def _block_multipliers(a: Any, k: int, hermitian: bool) -> tuple[Any, Any]:
    """The columns of L below a 2x2 pivot block at (k, k+1): the trailing rows times the block's inverse (sytf2's
    and hetf2's formulas, which scale by the block's off-diagonal entry, or its modulus for Hermitian input)."""
    below_k, below_k1 = a[k + 2:, k], a[k + 2:, k + 1]
    if not hermitian:
        d21 = a[k + 1, k]
        d11, d22 = a[k + 1, k + 1] / d21, a[k, k] / d21
        scale = 1.0 / (d11 * d22 - 1.0) / d21
        return scale * (d11 * below_k - below_k1), scale * (d22 * below_k1 - below_k)
    modulus = abs(a[k + 1, k])
    d11, d22 = a[k + 1, k + 1].real / modulus, a[k, k].real / modulus
    d21 = a[k + 1, k] / modulus
    scale = 1.0 / (d11 * d22 - 1.0) / modulus
    return scale * (d11 * below_k - d21 * below_k1), scale * (d22 * below_k1 - d21.conjugate() * below_k)


def _same(x: Any) -> Any:
    return x


def _size(z: Any) -> Any:
    """LAPACK's cabs1 for its pivot choices: ``|Re z| + |Im z|`` (``|z|`` for real numbers)."""
    return abs(z.real) + abs(z.imag)


def _host_matrices(name: str, A: Tensor, shape: tuple[int, ...] | None = None) -> Any:  # noqa: N803
    """A's values on the host (broadcast to ``shape`` first, on its backend)."""
    backend = A.backend
    if backend.is_traced(A.array):
        raise RuntimeError(f"{name}: the pivots depend on the values, and a traced matrix (jax.jit, ONNX export) has "
                           "none; factorize outside the traced function")
    return backend.to_host(A.array if shape is None else backend.xp.broadcast_to(A.array, shape))


def _host_zeros(like: Tensor, shape: tuple[int, ...]) -> Any:
    """A writable host array of int32 zeros (pivots, info), made by ``like``'s backend as `to_host` gives arrays."""
    xp = like.backend.xp
    return like.backend.to_host(xp.zeros(shape, dtype=xp.int32, device=device_of(like.array))).copy()


def _broadcast_shapes(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of batch shapes (sizes 1 stretch; others must agree), as the array API broadcasts."""
    out = broadcast_shapes(*shapes)
    if out is None:
        raise RuntimeError(f"linalg.ldl_solve: the batch shapes {shapes} do not broadcast")
    return out


def ldl_factor_ex(A: Tensor, *, hermitian: bool = False, check_errors: bool = False,  # noqa: N803
                  out: None = None) -> LDLFactorExResult:
    """The LDL factorization of symmetric (``hermitian``: Hermitian) A (*, n, n), from its lower triangle:
    ``(LD, pivots, info)``: L (unit diagonal, not stored) below the diagonal and the 1x1/2x2 blocks of D on and
    beside it in LD (*, n, n) (zero above); pivots (*, n) int32, 1-based, negative for the two rows of a 2x2 block
    (LAPACK's sytrf); info (*) int32, the first column with a zero pivot (0: none). Not differentiable."""
    check_matrices("ldl_factor_ex", A, square=True, complex_ok=True)
    host = _host_matrices("linalg.ldl_factor_ex", A)
    n = host.shape[-1]
    batch = host.shape[:-2]
    lower = host.copy().reshape((math.prod(batch), n, n))  # no -1: nothing infers it when n is 0
    pivots, info = (_host_zeros(A, lower.shape[:2]), _host_zeros(A, lower.shape[:1]))  # (matrices, n), (matrices,)
    conj = (lambda x: x.conjugate()) if hermitian and dtype_name(A.dtype).startswith("complex") else _same
    for i in range(lower.shape[0]):
        info[i] = _factor_one(lower[i], pivots[i], conj)
        for r in range(n - 1):  # only the lower triangle is the factor
            lower[i, r, r + 1:] = 0
    backend = A.backend
    ld = Tensor._make(backend.from_host(lower.reshape(host.shape)), backend, None, 0)
    piv = Tensor._make(backend.from_host(pivots.reshape(batch + (n,))), backend, None, 0)
    found = Tensor._make(backend.from_host(info.reshape(batch)), backend, None, 0)
    if check_errors and bool((info > 0).any()):
        raise RuntimeError(f"linalg.ldl_factor_ex: the factorization could not be completed because the input is "
                           f"not invertible: D[{int(info[info > 0][0]) - 1}] is zero")
    return LDLFactorExResult(ld, piv, found)


def ldl_factor(A: Tensor, *, hermitian: bool = False, out: None = None) -> LDLFactorResult:  # noqa: N803
    """`ldl_factor_ex` without ``info``: ``(LD, pivots)`` (a zero pivot is no error, as PyTorch's)."""
    found = ldl_factor_ex(A, hermitian=hermitian)
    return LDLFactorResult(found.LD, found.pivots)


def _solve_one(a: Any, pivots: Any, b: Any, conj: Any) -> None:
    """sytrs (lower) on one host system, in place: ``b`` (n, k) becomes X with ``A X = B``."""
    n, k = a.shape[0], 0
    while k < n:  # L D Y = P B
        if pivots[k] > 0:
            _swap_rows(b, k, int(pivots[k]) - 1)
            b[k + 1:] -= a[k + 1:, k, None] * b[k][None, :]
            b[k] = b[k] / a[k, k]
            k += 1
        else:
            _swap_rows(b, k + 1, -int(pivots[k]) - 1)
            b[k + 2:] -= a[k + 2:, k, None] * b[k][None, :] + a[k + 2:, k + 1, None] * b[k + 1][None, :]
            akm1k = a[k + 1, k]
            akm1, ak = a[k, k] / conj(akm1k), a[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1.0
            bkm1, bk = b[k] / conj(akm1k), b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # Lᵀ (Pᵀ X) = Y
        if pivots[k] > 0:
            b[k] -= conj(a[k + 1:, k]) @ b[k + 1:]
            _swap_rows(b, k, int(pivots[k]) - 1)
            k -= 1
        else:
            b[k] -= conj(a[k + 1:, k]) @ b[k + 1:]
            b[k - 1] -= conj(a[k + 1:, k - 1]) @ b[k + 1:]
            _swap_rows(b, k, -int(pivots[k]) - 1)
            k -= 2


def ldl_solve(LD: Tensor, pivots: Tensor, B: Tensor, *, hermitian: bool = False,  # noqa: N803
              out: None = None) -> Tensor:
    """X (*, n, k) with ``A X = B`` from `ldl_factor`'s ``(LD, pivots)`` of A (*, n, n); the batch dims of LD and B
    broadcast. Not differentiable, as PyTorch's."""
    check_matrices("ldl_solve", LD, square=True, complex_ok=True)
    if B.ndim < 2 or B.shape[-2] != LD.shape[-1]:
        raise RuntimeError(f"linalg.ldl_solve: B must be (*, {LD.shape[-1]}, k) for LD of shape {tuple(LD.shape)}, "
                           f"got {tuple(B.shape)}")
    if dtype_name(pivots.dtype) != "int32":
        raise RuntimeError(f"linalg.ldl_solve: pivots must be int32, got {dtype_name(pivots.dtype)}")
    if dtype_name(B.dtype) != dtype_name(LD.dtype):
        raise RuntimeError(f"linalg.ldl_solve: LD and B must have one dtype, got {dtype_name(LD.dtype)} and "
                           f"{dtype_name(B.dtype)}")
    n, k = LD.shape[-1], B.shape[-1]
    batch = _broadcast_shapes(tuple(LD.shape[:-2]), tuple(B.shape[:-2]), tuple(pivots.shape[:-1]))
    count = math.prod(batch)  # no -1: nothing infers it when n or k is 0
    a = _host_matrices("linalg.ldl_solve", LD, batch + (n, n)).reshape((count, n, n))
    x = _host_matrices("linalg.ldl_solve", B, batch + (n, k)).reshape((count, n, k)).copy()
    p = _host_matrices("linalg.ldl_solve", pivots, batch + (n,)).reshape((count, n))
    conj = (lambda v: v.conjugate()) if hermitian and dtype_name(LD.dtype).startswith("complex") else _same
    for i in range(x.shape[0]):
        _solve_one(a[i], p[i], x[i], conj)
    backend = B.backend
    return Tensor._make(backend.from_host(x.reshape(batch + (n, k))), backend, None, 0)


__all__ = ["LDLFactorExResult", "LDLFactorResult", "ldl_factor", "ldl_factor_ex", "ldl_solve"]
