"""`VonMises` (PyTorch's): the circular normal law of an angle, with PyTorch's polynomial approximations of the
modified Bessel functions I0 and I1 (Abramowitz and Stegun 9.8.1-9.8.4, relative error below ~2e-7), so that values
agree with PyTorch's to float precision."""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..functional.elementwise import where
from .distribution import Distribution
from .draws import von_mises_sample
from .utils import broadcast_all
from . import constraints

# Abramowitz and Stegun 9.8.1-9.8.4: I0 and I1 below 3.75 in powers of (x / 3.75)^2; above, sqrt(x) e^-x I(x) in
# powers of 3.75 / x
_SMALL = ([1.0, 3.5156229, 3.0899424, 1.2067492, 0.2659732, 0.360768e-1, 0.45813e-2],
          [0.5, 0.87890594, 0.51498869, 0.15084934, 0.2658733e-1, 0.301532e-2, 0.32411e-3])
_LARGE = ([0.39894228, 0.1328592e-1, 0.225319e-2, -0.157565e-2, 0.916281e-2, -0.2057706e-1, 0.2635537e-1,
           -0.1647633e-1, 0.392377e-2],
          [0.39894228, -0.3988024e-1, -0.362018e-2, 0.163801e-2, -0.1031555e-1, 0.2282967e-1, -0.2895312e-1,
           0.1787654e-1, -0.420059e-2])


def _polynomial(y: Tensor, coefficients: Sequence[float]) -> Tensor:
    """``sum_k c_k y^k`` by Horner's rule."""
    result: Any = coefficients[-1]
    for c in reversed(coefficients[:-1]):
        result = c + y * result
    return result  # type: ignore[no-any-return]


def log_modified_bessel(x: Tensor, order: int = 0) -> Tensor:
    """``log I_order(x)`` for x > 0, order 0 or 1 (differentiable)."""
    if order not in (0, 1):
        raise ValueError(f"log_modified_bessel: order must be 0 or 1, got {order}")
    small = _polynomial((x / 3.75) ** 2, _SMALL[order])
    if order == 1:
        small = x.abs() * small
    large = x - 0.5 * x.log() + _polynomial(3.75 / x, _LARGE[order]).log()
    return where(x < 3.75, small.log(), large)


class VonMises(Distribution):
    """VonMises(loc, concentration): density ``exp(k cos(x - loc)) / (2 pi I0(k))`` of an angle, batched over the
    broadcast shape of ``loc`` and ``concentration`` (> 0). Samples (in [-pi, pi)) come by rejection, as PyTorch's;
    there is no ``rsample``."""

    arg_constraints = {"loc": constraints.real, "concentration": constraints.positive}
    support = constraints.real
    has_rsample = False

    def __init__(self, loc: Tensor | float, concentration: Tensor | float,
                 validate_args: bool | None = None) -> None:
        self.loc, self.concentration = broadcast_all(loc, concentration)
        super().__init__(tuple(self.loc.shape), (), validate_args)

    def log_prob(self, value: Tensor | float) -> Tensor:
        return (self.concentration * (value - self.loc).cos() - math.log(2 * math.pi)
                - log_modified_bessel(self.concentration, 0))

    def sample(self, sample_shape: Any = ()) -> Tensor:
        """Angles of shape ``sample_shape + batch_shape``, outside the graph."""
        return von_mises_sample(self.loc, self.concentration, self._extended_shape(sample_shape))

    @property
    def mean(self) -> Tensor:
        return self.loc

    @property
    def mode(self) -> Tensor:
        return self.loc

    @property
    def variance(self) -> Tensor:
        """The circular variance ``1 - I1(k) / I0(k)``."""
        k = self.concentration
        return 1 - (log_modified_bessel(k, 1) - log_modified_bessel(k, 0)).exp()


__all__ = ["VonMises"]
