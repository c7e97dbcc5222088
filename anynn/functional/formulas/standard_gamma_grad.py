"""The slope of a Gamma(a, 1) draw in its concentration at fixed probability (implicit reparameterization):
``dx/da = -(dP(a, x)/da) / (dP(a, x)/dx)`` with P the regularized lower incomplete gamma function.

``dP/da`` is the derivative, carried term by term, of the two expansions `incomplete_gamma` sums (the power
series of P for ``x <= 1`` or ``x <= a``, Q's continued fraction elsewhere); dividing by the density cancels the
common factor ``x^a e^-x / Gamma(a)`` by hand, so nothing overflows or underflows for large ``a`` or ``x``.
Computed in float64 where the namespace has it.
"""

from __future__ import annotations

from ...backend.typing import Array, Namespace
from .incomplete_gamma import TERMS
from .special import digamma


def standard_gamma_grad(xp: Namespace, a: Array, x: Array) -> Array:
    """``dx/da`` for draws ``x`` of Gamma(``a``, 1), broadcast (PyTorch's ``_standard_gamma_grad``)."""
    a, x = xp.broadcast_arrays(a, x)
    use_series = (x <= 1) | (x <= a)
    one = xp.ones_like(a)
    a_s, x_s = xp.where(use_series, a, one), xp.where(use_series, x, 0.5 * one)
    a_c, x_c = xp.where(use_series, one, a), xp.where(use_series, 2.0 * one, x)

    # series: P = x^a e^-x / Gamma(a + 1) * S, S = sum_n t_n, t_n = prod_{k<=n} x / (a + k);
    # dt_n/da = -t_n H_n with H_n = sum_{k<=n} 1 / (a + k); the density is x^(a-1) e^-x / Gamma(a)
    term, total, slope, harmonic = xp.ones_like(a_s), xp.ones_like(a_s), xp.zeros_like(a_s), xp.zeros_like(a_s)
    for n in range(1, TERMS):
        term = term * x_s / (a_s + n)
        harmonic = harmonic + 1 / (a_s + n)
        total = total + term
        slope = slope + term * harmonic
    from_series = -(x_s / a_s) * ((xp.log(x_s) - digamma(xp, a_s + 1)) * total - slope)

    # continued fraction: Q = x^a e^-x / Gamma(a) * h, h = 1 / (b + tail_1), b = x + 1 - a,
    # tail_i = -i (i - a) / (b + 2 i + tail_(i+1)); the a-derivative rides along each level (dual numbers)
    base = x_c + 1 - a_c
    tail, d_tail = xp.zeros_like(base), xp.zeros_like(base)
    for i in range(TERMS - 1, 0, -1):
        denominator = base + 2 * i + tail
        tail = (-i * (i - a_c)) / denominator
        d_tail = (i - tail * (d_tail - 1)) / denominator
    h = 1 / (base + tail)
    d_h = -h * h * (d_tail - 1)
    from_fraction = x_c * (h * (xp.log(x_c) - digamma(xp, a_c)) + d_h)  # dx/da = +(dQ/da) / density

    return xp.where(use_series, from_series, from_fraction)


__all__ = ["standard_gamma_grad"]
