"""Smooth elementwise math under PyTorch's names: powers and logarithms (``rsqrt``, ``reciprocal``, ``square``,
``log1p``, ``expm1``, ``log2``, ``log10``, ``exp2``), trigonometric and hyperbolic functions and their inverses,
``erf``/``erfc``.

Each is one `Function` made by `unary` from two formulas side by side: the value ``f(a)`` and the derivative
``df/da`` written with ``a`` and the value ``out`` (its conjugate multiplies the gradient of a complex input,
PyTorch's rule for holomorphic functions). Shapes: any; the output has the input's shape. Integer and
boolean inputs are computed in float32, as PyTorch does with its default dtype.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from ..autograd.primitive import Function
from ..backend import op
from ..backend.typing import Namespace
from .dtype_kinds import isdtype
from .elementwise import as_floating
from .formulas.conjugate import conj
from .precision import in_float32

Formula = Callable[[Any, Any, Any], Any]  # (fn, xp, a) -> value; (xp, a, out) -> derivative


class Unary(Function):
    """``out = value(a)``; the gradient is ``g * derivative(a, out)`` (subclasses made by `unary`)."""

    value: Formula
    derivative: Formula
    zero_gradient = False  # piecewise constant (floor, sign): the gradient is zeros, never a function of g
    unit_gradient = False  # a - trunc(a) (frac): the gradient is g itself

    def forward(self, xp: Namespace, a: Any) -> Any:
        out = type(self).value(self, xp, a)
        if not (self.zero_gradient or self.unit_gradient):  # those read nothing: none saved, as PyTorch's nodes
            self.a, self.out = a, out  # (so a second backward without retain_graph runs through them)
        return out

    def backward(self, xp: Namespace, g: Any) -> Any:
        if self.zero_gradient:  # PyTorch's zeros_like(grad): a constant even where g is recorded
            return xp.zeros_like(g)
        if self.unit_gradient:
            return g
        return g * conj(xp, type(self).derivative(xp, self.a, self.out))  # conj: PyTorch's rule for complex


def unary(name: str, value: Formula, derivative: Formula | None, floating: bool = True,
          ties_constant_gradient: bool | None = None, unit_derivative: bool = False) -> Callable[[Any], Any]:
    """A `Unary` subclass called ``name`` (its graph node) and its lowercase function.

    ``floating``: integer and boolean inputs become the default dtype first (``torch.log1p(int_tensor)`` is float32
    unless `anynn.set_default_dtype` changed it);
    without it, integers stay as they are and booleans become int64 (``torch.square(bool_tensor)`` is int64).
    ``derivative`` None: piecewise constant (``floor``, ``sign``), the gradient is zeros (PyTorch's
    ``zeros_like(grad)``, a constant). ``unit_derivative``: ``derivative`` is 1 everywhere (``frac``), so the
    gradient is ``g`` and nothing is saved. ``ties_constant_gradient``: see `Function`.
    """
    cls = type(name[0].upper() + name[1:], (Unary,), {
        "value": staticmethod(value), "derivative": staticmethod(derivative or _zeros),
        "zero_gradient": derivative is None, "unit_gradient": unit_derivative,
        "ties_constant_gradient": False if derivative is None else ties_constant_gradient})

    def function(input: Any) -> Any:  # noqa: A002 - PyTorch's name
        return cls.apply(as_floating(input) if floating else _bool_as_int64(input))

    function.__name__ = name
    function.__qualname__ = name
    function.__doc__ = f"``{name}`` of each element (PyTorch's ``torch.{name}``), differentiable."
    function.function_class = cls  # type: ignore[attr-defined]
    return function


def _zeros(xp: Namespace, a: Any, out: Any) -> Any:
    return xp.zeros_like(out)


def _bool_as_int64(x: Any) -> Any:
    """A boolean Tensor as int64, as PyTorch's integer arithmetic promotes it; anything else as it is."""
    backend = getattr(x, "backend", None)
    return x.astype("int64") if backend is not None and isdtype(backend.xp, x.array.dtype, "bool") else x


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


def _erf(fn: Any, xp: Namespace, a: Any) -> Any:
    return op(fn.backend, "erf")(a)


def _erfc(fn: Any, xp: Namespace, a: Any) -> Any:
    return op(fn.backend, "erfc")(a)


rsqrt = in_float32()(unary("rsqrt", lambda fn, xp, a: 1.0 / xp.sqrt(a), lambda xp, a, out: -0.5 * out * out * out))
reciprocal = unary("reciprocal", lambda fn, xp, a: 1.0 / a, lambda xp, a, out: -(out * out))
square = unary("square", lambda fn, xp, a: a * a, lambda xp, a, out: 2.0 * a, floating=False)
log1p = unary("log1p", lambda fn, xp, a: xp.log1p(a), lambda xp, a, out: 1.0 / (a + 1.0))
expm1 = unary("expm1", lambda fn, xp, a: xp.expm1(a), lambda xp, a, out: out + 1.0)
log2 = unary("log2", lambda fn, xp, a: xp.log2(a), lambda xp, a, out: 1.0 / (a * _LN2))
log10 = unary("log10", lambda fn, xp, a: xp.log10(a), lambda xp, a, out: 1.0 / (a * _LN10))
exp2 = unary("exp2", lambda fn, xp, a: 2.0 ** a, lambda xp, a, out: out * _LN2)
tan = unary("tan", lambda fn, xp, a: xp.tan(a), lambda xp, a, out: 1.0 + out * out)
sinh = unary("sinh", lambda fn, xp, a: xp.sinh(a), lambda xp, a, out: xp.cosh(a))
cosh = unary("cosh", lambda fn, xp, a: xp.cosh(a), lambda xp, a, out: xp.sinh(a))
asin = unary("asin", lambda fn, xp, a: xp.asin(a), lambda xp, a, out: 1.0 / xp.sqrt(1.0 - a * a))
acos = unary("acos", lambda fn, xp, a: xp.acos(a), lambda xp, a, out: -1.0 / xp.sqrt(1.0 - a * a))
atan = unary("atan", lambda fn, xp, a: xp.atan(a), lambda xp, a, out: 1.0 / (1.0 + a * a))
asinh = unary("asinh", lambda fn, xp, a: xp.asinh(a), lambda xp, a, out: 1.0 / xp.sqrt(a * a + 1.0))


def _acosh_slope(xp: Namespace, a: Any, out: Any) -> Any:
    # complex a: sqrt(a - 1) sqrt(a + 1), the principal branch's slope; real a: PyTorch's 1 / sqrt(a^2 - 1), finite
    # below -1 too (where acosh is NaN and the product of two square roots of negatives was NaN)
    if isdtype(xp, a.dtype, "complex floating"):
        return 1.0 / (xp.sqrt(a - 1.0) * xp.sqrt(a + 1.0))
    return 1.0 / xp.sqrt(a * a - 1.0)


acosh = unary("acosh", lambda fn, xp, a: xp.acosh(a), _acosh_slope)
atanh = unary("atanh", lambda fn, xp, a: xp.atanh(a), lambda xp, a, out: 1.0 / (1.0 - a * a))
erf = unary("erf", _erf, lambda xp, a, out: _TWO_OVER_SQRT_PI * xp.exp(-(a * a)))
# its own op, not 1 - erf(a): that rounds to 0 in float32 past a ~ 3.9 (erfc(5) is 1.5e-12)
erfc = in_float32()(unary("erfc", _erfc, lambda xp, a, out: -_TWO_OVER_SQRT_PI * xp.exp(-(a * a))))

# NumPy's and the array API's spellings, as PyTorch also accepts them
arcsin, arccos, arctan, arcsinh, arccosh, arctanh = asin, acos, atan, asinh, acosh, atanh

FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    f.__name__: f for f in (rsqrt, reciprocal, square, log1p, expm1, log2, log10, exp2, tan, sinh, cosh, asin, acos,
                            atan, asinh, acosh, atanh, erf, erfc)}
FUNCTIONS.update(arcsin=arcsin, arccos=arccos, arctan=arctan, arcsinh=arcsinh, arccosh=arccosh, arctanh=arctanh)

__all__ = ["FUNCTIONS", "Unary", "unary", *FUNCTIONS]
