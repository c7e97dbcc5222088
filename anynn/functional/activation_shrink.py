"""Shrinking and thresholding activations: `hardshrink`, `softshrink`, `tanhshrink`, `threshold`.

Each is one fused primitive, elementwise on any shape, with PyTorch's arguments and gradients (the gradient
is the slope of the piece the input lies on; at a kink it is that of the flat piece, as in PyTorch).
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..backend.typing import Namespace
from .activation import integers_kept
from .elementwise import as_floating
from .formulas.conjugate import conj
from .inplace_option import in_place
from .value_checks import check_real_floating, is_floating, refuse_complex


class HardshrinkFunction(Function):
    """``x`` where ``|x| > lambd`` (and NaN), 0 elsewhere."""

    ties_constant_gradient = True  # PyTorch's hardshrink_backward(g, x) reads the input

    lambd: float

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.keep = ~((x >= -self.lambd) & (x <= self.lambd))  # not "|x| > lambd": NaN passes, as in PyTorch
        return xp.where(self.keep, x, xp.zeros_like(x))

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.where(self.keep, g, xp.zeros_like(g))


class SoftshrinkFunction(Function):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, 0 between."""

    ties_constant_gradient = True  # PyTorch's softshrink_backward(g, x) reads the input

    lambd: float

    def forward(self, xp: Namespace, x: Any) -> Any:
        above = x > self.lambd
        self.keep = ~((x >= -self.lambd) & (x <= self.lambd))  # NaN passes (as x + lambd), as in PyTorch
        shifted = xp.where(above, x - self.lambd, x + self.lambd)
        return xp.where(self.keep, shifted, xp.zeros_like(x))

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.where(self.keep, g, xp.zeros_like(g))


class TanhshrinkFunction(Function):
    """``x - tanh(x)``; its slope is ``tanh(x)^2``."""

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.t = xp.tanh(x)
        return x - self.t

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * conj(xp, self.t * self.t)  # conj: PyTorch's rule for complex


class ThresholdFunction(Function):
    """``value`` where ``x <= threshold``, ``x`` elsewhere (NaN included)."""

    ties_constant_gradient = True  # PyTorch's threshold_backward(g, x) reads the input

    threshold: float
    value: float

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.keep = ~(x <= self.threshold)  # not "x > threshold": NaN passes, as in PyTorch
        return xp.where(self.keep, x, xp.full_like(x, self.value))

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.where(self.keep, g, xp.zeros_like(g))


def hardshrink(input: Any, lambd: float = 0.5) -> Any:
    """Hard shrinkage of input (*): ``x`` where ``|x| > lambd``, else 0."""
    check_real_floating("hardshrink", input)
    return HardshrinkFunction.apply(input, lambd=float(lambd))


def softshrink(input: Any, lambd: float = 0.5) -> Any:
    """Soft shrinkage of input (*): ``x - lambd * sign(x)`` where ``|x| > lambd``, else 0 (``lambd >= 0``)."""
    if not lambd >= 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}")
    check_real_floating("softshrink", input)
    return SoftshrinkFunction.apply(input, lambd=float(lambd))


def tanhshrink(input: Any) -> Any:
    """``x - tanh(x)`` of input (*); integers and booleans in float32, as PyTorch."""
    return TanhshrinkFunction.apply(as_floating(input))


def threshold(input: Any, threshold: float, value: float, inplace: bool = False) -> Any:
    """``x`` where ``x > threshold``, else ``value``, on input (*). ``inplace=True`` overwrites the input and
    returns it (`in_place`)."""
    refuse_complex("threshold", input)
    if inplace:
        return in_place(input, "threshold_",
                        lambda s: ThresholdFunction.apply(s, threshold=float(threshold), value=float(value)))
    if not is_floating(input):
        return integers_kept("threshold", input,
                             lambda s: ThresholdFunction.apply(s, threshold=float(threshold), value=float(value)))
    return ThresholdFunction.apply(input, threshold=float(threshold), value=float(value))
