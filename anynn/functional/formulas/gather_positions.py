"""Flat positions for PyTorch's gather / scatter addressing, and the zero padding of their gradients.

Shared by `anynn.functional.indexing` (gather, scatter) and `anynn.functional.scatter_reduce`: plain array
formulas in ``xp``.
"""

from __future__ import annotations

from typing import Any

from ...backend.arrays import device_of as device
from ...backend.typing import Namespace


def _dim_positions(xp: Namespace, index: Any, shape: tuple[int, ...], dim: int) -> Any:
    """Flat positions in an array of ``shape`` of the entries ``index`` names along ``dim`` (PyTorch's
    gather/scatter addressing: every other coordinate is the entry's own)."""
    if not shape:  # a 0-d array: one element, addressed along dim 0 as PyTorch's 0-d gather and scatter do
        return xp.astype(index, xp.int64)
    positions = None
    stride = 1
    for axis in reversed(range(len(shape))):
        if axis == dim:
            coord = xp.astype(index, xp.int64)
        else:
            extent = index.shape[axis]
            along = xp.arange(extent, dtype=xp.int64, device=device(index))
            coord = xp.reshape(along, tuple(extent if a == axis else 1 for a in range(index.ndim)))
        term = coord * stride
        positions = term if positions is None else positions + term
        stride *= shape[axis]
    return xp.broadcast_to(positions, tuple(index.shape))


def _zero_pad(xp: Namespace, g: Any, shape: tuple[int, ...]) -> Any:
    """``g`` extended with zeros at the end of each axis to ``shape``."""
    for axis, (have, want) in enumerate(zip(tuple(g.shape), shape)):
        if have < want:
            fill = tuple(want - have if a == axis else n for a, n in enumerate(g.shape))
            g = xp.concat([g, xp.zeros(fill, dtype=g.dtype, device=device(g))], axis=axis)
    return g
