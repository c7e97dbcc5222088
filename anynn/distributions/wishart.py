"""`Wishart` (PyTorch's): the law of ``sum_k x_k x_kᵀ`` over ``df`` normal vectors of covariance Σ, a distribution of
positive-definite (p, p) matrices; ``rsample`` by the Bartlett decomposition (differentiable in Σ and ``df``)."""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..autograd.tensor import Tensor
from ..functional.elementwise import where
from ..functional.torch_small_ops import mvlgamma
from ..linalg import slogdet, solve_triangular
from .categorical import broadcast_shapes
from .distribution import as_shape
from .exp_family import ExponentialFamily
from .gamma import Chi2
from .multivariate_normal import _half_log_det, _identity_like, scale_tril_of
from . import constraints

_LOG_2 = math.log(2)
_PARAMETERS = ("covariance_matrix", "precision_matrix", "scale_tril")


def _mvdigamma(x: Tensor, p: int) -> Tensor:
    """The multivariate digamma ``sum_{i < p} digamma(x - i / 2)`` (x > (p - 1) / 2)."""
    from ..factories import arange

    return (x.unsqueeze(-1) - arange(p, dtype=x.dtype, backend=x.backend) / 2).digamma().sum(-1)


class Wishart(ExponentialFamily):
    """Wishart(df, Σ) over (p, p) positive-definite matrices, given one of ``covariance_matrix`` (Σ),
    ``precision_matrix`` (Σ⁻¹) or ``scale_tril`` (L, Σ = L Lᵀ), each (*, p, p), and ``df`` > p - 1 (a number or a
    Tensor broadcasting with the batch). Batch shape: the broadcast of the matrices' leading axes and ``df``'s."""

    support = constraints.positive_definite
    has_rsample = True
    _mean_carrier_measure = 0

    @property
    def arg_constraints(self) -> dict[str, Any]:  # type: ignore[override]
        return {"covariance_matrix": constraints.positive_definite,
                "precision_matrix": constraints.positive_definite, "scale_tril": constraints.lower_cholesky,
                "df": constraints.greater_than(self.event_shape[-1] - 1)}

    def __init__(self, df: Tensor | float, covariance_matrix: Tensor | None = None,
                 precision_matrix: Tensor | None = None, scale_tril: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        given = {name: value for name, value in zip(_PARAMETERS, (covariance_matrix, precision_matrix, scale_tril))
                 if value is not None}
        if len(given) != 1:
            raise ValueError("Exactly one of covariance_matrix or precision_matrix or scale_tril may be specified.")
        (name, matrix), = given.items()
        if not isinstance(matrix, Tensor) or matrix.ndim < 2:
            raise ValueError("scale_tril must be at least two-dimensional, with optional leading batch dimensions")
        p = matrix.shape[-1]
        if isinstance(df, Tensor):
            batch = broadcast_shapes(tuple(matrix.shape[:-2]), tuple(df.shape))
            self.df = df.expand(*batch)
        else:
            from ..factories import full

            batch = tuple(matrix.shape[:-2])
            self.df = full(batch, float(df), dtype=matrix.dtype, device=matrix.device)
        if bool((self.df <= p - 1).any()):
            raise ValueError(f"Value of df={df} expected to be greater than ndim - 1 = {p - 1}.")
        if bool((self.df < p).any()):
            warnings.warn("Low df values detected. Singular samples are highly likely to occur for ndim - 1 < df < "
                          "ndim.", stacklevel=2)
        self._given = name
        for each in _PARAMETERS:  # the matrices not given are derived, and not checked (PyTorch's lazy ones)
            setattr(self, "_" + each, matrix.expand(*batch, p, p) if each == name else None)
        super().__init__(batch, (p, p), validate_args)
        self._unbroadcasted_scale_tril = scale_tril_of(name, matrix)
        from ..factories import arange

        steps = arange(p, dtype=matrix.dtype, backend=matrix.backend)
        self._dist_chi2 = Chi2(self.df.unsqueeze(-1) - steps)  # the Bartlett factor's squared diagonal

    # -- parameters -------------------------------------------------------------------------------------------------
    def _full(self, matrix: Tensor) -> Tensor:
        return matrix.expand(*(self._batch_shape + self._event_shape))

    @property
    def scale_tril(self) -> Tensor:
        return self._full(self._unbroadcasted_scale_tril)

    @property
    def covariance_matrix(self) -> Tensor:
        if self._given == "covariance_matrix":
            return self._covariance_matrix
        return self._full(self._unbroadcasted_scale_tril @ self._unbroadcasted_scale_tril.mT)

    @property
    def precision_matrix(self) -> Tensor:
        if self._given == "precision_matrix":
            return self._precision_matrix
        inverse = solve_triangular(self._unbroadcasted_scale_tril, _identity_like(self._unbroadcasted_scale_tril),
                                   upper=False)
        return self._full(inverse.mT @ inverse)

    def _df_matrix(self, df: Tensor) -> Tensor:
        return df.reshape(*self._batch_shape, 1, 1)

    @property
    def mean(self) -> Tensor:
        return self._df_matrix(self.df) * self.covariance_matrix

    @property
    def mode(self) -> Tensor:
        factor = self.df - self._event_shape[-1] - 1
        return self._df_matrix(factor.masked_fill(factor <= 0, math.nan)) * self.covariance_matrix

    @property
    def variance(self) -> Tensor:
        cov = self.covariance_matrix
        diagonal = cov.diagonal(dim1=-2, dim2=-1)
        return self._df_matrix(self.df) * (cov ** 2 + diagonal.unsqueeze(-1) * diagonal.unsqueeze(-2))

    # -- sampling -----------------------------------------------------------------------------------------------------
    def _bartlett(self, sample_shape: tuple[int, ...]) -> Tensor:
        """``(L A)(L A)ᵀ`` with A lower triangular: sqrt(chi2(df - i)) on the diagonal, N(0, 1) below."""
        from ..factories import randn
        from ..type_info import finfo

        root = self._dist_chi2.rsample(sample_shape).sqrt()
        below = randn(self._extended_shape(sample_shape), dtype=root.dtype, backend=root.backend).tril(-1)
        factor = self._unbroadcasted_scale_tril @ (root.clamp(min=finfo(root.dtype).eps).diag_embed() + below)
        return factor @ factor.mT

    def rsample(self, sample_shape: Any = (), max_try_correction: int | None = None) -> Tensor:
        """Matrices of shape ``sample_shape + batch_shape + (p, p)``; a sample that comes out singular (possible
        for df < p) is drawn again, up to ``max_try_correction`` (10) times, with PyTorch's warning."""
        shape = as_shape(sample_shape)
        sample = self._bartlett(shape)
        singular = ~self.support.check(sample)
        if bool(singular.any()):
            warnings.warn("Singular sample detected.", stacklevel=2)
            for _ in range(10 if max_try_correction is None else max_try_correction):
                sample = where(singular.unsqueeze(-1).unsqueeze(-1), self._bartlett(shape), sample)
                singular = ~self.support.check(sample)
                if not bool(singular.any()):
                    break
        return sample

    # -- densities ----------------------------------------------------------------------------------------------------
    def log_prob(self, value: Tensor) -> Tensor:
        nu, p = self.df, self._event_shape[-1]
        factor = self._unbroadcasted_scale_tril
        solved = solve_triangular(factor.mT, solve_triangular(factor, value, upper=False), upper=True)  # Σ⁻¹ X
        trace = solved.diagonal(dim1=-2, dim2=-1).sum(-1)
        return (-nu * (p * _LOG_2 / 2 + _half_log_det(factor)) - mvlgamma(nu / 2, p)
                + (nu - p - 1) / 2 * slogdet(value).logabsdet - trace / 2)

    def entropy(self) -> Tensor:
        nu, p = self.df, self._event_shape[-1]
        return ((p + 1) * (p * _LOG_2 / 2 + _half_log_det(self._unbroadcasted_scale_tril)) + mvlgamma(nu / 2, p)
                - (nu - p - 1) / 2 * _mvdigamma(nu / 2, p) + nu * p / 2)

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return -self.precision_matrix / 2, (self.df - self._event_shape[-1] - 1) / 2

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        x, y = natural_params
        p = self._event_shape[-1]
        return (y + (p + 1) / 2) * (-slogdet(-2 * x).logabsdet + _LOG_2 * p) + mvlgamma(y + (p + 1) / 2, p)


__all__ = ["Wishart"]
