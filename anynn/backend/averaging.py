"""PyTorch's adaptive average pooling as a matrix: one formula for the pooling Function and the ONNX lowering."""

from __future__ import annotations

from functools import lru_cache


@lru_cache(maxsize=256)
def averaging_matrix(size: int, out: int) -> tuple[tuple[float, ...], ...]:
    """(out, size) rows averaging PyTorch's adaptive bins [floor(i size/out), ceil((i+1) size/out))."""
    rows = []
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        rows.append(tuple(1.0 / (end - start) if start <= j < end else 0.0 for j in range(size)))
    return tuple(rows)
