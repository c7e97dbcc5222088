"""`Gamma`, `Chi2` and `Exponential` (PyTorch's), and `standard_gamma_rsample`, the reparameterized Gamma(a, 1)
draw that `Beta`, `Dirichlet` and `StudentT` build on."""

from __future__ import annotations

from typing import Any

from ..autograd.mode import no_grad
from ..autograd.tensor import Tensor
from ..functional.formulas.standard_gamma_grad import standard_gamma_grad
from .distribution import as_shape
from .exp_family import ExponentialFamily
from .draws import open_uniform, standard_gamma_sample
from .normal import _broadcast_all
from . import constraints


def standard_gamma_rsample(concentration: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Gamma(concentration, 1) draws of ``shape`` whose gradient in ``concentration`` is the implicit one,
    ``dx/da = -(dF/da) / f`` at the drawn ``x`` (PyTorch's ``_standard_gamma``).

    The draw ``x`` is a constant; ``x + (a - a.detach()) * dx/da`` adds an exact zero whose first derivative is
    the implicit slope (like PyTorch's, it has no second derivative in ``a``)."""
    x = standard_gamma_sample(concentration, shape)
    if not concentration.requires_grad:
        return x
    with no_grad():
        be = concentration.backend
        xp = be.xp
        wide = "float64" if hasattr(xp, "float64") else None
        a = concentration.detach().expand(*shape)
        a_wide, x_wide = (a.astype(wide), x.astype(wide)) if wide else (a, x)
        slope = Tensor._make(standard_gamma_grad(xp, a_wide.array, x_wide.array), be, None, 0).astype(x.dtype)
        slope = slope.masked_fill(~slope.isfinite(), 0.0)
    return x + (concentration - concentration.detach()) * slope


class Gamma(ExponentialFamily):
    """Gamma(concentration, rate): density ``rate^c x^(c-1) e^(-rate x) / Gamma(c)`` on x > 0, batched over the
    broadcast shape of ``concentration`` and ``rate`` (Tensors or numbers, both > 0).

    ``rsample`` is differentiable in both parameters: in ``rate`` through ``x = g / rate``, in ``concentration``
    by implicit reparameterization of the Gamma(c, 1) draw ``g``, as PyTorch's."""

    arg_constraints = {"concentration": constraints.positive, "rate": constraints.positive}
    support = constraints.nonnegative

    has_rsample = True

    def __init__(self, concentration: Tensor | float, rate: Tensor | float,
                 validate_args: bool | None = None) -> None:
        try:
            self.concentration, self.rate = _broadcast_all(concentration, rate)
        except RuntimeError as error:
            raise RuntimeError(f"{type(self).__name__}: concentration and rate do not broadcast to one shape "
                               f"({error})") from None
        super().__init__(tuple(self.concentration.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.concentration / self.rate

    @property
    def mode(self) -> Tensor:
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self) -> Tensor:
        return self.concentration / self.rate ** 2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """A draw of shape ``sample_shape + batch_shape`` (at least the dtype's smallest normal number)."""
        from ..type_info import finfo

        shape = self._extended_shape(as_shape(sample_shape))
        draw = standard_gamma_rsample(self.concentration, shape) / self.rate
        return draw.clamp(min=finfo(draw.dtype).tiny)

    def log_prob(self, value: Tensor | float) -> Tensor:
        c, r = self.concentration, self.rate
        if not isinstance(value, Tensor):
            value = c * 0 + value
        return c.xlogy(r) + (c - 1).xlogy(value) - r * value - c.lgamma()

    def cdf(self, value: Tensor | float) -> Tensor:
        from ..functional.incomplete_gamma import igamma

        return igamma(self.concentration, self.rate * value)

    def entropy(self) -> Tensor:
        c = self.concentration
        return c - self.rate.log() + c.lgamma() + (1 - c) * c.digamma()


class Chi2(Gamma):
    """The chi-squared law with ``df`` degrees of freedom: Gamma(df / 2, 1 / 2)."""

    arg_constraints = {"df": constraints.positive}

    def __init__(self, df: Tensor | float, validate_args: bool | None = None) -> None:
        super().__init__(0.5 * df, 0.5, validate_args)

    @property
    def df(self) -> Tensor:
        return self.concentration * 2


class Exponential(ExponentialFamily):
    """Exponential(rate): density ``rate e^(-rate x)`` on x >= 0, batched over the shape of ``rate``."""

    arg_constraints = {"rate": constraints.positive}
    support = constraints.nonnegative

    has_rsample = True

    def __init__(self, rate: Tensor | float, validate_args: bool | None = None) -> None:
        (self.rate,) = _broadcast_all(rate)
        super().__init__(tuple(self.rate.shape), (), validate_args)

    @property
    def mean(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def mode(self) -> Tensor:
        return self.rate * 0

    @property
    def stddev(self) -> Tensor:
        return self.rate.reciprocal()

    @property
    def variance(self) -> Tensor:
        return self.rate ** -2

    def rsample(self, sample_shape: Any = ()) -> Tensor:
        """``-log(u) / rate`` of shape ``sample_shape + batch_shape``, ``u ~ U(0, 1)``."""
        u = open_uniform(self.rate, self._extended_shape(as_shape(sample_shape)))
        return -u.log() / self.rate

    def log_prob(self, value: Tensor | float) -> Tensor:
        return self.rate.log() - self.rate * value

    def cdf(self, value: Tensor | float) -> Tensor:
        return 1 - (-self.rate * value).exp()

    def icdf(self, value: Tensor | float) -> Tensor:
        return -(-(self.rate * 0 + value)).log1p() / self.rate

    def entropy(self) -> Tensor:
        return 1 - self.rate.log()


__all__ = ["Chi2", "Exponential", "Gamma", "standard_gamma_rsample"]
