"""`MixtureSameFamily`: a mixture whose components are the batch of one distribution (PyTorch's)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .categorical import Categorical
from .distribution import Distribution, as_shape
from . import constraints


class MixtureSameFamily(Distribution):
    """Pick a component ``k ~ mixture_distribution``, then draw from component ``k`` of ``component_distribution``.

    Parameters
    ----------
    mixture_distribution : `Categorical` with batch shape B and K categories.
    component_distribution : any distribution of batch shape ``B + (K,)`` and event shape E (wrap a batch of
        multivariate components in `Independent` to give them an event shape).

    Notes
    -----
    The mixture has batch shape B and event shape E; ``log_prob`` is the log-sum-exp over the components,
    differentiable in both distributions' parameters; ``sample`` gathers the chosen component's draw.
    """

    arg_constraints: dict[str, Any] = {}

    @constraints.dependent_property
    def support(self) -> Any:
        return self._component_distribution.support

    has_rsample = False

    def __init__(self, mixture_distribution: Distribution, component_distribution: Distribution,
                 validate_args: bool | None = None) -> None:
        if not isinstance(mixture_distribution, Categorical):
            raise ValueError("The Mixture distribution needs to be an instance of torch.distributions.Categorical")
        if not isinstance(component_distribution, Distribution):
            raise ValueError("The Component distribution need to be an instance of torch.distributions.Distribution")
        self._mixture_distribution = mixture_distribution
        self._component_distribution = component_distribution
        mixture_batch = tuple(mixture_distribution.batch_shape)
        component_batch = tuple(component_distribution.batch_shape)
        if len(component_batch) < 1 or not _broadcastable(mixture_batch, component_batch[:-1]):
            raise ValueError(f"`mixture_distribution.batch_shape` ({mixture_batch}) is not compatible with "
                             f"`component_distribution.batch_shape` ({component_batch})")
        k = mixture_distribution._num_events
        if component_batch[-1] != k:
            raise ValueError(f"`mixture_distribution component` ({k}) does not equal "
                             f"`component_distribution.batch_shape[-1]` ({component_batch[-1]})")
        self._num_component = k
        self._event_ndims = len(component_distribution.event_shape)
        super().__init__(component_batch[:-1], tuple(component_distribution.event_shape), validate_args)

    @property
    def mixture_distribution(self) -> Categorical:
        return self._mixture_distribution  # type: ignore[return-value]

    @property
    def component_distribution(self) -> Distribution:
        return self._component_distribution

    def _pad_weights(self, x: Tensor) -> Tensor:
        """(..., K) mixture weights with E's axes appended, to broadcast against per-component (..., K, *E)."""
        return x.reshape(*x.shape, *(1,) * self._event_ndims)

    @property
    def mean(self) -> Tensor:
        probs = self._pad_weights(self.mixture_distribution.probs)
        return (probs * self.component_distribution.mean).sum(-1 - self._event_ndims)

    @property
    def variance(self) -> Tensor:
        """The law of total variance: the mean of the components' variances plus the variance of their means."""
        probs = self._pad_weights(self.mixture_distribution.probs)
        axis = -1 - self._event_ndims
        means = self.component_distribution.mean
        within = (probs * self.component_distribution.variance).sum(axis)
        between = (probs * (means - self.mean.unsqueeze(axis)) ** 2).sum(axis)
        return within + between

    def _pad(self, x: Tensor) -> Tensor:
        return x.unsqueeze(-1 - self._event_ndims)

    def log_prob(self, x: Tensor) -> Tensor:
        per_component = self.component_distribution.log_prob(self._pad(x))  # (S, B, K)
        log_weights = self.mixture_distribution.logits.log_softmax(-1)  # (B, K)
        return (per_component + log_weights).logsumexp(-1)

    def cdf(self, x: Tensor) -> Tensor:
        per_component = self.component_distribution.cdf(self._pad(x))  # type: ignore[attr-defined]
        return (per_component * self.mixture_distribution.probs).sum(-1)

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Draws of shape ``sample_shape + batch_shape + event_shape``, outside the graph."""
        from ..autograd.mode import no_grad

        with no_grad():
            sample_shape = as_shape(sample_shape)
            chosen = self.mixture_distribution.sample(sample_shape)  # (S, B)
            draws = self.component_distribution.sample(sample_shape)  # (S, B, K, *E)
            index = chosen.reshape(*chosen.shape, 1, *(1,) * self._event_ndims)
            index = index.expand(*chosen.shape, 1, *self.event_shape)
            return draws.gather(len(sample_shape) + len(self.batch_shape), index).squeeze(
                len(sample_shape) + len(self.batch_shape))

    def __repr__(self) -> str:
        return (f"MixtureSameFamily(\n  {self.mixture_distribution!r},\n  {self.component_distribution!r})")


def _broadcastable(a: tuple[int, ...], b: tuple[int, ...]) -> bool:
    return all(x == y or x == 1 or y == 1 for x, y in zip(reversed(a), reversed(b)))


__all__ = ["MixtureSameFamily"]
