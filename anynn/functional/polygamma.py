"""``torch.polygamma(n, input)``: the n-th derivative of digamma, ``(-1)^(n+1) n! zeta(n+1, x)`` for n >= 1.

The Hurwitz zeta function is summed directly up to a shift of the argument past ``_SHIFT_TO`` (so negative
non-integer arguments down to about ``-_STEPS + _SHIFT_TO`` are exact sums too), then the Euler-Maclaurin tail:
``z^(1-s)/(s-1) + z^(-s)/2 + sum_j B_2j / (2j)! s(s+1)...(s+2j-2) z^(-s-2j+1)``. At 0 and the negative integers
the value is PyTorch's signed infinity. Order 0 is `anynn.digamma`, order 1 the trigamma formula it already has.
The derivative of order n is order n + 1, written with the same array calls, so it differentiates again.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .elementwise import as_floating
from .value_checks import refuse_complex
from .formulas import special as formulas
from .special import digamma

_SHIFT_TO = 12.0
_STEPS = 40
# B_2j / (2j)! for j = 1..8
_TAIL = tuple(b / math.factorial(2 * j) for j, b in enumerate(
    (1 / 6, -1 / 30, 1 / 42, -1 / 30, 5 / 66, -691 / 2730, 7 / 6, -3617 / 510), start=1))


def hurwitz_zeta(xp: Namespace, x: Any, s: int) -> Any:
    """``zeta(s, x) = sum_k (x + k)^(-s)`` for an integer ``s >= 2`` (any real x but the poles 0, -1, -2, ...)."""
    total = xp.zeros_like(x)
    z = x
    for _ in range(_STEPS):
        below = z < _SHIFT_TO
        total = total + xp.where(below, z ** (-s), xp.zeros_like(z))
        z = xp.where(below, z + 1.0, z)
    tail = z ** (1 - s) / (s - 1) + 0.5 * z ** (-s)
    rising = float(s)  # s (s+1) ... (s+2j-2)
    power = z ** (-s - 1)
    inverse_square = 1.0 / (z * z)
    for j, coefficient in enumerate(_TAIL, start=1):
        tail = tail + coefficient * rising * power
        rising *= (s + 2 * j - 1) * (s + 2 * j)
        power = power * inverse_square
    return total + tail


def polygamma_formula(xp: Namespace, x: Any, n: int) -> Any:
    """``polygamma(n, x)`` for ``n >= 1`` as array calls; PyTorch's signed infinity at 0 and the negative
    integers."""
    if n == 1:
        return formulas.trigamma(xp, x)
    if x.dtype != xp.float64:  # the sum cancels for negative x: float32 and below go through float64 and back
        return xp.astype(polygamma_formula(xp, xp.astype(x, xp.float64), n), x.dtype)
    pole = (x <= 0.0) & (x == xp.floor(x))
    safe = xp.where(pole, xp.full_like(x, 0.5), x)
    sign = 1.0 if n % 2 == 1 else -1.0
    value = sign * math.factorial(n) * hurwitz_zeta(xp, safe, n + 1)
    return xp.where(pole, xp.full_like(x, sign * math.inf), value)


class PolygammaFunction(Function):
    """``polygamma(n, a)`` for ``n >= 1`` (``n`` given to ``apply``); slope ``polygamma(n + 1, a)``."""

    n: int

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        return polygamma_formula(xp, a, self.n)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * polygamma_formula(xp, self.a, self.n + 1)


def polygamma(n: int, input: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """``torch.polygamma(n, input)``: the n-th derivative of `digamma` (n = 0: digamma itself); integer inputs are
    computed in float32. Shape: input's."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"polygamma(): argument 'n' must be int, not {type(n).__name__}")
    if n < 0:
        raise RuntimeError("polygamma(n, x) does not support negative n.")
    if not isinstance(input, Tensor):
        raise TypeError(f"polygamma(): argument 'input' must be Tensor, not {type(input).__name__}")
    refuse_complex("polygamma", input)
    if n == 0:
        return digamma(input)
    return PolygammaFunction.apply(as_floating(input), n=n)


__all__ = ["PolygammaFunction", "hurwitz_zeta", "polygamma", "polygamma_formula"]
