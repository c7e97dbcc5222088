"""Families that PyTorch builds as transformed distributions: `Weibull` (a power of an exponential draw), `Pareto`
(the exponential of one), `Kumaraswamy` (powers of a uniform draw), `InverseGamma` (the reciprocal of a gamma draw)
and `LogisticNormal` (a normal vector stick-broken onto the simplex). ``log_prob``, ``cdf``, ``icdf`` and ``rsample``
come from `TransformedDistribution`; the moments and entropies are PyTorch's closed forms."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from ..functional.elementwise import where
from .gamma import Exponential, Gamma
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import AffineTransform, ExpTransform, PowerTransform
from .transforms_structured import StickBreakingTransform
from .uniform import Uniform
from .utils import broadcast_all, euler_constant
from . import constraints


def _filled(like: Tensor, value: float) -> Tensor:
    return like * 0 + value


class Weibull(TransformedDistribution):
    """Weibull(scale, concentration): ``scale * E ** (1 / concentration)`` for ``E ~ Exponential(1)``; density
    ``(c / s) (x / s)^(c - 1) exp(-(x / s)^c)`` on x > 0, batched over the broadcast shape of the parameters."""

    arg_constraints = {"scale": constraints.positive, "concentration": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, scale: Tensor | float, concentration: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.scale, self.concentration = broadcast_all(scale, concentration)
        self.concentration_reciprocal = self.concentration.reciprocal()
        super().__init__(Exponential(_filled(self.scale.detach(), 1.0), validate_args=validate_args),
                         [PowerTransform(self.concentration_reciprocal), AffineTransform(0.0, self.scale)],
                         validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * (1 + self.concentration_reciprocal).lgamma().exp()

    @property
    def mode(self) -> Tensor:
        c = self.concentration
        return self.scale * ((c - 1) / c) ** c.reciprocal()

    @property
    def variance(self) -> Tensor:
        r = self.concentration_reciprocal
        return self.scale ** 2 * ((1 + 2 * r).lgamma().exp() - (2 * (1 + r).lgamma()).exp())

    def entropy(self) -> Tensor:
        r = self.concentration_reciprocal
        return euler_constant * (1 - r) + (self.scale * r).log() + 1


class Pareto(TransformedDistribution):
    """Pareto(scale, alpha): ``scale * exp(E)`` for ``E ~ Exponential(alpha)``; density
    ``alpha scale^alpha / x^(alpha + 1)`` on x >= scale. Mean and variance are infinite for alpha <= 1 and
    alpha <= 2 (PyTorch's clamped forms)."""

    arg_constraints = {"alpha": constraints.positive, "scale": constraints.positive}
    has_rsample = True

    def __init__(self, scale: Tensor | float, alpha: Tensor | float, validate_args: bool | None = None) -> None:
        self.scale, self.alpha = broadcast_all(scale, alpha)
        super().__init__(Exponential(self.alpha, validate_args=validate_args),
                         [ExpTransform(), AffineTransform(0.0, self.scale)], validate_args)

    @constraints.dependent_property(is_discrete=False, event_dim=0)
    def support(self) -> Any:
        return constraints.greater_than_eq(self.scale)

    @property
    def mean(self) -> Tensor:
        a = self.alpha.clamp(min=1)
        return a * self.scale / (a - 1)

    @property
    def mode(self) -> Tensor:
        return self.scale

    @property
    def variance(self) -> Tensor:
        a = self.alpha.clamp(min=2)
        return self.scale ** 2 * a / ((a - 1) ** 2 * (a - 2))

    def entropy(self) -> Tensor:
        return (self.scale / self.alpha).log() + (1 + self.alpha.reciprocal())


def _kumaraswamy_moment(a: Tensor, b: Tensor, n: int) -> Tensor:
    """E[X^n] = b B(1 + n / a, b), in logs."""
    first = 1 + n / a
    return b * (first.lgamma() + b.lgamma() - (first + b).lgamma()).exp()


class Kumaraswamy(TransformedDistribution):
    """Kumaraswamy(concentration1, concentration0) on (0, 1): density ``a b x^(a - 1) (1 - x^a)^(b - 1)``
    (a = concentration1, b = concentration0), drawn as ``(1 - U^(1 / b))^(1 / a)``."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval
    has_rsample = True

    def __init__(self, concentration1: Tensor | float, concentration0: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.concentration1, self.concentration0 = broadcast_all(concentration1, concentration0)
        zeros = _filled(self.concentration0.detach(), 0.0)
        super().__init__(Uniform(zeros, zeros + 1, validate_args=validate_args),
                         [PowerTransform(self.concentration0.reciprocal()), AffineTransform(1.0, -1.0),
                          PowerTransform(self.concentration1.reciprocal())], validate_args)

    @property
    def mean(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 1)

    @property
    def mode(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        log_mode = b.reciprocal() * (-b).log1p() - (-b * a).log1p()
        return log_mode.masked_fill((b < 1) | (a < 1), math.nan).exp()

    @property
    def variance(self) -> Tensor:
        return _kumaraswamy_moment(self.concentration1, self.concentration0, 2) - self.mean ** 2

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        harmonic = (b + 1).digamma() + euler_constant
        return (1 - b.reciprocal()) + (1 - a.reciprocal()) * harmonic - a.log() - b.log()


class InverseGamma(TransformedDistribution):
    """InverseGamma(concentration, rate): ``1 / G`` for ``G ~ Gamma(concentration, rate)``; density
    ``rate^c x^(-c-1) e^(-rate / x) / Gamma(c)`` on x > 0. The mean is infinite for c <= 1, the variance for
    c <= 2."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, concentration: Tensor | float, rate: Tensor | float,
                 validate_args: bool | None = None) -> None:
        base = Gamma(concentration, rate, validate_args=validate_args)
        super().__init__(base, PowerTransform(-1.0), validate_args)

    @property
    def concentration(self) -> Tensor:
        return self.base_dist.concentration  # type: ignore[attr-defined,no-any-return]

    @property
    def rate(self) -> Tensor:
        return self.base_dist.rate  # type: ignore[attr-defined,no-any-return]

    @property
    def mean(self) -> Tensor:
        c = self.concentration
        return where(c > 1, self.rate / (c - 1), _filled(c.detach(), math.inf))

    @property
    def mode(self) -> Tensor:
        return self.rate / (self.concentration + 1)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        return where(c > 2, self.rate ** 2 / ((c - 1) ** 2 * (c - 2)), _filled(c.detach(), math.inf))

    def entropy(self) -> Tensor:
        c = self.concentration
        return c + self.rate.log() + c.lgamma() - (1 + c) * c.digamma()


class LogisticNormal(TransformedDistribution):
    """A normal vector of K - 1 entries (``loc``, ``scale`` broadcast; at least one axis) stick-broken onto the
    simplex of K entries: event shape (K,)."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.simplex
    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float, validate_args: bool | None = None) -> None:
        base: Any = Normal(loc, scale, validate_args=validate_args)
        if not base.batch_shape:
            base = base.expand((1,))
        super().__init__(base, StickBreakingTransform(), validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.base_dist.loc  # type: ignore[attr-defined,no-any-return]

    @property
    def scale(self) -> Tensor:
        return self.base_dist.base_dist.scale  # type: ignore[attr-defined,no-any-return]


__all__ = ["InverseGamma", "Kumaraswamy", "LogisticNormal", "Pareto", "Weibull"]
