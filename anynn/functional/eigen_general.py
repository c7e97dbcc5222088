"""``linalg.eig``/``eigvals`` of general square matrices (PyTorch's names and result tuple), forward only.

A (*, n, n), real or complex: eigenvalues (*, n) and eigenvectors (*, n, n) (columns, each of unit norm), both
complex (complex64 for float32 and complex64 input, complex128 for float64 and complex128), in the order and
phase LAPACK's ``geev`` gives, as PyTorch's. The array library's ``linalg.eig`` computes them (NumPy, PyTorch,
array-api-strict and JAX on CPU have it); a library without one is refused by name.

No gradient yet: an input that requires one is refused (PyTorch differentiates ``eig``), so a loss never gets a
silently missing gradient.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..autograd.mode import is_grad_enabled
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .matrix_inverse import check_matrices
from .value_checks import linalg_dtype_error

_COMPLEX_OF = {"float32": "complex64", "float64": "complex128", "complex64": "complex64",
               "complex128": "complex128"}


class EigResult(NamedTuple):
    """``torch.return_types.linalg_eig``."""

    eigenvalues: Tensor
    eigenvectors: Tensor


def _eig(name: str, A: Tensor) -> tuple[Any, Any]:  # noqa: N803 - PyTorch's name
    check_matrices(name, A, square=True, real=False)  # complex matrices are eig's own inputs
    source = dtype_name(A.array.dtype)
    if source not in _COMPLEX_OF:
        raise linalg_dtype_error(f"linalg.{name}", A.array.dtype)
    if A.requires_grad and is_grad_enabled():
        raise NotImplementedError(f"linalg.{name}: anynn has no gradient for eig yet (PyTorch has); call it on "
                                  f"A.detach() or under no_grad(), or use linalg.eigh for a symmetric A")
    xp = A.backend.xp
    solver = getattr(getattr(xp, "linalg", None), "eig", None)
    if solver is None:
        raise NotImplementedError(f"linalg.{name}: the {A.backend.key!r} backend's array library has no "
                                  f"linalg.eig")
    values, vectors = solver(A.array)
    target = A.backend.dtype(_COMPLEX_OF[source])
    return xp.astype(values, target), xp.astype(vectors, target)  # (NumPy gives real results for real spectra)


def eig(A: Tensor, *, out: None = None) -> EigResult:  # noqa: N803
    """Eigenvalues (*, n) and unit eigenvectors (*, n, n), complex, of each square matrix of A (*, n, n) with
    ``A V = V diag(w)`` (``torch.linalg.eig``); not differentiable yet."""
    values, vectors = _eig("eig", A)
    return EigResult(Tensor._make(values, A.backend, None, 0), Tensor._make(vectors, A.backend, None, 0))


def eigvals(A: Tensor, *, out: None = None) -> Tensor:  # noqa: N803
    """The eigenvalues (*, n), complex, of each square matrix of A (*, n, n) (``torch.linalg.eigvals``)."""
    return Tensor._make(_eig("eigvals", A)[0], A.backend, None, 0)


__all__ = ["EigResult", "eig", "eigvals"]
