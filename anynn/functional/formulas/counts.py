"""Element counts over axes that may be symbolic (``None`` in the shape: an ONNX export with ``dynamic_axes``).

A statistic divided by its count (an unbiased variance, batch norm's running variance) needs the count as a number;
over a symbolic axis there is none until the graph runs, so the count is read from the array itself: the sum of
ones over one lane of those axes, recorded like the rest of the math.
"""

from __future__ import annotations

from typing import Any

from ...backend.typing import Array, Namespace


def element_count(xp: Namespace, a: Array, axes: tuple[int, ...], dtype: Any = None) -> Any:
    """How many entries of ``a`` lie along ``axes`` (non-negative ints): an int where every one of those axes has a
    known size, else a 0-d array of ``dtype`` (default ``a``'s; the symbolic sizes read as the graph runs, times the
    known ones)."""
    known, symbolic = 1, []
    for axis in axes:
        if a.shape[axis] is None:
            symbolic.append(axis)
        else:
            known *= a.shape[axis]
    if not symbolic or known == 0:
        return known
    lane = a[tuple(slice(None) if axis in symbolic else 0 for axis in range(a.ndim))]
    return xp.sum(xp.ones_like(lane, dtype=dtype)) * known
