"""Matrix functions composed from matmuls: ``matrix_exp`` and ``householder_product`` (``torch.linalg``'s names).

Neither is a primitive: each is a short chain of differentiable Tensor operations (matmul, scale, add), so its
gradients, of every order, are those of the chain. The array API has no matrix exponential or Householder
kernel to fuse, and both are small-matrix tools (``nn.utils.parametrizations.orthogonal``), where a few graph
nodes per call cost little.
"""

from __future__ import annotations

import math

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .formulas.conjugate import conj, is_complex
from .value_checks import KernelNotImplementedError, linalg_dtype_error

# degree of the Taylor polynomial and the largest 1-norm it is used on (after scaling): the remainder
# 0.5**19 / 19! is ~1.6e-23, far below float64's resolution
_TAYLOR_DEGREE = 18
_TAYLOR_RADIUS = 0.5
# squarings used where the norm has no value to read (a traced array): exact up to ||A||_1 ~ 2000
_TRACED_SQUARINGS = 12


def _identity(like: Tensor, n: int, m: int | None = None) -> Tensor:
    be = like.backend
    return Tensor._make(be.xp.eye(n, m, dtype=like.array.dtype, device=be.device), be, None, 0)


def _check_floating(op: str, name: str, x: Tensor, complex_ok: bool = False) -> None:
    if dtype_name(x.dtype).startswith("complex"):
        if complex_ok:
            return
        raise linalg_dtype_error(op, x.array.dtype)
    if not dtype_name(x.dtype).startswith(("float", "bfloat")):
        error = linalg_dtype_error(op, x.array.dtype)
        if isinstance(error, KernelNotImplementedError):  # (PyTorch's, where its kernel is what refuses)
            raise error
        raise RuntimeError(f"{op}: Expected a floating point tensor as {name}. Got {dtype_name(x.dtype)}")
    if op != "linalg.matrix_exp" and dtype_name(x.dtype) in ("float16", "bfloat16"):  # (LAPACK's: no half kernel)
        raise KernelNotImplementedError(f"{op}: not implemented for {dtype_name(x.dtype)}, as in PyTorch; cast to "
                                        f"float32 first")


def matrix_exp(A: Tensor) -> Tensor:  # noqa: N803 - PyTorch's name
    """``exp(A)`` for square matrices ``A: (*, n, n)`` -> ``(*, n, n)``, as ``torch.linalg.matrix_exp``.

    Scaling and squaring: ``exp(A) = exp(A / 2**s) ** (2**s)``, ``s`` chosen from the largest 1-norm in the batch
    (one value read back to the host) so that a degree-18 Taylor polynomial, evaluated in Horner form, is exact
    to rounding. On a traced array (no value to read) 12 squarings are used.
    """
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_exp: The input tensor A must have at least 2 dimensions.")
    if A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.matrix_exp: A must be batches of square matrices, but they are {A.shape[-2]} by "
                           f"{A.shape[-1]} matrices")
    _check_floating("linalg.matrix_exp", "input", A, complex_ok=True)  # (its chain of products takes complex A)
    be = A.backend
    xp = be.xp
    norm = xp.max(xp.sum(xp.abs(A.detach().array), axis=-2)) if 0 not in tuple(A.shape) else None  # (no matrices)
    if norm is None:
        squarings = 0
    elif be.is_traced(norm):
        squarings = _TRACED_SQUARINGS
    else:
        value = float(be.to_host(norm))
        squarings = math.ceil(math.log2(value / _TAYLOR_RADIUS)) if value > _TAYLOR_RADIUS else 0
    scaled = A / float(2 ** squarings) if squarings else A
    eye = _identity(A, A.shape[-1])
    out = eye + scaled / float(_TAYLOR_DEGREE)
    for k in range(_TAYLOR_DEGREE - 1, 0, -1):
        out = eye + (scaled @ out) / float(k)
    for _ in range(squarings):
        out = out @ out
    return out


def householder_product(A: Tensor, tau: Tensor, *, out: None = None) -> Tensor:  # noqa: N803 - PyTorch's name
    """The first n columns of ``H_1 ... H_k``, ``H_i = I - tau_i v_i v_iᴴ``, as ``torch.linalg.householder_product``
    (LAPACK's orgqr / ungqr: ᴴ is ᵀ for real A).

    ``A: (*, m, n)`` with m >= n holds the vectors below its diagonal (``v_i`` is column i with zeros above the
    diagonal and a 1 on it), ``tau: (*, k)`` with k <= n; returns ``(*, m, n)``. The reflections are applied
    right to left to ``I[:, :n]``, so no ``m x m`` matrix is formed.
    """
    if out is not None:
        raise TypeError("linalg.householder_product: out= is not supported (anynn arrays are not written in place)")
    op = "torch.linalg.householder_product"
    if A.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    m, n = A.shape[-2], A.shape[-1]
    if m < n:
        raise RuntimeError(f"{op}: input.shape[-2] must be greater than or equal to input.shape[-1]")
    if tau.ndim and n < tau.shape[-1]:
        raise RuntimeError(f"{op}: input.shape[-1] must be greater than or equal to tau.shape[-1]")
    if tau.ndim != A.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {A.ndim}")
    if tuple(tau.shape[:-1]) != tuple(A.shape[:-2]):
        raise RuntimeError(f"{op}: Expected batch dimensions of tau to be equal to input.shape[:-2], but got "
                           f"{list(tau.shape[:-1])}")
    _check_floating(op, "input", A, complex_ok=True)
    if dtype_name(tau.dtype) != dtype_name(A.dtype):
        raise RuntimeError(f"{op}: tau dtype {dtype_name(tau.dtype)} does not match input dtype {dtype_name(A.dtype)}")
    result = _identity(A, m, n)
    if tau.shape[-1] == 0:  # no reflection: I[:, :n], still on the graph of A and tau (zero gradients) as PyTorch's
        return result + 0.0 * A + 0.0 * tau.sum(dim=-1, keepdim=True).unsqueeze(-1)
    vectors = A.tril(-1) + result
    for i in reversed(range(tau.shape[-1])):
        v = vectors[..., :, i:i + 1]
        result = result - (tau[..., i:i + 1].unsqueeze(-1) * v) @ (v.mH @ result)
    return result


def ormqr(input: Tensor, tau: Tensor, other: Tensor, left: bool = True, transpose: bool = False, *,  # noqa: A002
          out: None = None) -> Tensor:
    """``op(Q) C`` (``left``) or ``C op(Q)`` for ``Q = H_1 ... H_k`` given by `geqrf`'s reflectors, ``op`` the
    conjugate transpose when ``transpose`` (``torch.ormqr``). input: (*, mn, k) holding the vectors below its
    diagonal, tau: (*, k'), other C: (*, m, n) with mn = m (``left``) or n. The reflections are applied to C one by
    one (no mn x mn matrix is formed), so the result differentiates in all three, to every order."""
    if out is not None:
        raise TypeError("ormqr: out= is not supported (anynn arrays are not written in place)")
    op = "torch.ormqr"
    if input.ndim < 2:
        raise RuntimeError(f"{op}: input must have at least 2 dimensions.")
    if other.ndim < 2:
        raise RuntimeError(f"{op}: other must have at least 2 dimensions.")
    if tau.ndim != input.ndim - 1:
        raise RuntimeError(f"{op}: Expected tau to have one dimension less than input, but got tau.ndim equal to "
                           f"{tau.ndim} and input.ndim is equal to {input.ndim}")
    side = -2 if left else -1
    if other.shape[side] != input.shape[-2]:
        raise RuntimeError(f"{op}: other.shape[{side}] must be equal to input.shape[-2]")
    if tau.shape[-1] > min(other.shape[side], input.shape[-1]):
        raise RuntimeError(f"{op}: tau.shape[-1] must be equal to min(other.shape[{side}], input.shape[-1])")
    _check_floating(op, "input", input, complex_ok=True)
    for name, t in (("tau", tau), ("other", other)):
        if dtype_name(t.dtype) != dtype_name(input.dtype):
            raise RuntimeError(f"{op}: Expected input and {name} to have the same dtype, but input has dtype "
                               f"{dtype_name(input.dtype)} and {name} has dtype {dtype_name(t.dtype)}")
    vectors = input.tril(-1) + _identity(input, input.shape[-2], input.shape[-1])
    result = other
    steps = range(tau.shape[-1])
    for i in (steps if left == transpose else reversed(steps)):  # Q = H_1 ... H_k, Qᴴ = H_kᴴ ... H_1ᴴ
        v = vectors[..., :, i:i + 1]
        t = tau[..., i:i + 1].unsqueeze(-1)
        t = t.conj() if transpose else t  # H_iᴴ = I - conj(tau_i) v vᴴ
        result = result - (t * v) @ (v.mH @ result) if left else result - (result @ v) @ (t * v.mH)
    return result


def geqrf(A: Tensor) -> tuple[Tensor, Tensor]:  # noqa: N803 - PyTorch's name
    """LAPACK's ``geqrf`` as ``torch.geqrf``: the QR decomposition of ``A: (*, m, n)`` in Householder form.

    Returns ``(a, tau)``: ``a: (*, m, n)`` holds R on and above the diagonal and the reflection vectors ``v_i``
    below it (``v_i[i] = 1`` implied), ``tau: (*, min(m, n))``, so that ``householder_product(a, tau)`` is Q.
    Reflections follow LAPACK's ``larfg`` (``beta = -sign(Re alpha) ||x||``; ``tau = 0`` where the column below the
    diagonal is zero and alpha real); a complex A's columns right of i take ``H_iᴴ`` (zgeqrf). Like PyTorch's, it has
    no gradient: the results are outside the graph.
    """
    if A.ndim < 2:
        raise RuntimeError("torch.geqrf: input must have at least 2 dimensions.")
    _check_floating("torch.geqrf", "input", A, complex_ok=True)
    be = A.backend
    xp = be.xp
    a = A.detach().array
    m, n = a.shape[-2], a.shape[-1]
    rows = xp.arange(m, device=be.device)
    cols = xp.arange(n, device=be.device)
    zero = xp.zeros((), dtype=a.dtype, device=be.device)
    one = xp.ones((), dtype=a.dtype, device=be.device)
    complex_ = is_complex(xp, a)
    taus = []
    for i in range(min(m, n)):
        x = a[..., :, i]
        below = rows > i
        alpha = a[..., i, i]
        squares = xp.abs(x) ** 2
        tail = xp.sqrt(xp.sum(xp.where(below, squares, xp.zeros_like(squares)), axis=-1))
        untouched = (tail == 0) & (xp.imag(alpha) == 0) if complex_ else tail == 0  # LAPACK's H = I
        real_alpha = xp.real(alpha) if complex_ else alpha
        norm = xp.sqrt(xp.abs(alpha) ** 2 + tail * tail)
        beta = xp.astype(xp.where(real_alpha >= 0, -norm, norm), a.dtype)
        tau = xp.where(untouched, zero, (beta - alpha) / xp.where(untouched, one, beta))
        scale = xp.where(untouched, zero, one / xp.where(untouched, one, alpha - beta))
        v = xp.where(below, x * scale[..., None], xp.where(rows == i, one, zero))
        # Hᴴ = I - conj(tau) v vᴴ on the columns right of i; column i becomes (R's part, beta, v below)
        vta = xp.sum(conj(xp, v)[..., :, None] * a, axis=-2)
        a = xp.where(cols > i, a - conj(xp, tau)[..., None, None] * v[..., :, None] * vta[..., None, :], a)
        column = xp.where(below, v, xp.where(rows == i, xp.where(untouched, alpha, beta)[..., None], x))
        a = xp.where(cols == i, column[..., :, None], a)
        taus.append(tau)
    tau = xp.stack(taus, axis=-1) if taus else xp.zeros(tuple(a.shape[:-2]) + (0,), dtype=a.dtype, device=be.device)
    return Tensor._make(a, be, None, 0), Tensor._make(tau, be, None, 0)
