"""`Poisson`, `Geometric` and `Binomial`: counting distributions (PyTorch's). ``log_prob``, ``entropy`` and the
moments are differentiable in the parameters; samples are counts in the parameter's dtype, outside the graph."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .bernoulli import _ProbsOrLogits
from .distribution import as_shape
from .exp_family import ExponentialFamily
from .draws import binomial_sample, open_uniform, poisson_sample
from .normal import _broadcast_all
from . import constraints


class Poisson(ExponentialFamily):
    """Poisson(rate): ``P(k) = rate^k e^-rate / k!`` for k = 0, 1, ..., batched over the shape of ``rate``."""

    arg_constraints = {"rate": constraints.nonnegative}
    support = constraints.nonnegative_integer

    def __init__(self, rate: Tensor | float, validate_args: bool | None = None) -> None:
        (self.rate,) = _broadcast_all(rate)
        super().__init__(tuple(self.rate.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate

    @property
    def mode(self) -> Tensor:
        return self.rate.floor()

    @property
    def variance(self) -> Tensor:
        return self.rate

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts of shape ``sample_shape + batch_shape`` in ``rate``'s dtype."""
        return poisson_sample(self.rate, self._extended_shape(as_shape(sample_shape)))

    def log_prob(self, value: Tensor | float) -> Tensor:
        if not isinstance(value, Tensor):
            value = self.rate * 0 + value
        return value.xlogy(self.rate) - self.rate - (value + 1).lgamma()


class Geometric(_ProbsOrLogits):
    """The number of failures before the first success of coins with success probability ``probs`` (or
    ``sigmoid(logits)``): ``P(k) = (1 - p)^k p`` for k = 0, 1, ..."""

    arg_constraints = {"probs": constraints.unit_interval, "logits": constraints.real}
    support = constraints.nonnegative_integer

    def __init__(self, probs: Tensor | float | None = None, logits: Tensor | float | None = None,
                 validate_args: bool | None = None) -> None:
        param = self._set_probs_or_logits(probs, logits)
        super().__init__(tuple(param.shape), (), validate_args)
        if self._validate_args and probs is not None and not bool((self.probs > 0).all()):
            # PyTorch's check beyond unit_interval: a coin that never lands has no first success
            raise ValueError(f"Expected parameter probs (Tensor of shape {tuple(self.probs.shape)}) of distribution "
                             f"{self!r} to be positive but found invalid values:\n{self.probs}")

    @property
    def mean(self) -> Tensor:
        return self.probs.reciprocal() - 1

    @property
    def mode(self) -> Tensor:
        return self.probs * 0

    @property
    def variance(self) -> Tensor:
        return (self.probs.reciprocal() - 1) / self.probs

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """``floor(log(u) / log(1 - p))`` of shape ``sample_shape + batch_shape``, ``u ~ U(0, 1)``."""
        from ..autograd.mode import no_grad

        with no_grad():
            probs = self.probs.detach()
            u = open_uniform(probs, self._extended_shape(as_shape(sample_shape)))
            return (u.log() / (-probs).log1p()).floor()

    def log_prob(self, value: Tensor | float) -> Tensor:
        probs = self.probs
        if not isinstance(value, Tensor):
            value = probs * 0 + value
        certain = (probs == 1) & (value == 0)  # 0 failures of a sure coin: 0 * log(0) is 0 here
        return value * (-probs.masked_fill(certain, 0.0)).log1p() + probs.log()

    def entropy(self) -> Tensor:
        from ..functional.activation import softplus

        return (softplus(self.logits) - self.probs * self.logits) / self.probs


class Binomial(_ProbsOrLogits):
    """The number of successes in ``total_count`` coins of success probability ``probs`` (or
    ``sigmoid(logits)``), batched over the broadcast shape of ``total_count`` and the probability."""

    arg_constraints = {"total_count": constraints.nonnegative_integer, "probs": constraints.unit_interval,
                       "logits": constraints.real}

    @constraints.dependent_property(is_discrete=True, event_dim=0)
    def support(self) -> Any:
        return constraints.integer_interval(0, self.total_count)

    has_enumerate_support = True

    def __init__(self, total_count: Tensor | int = 1, probs: Tensor | float | None = None,
                 logits: Tensor | float | None = None, validate_args: bool | None = None) -> None:
        self._set_counted(total_count, probs, logits, validate_args)

    @property
    def mean(self) -> Tensor:
        return self.total_count * self.probs

    @property
    def mode(self) -> Tensor:
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self) -> Tensor:
        return self.total_count * self.probs * (1 - self.probs)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Counts of shape ``sample_shape + batch_shape`` in the parameter's dtype."""
        return binomial_sample(self.total_count, self.probs, self._extended_shape(as_shape(sample_shape)))

    def log_prob(self, value: Tensor | float) -> Tensor:
        from ..functional.activation import softplus

        n, logits = self.total_count, self.logits
        if not isinstance(value, Tensor):
            value = logits * 0 + value
        log_choose = (n + 1).lgamma() - (value + 1).lgamma() - (n - value + 1).lgamma()
        return log_choose + value * logits - n * softplus(logits)

    def enumerate_support(self, expand: bool = True) -> Tensor:
        """0 .. total_count of shape (total_count + 1, *batch_shape) (or (n + 1, 1, ..., 1) with ``expand=False``);
        one total_count for the whole batch, as PyTorch requires."""
        from ..factories import arange

        counts = self.total_count.detach().numpy()
        n = int(counts.max()) if counts.size else 0
        if counts.size and int(counts.min()) != n:
            raise NotImplementedError("Inhomogeneous total count not supported by `enumerate_support`.")
        values = arange(1 + n, dtype=self.total_count.dtype, backend=self.total_count.backend)
        values = values.reshape((-1,) + (1,) * len(self.batch_shape))
        return values.expand(-1, *self.batch_shape) if expand else values

    def entropy(self) -> Tensor:
        counts = self.total_count.detach().numpy()
        if counts.size and counts.min() != counts.max():
            raise NotImplementedError("Inhomogeneous total count not supported by `entropy`.")
        log_prob = self.log_prob(self.enumerate_support(False))
        return -(log_prob.exp() * log_prob).sum(0)


__all__ = ["Binomial", "Geometric", "Poisson"]
