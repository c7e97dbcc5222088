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

__all__ = ["bessel_i", "bessel_i_scaled"]

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
