"""Lowerings of lookups and scatters to ONNX operators: Gather / GatherElements (embedding, ``torch.gather``) and
ScatterElements (``scatter``, ``scatter_add``, ``scatter_reduce`` with its reductions, max unpooling).

Entries follow `ndonnx_lowering`'s contract: ``lower(fn, xp, *arrays)`` gives the ndonnx output, or
``NotImplemented`` where ONNX has no operator for the configuration (the recorded forward runs instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ndonnx_graph import Lowering, const, np_dtype, ops, var, wrap
from .typing import Namespace


def gather(fn: Any, xp: Namespace, a: Any, index: Any) -> Any:
    """``torch.gather`` is ONNX GatherElements (the output has the index's shape, symbolic axes included)."""
    return wrap(ops().gather_elements(var(a), var(index), axis=fn.dim))


def scatter(fn: Any, xp: Namespace, a: Any, index: Any, src: Any) -> Any:
    """``scatter``/``scatter_add`` are ONNX ScatterElements (reduction "add" for the latter) of the part of ``src``
    the index covers (a Slice to the index's shape as it runs; a number: expanded to it). Of repeated positions
    onnxruntime keeps the last write, as anynn does (PyTorch leaves that order undefined)."""
    op = ops()
    where = op.shape(var(index))
    if src.ndim == 0:
        values = op.expand(var(src), where)
    else:
        values = op.slice(var(src), const(np.zeros(index.ndim, np.int64)), where)
    return wrap(op.scatter_elements(var(a), var(index), values, axis=fn.dim, reduction="add" if fn.add else "none"))


_SCATTER_REDUCTIONS = {"sum": "add", "mean": "add", "prod": "mul", "amax": "max", "amin": "min"}


def scatter_reduce(opset: int) -> Lowering:
    """``scatter_reduce`` as ONNX ScatterElements with its reduction (max and min from opset 18 on) of the part of
    ``src`` the index covers. ``include_self=False`` scatters into the reduction's identity and keeps the input where
    no entry lands; ``mean`` divides a scattered sum by a scattered count (rounding integers down, as PyTorch); a NaN
    reaching a max or min wins (onnxruntime's pass over it); booleans reduce as integers (sum: or, prod: and)."""

    def lower(fn: Any, xp: Namespace, a: Any, index: Any, src: Any) -> Any:
        if xp.isdtype(a.dtype, "bool"):
            out = lower(fn, xp, xp.astype(a, xp.int64), index, xp.astype(src, xp.int64))
            return out if out is NotImplemented else out != 0
        reduce = fn.reduce
        if reduce in ("amax", "amin") and opset < 18:
            if None not in a.shape and None not in src.shape and None not in index.shape:
                return NotImplemented  # static sizes: the Function's own math records
            raise NotImplementedError(f"scatter_reduce: reduce={reduce!r} is ONNX ScatterElements' max/min, which "
                                      f"opset {opset} has not got (opset 18 on), and the recorded fallback needs "
                                      f"static sizes: export with opset_version >= 18, or with static shapes")
        integral = xp.isdtype(a.dtype, "integral")
        op = ops()
        dtype = np_dtype(a)
        values = op.slice(var(src), const(np.zeros(index.ndim, np.int64)), op.shape(var(index)))
        positions = var(xp.astype(index, xp.int64))

        def scattered(into: Any, entries: Any, reduction: str) -> Any:
            return op.scatter_elements(into, positions, entries, axis=fn.dim, reduction=reduction)

        zeros = var(xp.zeros_like(a))
        if fn.include_self and reduce != "mean":
            out = scattered(var(a), values, _SCATTER_REDUCTIONS[reduce])
        else:
            counts = scattered(zeros, op.expand(const(1, dtype), op.shape(values)), "add")
            touched = op.greater(counts, const(0, dtype))
            if reduce == "mean":
                total = wrap(scattered(var(a) if fn.include_self else zeros, values, "add"))
                one = const(1, dtype)
                divisor = wrap(op.add(counts, one) if fn.include_self else op.max([counts, one]))
                mean = xp.floor_divide(total, divisor) if integral else total / divisor
                return mean if fn.include_self else wrap(op.where(touched, var(mean), var(a)))
            if reduce in ("sum", "prod"):
                identity: Any = 0 if reduce == "sum" else 1
            elif integral:
                identity = np.iinfo(dtype).min if reduce == "amax" else np.iinfo(dtype).max
            else:
                identity = -np.inf if reduce == "amax" else np.inf
            reduced = scattered(op.add(zeros, const(identity, dtype)), values, _SCATTER_REDUCTIONS[reduce])
            out = op.where(touched, reduced, var(a))
        if reduce in ("amax", "amin") and not integral:
            nan = op.greater(scattered(zeros, op.cast(op.isnan(values), to=dtype), "add"), const(0, dtype))
            if fn.include_self:
                nan = op.or_(nan, op.isnan(var(a)))
            out = op.where(nan, const(np.nan, dtype), out)
        return wrap(out)

    return lower


def max_unpool(fn: Any, xp: Namespace, x: Any, indices: Any) -> Any:
    """Each plane of ``x`` (..., *in_spatial) written at its in-plane ``indices`` into zeros (..., *out_spatial):
    ScatterElements over the flattened planes (of repeated positions the last write wins, as in anynn), with
    the leading axes read from the input's shape as the graph runs."""
    op = ops()
    n = len(fn.out_spatial)
    lead = x.ndim - n
    size = int(np.prod(fn.out_spatial))
    flat = const([0] * lead + [-1], np.int64)  # (0: that axis as it is)
    leading = op.slice(op.shape(var(x)), const([0], np.int64), const([lead], np.int64))
    zeros = op.expand(const(np.zeros((1,) * lead + (size,), np_dtype(x))), op.concat([leading, const([1], np.int64)],
                                                                                      axis=0))
    written = op.scatter_elements(zeros, op.reshape(var(indices), flat), op.reshape(var(x), flat), axis=-1)
    return wrap(op.reshape(written, op.concat([leading, const(list(fn.out_spatial), np.int64)], axis=0)))




def embedding(fn: Any, xp: Namespace, weight: Any, indices: Any) -> Any:
    return wrap(ops().gather(var(weight), var(indices), axis=0))
