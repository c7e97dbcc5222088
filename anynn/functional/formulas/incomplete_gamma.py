"""The regularized incomplete gamma functions in the standard namespace: ``P(a, x)`` (PyTorch's ``igamma``,
``special.gammainc``) and ``Q(a, x) = 1 - P(a, x)`` (``igammac``, ``special.gammaincc``), and their slope in x.

Both come from the two classical expansions (Cephes' choice of region): the power series of P where ``x <= 1`` or
``x <= a``, the continued fraction of Q elsewhere, each the complement of the other. A Function
cannot stop when a value has converged (that would read it back), so each runs a fixed number of terms:
`TERMS` reaches double precision for ``a`` up to about 1000 (the series near ``x = a`` needs about
``sqrt(74 a)`` terms); larger ``a`` near ``x = a`` loses accuracy. The edge cases are PyTorch's: NaN for a
negative argument, ``P(0, x > 0) = 1``, ``P(a, 0) = 0``, ``P(a, inf) = 1``, ``P(inf, x) = 0``.
"""

from __future__ import annotations

from ...backend.typing import Array, Namespace
from .special import lgamma

TERMS = 256


def regularized_gamma(xp: Namespace, a: Array, x: Array, upper: bool) -> Array:
    """``P(a, x)``, or ``Q(a, x)`` with ``upper``, for broadcast a, x (*) of one real floating dtype."""
    a, x = xp.broadcast_arrays(a, x)
    one = xp.ones_like(a)
    use_series = (x <= 1) | (x <= a)
    plain = (a > 0) & (x > 0) & xp.isfinite(a) & xp.isfinite(x)
    # each expansion sees harmless stand-ins where the other (or an edge rule) gives the answer
    a_s = xp.where(plain & use_series, a, one)
    x_s = xp.where(plain & use_series, x, 0.5 * one)
    a_c = xp.where(plain & ~use_series, a, one)
    x_c = xp.where(plain & ~use_series, x, 2.0 * one)

    term = xp.ones_like(a_s)
    total = xp.ones_like(a_s)
    for n in range(1, TERMS):
        term = term * x_s / (a_s + n)
        total = total + term
    lower = xp.exp(a_s * xp.log(x_s) - x_s - lgamma(xp, a_s)) / a_s * total

    # Q's continued fraction 1 / (b0 + a1 / (b1 + a2 / (b2 + ...))), b_i = x + 1 - a + 2i, a_i = -i (i - a),
    # summed from its deepest level up (stable here, and three operations a level)
    base = x_c + 1 - a_c
    tail = xp.zeros_like(base)
    for i in range(TERMS - 1, 0, -1):
        tail = (-i * (i - a_c)) / (base + 2 * i + tail)
    h = 1 / (base + tail)
    upper_cf = xp.exp(a_c * xp.log(x_c) - x_c - lgamma(xp, a_c)) * h

    p = xp.where(use_series, lower, 1 - upper_cf)
    q = xp.where(use_series, 1 - lower, upper_cf)
    value = q if upper else p
    zero, nan = xp.zeros_like(value), xp.full_like(value, float("nan"))
    p_edge = xp.where(a == 0, xp.where(x > 0, one, nan), zero)  # a = 0, or x = 0, or a = inf
    p_edge = xp.where(xp.isinf(x) & (a > 0), xp.where(xp.isinf(a), nan, one), p_edge)
    edge = (1 - p_edge) if upper else p_edge
    value = xp.where(plain, value, edge)
    return xp.where((a < 0) | (x < 0) | xp.isnan(a) | xp.isnan(x), nan, value)


def regularized_gamma_slope(xp: Namespace, a: Array, x: Array) -> Array:
    """``dP/dx = x^(a-1) e^-x / Gamma(a)`` (dQ/dx is its negative)."""
    return xp.exp((a - 1) * xp.log(x) - x - lgamma(xp, a))


__all__ = ["TERMS", "regularized_gamma", "regularized_gamma_slope"]
