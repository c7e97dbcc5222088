"""Bessel functions of the first and second kind of orders 0 and 1, ``J0, J1, Y0, Y1`` (``torch.special.bessel_j0``
...), in standard array API calls only.

Three regimes, by ``|x|``: below 2 the power series (``Y`` with its logarithmic terms, A&S 9.1.11-13); from 2 to 25
Miller's backward recurrence ``J_{k-1} = (2k / x) J_k - J_{k+1}`` from order 80, normalized by
``J0 + 2 (J2 + J4 + ...) = 1``, with Neumann's series for ``Y0`` and its derivative for ``Y1``; above 25 Hankel's
expansion, its phase written through ``cos x`` and ``sin x`` of the exact argument. ``J`` is even (J0) or odd (J1);
``Y`` is -inf at 0 and NaN for x < 0; both are NaN at +-inf, as PyTorch's values. Within about 2e-16 (absolute)
of mpmath's; PyTorch 2.13's own are off by up to 9e-7 between 5 and 8 and 1e-8 elsewhere below 25. Shapes: any;
lower precisions are computed in float64 and rounded back.
"""

from __future__ import annotations

import math

from ...backend.typing import Array, Namespace

__all__ = ["bessel_j", "bessel_y"]

_SERIES_BELOW = 2.0
_HANKEL_ABOVE = 25.0
_SERIES_TERMS = 20  # (x/2)^2k / (k!)^2 at x = 2, k = 20: ~1e-37
_MILLER_START = 80  # J_80(25) ~ 1e-30 of J_0's scale: the recurrence has forgotten its start by order 40
_HANKEL_TERMS = 24
_EULER_GAMMA = 0.57721566490153286061
_TWO_OVER_PI = 2.0 / math.pi


def _hankel_coefficients(order: int) -> tuple[float, ...]:
    """``a_k(order) = prod_{j <= k} (4 order^2 - (2j - 1)^2) / (k! 8^k)``."""
    values, value, mu = [1.0], 1.0, 4.0 * order * order
    for k in range(1, _HANKEL_TERMS):
        value *= (mu - (2 * k - 1) ** 2) / (k * 8.0)
        values.append(value)
    return tuple(values)


_HANKEL = {order: _hankel_coefficients(order) for order in (0, 1)}


def _series(xp: Namespace, x: Array) -> tuple[Array, Array, Array, Array]:
    """``(J0, J1, Y0, Y1)`` for 0 < x < 2 (J's also for x = 0)."""
    quarter = (x * x) * -0.25
    log_part = xp.log(xp.where(x > 0, x * 0.5, xp.ones_like(x))) + _EULER_GAMMA
    j0_term, j1_term = xp.ones_like(x), x * 0.5
    j0, j1 = j0_term, j1_term
    harmonic = 0.0
    y0_sum = xp.zeros_like(x)  # sum (-1)^(k+1) H_k (x^2/4)^k / (k!)^2
    y1_sum = j1_term * (1.0 - 2.0 * _EULER_GAMMA)  # sum [psi(k+1) + psi(k+2)] (-x^2/4)^k (x/2) / (k! (k+1)!)
    digammas = 1.0 - 2.0 * _EULER_GAMMA
    for k in range(1, _SERIES_TERMS):
        j0_term = j0_term * quarter / float(k * k)
        j1_term = j1_term * quarter / float(k * (k + 1))
        harmonic += 1.0 / k
        digammas += 1.0 / k + 1.0 / (k + 1)
        j0, j1 = j0 + j0_term, j1 + j1_term
        y0_sum = y0_sum - harmonic * j0_term
        y1_sum = y1_sum + digammas * j1_term
    safe = xp.where(x > 0, x, xp.ones_like(x))
    y0 = _TWO_OVER_PI * (log_part * j0 + y0_sum)
    y1 = -_TWO_OVER_PI / safe + _TWO_OVER_PI * (log_part - _EULER_GAMMA) * j1 - y1_sum / math.pi
    return j0, j1, y0, y1


def _miller(xp: Namespace, x: Array) -> tuple[Array, Array, Array, Array]:
    """``(J0, J1, Y0, Y1)`` for 2 <= x <= 25 by the backward recurrence (x a float64 array)."""
    inverse = 1.0 / x
    js = [xp.zeros_like(x)] * (_MILLER_START + 2)
    js[_MILLER_START] = xp.full_like(x, 1e-30)  # J_80 up to a common factor (grows to ~1e88 at x = 2)
    for k in range(_MILLER_START, 0, -1):
        js[k - 1] = (2.0 * k) * inverse * js[k] - js[k + 1]
    norm, even_sum, odd_sum = js[0], xp.zeros_like(x), xp.zeros_like(x)
    for k in range(1, _MILLER_START // 2 + 1):
        sign = -1.0 if k % 2 else 1.0
        norm = norm + 2.0 * js[2 * k]
        even_sum = even_sum + (sign / k) * js[2 * k]  # sum (-1)^k J_2k / k
        odd_sum = odd_sum + (sign / k) * (js[2 * k - 1] - js[2 * k + 1])  # sum (-1)^k (J_2k-1 - J_2k+1) / k
    j0, j1 = js[0] / norm, js[1] / norm
    log_part = _TWO_OVER_PI * (xp.log(x * 0.5) + _EULER_GAMMA)
    y0 = log_part * j0 - (2.0 * _TWO_OVER_PI) * (even_sum / norm)
    y1 = -_TWO_OVER_PI * j0 * inverse + log_part * j1 + _TWO_OVER_PI * (odd_sum / norm)
    return j0, j1, y0, y1


def _hankel(xp: Namespace, x: Array) -> tuple[Array, Array, Array, Array]:
    """``(J0, J1, Y0, Y1)`` for x > 25 by Hankel's expansion."""
    inverse = 1.0 / x
    cosine, sine = xp.cos(x), xp.sin(x)
    scale = xp.sqrt(_TWO_OVER_PI * inverse) * math.sqrt(0.5)  # the 1/sqrt(2) of the phase shifts folded in
    results = []
    for order, (cos_phase, sin_phase) in ((0, (cosine + sine, sine - cosine)), (1, (sine - cosine, -sine - cosine))):
        p, q = xp.zeros_like(x), xp.zeros_like(x)
        power = xp.ones_like(x)
        for k, coefficient in enumerate(_HANKEL[order]):
            sign = -1.0 if (k // 2) % 2 else 1.0
            if k % 2:
                q = q + (sign * coefficient) * power
            else:
                p = p + (sign * coefficient) * power
            power = power * inverse
        results.append((scale * (p * cos_phase - q * sin_phase), scale * (p * sin_phase + q * cos_phase)))
    (j0, y0), (j1, y1) = results
    return j0, j1, y0, y1


def _all(xp: Namespace, x: Array) -> tuple[Array, Array, Array, Array]:
    """``(J0, J1, Y0, Y1)`` of ``|x|`` (float64), each regime fed safe points only."""
    a = xp.abs(x)
    small, large = a < _SERIES_BELOW, a > _HANKEL_ABOVE
    series = _series(xp, xp.where(small, a, xp.ones_like(a)))
    middle = _miller(xp, xp.where(small | large, xp.full_like(a, 10.0), a))
    far = _hankel(xp, xp.where(large, a, xp.full_like(a, 2.0 * _HANKEL_ABOVE)))
    return tuple(xp.where(small, s, xp.where(large, f, m)) for s, m, f in zip(series, middle, far))  # type: ignore


def bessel_j(xp: Namespace, x: Array, order: int) -> Array:
    """``J_order(x)`` (order 0 or 1): J0 even, J1 odd; NaN at +-inf and NaN, as PyTorch's."""
    if x.dtype != xp.float64:
        return xp.astype(bessel_j(xp, xp.astype(x, xp.float64), order), x.dtype)
    value = _all(xp, x)[order]
    if order == 1:
        value = xp.where(x < 0, -value, value)
    return xp.where(xp.isinf(x), xp.full_like(x, math.nan), value)


def bessel_y(xp: Namespace, x: Array, order: int) -> Array:
    """``Y_order(x)`` (order 0 or 1) for x > 0: -inf at 0, NaN below 0, at +-inf and NaN, as PyTorch's."""
    if x.dtype != xp.float64:
        return xp.astype(bessel_y(xp, xp.astype(x, xp.float64), order), x.dtype)
    value = _all(xp, x)[2 + order]
    value = xp.where(x == 0, xp.full_like(x, -math.inf), value)
    return xp.where((x < 0) | xp.isinf(x), xp.full_like(x, math.nan), value)
