"""``dynamic_shapes`` (PyTorch's dynamo exporter's spelling of symbolic axes) read as ``dynamic_axes``.

``torch.onnx.export(model, (x,), path, dynamic_shapes={"x": {0: Dim("batch")}})``: keyed by the forward's parameter
names (or a tuple in the order of ``args``), each input's axes as a dict ``{axis: Dim | str | Dim.AUTO | None}`` or a
sequence with one entry per axis; a tuple input (an LSTM's ``(h, c)``) a tuple of those. They become the graph's
symbolic axes, named as the `Dim` (or string) names them.
"""

from __future__ import annotations

import inspect
import numbers
from typing import Any

__all__ = ["axes_from_shapes"]


def axes_from_shapes(model: Any, given: list[Any], names: list[str], dynamic_shapes: Any) -> dict[str, dict[int, str]]:
    """``dynamic_axes`` (input name -> {axis: label}) of ``dynamic_shapes`` for the forward's arguments ``given``
    (whose tensor leaves, in order, are the graph's inputs ``names``)."""
    specs = _by_position(model, len(given), dynamic_shapes)
    axes: dict[str, dict[int, str]] = {}
    leaf = iter(names)

    def walk(value: Any, spec: Any, where: str) -> None:
        if value is None:
            return
        if isinstance(value, (tuple, list)) and not _is_array_like_list(value):
            if spec is not None and (not isinstance(spec, (tuple, list)) or len(spec) != len(value)):
                raise ValueError(f"anynn.onnx.export: dynamic_shapes for {where} (a {type(value).__name__} of "
                                 f"{len(value)}) should be a tuple of {len(value)} entries, one per item, got {spec!r}")
            for k, item in enumerate(value):
                walk(item, None if spec is None else spec[k], f"{where}[{k}]")
            return
        name = next(leaf)
        labels = _labels(spec, name, where)
        if labels:
            axes[name] = labels

    for position, (value, spec) in enumerate(zip(given, specs)):
        walk(value, spec, f"argument {position}")
    return axes


def _is_array_like_list(value: Any) -> bool:
    """A list of numbers (one input, an array; `export._layout` reads it so)."""
    return isinstance(value, list) and all(isinstance(v, numbers.Number) for v in value)


def _by_position(model: Any, count: int, dynamic_shapes: Any) -> list[Any]:
    """The spec of each of the ``count`` positional arguments (None: all axes static)."""
    if isinstance(dynamic_shapes, (tuple, list)):
        if len(dynamic_shapes) != count:
            raise ValueError(f"anynn.onnx.export: dynamic_shapes has {len(dynamic_shapes)} entries for the "
                             f"{count} arguments in args; give one per argument (None for one with static shapes)")
        return list(dynamic_shapes)
    if not isinstance(dynamic_shapes, dict):
        raise TypeError(f"anynn.onnx.export: dynamic_shapes should be a dict keyed by the forward's parameter names "
                        f"or a tuple with one entry per argument, got {type(dynamic_shapes).__name__}")
    parameters = [p for p in inspect.signature(model.forward).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    known = [p.name for p in parameters]
    unknown = sorted(set(dynamic_shapes) - set(known[:count]))
    if unknown:
        raise ValueError(f"anynn.onnx.export: dynamic_shapes names {unknown}, which are not among the forward's "
                         f"parameters given in args ({known[:count]})")
    return [dynamic_shapes.get(name) for name in known[:count]] + [None] * (count - len(known[:count]))


def _labels(spec: Any, name: str, where: str) -> dict[int, str]:
    """``{axis: label}`` of one input's spec: a dict of axis -> dimension, or one dimension per axis."""
    if spec is None:
        return {}
    if isinstance(spec, dict):
        items = list(spec.items())
    elif isinstance(spec, (tuple, list)):
        items = list(enumerate(spec))
    else:
        raise TypeError(f"anynn.onnx.export: dynamic_shapes for {where} should be a dict of axis -> Dim (or name), "
                        f"or one entry per axis, got {spec!r}")
    labels = {}
    for axis, dim in items:
        if not isinstance(axis, numbers.Integral) or isinstance(axis, bool):
            raise TypeError(f"anynn.onnx.export: dynamic_shapes for {where}: axis {axis!r} should be an int")
        label = _label(dim, name, int(axis), where)
        if label is not None:
            labels[int(axis)] = label
    return labels


def _label(dim: Any, name: str, axis: int, where: str) -> str | None:
    """The symbolic axis's name for one dimension's spec; None for a static one."""
    hint = None
    if type(dim).__name__ in ("DimHint", "_DimHint"):  # anynn's (its name) or PyTorch's (its type's name)
        hint = getattr(dim, "name", None) or getattr(getattr(dim, "type", None), "name", None)
    if dim is None or hint == "STATIC":
        return None
    if hint in ("AUTO", "DYNAMIC"):
        return f"{name}_dynamic_axes_{axis + 1}"
    if isinstance(dim, str):
        return dim
    label = getattr(dim, "__name__", None)
    if isinstance(label, str):  # a Dim (anynn's or PyTorch's torch.export.Dim)
        return label
    raise TypeError(f"anynn.onnx.export: dynamic_shapes for {where} axis {axis}: expected a Dim, a name, "
                    f"Dim.AUTO / Dim.DYNAMIC / Dim.STATIC or None, got {dim!r}")

