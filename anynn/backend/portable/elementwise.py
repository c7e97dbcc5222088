"""Fused elementwise steps of the arithmetic Functions."""

from __future__ import annotations

from ..typing import Array, Namespace


def square_grad(xp: Namespace, g: Array, a: Array) -> Array:
    """The gradient of ``a ** 2``: ``2 g a`` (g and a of one shape)."""
    return 2.0 * (g * a)


def bfloat16_rounded(xp: Namespace, x: Array) -> Array:
    """float32 ``x`` rounded to the nearest bfloat16 value (8 significant bits, ties to even), kept in float32: the
    value a cast to bfloat16 gives, for libraries without that dtype (NumPy, array_api_strict).

    Each finite normal ``x`` is ``m 2^e`` with ``128 <= m < 256`` after scaling by ``ulp = 2^(e - 7)``; rounding ``m``
    to an integer (ties to even) is bfloat16's rounding. Zeros, infinities and NaN pass through, and so do magnitudes
    below float32's smallest normal (2^-126), which a cast would round to bfloat16's coarser subnormal steps.
    """
    magnitude = xp.abs(x)
    normal = xp.isfinite(x) & (magnitude >= 2.0 ** -126)
    safe = xp.where(normal, magnitude, xp.ones_like(magnitude))
    exponent = xp.floor(xp.log2(safe))
    exponent = xp.where(2.0 ** exponent > safe, exponent - 1.0, exponent)  # log2 rounded up to a power of two
    ulp = 2.0 ** (exponent - 7.0)
    return xp.where(normal, xp.round(x / ulp) * ulp, x)
