"""Lowerings of reshapes and padding to ONNX operators: Reshape (ONNX's 0 or -1 for a symbolic size, Squeeze /
Unsqueeze where only axes of size 1 change), and Pad in every mode (circular padding before opset 19 as Slices
and Concats, as PyTorch's exporter writes it).

Entries follow `ndonnx_lowering`'s contract: ``lower(fn, xp, *arrays)`` gives the ndonnx output, or
``NotImplemented`` where ONNX has no operator for the configuration (the recorded forward runs instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ndonnx_graph import Lowering, const, np_dtype, ops, static_shape, var, wrap
from .ndonnx_sizes import has_symbolic, same_symbolic_axis, symbolic_shape
from .typing import Namespace


def reshape(fn: Any, xp: Namespace, x: Any) -> Any:
    """ONNX Reshape; a symbolic (``None``) target size copies the input's axis there (ONNX's 0), or is -1."""
    fn.source = tuple(x.shape)  # as Reshape.forward notes it: a change of the result is handed back in that shape
    target = list(fn.shape)
    if has_symbolic(target):  # sizes of symbolic axes the model read (x.view(B, T, h, C // h)): see ndonnx_sizes
        return xp.reshape(x, tuple(target))
    unknown = [i for i, n in enumerate(target) if n is None]
    if unknown:
        if len(unknown) == 1 and -1 not in target:  # every other size is known: the one left is implied (-1), or
            # it is the input's symbolic axis there (a Flatten): ONNX's 0, which keeps its name for the graph's output
            target[unknown[0]] = 0 if same_symbolic_axis(static_shape(x), tuple(fn.shape)) else -1
        else:
            source = static_shape(x)
            squeezed, unsqueezed = _ones_between(source, tuple(fn.shape)), _ones_between(tuple(fn.shape), source)
            if squeezed is not None:  # only axes of size 1 dropped or added (x.unbind(0) of (3, B*W, h, T, d)):
                return wrap(ops().squeeze(var(x), const(squeezed, np.int64)))  # whatever the symbolic sizes
            if unsqueezed is not None:
                return wrap(ops().unsqueeze(var(x), const(unsqueezed, np.int64)))
            axes = _aligned_axes(source, tuple(fn.shape))
            if axes is None:
                raise ValueError(f"Reshape to {tuple(fn.shape)} from {source}: a symbolic size at position "
                                 f"{unknown[0]} cannot be traced back to an input axis")
            sizes = symbolic_shape(x, {})  # (an axis of another position: its size as the graph reads it)
            return xp.reshape(x, tuple(sizes[axes[i]] if i in axes else n for i, n in enumerate(target)))
    elif 0 in target:
        return NotImplemented  # a real empty axis: ONNX reads 0 as "copy"
    elif target.count(-1) == 1 and None in x.shape:  # x.view(-1, C * H * W) of (N, C, H, W): the implied size is N,
        implied = tuple(None if n == -1 else n for n in target)  # ONNX's 0 keeps its name (x.size(0) == N after)
        if same_symbolic_axis(static_shape(x), implied):
            target[target.index(-1)] = 0
    return wrap(ops().reshape(var(x), const(target, np.int64)))


def _aligned_axes(source: tuple[int | None, ...], target: tuple[int | None, ...]) -> dict[int, int] | None:
    """For each symbolic size (None) of a reshape's ``target``, the axis of ``source`` it is: the same position where
    every size up to it is the same, or the same position counted from the end where every size from it on is the same
    (``flatten(1, 2)`` of (N, C, H, W) is (N, -1, W): W is the input's last axis, not its third; a repeat_interleave
    of heads, (B, 2, 2, T, d) to (B, 4, T, d): T is the input's fourth). None where a symbolic size lines up with
    none, or with two axes (ambiguous: refused rather than guessed)."""
    axes = {}
    for i, n in enumerate(target):
        if n is not None:
            continue
        back = len(target) - i
        found = {i} if i < len(source) and target[:i + 1] == source[:i + 1] else set()
        if back <= len(source) and target[i:] == source[len(source) - back:]:
            found.add(len(source) - back)
        if len(found) != 1:
            return None
        axes[i] = found.pop()
    return axes


def _ones_between(longer: tuple[int | None, ...], shorter: tuple[int | None, ...]) -> list[int] | None:
    """The axes of ``longer`` of size 1 whose removal leaves ``shorter`` (symbolic sizes, None, matched in order), or
    None where no such axes exist (or there are none to remove)."""
    if len(longer) <= len(shorter):
        return None
    axes, j = [], 0
    for i, n in enumerate(longer):
        if j < len(shorter) and shorter[j] == n:
            j += 1
        elif n == 1:
            axes.append(i)
        else:
            return None
    return axes if j == len(shorter) else None


def _pad_list(pads: Any, ndim: int) -> list[int]:
    before, after = [0] * ndim, [0] * ndim
    for axis, low, high in pads:
        before[axis % ndim], after[axis % ndim] = low, high
    return before + after


def constant_pad(fn: Any, xp: Namespace, x: Any) -> Any:
    op = ops()
    value = const(fn.value, np_dtype(x))
    return wrap(op.pad(var(x), const(_pad_list(fn.pads, x.ndim), np.int64), value, mode="constant"))


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def gather_pad(opset: int) -> Lowering:
    """ONNX Pad in the layer's mode; circular padding (Pad's ``wrap``, opset 19 on) before opset 19 is Slices and
    Concats, as PyTorch's exporter writes it there (`_circular_slices`)."""
    def lower(fn: Any, xp: Namespace, x: Any) -> Any:
        mode = _PAD_MODES.get(fn.mode)
        if mode == "wrap" and opset < 19:
            return _circular_slices(fn.pads, x)
        if mode is None:
            return NotImplemented
        return wrap(ops().pad(var(x), const(_pad_list(fn.pads, x.ndim), np.int64), mode=mode))

    return lower


def _circular_slices(pads: Any, x: Any) -> Any:
    """Circular padding before opset 19 (no Pad ``wrap``), as PyTorch's exporter writes it: per padded axis, the
    last ``before`` and first ``after`` elements concatenated around it (Slices counted from the ends: symbolic
    sizes too; axis after axis, so the corners wrap as well). Crops (negative pads) decline: GatherPad records."""
    if any(type(low) is not int or type(high) is not int or low < 0 or high < 0 for _, low, high in pads):
        return NotImplemented
    op = ops()
    y = var(x)
    for axis, low, high in pads:
        at = const([axis % x.ndim], np.int64)
        parts = [op.slice(y, const([-low], np.int64), const([np.iinfo(np.int64).max], np.int64), at)] if low else []
        parts.append(y)
        if high:
            parts.append(op.slice(y, const([0], np.int64), const([high], np.int64), at))
        y = op.concat(parts, axis=axis % x.ndim) if len(parts) > 1 else y
    return wrap(y)
