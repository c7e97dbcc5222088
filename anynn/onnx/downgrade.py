"""The recorded opset-21 graph written in an older opset (``export(opset_version=17..20)``).

``onnx.version_converter`` does most of it, but stops or leaves attributes the older opset has not got where the
recorded graph uses what only newer opsets allow: ``ReduceMax``/``ReduceMin`` of booleans (opset 20 on: ndonnx's
``any``/``all``), ``BitwiseXor``/``BitwiseAnd``/``BitwiseOr``/``BitwiseNot`` of booleans (opset 18; the logical
operators are the same there; of integers they are refused naming the operator, as PyTorch's exporter refuses
them), ``Cast``'s ``saturate`` (opset 19 on, for float8 only) and the reductions' ``noop_with_empty_axes``
(opset 18 on, ``ReduceSum`` aside). `convert` rewrites those around the converter.
"""

from __future__ import annotations

from typing import Any

import onnx
from onnx import helper

_LOGICAL = {"BitwiseXor": "Xor", "BitwiseAnd": "And", "BitwiseOr": "Or", "BitwiseNot": "Not"}
_BITWISE = {"BitwiseXor": "bitwise_xor (x ^ y)", "BitwiseAnd": "bitwise_and (x & y)",
            "BitwiseOr": "bitwise_or (x | y)", "BitwiseNot": "bitwise_not (~x)"}
_REDUCTIONS_WITH_NOOP = ("ReduceMax", "ReduceMin", "ReduceProd", "ReduceMean", "ReduceL1", "ReduceL2",
                         "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")


def convert(model: onnx.ModelProto, opset: int) -> onnx.ModelProto:
    """``model`` (opset 21) in ``opset`` (17 to 20)."""
    if any(n.op_type in ("ReduceMax", "ReduceMin", *_LOGICAL) for n in _all_nodes(model.graph)):
        model = onnx.shape_inference.infer_shapes(model)  # (the element types of the values those nodes read)
        types: dict[str, int] = {}
        _element_types(model.graph, types)
        _before(model.graph, opset, types)
    _keep_as_they_are(model, opset)
    converted = onnx.version_converter.convert_version(model, opset)
    for node in _all_nodes(converted.graph):
        if node.domain == _KEPT:
            node.domain = ""
    imports = [o for o in converted.opset_import if o.domain != _KEPT]
    del converted.opset_import[:]
    converted.opset_import.extend(imports)
    _after(converted, opset)
    return converted


_KEPT = "anynn.kept"


def _keep_as_they_are(model: onnx.ModelProto, opset: int) -> None:
    """Hide from the converter the nodes that mean the same in ``opset`` but that it has no adapter for: ``Pad``
    without its opset-18 ``axes`` input (the converter stops at 18 -> 17). Pad's ``wrap`` mode (circular padding)
    is opset 19's: refused before it."""
    hidden = False
    for node in _all_nodes(model.graph):
        if node.op_type != "Pad":
            continue
        mode = next((a.s.decode() for a in node.attribute if a.name == "mode"), "constant")
        if mode == "wrap" and opset < 19:
            raise ValueError(f"circular padding is ONNX Pad's 'wrap' mode, which opset {opset} has not got "
                             f"(opset 19 on): export with opset_version >= 19")
        if opset < 18 and not (len(node.input) > 3 and node.input[3]):
            node.domain, hidden = _KEPT, True
    if hidden:
        model.opset_import.append(helper.make_opsetid(_KEPT, 1))


def _element_types(graph: Any, types: dict[str, int]) -> None:
    """Each value's element type, as ONNX shape inference found it, subgraphs included."""
    types.update({t.name: t.data_type for t in graph.initializer})
    for info in (*graph.input, *graph.value_info, *graph.output):
        if info.type.HasField("tensor_type"):
            types[info.name] = info.type.tensor_type.elem_type
    for node in graph.node:
        for sub in _subgraphs(node):
            _element_types(sub, types)


def _before(graph: Any, opset: int, types: dict[str, int]) -> None:
    """Boolean reductions as int32 ones (before opset 20); bitwise operators of booleans as logical ones and the
    sign test ``(a ^ b) < 0`` of integers (ndonnx's floor division) as ``(a < 0) xor (b < 0)`` (before opset 18);
    in subgraphs too."""
    if opset < 18:
        _sign_tests(graph, types)
    nodes: list[Any] = []
    for node in graph.node:
        for sub in _subgraphs(node):
            _before(sub, opset, types)
        boolean = bool(node.input) and types.get(node.input[0]) == onnx.TensorProto.BOOL
        if node.op_type in _LOGICAL and opset < 18:
            if not boolean:  # (PyTorch's exporter refuses them there too)
                raise ValueError(f"{_BITWISE[node.op_type]} of integers is ONNX {node.op_type}, which opset {opset} "
                                 f"has not got (opset 18 on): export with opset_version >= 18")
            node.op_type = _LOGICAL[node.op_type]
        if boolean and node.op_type in ("ReduceMax", "ReduceMin") and opset < 20:
            as_int, reduced, out = f"{node.output[0]}__int32_in", f"{node.output[0]}__int32_out", node.output[0]
            nodes.append(helper.make_node("Cast", [node.input[0]], [as_int], to=onnx.TensorProto.INT32))
            node.input[0], node.output[0] = as_int, reduced
            nodes.append(node)
            nodes.append(helper.make_node("Cast", [reduced], [out], to=onnx.TensorProto.BOOL))
            continue
        nodes.append(node)
    del graph.node[:]
    graph.node.extend(nodes)


def _sign_tests(graph: Any, types: dict[str, int]) -> None:
    """``Less(BitwiseXor(a, b), 0)`` of integers, whose xor nothing else reads, as ``Xor(Less(a, 0), Less(b, 0))``."""
    zeros = {t.name for t in graph.initializer if onnx.numpy_helper.to_array(t).ndim == 0
             and onnx.numpy_helper.to_array(t) == 0}
    readers: dict[str, list[Any]] = {}
    for node in graph.node:
        for name in node.input:
            readers.setdefault(name, []).append(node)
    for node in list(graph.node):
        if node.op_type != "BitwiseXor" or types.get(node.input[0]) == onnx.TensorProto.BOOL:
            continue
        tests = readers.get(node.output[0], [])
        if not tests or any(t.op_type != "Less" or t.input[0] != node.output[0] or t.input[1] not in zeros
                            for t in tests):
            continue
        signs = []
        for k, name in enumerate(node.input):
            zero = f"{node.output[0]}__zero{k}"
            graph.initializer.append(onnx.numpy_helper.from_array(
                onnx.numpy_helper.to_array(next(t for t in graph.initializer if t.name == tests[0].input[1]))
                .astype(onnx.helper.tensor_dtype_to_np_dtype(types.get(name, onnx.TensorProto.INT64))), zero))
            signs.append(helper.make_node("Less", [name, zero], [f"{node.output[0]}__negative{k}"]))
        position = list(graph.node).index(node)
        graph.node.remove(node)
        for k, sign in enumerate(signs):
            graph.node.insert(position + k, sign)
        for test in tests:
            test.op_type = "Xor"
            test.input[0], test.input[1] = signs[0].output[0], signs[1].output[0]


def _subgraphs(node: Any) -> list[Any]:
    subs = []
    for attribute in node.attribute:
        if attribute.type == onnx.AttributeProto.GRAPH:
            subs.append(attribute.g)
        elif attribute.type == onnx.AttributeProto.GRAPHS:
            subs.extend(attribute.graphs)
    return subs


def _after(model: onnx.ModelProto, opset: int) -> None:
    """Attributes the older opset has not got, at their default (no effect) values, dropped."""
    for node in _all_nodes(model.graph):
        drop = []
        if node.op_type == "Cast" and opset < 19:
            drop.append("saturate")
        if node.op_type in _REDUCTIONS_WITH_NOOP and opset < 18:
            drop.append("noop_with_empty_axes")
        for attribute in list(node.attribute):
            if attribute.name in drop and attribute.i == (1 if attribute.name == "saturate" else 0):
                node.attribute.remove(attribute)


def _all_nodes(graph: Any) -> list[Any]:
    nodes = []
    for node in graph.node:
        nodes.append(node)
        for sub in _subgraphs(node):
            nodes.extend(_all_nodes(sub))
    return nodes
