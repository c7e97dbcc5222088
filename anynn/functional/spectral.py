"""Decompositions with several outputs: ``linalg.eigh``/``eigvalsh``, ``linalg.svd``/``svdvals``, ``linalg.qr``
(PyTorch's names and result tuples), each one `Function` over the array API's ``linalg`` extension with PyTorch's
gradient for real inputs, written once in ``xp`` so that every order differentiates.

Shapes: A (*, n, n) for ``eigh``; (*, m, n) for ``svd`` and ``qr``, k = min(m, n). Gradients (G the incoming ones,
a missing output gradient counts as zero; ``skew(X) = X - Xᵀ``):

- ``eigh`` (w, V): ``G_A = V (diag(G_w) + ½ skew(Vᴴ G_V) / E) Vᴴ``, ``E_ij = w_j - w_i`` (off the diagonal;
  ᴴ the conjugate transpose: eigh also takes complex Hermitian matrices, ``skew(X) = X - Xᴴ`` there);
- ``svd`` (U, S, Vh): ``G_A = U [(skew(Uᴴ G_U) S + S skew(Vᴴ G_V)) / E + diag(G_S)] Vh`` with ``E_ij = S_j² - S_i²``,
  plus ``(I - U Uᴴ) G_U S⁻¹ Vh`` when m > k and ``U S⁻¹ G_Vh (I - V Vᴴ)`` when n > k; with ``full_matrices``
  the columns beyond k carry no gradient (PyTorch's rule); complex A adds PyTorch's ``diag(skew(Uᴴ G_U)) / 2S``
  (as for eigh, a loss that depends on the vectors' phases is not refused, as PyTorch's is);
- ``qr`` (Q, R), m >= n: ``G_A = [G_Q + Q copyltu(M)] R⁻ᵀ`` with ``M = R G_Rᵀ - G_Qᵀ Q`` (complex A: PyTorch's
  ``[G_Q + Q syminvadj(triu(G_R Rᴴ - Qᴴ G_Q))] R⁻ᴴ``); m < n splits A = [X | Y].

Repeated eigenvalues (singular values) make these gradients infinite, as PyTorch's. The vectors' signs are the
library's (LAPACK's on NumPy and PyTorch); gradients of sign-invariant functions agree everywhere.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, NamedTuple

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import op
from ..backend.typing import Namespace
from .cholesky import triangle_mask
from .formulas.conjugate import conj, is_complex
from .matrix_inverse import check_matrices, check_square


def _eye(xp: Namespace, n: int, like: Any, device: Any) -> Any:
    index = xp.arange(n, device=device)
    return xp.astype(xp.equal(xp.reshape(index, (n, 1)), xp.reshape(index, (1, n))), like.dtype)


def _gaps(xp: Namespace, values: Any, device: Any) -> Any:
    """``E_ij = v_j - v_i`` off the diagonal and 1 on it, (*, k, k) from ``values`` (*, k)."""
    k = values.shape[-1]
    return xp.expand_dims(values, axis=-2) - xp.expand_dims(values, axis=-1) + _eye(xp, k, values, device)


def _diag_embed(xp: Namespace, values: Any, device: Any) -> Any:
    return xp.expand_dims(values, axis=-2) * _eye(xp, values.shape[-1], values, device)


class EighFunction(Function):
    """``(w, V)`` with ``A = V diag(w) Vᴴ``, w ascending (A symmetric or Hermitian, its lower triangle read).

    For complex A the vectors are defined up to a phase each; as PyTorch's, the gradient keeps the off-diagonal
    part of ``½ skew(Vᴴ G_V)`` (a loss that depends on the phases has none; PyTorch refuses it, which would need a
    read of the values here)."""

    def forward(self, xp: Namespace, a: Any) -> tuple[Any, Any]:
        self.values, self.vectors = xp.linalg.eigh(a)
        return self.values, self.vectors

    def backward(self, xp: Namespace, g_values: Any, g_vectors: Any) -> Any:
        v, device = self.vectors, self.backend.device
        v_h = conj(xp, xp.matrix_transpose(v))
        inner = 0 if g_values is None else _diag_embed(xp, g_values, device)
        if g_values is not None and is_complex(xp, v):  # (real eigenvalues)
            inner = xp.astype(inner, v.dtype)
        if g_vectors is not None:
            vg = xp.matmul(v_h, g_vectors)
            skew = 0.5 * (vg - conj(xp, xp.matrix_transpose(vg))) / _gaps(xp, self.values, device)
            if is_complex(xp, skew):  # its diagonal is imaginary: the phases' part, dropped as PyTorch's
                skew = skew * (1.0 - _eye(xp, self.values.shape[-1], self.values, device))
            inner = inner + skew
        return xp.matmul(v, xp.matmul(inner, v_h))


class SvdFunction(Function):
    """``(U, S, Vh)`` with ``A = U diag(S) Vh``, S descending."""

    full_matrices: bool
    of_cofactors = False  # det's cofactors at a singular matrix (see `RECORDED`)

    def forward(self, xp: Namespace, a: Any) -> tuple[Any, Any, Any]:
        self.u, self.s, self.vh = xp.linalg.svd(a, full_matrices=self.full_matrices)
        return self.u, self.s, self.vh

    def backward(self, xp: Namespace, g_u: Any, g_s: Any, g_vh: Any) -> Any:
        if self.of_cofactors and is_complex(xp, self.u):  # its diagonal term divides by the zero singular value
            raise RuntimeError("linalg.det: anynn has no second derivative of det at a singular complex matrix (its "
                               "cofactors come from an SVD whose complex gradient divides by the zero singular "
                               "value; PyTorch's is not the derivative there either)")
        device, s = self.backend.device, self.s
        k = s.shape[-1]
        u, vh = self.u[..., :, :k], self.vh[..., :k, :]
        m, n = u.shape[-2], vh.shape[-1]
        u_h, v = conj(xp, xp.matrix_transpose(u)), conj(xp, xp.matrix_transpose(vh))
        if g_u is not None:
            g_u = g_u[..., :, :k]
        if g_vh is not None:
            g_vh = g_vh[..., :k, :]
        rows, cols = xp.expand_dims(s, axis=-1), xp.expand_dims(s, axis=-2)
        inner = 0 if g_s is None else _diag_embed(xp, g_s, device)
        if g_s is not None and is_complex(xp, u):  # (real singular values)
            inner = xp.astype(inner, u.dtype)
        if g_u is not None or g_vh is not None:
            gaps = _gaps(xp, s * s, device)
            if g_u is not None:
                ug = xp.matmul(u_h, g_u)
                skew = ug - conj(xp, xp.matrix_transpose(ug))
                inner = inner + skew * cols / gaps
                if is_complex(xp, skew):  # PyTorch's diagonal term, diag(skew(Uᴴ G_U)) / 2S (imaginary)
                    eye = _eye(xp, k, s, device)
                    inner = inner + xp.sum(skew * eye, axis=-1, keepdims=True) * eye / (2 * cols)
            if g_vh is not None:
                vg = xp.matmul(vh, conj(xp, xp.matrix_transpose(g_vh)))
                inner = inner + rows * (vg - conj(xp, xp.matrix_transpose(vg))) / gaps
        if m > k and g_u is not None:
            scaled = g_u / cols
            inner = xp.matmul(u, inner) + scaled - xp.matmul(u, xp.matmul(u_h, scaled))
            return xp.matmul(inner, vh)
        if n > k and g_vh is not None:
            scaled = g_vh / rows
            inner = xp.matmul(inner, vh) + scaled - xp.matmul(xp.matmul(scaled, v), vh)
            return xp.matmul(u, inner)
        return xp.matmul(u, xp.matmul(inner, vh))


class QrFunction(Function):
    """``(Q, R)`` with ``A = Q R``, Q's columns orthonormal, R upper triangular (``mode`` 'reduced'/'complete')."""

    mode: str

    def forward(self, xp: Namespace, a: Any) -> tuple[Any, Any]:
        self.q, self.r = xp.linalg.qr(a, mode="reduced" if self.mode == "r" else self.mode)
        if self.mode == "r":  # PyTorch's empty Q
            return xp.zeros((0,), dtype=a.dtype, device=self.backend.device), self.r
        return self.q, self.r

    def backward(self, xp: Namespace, g_q: Any, g_r: Any) -> Any:
        q, r = self.q, self.r
        m, n = q.shape[-2], r.shape[-1]
        if self.mode == "r":
            raise RuntimeError("linalg.qr: The derivative of linalg.qr depends on Q, which is not computed when "
                               "mode='r'. Please use linalg.qr(A, mode='reduced') if you are going to differentiate "
                               "through linalg.qr.")
        if self.mode == "complete" and m > n:
            raise RuntimeError("linalg.qr: The QR decomposition is not differentiable when mode='complete' and "
                               "nrows > ncols.")
        if m >= n:
            return self._square_or_tall(xp, q, r, g_q, g_r)
        # A = [X | Y] with X = Q U square: Y = Q V moves Q too (G_Q gains Y G_Vᵀ); G_Y = Q G_V
        g_left = None if g_r is None else g_r[..., :, :m]
        g_right = None if g_r is None else g_r[..., :, m:]
        if g_right is not None:
            moved = xp.matmul(xp.matmul(q, r[..., :, m:]), conj(xp, xp.matrix_transpose(g_right)))
            g_q = moved if g_q is None else g_q + moved
        g_x = self._square_or_tall(xp, q, r[..., :, :m], g_q, g_left)
        g_y = xp.matmul(q, g_right) if g_right is not None else xp.zeros_like(r[..., :, m:])
        return xp.concat([g_x, g_y], axis=-1)

    def _square_or_tall(self, xp: Namespace, q: Any, r: Any, g_q: Any, g_r: Any) -> Any:
        """``[G_Q + Q copyltu(M)] R⁻ᵀ`` with ``M = R G_Rᵀ - G_Qᵀ Q`` (either gradient may be missing)."""
        if is_complex(xp, r):
            return self._complex_square_or_tall(xp, q, r, g_q, g_r)
        m_mat = 0
        if g_r is not None:
            m_mat = xp.matmul(r, xp.matrix_transpose(g_r))
        if g_q is not None:
            m_mat = m_mat - xp.matmul(xp.matrix_transpose(g_q), q)
        lower = m_mat * triangle_mask(xp, r.shape[-1], r.dtype, self.backend.device, upper=False)
        strict = m_mat * triangle_mask(xp, r.shape[-1], r.dtype, self.backend.device, upper=False, diagonal=0.0)
        front = xp.matmul(q, lower + xp.matrix_transpose(strict))
        if g_q is not None:
            front = front + g_q
        return op(self.backend, "solve_triangular")(xp.matrix_transpose(r), front, False, False, False)

    def _complex_square_or_tall(self, xp: Namespace, q: Any, r: Any, g_q: Any, g_r: Any) -> Any:
        """PyTorch's ``[G_Q + Q syminvadj(triu(G_R Rᴴ - Qᴴ G_Q))] R⁻ᴴ`` for complex A, where ``syminvadj(T)`` is
        ``T + Tᴴ`` with the real part of its diagonal halved."""
        r_h = conj(xp, xp.matrix_transpose(r))
        t = 0
        if g_r is not None:
            t = xp.matmul(g_r, r_h)
        if g_q is not None:
            t = t - xp.matmul(conj(xp, xp.matrix_transpose(q)), g_q)
        n, device = r.shape[-1], self.backend.device
        strict = t * triangle_mask(xp, n, r.dtype, device, upper=True, diagonal=0.0)
        diagonal = t * _eye(xp, n, r, device)
        symmetric = strict + conj(xp, xp.matrix_transpose(strict)) + 0.5 * (diagonal + conj(xp, diagonal))
        front = xp.matmul(q, symmetric)
        if g_q is not None:
            front = front + g_q
        return op(self.backend, "solve_triangular")(r_h, front, False, False, False)


def _qr(a: Any, mode: str = "reduced") -> Any:
    return QrFunction.apply(a, mode=mode)


# what the differentiable namespace's ``xp.linalg`` adds for a recorded backward
RECORDED = SimpleNamespace(eigh=EighFunction.apply, qr=_qr,
                           svd=lambda a, full_matrices=True: SvdFunction.apply(a, full_matrices=full_matrices),
                           svd_of_cofactors=lambda a: SvdFunction.apply(a, full_matrices=False, of_cofactors=True))


class EighResult(NamedTuple):
    """``torch.return_types.linalg_eigh``."""

    eigenvalues: Tensor
    eigenvectors: Tensor


class SvdResult(NamedTuple):
    """``torch.return_types.linalg_svd``."""

    U: Tensor
    S: Tensor
    Vh: Tensor


class QrResult(NamedTuple):
    """``torch.return_types.linalg_qr``."""

    Q: Tensor
    R: Tensor


def eigh(A: Tensor, UPLO: str = "L", *, out: None = None) -> EighResult:  # noqa: N803
    """Eigenvalues (*, n), ascending, and orthonormal eigenvectors (*, n, n) (columns) of each symmetric matrix of
    A (*, n, n) (``torch.linalg.eigh``; ``UPLO='L'`` reads the lower triangle, ``'U'`` the upper one)."""
    return _eigh("eigh", A, UPLO)


def _eigh(name: str, A: Tensor, UPLO: str) -> EighResult:  # noqa: N803
    check_square(name, A, complex_ok=True)
    if not isinstance(UPLO, str) or UPLO.upper() not in ("L", "U"):  # (either case, as PyTorch's)
        raise RuntimeError(f"linalg.{name}: Expected UPLO argument to be 'L' or 'U', but got {UPLO!r}")
    # the array API's eigh reads the lower triangle: the upper one is the lower one of the conjugate transpose
    return EighResult(*EighFunction.apply(A if UPLO.upper() == "L" else A.mH))


def eigvalsh(A: Tensor, UPLO: str = "L", *, out: None = None) -> Tensor:  # noqa: N803
    """The eigenvalues (*, n), ascending, of each symmetric matrix of A (*, n, n) (``torch.linalg.eigvalsh``)."""
    return _eigh("eigvalsh", A, UPLO).eigenvalues


def svd(A: Tensor, full_matrices: bool = True, *, driver: None = None, out: None = None) -> SvdResult:  # noqa: N803
    """``U`` (*, m, m|k), ``S`` (*, k) descending, ``Vh`` (*, n|k, n) with ``A = U diag(S) Vh`` for A (*, m, n)
    (``torch.linalg.svd``; ``full_matrices=False``: the k = min(m, n) columns)."""
    check_matrices("svd", A, complex_ok=True)
    return SvdResult(*SvdFunction.apply(A, full_matrices=bool(full_matrices)))


def svdvals(A: Tensor, *, driver: None = None, out: None = None) -> Tensor:  # noqa: N803
    """The singular values (*, k), descending, of A (*, m, n) (``torch.linalg.svdvals``)."""
    return svd(A, full_matrices=False).S


def qr(A: Tensor, mode: str = "reduced", *, out: None = None) -> QrResult:  # noqa: N803
    """``Q`` (*, m, k) (``'complete'``: (*, m, m)) and ``R`` (*, k, n) (``'complete'``: (*, m, n)) with
    ``A = Q R`` for A (*, m, n) (``torch.linalg.qr``); ``mode='r'`` gives an empty Q and an R whose backward raises
    (PyTorch's rule)."""
    check_matrices("qr", A, complex_ok=True)
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: qr received unrecognized mode '{mode}' but expected one of 'reduced' "
                           f"(default), 'r', or 'complete'")
    return QrResult(*QrFunction.apply(A, mode=mode))


__all__ = ["EighFunction", "EighResult", "QrFunction", "QrResult", "RECORDED", "SvdFunction", "SvdResult", "eigh",
           "eigvalsh", "qr", "svd", "svdvals"]
