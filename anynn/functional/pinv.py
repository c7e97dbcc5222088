"""``linalg.pinv``: the Moore-Penrose pseudo-inverse as one `Function` (PyTorch's name, tolerances and gradient).

Shapes: A (*, m, n) -> (*, n, m). Singular values at or below ``max(atol, rtol * σ_max)`` count as zero (PyTorch's
rule: ``rtol`` defaults to ``max(m, n) * eps`` when neither is given, to 0 when only ``atol`` is). The default
case is the array API's ``xp.linalg.pinv``; ``atol`` and ``hermitian=True`` go through ``svd`` / ``eigh``.

Gradient (P = pinv(A), G the incoming one, ᴴ the conjugate transpose: ᵀ for real A), PyTorch's closed form, which
holds where the rank does not change (it needs no singular vectors, so repeated singular values are fine)::

    m <= n:  K = Gᴴ P;  G_A = -(P K)ᴴ + K Pᴴ - A P K Pᴴ + Pᴴ P (Gᴴ - K A)
    m >  n:  K = P Gᴴ;  G_A = -(K P)ᴴ + (Gᴴ - A K) P Pᴴ + Pᴴ K - Pᴴ K P A
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .formulas.conjugate import conj
from .matrix_inverse import check_matrices


def _adjoint(xp: Namespace, a: Any) -> Any:
    """``aᴴ``: the conjugate transpose of each matrix (the transpose of a real one)."""
    return conj(xp, xp.matrix_transpose(a))


class PinvFunction(Function):
    """``pinv(A)`` with singular values up to ``max(atol, rtol σ_max)`` taken as zero."""

    rtol: float | None
    atol: float | None
    hermitian: bool

    def prepare_recompute(self) -> None:
        self.rerun = True

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        if getattr(self, "rerun", False):
            # a recorded backward (create_graph) reads P as a node of its own, whose gradient is the closed form, as
            # PyTorch's: the eigh (hermitian=True) or svd (atol) behind it would differentiate A's lower triangle
            # only, or break down where singular values repeat
            self.out = xp.linalg.pinv(a, rtol=self.rtol, atol=self.atol, hermitian=self.hermitian)
            return self.out
        if self.atol is None and not self.hermitian:
            self.out = xp.linalg.pinv(a, rtol=self.rtol)
            return self.out
        if 0 in a.shape[-2:]:  # an empty matrix's empty pseudo-inverse (the largest of no value has no identity)
            self.out = xp.reshape(a, a.shape[:-2] + (a.shape[-1], a.shape[-2]))
            return self.out
        if self.hermitian:
            values, vectors = xp.linalg.eigh(a)
            magnitude = xp.abs(values)
            left, right = vectors, _adjoint(xp, vectors)
        else:
            left, magnitude, right = xp.linalg.svd(a, full_matrices=False)
            values = magnitude
        largest = xp.max(magnitude, axis=-1, keepdims=True)
        rtol = 0.0 if self.rtol is None else self.rtol
        cutoff = rtol * largest if self.atol is None else xp.maximum(rtol * largest, xp.full_like(largest, self.atol))
        kept = magnitude > cutoff
        inverse = xp.where(kept, 1.0 / xp.where(kept, values, xp.ones_like(values)), xp.zeros_like(values))
        self.out = xp.matmul(_adjoint(xp, right) * xp.expand_dims(inverse, axis=-2), _adjoint(xp, left))
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        a, p = self.a, self.out
        p_t, g_t = _adjoint(xp, p), _adjoint(xp, g)
        if a.shape[-2] <= a.shape[-1]:
            k = xp.matmul(g_t, p)
            k_p_t = xp.matmul(k, p_t)
            return (-_adjoint(xp, xp.matmul(p, k)) + k_p_t - xp.matmul(xp.matmul(a, p), k_p_t)
                    + xp.matmul(xp.matmul(p_t, p), g_t - xp.matmul(k, a)))
        k = xp.matmul(p, g_t)
        p_t_k = xp.matmul(p_t, k)
        return (-_adjoint(xp, xp.matmul(k, p)) + xp.matmul(xp.matmul(g_t - xp.matmul(a, k), p), p_t) + p_t_k
                - xp.matmul(xp.matmul(p_t_k, p), a))


def pinv(A: Tensor, rcond: float | None = None, hermitian: bool = False, *,  # noqa: N803 - PyTorch's name
         atol: float | None = None, rtol: float | None = None, out: None = None) -> Tensor:
    """The pseudo-inverse (*, n, m) of A (*, m, n) (``torch.linalg.pinv``); ``hermitian=True`` reads A as symmetric
    or Hermitian (its lower triangle) and uses ``eigh``. ``atol``/``rtol`` are numbers here (PyTorch also takes
    Tensors); ``rcond`` is ``rtol`` (PyTorch's older spelling, positional too: ``pinv(A, 1e-5)``)."""
    if rcond is not None:
        if rtol is not None:
            raise TypeError("linalg.pinv: give rcond or rtol (its newer name), not both")
        rtol = rcond
    check_matrices("pinv", A, complex_ok=True)
    if hermitian and A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.pinv: A must be batches of square matrices when hermitian=True, but they are "
                           f"{A.shape[-2]} by {A.shape[-1]} matrices")
    if atol is None and rtol is None:
        rtol = max(A.shape[-2], A.shape[-1]) * float(A.backend.xp.finfo(A.array.dtype).eps)
    return PinvFunction.apply(A, rtol=None if rtol is None else float(rtol),
                              atol=None if atol is None else float(atol), hermitian=bool(hermitian))


# what the differentiable namespace's ``xp.linalg`` adds for a recorded backward
RECORDED = SimpleNamespace(pinv=lambda a, rtol=None, atol=None, hermitian=False: PinvFunction.apply(
    a, rtol=rtol, atol=atol, hermitian=hermitian))


__all__ = ["PinvFunction", "RECORDED", "pinv"]
