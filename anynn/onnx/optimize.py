"""A small graph pass over the recorded model: constants out of the node list, then fold what is constant.

ndonnx records every step, including work that only depends on weights (a transposed matrix, a bias sum)
and guards for cases a fixed shape rules out (``If`` on an empty input). This pass, repeated until nothing
changes:

- turns ``Constant`` nodes into initializers,
- evaluates nodes whose inputs are all initializers (``onnx.reference``), and ``Shape``/``Size`` of
  arrays whose shape ONNX shape inference knows,
- inlines an ``If`` whose condition became a constant,
- drops ``Identity`` nodes, nodes nobody reads and optional outputs nobody reads,
- folds a per-channel ``Mul``/``Add`` (an eval-mode BatchNorm) into the ``Conv`` before it.
"""

from __future__ import annotations

import hashlib
from typing import Any

import numpy as np
import onnx
from onnx import helper, numpy_helper


def optimize(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model with constants folded and pass-through nodes removed (same outputs, same names)."""
    graph = model.graph
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), 21)
    for _ in range(50):
        changed = _constants_to_initializers(graph)
        changed |= _inline_constant_ifs(graph)
        changed |= _fold_constants(graph, opset)
        changed |= _fold_shapes(model)
        changed |= _remove_identities(graph)
        changed |= _fold_batch_norm(graph)
        changed |= _remove_same_shape_expands(model)
        changed |= _remove_dead(graph)
        if not changed:
            break
    _dedupe_initializers(graph)
    _share_transposed_copies(graph)
    _drop_unread_outputs(graph)
    return model


def _initializers(graph: Any) -> dict[str, Any]:
    return {t.name: t for t in graph.initializer}


def _constants_to_initializers(graph: Any) -> bool:
    changed = False
    for node in list(graph.node):
        if node.op_type == "Constant" and len(node.attribute) == 1 and node.attribute[0].name == "value":
            tensor = onnx.TensorProto()
            tensor.CopyFrom(node.attribute[0].t)
            tensor.name = node.output[0]
            graph.initializer.append(tensor)
            graph.node.remove(node)
            changed = True
    return changed


def _rename_input(graph: Any, old: str, new: str) -> None:
    """Every reader of ``old`` (in subgraphs too) reads ``new``; graph outputs keep their names."""
    _rename_inputs(graph, {old: new})


def _rename_inputs(graph: Any, renames: dict[str, str]) -> None:
    """Every reader of a key of ``renames`` (in subgraphs too) reads its value, in one walk over the graph (a
    rename per removed node walked the graph once each: quadratic in a large model's node count)."""
    for node in graph.node:
        for i, name in enumerate(node.input):
            if name in renames:
                node.input[i] = renames[name]
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                _rename_inputs(attribute.g, renames)


def _drop_nodes_writing(graph: Any, names: set[str]) -> None:
    """``graph.node`` without the nodes whose first output is in ``names``, rebuilt once (a remove each is a
    search each)."""
    kept = [node for node in graph.node if not (node.output and node.output[0] in names)]
    del graph.node[:]
    graph.node.extend(kept)


def _graph_outputs(graph: Any) -> set[str]:
    return {o.name for o in graph.output}


def _remove_identities(graph: Any) -> bool:
    outputs = _graph_outputs(graph)
    inputs = {i.name for i in graph.input}
    # an Identity inside the graph: its readers read its input (through chains of them), all in one walk
    aliases = {node.output[0]: node.input[0] for node in graph.node
               if node.op_type == "Identity" and node.output[0] not in outputs}
    if aliases:
        _drop_nodes_writing(graph, set(aliases))
        _rename_inputs(graph, {name: _resolve(name, aliases) for name in aliases})
    changed = bool(aliases)
    # an Identity that writes a graph output (a few): its producer, or the constant, takes the output's name
    for node in list(graph.node):
        if node.op_type != "Identity":
            continue
        source, target = node.input[0], node.output[0]
        if source in outputs or source in inputs:
            continue  # an output that is an input: the Identity must stay
        producer = next((n for n in graph.node if source in n.output), None)
        if producer is None:
            init = next((t for t in graph.initializer if t.name == source), None)
            if init is None:
                continue
            init.name = target  # the output is a constant: the initializer takes its name
        else:
            producer.output[list(producer.output).index(source)] = target
        _rename_input(graph, source, target)
        graph.node.remove(node)
        changed = True
    return changed


def _resolve(name: str, aliases: dict[str, str]) -> str:
    """The name at the end of a chain of aliases (``a -> b -> c``: ``c``)."""
    while name in aliases:
        name = aliases[name]
    return name


def _has_subgraph(node: Any) -> bool:
    return any(a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS) for a in node.attribute)


_RANDOM = ("RandomUniform", "RandomNormal", "RandomUniformLike", "RandomNormalLike", "Bernoulli", "Multinomial")


def _fold_constants(graph: Any, opset: int) -> bool:
    from onnx.reference import ReferenceEvaluator

    changed = False
    inits = _initializers(graph)
    for node in list(graph.node):
        if _has_subgraph(node) or node.op_type in ("Constant", *_RANDOM) or node.domain not in ("", "ai.onnx"):
            continue
        names = [n for n in node.input if n]
        if not all(n in inits for n in names):
            continue
        feeds = {n: numpy_helper.to_array(inits[n]) for n in names}
        try:
            results = ReferenceEvaluator(node, opsets={"": opset}).run(None, feeds)
        except Exception:  # noqa: BLE001 - an op the reference cannot fold stays in the graph
            continue
        for name, value in zip(node.output, results):
            if name:
                graph.initializer.append(numpy_helper.from_array(np.asarray(value), name))
                inits[name] = graph.initializer[-1]
        graph.node.remove(node)
        changed = True
    return changed


_WEIGHT_SIZE = 1024  # elements: an initializer this large is a weight, never a shape or an index list


def _infer_shapes(model: onnx.ModelProto) -> onnx.ModelProto:
    """ONNX shape inference on ``model`` with its weights as typed graph inputs instead of initializers.

    Inference reads a constant's values only where they are a shape, axes, pads or the like (a few elements);
    serializing the weights for each call (the optimizer infers once per round, a dozen rounds and more under
    symbolic sizes) cost most of an export of a large model (a UNet with 17 M weights: 65 of 100 s).
    """
    light = onnx.ModelProto()
    light.ir_version = model.ir_version
    light.opset_import.extend(model.opset_import)
    light.functions.extend(model.functions)
    graph, source = light.graph, model.graph
    graph.name = source.name
    graph.node.extend(source.node)
    graph.input.extend(source.input)
    graph.output.extend(source.output)
    graph.value_info.extend(source.value_info)
    given = {i.name for i in source.input}
    for tensor in source.initializer:
        if int(np.prod(tensor.dims)) <= _WEIGHT_SIZE:
            graph.initializer.append(tensor)
        elif tensor.name not in given:
            graph.input.append(helper.make_tensor_value_info(tensor.name, tensor.data_type, list(tensor.dims)))
    return onnx.shape_inference.infer_shapes(light)


def _fold_shapes(model: Any) -> bool:
    graph = model.graph
    if not any(n.op_type in ("Shape", "Size") for n in graph.node):
        return False
    try:
        inferred = _infer_shapes(model)
    except Exception:  # noqa: BLE001 - without shapes there is nothing to fold
        return False
    shapes: dict[str, list[int] | None] = {}
    for info in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        dims = info.type.tensor_type.shape.dim if info.type.tensor_type.HasField("shape") else None
        shapes[info.name] = None if dims is None or any(not d.HasField("dim_value") for d in dims) \
            else [d.dim_value for d in dims]
    for t in graph.initializer:
        shapes[t.name] = list(t.dims)
    changed = False
    for node in list(graph.node):
        if node.op_type not in ("Shape", "Size") or shapes.get(node.input[0]) is None:
            continue
        shape = shapes[node.input[0]]
        if node.op_type == "Size":
            value = np.asarray(int(np.prod(shape)), np.int64)
        else:
            attrs = {a.name: a.i for a in node.attribute}
            start, end = attrs.get("start", 0), attrs.get("end", len(shape))
            value = np.asarray(shape[slice(start, end)], np.int64)
        graph.initializer.append(numpy_helper.from_array(value, node.output[0]))
        graph.node.remove(node)
        changed = True
    return changed


def _dims(info: Any) -> tuple[Any, ...] | None:
    """A value's inferred shape: ints and symbolic names; ``None`` where some axis is not known."""
    if not info.type.tensor_type.HasField("shape"):
        return None
    dims = tuple(d.dim_value if d.HasField("dim_value") else d.dim_param if d.HasField("dim_param") else None
                 for d in info.type.tensor_type.shape.dim)
    return None if None in dims else dims


def _remove_same_shape_expands(model: Any) -> bool:
    """An ``Expand`` to its input's own shape (a constant, or ``Shape`` of a value of the same inferred shape, named
    symbolic axes included) is an ``Identity``: an in-place layer (``ReLU(inplace=True)``) records its write as one."""
    graph = model.graph
    if not any(n.op_type == "Expand" for n in graph.node):
        return False
    try:
        inferred = _infer_shapes(model)
    except Exception:  # noqa: BLE001 - without shapes nothing is removed
        return False
    shapes = {info.name: _dims(info) for info in list(inferred.graph.value_info) + list(inferred.graph.input)}
    inits = _initializers(graph)
    measured = {n.output[0]: shapes.get(n.input[0]) for n in graph.node
                if n.op_type == "Shape" and all(a.name == "start" and a.i == 0 for a in n.attribute)}
    changed = False
    for node in graph.node:
        if node.op_type != "Expand" or shapes.get(node.input[0]) is None:
            continue
        target = tuple(numpy_helper.to_array(inits[node.input[1]]).tolist()) if node.input[1] in inits \
            else measured.get(node.input[1])
        if target == shapes[node.input[0]]:
            node.op_type = "Identity"
            del node.input[1:]
            changed = True
    return changed


def _inline_constant_ifs(graph: Any) -> bool:
    changed = False
    inits = _initializers(graph)
    for node in list(graph.node):
        if node.op_type != "If" or node.input[0] not in inits:
            continue
        condition = bool(numpy_helper.to_array(inits[node.input[0]]))
        branch = next(a.g for a in node.attribute if a.name == ("then_branch" if condition else "else_branch"))
        position = list(graph.node).index(node)
        graph.node.remove(node)
        for offset, inner in enumerate(branch.node):
            graph.node.insert(position + offset, inner)
        graph.initializer.extend(branch.initializer)
        for outer, inner in zip(node.output, branch.output):
            graph.node.insert(position + len(branch.node), helper.make_node("Identity", [inner.name], [outer]))
        changed = True
    return changed


def _remove_dead(graph: Any) -> bool:
    needed = _graph_outputs(graph)
    keep = []
    for node in reversed(list(graph.node)):
        if any(o in needed for o in node.output):
            keep.append(node)
            needed.update(node.input)
            needed.update(_subgraph_reads(node))
    keep.reverse()
    changed = len(keep) != len(graph.node)
    if changed:
        del graph.node[:]
        graph.node.extend(keep)
    unused = [t for t in graph.initializer if t.name not in needed]
    for t in unused:
        graph.initializer.remove(t)
    return changed or bool(unused)


def _subgraph_reads(node: Any) -> set[str]:
    names: set[str] = set()
    for attribute in node.attribute:
        if attribute.type == onnx.AttributeProto.GRAPH:
            for inner in attribute.g.node:
                names.update(inner.input)
                names.update(_subgraph_reads(inner))
    return names


def _fold_batch_norm(graph: Any) -> bool:
    """``Conv(x, W, b) * a + c``, constant per-channel ``a``, ``c`` (an eval-mode BatchNorm) → ``Conv(x, W', b')``."""
    inits = _initializers(graph)
    readers: dict[str, int] = {}
    for node in graph.node:
        for name in node.input:
            readers[name] = readers.get(name, 0) + 1
    producers = {o: node for node in graph.node for o in node.output}
    outputs = _graph_outputs(graph)
    for node in list(graph.node):
        if node.op_type not in ("Mul", "Add") or node.input[0] not in producers or node.input[1] not in inits:
            continue
        conv = producers[node.input[0]]
        if conv.op_type != "Conv" or readers.get(conv.output[0]) != 1 or conv.output[0] in outputs:
            continue
        if not all(n in inits for n in conv.input[1:] if n):
            continue
        weight = numpy_helper.to_array(inits[conv.input[1]])
        channels = weight.shape[0]
        value = numpy_helper.to_array(inits[node.input[1]])
        if value.ndim != weight.ndim - 1 or value.shape[0] != channels or any(d != 1 for d in value.shape[1:]):
            continue  # only a per-output-channel constant folds
        value = value.reshape(channels)
        bias = numpy_helper.to_array(inits[conv.input[2]]) if len(conv.input) > 2 and conv.input[2] else \
            np.zeros(channels, weight.dtype)
        if node.op_type == "Mul":
            weight = weight * value.reshape((-1,) + (1,) * (weight.ndim - 1)).astype(weight.dtype)
            bias = bias * value
        else:
            bias = bias + value
        names = (node.output[0] + "_weight", node.output[0] + "_bias")
        graph.initializer.extend([numpy_helper.from_array(weight.astype(value.dtype), names[0]),
                                  numpy_helper.from_array(bias.astype(value.dtype), names[1])])
        del conv.input[1:]
        conv.input.extend(names)
        conv.output[0] = node.output[0]
        graph.node.remove(node)
        return True
    return False


# operators whose trailing outputs are optional (MaxPool's Indices, a recurrent layer's states...)
_OPTIONAL_OUTPUTS = {"MaxPool", "Dropout", "LSTM", "GRU", "RNN", "LayerNormalization", "BatchNormalization"}


def _drop_unread_outputs(graph: Any) -> None:
    """Unread optional outputs are removed: a MaxPool with an Indices output misses onnxruntime's fast kernel."""
    read = _graph_outputs(graph) | {name for node in graph.node for name in node.input}
    for node in graph.node:
        if node.op_type not in _OPTIONAL_OUTPUTS:
            continue
        names = list(node.output)
        while len(names) > 1 and names[-1] not in read:
            names.pop()
        names = [n if n in read or i == 0 else "" for i, n in enumerate(names)]
        del node.output[:]
        node.output.extend(names)


def _dedupe_initializers(graph: Any) -> None:
    """Identical constants are stored once: axes and shapes recorded many times, and weights of equal values (the
    zero shifts of batch norms folded into convolutions, the layers of a TransformerEncoder cloned from one)."""
    seen: dict[tuple[Any, ...], str] = {}
    outputs = _graph_outputs(graph)
    renames: dict[str, str] = {}
    kept = []
    for t in graph.initializer:
        key = (t.data_type, tuple(t.dims), hashlib.sha256(numpy_helper.to_array(t).tobytes()).digest())
        if t.name not in outputs and key in seen:
            renames[t.name] = seen[key]
            continue
        if t.name not in outputs:
            seen[key] = t.name
        kept.append(t)
    if renames:
        _rename_inputs(graph, renames)
        del graph.initializer[:]
        graph.initializer.extend(kept)


def _share_transposed_copies(graph: Any) -> None:
    """A matrix stored beside its own transpose (a tied weight: an embedding's table, and the output layer's
    transposed copy that a MatMul reads) is stored once; the copy becomes a ``Transpose`` node of it (after the
    folding, which would store it again; onnxruntime folds or fuses it into the MatMul when the session loads)."""
    matrices: dict[tuple[Any, ...], list[Any]] = {}
    for t in graph.initializer:
        if len(t.dims) == 2 and t.dims[0] != t.dims[1] and t.name not in _graph_outputs(graph):
            matrices.setdefault((t.data_type, tuple(sorted(t.dims))), []).append(t)
    for group in matrices.values():
        arrays = {t.name: numpy_helper.to_array(t) for t in group}
        for copy in group:
            original = next((t for t in group if t is not copy and t.name in arrays and copy.name in arrays
                             and tuple(t.dims) == tuple(reversed(copy.dims))
                             and np.array_equal(arrays[t.name].T, arrays[copy.name])), None)
            if original is None:
                continue
            graph.initializer.remove(copy)
            del arrays[copy.name]
            graph.node.insert(0, helper.make_node("Transpose", [original.name], [copy.name], perm=[1, 0]))

