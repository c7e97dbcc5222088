"""The normal distribution's special functions under ``torch.special``'s names: ``erfcx``, ``ndtr``, ``log_ndtr``
and ``ndtri``; one `Function` each, value and derivative from the standard-only formulas of
`anynn.functional.formulas.normal_cdf` (so second derivatives record too).

Derivatives: ``erfcx' = 2 x erfcx(x) - 2 / sqrt(pi)``, ``ndtr' = phi(x)``, ``log_ndtr' = phi(x) / ndtr(x)``
(written ``sqrt(2 / pi) / erfcx(-x / sqrt 2)``: finite in the far left tail), ``ndtri' = 1 / phi(ndtri(p))``.

Shapes: any; the output has the input's shape. Integer and boolean inputs are computed in float32, as PyTorch
does with its default dtype; complex inputs are refused, as PyTorch has no complex kernels for these.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .elementwise import as_floating
from .formulas import normal_cdf as formulas
from .special_values import refuse_half
from .value_checks import refuse_complex

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_INVERSE_SQRT_TWO_PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_TWO_PI = math.sqrt(2.0 * math.pi)


class ErfcxFunction(Function):
    """``exp(a^2) erfc(a)``; slope ``2 a erfcx(a) - 2 / sqrt(pi)``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        self.out = formulas.erfcx(xp, a)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * (2.0 * self.a * self.out - _TWO_OVER_SQRT_PI)


class NdtrFunction(Function):
    """``P(Z <= a)``; slope the standard normal density ``exp(-a^2 / 2) / sqrt(2 pi)``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return formulas.ndtr(xp, a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * (_INVERSE_SQRT_TWO_PI * xp.exp(-0.5 * (self.a * self.a)))


class LogNdtrFunction(Function):
    """``log P(Z <= a)``; slope ``phi(a) / ndtr(a)``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return formulas.log_ndtr(xp, a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * formulas.normal_log_density_ratio(xp, self.a)


class NdtriFunction(Function):
    """The normal quantile ``y = ndtri(p)``; slope ``sqrt(2 pi) exp(y^2 / 2)`` (NaN outside [0, 1], as PyTorch)."""

    def forward(self, xp: Namespace, p: Any) -> Any:
        self.out = formulas.ndtri(xp, p)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * (_SQRT_TWO_PI * xp.exp(0.5 * (self.out * self.out)))


def erfcx(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The scaled complementary error function ``exp(x^2) erfc(x)`` of input (*) (``torch.special.erfcx``):
    finite and slowly decaying (``~1 / (x sqrt(pi))``) for large x, +inf below about -26.6."""
    refuse_complex("erfcx", input)
    refuse_half("erfcx", input)
    return ErfcxFunction.apply(as_floating(input))


def ndtr(input: Any) -> Tensor:  # noqa: A002
    """The standard normal cumulative distribution ``P(Z <= x)`` of input (*) (``torch.special.ndtr``)."""
    refuse_complex("ndtr", input)
    return NdtrFunction.apply(as_floating(input))


def log_ndtr(input: Any) -> Tensor:  # noqa: A002
    """``log P(Z <= x)`` of input (*) (``torch.special.log_ndtr``): accurate in both tails (``-x^2 / 2`` far left,
    ``-P(Z > x)`` far right)."""
    refuse_complex("log_ndtr", input)
    refuse_half("log_ndtr", input)
    return LogNdtrFunction.apply(as_floating(input))


def ndtri(input: Any) -> Tensor:  # noqa: A002
    """The standard normal quantile, the inverse of ``ndtr``, of input (*) in [0, 1] (``torch.special.ndtri``):
    -inf at 0, +inf at 1, NaN outside."""
    refuse_complex("ndtri", input)
    refuse_half("ndtri", input)
    return NdtriFunction.apply(as_floating(input))


__all__ = ["ErfcxFunction", "LogNdtrFunction", "NdtrFunction", "NdtriFunction", "erfcx", "log_ndtr", "ndtr", "ndtri"]
