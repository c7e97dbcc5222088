"""Row-major strides: a leaf module (no imports), so cuDNN's plans and the array helpers share one formula without
an import cycle between the backends and their registry."""

from __future__ import annotations


def row_major_strides(shape: tuple[int, ...]) -> tuple[int, ...]:
    """The strides, in elements, of a row-major array of ``shape`` (a size of 0 steps as 1, as PyTorch's)."""
    strides, step = [], 1
    for size in reversed(shape):
        strides.append(step)
        step *= max(size, 1)
    return tuple(reversed(strides))
