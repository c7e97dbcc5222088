"""`LowRankMultivariateNormal`: the Gaussian over vectors whose covariance is ``W Wᵀ + diag(D)`` (PyTorch's).

Shapes: ``loc`` (*, n), ``cov_factor`` W (*, n, r), ``cov_diag`` D (*, n); ``batch_shape`` their broadcast batch,
``event_shape`` (n,). ``log_prob`` and ``entropy`` use the r x r capacitance matrix ``C = I + Wᵀ D⁻¹ W`` (Woodbury's
identity and the matrix determinant lemma), so an n x n factorization is never made; everything is
differentiable in the three parameters.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from ..linalg import cholesky, solve_triangular
from .categorical import broadcast_shapes
from .distribution import Distribution, as_shape
from .multivariate_normal import batch_mahalanobis
from . import constraints


def _identity(size: int, like: Tensor) -> Tensor:
    from ..factories import eye

    return eye(size, dtype=like.dtype, device=like.device)


def _capacitance_tril(factor: Tensor, diag: Tensor) -> Tensor:
    """The Cholesky factor of ``I + Wᵀ D⁻¹ W``, (*, r, r)."""
    scaled = factor.mT / diag.unsqueeze(-2)
    return cholesky(scaled @ factor + _identity(factor.shape[-1], factor))


class LowRankMultivariateNormal(Distribution):
    """N(loc, W Wᵀ + diag(D)), batched.

    Parameters
    ----------
    loc : (*, n) mean.
    cov_factor : (*, n, r) the low-rank factor W.
    cov_diag : (*, n) the positive diagonal D.
    validate_args : ``True`` checks the parameters and each ``log_prob`` value as PyTorch does (default: off).

    Notes
    -----
    ``rsample`` is ``loc + W eps_r + sqrt(D) eps_n`` with standard normal ``eps_r`` (r) and ``eps_n`` (n).
    """

    arg_constraints = {"loc": constraints.real_vector, "cov_factor": constraints.independent(constraints.real, 2),
                       "cov_diag": constraints.independent(constraints.positive, 1)}
    support = constraints.real_vector

    has_rsample = True

    def __init__(self, loc: Tensor, cov_factor: Tensor, cov_diag: Tensor, validate_args: bool | None = None) -> None:
        if not isinstance(loc, Tensor) or loc.ndim < 1:
            raise ValueError("loc must be at least one-dimensional.")
        n = loc.shape[-1]
        if not isinstance(cov_factor, Tensor) or cov_factor.ndim < 2:
            raise ValueError("cov_factor must be at least two-dimensional, with optional leading batch dimensions")
        if cov_factor.shape[-2] != n:
            raise ValueError(f"cov_factor must be a batch of matrices with shape {n} x m")
        if not isinstance(cov_diag, Tensor) or cov_diag.ndim < 1 or cov_diag.shape[-1] != n:
            raise ValueError(f"cov_diag must be a batch of vectors with shape {(n,)}")
        batch = broadcast_shapes(tuple(loc.shape[:-1]), tuple(cov_factor.shape[:-2]), tuple(cov_diag.shape[:-1]))
        self.loc = loc.expand(*(batch + (n,)))
        self.cov_factor = cov_factor.expand(*(batch + tuple(cov_factor.shape[-2:])))
        self.cov_diag = cov_diag.expand(*(batch + (n,)))
        super().__init__(batch, (n,), validate_args)  # (after the parameters: validate_args checks them)
        self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag = cov_factor, cov_diag
        self._capacitance_tril = _capacitance_tril(cov_factor, cov_diag)

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        factor = self._unbroadcasted_cov_factor
        return ((factor * factor).sum(-1) + self._unbroadcasted_cov_diag).expand(*(self._batch_shape
                                                                                  + self._event_shape))

    @property
    def _unbroadcasted_scale_tril(self) -> Tensor:
        """The lower Cholesky factor of the covariance, ``sqrt(D) chol(I + D^-½ W Wᵀ D^-½)``, of the parameters'
        own batch shape (what KL with a `MultivariateNormal` reads)."""
        root = self._unbroadcasted_cov_diag.sqrt().unsqueeze(-1)
        scaled = self._unbroadcasted_cov_factor / root
        inner = scaled @ scaled.mT + _identity(self._event_shape[0], scaled)
        return root * cholesky(inner)

    @property
    def scale_tril(self) -> Tensor:
        """(*batch, n, n) the lower Cholesky factor of the covariance."""
        return self._unbroadcasted_scale_tril.expand(*(self._batch_shape + self._event_shape * 2))

    @property
    def covariance_matrix(self) -> Tensor:
        factor = self._unbroadcasted_cov_factor
        return (factor @ factor.mT + self._unbroadcasted_cov_diag.diag_embed()).expand(
            *(self._batch_shape + self._event_shape * 2))

    @property
    def precision_matrix(self) -> Tensor:
        """``D⁻¹ - D⁻¹ W C⁻¹ Wᵀ D⁻¹`` (Woodbury's identity)."""
        scaled = self._unbroadcasted_cov_factor.mT / self._unbroadcasted_cov_diag.unsqueeze(-2)
        solved = solve_triangular(self._capacitance_tril, scaled, upper=False)
        return (self._unbroadcasted_cov_diag.reciprocal().diag_embed() - solved.mT @ solved).expand(
            *(self._batch_shape + self._event_shape * 2))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        from ..factories import randn

        shape = self._extended_shape(as_shape(sample_shape))
        rank = self._unbroadcasted_cov_factor.shape[-1]
        eps_rank = randn(shape[:-1] + (rank,), dtype=self.loc.dtype, device=self.loc.device)
        eps_full = randn(shape, dtype=self.loc.dtype, device=self.loc.device)
        low_rank = (self._unbroadcasted_cov_factor @ eps_rank.unsqueeze(-1)).squeeze(-1)
        return self.loc + low_rank + self._unbroadcasted_cov_diag.sqrt() * eps_full

    def _log_det(self) -> Tensor:
        """``log det(W Wᵀ + D) = 2 sum log diag(chol C) + sum log D`` (the matrix determinant lemma)."""
        half = self._capacitance_tril.diagonal(dim1=-2, dim2=-1).log().sum(-1)
        return 2 * half + self._unbroadcasted_cov_diag.log().sum(-1)

    def log_prob(self, value: Tensor) -> Tensor:
        if self._validate_args is not False and (not isinstance(value, Tensor) or value.ndim < 1
                                                 or value.shape[-1] != self._event_shape[0]):
            shape = tuple(value.shape) if isinstance(value, Tensor) else type(value).__name__
            raise ValueError(f"The right-most size of value must match event_shape: {shape} vs "
                             f"{self._event_shape}.")
        diff = value - self.loc
        factor, diag = self._unbroadcasted_cov_factor, self._unbroadcasted_cov_diag
        projected = ((factor.mT / diag.unsqueeze(-2)) @ diff.unsqueeze(-1)).squeeze(-1)
        mahalanobis = (diff * diff / diag).sum(-1) - batch_mahalanobis(self._capacitance_tril, projected)
        return -0.5 * (self._event_shape[0] * math.log(2 * math.pi) + self._log_det() + mahalanobis)

    def entropy(self) -> Tensor:
        entropy = 0.5 * (self._event_shape[0] * (1.0 + math.log(2 * math.pi)) + self._log_det())
        return entropy if tuple(entropy.shape) == self._batch_shape else entropy.expand(*self._batch_shape)
