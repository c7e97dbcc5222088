"""`GeneralizedPareto` (PyTorch's): the limit law of threshold exceedances, with location, scale and shape
(``concentration``; 0 gives the exponential law, negative values a bounded support)."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from ..functional.elementwise import where
from .distribution import Distribution, as_shape
from .draws import open_uniform
from .utils import broadcast_all
from . import constraints


class GeneralizedPareto(Distribution):
    """GPD(loc, scale, concentration), batched over the broadcast shape of the three (``scale > 0``). With
    ``z = (x - loc) / scale`` the survival function is ``(1 + c z)^(-1/c)`` (``exp(-z)`` at c = 0, taken where
    ``|c| <= 1e-8`` as PyTorch's ``isclose``); ``rsample`` inverts the CDF."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive, "concentration": constraints.real}
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float, concentration: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.scale, self.concentration = broadcast_all(loc, scale, concentration)
        super().__init__(tuple(self.loc.shape), (), validate_args)

    def _safe(self) -> tuple[Tensor, Tensor]:
        """(where the concentration counts as 0, the concentration with 1 there)."""
        c = self.concentration
        zero = c.abs() <= 1e-8
        return zero, where(zero, c * 0 + 1, c)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.icdf(open_uniform(self.loc, self._extended_shape(as_shape(sample_shape))))

    def log_prob(self, value: Tensor | float) -> Tensor:
        z = (value - self.loc) / self.scale
        zero, c = self._safe()
        y = 1 / c + 1
        nonzero = where(y == 0, y, y * (c * z).log1p())
        return -self.scale.log() - where(zero, z, nonzero)

    def log_survival_function(self, value: Tensor | float) -> Tensor:
        z = (value - self.loc) / self.scale
        zero, c = self._safe()
        return where(zero, -z, -(c * z).log1p() / c)

    def log_cdf(self, value: Tensor | float) -> Tensor:
        return (-self.log_survival_function(value).exp()).log1p()

    def cdf(self, value: Tensor | float) -> Tensor:
        return self.log_cdf(value).exp()

    def icdf(self, value: Tensor | float) -> Tensor:
        zero, c = self._safe()
        log_u = (-(self.loc * 0 + value)).log1p()
        return where(zero, self.loc - self.scale * log_u, self.loc + self.scale / c * (-c * log_u).expm1())

    @property
    def mean(self) -> Tensor:
        c = self.concentration
        valid = c < 1
        result = self.loc + self.scale / (1 - where(valid, c, c * 0 + 0.5))
        return result.masked_fill(~valid, math.nan)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        valid = c < 0.5
        safe = where(valid, c, c * 0 + 0.25)
        return (self.scale ** 2 / ((1 - safe) ** 2 * (1 - 2 * safe))).masked_fill(~valid, math.nan)

    def entropy(self) -> Tensor:
        return (self.scale.log() + self.concentration + 1).expand(*self.batch_shape)

    @property
    def mode(self) -> Tensor:
        return self.loc

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Any:
        c = self.concentration
        upper = where(c < 0, self.loc - self.scale / c, self.loc * 0 + math.inf)
        return constraints.interval(self.loc, upper)


__all__ = ["GeneralizedPareto"]
