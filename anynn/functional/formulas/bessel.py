"""Modified Bessel functions of the first kind, ``I_n(x)`` for n = 0, 1, 2, and their exponentially scaled forms
``exp(-|x|) I_n(x)``, in standard array API calls only (PyTorch's ``i0``, ``special.i0e``, ``special.i1``,
``special.i1e``; ``I_2`` serves the derivative of ``I_1``).

Two regimes, both free of cancellation: for ``|x| <= _SERIES_UP_TO`` the power series
``sum_k (x/2)^(2k+n) / (k! (k+n)!)`` (positive terms), and above it the large-argument expansion
``exp(|x|) / sqrt(2 pi |x|) * sum_k (-1)^k a_k(n) / |x|^k`` with ``a_k(n) = prod_{j<=k} (4n^2 - (2j-1)^2) / (k! 8^k)``,
whose terms shrink below 1e-17 of the sum before they start to grow again at that threshold. In float64 both
agree with PyTorch's Chebyshev (Cephes) values to about 1e-14 relative. Written once in ``xp``, so they run on
every backend and, run on the differentiable namespace, record their own derivatives. Shapes: any; the result
has the input's shape and dtype; lower precisions are computed in float64 and rounded back.
"""

from __future__ import annotations

import math

from ...backend.typing import Array, Namespace

__all__ = ["bessel_i", "bessel_i_scaled", "bessel_k", "bessel_k_scaled"]

_SERIES_UP_TO = 20.0
_SERIES_TERMS = 48  # (x/2)^2k / (k!)^2 at x = 20, k = 48 is ~1e-35 of I_0(20) = 4.4e7
_ASYMPTOTIC_TERMS = 30  # at |x| = 20 the 30th term is ~1e-19 of the sum; the terms' minimum is near k = 38


def _asymptotic_coefficients(order: int) -> tuple[float, ...]:
    """``(-1)^k a_k(order)`` for k = 0 .. _ASYMPTOTIC_TERMS - 1."""
    coefficients, value, mu = [1.0], 1.0, 4.0 * order * order
    for k in range(1, _ASYMPTOTIC_TERMS):
        value *= -(mu - (2 * k - 1) ** 2) / (k * 8.0)
        coefficients.append(value)
    return tuple(coefficients)


_ASYMPTOTIC = {order: _asymptotic_coefficients(order) for order in (0, 1, 2)}


def _series(xp: Namespace, x: Array, order: int) -> Array:
    """``I_order(x)`` by its power series (``x`` float64, used for ``|x| <= _SERIES_UP_TO``)."""
    quarter_square = (x * x) * 0.25
    term = (x * 0.5) ** order / float(math.factorial(order)) if order else xp.ones_like(x)
    total = term
    for k in range(1, _SERIES_TERMS):
        term = term * quarter_square / float(k * (k + order))
        total = total + term
    return total


def _large(xp: Namespace, magnitude: Array, order: int) -> Array:
    """``exp(-m) I_order(m)`` for ``m = |x| > _SERIES_UP_TO`` by the large-argument expansion (Horner in 1/m)."""
    inverse = 1.0 / magnitude
    total = xp.zeros_like(magnitude)
    for coefficient in reversed(_ASYMPTOTIC[order]):
        total = total * inverse + coefficient
    return total / xp.sqrt((2.0 * math.pi) * magnitude)


def _parts(xp: Namespace, x: Array, order: int) -> tuple[Array, Array, Array, Array]:
    """``(small, series value, magnitude, scaled large value)``: the two regimes, each fed safe points only."""
    magnitude = xp.abs(x)
    small = magnitude <= _SERIES_UP_TO
    series = _series(xp, xp.where(small, x, xp.zeros_like(x)), order)
    wide = xp.where(small, xp.full_like(magnitude, 2.0 * _SERIES_UP_TO), magnitude)
    return small, series, magnitude, _large(xp, wide, order)


def _odd(xp: Namespace, x: Array, value: Array, order: int) -> Array:
    """``value`` computed at ``|x|``, given the sign of ``x`` for odd orders (``I_n(-x) = (-1)^n I_n(x)``)."""
    return xp.where(x < 0, -value, value) if order % 2 else value


def bessel_i(xp: Namespace, x: Array, order: int) -> Array:
    """``I_order(x)`` (order 0, 1 or 2): +-inf beyond ``|x|`` ~ 709.8 as PyTorch's, NaN at NaN."""
    if x.dtype != xp.float64:
        return xp.astype(bessel_i(xp, xp.astype(x, xp.float64), order), x.dtype)
    small, series, magnitude, large = _parts(xp, x, order)
    # exp(m) overflows beyond m ~ 709.8, a little before I_0(m) itself would: +inf there, as PyTorch's
    growth = xp.exp(xp.where(small, xp.zeros_like(magnitude), magnitude))
    return xp.where(small, series, _odd(xp, x, large * growth, order))


def bessel_i_scaled(xp: Namespace, x: Array, order: int) -> Array:
    """``exp(-|x|) I_order(x)`` (order 0, 1 or 2): finite for every finite ``x``, 0 at +-inf, NaN at NaN."""
    if x.dtype != xp.float64:
        return xp.astype(bessel_i_scaled(xp, xp.astype(x, xp.float64), order), x.dtype)
    small, series, magnitude, large = _parts(xp, x, order)
    damping = xp.exp(-xp.where(small, magnitude, xp.zeros_like(magnitude)))
    return xp.where(small, series * damping, _odd(xp, x, large, order))


# -- K_n, n = 0, 1: three regimes -------------------------------------------------------------------------------
# |x| <= 2: the logarithmic series (A&S 9.6.11); 2 < x <= _SERIES_UP_TO: the trapezoidal rule on
# exp(x) K_n(x) = int_0^inf exp(-x (cosh t - 1)) cosh(n t) dt, whose error falls like exp(-pi^2 / (x h^2 / 2)) (below
# 1e-40 at x = 20 with h = 0.1) and whose tail beyond t = 4 is below exp(-2 * 26) at x = 2; above: the large-argument
# expansion of sqrt(2x / pi) exp(x) K_n(x), _ASYMPTOTIC's coefficients without their alternating sign.
_K_SERIES_UP_TO = 2.0
_K_SERIES_TERMS = 24  # (x^2 / 4)^k / (k!)^2 at x = 2, k = 24: ~1e-48
_TRAPEZOID_STEP = 0.1
_TRAPEZOID_NODES = 41  # t = 0, 0.1, ..., 4.0
_EULER_GAMMA = 0.57721566490153286061


def _k_series(xp: Namespace, x: Array, order: int) -> Array:
    """``K_order(x)`` for 0 < x <= 2 by its logarithmic series."""
    quarter_square = (x * x) * 0.25
    log_half = xp.log(x * 0.5)
    term = xp.ones_like(x)  # (x^2/4)^k / (k! (k + order)!)
    digammas = -2.0 * _EULER_GAMMA if order == 0 else 1.0 - 2.0 * _EULER_GAMMA  # psi(k+1) + psi(k+order+1)
    total = term * digammas
    for k in range(1, _K_SERIES_TERMS):
        term = term * quarter_square / float(k * (k + order))
        digammas += 1.0 / k + 1.0 / (k + order)
        total = total + term * digammas
    if order == 0:
        return -log_half * bessel_i(xp, x, 0) + 0.5 * total
    return 1.0 / x + log_half * bessel_i(xp, x, 1) - (x * 0.25) * total


def _k_trapezoid(xp: Namespace, x: Array, order: int) -> Array:
    """``exp(x) K_order(x)`` for x > 2 by the trapezoidal rule (nodes and weights are host constants)."""
    total = xp.zeros_like(x)
    for k in range(_TRAPEZOID_NODES):
        t = k * _TRAPEZOID_STEP
        weight = (0.5 if k == 0 else 1.0) * _TRAPEZOID_STEP * math.cosh(order * t)
        total = total + weight * xp.exp(-(math.cosh(t) - 1.0) * x)
    return total


def _k_large(xp: Namespace, x: Array, order: int) -> Array:
    """``exp(x) K_order(x)`` for x > _SERIES_UP_TO by the large-argument expansion."""
    inverse = 1.0 / x
    total = xp.zeros_like(x)
    for k, coefficient in reversed(list(enumerate(_ASYMPTOTIC[order]))):
        total = total * inverse + (-coefficient if k % 2 else coefficient)
    return total * xp.sqrt(math.pi / (2.0 * x))


def _k_scaled_parts(xp: Namespace, x: Array, order: int) -> tuple[Array, Array]:
    """``(near, value)``: where x <= 2, and there K_order(x) itself, elsewhere exp(x) K_order(x) (x > 0)."""
    near = x <= _K_SERIES_UP_TO
    far = x > _SERIES_UP_TO
    series = _k_series(xp, xp.where(near & (x > 0), x, xp.ones_like(x)), order)
    middle = _k_trapezoid(xp, xp.where(near | far, xp.full_like(x, 4.0), x), order)
    large = _k_large(xp, xp.where(far, x, xp.full_like(x, 2.0 * _SERIES_UP_TO)), order)
    return near, xp.where(near, series, xp.where(far, large, middle))


def _k_edges(xp: Namespace, x: Array, value: Array, at_infinity: float) -> Array:
    """PyTorch's values at the edges: +inf at 0, NaN below 0 and at NaN, ``at_infinity`` at +inf."""
    value = xp.where(x == math.inf, xp.full_like(x, at_infinity), value)
    value = xp.where(x == 0, xp.full_like(x, math.inf), value)
    return xp.where((x < 0) | xp.isnan(x), xp.full_like(x, math.nan), value)


def bessel_k(xp: Namespace, x: Array, order: int) -> Array:
    """``K_order(x)`` (order 0 or 1) for x > 0: +inf at 0, 0 at +inf (and from x ~ 705, where exp(-x) underflows)."""
    if x.dtype != xp.float64:
        return xp.astype(bessel_k(xp, xp.astype(x, xp.float64), order), x.dtype)
    near, value = _k_scaled_parts(xp, x, order)
    damping = xp.exp(-xp.where(near | xp.isinf(x), xp.zeros_like(x), x))
    return _k_edges(xp, x, xp.where(near, value, value * damping), 0.0)


def bessel_k_scaled(xp: Namespace, x: Array, order: int) -> Array:
    """``exp(x) K_order(x)`` (order 0 or 1) for x > 0: +inf at 0, 0 at +inf."""
    if x.dtype != xp.float64:
        return xp.astype(bessel_k_scaled(xp, xp.astype(x, xp.float64), order), x.dtype)
    near, value = _k_scaled_parts(xp, x, order)
    growth = xp.exp(xp.where(near, x, xp.zeros_like(x)))
    return _k_edges(xp, x, xp.where(near, value * growth, value), 0.0)
