"""Scatter-add without a library ``add.at``: a one-hot matmul, which accumulates duplicate indices exactly; the
other reductions of ``scatter_reduce`` (product, maximum, minimum) over the same one-hot used as a mask."""

from __future__ import annotations

import math

from ..devices import device_of as device

from ..typing import Array, Namespace


# the one-hot holds at most this many elements, or as many as the values: memory proportional to the operands, not
# to n * num_rows (a 3-D grid_sample's gradient scatters 8 taps per sampled point into every voxel's row)
ONE_HOT_ELEMENTS = 1 << 20


def scatter_add(xp: Namespace, index: Array, values: Array, num_rows: int) -> Array:
    """Sum rows of ``values`` (n, ...) into a (num_rows, ...) array at ``index`` (n,), duplicates add.

    A one-hot matmul: ``onehot(index).T @ values``, which accumulates duplicates exactly, over blocks of the n
    entries where the whole one-hot would exceed `ONE_HOT_ELEMENTS` and the values' size. Booleans accumulate as a
    logical or, as PyTorch's (counted in int32: the standard's matmul takes no booleans).
    """
    if xp.isdtype(values.dtype, "bool"):
        return scatter_add(xp, index, xp.astype(values, xp.int32), num_rows) != 0
    rows = xp.arange(num_rows, dtype=index.dtype, device=device(values))
    width = math.prod(values.shape[1:]) if None not in values.shape[1:] else None
    if width:  # the rows as -1: their count may be symbolic (None, in an ONNX export with dynamic_axes)
        flat = xp.reshape(values, (-1, width))
    else:  # -1 cannot be inferred from no elements (n = 0: an empty lookup), so name the trailing size there
        flat = xp.reshape(values, (values.shape[0], math.prod(values.shape[1:]) if values.shape[0] == 0 else -1))
    n = values.shape[0]
    block = max(1, max(ONE_HOT_ELEMENTS, (n or 0) * (width or 0)) // max(num_rows, 1))
    out = None
    for start in range(0, n, block) if n is not None and n > block else (None,):
        stop = None if start is None else min(start + block, n)  # (array-api-strict refuses a stop past the end)
        part, rows_part = (index, flat) if start is None else (index[start:stop], flat[start:stop, :])
        onehot = xp.astype(part[:, None] == rows[None, :], values.dtype)  # (block, num_rows)
        term = onehot.mT @ rows_part
        out = term if out is None else out + term
    return xp.reshape(out, (num_rows,) + tuple(values.shape[1:]))


def reduction_identity(xp: Namespace, reduce: str, dtype: object) -> float | int:
    """The value a row holds when no index names it: 1 for ``"prod"``, the dtype's lowest value for ``"amax"``
    and its highest for ``"amin"`` (infinities for floating dtypes)."""
    if reduce == "prod":
        return 1
    if xp.isdtype(dtype, "real floating"):
        return -math.inf if reduce == "amax" else math.inf
    info = xp.iinfo(dtype)
    return info.min if reduce == "amax" else info.max


def scatter_reduce(xp: Namespace, index: Array, values: Array, num_rows: int, reduce: str) -> Array:
    """Reduce rows of ``values`` (n, ...) into a (num_rows, ...) array at ``index`` (n,) with ``reduce``:
    ``"prod"``, ``"amax"`` or ``"amin"`` (NaN propagates); a row no index names holds `reduction_identity`.

    The one-hot of `scatter_add` as a mask: ``values`` where ``index`` names the row, the identity elsewhere,
    reduced over the n entries ((n, num_rows, ...) in memory).
    """
    identity = reduction_identity(xp, reduce, values.dtype)
    shape = (num_rows,) + tuple(values.shape[1:])
    if values.shape[0] == 0:
        return xp.full(shape, identity, dtype=values.dtype, device=device(values))
    rows = xp.arange(num_rows, dtype=index.dtype, device=device(values))
    hit = xp.reshape(index[:, None] == rows[None, :], (values.shape[0], num_rows) + (1,) * (values.ndim - 1))
    spread = xp.where(hit, values[:, None, ...], xp.asarray(identity, dtype=values.dtype, device=device(values)))
    if reduce == "prod":
        return xp.prod(spread, axis=0, dtype=values.dtype)  # (the standard widens small integers)
    return xp.max(spread, axis=0) if reduce == "amax" else xp.min(spread, axis=0)
