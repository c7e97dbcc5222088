"""The Hurwitz zeta function ``zeta(x, q) = sum_{k >= 0} (q + k)^-x`` in standard array API calls only
(``torch.special.zeta``; ``q = 1`` gives Riemann's zeta).

The Euler-Maclaurin summation PyTorch uses (after Cephes): the first terms directly, at least nine and until
``q + k`` exceeds 9, then the integral of the rest plus twelve Bernoulli corrections; each part stops adding
where its next term falls below float64's epsilon of the sum, as PyTorch's does. Values at the edges as PyTorch's:
+inf at x = 1, NaN for x < 1, +inf at q = 0, -1, -2, ..., NaN for other q <= 0 unless x is an integer; NaN below
q = -31 too, where PyTorch's loop sums more than the 40 direct terms written here. Shapes: x
and q broadcast; lower precisions are computed in float64 and rounded back (PyTorch accumulates in double too).
"""

from __future__ import annotations

import math
from fractions import Fraction

from ...backend.typing import Array, Namespace

__all__ = ["hurwitz_zeta"]

_EPSILON = 1.11022302462515654042e-16
_DIRECT_AT_LEAST = 9
_DIRECT_AT_MOST = 40  # enough for q > -31; further left (where PyTorch sums more terms directly) NaN here
# B_2j for j = 1 .. 12, and (2j)! / B_2j, the divisors of the Bernoulli corrections
_BERNOULLI = (Fraction(1, 6), Fraction(-1, 30), Fraction(1, 42), Fraction(-1, 30), Fraction(5, 66),
              Fraction(-691, 2730), Fraction(7, 6), Fraction(-3617, 510), Fraction(43867, 798),
              Fraction(-174611, 330), Fraction(854513, 138), Fraction(-236364091, 2730))
_DIVISORS = tuple(float(math.factorial(2 * j + 2) / b) for j, b in enumerate(_BERNOULLI))


def _negligible(xp: Namespace, term: Array, total: Array) -> Array:
    """PyTorch's stopping test ``-eps s < t < eps s`` (never true while the sum is negative)."""
    return (-_EPSILON * total < term) & (term < _EPSILON * total)


def hurwitz_zeta(xp: Namespace, x: Array, q: Array) -> Array:
    """``zeta(x, q)`` of broadcast float arrays."""
    if x.dtype != xp.float64:
        return xp.astype(hurwitz_zeta(xp, xp.astype(x, xp.float64), xp.astype(q, xp.float64)), x.dtype)
    x, q = xp.broadcast_arrays(x, q)
    total = xp.pow(q, -x)
    # the direct terms: k = 1 .. count, count = max(9, floor(9 - q) + 1), as PyTorch's loop runs
    count = xp.clip(xp.floor(9.0 - q) + 1.0, float(_DIRECT_AT_LEAST), float(_DIRECT_AT_MOST))
    count = xp.where(xp.isnan(count), xp.full_like(count, float(_DIRECT_AT_LEAST)), count)
    direct_done = xp.zeros_like(x, dtype=xp.bool)
    for k in range(1, _DIRECT_AT_MOST + 1):
        term = xp.pow(q + float(k), -x)
        adding = ~direct_done & (count >= k)
        total = xp.where(adding, total + term, total)
        direct_done = direct_done | (adding & _negligible(xp, term, total))
    edge = q + count
    last = xp.pow(edge, -x)
    tail = total + last * edge / (x - 1.0) - 0.5 * last
    tail_done = xp.zeros_like(direct_done)
    rising, power = xp.ones_like(x), last
    for j in range(len(_DIVISORS)):
        rising = rising * (x + float(2 * j))
        power = power / edge
        term = rising * power / _DIVISORS[j]
        tail = xp.where(tail_done, tail, tail + term)
        tail_done = tail_done | (xp.abs(term / tail) < _EPSILON)
        rising = rising * (x + float(2 * j + 1))
        power = power / edge
    result = xp.where(direct_done, total, tail)
    result = xp.where(xp.floor(9.0 - q) + 1.0 > float(_DIRECT_AT_MOST), xp.full_like(x, math.nan), result)
    nan, inf = xp.full_like(x, math.nan), xp.full_like(x, math.inf)
    at_poles = q <= 0.0
    result = xp.where(at_poles & (x != xp.floor(x)), nan, result)
    result = xp.where(at_poles & (q == xp.floor(q)), inf, result)
    return xp.where(x == 1.0, inf, xp.where(x < 1.0, nan, result))
