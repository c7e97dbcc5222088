"""Special functions in standard array API calls only: ``erfinv``, ``lgamma``, ``digamma``, ``trigamma``,
``sinc``.

Written once in ``xp``, so they run on every backend and, run on the differentiable namespace, record their own
derivatives (a second derivative of ``digamma`` is `trigamma`'s recorded formula). In float64 they agree with
PyTorch's (C library / Cephes) values to about 1e-13 relative away from the functions' zeros. Shapes: any; the
result has the input's shape and dtype. Lower precisions are computed in float64 and rounded back.
"""

from __future__ import annotations

import math

from ...backend.portable.special import erf, erfc
from ...backend.typing import Array, Namespace

__all__ = ["digamma", "erfinv", "lgamma", "sinc", "trigamma"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0
# Lanczos' approximation with g = 7 and 9 terms (Godfrey's coefficients): Gamma to ~1e-15 relative for x >= 0.5
_LANCZOS_G = 7.0
_LANCZOS = (0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
            12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7)
_LOG_SQRT_TWO_PI = 0.5 * math.log(2.0 * math.pi)
# the asymptotic series' coefficients B_2k / 2k (digamma) and B_2k (trigamma), for x >= _SHIFT_TO
_DIGAMMA_SERIES = (1.0 / 12, -1.0 / 120, 1.0 / 252, -1.0 / 240, 1.0 / 132, -691.0 / 32760, 1.0 / 12)
_TRIGAMMA_SERIES = (1.0 / 6, -1.0 / 30, 1.0 / 42, -1.0 / 30, 5.0 / 66, -691.0 / 2730, 7.0 / 6)
_SHIFT_TO = 10.0
_NEWTON_STEPS = 5


def _in_float(xp: Namespace, x: Array) -> bool:
    """Whether x is float64, the dtype the formulas run in: Lanczos' alternating sum and the recurrences cancel
    to ~1e-6 in float32 (lgamma(1) would be 5e-7, not 0), so float32 and below go through float64 and back."""
    return x.dtype == xp.float64


def _sin_cos_pi(xp: Namespace, x: Array) -> tuple[Array, Array]:
    """``sin(pi f), cos(pi f)`` with ``f = x - round(x)`` (exact): ``|sin(pi x)|`` and ``cot(pi x)`` from them
    stay accurate for large x, where ``pi * x`` itself would round."""
    f = x - xp.round(x)
    return xp.sin(math.pi * f), xp.cos(math.pi * f)


def lgamma(xp: Namespace, x: Array) -> Array:
    """``log|Gamma(x)|``: Lanczos for x >= 0.5, the reflection ``log(pi / |sin(pi x)|) - lgamma(1 - x)`` below;
    +inf at the poles (0, -1, -2, ...) and at +-inf, as PyTorch."""
    if not _in_float(xp, x):
        return xp.astype(lgamma(xp, xp.astype(x, xp.float64)), x.dtype)
    reflect = x < 0.5
    y = xp.where(reflect, 1.0 - x, x) - 1.0  # >= -0.5
    series = xp.full_like(y, _LANCZOS[0])
    for k in range(1, len(_LANCZOS)):
        series = series + _LANCZOS[k] / (y + float(k))
    t = y + (_LANCZOS_G + 0.5)
    # (y + 0.5) log t - t written as (y + 0.5)(log t - 1) - g: no overflow before the result itself overflows
    positive = (y + 0.5) * (xp.log(t) - 1.0) - _LANCZOS_G + _LOG_SQRT_TWO_PI + xp.log(series)
    sin_part, _ = _sin_cos_pi(xp, xp.where(reflect, x, xp.full_like(x, 0.5)))
    pole = reflect & (sin_part == 0.0)
    safe_sin = xp.where(pole, xp.ones_like(sin_part), xp.abs(sin_part))
    reflected = xp.where(pole, xp.full_like(x, math.inf), math.log(math.pi) - xp.log(safe_sin) - positive)
    result = xp.where(reflect & (x == -math.inf), xp.full_like(x, math.inf), xp.where(reflect, reflected, positive))
    return xp.where((x == 1.0) | (x == 2.0), xp.zeros_like(x), result)  # exact zeros there, as the C library's


def _psi_shifted(xp: Namespace, x: Array, order: int) -> Array:
    """digamma (order 0) or trigamma (order 1) of x >= 0.5: the recurrence up to ``_SHIFT_TO``, then the
    asymptotic series in 1/x^2."""
    total = xp.zeros_like(x)
    z = x
    for _ in range(int(_SHIFT_TO)):
        below = z < _SHIFT_TO
        step = 1.0 / z if order == 0 else 1.0 / (z * z)
        total = total + xp.where(below, step, xp.zeros_like(z))
        z = xp.where(below, z + 1.0, z)
    inv2 = 1.0 / (z * z)
    series = xp.zeros_like(z)
    for coefficient in reversed(_DIGAMMA_SERIES if order == 0 else _TRIGAMMA_SERIES):
        series = (series + coefficient) * inv2
    if order == 0:
        return xp.log(z) - 0.5 / z - series - total
    return 1.0 / z + 0.5 * inv2 + series / z + total


def _psi(xp: Namespace, x: Array, order: int) -> Array:
    if not _in_float(xp, x):
        return xp.astype(_psi(xp, xp.astype(x, xp.float64), order), x.dtype)
    reflect = x < 0.5
    positive = _psi_shifted(xp, xp.where(reflect, 1.0 - x, x), order)
    sin_part, cos_part = _sin_cos_pi(xp, xp.where(reflect, x, xp.full_like(x, 0.5)))
    pole = reflect & (sin_part == 0.0)
    safe_sin = xp.where(pole, xp.ones_like(sin_part), sin_part)
    if order == 0:  # psi(x) = psi(1 - x) - pi cot(pi x)
        reflected = positive - math.pi * cos_part / safe_sin
        # PyTorch: -inf at +0, +inf at -0, NaN at the negative integers
        at_zero = xp.where(xp.signbit(x), xp.full_like(x, math.inf), xp.full_like(x, -math.inf))
        at_pole = xp.where(x == 0.0, at_zero, xp.full_like(x, math.nan))
    else:  # psi'(x) = pi^2 / sin^2(pi x) - psi'(1 - x)
        reflected = (math.pi * math.pi) / (safe_sin * safe_sin) - positive
        at_pole = xp.full_like(x, math.inf)
    result = xp.where(reflect, xp.where(pole, at_pole, reflected), positive)
    return xp.where(x == -math.inf, xp.full_like(x, math.nan), result)


def digamma(xp: Namespace, x: Array) -> Array:
    """``d/dx lgamma(x)``; PyTorch's values at the poles (-inf at +0, +inf at -0, NaN at -1, -2, ... and -inf)."""
    return _psi(xp, x, 0)


def trigamma(xp: Namespace, x: Array) -> Array:
    """``d/dx digamma(x)`` (PyTorch's ``polygamma(1, x)``); +inf at the poles."""
    return _psi(xp, x, 1)


def erfinv(xp: Namespace, x: Array) -> Array:
    """The inverse of ``erf`` on [-1, 1] (+-inf at +-1, NaN outside): M. Giles' single-precision approximation
    ("Approximating the erfinv function", 2010), then Newton steps on ``erf(y) = |x|``, or in the tails on
    ``log(erfc(y)) = log(1 - |x|)`` (exact there), which keeps full relative accuracy as |x| approaches 1."""
    if not _in_float(xp, x):
        return xp.astype(erfinv(xp, xp.astype(x, xp.float64)), x.dtype)
    a = xp.abs(x)
    inside = a < 1.0
    a_in = xp.where(inside, a, xp.zeros_like(a))
    w = -xp.log((1.0 - a_in) * (1.0 + a_in))
    central = w - 2.5
    p = xp.full_like(a, 2.81022636e-08)
    for c in (3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087, -0.00125372503, -0.00417768164,
              0.246640727, 1.50140941):
        p = p * central + c
    # the tail's polynomial in sqrt(w) is read only where w >= 5: elsewhere sqrt(5), so that a recorded backward
    # sees no infinite slope of sqrt at w = 0 (x = 0), which where's zero would turn into NaN second derivatives
    tail = xp.sqrt(xp.where(w < 5.0, xp.full_like(w, 5.0), w)) - 3.0
    q = xp.full_like(a, -0.000200214257)
    for c in (0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773, -0.0076224613, 0.00943887047,
              1.00167406, 2.83297682):
        q = q * tail + c
    y = xp.where(w < 5.0, p, q) * a_in
    far = a_in > 0.5
    complement = 1.0 - a_in  # exact for a in [0.5, 1] (Sterbenz)
    log_complement = xp.log(xp.where(far, complement, xp.ones_like(a_in)))
    for _ in range(_NEWTON_STEPS):
        slope = _TWO_OVER_SQRT_PI * xp.exp(-(y * y))
        tail_value = erfc(xp, xp.where(far, y, xp.ones_like(y)))
        # in the tail on log(erfc(y)) = log(1 - |x|): nearly quadratic in y, so Newton converges from Giles'
        # guess, which is ~0.5 low at 1 - |x| = 1e-16 (outside the range it was fitted on)
        step = xp.where(far, -tail_value * (xp.log(tail_value) - log_complement), erf(xp, y) - a_in) / slope
        y = y - step
    result = xp.where(inside, y, xp.where(a == 1.0, xp.full_like(a, math.inf), xp.full_like(a, math.nan)))
    # 0 at 0 (its sign kept) written as its Taylor term, so a recorded derivative there has erfinv's slope
    return xp.where(x < 0, -result, xp.where(x == 0, x * _SQRT_PI_OVER_TWO, result))


def sinc(xp: Namespace, x: Array) -> Array:
    """``sin(pi x) / (pi x)``, 1 at 0 (PyTorch's normalized sinc, with its rounding of ``pi * x``)."""
    zero = x == 0
    product = math.pi * xp.where(zero, xp.ones_like(x), x)
    return xp.where(zero, xp.ones_like(x), xp.sin(product) / product)


def sinc_derivative(xp: Namespace, x: Array) -> Array:
    """``(pi x cos(pi x) - sin(pi x)) / (pi x^2)``, 0 at 0 (PyTorch's). At 0 it is written ``-pi^2 x / 3``
    (its Taylor term), so that the recorded second derivative there is sinc''(0) = -pi^2 / 3; PyTorch's is 0."""
    zero = x == 0
    safe = xp.where(zero, xp.ones_like(x), x)
    product = math.pi * safe
    slope = (product * xp.cos(product) - xp.sin(product)) / (product * safe)
    return xp.where(zero, (-math.pi * math.pi / 3.0) * x, slope)
