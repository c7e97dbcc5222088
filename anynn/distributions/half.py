"""`HalfNormal`, `HalfCauchy` and `LogNormal` (PyTorch's): a Normal or Cauchy folded onto x >= 0, and a Normal
pushed through ``exp``."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from .distribution import Distribution
from .location_scale import Cauchy
from .normal import Normal
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform
from . import constraints


class _Folded(Distribution):
    """The law of ``|x|`` for ``x`` of a base centred at 0: twice the base density on x >= 0, -inf below."""

    arg_constraints = {"scale": constraints.positive}
    support = constraints.nonnegative

    has_rsample = True
    base_dist: Any

    def __init__(self, base: Any, validate_args: bool | None) -> None:
        self.base_dist = base
        super().__init__(tuple(base.batch_shape), (), validate_args)

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale

    @property
    def mode(self) -> Tensor:
        return self.scale * 0

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``|base draw|`` of shape ``sample_shape + batch_shape``."""
        return self.base_dist.rsample(sample_shape).abs()

    def log_prob(self, value: Tensor | float) -> Tensor:
        if not isinstance(value, Tensor):
            value = self.scale * 0 + value
        density = self.base_dist.log_prob(value) + math.log(2)
        return density.masked_fill(value < 0, float("-inf"))

    def cdf(self, value: Tensor | float) -> Tensor:
        return 2 * self.base_dist.cdf(value) - 1

    def icdf(self, prob: Tensor | float) -> Tensor:
        return self.base_dist.icdf((prob + 1) / 2)

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() - math.log(2)


class HalfNormal(_Folded):
    """|N(0, scale^2)|, batched over the shape of ``scale`` (a Tensor or a number, > 0)."""

    def __init__(self, scale: Tensor | float, validate_args: bool | None = None) -> None:
        super().__init__(Normal(0.0, scale if isinstance(scale, Tensor) else float(scale), validate_args),
                         validate_args)

    @property
    def mean(self) -> Tensor:
        return self.scale * math.sqrt(2 / math.pi)

    @property
    def variance(self) -> Tensor:
        return self.scale ** 2 * (1 - 2 / math.pi)


class HalfCauchy(_Folded):
    """|Cauchy(0, scale)|, batched over the shape of ``scale``; its mean and variance are infinite."""

    def __init__(self, scale: Tensor | float, validate_args: bool | None = None) -> None:
        super().__init__(Cauchy(0.0, scale, validate_args), validate_args)

    @property
    def mean(self) -> Tensor:
        return (self.scale * 0 + 1) * float("inf")

    @property
    def variance(self) -> Tensor:
        return (self.scale * 0 + 1) * float("inf")


class LogNormal(TransformedDistribution):
    """``exp(x)`` for ``x ~ N(loc, scale^2)``, batched over the broadcast shape of ``loc`` and ``scale``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.positive

    def __init__(self, loc: Tensor | float, scale: Tensor | float, validate_args: bool | None = None) -> None:
        super().__init__(Normal(loc, scale, validate_args), ExpTransform(), validate_args)

    @property
    def loc(self) -> Tensor:
        return self.base_dist.loc  # type: ignore[attr-defined,no-any-return]

    @property
    def scale(self) -> Tensor:
        return self.base_dist.scale  # type: ignore[attr-defined,no-any-return]

    @property
    def mean(self) -> Tensor:
        return (self.loc + self.scale ** 2 / 2).exp()

    @property
    def mode(self) -> Tensor:
        return (self.loc - self.scale ** 2).exp()

    @property
    def variance(self) -> Tensor:
        s2 = self.scale ** 2
        return s2.expm1() * (2 * self.loc + s2).exp()

    def entropy(self) -> Tensor:
        return self.base_dist.entropy() + self.loc


__all__ = ["HalfCauchy", "HalfNormal", "LogNormal"]
