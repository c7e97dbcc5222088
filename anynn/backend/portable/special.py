"""Special functions without a standard one: ``erf`` (the GELU fallback when no library erf is at hand) and
``erfc``."""

from __future__ import annotations

import math

from ..typing import Array, Namespace


def erf(xp: Namespace, x: Array) -> Array:
    """Error function, accurate to ~1e-15 relative in float64, using only standard functions.

    |x| < 0.5 uses the Maclaurin series; larger |x| uses W. J. Cody's rational approximation of
    ``erfc`` (Math. Comp. 1969), the same split as most C libraries. float16/bfloat16 are computed in
    float32 and rounded back (the rational form's numerator reaches ~1e3 * a**8: inf in float16).
    """
    if x.dtype != xp.float32 and x.dtype != xp.float64:
        return xp.astype(erf(xp, xp.astype(x, xp.float32)), x.dtype)
    a = xp.abs(x)
    small = _erf_series(xp, xp.minimum(a, 0.5))
    large = 1.0 - _erfc_cody(xp, xp.maximum(a, 0.5))
    result = xp.where(a < 0.5, small, large)
    return xp.where(x < 0, -result, result)


def erfc(xp: Namespace, x: Array) -> Array:
    """Complementary error function ``1 - erf(x)``, to relative accuracy also where it is tiny (``1 - erf(x)``
    rounds to 0 in float32 past x ~ 3.9, where erfc(5) is 1.5e-12).

    |x| < 0.5: one minus the series of erf; otherwise Cody's ``erfc(|x|)``, and ``2 - erfc(|x|)`` for negative x.
    float16/bfloat16 are computed in float32 and rounded back, as `erf`.
    """
    if x.dtype != xp.float32 and x.dtype != xp.float64:
        return xp.astype(erfc(xp, xp.astype(x, xp.float32)), x.dtype)
    a = xp.abs(x)
    series = _erf_series(xp, xp.minimum(a, 0.5))
    small = 1.0 - xp.where(x < 0, -series, series)
    tail = _erfc_cody(xp, xp.maximum(a, 0.5))
    return xp.where(a < 0.5, small, xp.where(x < 0, 2.0 - tail, tail))


def _erf_series(xp: Namespace, a: Array) -> Array:
    # sum_n (-1)^n a^(2n+1) / (n! (2n+1)) * 2/sqrt(pi); 14 terms reach 1e-17 for a <= 0.5
    a2 = a * a
    term = a
    total = a
    for n in range(1, 14):
        term = term * (-a2) / n
        total = total + term / (2 * n + 1)
    return total * (2.0 / math.sqrt(math.pi))


_P1 = (5.64188496988670089e-1, 8.88314979438837594, 6.61191906371416295e1, 2.98635138197400131e2,
       8.81952221241769090e2, 1.71204761263407058e3, 2.05107837782607147e3, 1.23033935479799725e3,
       2.15311535474403846e-8)
_Q1 = (1.57449261107098347e1, 1.17693950891312499e2, 5.37181101862009858e2, 1.62138957456669019e3,
       3.29079923573345963e3, 4.36261909014324716e3, 3.43936767414372164e3, 1.23033935480374942e3)
_P2 = (3.05326634961232344e-1, 3.60344899949804439e-1, 1.25781726111229246e-1,
       1.60837851487422766e-2, 6.58749161529837803e-4, 1.63153871373020978e-2)
_Q2 = (2.56852019228982242, 1.87295284992346725, 5.27905102951428412e-1, 6.05183413124413191e-2,
       2.33520497626869185e-3)


def _erfc_cody(xp: Namespace, a: Array) -> Array:
    """erfc(a) for a >= 0.5 (Cody's intervals 0.5..4 and > 4)."""
    # erfc underflows to 0 in float64 past a ~ 27.3: clamping keeps a = inf from giving inf/inf = nan
    a = xp.minimum(a, 30.0)
    # exp(-a^2) computed as exp(-r^2) * exp(-(a-r)(a+r)) with r = a rounded to 1/16, as Cody does
    r = xp.floor(a * 16.0) / 16.0
    return xp.exp(-r * r) * xp.exp(-(a - r) * (a + r)) * _erfcx_cody(xp, a)


def _erfcx_cody(xp: Namespace, a: Array) -> Array:
    """``exp(a^2) erfc(a)`` for a >= 0.5: Cody's rational factor (intervals 0.5..4 and > 4), 0 at +inf."""
    # interval 0.5 <= a <= 4
    num = _P1[8] * a
    den = a
    for i in range(7):
        num = (num + _P1[i]) * a
        den = (den + _Q1[i]) * a
    mid = (num + _P1[7]) / (den + _Q1[7])
    # a > 4: asymptotic rational form in 1/a^2
    z = 1.0 / (a * a)
    num = _P2[5] * z
    den = z
    for i in range(4):
        num = (num + _P2[i]) * z
        den = (den + _Q2[i]) * z
    tail = z * (num + _P2[4]) / (den + _Q2[4])
    tail = (1.0 / math.sqrt(math.pi) - tail) / a
    return xp.where(a <= 4.0, mid, tail)
