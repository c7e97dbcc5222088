"""``linalg.eig``/``eigvals`` of general square matrices (PyTorch's names, result tuple and gradient).

A (*, n, n), real or complex: eigenvalues L (*, n) and eigenvectors V (*, n, n) (columns, each of unit norm), both
complex (complex64 for float32 and complex64 input, complex128 for float64 and complex128), in the order and
phase LAPACK's ``geev`` gives, as PyTorch's. The array library's ``linalg.eig`` computes them (NumPy, PyTorch,
array-api-strict and JAX on CPU have it); a library without one is refused by name.

Gradient (PyTorch's ``linalg_eig_backward``; G the incoming gradients, a missing one counts as zero)::

    G_A = V⁻ᴴ [diag(G_L) + offdiag((Vᴴ G_V - Vᴴ V diag(Re diag(Vᴴ G_V))) / conj(E))] Vᴴ,  E_ij = L_j - L_i

and its real part for a real A. It is written in ``xp`` (V⁻ᴴ M as a real solve of the 2n x 2n block system, so
only real linear algebra is recorded), so every order differentiates. Repeated eigenvalues make it infinite, as
PyTorch's. A loss that depends on the eigenvectors' phases (not invariant under V -> V e^{iφ}) has no gradient;
PyTorch refuses one by reading Vᴴ G_V back, which a Function here does not: the result is then the gradient of
the phase-fixed loss.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.typing import Namespace
from .formulas.conjugate import make_complex
from .matrix_inverse import check_matrices
from .value_checks import KernelNotImplementedError, linalg_dtype_error

_COMPLEX_OF = {"float32": "complex64", "float64": "complex128", "complex64": "complex64",
               "complex128": "complex128"}


class EigResult(NamedTuple):
    """``torch.return_types.linalg_eig``."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def _solver(name: str, xp: Namespace, key: str) -> Any:
    solver = getattr(getattr(xp, "linalg", None), "eig", None)
    if solver is None:
        raise NotImplementedError(f"linalg.{name}: the {key!r} backend's array library has no linalg.eig")
    return solver


def _solve_conj_transposed(xp: Namespace, v: Any, m: Any) -> Any:
    """``Y`` (*, n, n) with ``Vᴴ Y = M``, V and M complex (*, n, n): the real block system
    ``[[P, -Q], [Q, P]] [Yr; Yi] = [Mr; Mi]`` for ``Vᴴ = P + iQ``, solved with real ``linalg.solve``."""
    n = v.shape[-1]
    p, q = xp.matrix_transpose(xp.real(v)), -xp.matrix_transpose(xp.imag(v))
    block = xp.concat([xp.concat([p, -q], axis=-1), xp.concat([q, p], axis=-1)], axis=-2)
    y = xp.linalg.solve(block, xp.concat([xp.real(m), xp.imag(m)], axis=-2))
    return make_complex(xp, y[..., :n, :], y[..., n:, :], m.dtype)


class EigFunction(Function):
    """``(L, V)`` with ``A V = V diag(L)``, both complex (``complex_dtype``); ``real``: A is real (its gradient
    the real part)."""

    complex_dtype: str
    real: bool

    def forward(self, xp: Namespace, a: Any) -> tuple[Any, Any]:
        values, vectors = _solver("eig", xp, self.backend.key)(a)
        target = getattr(xp, self.complex_dtype)  # (NumPy gives real results for real spectra)
        self.values, self.vectors = xp.astype(values, target), xp.astype(vectors, target)
        return self.values, self.vectors

    def backward(self, xp: Namespace, g_values: Any, g_vectors: Any) -> Any:
        v = self.vectors
        n = v.shape[-1]
        index = xp.arange(n, device=self.backend.device)
        eye = xp.astype(xp.equal(xp.reshape(index, (n, 1)), xp.reshape(index, (1, n))), v.dtype)
        vh = xp.conj(xp.matrix_transpose(v))
        inner = 0
        if g_vectors is not None:
            vhgv = xp.matmul(vh, g_vectors)
            diagonal = xp.astype(xp.real(xp.sum(vhgv * eye, axis=-1)), v.dtype)
            projected = vhgv - xp.matmul(vh, v * xp.expand_dims(diagonal, axis=-2))
            lc = xp.conj(self.values)
            gaps = xp.expand_dims(lc, axis=-2) - xp.expand_dims(lc, axis=-1) + eye
            inner = projected / gaps * (1 - eye)
        if g_values is not None:
            inner = inner + xp.expand_dims(g_values, axis=-2) * eye
        grad = _solve_conj_transposed(xp, v, xp.matmul(inner, vh))
        return xp.real(grad) if self.real else grad


def _eig(name: str, A: Tensor) -> tuple[Tensor, Tensor]:  # noqa: N803 - PyTorch's name
    check_matrices(name, A, square=True, real=False)  # complex matrices are eig's own inputs
    source = dtype_name(A.array.dtype)
    if source in ("float16", "bfloat16"):
        raise KernelNotImplementedError(f"linalg.{name}: \"linalg_eig_out_cpu\" not implemented for {source}, as in "
                                        f"PyTorch; cast to float32 first")
    if source not in _COMPLEX_OF:
        raise linalg_dtype_error(f"linalg.{name}", A.array.dtype)
    _solver(name, A.backend.xp, A.backend.key)
    return EigFunction.apply(A, complex_dtype=_COMPLEX_OF[source], real=source in ("float32", "float64"))


def _recorded_eig(a: Any) -> Any:
    """``xp.linalg.eig`` in a recorded backward (a rerun forward): the recorded Function, its input's dtypes."""
    source = dtype_name(a.array.dtype)
    return EigFunction.apply(a, complex_dtype=_COMPLEX_OF[source], real=source in ("float32", "float64"))


# what the differentiable namespace's ``xp.linalg`` adds for a recorded backward
RECORDED = SimpleNamespace(eig=_recorded_eig)


def eig(A: Tensor, *, out: None = None) -> EigResult:  # noqa: N803
    """Eigenvalues (*, n) and unit eigenvectors (*, n, n), complex, of each square matrix of A (*, n, n) with
    ``A V = V diag(w)`` (``torch.linalg.eig``); differentiable to every order."""
    return EigResult(*_eig("eig", A))


def eigvals(A: Tensor, *, out: None = None) -> Tensor:  # noqa: N803
    """The eigenvalues (*, n), complex, of each square matrix of A (*, n, n) (``torch.linalg.eigvals``)."""
    return _eig("eigvals", A)[0]


__all__ = ["EigFunction", "EigResult", "RECORDED", "eig", "eigvals"]
