"""The classical orthogonal polynomials of ``torch.special`` by their three-term recurrences, in standard array API
calls only: Chebyshev's T, U, V, W, the physicists' and probabilists' Hermite H and He, Laguerre's L and Legendre's
P, each of degree ``n`` (an integer array broadcast with x; negative degrees give 0), with PyTorch's special values
(at ``|x| = 1``, and its trigonometric forms of the Chebyshev polynomials inside (-1, 1) for high degrees).

Each recurrence runs up to ``top``, the largest degree any element needs (a host integer the caller reads once),
and keeps each element's value when the running degree reaches its own. Shapes: x and n broadcast; the result has
x's dtype.
"""

from __future__ import annotations

from typing import Callable

from ...backend.typing import Array, Namespace

__all__ = ["POLYNOMIALS", "polynomial"]

# degree 1 from x, and degree m from (x, P_{m-2}, P_{m-1}, m)
Step = Callable[[Array, Array, Array, int], Array]
_FIRST: dict[str, Callable[[Array], Array]] = {
    "t": lambda x: x, "u": lambda x: x + x, "v": lambda x: x + x - 1.0, "w": lambda x: x + x + 1.0,
    "h": lambda x: x + x, "he": lambda x: x, "l": lambda x: 1.0 - x, "p": lambda x: x,
}
_CHEBYSHEV: Step = lambda x, p, q, m: (x + x) * q - p  # noqa: E731
_STEP: dict[str, Step] = {
    "t": _CHEBYSHEV, "u": _CHEBYSHEV, "v": _CHEBYSHEV, "w": _CHEBYSHEV,
    "h": lambda x, p, q, m: (x + x) * q - float(2 * (m - 1)) * p,
    "he": lambda x, p, q, m: x * q - float(m - 1) * p,
    "l": lambda x, p, q, m: ((float(2 * (m - 1)) + (1.0 - x)) * q - float(m - 1) * p) / float(m),
    "p": lambda x, p, q, m: (float(2 * m - 1) * x * q - float(m - 1) * p) / float(m),
}
# the degree above which PyTorch uses the trigonometric form of a Chebyshev polynomial inside (-1, 1)
_TRIGONOMETRIC_ABOVE = {"t": 6, "u": 8, "v": 8, "w": 8}
POLYNOMIALS = tuple(_FIRST)


def recurrence_top(kind: str) -> int | None:
    """The degree above which the recurrence is not needed where ``|x| < 1`` (None: it is needed everywhere)."""
    return _TRIGONOMETRIC_ABOVE.get(kind)


def _recurrence(xp: Namespace, kind: str, x: Array, n: Array, top: int) -> Array:
    previous, current = xp.ones_like(x), _FIRST[kind](x)
    result = xp.where(n == 1, current, xp.ones_like(x))
    for m in range(2, top + 1):
        previous, current = current, _STEP[kind](x, previous, current, m)
        result = xp.where(n == m, current, result)
    return result


def _sign_by_parity(xp: Namespace, n: Array, value: Array) -> Array:
    return xp.where(n % 2 == 0, value, -value)


def _chebyshev_special(xp: Namespace, kind: str, x: Array, n: Array, value: Array) -> Array:
    """PyTorch's values at ``|x| = 1`` and its trigonometric forms for high degrees inside (-1, 1)."""
    one, count = xp.ones_like(x), xp.astype(n, x.dtype)
    odd_count = count + count + 1.0
    inside = (xp.abs(x) < 1.0) & (n > _TRIGONOMETRIC_ABOVE[kind])
    angle = xp.acos(xp.where(inside, x, xp.zeros_like(x)))
    if kind == "t":
        at_one = xp.where(x > 0, one, _sign_by_parity(xp, n, one))
        trigonometric = xp.cos(count * angle)
    elif kind == "u":
        at_one = xp.where(x > 0, count + 1.0, _sign_by_parity(xp, n, count + 1.0))
        sine = xp.sin(angle)
        safe = xp.where(sine != 0.0, sine, one)
        trigonometric = xp.where(sine != 0.0, xp.sin((count + 1.0) * angle) / safe,
                                 (count + 1.0) * xp.cos((count + 1.0) * angle) / x)
    elif kind == "v":
        at_one = xp.where(x > 0, one, _sign_by_parity(xp, n, odd_count))
        half = angle * 0.5
        trigonometric = xp.where(xp.sin(half) != 1.0, xp.cos((count + 0.5) * angle) / xp.cos(half),
                                 _sign_by_parity(xp, n, odd_count))
    else:
        at_one = xp.where(x > 0, odd_count, _sign_by_parity(xp, n, one))
        half = angle * 0.5
        trigonometric = xp.where(xp.cos(half) != 1.0, xp.sin((count + 0.5) * angle) / xp.sin(half), at_one)
    return xp.where(xp.abs(x) == 1.0, at_one, xp.where(inside, trigonometric, value))


def polynomial(xp: Namespace, kind: str, x: Array, n: Array, top: int) -> Array:
    """The polynomial ``kind`` (one of `POLYNOMIALS`) of degree ``n`` (int64, broadcast with x) at x, its recurrence
    run to degree ``top``; 0 where n < 0."""
    x, n = xp.broadcast_arrays(x, n)
    value = _recurrence(xp, kind, x, n, top)
    if kind in _TRIGONOMETRIC_ABOVE:
        value = _chebyshev_special(xp, kind, x, n, value)
    elif kind == "p":
        value = xp.where(xp.abs(x) == 1.0, xp.where(x > 0, xp.ones_like(x), _sign_by_parity(xp, n, xp.ones_like(x))),
                         value)
    elif kind == "l":
        value = xp.where(x == 0.0, xp.ones_like(x), value)
    return xp.where(n < 0, xp.zeros_like(x), value)
