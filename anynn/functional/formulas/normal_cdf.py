"""The scaled complementary error function and the standard normal distribution's functions, in standard array API
calls only: ``erfcx(x) = exp(x^2) erfc(x)``, ``ndtr(x) = P(Z <= x)``, ``log_ndtr(x) = log P(Z <= x)`` and its
inverse ``ndtri(p)`` (PyTorch's ``torch.special`` names).

All four rest on ``erfcx`` for positive arguments, which is the rational factor of W. J. Cody's ``erfc`` (the part
that multiplies ``exp(-x^2)``), so the tails keep full relative accuracy where ``erfc`` itself underflows:
``log_ndtr(-40)`` is ``-804.6`` and ``ndtri(1e-300)`` is ``-37.05`` in float64, as PyTorch's. Written once in
``xp``, so they run on every backend and, run on the differentiable namespace, record their own derivatives.
Shapes: any; the result has the input's shape and dtype; lower precisions are computed in float64 and rounded back.
"""

from __future__ import annotations

import math

from ...backend.portable.special import _erf_series, _erfcx_cody, erf
from ...backend.typing import Array, Namespace
from .special import erfinv

__all__ = ["erfcx", "log_ndtr", "ndtr", "ndtri", "normal_log_density_ratio"]

_SQRT_HALF = math.sqrt(0.5)
_SQRT_TWO_OVER_PI = math.sqrt(2.0 / math.pi)
_LOG_HALF = math.log(0.5)
_INVERSE_SQRT_TWO_PI = 1.0 / math.sqrt(2.0 * math.pi)
_NEWTON_STEPS = 3


def _in_float64(xp: Namespace, x: Array, formula: object) -> Array | None:
    """``formula(xp, x)`` run in float64 and rounded back for lower precisions; None where x is float64."""
    if x.dtype == xp.float64:
        return None
    return xp.astype(formula(xp, xp.astype(x, xp.float64)), x.dtype)  # type: ignore[operator]


def _erfcx_positive(xp: Namespace, a: Array) -> Array:
    """``erfcx(a)`` for ``a >= 0``: the series of erf below 0.5 (where ``exp(a^2)`` is at most 1.3), Cody's factor
    above (0 at +inf)."""
    near = a < 0.5
    small = xp.minimum(a, 0.5)
    series = xp.exp(small * small) * (1.0 - _erf_series(xp, small))
    return xp.where(near, series, _erfcx_cody(xp, xp.where(near, xp.ones_like(a), a)))


def erfcx(xp: Namespace, x: Array) -> Array:
    """``exp(x^2) erfc(x)``: ``2 exp(x^2) - erfcx(-x)`` for negative x (+inf below about -26.6), NaN at NaN."""
    rounded = _in_float64(xp, x, erfcx)
    if rounded is not None:
        return rounded
    positive = _erfcx_positive(xp, xp.abs(x))
    negative_x = xp.where(x < 0, x, xp.zeros_like(x))
    return xp.where(x < 0, 2.0 * xp.exp(negative_x * negative_x) - positive, positive)


def _erfc(xp: Namespace, t: Array) -> Array:
    """``erfc(t)`` for any t, with full relative accuracy where it is small (t large and positive)."""
    a = xp.abs(t)
    upper = xp.exp(-(a * a)) * _erfcx_positive(xp, a)
    return xp.where(t < 0, 2.0 - upper, upper)


def ndtr(xp: Namespace, x: Array) -> Array:
    """``P(Z <= x) = erfc(-x / sqrt 2) / 2`` for a standard normal Z."""
    rounded = _in_float64(xp, x, ndtr)
    if rounded is not None:
        return rounded
    return 0.5 * _erfc(xp, -x * _SQRT_HALF)


def log_ndtr(xp: Namespace, x: Array) -> Array:
    """``log P(Z <= x)``: ``log1p(-ndtr(-x))`` for x >= 0 (tiny and exact far right), and below 0
    ``log(erfcx(-x / sqrt 2) / 2) - x^2 / 2``, which stays finite where ``ndtr`` underflows (-inf at -inf)."""
    rounded = _in_float64(xp, x, log_ndtr)
    if rounded is not None:
        return rounded
    left = x < 0
    negative_x = xp.where(left, x, xp.zeros_like(x))
    tail = xp.log(_erfcx_positive(xp, -negative_x * _SQRT_HALF)) + _LOG_HALF - 0.5 * (negative_x * negative_x)
    right = xp.log1p(-0.5 * _erfc(xp, xp.where(left, xp.zeros_like(x), x) * _SQRT_HALF))
    return xp.where(left, tail, right)


def normal_log_density_ratio(xp: Namespace, x: Array) -> Array:
    """``phi(x) / ndtr(x)`` (the derivative of ``log_ndtr``), written ``sqrt(2 / pi) / erfcx(-x / sqrt 2)``: no
    0/0 in the left tail, where it grows like ``-x``; 0 far right."""
    return _SQRT_TWO_OVER_PI / erfcx(xp, -x * _SQRT_HALF)


def ndtri(xp: Namespace, p: Array) -> Array:
    """The inverse of ``ndtr`` on [0, 1] (-inf at 0, +inf at 1, NaN outside). With ``q = min(p, 1 - p)`` (exact for
    p >= 1/2), a start from ``sqrt 2 erfinv(2q - 1)`` (or, below 1e-10, the tail's asymptotic
    ``-sqrt(t - log t - log 2 pi)`` with ``t = -2 log q``), then Newton steps: on ``erf(y / sqrt 2) / 2 = q - 1/2``
    for q > 1/8, on ``log_ndtr(y) = log q`` below (nearly linear in the tail, it keeps full relative accuracy down
    to the smallest q)."""
    rounded = _in_float64(xp, p, ndtri)
    if rounded is not None:
        return rounded
    upper = p > 0.5
    q = xp.where(upper, 1.0 - p, p)
    inside = (q > 0.0) & (p < 1.0) & (p > 0.0)
    q_in = xp.where(inside, q, xp.full_like(q, 0.25))
    log_q = xp.log(q_in)
    tiny = q_in < 1e-10
    central = math.sqrt(2.0) * erfinv(xp, 2.0 * xp.where(tiny, xp.full_like(q_in, 0.25), q_in) - 1.0)
    # below 1e-10 log q = -y^2 / 2 - log(-y) - log(2 pi) / 2 to a few 1e-3, y^2 taken from the leading term; the
    # other lanes read q = 1e-10 there, whose sqrt argument is positive (a negative one is NaN, and a recorded
    # backward multiplies its NaN slope by where's zero: NaN second derivatives of ndtri)
    leading = -2.0 * xp.log(xp.where(tiny, q_in, xp.full_like(q_in, 1e-10)))
    y = xp.where(tiny, -xp.sqrt(leading - xp.log(leading) - math.log(2.0 * math.pi)), central)
    central_q = q_in > 0.125
    for _ in range(_NEWTON_STEPS):
        # near 1/2 on erf(y / sqrt 2) / 2 = q - 1/2 (exact): log_ndtr(y) - log(q) would cancel where y is near 0
        density = _INVERSE_SQRT_TWO_PI * xp.exp(-0.5 * (y * y))
        step = xp.where(central_q, (0.5 * erf(xp, y * _SQRT_HALF) - (q_in - 0.5)) / density,
                        (log_ndtr(xp, y) - log_q) / normal_log_density_ratio(xp, y))
        y = y - step
    y = xp.where(upper, -y, y)
    edge = xp.where(p == 0.0, xp.full_like(p, -math.inf),
                    xp.where(p == 1.0, xp.full_like(p, math.inf), xp.full_like(p, math.nan)))
    # 0 at 1/2 written as its Taylor term, so a recorded derivative there has ndtri's slope sqrt(2 pi)
    return xp.where(inside, xp.where(q_in == 0.5, (p - 0.5) * math.sqrt(2.0 * math.pi), y), edge)
