"""Sliding windows without ``sliding_window_view``/``as_strided``: stacked strided slices."""

from __future__ import annotations

from ..typing import Array, Namespace


def sliding_window_view(xp: Namespace, x: Array, window_shape: tuple[int, ...], axis: tuple[int, ...]) -> Array:
    """Windows of ``x`` along ``axis`` appended as trailing dimensions, built from strided slices."""
    for size, ax in zip(window_shape, axis):
        ax = ax % x.ndim
        length = x.shape[ax] - size + 1
        slices = []
        for offset in range(size):
            index = [slice(None)] * x.ndim
            index[ax] = slice(offset, offset + length)
            slices.append(x[tuple(index)])
        x = xp.stack(slices, axis=-1)
    return x
