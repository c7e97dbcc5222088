"""The Concrete (Gumbel-softmax) relaxations of PyTorch: `LogitRelaxedBernoulli` and `RelaxedBernoulli`,
`ExpRelaxedCategorical` and `RelaxedOneHotCategorical`. Each ``rsample`` is differentiable in the logits (or
probs), so discrete choices can be trained by the reparameterization trick at a ``temperature``."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from ..functional.activation import softplus
from .categorical import Categorical
from .bernoulli import _ProbsOrLogits
from .distribution import Distribution, as_shape
from .draws import open_uniform
from .transformed_distribution import TransformedDistribution
from .transforms import ExpTransform, SigmoidTransform
from . import constraints


class LogitRelaxedBernoulli(_ProbsOrLogits):
    """The logit of a relaxed coin: ``(logits + log(u) - log(1 - u)) / temperature``, ``u ~ U(0, 1)``."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.real

    has_rsample = True

    def __init__(self, temperature: Tensor | float, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None, validate_args: bool | None = None) -> None:
        param = self._set_probs_or_logits(probs, logits)
        self.temperature = _as_temperature(temperature, param)
        super().__init__(tuple(param.shape), (), validate_args)

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A logit of shape ``sample_shape + batch_shape``, differentiable in the logits or probs."""
        logits = self.logits
        u = open_uniform(logits, self._extended_shape(as_shape(sample_shape)))
        return (u.log() - (-u).log1p() + logits) / self.temperature

    def log_prob(self, value: Tensor) -> Tensor:
        diff = self.logits - value * self.temperature
        return self.temperature.log() + diff - 2 * softplus(diff)


class _Relaxed(TransformedDistribution):
    """A relaxed distribution as a transform of its base: its ``temperature``, ``logits`` and ``probs``."""

    @property
    def temperature(self) -> Tensor:
        return self.base_dist.temperature  # type: ignore[attr-defined,no-any-return]

    @property
    def logits(self) -> Tensor:
        return self.base_dist.logits  # type: ignore[attr-defined,no-any-return]

    @property
    def probs(self) -> Tensor:
        return self.base_dist.probs  # type: ignore[attr-defined,no-any-return]


class RelaxedBernoulli(_Relaxed):
    """A coin relaxed to (0, 1): ``sigmoid`` of a `LogitRelaxedBernoulli` draw; low temperatures approach 0/1."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.unit_interval

    has_rsample = True

    def __init__(self, temperature: Tensor | float, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None, validate_args: bool | None = None) -> None:
        super().__init__(LogitRelaxedBernoulli(temperature, probs, logits), SigmoidTransform(), validate_args)



class ExpRelaxedCategorical(Distribution):
    """The log of a relaxed one-hot vector: ``log_softmax((logits + gumbel) / temperature)`` over the K
    categories (event shape (K,))."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.real_vector

    has_rsample = True

    def __init__(self, temperature: Tensor | float, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        self._categorical = Categorical(probs, logits)
        self.temperature = _as_temperature(temperature, probs if probs is not None else logits)
        super().__init__(self._categorical.batch_shape, (self._categorical._num_events,), validate_args)

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """Log-probabilities of shape ``sample_shape + batch_shape + (K,)``, differentiable in the parameters."""
        logits = self.logits
        u = open_uniform(logits, self._extended_shape(as_shape(sample_shape)))
        scores = (logits - (-u.log()).log()) / self.temperature
        return scores - scores.logsumexp(dim=-1, keepdim=True)

    def log_prob(self, value: Tensor) -> Tensor:
        k = self._categorical._num_events
        temperature = self.temperature
        log_scale = math.lgamma(k) + (k - 1) * temperature.log()
        score = self.logits - value * temperature
        score = (score - score.logsumexp(dim=-1, keepdim=True)).sum(-1)
        return score + log_scale


class RelaxedOneHotCategorical(_Relaxed):
    """A one-hot vector relaxed onto the simplex (the Gumbel-softmax): ``exp`` of an `ExpRelaxedCategorical`
    draw; low temperatures approach one-hot vectors."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}
    support = constraints.simplex

    has_rsample = True

    def __init__(self, temperature: Tensor | float, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        super().__init__(ExpRelaxedCategorical(temperature, probs, logits), ExpTransform(), validate_args)



def _as_temperature(temperature: Tensor | float, like: Any) -> Tensor:
    """A number temperature as a 0-d Tensor of the parameter's backend and dtype (PyTorch wants a Tensor)."""
    if isinstance(temperature, Tensor):
        return temperature
    from ..factories import full

    if isinstance(like, Tensor):
        return full((), float(temperature), dtype=like.dtype, backend=like.backend)
    return full((), float(temperature))


__all__ = ["ExpRelaxedCategorical", "LogitRelaxedBernoulli", "RelaxedBernoulli", "RelaxedOneHotCategorical"]
