"""Matrix products (a backend may take a cheaper route to the same result)."""

from __future__ import annotations

from ..typing import Array, Namespace


def matmul(xp: Namespace, a: Array, b: Array) -> Array:
    """``a @ b``: the layers' matrix products, so that a backend may take a cheaper route to the same result."""
    return a @ b
