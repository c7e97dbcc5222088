"""`Laplace`, `Cauchy` and `Gumbel`: location-scale families sampled by inverting their CDFs (PyTorch's)."""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from .distribution import Distribution, as_shape
from .draws import open_uniform
from .normal import _broadcast_all
from . import constraints

EULER_GAMMA = 0.57721566490153286061


class _LocationScale(Distribution):
    """``loc`` and ``scale`` broadcast to the batch shape; ``rsample`` is ``loc + scale * standard(u)``."""

    arg_constraints = {"loc": constraints.real, "scale": constraints.positive}
    support = constraints.real

    has_rsample = True

    def __init__(self, loc: Tensor | float, scale: Tensor | float, validate_args: bool | None = None) -> None:
        try:
            self.loc, self.scale = _broadcast_all(loc, scale)
        except RuntimeError as error:
            shapes = [tuple(v.shape) if isinstance(v, Tensor) else "a number" for v in (loc, scale)]
            raise RuntimeError(f"{type(self).__name__}: loc of shape {shapes[0]} and scale of shape {shapes[1]} do "
                               f"not broadcast to one shape ({error})") from None
        super().__init__(tuple(self.loc.shape), (), validate_args)

    def _standard(self, u: Tensor) -> Tensor:
        raise NotImplementedError

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape ``sample_shape + batch_shape``, differentiable in ``loc`` and ``scale``."""
        u = open_uniform(self.loc, self._extended_shape(as_shape(sample_shape)))
        return self.loc + self.scale * self._standard(u)


class Laplace(_LocationScale):
    """The double exponential: density ``exp(-|x - loc| / scale) / (2 scale)``, batched over the broadcast shape
    of ``loc`` and ``scale`` (Tensors or numbers, ``scale > 0``)."""

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return 2 * self.scale ** 2

    @property
    def stddev(self) -> Tensor:
        return math.sqrt(2) * self.scale

    def _standard(self, u: Tensor) -> Tensor:
        centred = 2 * u - 1  # in (-1, 1): the two exponential tails
        return -centred.sign() * (-centred.abs()).log1p()

    def log_prob(self, value: Tensor | float) -> Tensor:
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value: Tensor | float) -> Tensor:
        z = (value - self.loc) / self.scale
        return 0.5 - 0.5 * z.sign() * (-z.abs()).expm1()

    def icdf(self, value: Tensor | float) -> Tensor:
        centred = value - 0.5
        return self.loc - self.scale * centred.sign() * (-2 * centred.abs()).log1p()  # type: ignore[union-attr]

    def entropy(self) -> Tensor:
        return 1 + (2 * self.scale).log()


class Cauchy(_LocationScale):
    """The Cauchy (Lorentz) law: density ``1 / (pi scale (1 + ((x - loc) / scale)^2))``; it has no mean and no
    variance (NaN and inf, as PyTorch answers)."""

    @property
    def mean(self) -> Tensor:
        return self.loc * float("nan")

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        return (self.scale * 0 + 1) * float("inf")

    def _standard(self, u: Tensor) -> Tensor:
        return (math.pi * (u - 0.5)).tan()

    def log_prob(self, value: Tensor | float) -> Tensor:
        z = (value - self.loc) / self.scale
        return -math.log(math.pi) - self.scale.log() - (z ** 2).log1p()

    def cdf(self, value: Tensor | float) -> Tensor:
        return ((value - self.loc) / self.scale).atan() / math.pi + 0.5

    def icdf(self, value: Tensor | float) -> Tensor:
        return (math.pi * (value - 0.5)).tan() * self.scale + self.loc  # type: ignore[union-attr]

    def entropy(self) -> Tensor:
        return math.log(4 * math.pi) + self.scale.log()


class Gumbel(_LocationScale):
    """The Gumbel (type-I extreme value) law: CDF ``exp(-exp(-(x - loc) / scale))``."""

    @property
    def mean(self) -> Tensor:
        return self.loc + self.scale * EULER_GAMMA

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def stddev(self) -> Tensor:
        return (math.pi / math.sqrt(6)) * self.scale

    @property
    def variance(self) -> Tensor:
        return self.stddev ** 2

    def _standard(self, u: Tensor) -> Tensor:
        return -(-u.log()).log()

    def log_prob(self, value: Tensor | float) -> Tensor:
        z = (value - self.loc) / self.scale
        return -(self.scale.log() + z + (-z).exp())

    def cdf(self, value: Tensor | float) -> Tensor:
        return (-(-(value - self.loc) / self.scale).exp()).exp()

    def icdf(self, value: Tensor | float) -> Tensor:
        if not isinstance(value, Tensor):
            value = self.loc * 0 + value
        return self.loc - self.scale * (-value.log()).log()

    def entropy(self) -> Tensor:
        return self.scale.log() + (1 + EULER_GAMMA)


__all__ = ["Cauchy", "Gumbel", "Laplace"]
