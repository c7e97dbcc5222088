"""Triangular factors and solves: ``linalg.solve_triangular``, ``linalg.cholesky``, ``cholesky_solve`` (PyTorch's
names), each one `Function` with PyTorch's gradient, written once in ``xp`` so that every order differentiates.

Shapes: A (*, n, n); ``solve_triangular``'s B (*, n, k) (``left=True``) or (*, k, n), batch dimensions broadcast.
Gradients (X the solution, L the factor; ᴴ is ᵀ for real inputs):

- ``solve_triangular``: ``G_B = solve_triangular(Aᴴ, G)``, ``G_A = -G_B Xᴴ`` (``left``; ``-Xᴴ G_B`` right), kept to
  the triangle A is read from (the strict triangle when ``unitriangular``);
- ``cholesky``: ``G_A = L⁻ᵀ S L⁻¹`` with ``S = ½(Φ + Φᵀ)``, ``Φ = tril(Lᵀ G)`` with its diagonal halved (PyTorch's
  symmetric gradient: A is taken as symmetric, though only its lower triangle is read).

The triangular solve is the backend's ``solve_triangular`` op (`anynn.backend.portable.linalg`); in a recorded
backward it runs as the portable masked solve, whose `SolveFunction` differentiates again. A matrix that is not
positive-definite raises where the library does (NumPy, PyTorch) and gives NaN where it does not (JAX).
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend import dtype_name, op
from ..backend.typing import Namespace
from .formulas.conjugate import conj, is_complex
from .matrix_inverse import LinAlgError, _batch, check_square


def triangle_mask(xp: Namespace, n: int, dtype: Any, device: Any, upper: bool, diagonal: float = 1.0) -> Any:
    """An (n, n) ``dtype`` array: ones on the strict upper (or lower) triangle, ``diagonal`` on the diagonal."""
    index = xp.arange(n, device=device)
    rows, cols = xp.reshape(index, (n, 1)), xp.reshape(index, (1, n))
    strict = xp.astype(xp.greater(cols, rows) if upper else xp.less(cols, rows), dtype)
    return strict if diagonal == 0 else strict + diagonal * xp.astype(xp.equal(cols, rows), dtype)


class SolveTriangularFunction(Function):
    """``X`` with ``A X = B`` (``left``) or ``X A = B``, A read as triangular; B of A's batch shape or broadcast."""

    upper: bool
    left: bool
    unitriangular: bool
    ties_constant_gradient = False  # smooth in A and B: B's gradient is a constant where A is, as PyTorch's

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a = a
        batch = _batch(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        self.out = op(self.backend, "solve_triangular")(
            xp.broadcast_to(a, batch + tuple(a.shape[-2:])), xp.broadcast_to(b, batch + tuple(b.shape[-2:])),
            self.upper, self.left, self.unitriangular)
        self.b_shape = tuple(b.shape)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        need_a, need_b = self.needs_input_grad
        a_t = conj(xp, xp.matrix_transpose(self.a))
        grad_b = op(self.backend, "solve_triangular")(a_t, g, not self.upper, self.left, self.unitriangular)
        grad_a = None
        if need_a:
            x_t = conj(xp, xp.matrix_transpose(self.out))
            grad_a = -xp.matmul(grad_b, x_t) if self.left else -xp.matmul(x_t, grad_b)
            n = self.a.shape[-1]
            keep = triangle_mask(xp, n, grad_a.dtype, self.backend.device, self.upper,
                                 0.0 if self.unitriangular else 1.0)
            grad_a = sum_to_shape(xp, grad_a * keep, tuple(self.a.shape))
        return grad_a, (sum_to_shape(xp, grad_b, self.b_shape) if need_b else None)


class CholeskyFunction(Function):
    """``L`` lower triangular with ``L Lᴴ = A`` (A symmetric or Hermitian positive-definite, its lower triangle
    read)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.out = xp.linalg.cholesky(a)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        factor = self.out
        n = factor.shape[-1]
        factor_h = conj(xp, xp.matrix_transpose(factor))
        if is_complex(xp, factor):  # PyTorch's: tril(Lᴴ G) with its strict lower part's adjoint added, halved
            product, device = xp.matmul(factor_h, g), self.backend.device
            lower = product * triangle_mask(xp, n, g.dtype, device, upper=False)
            strict = product * triangle_mask(xp, n, g.dtype, device, upper=False, diagonal=0.0)
            sym = 0.5 * (lower + conj(xp, xp.matrix_transpose(strict)))
        else:
            halved = triangle_mask(xp, n, g.dtype, self.backend.device, upper=False, diagonal=0.5)
            phi = xp.matmul(factor_h, g) * halved
            sym = 0.5 * (phi + xp.matrix_transpose(phi))
        solve = op(self.backend, "solve_triangular")
        left = solve(factor_h, sym, True, True, False)
        return solve(factor, left, False, False, False)


# what the differentiable namespace's ``xp.linalg`` adds for a recorded backward
RECORDED = SimpleNamespace(cholesky=lambda a, upper=False: CholeskyFunction.apply(a))


def _not_positive_definite(name: str, error: Exception) -> RuntimeError | None:
    """PyTorch's error for a library's failed factorization (NumPy's ``LinAlgError``, PyTorch's own): its
    ``torch.linalg.LinAlgError`` (a RuntimeError), anynn's `LinAlgError` (a plain RuntimeError before)."""
    if "LinAlgError" not in type(error).__name__:
        return None
    return LinAlgError(f"linalg.{name}: The factorization could not be completed because the input is not "
                        f"positive-definite ({error})")


def cholesky(A: Tensor, *, upper: bool = False, out: None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """The Cholesky factor of each symmetric (Hermitian) positive-definite matrix of A (*, n, n): lower triangular L
    with ``A = L Lᴴ`` (``upper=True``: ``Lᴴ``) (``torch.linalg.cholesky``)."""
    check_square("cholesky", A, complex_ok=True)
    try:
        factor = CholeskyFunction.apply(A)
    except Exception as error:
        found = _not_positive_definite("cholesky", error)
        if found is None:
            raise
        raise found from None
    return factor.mH if upper else factor  # (Lᴴ: Lᵀ for a real A)


def _check_operand(name: str, A: Tensor, B: Any, promote: bool = False) -> None:  # noqa: N803
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.{name}: expected a Tensor for B, got {type(B).__name__}")
    from .value_checks import check_one_backend

    check_one_backend(f"linalg.{name}", A, B)
    if B.array.dtype != A.array.dtype and not promote:
        raise RuntimeError(f"linalg.{name}: Expected A and B to have the same dtype, but found A of type "
                           f"{dtype_name(A.array.dtype)} and B of type {dtype_name(B.array.dtype)} instead")
    if B.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor B must have at least 2 dimensions.")


def solve_triangular(A: Tensor, B: Tensor, *, upper: bool, left: bool = True,  # noqa: N803
                     unitriangular: bool = False, out: None = None) -> Tensor:
    """X with ``A X = B`` (``left=False``: ``X A = B``) for A (*, n, n) read as upper (or lower) triangular, with a
    unit diagonal when ``unitriangular``; B (*, n, k) (left) or (*, k, n) (right), batch dimensions broadcast
    (``torch.linalg.solve_triangular``)."""
    check_square("solve_triangular", A, complex_ok=True)
    from .type_promotion import can_cast

    cast = A.array.dtype != B.array.dtype and can_cast(B.dtype, A.dtype)
    _check_operand("solve_triangular", A, B, promote=cast)
    if cast:  # PyTorch's solve_triangular computes in A's dtype (a float32 B beside a float64 A, and the reverse)
        from .operands import astype

        B = astype(B, dtype_name(A.array.dtype))  # noqa: N806
    n = A.shape[-1]
    side = B.shape[-2] if left else B.shape[-1]
    if side != n:
        shape = f"{B.shape[-2]}x{B.shape[-1]}"
        raise RuntimeError(f"linalg.solve_triangular: Incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {shape})")
    return SolveTriangularFunction.apply(A, B, upper=bool(upper), left=bool(left), unitriangular=bool(unitriangular))


def cholesky_solve(B: Tensor, L: Tensor, upper: bool = False, *, out: None = None) -> Tensor:  # noqa: N803
    """X with ``A X = B`` given A's Cholesky factor L (*, n, n) (lower; ``upper=True``: Lᴴ) and B (*, n, k)
    (``torch.cholesky_solve``): two triangular solves, differentiable in B and L."""
    check_square("cholesky_solve", L, complex_ok=True)
    _check_operand("cholesky_solve", L, B)
    lower = L.mH if upper else L  # A = lower @ lower.mH either way
    return solve_triangular(lower.mH, solve_triangular(lower, B, upper=False), upper=True)


__all__ = ["CholeskyFunction", "RECORDED", "SolveTriangularFunction", "cholesky", "cholesky_solve",
           "solve_triangular", "triangle_mask"]
