"""A recurrent layer over a padded batch whose sequences run ``lengths`` steps each, in one loop.

`pack_padded_sequence` builds its packed layout from the lengths' values. Where those values exist only when a
graph runs (an ONNX export's input, a tensor traced by a compiled step) the batch stays padded and each step is
masked instead: sequence ``b`` takes step ``t`` only while ``t < lengths[b]``, its state is carried unchanged past
its end (so ``h_n`` is the state after its own last step, and the reverse direction starts at its own last step)
and its outputs there are zeros. The values are those of the packed run; an ONNX export writes the layer as its
operator with ``sequence_lens``, which has these semantics (`anynn.backend.ndonnx_lowering_recurrent`).
"""

from __future__ import annotations

from typing import Any

from ..backend import op
from ..backend.arrays import device_of as device
from ..backend.typing import Namespace
from .recurrent_steps import _flat, _step_backward, _step_forward, _zero_states


def active_steps(xp: Namespace, x: Any, lengths: Any) -> Any:
    """(L, N, 1) bool: whether step ``t`` of sequence ``n`` is one of its ``lengths[n]`` for a time-major ``x``
    (L, N, ...). The step numbers are a running count along ``x``'s time axis, which may be symbolic."""
    first = x[(slice(None),) + (0,) * (x.ndim - 1)]
    steps = xp.cumulative_sum(xp.ones_like(first, dtype=lengths.dtype), axis=0)  # 1..L
    return (steps[:, None] <= lengths[None, :])[..., None]


def masked_forward(fn: Any, xp: Namespace, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any,
                   w_hr: Any) -> tuple[Any, ...]:
    """`RecurrentSequence.forward` with ``fn.lengths``: ``(out (L, N, H), h_n[, c_n])``, out zero past each end."""
    kind, lstm = fn.kind, fn.kind == "lstm"
    gi_all, b_gh = fn._projections(xp, x, w_ih, b_ih, b_hh)
    active = active_steps(xp, x, fn.lengths)
    zero = xp.zeros((), dtype=gi_all.dtype, device=device(gi_all))
    h = _zero_states(xp, x[0, ...], w_hh.shape[1], gi_all.dtype) if h0 is None else h0
    carry = (h, _zero_states(xp, x[0, ...], w_hh.shape[0] // 4, gi_all.dtype) if c0 is None else c0) if lstm else (h,)
    record = any(fn.needs_input_grad)
    w_hh_t = w_hh.mT

    def step(state: tuple[Any, ...], xt: tuple[Any, Any]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        gi, m = xt
        h = state[0]
        gh = h @ w_hh_t if b_gh is None else h @ w_hh_t + b_gh
        h_cell, c_new, cache = _step_forward(xp, kind, gi, gh, h, state[1] if lstm else None)
        h_out = h_cell if w_hr is None else h_cell @ w_hr.mT
        new = (xp.where(m, h_out, h),) + ((xp.where(m, c_new, state[1]),) if lstm else ())
        saved = (h, h_cell) + cache if record else ()
        return new, (xp.where(m, h_out, zero),) + saved

    final, ys = op(fn.backend, "scan")(step, carry, (gi_all, active), x.shape[0], fn.reverse)
    fn.x, fn.w_ih, fn.w_hh, fn.w_hr, fn.active = x, w_ih, w_hh, w_hr, active
    if record:
        fn.prev_all, fn.cells, fn.caches = ys[1], ys[2], ys[3:]
    return (ys[0],) + tuple(final)


def masked_backward(fn: Any, xp: Namespace, d_out: Any, dh: Any, dc: Any) -> tuple[Any, ...]:
    """BPTT of `masked_forward`: past a sequence's end its state's gradient passes to the step before unchanged,
    and its steps there get none."""
    kind, lstm, w_hh, w_hr, need = fn.kind, fn.kind == "lstm", fn.w_hh, fn.w_hr, fn.needs_input_grad
    zero = xp.zeros((), dtype=fn.prev_all.dtype, device=device(fn.prev_all))
    carry = (xp.zeros_like(fn.prev_all[0, ...]) if dh is None else dh,)
    if lstm:
        carry += (xp.zeros_like(fn.cells[0, ...]) if dc is None else dc,)
    with_out = d_out is not None

    def step(state: tuple[Any, ...], xt: tuple[Any, ...]) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
        m, cache = xt[with_out], xt[with_out + 1:]
        total = state[0] + xp.where(m, xt[0], zero) if with_out else state[0]
        d_h_out = xp.where(m, total, zero)
        dc_in = xp.where(m, state[1], zero) if lstm else None
        d_gi, d_gh, dh_direct, dc_prev = _step_backward(xp, kind, cache, d_h_out if w_hr is None else d_h_out @ w_hr,
                                                        dc_in)
        dh_prev = d_gh @ w_hh + xp.where(m, zero, total)
        if dh_direct is not None:
            dh_prev = dh_prev + dh_direct
        new = (dh_prev,) + ((dc_prev + xp.where(m, zero, state[1]),) if lstm else ())
        return new, (d_gi, None if d_gh is d_gi else d_gh, None if w_hr is None else d_h_out)

    xs = ((d_out,) if with_out else ()) + (fn.active,) + tuple(fn.caches)
    first, (d_gi_all, d_gh_all, d_h_out_all) = op(fn.backend, "scan")(step, carry, xs, fn.x.shape[0],
                                                                      not fn.reverse)
    d_gh_all = d_gi_all if d_gh_all is None else d_gh_all
    grad_x = d_gi_all @ fn.w_ih if need[0] else None
    weights = fn._weight_grads(xp, fn.x, fn.prev_all, d_gi_all, d_gh_all)
    grad_w_hr = _flat(d_h_out_all, xp).mT @ _flat(fn.cells, xp) if w_hr is not None and need[7] else None
    return (grad_x, first[0] if need[1] else None, first[1] if lstm and need[2] else None) + weights + (grad_w_hr,)
