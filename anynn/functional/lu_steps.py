"""The steps of LAPACK's LU solver (getrf, getrs) in the array namespace: `eliminate` (Gaussian elimination with
partial pivoting) and `substitute` (the two triangular solves). ``linalg.lu_factor``/``inv_ex``/``solve_ex`` read
their error codes from `eliminate`; slogdet's gradient reruns both where the library refuses a singular matrix, so
it gets the inf and NaN of PyTorch's solve.
"""

from __future__ import annotations

from typing import Any

from ..backend.arrays import device_of as device

from ..backend.typing import Namespace


def eliminate(xp: Namespace, a: Any, pivot: bool) -> tuple[Any, Any, Any, Any]:
    """Gaussian elimination of a (*, m, n), with partial pivoting when ``pivot`` (LAPACK's getrf).

    Returns ``(LU, pivots, info, order)``: L (unit lower, below the diagonal) and U packed in one (*, m, n) array;
    pivots (*, min(m, n)) int32, 1-based, the row swapped with row i at step i; info (*,) int32, the 1-based step
    of the first exactly-zero pivot (0: none); order (*, m) int64, the rows of ``a`` in the order of ``LU``
    (``a[order] = L U``). A zero pivot leaves its column's multipliers at 0 and the elimination goes on, as getrf.
    """
    m, n = a.shape[-2], a.shape[-1]
    batch, dev = tuple(a.shape[:-2]), device(a)
    rows = xp.arange(m, dtype=xp.int64, device=dev)
    info = _batch_zeros(xp, a, xp.int32)
    order = xp.astype(info[..., None], xp.int64) + rows
    pivots = []
    for k in range(min(m, n)):
        if pivot:  # the largest |entry| of column k on or below the diagonal, the first of equals
            p = xp.argmax(_magnitude(xp, a[..., k:, k]), axis=-1) + k  # (*,)
            swap = xp.where(rows == k, p[..., None], xp.where(rows == p[..., None], k, rows))  # (*, m)
            a = xp.take_along_axis(a, xp.broadcast_to(swap[..., None], batch + (m, n)), axis=-2)
            order = xp.take_along_axis(order, swap, axis=-1)
            pivots.append(xp.astype(p + 1, xp.int32))
        else:
            pivots.append(_batch_zeros(xp, a, xp.int32) + (k + 1))
        head = a[..., k, k]
        zero = head == 0
        info = xp.where((info == 0) & zero, xp.asarray(k + 1, dtype=xp.int32, device=dev), info)
        multipliers = a[..., k + 1:, k] / xp.where(zero, xp.ones_like(head), head)[..., None]  # (*, m - k - 1)
        trailing = a[..., k + 1:, k + 1:] - multipliers[..., :, None] * a[..., k, None, k + 1:]
        below = xp.concat([a[..., k + 1:, :k], multipliers[..., :, None], trailing], axis=-1)
        a = xp.concat([a[..., :k + 1, :], below], axis=-2)
    stacked = xp.stack(pivots, axis=-1) if pivots else xp.zeros(batch + (0,), dtype=xp.int32, device=dev)
    return a, stacked, info, order


def _magnitude(xp: Namespace, column: Any) -> Any:
    """What LAPACK's pivot search (i?amax) compares: |x|, and |Re z| + |Im z| for a complex z."""
    if xp.isdtype(column.dtype, "complex floating"):
        return xp.abs(xp.real(column)) + xp.abs(xp.imag(column))
    return xp.abs(column)


def _batch_zeros(xp: Namespace, a: Any, dtype: Any) -> Any:
    """Zeros (*,) for a (*, m, n): made like ``a`` where a batch axis is symbolic (an ONNX export with dynamic_axes
    reads its size as None, which no factory takes)."""
    batch = tuple(a.shape[:-2])
    if None not in batch or not a.shape[-2] or not a.shape[-1]:
        return xp.zeros(batch, dtype=dtype, device=device(a))
    return xp.zeros_like(a[..., 0, 0], dtype=dtype)


def substitute(xp: Namespace, lu: Any, order: Any, b: Any) -> Any:
    """X (*, n, k) with ``A X = B`` from `eliminate`'s ``(LU, order)`` of A (*, n, n), by LAPACK's getrs steps: the
    rows of B in ``order``, forward substitution with the unit L, then back substitution with U. No step skips a
    zero, so a zero pivot gives the inf and NaN of LAPACK's (and PyTorch's) solve; a row is changed through
    ``where``, never by multiplying by 0, so an inf in one row does not spread NaN to the others."""
    n = lu.shape[-1]
    x = xp.take_along_axis(b, xp.broadcast_to(order[..., None], tuple(b.shape)), axis=-2)
    rows = xp.arange(n, device=device(lu))[:, None]
    for k in range(n):  # rows below k lose L[i, k] x_k
        x = xp.where(rows > k, x - lu[..., :, k, None] * x[..., k, None, :], x)
    for k in reversed(range(n)):  # x_k = b_k / U[k, k]; rows above k lose U[i, k] x_k
        solved = x[..., k, None, :] / lu[..., k, k, None, None]
        x = xp.where(rows < k, x - lu[..., :, k, None] * solved, xp.where(rows == k, solved, x))
    return x


__all__ = ["eliminate", "substitute"]
