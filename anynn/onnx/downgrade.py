"""The recorded opset-21 graph written in an older opset (``export(opset_version=7..20)``).

``onnx.version_converter`` does most of it, but stops or leaves attributes the older opset has not got where the
recorded graph uses what only newer opsets allow: ``ReduceMax``/``ReduceMin`` of booleans (opset 20 on: ndonnx's
``any``/``all``), ``BitwiseXor``/``BitwiseAnd``/``BitwiseOr``/``BitwiseNot`` of booleans (opset 18; the logical
operators are the same there; of integers they are refused naming the operator, as PyTorch's exporter refuses
them), ``Cast``'s ``saturate`` (opset 19 on, for float8 only) and the reductions' ``noop_with_empty_axes``
(opset 18 on, ``ReduceSum``'s from 13). Below 17 ``LayerNormalization`` is written as its formula, below 13 a
softmax over another axis than the last is moved there, and operators whose older versions differ only in the
element types they take are kept from the converter, which has no adapter back for several of them.
`convert` rewrites those around the converter.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import onnx
from onnx import helper

_LOGICAL = {"BitwiseXor": "Xor", "BitwiseAnd": "And", "BitwiseOr": "Or", "BitwiseNot": "Not"}
_BITWISE = {"BitwiseXor": "bitwise_xor (x ^ y)", "BitwiseAnd": "bitwise_and (x & y)",
            "BitwiseOr": "bitwise_or (x | y)", "BitwiseNot": "bitwise_not (~x)"}
_REDUCTIONS_WITH_NOOP = ("ReduceMax", "ReduceMin", "ReduceProd", "ReduceMean", "ReduceL1", "ReduceL2",
                         "ReduceLogSum", "ReduceLogSumExp", "ReduceSumSquare")


def convert(model: onnx.ModelProto, opset: int) -> onnx.ModelProto:
    """``model`` (opset 21) in ``opset`` (7 to 20)."""
    if any(n.op_type in ("ReduceMax", "ReduceMin", *_LOGICAL) for n in _all_nodes(model.graph)):
        model = onnx.shape_inference.infer_shapes(model)  # (the element types of the values those nodes read)
        types: dict[str, int] = {}
        _element_types(model.graph, types)
        _before(model.graph, opset, types)
    if opset < 13:  # (first: shape inference reads the ranks, which it cannot past the nodes kept from it below)
        _softmax_on_the_last_axis(model)
    if opset < 17:
        _layer_norms(model.graph)
        if any(n.domain == _KEPT for n in _all_nodes(model.graph)):
            model.opset_import.append(helper.make_opsetid(_KEPT, 1))
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


# operators whose versions since ``opset`` (its key) differ only in the element types they take (bfloat16, int8...,
# none of which anynn records below opset 17) or, for Reshape, an ``allowzero`` attribute left at 0: the converter has
# no adapter for some of those steps (Reshape 14 -> 13, Mul 14 -> 13, Transpose 13 -> 12: an opset_version 11 or 13
# export of a CNN or an LSTM fell back to opset 17)
_SAME_SINCE = {"Reshape": 5, "Mul": 7, "Add": 7, "Sub": 7, "Div": 7, "Relu": 6, "Transpose": 1, "Sigmoid": 6,
               "Tanh": 6, "Exp": 6, "Log": 6, "Sqrt": 6, "Neg": 6, "Abs": 6, "Reciprocal": 6, "Floor": 6, "Ceil": 6,
               "Tile": 6, "Erf": 9, "MatMul": 9, "Where": 9, "Expand": 8, "Gather": 11, "Identity": 1, "Cast": 9,
               "Gemm": 11, "Slice": 11, "Concat": 11}


def _keep_as_they_are(model: onnx.ModelProto, opset: int) -> None:
    """Hide from the converter the nodes that mean the same in ``opset`` but that it has no adapter for: ``Pad``
    without its opset-18 ``axes`` input (the converter stops at 18 -> 17), the operators of `_SAME_SINCE`. Pad's
    ``wrap`` mode (circular padding) is opset 19's: refused before it."""
    hidden = False
    for node in _all_nodes(model.graph):
        if node.op_type in _SAME_SINCE and node.domain == "" and opset >= _SAME_SINCE[node.op_type]:
            allowzero = [a for a in node.attribute if a.name == "allowzero"]
            if not any(a.i for a in allowzero):
                for a in allowzero:
                    node.attribute.remove(a)
                node.domain, hidden = _KEPT, True
            continue
        if node.op_type != "Pad":
            continue
        mode = next((a.s.decode() for a in node.attribute if a.name == "mode"), "constant")
        if mode == "wrap" and opset < 19:
            raise ValueError(f"circular padding is ONNX Pad's 'wrap' mode, which opset {opset} has not got "
                             f"(opset 19 on): export with opset_version >= 19")
        if opset < 18 and not (len(node.input) > 3 and node.input[3]):
            node.domain, hidden = _KEPT, True
    if hidden and all(o.domain != _KEPT for o in model.opset_import):
        model.opset_import.append(helper.make_opsetid(_KEPT, 1))


def _layer_norms(graph: Any) -> None:
    """``LayerNormalization`` (opset 17 on) as the operators it stands for, the way PyTorch's exporter writes
    ``layer_norm`` below 17: ``(x - mean) / sqrt(var + eps) * scale + bias`` over the axes from ``axis`` on (a negative
    ``axis``: anynn records it so; a node giving its mean or deviation as well, or with a positive axis, is left to
    the converter, which keeps the graph in opset 17). In subgraphs too."""
    nodes: list[Any] = []
    for node in graph.node:
        for sub in _subgraphs(node):
            _layer_norms(sub)
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        axis = attributes.get("axis", -1)
        if node.op_type != "LayerNormalization" or node.domain or axis >= 0 or any(node.output[1:]):
            nodes.append(node)
            continue
        x, scale = node.input[0], node.input[1]
        bias = node.input[2] if len(node.input) > 2 and node.input[2] else None
        out = node.output[0]
        name = {part: f"{out}__ln_{part}" for part in ("eps", "mean", "centered", "squares", "var", "var_eps", "std",
                                                       "normed", "scaled")}.__getitem__
        graph.initializer.append(onnx.numpy_helper.from_array(
            np.array(attributes.get("epsilon", 1e-5), np.float32), name("eps")))
        # (ReduceMean with its axes as the attribute every opset before 18 reads, kept from the converter, which has
        # no adapter below 13)
        axes = list(range(axis, 0))
        nodes += [helper.make_node("ReduceMean", [x], [name("mean")], axes=axes, keepdims=1, domain=_KEPT),
                  helper.make_node("Sub", [x, name("mean")], [name("centered")]),
                  helper.make_node("Mul", [name("centered"), name("centered")], [name("squares")]),
                  helper.make_node("ReduceMean", [name("squares")], [name("var")], axes=axes, keepdims=1,
                                   domain=_KEPT),
                  helper.make_node("Add", [name("var"), name("eps")], [name("var_eps")]),
                  helper.make_node("Sqrt", [name("var_eps")], [name("std")]),
                  helper.make_node("Div", [name("centered"), name("std")], [name("normed")]),
                  helper.make_node("Mul", [name("normed"), scale], [name("scaled") if bias else out])]
        if bias:
            nodes.append(helper.make_node("Add", [name("scaled"), bias], [out]))
    del graph.node[:]
    graph.node.extend(nodes)


_SOFTMAXES = ("Softmax", "LogSoftmax", "Hardmax")


def _softmax_on_the_last_axis(model: onnx.ModelProto) -> None:
    """Before opset 13, ``Softmax`` (``LogSoftmax``, ``Hardmax``) normalizes over all the axes from ``axis`` on,
    flattened, and the converter keeps the axis as it is: a softmax over another axis than the last (``Softmax2d``,
    ``softmax(x, dim=1)``) gave other values. It is moved to the last axis and back with Transposes, as PyTorch's
    exporter writes it there. An input of unknown rank raises ValueError (the graph stays in opset 17)."""
    if not any(n.op_type in _SOFTMAXES for n in _all_nodes(model.graph)):
        return
    ranks: dict[str, int] = {}
    for info in (*(inferred := onnx.shape_inference.infer_shapes(model)).graph.input, *inferred.graph.value_info,
                 *inferred.graph.output):
        if info.type.HasField("tensor_type") and info.type.tensor_type.HasField("shape"):
            ranks[info.name] = len(info.type.tensor_type.shape.dim)
    _move_softmax_axes(model.graph, ranks)


def _move_softmax_axes(graph: Any, ranks: dict[str, int]) -> None:
    nodes: list[Any] = []
    for node in graph.node:
        for sub in _subgraphs(node):
            _move_softmax_axes(sub, ranks)
        if node.op_type not in _SOFTMAXES or node.domain:
            nodes.append(node)
            continue
        rank = ranks.get(node.input[0])
        axis = next((a.i for a in node.attribute if a.name == "axis"), -1)
        if rank is None:
            raise ValueError(f"{node.op_type} over axis {axis} of a value of unknown rank: opsets before 13 normalize "
                             f"over the axes from it on, flattened")
        axis %= rank
        if axis == rank - 1:
            nodes.append(node)
            continue
        perm = list(range(rank))
        perm[axis], perm[-1] = perm[-1], perm[axis]
        moved, result = f"{node.output[0]}__last_in", f"{node.output[0]}__last_out"
        nodes.append(helper.make_node("Transpose", [node.input[0]], [moved], perm=perm))
        nodes.append(helper.make_node(node.op_type, [moved], [result], axis=-1))
        nodes.append(helper.make_node("Transpose", [result], [node.output[0]], perm=perm))
    del graph.node[:]
    graph.node.extend(nodes)


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
        if (node.op_type in _REDUCTIONS_WITH_NOOP and opset < 18) or (node.op_type == "ReduceSum" and opset < 13):
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
