"""`NegativeBinomial`: the number of successes before ``total_count`` failures (PyTorch's)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .bernoulli import _ProbsOrLogits
from .distribution import as_shape
from .draws import negative_binomial_sample
from . import constraints


class NegativeBinomial(_ProbsOrLogits):
    """Successes of coins with success probability ``probs`` (or ``sigmoid(logits)``) counted until
    ``total_count`` failures (a Tensor or a number > 0, need not be an integer), batched over the broadcast shape
    of ``total_count`` and the probability.

    ``log_prob`` and the moments are differentiable in both parameters; ``sample`` (counts in the parameter's
    dtype) is a Poisson draw of a Gamma(total_count, odds) rate, as PyTorch's."""

    arg_constraints = {"total_count": constraints.greater_than_eq(0), "probs": constraints.half_open_interval(0.0, 1.0),
                       "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, total_count: Tensor | float, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None, validate_args: bool | None = None) -> None:
        self._set_counted(total_count, probs, logits, validate_args)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.logits.exp()

    @property
    def mode(self) -> Tensor:
        return ((self.total_count - 1) * self.logits.exp()).floor().clamp(min=0.0)

    @property
    def variance(self) -> Tensor:
        return self.mean / (-self.logits).sigmoid()

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts of shape ``sample_shape + batch_shape``, outside the graph."""
        return negative_binomial_sample(self.total_count, self.probs, self._extended_shape(as_shape(sample_shape)))

    def log_prob(self, value: Tensor | float) -> Tensor:
        from ..functional.activation_squash import logsigmoid

        n, logits = self.total_count, self.logits
        if not isinstance(value, Tensor):
            value = logits * 0 + value
        unnormalized = n * logsigmoid(-logits) + value * logsigmoid(logits)
        normalization = -(n + value).lgamma() + (1.0 + value).lgamma() + n.lgamma()
        return unnormalized - normalization.masked_fill(n + value == 0.0, 0.0)


__all__ = ["NegativeBinomial"]
