"""Rectifier variants: `celu` (continuously differentiable ELU) and `rrelu` (randomized leaky ReLU).

`rrelu` in training draws each negative element's slope uniformly from ``[lower, upper)`` with the backend's
own generator (as `dropout` draws its masks); in evaluation the slope is fixed at ``(lower + upper) / 2``.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import DeviceRNG
from ..backend.typing import Namespace
from .activation import LeakyReLUFunction
from .dropout import _generator
from .inplace_option import in_place
from .value_checks import check_real_floating


class CELUFunction(Function):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``; slope 1 above 0, ``exp(x / alpha)`` at or below."""

    alpha: float

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.positive = xp.logical_not(x <= 0)  # NaN too: its gradient is g, as PyTorch's
        # min(x, 0) as a selection, constant at x = 0: PyTorch's second derivative there is 0 (see ELUFunction)
        self.negative_part = self.alpha * xp.expm1(xp.where(x < 0, x, xp.zeros_like(x)) / self.alpha)
        return xp.where(self.positive, x, self.negative_part)

    def backward(self, xp: Namespace, g: Any) -> Any:
        # exp(x / alpha) = negative_part / alpha + 1, already at hand
        return xp.where(self.positive, g, g * (self.negative_part / self.alpha + 1.0))


class RReLUFunction(Function):
    """``x`` where ``x >= 0``, ``x * r`` elsewhere, ``r ~ U[lower, upper)`` drawn per element and kept for
    the backward pass."""
    constants = ("slope",)  # drawn, not computed from x: kept as it is by a create_graph backward
    ties_constant_gradient = True  # PyTorch's rrelu_with_noise_backward(g, x, noise) reads the input

    lower: float
    upper: float
    generator: DeviceRNG

    def forward(self, xp: Namespace, x: Any) -> Any:
        r = self.lower + (self.upper - self.lower) * self.generator.uniform_like(x, x.dtype)
        self.slope = xp.where(x >= 0, xp.ones_like(x), r)
        return x * self.slope

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * self.slope


def celu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """CELU of input (*); ``alpha`` must not be 0. ``inplace=True`` overwrites the input and returns it (`in_place`)."""
    if float(alpha) == 0.0:
        raise ValueError("celu: alpha cannot be 0 (it divides the input)")
    if inplace:
        return in_place(input, "celu_", lambda s: CELUFunction.apply(s, alpha=float(alpha)), real_floating="celu")
    check_real_floating("celu", input)
    return CELUFunction.apply(input, alpha=float(alpha))


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3, training: bool = False,
          inplace: bool = False, generator: DeviceRNG | int | None = None) -> Tensor:
    """Randomized leaky ReLU of input (*).

    Parameters
    ----------
    lower, upper : float
        Range of the random negative slope (``lower <= upper``).
    training : bool
        Draw slopes (True) or use ``(lower + upper) / 2`` (False, PyTorch's default for the function).
    inplace : bool
        Overwrite the input and return it, as PyTorch (`in_place`).
    generator : DeviceRNG, int or None
        The backend generator the slopes are drawn from (an ``int`` seeds a new one; ``None``: unseeded).
    """
    check_real_floating("rrelu", input)
    lower, upper = float(lower), float(upper)
    if lower > upper:
        raise ValueError(f"rrelu: lower bound {lower} must be less than or equal to the upper bound {upper}")
    if not training:
        def compute(x: Tensor) -> Tensor:
            return LeakyReLUFunction.apply(x, negative_slope=(lower + upper) / 2.0)
    else:
        rng = _generator(input, generator)

        def compute(x: Tensor) -> Tensor:
            return RReLUFunction.apply(x, lower=lower, upper=upper, generator=rng)
    return in_place(input, "rrelu_", compute) if inplace else compute(input)
