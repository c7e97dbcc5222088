"""PyTorch's top-level and Tensor-method spellings of the decompositions (``torch.logdet``, ``torch.matrix_power``,
``torch.matrix_exp``, ``torch.pinverse``, ``torch.cholesky_solve``, ``torch.cholesky_inverse``, and the older
``torch.svd``/``torch.qr``/``torch.cholesky`` with their own arguments and results), each written over the
``linalg`` Functions.

Shapes: A (*, m, n) (square where the operation needs it); results as the docstrings say.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .cholesky import cholesky as _linalg_cholesky
from .cholesky import cholesky_solve
from .elementwise import clone, log, where
from .linalg_ex import lu
from .matrix_functions import geqrf, householder_product, matrix_exp, ormqr
from .matrix_inverse import check_matrices, check_square, inv, slogdet
from .pinv import pinv
from .spectral import qr as _linalg_qr
from .spectral import svd as _linalg_svd
from .spectral import svdvals
from .value_checks import require_tensor


def logdet(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """``log det A`` for A (*, n, n) (``torch.logdet``): NaN where the determinant is negative, ``-inf`` where it is
    zero; the gradient is slogdet's, ``inv(A)ᵀ``, and zero where the value is NaN, as PyTorch's. Of a complex A,
    ``log|det A| + i arg(det A)``."""
    sign, logabsdet = slogdet(input)
    if sign.is_complex():  # log |det| + i arg(det)
        return logabsdet + log(sign)
    return where(sign < 0, float("nan"), logabsdet)  # a zero determinant's logabsdet is -inf already


def matrix_power(input: Tensor, n: int, *, out: None = None) -> Tensor:  # noqa: A002
    """A (*, m, m) to the integer power ``n`` (``torch.linalg.matrix_power``): repeated squaring with matmuls;
    ``n = 0`` the identity, ``n < 0`` powers of ``inv(A)``. Integer matrices too for ``n >= 0``, exact in their
    dtype, and boolean ones for ``n`` 0 and 1, as PyTorch's (its matmul has no boolean kernel)."""
    exact = isinstance(input, Tensor) and input.backend.xp.isdtype(input.array.dtype, ("integral", "bool"))
    half = isinstance(input, Tensor) and dtype_name(input.dtype) in ("float16", "bfloat16")  # (matmuls: PyTorch's)
    if (exact or half) and isinstance(n, int) and n >= 0:
        check_matrices("matrix_power", input, square=True, real=False)
    else:
        check_square("matrix_power", input, complex_ok=True)
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"linalg.matrix_power: n must be an int, got {type(n).__name__}")
    if n == 0:  # the identity, recorded as a function of A (gradient zeros) as PyTorch's
        xp = input.backend.xp
        identity = input.new_ones(tuple(input.shape)).tril().triu()
        return where(xp.ones(tuple(input.shape), dtype=xp.bool, device=input.backend.device), identity, input)
    if n == 1:  # a new tensor, not A itself
        return clone(input)
    base, n = (inv(input), -n) if n < 0 else (input, n)
    result = None
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    assert result is not None
    return result


def pinverse(input: Tensor, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """``torch.pinverse``: `pinv` with singular values up to ``rcond * σ_max`` dropped, (*, n, m)."""
    return pinv(input, rtol=rcond)


def cholesky_inverse(input: Tensor, upper: bool = False, *, out: None = None) -> Tensor:  # noqa: A002
    """``inv(A)`` (*, n, n) from A's Cholesky factor L (lower; ``upper=True``: Lᴴ) (``torch.cholesky_inverse``)."""
    check_square("cholesky_inverse", input, complex_ok=True)
    return cholesky_solve(input.new_ones(tuple(input.shape)).tril().triu(), input, upper)


def cholesky(input: Tensor, upper: bool = False, *, out: None = None) -> Tensor:  # noqa: A002
    """The older ``torch.cholesky``: `linalg.cholesky` with ``upper`` positional."""
    return _linalg_cholesky(input, upper=upper)


class SvdOld(NamedTuple):
    """``torch.return_types.svd``: V, not Vh."""

    U: Tensor
    S: Tensor
    V: Tensor


def svd(input: Tensor, some: bool = True, compute_uv: bool = True, *, out: None = None) -> SvdOld:  # noqa: A002
    """The older ``torch.svd``: ``(U, S, V)`` with ``A = U diag(S) Vᴴ``, reduced when ``some``; with
    ``compute_uv=False`` U and V are zeros of shape (*, m, m) and (*, n, n) and S is `svdvals`' (differentiable),
    as PyTorch's."""
    if not compute_uv:
        m, n = input.shape[-2], input.shape[-1]
        batch = tuple(input.shape[:-2])
        return SvdOld(input.new_zeros(batch + (m, m)), svdvals(input), input.new_zeros(batch + (n, n)))
    found = _linalg_svd(input, full_matrices=not some)
    return SvdOld(found.U, found.S, found.Vh.mH)


def qr(input: Tensor, some: bool = True, *, out: None = None) -> Any:  # noqa: A002
    """The older ``torch.qr``: `linalg.qr` reduced when ``some``, complete otherwise."""
    return _linalg_qr(input, mode="reduced" if some else "complete")


def _tensor_cholesky_solve(self: Tensor, input2: Tensor, upper: bool = False) -> Tensor:
    return cholesky_solve(self, input2, upper)


_tensor_cholesky_solve.__name__ = _tensor_cholesky_solve.__qualname__ = "cholesky_solve"


def orgqr(input: Tensor, tau: Tensor) -> Tensor:  # noqa: A002
    """``torch.orgqr``: `linalg.householder_product` (the first n columns of Q from `geqrf`'s reflectors)."""
    require_tensor("orgqr", input, "input", 1)
    require_tensor("orgqr", tau, "tau", 2)
    return householder_product(input, tau)


def _tensor_orgqr(self: Tensor, input2: Tensor) -> Tensor:
    require_tensor("orgqr", input2, "input2", 1)
    return householder_product(self, input2)


def _tensor_ormqr(self: Tensor, input2: Tensor, input3: Tensor, left: bool = True, transpose: bool = False) -> Tensor:
    return ormqr(self, input2, input3, left, transpose)


_tensor_orgqr.__name__ = _tensor_orgqr.__qualname__ = "orgqr"
_tensor_ormqr.__name__ = _tensor_ormqr.__qualname__ = "ormqr"
# the top-level spellings; Tensor methods are the same functions with the tensor first (PyTorch's input2... names)
FUNCTIONS: dict[str, Any] = {"logdet": logdet, "matrix_power": matrix_power, "pinverse": pinverse,
                             "cholesky_inverse": cholesky_inverse, "cholesky": cholesky, "svd": svd, "qr": qr,
                             "matrix_exp": matrix_exp, "lu": lu, "geqrf": geqrf, "orgqr": orgqr, "ormqr": ormqr}
METHODS: dict[str, Any] = {**FUNCTIONS, "cholesky_solve": _tensor_cholesky_solve, "orgqr": _tensor_orgqr,
                           "ormqr": _tensor_ormqr}

__all__ = ["FUNCTIONS", "METHODS", "SvdOld", "cholesky", "cholesky_inverse", "geqrf", "logdet", "lu", "matrix_exp",
           "matrix_power", "orgqr", "ormqr", "pinverse", "qr", "svd"]
