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


def propagate_constants_without_a_session() -> None:
    """Have spox read a Constant node's value from the node instead of running it in onnxruntime.

    ndonnx has spox propagate every node's value through a one-node onnxruntime session: recording a model makes
    a Constant per weight, slice bound and shape, and the sessions were most of an export's time (4,240 of the
    5,900 of a small recurrent model, about 3 ms each). The value is the node's ``value`` tensor, as onnxruntime
    hands it back; other nodes, and constants of other kinds or dtypes, keep spox's own propagation.

    It reads spox's private names (spox 0.18): where a release lacks one, spox is left as it is (slower, same
    graph), and a constant this path cannot read goes to spox's own propagation as well.
    """
    try:
        import spox._value_prop as value_prop
        from onnx import numpy_helper
        from spox._type_system import Type

        infer = value_prop.infer
        onnxruntime_backend = value_prop.ValuePropBackend.ONNXRUNTIME
        from_ort_value, from_onnx = value_prop.PropValue.from_ort_value, Type._from_onnx
        value_prop._VALUE_PROP_BACKEND  # noqa: B018 - read now: present in this release
    except (ImportError, AttributeError):
        return
    if getattr(infer, "reads_constants", False):
        return

    def infer_reading_constants(model: Any, input_feed: Any) -> Any:
        nodes, outputs = model.graph.node, model.graph.output
        if (len(nodes) == 1 and nodes[0].op_type == "Constant" and len(outputs) == 1
                and [a.name for a in nodes[0].attribute] == ["value"]
                and getattr(value_prop, "_VALUE_PROP_BACKEND", None) == onnxruntime_backend):
            try:
                value = numpy_helper.to_array(nodes[0].attribute[0].t)
                if value.dtype.kind in "biufc":
                    return {outputs[0].name: from_ort_value(from_onnx(outputs[0].type), value)}
            except Exception:  # noqa: BLE001 - anything this shortcut cannot read, spox's own path reads
                pass
        return infer(model, input_feed)

    infer_reading_constants.reads_constants = True  # type: ignore[attr-defined]
    value_prop.infer = infer_reading_constants
