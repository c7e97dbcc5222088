"""Square-matrix linear algebra: ``inv``, ``det``, ``slogdet``, ``solve`` (PyTorch's ``torch.linalg`` names), each
one `Function` over the array API's ``linalg`` extension (``xp.linalg``, which every anynn backend has).

Shapes: A (*, n, n); ``det``/``logabsdet`` (*); ``solve``'s B (*, n, k) or a vector (*, n), batch dimensions
broadcast. Gradients: ``inv``: ``-Aᵢᴴ G Aᵢᴴ``; ``det``: ``g conj(det) Aᵢᴴ``; ``logabsdet``: ``g Aᵢᴴ``;
``solve``: ``G_B = solve(Aᴴ, G)``, ``G_A = -G_B Xᴴ`` (Aᵢ the inverse; ᴴ the conjugate transpose, PyTorch's rule for
complex matrices, which all of these take; a complex ``slogdet``'s sign is the phase of ``det``). The recorded backward
(``create_graph``) reaches these same Functions through `RECORDED`, so every order is differentiable. A singular
A in ``inv``/``solve`` raises `LinAlgError` where the array library raises (NumPy, PyTorch) and gives inf/NaN where
it does not (JAX; checking would read values back from the device, which a Function never does); ``det``'s gradient
at a singular A is the cofactor matrix from an SVD where the library refuses ``inv`` (PyTorch's SVD branch).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any, NamedTuple

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.typing import Namespace
from .formulas.conjugate import conj, is_complex
from .lu_steps import eliminate, substitute
from .value_checks import KernelNotImplementedError, NotATensorError, check_one_backend, linalg_dtype_error


def _batch(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    """The broadcast of batch shapes (NumPy's rule), or PyTorch-like RuntimeError."""
    rank = max(len(s) for s in shapes)
    out = []
    for sizes in zip(*((1,) * (rank - len(s)) + tuple(s) for s in shapes)):
        wide = {n for n in sizes if n != 1}
        if len(wide) > 1:
            raise RuntimeError(f"linalg.solve: the batch dimensions {shapes} of A and B do not broadcast")
        out.append(wide.pop() if wide else 1)
    return tuple(out)


class LinAlgError(RuntimeError, ValueError):
    """A matrix the operation cannot use (a singular one for ``inv``/``solve``): PyTorch's
    ``torch.linalg.LinAlgError`` is a RuntimeError, NumPy's ``LinAlgError`` a ValueError; this is both."""


@contextmanager
def _singular_named(name: str) -> Iterator[None]:
    """Re-raise the array library's own linear-algebra error (NumPy's, PyTorch's; JAX returns inf/NaN instead)
    as `LinAlgError` naming the operation; every library calls its class ``LinAlgError`` (PyTorch ``_LinAlgError``)."""
    try:
        yield
    except LinAlgError:
        raise
    except Exception as error:
        if type(error).__name__.lstrip("_") != "LinAlgError":
            raise
        raise LinAlgError(f"linalg.{name}: the input matrix is singular ({error})") from error


def _cells(xp: Namespace, x: Any) -> Any:
    """``x`` (*) as (*, 1, 1), to scale a batch of matrices."""
    return xp.reshape(x, tuple(x.shape) + (1, 1))


class InvFunction(Function):
    """``inv(A)``; gradient ``-inv(A)ᴴ G inv(A)ᴴ`` (ᴴ: the transpose, conjugated for complex A)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.out = xp.linalg.inv(a)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        inverse_h = conj(xp, xp.matrix_transpose(self.out))
        return -xp.matmul(xp.matmul(inverse_h, g), inverse_h)


class DetFunction(Function):
    """``det(A)``; gradient ``g conj(det(A)) inv(A)ᴴ`` (the conjugated cofactor matrix)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        self.out = xp.linalg.det(a)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        try:
            return _cells(xp, g * conj(xp, self.out)) * conj(xp, xp.matrix_transpose(xp.linalg.inv(self.a)))
        except Exception as error:
            if type(error).__name__.lstrip("_") != "LinAlgError":
                raise
        return _cells(xp, g) * _cofactors(xp, self.a)


def _cofactors(xp: Namespace, a: Any) -> Any:
    """``conj(det(A) inv(A)ᵀ)`` (*, n, n), the conjugated cofactor matrix, also of a singular A (where the
    library's ``inv`` refuses it): with ``A = U S Vh``, ``conj(det(U) det(Vh)) U diag(prod_{j != i} s_j) Vh``
    (PyTorch's singular branch, which its recorded gradient takes), no division by a zero singular value."""
    recorded = getattr(xp.linalg, "svd_of_cofactors", None)  # a recorded backward's (refuses a complex A's gradient)
    u, s, vh = recorded(a) if recorded is not None else xp.linalg.svd(a, full_matrices=False)
    mask = xp.eye(s.shape[-1], dtype=s.dtype, device=device(s))
    others = xp.prod(xp.expand_dims(s, axis=-2) * (1.0 - mask) + mask, axis=-1)  # (*, n): s with s_i left out
    sign = conj(xp, xp.linalg.det(u) * xp.linalg.det(vh))
    return _cells(xp, sign) * xp.matmul(u * xp.expand_dims(others, axis=-2), vh)


class LogAbsDetFunction(Function):
    """``log|det(A)|`` (slogdet's second part); gradient ``g inv(A)ᴴ``: for a singular A the inf and NaN of
    PyTorch's ``solve(Aᵀ, I)`` (see `_inverse_transposed`), where NumPy and PyTorch's ``inv`` would raise."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return xp.linalg.slogdet(a)[1]

    def backward(self, xp: Namespace, g: Any) -> Any:
        return _cells(xp, g) * conj(xp, _inverse_transposed(xp, self.a))


def _inverse_transposed(xp: Namespace, a: Any) -> Any:
    """``inv(A)ᵀ`` of A (*, n, n); where the library refuses a singular matrix, PyTorch's ``solve(Aᵀ, I)`` by
    LAPACK's steps (`lu_steps`), whose zero pivot gives inf and NaN (-inf for log|det|'s gradient
    where PyTorch gives it)."""
    try:
        return xp.matrix_transpose(xp.linalg.inv(a))
    except Exception as error:
        if type(error).__name__.lstrip("_") != "LinAlgError":
            raise
    transposed = xp.matrix_transpose(a)
    lu, _, _, order = eliminate(xp, transposed, pivot=True)
    eye = xp.eye(a.shape[-1], dtype=a.dtype, device=device(a))
    return substitute(xp, lu, order, xp.broadcast_to(eye, tuple(a.shape)))


class SolveFunction(Function):
    """``X = solve(A, B)`` for B (*, n, k) of A's batch shape; gradients ``G_B = solve(Aᴴ, G)``, ``G_A = -G_B Xᴴ``
    (summed over the batch dimensions each operand was broadcast along)."""

    ties_constant_gradient = False  # smooth in A and B: G_B is a constant where A is, as PyTorch's

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a = a
        batch = _batch(tuple(a.shape[:-2]), tuple(b.shape[:-2]))
        self.out = xp.linalg.solve(xp.broadcast_to(a, batch + tuple(a.shape[-2:])),
                                   xp.broadcast_to(b, batch + tuple(b.shape[-2:])))
        self.b_shape = tuple(b.shape)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        need_a, need_b = self.needs_input_grad
        batch = tuple(self.out.shape[:-2])
        a = xp.broadcast_to(self.a, batch + tuple(self.a.shape[-2:]))
        grad_b = xp.linalg.solve(conj(xp, xp.matrix_transpose(a)), g)
        grad_a = -xp.matmul(grad_b, conj(xp, xp.matrix_transpose(self.out))) if need_a else None
        return (sum_to_shape(xp, grad_a, tuple(self.a.shape)) if need_a else None,
                sum_to_shape(xp, grad_b, self.b_shape) if need_b else None)


def _recorded_solve(a: Any, b: Any) -> Any:
    return SolveFunction.apply(a, b)


# what the differentiable namespace answers for ``xp.linalg`` (a recorded backward calling inv, det, solve)
RECORDED = SimpleNamespace(inv=InvFunction.apply, det=DetFunction.apply, solve=_recorded_solve,
                           slogdet=lambda a: (SignOfDet.apply(a), LogAbsDetFunction.apply(a)))


def check_matrices(name: str, a: Any, square: bool = False, real: bool = True, complex_ok: bool = False) -> None:
    """PyTorch's refusals of ``linalg.<name>``'s input: a non-Tensor, fewer than 2 dims, non-square matrices (with
    ``square``), a dtype other than real floating (with ``real``; or complex with ``complex_ok``; complex is
    refused by name where the gradients are written for real matrices only)."""
    if not isinstance(a, Tensor):
        raise NotATensorError(f"linalg.{name}: expected a Tensor for A, got {type(a).__name__}")
    if a.ndim < 2:
        raise RuntimeError(f"linalg.{name}: The input tensor A must have at least 2 dimensions.")
    if square and a.shape[-1] != a.shape[-2]:
        raise RuntimeError(f"linalg.{name}: A must be batches of square matrices, but they are {a.shape[-2]} by "
                           f"{a.shape[-1]} matrices")
    kinds = ("real floating", "complex floating") if complex_ok else "real floating"
    if real and not a.backend.xp.isdtype(a.array.dtype, kinds):
        raise linalg_dtype_error(f"linalg.{name}", a.array.dtype)
    if real and name != "lu_unpack" and dtype_name(a.dtype) in ("float16", "bfloat16"):  # (NumPy: a TypeError)
        raise KernelNotImplementedError(f"linalg.{name}: Low precision dtypes not supported. Got "
                                        f"{dtype_name(a.dtype)}, as in PyTorch (its LAPACK kernels have no half "
                                        f"precision); cast to float32 first")


def check_square(name: str, a: Any, complex_ok: bool = False) -> None:
    """`check_matrices` for a batch of square real floating (with ``complex_ok``, or complex) matrices."""
    check_matrices(name, a, square=True, complex_ok=complex_ok)


def inv(A: Tensor, *, out: None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """The inverse of each square matrix of A (*, n, n) (``torch.linalg.inv``)."""
    check_square("inv", A, complex_ok=True)
    with _singular_named("inv"):
        return InvFunction.apply(A)


def det(A: Tensor, *, out: None = None) -> Tensor:  # noqa: N803
    """The determinant of each square matrix of A (*, n, n): shape (*) (``torch.linalg.det``)."""
    check_square("det", A, complex_ok=True)
    return DetFunction.apply(A)


class SignOfDet(Function):
    """The sign of ``det(A)`` (slogdet's first part). Of a real A a step function: on the graph, as PyTorch's, with
    no gradient for A (``sign.sum().backward()`` leaves ``A.grad`` None, as PyTorch's). Of a complex A the phase
    ``det / |det|``, whose gradient is PyTorch's ``-i Im(conj(g) sign) inv(A)ᴴ``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        self.out = xp.linalg.slogdet(a)[0]
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        if not is_complex(xp, self.out):
            return None
        z = conj(xp, g) * self.out
        return _cells(xp, (conj(xp, z) - z) * 0.5) * conj(xp, _inverse_transposed(xp, self.a))  # -i Im(z) A^-H


class SignLogAbsDet(NamedTuple):
    """``slogdet``'s result, as PyTorch's ``torch.return_types.linalg_slogdet``."""

    sign: Tensor
    logabsdet: Tensor


def slogdet(A: Tensor, *, out: None = None) -> SignLogAbsDet:  # noqa: N803
    """``(sign, log|det|)`` of each square matrix of A (*, n, n), both (*) (``torch.linalg.slogdet``); the sign
    requires grad where A does and passes none back, as PyTorch's for real A; ``logabsdet`` carries A's."""
    check_square("slogdet", A, complex_ok=True)
    return SignLogAbsDet(SignOfDet.apply(A), LogAbsDetFunction.apply(A))


def solve(A: Tensor, B: Tensor, *, left: bool = True, out: None = None) -> Tensor:  # noqa: N803
    """X with ``A X = B`` (``left=False``: ``X A = B``) for A (*, n, n) and B (*, n, k) or a vector (*, n), batch
    dimensions broadcast (``torch.linalg.solve``, whose rule for when B is a vector this follows)."""
    check_square("solve", A, complex_ok=True)
    if not isinstance(B, Tensor):
        raise TypeError(f"linalg.solve: expected a Tensor for B, got {type(B).__name__}")
    check_one_backend("linalg.solve", A, B)
    if B.array.dtype != A.array.dtype:
        raise RuntimeError(f"linalg.solve: Expected A and B to have the same dtype, but found A of type "
                           f"{dtype_name(A.array.dtype)} and B of type {dtype_name(B.array.dtype)} instead")
    if not left:
        if B.ndim < 2:  # PyTorch: a vector is a column, which cannot stand right of A
            raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation XA = B "
                               f"({A.shape[-1]}x{A.shape[-1]} and {B.shape[0]}x1)")
        return solve(A.mT, B.mT).mT
    vector = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    b = B.unsqueeze(-1) if vector else B
    n = A.shape[-1]
    if b.ndim < 2 or b.shape[-2] != n:
        raise RuntimeError(f"linalg.solve: Incompatible shapes of A and B for the equation AX = B ({n}x{n} and "
                           f"{'x'.join(str(s) for s in tuple(b.shape)[-2:])})")
    with _singular_named("solve"):
        x = SolveFunction.apply(A, b)
    return x.squeeze(-1) if vector else x


def inverse(input: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """``torch.inverse`` / ``Tensor.inverse``: `inv`."""
    return inv(input)


def _det(input: Tensor) -> Tensor:  # noqa: A002
    """``torch.det`` / ``Tensor.det``: `det`."""
    return det(input)


def _slogdet(input: Tensor) -> SignLogAbsDet:  # noqa: A002
    """``torch.slogdet`` / ``Tensor.slogdet``: `slogdet`."""
    return slogdet(input)


_det.__name__ = _det.__qualname__ = "det"
_slogdet.__name__ = _slogdet.__qualname__ = "slogdet"
# the top-level and Tensor-method spellings (torch.det, torch.inverse, torch.slogdet)
FUNCTIONS: dict[str, Any] = {"det": _det, "inverse": inverse, "slogdet": _slogdet}

__all__ = ["FUNCTIONS", "DetFunction", "InvFunction", "LogAbsDetFunction", "RECORDED", "SignLogAbsDet",
           "SolveFunction", "det", "inv", "inverse", "slogdet", "solve"]
