"""Modified Bessel functions of the first kind under PyTorch's names: ``i0`` (``torch.i0``, ``torch.special.i0``),
``special.i0e``, ``special.i1``, ``special.i1e``; one `Function` each, value and derivative from the standard-only
formulas of `anynn.functional.formulas.bessel` (so second derivatives record too).

Derivatives: ``I0' = I1``, ``I1' = (I0 + I2) / 2`` (PyTorch's ``I0 - I1 / x``, without its 0/0 at 0), and for
the scaled forms ``i0e' = i1e - sign(x) i0e``, ``i1e' = (i0e + i2e) / 2 - sign(x) i1e``.

Shapes: any; the output has the input's shape. Integer and boolean inputs are computed in float32, as PyTorch
does with its default dtype.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .elementwise import as_floating
from .value_checks import refuse_complex
from .formulas.bessel import bessel_i, bessel_i_scaled
from .precision import in_float32


class I0Function(Function):
    """``I0(a)``; slope ``I1(a)``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return bessel_i(xp, a, 0)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * bessel_i(xp, self.a, 1)


class I1Function(Function):
    """``I1(a)``; slope ``(I0(a) + I2(a)) / 2``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return bessel_i(xp, a, 1)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * ((bessel_i(xp, self.a, 0) + bessel_i(xp, self.a, 2)) * 0.5)


class I0eFunction(Function):
    """``exp(-|a|) I0(a)``; slope ``i1e(a) - sign(a) i0e(a)``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return bessel_i_scaled(xp, a, 0)

    def backward(self, xp: Namespace, g: Any) -> Any:
        a = self.a
        return g * (bessel_i_scaled(xp, a, 1) - xp.sign(a) * bessel_i_scaled(xp, a, 0))


class I1eFunction(Function):
    """``exp(-|a|) I1(a)``; slope ``(i0e(a) + i2e(a)) / 2 - sign(a) i1e(a)``."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return bessel_i_scaled(xp, a, 1)

    def backward(self, xp: Namespace, g: Any) -> Any:
        a = self.a
        mean = (bessel_i_scaled(xp, a, 0) + bessel_i_scaled(xp, a, 2)) * 0.5
        return g * (mean - xp.sign(a) * bessel_i_scaled(xp, a, 1))


def i0(input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The modified Bessel function of the first kind of order 0 of input (*) (``torch.i0``,
    ``torch.special.i0``): even, 1 at 0, +inf beyond ``|x|`` ~ 709.8."""
    refuse_complex("i0", input)
    return I0Function.apply(as_floating(input))


def i0e(input: Any) -> Tensor:  # noqa: A002
    """``exp(-|x|) I0(x)`` of input (*) (``torch.special.i0e``): finite everywhere, 0 at +-inf."""
    refuse_complex("i0e", input)
    return I0eFunction.apply(as_floating(input))


def i1(input: Any) -> Tensor:  # noqa: A002
    """The modified Bessel function of the first kind of order 1 of input (*) (``torch.special.i1``): odd."""
    refuse_complex("i1", input)
    return I1Function.apply(as_floating(input))


@in_float32()
def i1e(input: Any) -> Tensor:  # noqa: A002
    """``exp(-|x|) I1(x)`` of input (*) (``torch.special.i1e``)."""
    refuse_complex("i1e", input)
    return I1eFunction.apply(as_floating(input))


FUNCTIONS: dict[str, Any] = {"i0": i0}  # the Tensor methods (PyTorch has Tensor.i0 only)
