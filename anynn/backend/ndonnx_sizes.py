"""Symbolic sizes on the ndonnx backend: `SymInt`s read from a recorded array, and the namespace functions that
take them (``arange``, ``zeros``/``ones``/``empty``/``full``, ``reshape``, ``broadcast_to``, slicing).

A `SymInt` holds a 0-d int64 ndonnx array (ONNX ``Shape`` and ``Gather`` of its axis). A shape holding one
becomes a 1-D int64 array (``Concat`` of the sizes) for ``Reshape``/``Expand``/``ConstantOfShape``; ndonnx then
forgets every static size of the result, so a second ``Reshape`` to the known sizes (``0`` keeps an axis as it is,
ONNX's ``allowzero=0``) gives them back to the layers after it (a Linear needs its in_features). A reshape whose
symbolic sizes are those of the input's same axes is one ``Reshape`` to ``0`` there (the axis names kept).
"""

from __future__ import annotations

import math
import weakref
from typing import Any

import numpy as np

from .symbolic import SymInt, is_symbolic


def symbolic_shape(array: Any, hints: dict[str, int]) -> tuple[Any, ...]:
    """``array.shape`` with a `SymInt` for each symbolic axis: named by the graph's axis name where it has one
    (``"T"``, as in ``dynamic_axes``), with the example's size for that name from ``hints``."""
    names = _axis_names(array)
    dynamic = None
    out: list[Any] = []
    for axis, n in enumerate(array.shape):
        if n is not None:
            out.append(n)
            continue
        if dynamic is None:
            dynamic = array.dynamic_shape
        name = names[axis] if isinstance(names[axis], str) else None
        out.append(SymInt(dynamic[axis], name or f"<size of axis {axis}>", hints.get(name) if name else None,
                          origin=(weakref.ref(array), axis)))
    return tuple(out)


def _axis_names(array: Any) -> tuple[Any, ...]:
    try:
        return tuple(array.unwrap_spox().type.unwrap_tensor().shape)
    except Exception:  # noqa: BLE001 - an ndonnx dtype with no single ONNX tensor: no names
        return (None,) * array.ndim


def has_symbolic(values: Any) -> bool:
    """Whether the shape ``values`` (a tuple, or a single size) holds a `SymInt`."""
    if isinstance(values, (tuple, list)):
        return any(is_symbolic(v) for v in values)
    return is_symbolic(values)


def shape_array(ndonnx: Any, shape: Any) -> Any:
    """The 1-D int64 ndonnx array of ``shape`` (ints and `SymInt`s)."""
    parts = [ndonnx.reshape(v.array, (1,)) if is_symbolic(v) else ndonnx.asarray(np.array([v], np.int64))
             for v in shape]
    return ndonnx.concat(parts) if parts else ndonnx.asarray(np.zeros(0, np.int64))


def with_sizes(result: Any, shape: Any) -> Any:
    """``result`` with the static sizes of ``shape`` (ints; `SymInt`s or None where unknown) known again: a Reshape
    keeping the other axes as they are (ONNX's 0)."""
    known = [isinstance(v, int) and not is_symbolic(v) for v in shape]
    if len(shape) != result.ndim or not any(known) or all(
            k == (n is not None) for k, n in zip(known, result.shape)):
        return result
    return _reshape(result, [int(v) if k else 0 for v, k in zip(shape, known)])


def _reshape(x: Any, target: list[int]) -> Any:
    import spox.opset.ai.onnx.v21 as op

    from .ndonnx_graph import const, var, wrap

    return wrap(op.reshape(var(x), const(target, np.int64), allowzero=0))


def same_symbolic_axis(shape: tuple[Any, ...], target: tuple[Any, ...]) -> bool:
    """Whether the one ``None`` of ``target`` is the one symbolic axis of ``shape``, at the same position, with the
    same product of the known sizes (``(None, 3, 4)`` to ``(None, 12)``, a Flatten): then it is that axis' size, ONNX
    Reshape's 0, which keeps the axis' name for the layers after it and the graph's output."""
    axis = target.index(None)
    if shape.count(None) != 1 or axis >= len(shape) or shape[axis] is not None:
        return False
    return math.prod(n for n in shape if n is not None) == math.prod(n for n in target if n is not None)


def reshape_keeping(x: Any, target: list[int]) -> Any:
    """``x`` reshaped to ``target``, where 0 keeps the input's axis at that position (its size and its name)."""
    return _reshape(x, target)


def reshape(ndonnx: Any, x: Any, shape: tuple[Any, ...]) -> Any:
    """``x`` reshaped to ``shape`` holding `SymInt`s (and ints, at most one -1)."""
    names = _axis_names(x)
    target: list[Any] = []
    for axis, v in enumerate(shape):  # a symbolic size that is the input's own axis here: ONNX's 0 keeps it
        same = is_symbolic(v) and axis < len(names) and (isinstance(names[axis], str) and v.expr == names[axis] or (
            v.origin is not None and v.origin[0]() is x and v.origin[1] == axis))
        target.append(0 if same else v)
    unknown = [v for v in target if is_symbolic(v)]
    if not unknown:
        return _reshape(x, [int(v) for v in target])
    if len(unknown) == 1 and -1 not in target:
        return _reshape(x, [-1 if is_symbolic(v) else int(v) for v in target])
    return with_sizes(ndonnx.reshape(x, shape_array(ndonnx, shape)), shape)


def broadcast_to(ndonnx: Any, x: Any, shape: tuple[Any, ...]) -> Any:
    """``x`` broadcast to ``shape`` holding `SymInt`s (and -1: keep the axis of ``x`` there)."""
    lead = len(shape) - x.ndim
    sizes = [1 if v == -1 and not is_symbolic(v) and i >= lead else v for i, v in enumerate(shape)]
    return with_sizes(ndonnx.broadcast_to(x, shape_array(ndonnx, sizes)),
                      [x.shape[i - lead] if not is_symbolic(v) and v == -1 and x.shape[i - lead] is not None else v
                       for i, v in enumerate(shape)])


def tile(x: Any, repetitions: tuple[Any, ...]) -> Any:
    """``x`` (of as many axes as ``repetitions``) tiled ``repetitions`` times, `SymInt`s among them: ONNX ``Tile``."""
    import ndonnx
    import spox.opset.ai.onnx.v21 as op

    from .ndonnx_graph import var, wrap

    if len(repetitions) != x.ndim:
        raise ValueError(f"tile: {len(repetitions)} repetitions for an array of shape {x.shape}")
    out = wrap(op.tile(var(x), var(shape_array(ndonnx, repetitions))))
    return with_sizes(out, [n * r if isinstance(n, int) and isinstance(r, int) else None
                            for n, r in zip(x.shape, repetitions)])


def full(ndonnx: Any, shape: Any, fill_value: Any, dtype: Any = None, device: Any = None) -> Any:
    """``fill_value`` in ``shape`` holding `SymInt`s (``zeros``, ``ones``, ``empty``, ``full``); ``fill_value`` may be
    one too (``full((n,), x.size(1))``)."""
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)
    value = ndonnx.astype(fill_value.array, dtype or ndonnx.int64) if is_symbolic(fill_value) else fill_value
    out = ndonnx.full(shape_array(ndonnx, shape), value, dtype=dtype)
    return with_sizes(out, shape)


def arange(ndonnx: Any, start: Any, stop: Any = None, step: Any = 1, **kwargs: Any) -> Any:
    """``arange`` with `SymInt` bounds: ONNX ``Range`` of their values when the graph runs."""
    bounds = [v.array if is_symbolic(v) else v for v in (start, stop, step)]
    if bounds[1] is None:
        bounds = [0, bounds[0], bounds[2]]
    dtype = kwargs.get("dtype")
    if dtype is not None and not ndonnx.isdtype(dtype, "integral"):  # float bounds: Range in the result's dtype
        bounds = [ndonnx.astype(b, dtype) if isinstance(b, ndonnx.Array) else b for b in bounds]
    else:
        bounds = [b if isinstance(b, ndonnx.Array) else ndonnx.asarray(np.int64(b)) for b in bounds]
    out = ndonnx.arange(*bounds, dtype=dtype)
    return out


def slice_key(key: Any) -> Any:
    """An index (a tuple of ints, slices, None, ...) with each `SymInt` in a slice replaced by its array."""
    def bound(v: Any) -> Any:
        return v.array if is_symbolic(v) else v

    def one(i: Any) -> Any:
        return slice(bound(i.start), bound(i.stop), bound(i.step)) if isinstance(i, slice) else bound(i)

    return tuple(one(i) for i in key) if isinstance(key, tuple) else one(key)


def write_whole(x: Any, value: Any) -> None:
    """``x``'s value replaced by ``value`` (`anynn.backend.arrays.write_all`: an in-place layer, ``y[:, :1] += 1``),
    ``x`` the same object. ndonnx's ``x[()] = value`` expands ``value`` to ``x``'s runtime shape, which forgets the
    static sizes beside a symbolic axis ((None, 1, 2) becomes (None, None, 2), and the write back into the source
    of that slice is then refused); a value of ``x``'s shape, as known or better known, is taken as it is."""
    if x.ndim == value.ndim and all(a is None or a == b for a, b in zip(x.shape, value.shape)) and (
            x.dtype == value.dtype and hasattr(x, "_tyarray") and hasattr(value, "_tyarray")):
        import ndonnx

        # ndonnx's own record of the array's value, which x[()] = v replaces too; a record of x's own (asarray's copy
        # refers to the same recorded value), which a later write into x changes, value's left as it is
        x._tyarray = ndonnx.asarray(value, copy=True)._tyarray
    else:
        x[()] = value
