"""Lowerings of window rearrangements over symbolic spatial sizes: ``unfold`` (im2col), pixel shuffle and unshuffle.

Their recorded array math builds the windows from the sizes (a reshape to ``(N, C, H // r, r, W // r, r)``, the
count of window positions), which a symbolic axis (an ONNX export with the height and width in ``dynamic_axes``)
has only when the graph runs. ONNX writes them without the sizes: one ``Slice`` per kernel tap whose end counts
back from the axis' end, ``SpaceToDepth`` with its channels gathered into PyTorch's order, and ``DepthToSpace``.
With known sizes they decline (the recorded math runs, as before).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ndonnx_graph import const, ops, static_shape, var, wrap
from .typing import Namespace

_TO_THE_END = np.iinfo(np.int64).max


def unfold(fn: Any, xp: Namespace, x: Any) -> Any:
    """x (N, C, H, W) → (N, C kh kw, L): tap (i, j) of every window is the strided slice of the zero-padded input
    from ``i dh`` to ``(kh - 1 - i) dh`` before the end (so each tap has as many positions as there are windows),
    the taps stacked after the channel axis (PyTorch's ``c kh kw + i kw + j`` order) and the positions flattened."""
    shape = static_shape(x)
    if x.ndim != 4 or None not in shape[2:] or shape[1] is None:
        return NotImplemented
    op = ops()
    (kh, kw), (sh, sw), (dh, dw), (ph, pw) = fn.kernel, fn.stride, fn.dilation, fn.padding
    padded = var(x)
    if ph or pw:
        padded = op.pad(padded, const([0, 0, ph, pw, 0, 0, ph, pw], np.int64), mode="constant")
    axes, steps, at_channels = const([2, 3], np.int64), const([sh, sw], np.int64), const([2], np.int64)
    taps = []
    for i in range(kh):
        for j in range(kw):
            ends = [-(kh - 1 - i) * dh or _TO_THE_END, -(kw - 1 - j) * dw or _TO_THE_END]
            tap = op.slice(padded, const([i * dh, j * dw], np.int64), const(ends, np.int64), axes, steps)
            taps.append(op.unsqueeze(tap, at_channels))
    stacked = op.concat(taps, axis=2) if len(taps) > 1 else taps[0]  # (N, C, kh kw, H_out, W_out)
    return wrap(op.reshape(stacked, const([0, shape[1] * kh * kw, -1], np.int64)))


def pixel_unshuffle(fn: Any, xp: Namespace, x: Any) -> Any:
    """(N, C, H r, W r) → (N, C r², H, W): ONNX SpaceToDepth orders its output channels block first (``(i r + j) C +
    c``), PyTorch channel first (``c r² + i r + j``): a Gather of the channels puts them in PyTorch's order (the
    other axes, and their names, as they are)."""
    shape = static_shape(x)
    if x.ndim != 4 or None not in shape[2:] or shape[1] is None:
        return NotImplemented
    op = ops()
    r, channels = fn.factor, shape[1]
    blocks = op.space_to_depth(var(x), blocksize=r)
    order = np.arange(r * r * channels, dtype=np.int64).reshape(r * r, channels).T.reshape(-1)  # c r² + k ← k C + c
    return wrap(op.gather(blocks, const(order, np.int64), axis=1))


def pixel_shuffle(fn: Any, xp: Namespace, x: Any) -> Any:
    """Pixel shuffle of (N, C r^2, H, W) over symbolic sizes: ONNX DepthToSpace in its CRD order, PyTorch's (the
    recorded reshapes need the sizes); unshuffle: `pixel_unshuffle`."""
    if fn.inverse:
        return pixel_unshuffle(fn, xp, x)
    if x.ndim != 4 or None not in static_shape(x):
        return NotImplemented
    return wrap(ops().depth_to_space(var(x), blocksize=fn.factor, mode="CRD"))
