"""Broadcasting of shapes: a leaf module (no imports), the one place anynn works out what shapes broadcast to.

NumPy's rule, which the array API and PyTorch share: shapes are aligned at their last axis, a size of 1 stretches
to the other size (also to 0: an empty batch), other sizes must agree. A ``None`` size, a symbolic axis of an
exported graph, is taken to match the other size unless that is 1.
"""

from __future__ import annotations

from collections.abc import Sequence

Size = int | None


def _broadcast_size(x: Size, y: Size) -> Size | bool:
    """The broadcast of two sizes, or False when they do not broadcast."""
    if x is None or y is None:
        return y if x is None and y != 1 else (x if x != 1 else None)
    if x != y and 1 not in (x, y):
        return False
    return y if x == 1 else x


def broadcast_shapes(*shapes: Sequence[Size]) -> tuple[Size, ...] | None:
    """The shape ``shapes`` broadcast to, or None when they do not broadcast (the caller words the error)."""
    ndim = max((len(shape) for shape in shapes), default=0)
    out: list[Size] = [1] * ndim
    for shape in shapes:
        for axis, size in enumerate(shape, start=ndim - len(shape)):
            merged = _broadcast_size(out[axis], size)
            if merged is False:
                return None
            out[axis] = merged
    return tuple(out)
