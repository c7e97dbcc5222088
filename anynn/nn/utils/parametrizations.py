"""``nn.utils.parametrizations``: ``weight_norm``, ``spectral_norm`` and ``orthogonal`` on PyTorch's
parametrization API (`anynn.nn.utils.parametrize`), with PyTorch's modules, buffers and state-dict keys:

- ``weight_norm``: ``parametrizations.<name>.original0`` (g, the magnitude) and ``original1`` (v, the direction);
- ``spectral_norm``: ``parametrizations.<name>.original`` and the buffers ``parametrizations.<name>.0._u``,
  ``0._v`` (power-iteration vectors);
- ``orthogonal``: ``parametrizations.<name>.original`` and, with the trivialization, the buffer ``0.base``.

The matrix exponential and the Householder product that ``orthogonal`` needs are composed from
differentiable Tensor operations (`anynn.functional.matrix_functions`), so gradients of every order follow.
"""

from __future__ import annotations

from enum import Enum, auto
from typing import Any, TypeVar

from ...autograd.mode import no_grad
from ...autograd.tensor import Tensor
from ...backend.arrays import any_true
from ...functional.lp_normalize import normalize
from ...functional.matrix_functions import geqrf, householder_product, matrix_exp
from ...functional.matrix_inverse import solve
from ...functional.tensor_extras import cat
from ..conv import ConvTranspose1d, ConvTranspose2d
from ..conv3d import ConvTranspose3d
from ..module import Module
from . import parametrize
from .spectral_norm import _normalize, _random_unit, weight_matrix
from .weight_norm import norm_except_dim

T_module = TypeVar("T_module", bound=Module)

__all__ = ["orthogonal", "spectral_norm", "weight_norm"]


def _constant(like: Tensor, array: Any) -> Tensor:
    """``array`` as a Tensor on ``like``'s backend, outside the graph."""
    return Tensor._make(array, like.backend, None, 0)


# -- weight_norm ------------------------------------------------------------------------------------

class _WeightNorm(Module):
    """``weight = g * v / ||v||``, the norm over every axis but ``dim`` (``dim=None``/``-1``: the whole tensor)."""

    def __init__(self, dim: int | None = 0) -> None:
        super().__init__()
        self.dim = -1 if dim is None else dim

    def _axis(self, weight: Tensor) -> int:
        if self.dim == -1:
            return -1
        if not -weight.ndim <= self.dim < weight.ndim:
            raise IndexError(f"weight_norm: dim {self.dim} is out of range for a weight of shape "
                             f"{tuple(weight.shape)}")
        return self.dim % weight.ndim

    def forward(self, weight_g: Tensor, weight_v: Tensor) -> Tensor:
        """``weight_g``: the norm shape (size-1 axes but ``dim``); ``weight_v``: the weight's shape."""
        return weight_v * (weight_g / norm_except_dim(weight_v, self._axis(weight_v)))

    def right_inverse(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        return norm_except_dim(weight, self._axis(weight)), weight


def weight_norm(module: T_module, name: str = "weight", dim: int | None = 0) -> T_module:
    """Parametrize ``module.<name>`` as ``g * v / ||v||``, as ``torch.nn.utils.parametrizations.weight_norm``.

    ``original0`` holds g (``(out, 1, ...)`` for ``dim=0``; ``()``-like for ``dim=None``), ``original1`` holds v
    (the weight's shape). Returns the module.
    """
    parametrize.register_parametrization(module, name, _WeightNorm(dim), unsafe=True)
    return module


# -- spectral_norm ----------------------------------------------------------------------------------

class _SpectralNorm(Module):
    """``weight / sigma``, sigma the largest singular value of the weight seen as a ``(size(dim), -1)`` matrix,
    estimated by power iteration on the buffers ``_u: (size(dim),)`` and ``_v: (numel / size(dim),)`` (one step
    per training-mode read, none in eval mode). A 1-D weight is divided by its norm."""

    _u: Tensor
    _v: Tensor

    def __init__(self, weight: Tensor, n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12) -> None:
        super().__init__()
        ndim = weight.ndim
        if dim >= ndim or dim < -ndim:
            raise IndexError(f"Dimension out of range (expected to be in range of [-{ndim}, {ndim - 1}] but got "
                             f"{dim})")
        if n_power_iterations <= 0:
            raise ValueError("Expected n_power_iterations to be positive, but got "
                             f"n_power_iterations={n_power_iterations}")
        self.dim = dim if dim >= 0 else dim + ndim
        self.eps = eps
        if ndim > 1:
            self.n_power_iterations = n_power_iterations
            weight_mat = self._reshape_weight_to_matrix(weight.detach())
            h, w = weight_mat.shape
            # u and v start as random unit vectors from the host generator (the same on every backend)
            self.register_buffer("_u", _random_unit(h, eps, weight))
            self.register_buffer("_v", _random_unit(w, eps, weight))
            self._power_method(weight_mat, 15)

    def _reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        return weight_matrix(weight, self.dim)

    def _power_method(self, weight_mat: Tensor, n_power_iterations: int) -> None:
        """Refine ``_u`` and ``_v`` in place (their identity kept), outside the graph."""
        xp = weight_mat.backend.xp
        mat = weight_mat.array
        u, v = self._u.array, self._v.array
        for _ in range(n_power_iterations):
            u = _normalize(xp, xp.matmul(mat, v), self.eps)
            v = _normalize(xp, xp.matmul(u, mat), self.eps)
        self._u.array, self._v.array = u, v

    def forward(self, weight: Tensor) -> Tensor:
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        weight_mat = self._reshape_weight_to_matrix(weight)
        if self.training:
            self._power_method(weight_mat, self.n_power_iterations)
        # u, v are constants (copies: later power steps must not change what this graph saw)
        u, v = _constant(weight, self._u.array), _constant(weight, self._v.array)
        sigma = (u * (weight_mat @ v)).sum()
        return weight / sigma

    def right_inverse(self, value: Tensor) -> Tensor:
        return value


def spectral_norm(module: T_module, name: str = "weight", n_power_iterations: int = 1, eps: float = 1e-12,
                  dim: int | None = None) -> T_module:
    """Parametrize ``module.<name>`` as ``weight / sigma(weight)``, as
    ``torch.nn.utils.parametrizations.spectral_norm``; ``dim`` defaults to 1 for ConvTranspose layers, else 0.

    Registering runs 15 power-iteration steps from random unit vectors (drawn by anynn's host generator, so
    they differ from PyTorch's draw: copy ``_u``/``_v`` through the state dict for identical results).
    Returns the module.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if dim is None:
        dim = 1 if isinstance(module, (ConvTranspose1d, ConvTranspose2d, ConvTranspose3d)) else 0
    parametrize.register_parametrization(module, name, _SpectralNorm(weight, n_power_iterations, dim, eps))
    return module


# -- orthogonal -------------------------------------------------------------------------------------

class _OrthMaps(Enum):
    matrix_exp = auto()
    cayley = auto()
    householder = auto()


def _identity(like: Tensor, n: int, m: int | None = None) -> Tensor:
    be = like.backend
    return _constant(like, be.xp.eye(n, m, dtype=like.array.dtype, device=be.device))


def _make_orthogonal(a: Any, xp: Any) -> Any:
    """The Q of ``a = QR`` with R's diagonal made non-negative (PyTorch's ``geqrf`` + sign fix), as arrays."""
    q, r = xp.linalg.qr(a)
    return q * xp.sign(xp.linalg.diagonal(r))[..., None, :]


def _is_orthogonal(q: Tensor) -> bool:
    """``allclose(QᵀQ, I)`` with PyTorch's tolerances (atol ``10 n eps``, rtol 1e-5), one host read."""
    be, xp = q.backend, q.backend.xp
    n, k = q.shape[-2], q.shape[-1]
    eye = xp.eye(k, dtype=q.array.dtype, device=be.device)
    atol = 10.0 * n * xp.finfo(q.array.dtype).eps
    gap = xp.abs(xp.matmul(xp.matrix_transpose(q.array), q.array) - eye)
    return not any_true(be, gap > atol + 1e-5 * xp.abs(eye))


class _Orthogonal(Module):
    """Maps an unconstrained matrix ``(*, n, k)`` to one with orthonormal columns (rows when n < k)."""

    def __init__(self, weight: Tensor, orthogonal_map: _OrthMaps, *, use_trivialization: bool = True) -> None:
        super().__init__()
        if orthogonal_map == _OrthMaps.householder and weight.is_complex():  # (no real tau for complex reflections)
            raise ValueError("The householder parametrization does not support complex tensors.")
        self.shape = tuple(weight.shape)
        self.orthogonal_map = orthogonal_map
        if use_trivialization:
            self.register_buffer("base", None)

    def forward(self, X: Tensor) -> Tensor:  # noqa: N803 - PyTorch's name
        n, k = X.shape[-2], X.shape[-1]
        transposed = n < k
        if transposed:
            X, n, k = X.mT, k, n
        if self.orthogonal_map in (_OrthMaps.matrix_exp, _OrthMaps.cayley):
            X = X.tril()
            if n != k:
                be = X.backend
                zeros = be.xp.zeros(tuple(X.shape[:-1]) + (n - k,), dtype=X.array.dtype, device=be.device)
                X = cat([X, _constant(X, zeros)], dim=-1)
            A = X - X.mT
            if self.orthogonal_map == _OrthMaps.matrix_exp:
                Q = matrix_exp(A)
            else:
                eye = _identity(A, n)
                Q = solve(eye - 0.5 * A, eye + 0.5 * A)
            if n != k:
                Q = Q[..., :k]
        else:
            A = X.tril(-1)
            tau = 2.0 / (1.0 + (A * A).sum(dim=-2))
            Q = householder_product(A, tau)
            # PyTorch's .int() on the diagonal: truncation toward zero, no gradient
            xp = X.backend.xp
            signs = xp.trunc(xp.linalg.diagonal(X.detach().array))
            Q = Q * _constant(X, signs[..., None, :])
        if "base" in self._buffers:
            Q = self.base @ Q
        if transposed:
            Q = Q.mT
        return Q

    def right_inverse(self, Q: Tensor) -> Tensor:  # noqa: N803 - PyTorch's name
        if tuple(Q.shape) != self.shape:
            raise ValueError(f"Expected a matrix or batch of matrices of shape {self.shape}. Got a tensor of shape "
                             f"{tuple(Q.shape)}.")
        if "base" not in self._buffers:
            if self.orthogonal_map in (_OrthMaps.cayley, _OrthMaps.matrix_exp):
                raise NotImplementedError("It is not possible to assign to the matrix exponential or the Cayley "
                                          "parametrizations when use_trivialization=False.")
            return _householder_inverse(Q)
        be, xp = Q.backend, Q.backend.xp
        with no_grad():
            shape = tuple(Q.shape)
            q = Q.detach()
            n, k = shape[-2], shape[-1]
            if n < k:
                q, n, k = q.mT, k, n
            if n == k:
                base = q.array if _is_orthogonal(q) else _make_orthogonal(q.array, xp)
                base = xp.asarray(base, copy=True)
            else:
                noise = _random_normal(tuple(q.shape[:-1]) + (n - k,), q)
                base = _make_orthogonal(xp.concat([q.array, noise], axis=-1), xp)
            self.base = _constant(Q, base)
            eye = xp.eye(shape[-2], shape[-1], dtype=Q.array.dtype, device=be.device)
            return _constant(Q, xp.asarray(xp.broadcast_to(-eye, shape), copy=True))


def _householder_inverse(Q: Tensor) -> Tensor:  # noqa: N803 - PyTorch's name
    """The unconstrained matrix whose householder map is ``Q`` (PyTorch's: geqrf's reflections below the
    diagonal, the signs of R's diagonal on it, flipped where a reflection is the identity)."""
    transposed = Q.shape[-2] < Q.shape[-1]
    a, tau = geqrf(Q.mT if transposed else Q)
    xp = a.backend.xp
    diagonal = xp.sign(xp.linalg.diagonal(a.array))  # (*, k), k = a.shape[-1]: a is tall
    diagonal = xp.where(tau.array == 0, -diagonal, diagonal)
    on_diagonal = xp.eye(a.shape[-2], a.shape[-1], dtype=xp.bool, device=a.backend.device)
    out = _constant(Q, xp.where(on_diagonal, diagonal[..., None, :], a.array))
    return out.mT if transposed else out


def _random_normal(shape: tuple[int, ...], like: Tensor) -> Any:
    """A standard-normal array of ``shape`` from anynn's host generator, on ``like``'s backend and dtype."""
    from ... import init

    be = like.backend
    out = _constant(like, be.xp.zeros(shape, dtype=like.array.dtype, device=be.device))
    init.normal_(out)
    return out.array


def orthogonal(module: T_module, name: str = "weight", orthogonal_map: str | None = None, *,
               use_trivialization: bool = True) -> T_module:
    """Parametrize the matrix (or batch of matrices) ``module.<name>: (*, n, k)`` to have orthonormal columns
    (rows when n < k), as ``torch.nn.utils.parametrizations.orthogonal``.

    ``orthogonal_map``: ``"matrix_exp"`` (the default for square matrices), ``"cayley"``, or ``"householder"``
    (the default otherwise). With ``use_trivialization`` (the default) the current weight, made orthogonal, is
    kept in the buffer ``base`` and ``original`` starts at ``-I``, so the weight is unchanged by registering
    when it was already orthogonal. Returns the module.
    """
    weight = getattr(module, name, None)
    if not isinstance(weight, Tensor):
        raise ValueError(f"Module '{module}' has no parameter or buffer with name '{name}'")
    if weight.ndim < 2:
        raise ValueError(f"Expected a matrix or batch of matrices. Got a tensor of {weight.ndim} dimensions.")
    if orthogonal_map is None:
        orthogonal_map = "matrix_exp" if weight.shape[-2] == weight.shape[-1] else "householder"
    orth_enum = getattr(_OrthMaps, orthogonal_map, None)
    if orth_enum is None:
        raise ValueError('orthogonal_map has to be one of "matrix_exp", "cayley", "householder". '
                         f"Got: {orthogonal_map}")
    orth = _Orthogonal(weight, orth_enum, use_trivialization=use_trivialization)
    parametrize.register_parametrization(module, name, orth, unsafe=True)
    return module
