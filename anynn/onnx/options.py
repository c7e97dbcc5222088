"""PyTorch's exporter options that change what the written graph holds: the weights as graph inputs
(``export_params=False``, ``keep_initializers_as_inputs=True``), and operators outside the standard ONNX domain
(``OperatorExportTypes``, custom symbolic functions and custom opsets). anynn records a model's own forward in
standard ONNX operators, so there is nothing for the latter to choose: the standard choice is taken, the others
are refused naming why."""

from __future__ import annotations

import enum
import warnings
from typing import Any

__all__ = ["OperatorExportTypes", "register_custom_op_symbolic", "unregister_custom_op_symbolic",
           "weights_as_inputs"]


class OperatorExportTypes(enum.IntEnum):
    """``torch.onnx.OperatorExportTypes``: ``ONNX`` (standard operators) is what anynn writes; the ATen
    fallbacks fall back to nothing (every layer anynn exports has its ONNX form), ``ONNX_ATEN`` is refused."""

    ONNX = 0
    ONNX_ATEN = 1
    ONNX_ATEN_FALLBACK = 2
    ONNX_FALLTHROUGH = 3


def register_custom_op_symbolic(symbolic_name: str, symbolic_fn: Any, opset_version: int) -> None:
    """``torch.onnx.register_custom_op_symbolic``: a UserWarning, nothing registered. anynn's export has no
    per-operator translations to replace (it records the forward itself); an operation it cannot record is refused
    at export naming the layer."""
    warnings.warn(f"anynn.onnx.register_custom_op_symbolic({symbolic_name!r}): anynn records the model's own forward "
                  f"in standard ONNX operators and uses no symbolic functions; nothing is registered", UserWarning,
                  stacklevel=2)


def unregister_custom_op_symbolic(symbolic_name: str, opset_version: int) -> None:
    """``torch.onnx.unregister_custom_op_symbolic``: nothing was registered (`register_custom_op_symbolic`)."""


def refuse_custom_operators(custom_opsets: Any, translations: Any, operator_export_type: Any) -> None:
    """Refuse the ``torch.onnx.export`` options asking for operators outside the standard ONNX domain."""
    if custom_opsets:
        raise ValueError(f"anynn.onnx.export: custom_opsets={custom_opsets!r}: anynn writes only the standard ONNX "
                         f"domain (no custom symbolic functions, so no operator of a custom domain to version)")
    if translations:
        raise ValueError("anynn.onnx.export: custom_translation_table is not supported: anynn records the model's "
                         "own forward in standard ONNX operators, with no per-operator translations to replace")
    if str(getattr(operator_export_type, "name", operator_export_type)).endswith("ONNX_ATEN"):
        raise ValueError("anynn.onnx.export: operator_export_type=ONNX_ATEN (ATen operators) is not supported: the "
                         "graph is written in standard ONNX operators")


_WEIGHT_TYPES = (1, 10, 11, 16)  # (onnx.TensorProto's FLOAT, FLOAT16, DOUBLE, BFLOAT16)


def weights_as_inputs(proto: Any, keep: bool, state: dict[str, Any] | None = None) -> None:
    """List the graph's initializers as graph inputs too, after the model's own, as PyTorch's exporter does:
    ``keep`` (``keep_initializers_as_inputs=True``) every initializer, its value kept (a default a feed may
    override); else (``export_params=False``) the floating-point ones (the weights; integer constants are the
    shapes and indices the graph computes with), their values left out of the file: a caller feeds them.
    ``state`` (the model's state_dict as host arrays): an initializer holding one of them as it is takes its name
    (``fc.weight``), as PyTorch's exporter names these inputs, so a caller feeds them by the model's names."""
    import onnx

    graph = proto.graph
    if state:
        _named_after_state(graph, state)
    listed = {i.name for i in graph.input}
    moved = [t for t in graph.initializer if t.name not in listed and (keep or t.data_type in _WEIGHT_TYPES)]
    graph.input.extend(onnx.helper.make_tensor_value_info(t.name, t.data_type, list(t.dims)) for t in moved)
    if not keep:
        kept = [t for t in graph.initializer if t.data_type not in _WEIGHT_TYPES]
        del graph.initializer[:]
        graph.initializer.extend(kept)


def _named_after_state(graph: Any, state: dict[str, Any]) -> None:
    """Rename each initializer whose value is that of a state entry (dtype, shape and bytes; the first name of
    equal ones) to that entry's name, where no other value of the graph has it."""
    from onnx import numpy_helper

    from .optimize import _rename_inputs

    names: dict[tuple[Any, ...], str] = {}
    for name, value in state.items():
        names.setdefault((value.dtype.str, value.shape, value.tobytes()), name)
    taken = {i.name for i in graph.input} | {o.name for o in graph.output} | {
        o for node in graph.node for o in node.output} | {t.name for t in graph.initializer}
    outputs = {o.name for o in graph.output}
    renames = {}
    for t in graph.initializer:
        value = numpy_helper.to_array(t)
        name = names.get((value.dtype.str, value.shape, value.tobytes()))
        if name is not None and name not in taken and t.name not in outputs:
            renames[t.name] = name
            t.name = name
            taken.add(name)
    _rename_inputs(graph, renames)
