"""`FisherSnedecor` (PyTorch's F distribution): the ratio of two scaled chi-squared draws."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from .distribution import Distribution, as_shape
from .gamma import Gamma
from .utils import broadcast_all
from . import constraints


class FisherSnedecor(Distribution):
    """F(df1, df2): ``(X1 / df1) / (X2 / df2)`` for independent chi-squared ``X1``, ``X2``; batched over the
    broadcast shape of ``df1`` and ``df2`` (> 0). ``rsample`` is differentiable in both (through the implicitly
    reparameterized Gamma draws). Mean, mode and variance are NaN where they do not exist (df2 <= 2, df1 <= 2,
    df2 <= 4), as PyTorch's."""

    arg_constraints = {"df1": constraints.positive, "df2": constraints.positive}
    support = constraints.positive
    has_rsample = True

    def __init__(self, df1: Tensor | float, df2: Tensor | float, validate_args: bool | None = None) -> None:
        self.df1, self.df2 = broadcast_all(df1, df2)
        self._gamma1 = Gamma(self.df1 * 0.5, self.df1)
        self._gamma2 = Gamma(self.df2 * 0.5, self.df2)
        super().__init__(tuple(self.df1.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        df2 = self.df2.masked_fill(self.df2 <= 2, math.nan)
        return df2 / (df2 - 2)

    @property
    def mode(self) -> Tensor:
        mode = (self.df1 - 2) / self.df1 * self.df2 / (self.df2 + 2)
        return mode.masked_fill(self.df1 <= 2, math.nan)

    @property
    def variance(self) -> Tensor:
        df2 = self.df2.masked_fill(self.df2 <= 4, math.nan)
        return 2 * df2 ** 2 * (self.df1 + df2 - 2) / (self.df1 * (df2 - 2) ** 2 * (df2 - 4))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``X1 / X2`` for ``X_i ~ Gamma(df_i / 2, df_i)``, of shape ``sample_shape + batch_shape``."""
        from ..type_info import finfo

        shape = self._extended_shape(as_shape(sample_shape))
        x1 = self._gamma1.rsample(sample_shape).reshape(*shape)
        x2 = self._gamma2.rsample(sample_shape).reshape(*shape)
        tiny = finfo(x2.dtype).tiny
        return (x1 / x2.clamp(min=tiny)).clamp(min=tiny)

    def log_prob(self, value: Tensor | float) -> Tensor:
        half1, half2 = self.df1 * 0.5, self.df2 * 0.5
        ratio = self.df1 / self.df2
        if not isinstance(value, Tensor):
            value = ratio * 0 + value
        norm = (half1 + half2).lgamma() - half1.lgamma() - half2.lgamma()
        return norm + half1 * ratio.log() + (half1 - 1) * value.log() - (half1 + half2) * (ratio * value).log1p()


__all__ = ["FisherSnedecor"]
