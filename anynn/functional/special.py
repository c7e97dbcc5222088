"""Special functions under PyTorch's names: ``erfinv``, ``lgamma``, ``digamma``, ``sinc`` (elementwise) and
``xlogy`` (broadcasting two operands), each one `Function` whose value and derivative are the standard-only
formulas of `anynn.functional.formulas.special` (so their second derivatives record too).

Shapes: any; the output has the input's (broadcast) shape. Integer and boolean inputs are computed in float32,
as PyTorch does with its default dtype.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .binary_math import _floating_pair
from .elementwise import as_floating
from .value_checks import refuse_complex
from .formulas import special as formulas
from .formulas.conjugate import conj
from .precision import in_float32

_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0


class ErfinvFunction(Function):
    """``erfinv(a)``; slope ``sqrt(pi) / 2 * exp(out^2)`` (the reciprocal of erf's at ``out``)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.out = formulas.erfinv(xp, a)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * (_SQRT_PI_OVER_TWO * xp.exp(self.out * self.out))


class LgammaFunction(Function):
    """``log|Gamma(a)|``; slope ``digamma(a)``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return formulas.lgamma(xp, a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * formulas.digamma(xp, self.a)


class DigammaFunction(Function):
    """``digamma(a)``; slope ``trigamma(a)`` (PyTorch's ``polygamma(1, a)``)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return formulas.digamma(xp, self.a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * formulas.trigamma(xp, self.a)


class SincFunction(Function):
    """``sin(pi a) / (pi a)`` (1 at 0); slope ``(pi a cos(pi a) - sin(pi a)) / (pi a^2)`` (0 at 0)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return formulas.sinc(xp, a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * conj(xp, formulas.sinc_derivative(xp, self.a))  # conj: PyTorch's rule for complex a


class XlogyFunction(Function):
    """``x * log(y)``, 0 where ``x == 0`` unless y is NaN; gradients ``xlogy(g, y)`` (0 where ``x == 0`` and
    ``y <= 0``) and ``g x / y``, as PyTorch's. `Xlog1pyFunction` is the same with ``y + 1`` in place of y."""

    shift = 0.0  # what log's argument adds to y: ``log1p`` where it is 1
    # PyTorch's x-gradient xlogy(x != 0, y) reads x through a mask only: a constant where y is one
    ties_constant_gradient = False

    def _log(self, xp: Namespace, y: Any) -> Any:
        return xp.log1p(y) if self.shift else xp.log(y)

    def forward(self, xp: Namespace, x: Any, y: Any) -> Any:
        self.x, self.y = x, y
        self.zeroed = (x == 0) & ~xp.isnan(y)
        product = x * self._log(xp, y)
        return xp.where(self.zeroed, xp.zeros_like(product), product)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        need_x, need_y = self.needs_input_grad
        grad_x = grad_y = None
        if need_x:
            log_y = self._log(xp, self.y)
            scaled = g * log_y
            # xlogy(g, y) is 0 where g == 0 unless y is NaN: only where log(y) is not finite (0 * inf) does that need
            # a selection; elsewhere g * log(y) is already 0 and keeps its derivative log(y) in g (PyTorch's double
            # backward, the jvp's double-vjp trick whose g is all zeros)
            dropped = (((g == 0) & ~xp.isfinite(log_y) & ~xp.isnan(self.y))
                       | ((self.x == 0) & (self.y <= -self.shift)))
            grad_x = sum_to_shape(xp, xp.where(dropped, xp.zeros_like(scaled), scaled), tuple(self.x.shape))
        if need_y:
            grad_y = sum_to_shape(xp, g * self.x / (self.y + self.shift if self.shift else self.y), tuple(self.y.shape))
        return grad_x, grad_y


class Xlog1pyFunction(XlogyFunction):
    """``x * log1p(y)``, 0 where ``x == 0`` unless y is NaN; gradients as `XlogyFunction`'s with ``y + 1``."""

    shift = 1.0


class EntrFunction(Function):
    """The entropy term ``-a log(a)``: 0 at 0, -inf below 0 (NaN at NaN); slope ``-(log(a) + 1)`` (+inf at 0)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        positive = a > 0
        safe = xp.where(positive, a, xp.ones_like(a))
        value = xp.where(positive, -a * xp.log(safe), xp.where(a == 0, xp.zeros_like(a), xp.full_like(a, -math.inf)))
        return xp.where(xp.isnan(a), a, value)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * -(xp.log(self.a) + 1.0)


@in_float32()
def erfinv(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The inverse error function of input (*) on [-1, 1]: +-inf at +-1, NaN outside (``torch.erfinv``)."""
    refuse_complex("erfinv", input)
    return ErfinvFunction.apply(as_floating(input))


def lgamma(input: Any) -> Tensor:  # noqa: A002
    """``log|Gamma(x)|`` of input (*), +inf at 0, -1, -2, ... (``torch.lgamma``, ``torch.special.gammaln``)."""
    refuse_complex("lgamma", input)
    return LgammaFunction.apply(as_floating(input))


def digamma(input: Any) -> Tensor:  # noqa: A002
    """``d/dx lgamma(x)`` of input (*) (``torch.digamma``, ``torch.special.psi``): -inf at +0, +inf at -0, NaN
    at the negative integers, as PyTorch."""
    refuse_complex("digamma", input)
    return DigammaFunction.apply(as_floating(input))


@in_float32()
def sinc(input: Any) -> Tensor:  # noqa: A002
    """The normalized sinc ``sin(pi x) / (pi x)`` of input (*), 1 at 0 (``torch.sinc``)."""
    return SincFunction.apply(as_floating(input))


def xlogy(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * log(other)`` broadcast, 0 where input is 0 (unless other is NaN) (``torch.xlogy``); either
    operand may be a number."""
    return XlogyFunction.apply(*_floating_pair("xlogy", input, other))


def xlog1py(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * log1p(other)`` broadcast, 0 where input is 0 (unless other is NaN) (``torch.special.xlog1py``);
    either operand may be a number."""
    return Xlog1pyFunction.apply(*_floating_pair("xlog1py", input, other))


def entr(input: Any) -> Tensor:  # noqa: A002
    """The elementwise entropy ``-x log(x)`` of input (*), 0 at 0 and -inf for negative x
    (``torch.special.entr``)."""
    refuse_complex("entr", input)
    return EntrFunction.apply(as_floating(input))


psi, gammaln = digamma, lgamma  # torch.special's names

FUNCTIONS: dict[str, Any] = {f.__name__: f for f in (erfinv, lgamma, digamma, sinc, xlogy)}

__all__ = ["FUNCTIONS", "DigammaFunction", "EntrFunction", "ErfinvFunction", "LgammaFunction", "SincFunction",
           "Xlog1pyFunction", "XlogyFunction", "digamma", "entr", "erfinv", "gammaln", "lgamma", "psi", "sinc",
           "xlog1py", "xlogy"]
