"""`MultivariateNormal`: the Gaussian over vectors, with a covariance, precision or scale-tril parameter
(PyTorch's), and its KL divergence.

Shapes: ``loc`` (*, n); the matrix (*, n, n); ``batch_shape`` is the broadcast of their batch dimensions,
``event_shape`` (n,). Everything is computed from the lower Cholesky factor L of the covariance (``scale_tril``):
``log_prob`` and KL by triangular solves, the log-determinant from L's diagonal, so each is differentiable in the
parameters through `anynn.linalg`.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from ..backend.arrays import check
from ..linalg import cholesky, solve_triangular
from .categorical import broadcast_shapes
from .distribution import Distribution, as_shape
from . import constraints

_PARAMETERS = ("covariance_matrix", "precision_matrix", "scale_tril")


def batch_mahalanobis(scale_tril: Tensor, x: Tensor) -> Tensor:
    """``|| L⁻¹ x ||²`` over the last axis: L (*, n, n) lower triangular, x (*, n), batch dimensions broadcast."""
    solved = solve_triangular(scale_tril, x.unsqueeze(-1), upper=False).squeeze(-1)
    return (solved * solved).sum(-1)


def _half_log_det(scale_tril: Tensor) -> Tensor:
    """``½ log det(L Lᵀ)`` = the sum of ``log L_ii``, (*)."""
    return scale_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)


def _identity_like(matrix: Tensor) -> Tensor:
    from ..factories import eye

    return eye(matrix.shape[-1], dtype=matrix.dtype, device=matrix.device)


def _precision_to_scale_tril(precision: Tensor) -> Tensor:
    """L with ``L Lᵀ = P⁻¹`` (PyTorch's route: the Cholesky factor of P flipped, then one triangular solve)."""
    flipped = cholesky(precision.flip(-2, -1))
    inverse_t = flipped.flip(-2, -1).mT
    return solve_triangular(inverse_t, _identity_like(precision), upper=False)


def scale_tril_of(name: str, matrix: Tensor) -> Tensor:
    """The lower Cholesky factor L of the covariance given as ``name`` ("scale_tril": L itself,
    "covariance_matrix": Σ = L Lᵀ, "precision_matrix": Σ⁻¹)."""
    if name == "scale_tril":
        return matrix
    if name == "covariance_matrix":
        return cholesky(matrix)
    return _precision_to_scale_tril(matrix)


class MultivariateNormal(Distribution):
    """N(loc, Σ) over vectors of length n, batched.

    Parameters
    ----------
    loc : (*, n) mean.
    covariance_matrix : (*, n, n) symmetric positive-definite Σ; or
    precision_matrix : (*, n, n) Σ⁻¹; or
    scale_tril : (*, n, n) lower triangular L with positive diagonal, Σ = L Lᵀ. Give exactly one of the three.
    validate_args : as PyTorch's (checked unless ``False``): the matrix's constraint (symmetric and
        positive-definite, or lower triangular with a positive diagonal), and a value's trailing size in
        ``log_prob``.

    Notes
    -----
    ``rsample`` is ``loc + L eps`` with ``eps ~ N(0, I)``, differentiable in the parameters.
    """

    arg_constraints = {"loc": constraints.real_vector, "covariance_matrix": constraints.positive_definite,
                       "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky}
    support = constraints.real_vector

    has_rsample = True

    def __init__(self, loc: Tensor, covariance_matrix: Tensor | None = None, precision_matrix: Tensor | None = None,
                 scale_tril: Tensor | None = None, validate_args: bool | None = None) -> None:
        given = {name: value for name, value in zip(_PARAMETERS, (covariance_matrix, precision_matrix, scale_tril))
                 if value is not None}
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        if not isinstance(loc, Tensor) or loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        (name, matrix), = given.items()
        if not isinstance(matrix, Tensor) or matrix.ndim < 2:
            raise ValueError(f"{name} must be at least two-dimensional, with optional leading batch dimensions")
        if matrix.shape[-1] != matrix.shape[-2] or matrix.shape[-1] != loc.shape[-1]:
            raise ValueError(f"MultivariateNormal: {name} of shape {tuple(matrix.shape)} must be (*, n, n) with n "
                             f"the size of loc's last axis, {loc.shape[-1]}")
        batch = broadcast_shapes(tuple(matrix.shape[:-2]), tuple(loc.shape[:-1]))
        n = loc.shape[-1]
        self.loc = loc.expand(*(batch + (n,)))
        self._given = name
        for each in _PARAMETERS:  # the matrices not given are derived, and not checked (PyTorch's lazy ones)
            setattr(self, "_" + each, matrix if each == name else None)
        super().__init__(batch, (n,), validate_args)  # (after the parameters: validate_args checks loc too)
        if validate_args is not False:
            self._validate(name, matrix)
        self._unbroadcasted_scale_tril = scale_tril_of(name, matrix)

    def _validate(self, name: str, matrix: Tensor) -> None:
        """PyTorch's constraints: PositiveDefinite() for the covariance and precision, LowerCholesky() for
        scale_tril (ValueError naming the parameter, as PyTorch's)."""
        from ..autograd.mode import no_grad
        from ..linalg import eigvalsh

        with no_grad():
            xp, backend = matrix.backend.xp, matrix.backend
            a = matrix.array
            if name == "scale_tril":
                constraint = "LowerCholesky()"
                bad = xp.any(a != matrix.tril().array, axis=(-2, -1))
                bad = bad | xp.any(matrix.diagonal(dim1=-2, dim2=-1).array <= 0, axis=-1)
            else:
                constraint = "PositiveDefinite()"
                asymmetric = xp.abs(a - xp.matrix_transpose(a)) > 1e-6
                bad = xp.any(asymmetric, axis=(-2, -1)) | xp.any(eigvalsh(matrix).array <= 0, axis=-1)
        check(backend, bad, f"Expected parameter {name} (Tensor of shape {tuple(matrix.shape)}) of distribution "
                            f"{self!r} to satisfy the constraint {constraint}, but found invalid values")

    # -- parameters -------------------------------------------------------------------------------------------------
    @property
    def scale_tril(self) -> Tensor:
        """(*batch, n, n) the lower Cholesky factor of the covariance."""
        return self._unbroadcasted_scale_tril.expand(*(self._batch_shape + self._event_shape * 2))

    @property
    def covariance_matrix(self) -> Tensor:
        """(*batch, n, n) Σ = L Lᵀ."""
        if self._given == "covariance_matrix":
            found = self._covariance_matrix
        else:
            found = self._unbroadcasted_scale_tril @ self._unbroadcasted_scale_tril.mT
        return found.expand(*(self._batch_shape + self._event_shape * 2))

    @property
    def precision_matrix(self) -> Tensor:
        """(*batch, n, n) Σ⁻¹ = L⁻ᵀ L⁻¹."""
        if self._given == "precision_matrix":
            found = self._precision_matrix
        else:
            factor = self._unbroadcasted_scale_tril
            inverse = solve_triangular(factor, _identity_like(factor), upper=False)
            found = inverse.mT @ inverse
        return found.expand(*(self._batch_shape + self._event_shape * 2))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        factor = self._unbroadcasted_scale_tril
        return (factor * factor).sum(-1).expand(*(self._batch_shape + self._event_shape))

    # -- sampling and densities -------------------------------------------------------------------------------------
    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``loc + L eps`` of shape ``sample_shape + batch_shape + (n,)``."""
        from ..factories import randn

        shape = self._extended_shape(as_shape(sample_shape))
        eps = randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        return self.loc + (self._unbroadcasted_scale_tril @ eps.unsqueeze(-1)).squeeze(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        """The log density at ``value`` (*, n), broadcast against the batch: shape (*sample, *batch)."""
        if self._validate_args is not False and (not isinstance(value, Tensor) or value.ndim < 1
                                                 or value.shape[-1] != self._event_shape[0]):
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs "
                             f"{self._event_shape}.")
        diff = value - self.loc
        n = self._event_shape[0]
        mahalanobis = batch_mahalanobis(self._unbroadcasted_scale_tril, diff)
        return -0.5 * (n * math.log(2 * math.pi) + mahalanobis) - _half_log_det(self._unbroadcasted_scale_tril)

    def entropy(self) -> Tensor:
        n = self._event_shape[0]
        entropy = 0.5 * n * (1.0 + math.log(2 * math.pi)) + _half_log_det(self._unbroadcasted_scale_tril)
        return entropy if tuple(entropy.shape) == self._batch_shape else entropy.expand(*self._batch_shape)


def kl_multivariate_normal(p: Any, q: Any) -> Tensor:
    """KL(p || q) = ``log|L_q|/|L_p| + ½ (tr((L_q⁻¹ L_p)(L_q⁻¹ L_p)ᵀ) + |L_q⁻¹ (μ_q - μ_p)|² - n)``, shape the
    broadcast batch. ``p`` and ``q``: `MultivariateNormal` or `LowRankMultivariateNormal` (both have
    ``_unbroadcasted_scale_tril``)."""
    if p.event_shape != q.event_shape:
        raise ValueError("KL-divergence between two Multivariate Normals with different event shapes cannot be "
                         "computed")
    p_factor, q_factor = p._unbroadcasted_scale_tril, q._unbroadcasted_scale_tril
    n = p.event_shape[0]
    batch = broadcast_shapes(tuple(p_factor.shape[:-2]), tuple(q_factor.shape[:-2]))
    half_term1 = _half_log_det(q_factor) - _half_log_det(p_factor)
    ratio = solve_triangular(q_factor.expand(*(batch + (n, n))), p_factor.expand(*(batch + (n, n))), upper=False)
    term2 = (ratio * ratio).sum((-2, -1))
    term3 = batch_mahalanobis(q_factor, q.loc - p.loc)
    return half_term1 + 0.5 * (term2 + term3 - n)
