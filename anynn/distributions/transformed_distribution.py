"""`TransformedDistribution`: a base distribution pushed through invertible transforms (PyTorch's)."""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.tensor import Tensor
from .distribution import Distribution
from .independent import Independent
from . import constraints
from .transforms import ComposeTransform, Transform, sum_rightmost


class TransformedDistribution(Distribution):
    """The law of ``y = t_n(... t_1(x))`` for ``x ~ base_distribution``.

    ``sample``/``rsample`` push base samples through the transforms (``rsample`` stays differentiable where the
    base has one); ``log_prob(y) = base.log_prob(x) - sum_i log|det J_i|``, inverting the transforms one by one.
    A logistic distribution, as the normalizing-flow examples build it::

        TransformedDistribution(Uniform(zeros(2), ones(2)), SigmoidTransform().inv)
    """

    def __init__(self, base_distribution: Distribution, transforms: Transform | Sequence[Transform],
                 validate_args: bool | None = None) -> None:
        if isinstance(transforms, Transform):
            transforms = [transforms]
        transforms = list(transforms)
        if not all(isinstance(t, Transform) for t in transforms):
            raise ValueError(f"TransformedDistribution: transforms must be a Transform or a list of Transforms, got "
                             f"{[type(t).__name__ for t in transforms]}")
        chain = transforms[0] if len(transforms) == 1 else ComposeTransform(transforms)
        base_shape = tuple(base_distribution.batch_shape) + tuple(base_distribution.event_shape)
        base_event_dim = len(base_distribution.event_shape)
        if len(base_shape) < chain.domain.event_dim:
            raise ValueError(f"TransformedDistribution: base_distribution needs at least {chain.domain.event_dim} "
                             f"dimensions, but got {len(base_shape)}")
        shape = chain.forward_shape(base_shape)
        expanded = chain.inverse_shape(shape)
        if expanded != base_shape:  # a transform's parameters broadcast the base (PyTorch's expansion)
            base_distribution = base_distribution.expand(expanded[:len(expanded) - base_event_dim])
        reinterpreted = chain.domain.event_dim - base_event_dim
        if reinterpreted > 0:  # the transforms read whole events of more axes than the base has
            base_distribution = Independent(base_distribution, reinterpreted)
        self.base_dist = base_distribution
        self.transforms = transforms
        event_dim = max(chain.codomain.event_dim, base_event_dim + chain.codomain.event_dim - chain.domain.event_dim)
        cut = len(shape) - event_dim
        super().__init__(shape[:cut], shape[cut:], validate_args)

    @property
    def support(self) -> Any:  # type: ignore[override]
        """The last transform's codomain, over the whole event (PyTorch's)."""
        if not self.transforms:
            return self.base_dist.support
        support = self.transforms[-1].codomain
        extra = len(self.event_shape) - support.event_dim
        return constraints.independent(support, extra) if extra > 0 else support

    @property
    def has_rsample(self) -> bool:  # type: ignore[override]
        return self.base_dist.has_rsample

    def _push(self, x: Tensor) -> Tensor:
        for t in self.transforms:
            x = t(x)
        return x

    def sample(self, sample_shape: Any = ()) -> Tensor:
        from ..autograd.mode import no_grad

        with no_grad():
            return self._push(self.base_dist.sample(sample_shape))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        return self._push(self.base_dist.rsample(sample_shape))

    def log_prob(self, value: Tensor) -> Tensor:
        event_dim = len(self.event_shape)
        log_prob: Any = 0.0
        y = value
        for t in reversed(self.transforms):
            x = t.inv(y)
            event_dim += t.domain.event_dim - t.codomain.event_dim
            log_prob = log_prob - sum_rightmost(t.log_abs_det_jacobian(x, y), event_dim - t.domain.event_dim)
            y = x
        return log_prob + sum_rightmost(self.base_dist.log_prob(y), event_dim - len(self.base_dist.event_shape))

    def cdf(self, value: Tensor) -> Tensor:
        for t in reversed(self.transforms):
            value = t.inv(value)
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        result = self.base_dist.cdf(value)  # type: ignore[attr-defined]
        return result if isinstance(sign, int) and sign == 1 else sign * (result - 0.5) + 0.5

    def icdf(self, value: Tensor) -> Tensor:
        sign = 1
        for t in self.transforms:
            sign = sign * t.sign
        if not (isinstance(sign, int) and sign == 1):
            value = sign * (value - 0.5) + 0.5
        return self._push(self.base_dist.icdf(value))  # type: ignore[attr-defined]

