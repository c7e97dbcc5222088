"""`logcumsumexp`: ``log(cumsum(exp(x)))`` along one dim, computed without overflow or underflow.

The forward is the running ``logaddexp``; the backward is ``grad_j = exp(x_j - out_j) * s_j`` with
``s_j = g_j + exp(out_j - out_{j+1}) s_{j+1}`` (running from the end), whose factors are at most 1 because the
output never decreases: no ``exp`` of a large number in either direction.
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .formulas.conjugate import conj
from .value_checks import KernelNotImplementedError, checked_dim


def _below_or_nan(xp: Namespace, ratio_log: Any) -> Any:
    """``exp(d)`` for a difference ``d`` of two non-decreasing outputs, 0 where both are -inf (NaN ``d``)."""
    return xp.where(xp.isnan(ratio_log), xp.zeros_like(ratio_log), xp.exp(ratio_log))


def _all_prefixes(xp: Namespace, moved: Any) -> Any:
    """``log(cumsum(exp(moved), axis=0))`` for a first axis of symbolic size n: step i's logsumexp over the steps
    j <= i, all pairs at once ((n, n, ...) in memory), each shifted by its own maximum."""
    lane = moved[(slice(None),) + (0,) * (moved.ndim - 1)]
    steps = xp.reshape(xp.cumulative_sum(xp.ones_like(lane, dtype=xp.int64)) - 1, (-1,) + (1,) * (moved.ndim - 1))
    seen = steps[None, ...] <= steps[:, None, ...]  # (i, j, 1...): step j is at or before step i
    candidates = xp.where(seen, moved[None, ...], xp.asarray(-math.inf, dtype=moved.dtype))
    high = xp.max(candidates, axis=1, keepdims=True)
    safe = xp.where(xp.isinf(high), xp.zeros_like(high), high)  # all -inf: stays -inf; an inf: inf (not inf - inf)
    return (safe + xp.log(xp.sum(xp.exp(candidates - safe), axis=1, keepdims=True)))[:, 0, ...]


def _complex_log_add_exp(xp: Namespace, running: Any, new: Any) -> Any:
    """``log(exp(running) + exp(new))`` of complex arrays as PyTorch's scan takes it: the operand of the larger real
    part (``new`` at a tie) factored out, ``big + log1p(exp(small - big))``, so its imaginary part is not wrapped
    into (-pi, pi]; ``running`` where both real parts are -inf, ``log(exp + exp)`` where both are +inf, and NaN
    (both parts) where either holds one."""
    new_is_big = xp.real(running) <= xp.real(new)
    big, small = xp.where(new_is_big, new, running), xp.where(new_is_big, running, new)
    low, high = xp.real(small), xp.real(big)
    infinite = xp.isinf(low) & (low == high)
    difference = xp.where(infinite, xp.zeros_like(small), small - big)  # (inf - inf: no NaN in the branch unused)
    out = xp.where(infinite & (low < 0), small, big + xp.log1p(xp.exp(difference)))
    out = xp.where(infinite & (low > 0), xp.log(xp.exp(small) + xp.exp(big)), out)
    nan = xp.full_like(out, complex(math.nan, math.nan))
    return xp.where(xp.isnan(running) | xp.isnan(new), nan, out)


class LogCumSumExp(Function):
    """``out_i = log(sum_{j <= i} exp(x_j))`` along ``axis``; x: (*), out: (*)."""

    axis: int

    def forward(self, xp: Namespace, a: Any) -> Any:
        if a.ndim == 0 or a.shape[self.axis] == 0:  # one entry, or none along the axis: nothing to accumulate
            self.out = a
            return a
        moved = xp.moveaxis(a, self.axis, 0)
        if moved.shape[0] is None:  # a symbolic axis (ONNX export): each step's logsumexp over the steps up to it
            self.a, self.out = moved, _all_prefixes(xp, moved)
            return xp.moveaxis(self.out, 0, self.axis)
        if xp.isdtype(a.dtype, "complex floating"):  # PyTorch's scan from -inf + 0j, step by step
            running = xp.full_like(moved[0, ...], complex(-math.inf, 0.0))
            outs = []
            for i in range(moved.shape[0]):
                running = _complex_log_add_exp(xp, running, moved[i, ...])
                outs.append(running)
            self.a, self.out = moved, xp.stack(outs, axis=0)
            return xp.moveaxis(self.out, 0, self.axis)
        running = moved[0, ...]
        outs = [running]
        for i in range(1, moved.shape[0]):  # static sizes: one step per entry, traceable
            x = moved[i, ...]
            high = xp.maximum(running, x)
            # both -inf: stays -inf; an inf: inf, as PyTorch's (inf - inf gave NaN)
            safe = xp.where(xp.isinf(high), xp.zeros_like(high), high)
            running = safe + xp.log(xp.exp(running - safe) + xp.exp(x - safe))
            outs.append(running)
        self.a, self.out = moved, xp.stack(outs, axis=0)
        return xp.moveaxis(self.out, 0, self.axis)

    def backward(self, xp: Namespace, g: Any) -> Any:
        if g.ndim == 0 or g.shape[self.axis] == 0:
            return g
        a, out = self.a, self.out
        gm = xp.moveaxis(g, self.axis, 0)
        n = a.shape[0]
        carried = gm[n - 1, ...]
        grads = [None] * n
        grads[n - 1] = carried * conj(xp, _below_or_nan(xp, a[n - 1, ...] - out[n - 1, ...]))
        for j in range(n - 2, -1, -1):  # (conj: PyTorch's gradient of a holomorphic function; free for real)
            carried = gm[j, ...] + conj(xp, _below_or_nan(xp, out[j, ...] - out[j + 1, ...])) * carried
            grads[j] = carried * conj(xp, _below_or_nan(xp, a[j, ...] - out[j, ...]))
        return xp.moveaxis(xp.stack(grads, axis=0), 0, self.axis)


def logcumsumexp(input: Tensor, dim: int) -> Tensor:  # noqa: A002 - PyTorch's name
    """``log(cumsum(exp(input), dim))`` without overflow (``torch.logcumsumexp``); floating or complex input, same
    shape."""
    if not input.backend.xp.isdtype(input.array.dtype, ("real floating", "complex floating")):
        raise KernelNotImplementedError(f"logcumsumexp: expected a floating point input, got {input.dtype} (PyTorch: "
                                        f"\"logcumsumexp_out_cpu\" not implemented); cast it first (x.float())")
    return LogCumSumExp.apply(input, axis=checked_dim("logcumsumexp", input, dim))
