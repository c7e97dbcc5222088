"""ndonnx arrays as ONNX graph pieces: symbolic inputs, the built model, and the helpers lowerings share.

A lowering (`ndonnx_lowering`) receives ndonnx arrays (a Function's inputs), emits ONNX operators with spox
on their variables, and hands back ndonnx arrays. Weights are ndonnx constants: their values can be read on
the host (to reorder gates, transpose a matrix once, or fold a BatchNorm) and written back as constants.
`argument` and `build` are what `anynn.onnx.export` asks the ndonnx backend for (its inputs, its model).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

Lowering = Callable[..., Any]  # lower(fn, xp, *arrays): a Function's ONNX operators, or NotImplemented


def ops() -> Any:
    """spox's operators of ONNX opset 21, the opset graphs are recorded in (`anynn.onnx` converts to older ones)."""
    import spox.opset.ai.onnx.v21 as opset

    return opset


def last(values: Any, n: int) -> list[Any]:
    """The last ``n`` entries of ``values`` (sizes, or (before, after) padding pairs) as a list: a layer's geometry
    has an entry per spatial axis, its 1-D form a leading one as well."""
    return list(values[len(values) - n:])


def argument(shape: tuple[int | str, ...], dtype: np.dtype) -> Any:
    """A symbolic graph input of ``shape`` (a string names a symbolic axis) and NumPy ``dtype``: no value."""
    import ndonnx

    return ndonnx.argument(shape=shape, dtype=ndonnx.from_numpy_dtype(np.dtype(dtype)))


def build(inputs: dict[str, Any], outputs: dict[str, Any]) -> Any:
    """The ONNX model (``onnx.ModelProto``) computing ``outputs`` from the symbolic ``inputs``, by name."""
    import ndonnx

    return ndonnx.build(inputs, outputs)


def var(array: Any) -> Any:
    """The spox variable behind an ndonnx array."""
    return array.unwrap_spox()


def wrap(variable: Any) -> Any:
    """An ndonnx array around a spox variable."""
    import ndonnx

    return ndonnx.asarray(variable)


def host(array: Any) -> Any:
    """The value of a constant ndonnx array (a weight: a NumPy array), or ``None`` for one recorded from an input."""
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


def static_shape(array: Any) -> tuple[Any, ...]:
    """``array.shape``: ints, ``None`` for a symbolic axis."""
    return tuple(array.shape)
