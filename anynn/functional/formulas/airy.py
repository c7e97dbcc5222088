"""The Airy function ``Ai(x)`` (``torch.special.airy_ai``) in standard array API calls only.

Three regimes: for -8 <= x < 2 its Maclaurin series ``Ai(0) f(x) + Ai'(0) g(x)``; for x >= 2
``sqrt(x / 3) K_{1/3}(zeta) / pi`` with ``zeta = 2/3 x^(3/2)``, ``K_{1/3}`` by `bessel`'s trapezoidal rule (zeta up to
20) or its large-argument expansion; for x < -8 the oscillating expansion (A&S 10.4.60) in ``1 / zeta``. NaN at
+-inf and NaN, as PyTorch's. Within ~1e-9 absolute of mpmath's near x = -8 (the series' cancellation), ~1e-15
relative elsewhere; PyTorch 2.13's own are off by up to 3e-6 between -8 and -2. Shapes: any; lower precisions are
computed in float64 and rounded back.
"""

from __future__ import annotations

import math

from ...backend.typing import Array, Namespace
from .bessel import _asymptotic_coefficients, _k_trapezoid

__all__ = ["airy_ai"]

_AI_0 = 0.355028053887817239260063186004  # Ai(0)
_AI_PRIME_0 = -0.258819403792806798405183560189  # Ai'(0)
_SERIES_FROM, _SERIES_TO = -8.0, 2.0
_SERIES_TERMS = 40  # |x|^3k / (3k)! at x = -8, k = 40: ~1e-60
_QUADRATURE_TO = 20.0  # zeta above: K's expansion
_OSCILLATING_TERMS = 30
_K_THIRD = tuple(-c if k % 2 else c for k, c in enumerate(_asymptotic_coefficients(1.0 / 3.0)))  # type: ignore[arg-type]


def _oscillating_coefficients() -> tuple[float, ...]:
    """A&S 10.4.58's u_k: u_0 = 1, u_k = (6k-5)(6k-3)(6k-1) / ((2k-1) 216 k) u_{k-1}."""
    values, value = [1.0], 1.0
    for k in range(1, _OSCILLATING_TERMS):
        value *= (6 * k - 5) * (6 * k - 3) * (6 * k - 1) / ((2 * k - 1) * 216.0 * k)
        values.append(value)
    return tuple(values)


_U = _oscillating_coefficients()


def _series(xp: Namespace, x: Array) -> Array:
    cube = x * x * x
    f_term, g_term = xp.ones_like(x), x
    f, g = f_term, g_term
    for k in range(1, _SERIES_TERMS):
        f_term = f_term * cube / float((3 * k - 1) * (3 * k))
        g_term = g_term * cube / float((3 * k) * (3 * k + 1))
        f, g = f + f_term, g + g_term
    return _AI_0 * f + _AI_PRIME_0 * g


def _decaying(xp: Namespace, x: Array) -> Array:
    """Ai(x) for x >= 2."""
    zeta = (2.0 / 3.0) * x * xp.sqrt(x)
    near = zeta <= _QUADRATURE_TO
    quadrature = _k_trapezoid(xp, xp.where(near, zeta, xp.full_like(zeta, 4.0)), 1.0 / 3.0)  # type: ignore[arg-type]
    far = xp.where(near, xp.full_like(zeta, 2.0 * _QUADRATURE_TO), zeta)
    inverse, expansion = 1.0 / far, xp.zeros_like(far)
    for coefficient in reversed(_K_THIRD):
        expansion = expansion * inverse + coefficient
    expansion = expansion * xp.sqrt(math.pi / (2.0 * far))
    scaled = xp.where(near, quadrature, expansion)  # exp(zeta) K_{1/3}(zeta)
    return xp.sqrt(x / 3.0) / math.pi * scaled * xp.exp(-zeta)


def _oscillating(xp: Namespace, x: Array) -> Array:
    """Ai(x) for x < -8."""
    z = -x
    zeta = (2.0 / 3.0) * z * xp.sqrt(z)
    inverse = 1.0 / zeta
    even, odd = xp.zeros_like(z), xp.zeros_like(z)
    power = xp.ones_like(z)
    for k, coefficient in enumerate(_U):
        sign = -1.0 if (k // 2) % 2 else 1.0
        if k % 2:
            odd = odd + (sign * coefficient) * power
        else:
            even = even + (sign * coefficient) * power
        power = power * inverse
    phase = zeta + math.pi / 4.0
    return (xp.sin(phase) * even - xp.cos(phase) * odd) / (math.sqrt(math.pi) * xp.sqrt(xp.sqrt(z)))


def airy_ai(xp: Namespace, x: Array) -> Array:
    """``Ai(x)``: decaying to 0 from x ~ 105 (underflow), oscillating for negative x; NaN at +-inf and NaN."""
    if x.dtype != xp.float64:
        return xp.astype(airy_ai(xp, xp.astype(x, xp.float64)), x.dtype)
    low, high = x < _SERIES_FROM, x >= _SERIES_TO
    series = _series(xp, xp.where(low | high, xp.zeros_like(x), x))
    decaying = _decaying(xp, xp.where(high & xp.isfinite(x), x, xp.full_like(x, 3.0)))
    oscillating = _oscillating(xp, xp.where(low & xp.isfinite(x), x, xp.full_like(x, -10.0)))
    value = xp.where(low, oscillating, xp.where(high, decaying, series))
    return xp.where(xp.isinf(x), xp.full_like(x, math.nan), value)
