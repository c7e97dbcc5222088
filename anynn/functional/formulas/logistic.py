"""The logistic family, stable for any input: ``sigmoid``, ``softplus``, ``log_sigmoid``.

``sigmoid``'s portable form is `anynn.backend.portable.activation.sigmoid` (the fallback of the ``"sigmoid"``
fast path, a fused kernel on CuPy); the others are written from the same two pieces, ``exp(-|x|)`` and
``max``/``min`` against 0, so nothing overflows.
"""

from __future__ import annotations

from ...backend.portable.activation import sigmoid
from ...backend.typing import Array, Namespace

__all__ = ["log_sigmoid", "sigmoid", "softplus"]


def softplus(xp: Namespace, x: Array) -> Array:
    """``log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))``: finite for any x; its slope is ``sigmoid(x)``."""
    return xp.log1p(xp.exp(-xp.abs(x))) + xp.maximum(x, xp.zeros_like(x))


def log_sigmoid(xp: Namespace, x: Array) -> Array:
    """``log(sigmoid(x)) = min(x, 0) - log1p(exp(-|x|)) = -softplus(-x)``; its slope is ``sigmoid(-x)``."""
    return xp.minimum(x, xp.zeros_like(x)) - xp.log1p(xp.exp(-xp.abs(x)))
