"""`ContinuousBernoulli` (PyTorch's; Loaiza-Ganem and Cunningham 2019): the density on [0, 1] proportional to
``p^x (1 - p)^(1 - x)``, the properly normalized counterpart of a Bernoulli likelihood of a value in [0, 1]
(VAEs on grey-level images). Near p = 1/2 the closed forms divide 0 by 0, so inside ``lims`` PyTorch's Taylor
expansions are used, as here."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from ..functional.activation import softplus
from ..functional.elementwise import where
from .bernoulli import _ProbsOrLogits
from .distribution import as_shape
from .draws import open_uniform
from .exp_family import ExponentialFamily
from .categorical import clamp_probs
from . import constraints


class ContinuousBernoulli(_ProbsOrLogits, ExponentialFamily):
    """CB(probs) on [0, 1], given ``probs`` (clamped to [eps, 1 - eps]) or ``logits``; batched over their shape.
    ``rsample`` inverts the CDF (differentiable in the parameter)."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval
    has_rsample = True
    _mean_carrier_measure = 0

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 lims: tuple[float, float] = (0.499, 0.501), validate_args: bool | None = None) -> None:
        param = self._set_probs_or_logits(probs, logits)
        if self._probs is not None:
            if validate_args is not None and not bool(constraints.unit_interval.check(self._probs).all()):
                raise ValueError("The parameter probs has invalid values")
            self._probs = clamp_probs(self._probs)
        self._lims = lims
        super().__init__(tuple(param.shape), (), validate_args)

    @property
    def probs(self) -> Tensor:
        if self._probs is None:
            assert self._logits is not None
            self._probs = clamp_probs(self._logits.sigmoid())
        return self._probs

    def _stable(self) -> Tensor:
        """Where ``probs`` lies outside ``lims`` (the closed forms are accurate there)."""
        p = self.probs
        return (p <= self._lims[0]) | (p > self._lims[1])

    def _cut_probs(self) -> Tensor:
        return where(self._stable(), self.probs, self.probs * 0 + self._lims[0])

    def _log_norm(self) -> Tensor:
        """``log C(p)``, the log of the normalizing constant."""
        cut = self._cut_probs()
        below = where(cut <= 0.5, cut, cut * 0)
        above = where(cut >= 0.5, cut, cut * 0 + 1)
        closed = ((-cut).log1p() - cut.log()).abs().log() - where(cut <= 0.5, (-2.0 * below).log1p(),
                                                                  (2.0 * above - 1.0).log())
        x = (self.probs - 0.5) ** 2
        taylor = math.log(2.0) + (4.0 / 3.0 + 104.0 / 45.0 * x) * x
        return where(self._stable(), closed, taylor)

    @property
    def mean(self) -> Tensor:
        cut = self._cut_probs()
        closed = cut / (2.0 * cut - 1.0) + 1.0 / ((-cut).log1p() - cut.log())
        x = self.probs - 0.5
        return where(self._stable(), closed, 0.5 + (1.0 / 3.0 + 16.0 / 45.0 * x ** 2) * x)

    @property
    def variance(self) -> Tensor:
        cut = self._cut_probs()
        closed = cut * (cut - 1.0) / (1.0 - 2.0 * cut) ** 2 + 1.0 / ((-cut).log1p() - cut.log()) ** 2
        x = (self.probs - 0.5) ** 2
        return where(self._stable(), closed, 1.0 / 12.0 - (1.0 / 15.0 - 128.0 / 945.0 * x) * x)

    @property
    def param_shape(self) -> tuple[int, ...]:
        return tuple((self._probs if self._probs is not None else self.logits).shape)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self.icdf(open_uniform(self.probs, self._extended_shape(as_shape(sample_shape))))

    def log_prob(self, value: Tensor | float) -> Tensor:
        logits = self.logits
        return logits * value - softplus(logits) + self._log_norm()

    def cdf(self, value: Tensor | float) -> Tensor:
        cut = self._cut_probs()
        if not isinstance(value, Tensor):
            value = cut * 0 + value
        closed = (cut ** value * (1.0 - cut) ** (1.0 - value) + cut - 1.0) / (2.0 * cut - 1.0)
        inside = where(self._stable(), closed, value)
        return where(value <= 0.0, value * 0, where(value >= 1.0, value * 0 + 1, inside))

    def icdf(self, value: Tensor | float) -> Tensor:
        cut = self._cut_probs()
        closed = ((-cut + value * (2.0 * cut - 1.0)).log1p() - (-cut).log1p()) / (cut.log() - (-cut).log1p())
        return where(self._stable(), closed, cut * 0 + value)

    def entropy(self) -> Tensor:
        log_p0, log_p1 = (-self.probs).log1p(), self.probs.log()
        return self.mean * (log_p0 - log_p1) - self._log_norm() - log_p0

    @property
    def _natural_params(self) -> tuple[Tensor, ...]:
        return (self.logits,)

    def _log_normalizer(self, *natural_params: Tensor) -> Tensor:
        (x,) = natural_params
        outside = (x <= self._lims[0] - 0.5) | (x > self._lims[1] - 0.5)
        cut = where(outside, x, x * 0 + (self._lims[0] - 0.5))
        closed = cut.expm1().abs().log() - cut.abs().log()
        return where(outside, closed, 0.5 * x + x ** 2 / 24.0 - x ** 4 / 2880.0)


__all__ = ["ContinuousBernoulli"]
