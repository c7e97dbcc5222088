"""Softmax and log-softmax along one axis, forward and backward (activation, cross-entropy, attention).

The max is subtracted first: ``exp`` overflows above ~88 in float32. With ``masked=True`` a slice whose
entries are all ``-inf`` (an attention row with no allowed key) gives zeros instead of NaN.
"""

from __future__ import annotations

from ...backend.typing import Array, Namespace


def _shifted_exp(xp: Namespace, x: Array, axis: int, masked: bool) -> tuple[Array, Array, Array]:
    """``(x - max, exp(x - max), sum of the exps)`` along ``axis`` (kept as size 1)."""
    # over an empty axis (attention over zero keys) the max has no identity: shift by the sum, 0, instead
    top = xp.max(x, axis=axis, keepdims=True) if x.shape[axis] != 0 else xp.sum(x, axis=axis, keepdims=True)
    if masked:  # max -inf: shift by 0 instead, so exp gives 0, not NaN
        top = xp.where(top == -float("inf"), xp.zeros_like(top), top)
    shifted = x - top
    e = xp.exp(shifted)
    total = xp.sum(e, axis=axis, keepdims=True)
    if masked:
        total = xp.where(total == 0.0, xp.ones_like(total), total)
    return shifted, e, total


def softmax(xp: Namespace, x: Array, axis: int, masked: bool = False) -> Array:
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    _, e, total = _shifted_exp(xp, x, axis, masked)
    return e / total


def log_softmax(xp: Namespace, x: Array, axis: int) -> Array:
    """``x - logsumexp(x)`` along ``axis``."""
    shifted, e, total = _shifted_exp(xp, x, axis, False)
    return shifted - xp.log(total)


def softmax_and_log(xp: Namespace, x: Array, axis: int) -> tuple[Array, Array]:
    """``(softmax(x), log_softmax(x))`` along ``axis`` from one pass of ``exp``."""
    shifted, e, total = _shifted_exp(xp, x, axis, False)
    return e / total, shifted - xp.log(total)


def softmax_backward(xp: Namespace, g: Array, s: Array, axis: int) -> Array:
    """Gradient through ``s = softmax(x)``: ``s * (g - sum(g * s))`` along ``axis``."""
    return s * (g - xp.sum(g * s, axis=axis, keepdims=True))


def log_softmax_backward(xp: Namespace, g: Array, out: Array, axis: int) -> Array:
    """Gradient through ``out = log_softmax(x)``: ``g - exp(out) * sum(g)`` along ``axis``."""
    return g - xp.exp(out) * xp.sum(g, axis=axis, keepdims=True)
