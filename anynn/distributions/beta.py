"""`Beta` and `Dirichlet` (PyTorch's), sampled as normalized Gamma draws so ``rsample`` is differentiable in the
concentrations."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .distribution import as_shape
from .exp_family import ExponentialFamily
from .gamma import standard_gamma_rsample
from .normal import _broadcast_all
from . import constraints


def _clamp_simplex(x: Tensor) -> Tensor:
    """A draw kept off 0 and 1 by the dtype's tiny and eps (float32 gammas can underflow), as PyTorch clamps."""
    from ..type_info import finfo

    info = finfo(x.dtype)
    return x.clamp(min=info.tiny, max=1 - info.eps)


class Dirichlet(ExponentialFamily):
    """Dirichlet(concentration) over the probability simplex: ``concentration`` (..., K) > 0 gives batch shape
    (...) and event shape (K,).

    ``rsample`` is ``g / g.sum(-1)`` for independent Gamma(concentration_k, 1) draws ``g``, each reparameterized
    implicitly: the law and the expected gradients are PyTorch's; the per-draw gradient follows the Gamma draws
    (PyTorch differentiates the Dirichlet CDF instead, another unbiased estimator)."""

    arg_constraints = {"concentration": constraints.independent(constraints.positive, 1)}
    support = constraints.simplex

    has_rsample = True

    def __init__(self, concentration: Tensor, validate_args: bool | None = None) -> None:
        if not isinstance(concentration, Tensor) or concentration.ndim < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        shape = tuple(concentration.shape)
        super().__init__(shape[:-1], shape[-1:], validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def mode(self) -> Tensor:
        c = (self.concentration - 1).clamp(min=0)
        mode = c / c.sum(-1, keepdim=True)
        below_one = (self.concentration < 1).all(-1, keepdim=True)
        from ..functional.indexing import one_hot

        first_largest = one_hot(self.concentration.argmax(-1), self.concentration.shape[-1]).type_as(mode)
        return mode.where(~below_one, first_largest)

    @property
    def variance(self) -> Tensor:
        c = self.concentration
        total = c.sum(-1, keepdim=True)
        return c * (total - c) / (total ** 2 * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A point of the simplex per batch element, of shape ``sample_shape + batch_shape + (K,)``."""
        g = standard_gamma_rsample(self.concentration, self._extended_shape(as_shape(sample_shape)))
        return _clamp_simplex(g / g.sum(-1, keepdim=True))

    def log_prob(self, value: Tensor) -> Tensor:
        c = self.concentration
        return (c - 1).xlogy(value).sum(-1) + c.sum(-1).lgamma() - c.lgamma().sum(-1)

    def entropy(self) -> Tensor:
        c = self.concentration
        k = c.shape[-1]
        total = c.sum(-1)
        return c.lgamma().sum(-1) - total.lgamma() - (k - total) * total.digamma() - ((c - 1) * c.digamma()).sum(-1)


class Beta(ExponentialFamily):
    """Beta(concentration1, concentration0) on [0, 1]: density ``x^(a-1) (1-x)^(b-1) / B(a, b)`` with
    ``a = concentration1``, ``b = concentration0`` (Tensors or numbers > 0), batched over their broadcast shape.

    ``rsample`` is ``g1 / (g1 + g0)`` for Gamma draws reparameterized implicitly (see `Dirichlet`)."""

    arg_constraints = {"concentration1": constraints.positive, "concentration0": constraints.positive}
    support = constraints.unit_interval

    has_rsample = True

    def __init__(self, concentration1: Tensor | float, concentration0: Tensor | float,
                 validate_args: bool | None = None) -> None:
        try:
            self.concentration1, self.concentration0 = _broadcast_all(concentration1, concentration0)
        except RuntimeError as error:
            raise RuntimeError(f"Beta: concentration1 and concentration0 do not broadcast to one shape ({error})") \
                from None
        super().__init__(tuple(self.concentration1.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def mode(self) -> Tensor:
        from ..functional.shape import stack

        return Dirichlet(stack([self.concentration1, self.concentration0], -1)).mode[..., 0]

    @property
    def variance(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        total = a + b
        return a * b / (total ** 2 * (total + 1))

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A draw in (0, 1) of shape ``sample_shape + batch_shape``."""
        shape = self._extended_shape(as_shape(sample_shape))
        g1 = standard_gamma_rsample(self.concentration1, shape)
        g0 = standard_gamma_rsample(self.concentration0, shape)
        return _clamp_simplex(g1 / (g1 + g0))

    def log_prob(self, value: Tensor | float) -> Tensor:
        a, b = self.concentration1, self.concentration0
        if not isinstance(value, Tensor):
            value = a * 0 + value
        return ((a - 1).xlogy(value) + (b - 1).xlogy(1 - value) + (a + b).lgamma() - a.lgamma() - b.lgamma())

    def entropy(self) -> Tensor:
        a, b = self.concentration1, self.concentration0
        total = a + b
        log_beta = a.lgamma() + b.lgamma() - total.lgamma()
        return log_beta - (a - 1) * a.digamma() - (b - 1) * b.digamma() + (total - 2) * total.digamma()


__all__ = ["Beta", "Dirichlet"]
