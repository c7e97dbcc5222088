"""Small helpers the lowerings share: ndonnx arrays <-> spox variables, host values, constants.

A lowering receives ndonnx arrays (the Function's inputs), emits ONNX operators with spox on their
variables, and hands back ndonnx arrays. Weights are ndonnx constants: their values can be read on the
host (to reorder gates, transpose a matrix once, or fold a BatchNorm) and written back as constants.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def var(array: Any) -> Any:
    """The spox variable behind an ndonnx array."""
    return array.unwrap_spox()


def wrap(variable: Any) -> Any:
    """An ndonnx array around a spox variable."""
    import ndonnx

    return ndonnx.asarray(variable)


def host(array: Any) -> np.ndarray | None:
    """The value of a constant ndonnx array (a weight), or ``None`` for one recorded from an input."""
    if array is None:
        return None
    try:
        return np.asarray(array.unwrap_numpy())
    except ValueError:
        return None


def const(value: Any, dtype: Any = None) -> Any:
    """A spox constant from host data."""
    import ndonnx

    return ndonnx.asarray(np.asarray(value, dtype=dtype)).unwrap_spox()


def np_dtype(array: Any) -> np.dtype:
    """The NumPy dtype of an ndonnx array."""
    return np.dtype(array.dtype.unwrap_numpy())


def static_shape(array: Any) -> tuple[int | None, ...]:
    """``array.shape``: ints, ``None`` for a symbolic axis."""
    return tuple(array.shape)
