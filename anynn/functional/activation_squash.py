"""Squashing activations: `logsigmoid`, `softsign`, `hardsigmoid` (elementwise) and `softmin` (along a dim).

One fused primitive each, with PyTorch's arguments; ``logsigmoid`` stays finite for any input.
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.primitive import Function
from ..backend import op
from ..backend.typing import Namespace
from .activation import SoftmaxFunction
from .elementwise import as_floating
from .formulas.conjugate import is_complex
from .formulas.logistic import log_sigmoid
from .inplace_option import in_place
from .value_checks import check_real_floating
from .precision import in_float32


class LogSigmoidFunction(Function):
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|))``: no overflow for any x; slope ``sigmoid(-x)``."""

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.x = x
        return log_sigmoid(xp, x)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * op(self.backend, "sigmoid")(-self.x)  # (recorded: SigmoidFunction, exact at 0)


class SoftsignFunction(Function):
    """``x / (1 + |x|)``; slope ``1 / (1 + |x|)^2``. Of a complex x (not holomorphic) PyTorch's chain rule through
    ``|x|``: ``G = g / (1 + |x|) - Re(g conj(x)) sgn(x) / (1 + |x|)^2`` (sgn(0) = 0)."""

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.x = x
        self.denominator = 1.0 + xp.abs(x)
        return x / self.denominator

    def backward(self, xp: Namespace, g: Any) -> Any:
        d = self.denominator
        if not is_complex(xp, self.x):
            # (at an infinite x PyTorch's composite x / (1 + |x|) gives inf/inf: NaN, as its value; 0 * inf keeps it)
            return g / (d * d) + self.x * 0.0
        x = self.x
        magnitude = d - 1.0
        sgn = x / xp.astype(xp.where(magnitude == 0, xp.ones_like(magnitude), magnitude), x.dtype)
        along = xp.real(g * xp.conj(x)) / (d * d)
        return g / xp.astype(d, x.dtype) - xp.astype(along, x.dtype) * sgn


class HardsigmoidFunction(Function):
    """``relu6(x + 3) / 6``; slope 1/6 strictly inside (-3, 3), 0 outside (as PyTorch)."""

    ties_constant_gradient = True  # PyTorch's hardsigmoid_backward(g, x) reads the input

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.inside = (x > -3.0) & (x < 3.0)
        return xp.clip(x + 3.0, 0.0, 6.0) / 6.0

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.where(self.inside, g / 6.0, xp.zeros_like(g))


class SoftminFunction(SoftmaxFunction):
    """``softmax(-x)`` along ``axis``: Softmax's formula on the negated input, its gradient negated."""

    def forward(self, xp: Namespace, x: Any) -> Any:
        return super().forward(xp, -x)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return -super().backward(xp, g)


@in_float32()
def logsigmoid(input: Any) -> Any:
    """``log(sigmoid(x))`` of input (*), finite for any input."""
    check_real_floating("logsigmoid", input)
    return LogSigmoidFunction.apply(input)


def softsign(input: Any) -> Any:
    """``x / (1 + |x|)`` of input (*); integers and booleans in float32, as PyTorch."""
    return SoftsignFunction.apply(as_floating(input))


@in_float32(inplace_at=1)
def hardsigmoid(input: Any, inplace: bool = False) -> Any:
    """``relu6(x + 3) / 6`` of input (*). ``inplace=True`` overwrites the input and returns it (`in_place`)."""
    if inplace:
        return in_place(input, "hardsigmoid_", HardsigmoidFunction.apply, real_floating="hardsigmoid")
    check_real_floating("hardsigmoid", input)
    return HardsigmoidFunction.apply(input)


def implicit_softmax_dim(name: str, ndim: int) -> int:
    """PyTorch's choice of dim when none is given (0 for 0-, 1- and 3-D input, else 1), with its warning."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=3)
    return 0 if ndim in (0, 1, 3) else 1


def softmin(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None) -> Any:
    """``softmax(-x)`` along ``dim`` of input (*); ``dtype`` casts the input first (as PyTorch)."""
    if dim is None:
        dim = implicit_softmax_dim("softmin", input.ndim)
    if dtype is not None:
        input = input.astype(dtype)
    check_real_floating("softmin", input)
    if input.ndim == 0 and dim in (0, -1):  # one entry, as PyTorch's (the formula reduces over a real axis)
        return SoftminFunction.apply(input.reshape(1), axis=0).reshape(())
    return SoftminFunction.apply(input, axis=int(dim))
