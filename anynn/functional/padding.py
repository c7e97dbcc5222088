"""Padding: ``pad(x, pad, mode, value)`` with PyTorch's ``torch.nn.functional.pad`` semantics.

``pad`` lists (before, after) pairs starting from the LAST axis: ``(left, right)`` pads axis -1,
``(left, right, top, bottom)`` axes -1 and -2, and so on. ``"constant"`` pads any number of axes with
``value`` (negative pads crop); ``"reflect"``, ``"replicate"`` and ``"circular"`` pad the last 1-3 axes of a
(batched or unbatched) input by gathering input positions along each axis, and their backward adds the
gradient back over contiguous runs of those positions (slice sums, no scatter or one-hot matrix).
"""

from __future__ import annotations

import numbers
from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.symbolic import is_symbolic
from ..backend.arrays import at_add, at_set
from ..backend.typing import Namespace
from .windows import constant_pad, pad_slices
from .value_checks import require_tensor
from .value_checks import ShapeMismatchError, refuse_kernel


class UnsupportedPadError(ShapeMismatchError, NotImplementedError):
    """A pad length a non-constant mode has no kernel for on that rank (PyTorch: NotImplementedError, 'Padding size
    2 is not supported for 4D input tensor'; a Conv2d with padding=[1] and padding_mode='reflect' meets it)."""


MODES = ("constant", "reflect", "replicate", "circular")


def _source_positions(mode: str, size: int, before: int, after: int) -> list[int]:
    """The input position each output position of one axis reads (size ``size`` padded by before/after).

    Reflect and replicate map output ``j`` to input ``j - before``, mirrored or clamped at the edges, so
    negative pads crop. Circular crops first and wraps over the cropped length, as PyTorch does.
    """
    if mode == "circular":
        start = max(-before, 0)
        kept = size - start - max(-after, 0)
        lead = max(before, 0)
        return [start + (j - lead) % kept for j in range(kept + lead + max(after, 0))]
    positions = range(-before, size + after)
    if mode == "replicate":
        return [min(max(p, 0), size - 1) for p in positions]
    last = size - 1
    return [last - abs(last - abs(p)) for p in positions]  # reflect: mirror at 0, then at size - 1


def _runs(positions: list[int]) -> list[tuple[int, int, int, int]]:
    """Split a position list into maximal runs of step +1, -1 or 0: (out_start, out_stop, first, step)."""
    runs = []
    j = 0
    while j < len(positions):
        stop, step = j + 1, 0
        if stop < len(positions) and abs(positions[stop] - positions[j]) <= 1:
            step = positions[stop] - positions[j]
            while stop < len(positions) and positions[stop] - positions[stop - 1] == step:
                stop += 1
        runs.append((j, stop, positions[j], step))
        j = stop
    return runs


def _at(ndim: int, axis: int, index: Any) -> tuple[Any, ...]:
    """An index tuple selecting ``index`` along ``axis`` and everything along the other axes."""
    return (slice(None),) * axis + (index,) + (slice(None),) * (ndim - axis - 1)


class ConstantPad(Function):
    """Constant padding of the axes named in ``pads`` ((axis, before, after), ...); negative pads crop."""

    pads: tuple[tuple[int, int, int], ...]
    value: float

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.x_shape = tuple(x.shape)
        _, self.src, self.dst = pad_slices(self.x_shape, self.pads)
        self.cropped = any(before < 0 or after < 0 for _, before, after in self.pads)
        # the kept block is empty when a crop (or an unpadded axis) leaves nothing: skip the empty setitem
        self.empty = any(s.stop - s.start == 0 for s in self.dst if s.stop is not None) or 0 in self.x_shape
        return constant_pad(xp, x, self.pads, _fill(xp, self.value, x.dtype))

    def backward(self, xp: Namespace, g: Any) -> Any:
        if not self.cropped:
            return g[self.dst]
        grad = xp.zeros(self.x_shape, dtype=g.dtype, device=device(g))
        if not self.empty:
            grad = at_set(grad, self.src, g[self.dst])
        return grad


def _fill(xp: Namespace, value: float, dtype: Any) -> Any:
    """``value`` as the Python scalar type of ``dtype`` (PyTorch truncates a float fill for integer tensors)."""
    if xp.isdtype(dtype, "bool"):
        return bool(value)
    if xp.isdtype(dtype, "integral"):
        return int(value)
    return value


class GatherPad(Function):
    """Reflect / replicate / circular padding: one ``take`` per padded axis with host-built positions.

    ``pads`` is ((axis, before, after), ...). Backward walks the axes in reverse and, per axis, adds each
    run of the gradient onto the input slice it was read from (flipped for mirrored runs, summed for
    replicated ones), so repeated positions accumulate.
    """

    pads: tuple[tuple[int, int, int], ...]
    mode: str

    @property
    def ties_constant_gradient(self) -> bool:  # type: ignore[override]
        """PyTorch's reflection and replication pads' backward reads the input (see `Function`); its circular pad
        is made of slices."""
        return self.mode != "circular"

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.sizes, self.runs = [], []
        for axis, before, after in self.pads:
            size = x.shape[axis]
            positions = _source_positions(self.mode, size, before, after)
            self.sizes.append(size)
            self.runs.append(_runs(positions))
            if positions != list(range(size)):
                index = xp.asarray(positions, dtype=xp.int64, device=device(x))
                x = xp.take(x, index, axis=axis)
        return x

    def backward(self, xp: Namespace, g: Any) -> Any:
        for (axis, _, _), size, runs in reversed(list(zip(self.pads, self.sizes, self.runs))):
            if runs == [(0, size, 0, 1)]:
                continue  # this axis was left as it was
            shape = list(g.shape)
            shape[axis] = size
            grad = xp.zeros(tuple(shape), dtype=g.dtype, device=device(g))
            for start, stop, first, step in runs:
                piece = g[_at(g.ndim, axis, slice(start, stop))]
                if step == 0:
                    target = _at(g.ndim, axis, slice(first, first + 1))
                    piece = xp.sum(piece, axis=axis, keepdims=True)
                elif step == 1:
                    target = _at(g.ndim, axis, slice(first, first + stop - start))
                else:
                    target = _at(g.ndim, axis, slice(first - (stop - start) + 1, first + 1))
                    piece = xp.flip(piece, axis=axis)
                grad = at_add(grad, target, piece)
            g = grad
        return g


def _check_pad(pad: Sequence[int], x: Any, mode: str, value: float) -> tuple[tuple[int, int, int], ...]:
    """Validate ``pad`` against x's shape and ``mode`` as PyTorch does; return ((axis, before, after), ...)."""
    if mode not in MODES:
        raise UnsupportedPadError(f"pad: mode must be one of {MODES}, got {mode!r}")  # (PyTorch: NotImplementedError)
    if isinstance(pad, (str, bytes)) or not all(isinstance(p, numbers.Integral) and not isinstance(p, bool)
                                                for p in pad):
        raise TypeError(f"pad: pad must be a sequence of ints, got {pad!r}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ShapeMismatchError(f"pad: pad must have an even length ((before, after) per axis), got {len(pad)} "
                                 f"values {pad}")
    axes = len(pad) // 2
    if mode == "constant":
        if axes > x.ndim:
            raise ShapeMismatchError(f"pad: pad of length {len(pad)} pads {axes} axes but the input of shape {x.shape} "
                                     f"has only {x.ndim}; expected at most {2 * x.ndim} values")
    else:
        if value != 0:
            raise ValueError(f"pad: mode {mode!r} takes no value, got value={value!r} (only 'constant' does)")
        if axes not in (1, 2, 3) or x.ndim not in (axes + 1, axes + 2):
            raise UnsupportedPadError(f"pad: mode {mode!r} pads the last 1, 2 or 3 axes of a 2-D/3-D, 3-D/4-D or "
                                     f"4-D/5-D input with a pad of length 2, 4 or 6; got pad of length {len(pad)} "
                                     f"{pad} for a {x.ndim}-D input of shape {x.shape}")
    triples = []
    for k in range(axes):
        axis = x.ndim - 1 - k
        before, after = pad[2 * k], pad[2 * k + 1]
        size = x.shape[axis]
        if size is None:  # a symbolic axis (ONNX export): its size, and so the checks, come when the graph runs
            triples.append((axis, before, after))
            continue
        new = size + before + after
        where = f"pad ({before}, {after}) at dimension {axis} of input of shape {x.shape}"
        if mode == "constant":
            if new < 0:
                raise ShapeMismatchError(f"pad: {where} gives a negative size {new}; expected size + before + "
                                         "after >= 0")
            if size + min(before, 0) + min(after, 0) < 0:
                raise ShapeMismatchError(f"pad: {where} crops more than the input size {size}")
        else:
            if size == 0:
                raise ShapeMismatchError(f"pad: mode {mode!r} needs non-empty padded dimensions, got {where}")
            if new < 0:
                raise ShapeMismatchError(f"pad: {where} gives a negative size {new}; expected size + before + "
                                         "after >= 0")
            if mode == "reflect" and max(before, after) >= size:
                raise ShapeMismatchError(f"pad: mode 'reflect' needs each pad < the input size {size}, got {where}")
            if mode == "circular":
                if max(before, after) > size:
                    raise ShapeMismatchError(f"pad: mode 'circular' needs each pad <= the input size {size} (it "
                                             f"wraps around at most once), got {where}")
                kept = size + min(before, 0) + min(after, 0)
                if max(before, after) > kept:  # PyTorch fails or reads uninitialised memory here
                    raise ShapeMismatchError(f"pad: mode 'circular' needs each pad <= the size left after the "
                                             f"negative pads ({kept}), got {where}")
        triples.append((axis, before, after))
    if mode in ("reflect", "replicate") and all(x.shape[a] is not None and x.shape[a] + b + c == 0
                                                for a, b, c in triples):
        # PyTorch's reflect and replicate refuse an output whose padded axes are all empty (one may be)
        raise ValueError(f"pad: mode {mode!r} with pad {pad} leaves every padded axis of the input of shape "
                         f"{x.shape} empty; at least one must keep size + before + after >= 1")
    return tuple(triples)


def pad(input: Any, pad: Sequence[int], mode: str = "constant", value: float | None = None) -> Any:
    """Pad ``input`` as ``torch.nn.functional.pad``.

    Parameters
    ----------
    input : Tensor
        ``"constant"``: any shape with at least ``len(pad) / 2`` axes. Other modes: (N, C, *S) or (C, *S)
        where ``S`` are the 1, 2 or 3 padded axes.
    pad : sequence of ints
        (before, after) pairs from the last axis backwards: ``(left, right, top, bottom, front, back)``.
    mode : ``"constant"``, ``"reflect"``, ``"replicate"`` or ``"circular"``
        Reflect mirrors without repeating the edge (each pad < size); replicate repeats the edge; circular
        wraps around (each pad <= size). Negative pads crop.
    value : float or None
        The fill of ``"constant"`` (None means 0, as in PyTorch; the other modes accept only 0 or None).

    Returns
    -------
    Tensor with each padded axis of size ``size + before + after``.

    Examples
    --------
    >>> tuple(pad(anynn.zeros(2, 3, 5), (1, 1), mode="reflect").shape)  # (N, C, L) -> (N, C, L + 2)
    (2, 3, 7)
    >>> tuple(pad(anynn.zeros(1, 4, 4), (0, 1, 2, 0), value=-1.0).shape)  # (..., H, W) -> (..., H + 2, W + 1)
    (1, 6, 5)
    """
    require_tensor("pad", input)
    value = 0.0 if value is None else value
    if not isinstance(pad, (int, str)) and any(is_symbolic(p) for p in pad):
        # sizes of symbolic axes (ONNX export: a UNet's x2.size(2) - x1.size(2)): padded as the graph runs, by the
        # recording namespace's own pad
        return Tensor._make(input.backend.xp.pad(input.array, tuple(pad), mode, float(value)), input.backend, None, 0)
    pads = _check_pad(pad, input, mode, value)
    if mode == "constant":
        return ConstantPad.apply(input, pads=pads, value=value)
    if mode in ("reflect", "replicate"):
        kernel = f"{'reflection' if mode == 'reflect' else 'replication'}_pad{len(pads)}d"
        refuse_kernel(f"pad ({mode})", kernel, ("bool",), input)
    return GatherPad.apply(input, pads=pads, mode=mode)
