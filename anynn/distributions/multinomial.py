"""`Multinomial`: counts of ``total_count`` draws among K categories (PyTorch's)."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from .categorical import Categorical, clamp_probs
from .distribution import Distribution, as_shape
from .draws import multinomial_sample
from . import constraints


class Multinomial(Distribution):
    """The category counts of ``total_count`` independent draws from ``probs`` (..., K) (normalized over the
    last dimension) or ``logits``: batch shape (...), event shape (K,).

    ``log_prob(value)`` reads the number of draws from ``value.sum(-1)`` (so ``total_count`` matters only to
    ``sample``, ``mean`` and ``variance``, as in PyTorch) and is differentiable in the parameters; ``sample``
    gives counts in the parameter's dtype."""

    arg_constraints = {"probs": constraints.simplex, "logits": constraints.real_vector}

    @constraints.dependent_property(is_discrete=True, event_dim=1)
    def support(self) -> Any:
        return constraints.multinomial(self.total_count)

    def __init__(self, total_count: int = 1, probs: Tensor | None = None, logits: Tensor | None = None,
                 validate_args: bool | None = None) -> None:
        if not isinstance(total_count, int):
            raise NotImplementedError("inhomogeneous total_count is not supported")
        self.total_count = total_count
        self._categorical = Categorical(probs=probs, logits=logits, validate_args=validate_args)
        super().__init__(self._categorical.batch_shape, (self._categorical._num_events,), validate_args)

    @property
    def probs(self) -> Tensor:
        return self._categorical.probs

    @property
    def logits(self) -> Tensor:
        return self._categorical.logits

    @property
    def mean(self) -> Tensor:
        return self.probs * self.total_count

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts of shape ``sample_shape + batch_shape + (K,)`` summing to ``total_count``, outside the graph."""
        return multinomial_sample(self.total_count, self.probs, self._extended_shape(as_shape(sample_shape)))

    def log_prob(self, value: Tensor) -> Tensor:
        logits = self.logits
        # a category of probability 0 that was never drawn adds nothing (not 0 * -inf)
        logits = logits.masked_fill((value == 0) & (logits == float("-inf")), 0.0)
        draws = value.sum(-1)
        return (draws + 1).lgamma() - (value + 1).lgamma().sum(-1) + (logits * value).sum(-1)

    def entropy(self) -> Tensor:
        """``n H(categorical) - log n! + sum_i E[log k_i!]``, each count ``k_i ~ Binomial(n, p_i)`` (PyTorch's
        form), of shape ``batch_shape``."""
        from ..factories import arange

        n = self.total_count
        p = clamp_probs(self.probs)  # (PyTorch's binomials clamp too: finite logs, no gradient below eps)
        k = arange(1, n + 1, dtype=p.dtype, backend=p.backend).reshape(n, *([1] * p.ndim))  # (n, 1, ..., 1)
        log_binomial = (math.lgamma(n + 1) - (k + 1).lgamma() - (n - k + 1).lgamma() + k * p.log()
                        + (n - k) * (-p).log1p())
        expected_log_factorials = (log_binomial.exp() * (k + 1).lgamma()).sum(0).sum(-1)
        return n * self._categorical.entropy() - math.lgamma(n + 1) + expected_log_factorials


__all__ = ["Multinomial"]
