"""Scatter-add without a library ``add.at``: a one-hot matmul, which accumulates duplicate indices exactly."""

from __future__ import annotations

from array_api_compat import device

from ..typing import Array, Namespace


def scatter_add(xp: Namespace, index: Array, values: Array, num_rows: int) -> Array:
    """Sum rows of ``values`` (n, ...) into a (num_rows, ...) array at ``index`` (n,), duplicates add.

    A one-hot matmul: ``onehot(index).T @ values``, which accumulates duplicates exactly.
    """
    rows = xp.arange(num_rows, dtype=index.dtype, device=device(values))
    onehot = xp.astype(index[:, None] == rows[None, :], values.dtype)  # (n, num_rows)
    flat = xp.reshape(values, (values.shape[0], -1))
    out = onehot.mT @ flat
    return xp.reshape(out, (num_rows,) + tuple(values.shape[1:]))
