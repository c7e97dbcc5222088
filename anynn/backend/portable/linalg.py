"""Matrix products and triangular solves (a backend may take a cheaper route to the same result)."""

from __future__ import annotations

from ..devices import device_of as device

from ..typing import Array, Namespace


def matmul(xp: Namespace, a: Array, b: Array) -> Array:
    """``a @ b``: the layers' matrix products, so that a backend may take a cheaper route to the same result."""
    return a @ b


def solve_triangular(xp: Namespace, a: Array, b: Array, upper: bool, left: bool = True,
                     unitriangular: bool = False) -> Array:
    """X with ``A X = B`` (``left=False``: ``X A = B``) where A (*, n, n) is read as triangular: only its
    ``upper`` (or lower) triangle, with ones on the diagonal when ``unitriangular``. B (*, n, k) (left) or
    (*, k, n) (right), batch dimensions broadcast.

    The standard has no triangular solve: this masks A to its triangle and calls ``xp.linalg.solve`` (an LU
    solve, O(n^3) as the triangular one, and backward stable); libraries that have one use it as a fast path.
    """
    n = a.shape[-1]
    index = xp.arange(n, device=device(a))
    rows, cols = xp.reshape(index, (n, 1)), xp.reshape(index, (1, n))
    keep = xp.greater(cols, rows) if upper else xp.less(cols, rows)
    if not unitriangular:
        keep = xp.logical_or(keep, xp.equal(cols, rows))
    triangle = a * xp.astype(keep, a.dtype)
    if unitriangular:
        triangle = triangle + xp.astype(xp.equal(cols, rows), a.dtype)
    if left:
        return xp.linalg.solve(triangle, b)
    return xp.matrix_transpose(xp.linalg.solve(xp.matrix_transpose(triangle), xp.matrix_transpose(b)))
