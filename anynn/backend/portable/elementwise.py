"""Fused elementwise steps of the arithmetic Functions."""

from __future__ import annotations

from ..typing import Array, Namespace


def square_grad(xp: Namespace, g: Array, a: Array) -> Array:
    """The gradient of ``a ** 2``: ``2 g a`` (g and a of one shape)."""
    return 2.0 * (g * a)
