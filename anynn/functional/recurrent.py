"""Recurrent primitives: one fused node per cell step, and one per whole sequence (BPTT inside).

Gate layouts follow PyTorch: ``weight_ih`` is (G*H, H_in) and ``weight_hh`` is (G*H, H) with the
gates stacked as ``i, f, g, o`` for the LSTM (G = 4), ``r, z, n`` for the GRU (G = 3, the n-gate
using ``r * (W_hn h + b_hn)``) and one block for the plain RNN (G = 1, tanh or relu).

The step math is written once (`anynn.functional.recurrent_steps`; the LSTM's pointwise step is
`anynn.backend.portable.recurrent.lstm_step`, whose fast path is one CUDA kernel); the cell Functions wrap a
single step, the sequence Functions loop over time with the input projection ``x @ W_ih.T`` done for
all steps in one matmul (the LSTM's in-place loop folds it into each step's product instead), and in
backward gather the gate gradients of every step so that the weight
gradients are again one matmul each. The LSTM sequence, the hot loop of most recurrent models, has its
own trimmed loop (`RecurrentSequence._lstm_forward` / `_lstm_backward`): a handful of array calls per
step, most of them in place, with constant factors folded into the weights.
"""

from __future__ import annotations

from typing import Any


from ..autograd.primitive import Function
from ..backend import op
from ..backend.arrays import is_writeable
from ..backend.typing import Namespace
from . import recurrent_complex, recurrent_masked
from .recurrent_steps import _flat, _gate_rows, _step_backward, _step_forward, _zero_states

GATES = {"rnn_tanh": 1, "rnn_relu": 1, "lstm": 4, "gru": 3}


class _Recurrent(Function):
    """Shared parts: gate bookkeeping and weight gradients from the stacked gate gradients."""

    kind: str

    def _weight_grads(self, xp: Namespace, x: Any, h_prev: Any, d_gi: Any, d_gh: Any) -> tuple[Any, Any, Any, Any]:
        """Gradients of (W_ih, W_hh, b_ih, b_hh) from the gate gradients (..., G*H) of every step."""
        need = self.needs_input_grad
        d_gi2, d_gh2 = _flat(d_gi, xp), _flat(d_gh, xp)
        grad_w_ih = d_gi2.mT @ _flat(x, xp) if need[3] else None
        grad_w_hh = d_gh2.mT @ _flat(h_prev, xp) if need[4] else None
        grad_b_ih = xp.sum(d_gi2, axis=0) if self.has_bias and need[5] else None
        grad_b_hh = None
        if self.has_bias and need[6]:
            # the plain RNN's two gate gradients are one array: sum it once (a copy: each parameter owns its gradient)
            grad_b_hh = xp.sum(d_gh2, axis=0) if d_gh is not d_gi or grad_b_ih is None else grad_b_ih + 0
        return grad_w_ih, grad_w_hh, grad_b_ih, grad_b_hh

    def _refuse_complex(self, xp: Namespace, x: Any, w_ih: Any) -> None:
        """Complex inputs or weights raise naming the layer: the gate derivatives and products here are written for
        real numbers (PyTorch runs its complex recurrent layers; a refusal rather than a wrong gradient)."""
        if xp.isdtype(x.dtype, "complex floating") or xp.isdtype(w_ih.dtype, "complex floating"):
            raise RuntimeError(f"{self.kind.upper().split('_')[0]}: complex inputs and weights are not supported by "
                               f"anynn's recurrent layers; run a real layer on view_as_real(x) (its two parts as "
                               f"features) instead")

    def _projections(self, xp: Namespace, x: Any, w_ih: Any, b_ih: Any, b_hh: Any) -> tuple[Any, Any]:
        """``x @ W_ih.T`` plus the biases that can be folded into it, and the bias left for ``gh``."""
        self.has_bias = b_ih is not None
        gi = x @ w_ih.mT
        if b_ih is None:
            return gi, None
        if self.kind == "gru":
            return gi + b_ih, b_hh
        return gi + (b_ih + b_hh), None


class RecurrentCell(_Recurrent):
    """One step of an RNN/LSTM/GRU cell in one node.

    Inputs ``(x (N, H_in), h (N, H), c (N, H) or None, weight_ih (G*H, H_in), weight_hh (G*H, H),
    bias_ih (G*H,) or None, bias_hh (G*H,) or None)``; outputs ``h_new`` or ``(h_new, c_new)`` (LSTM).
    """

    def forward(self, xp: Namespace, x: Any, h: Any, c: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
                b_hh: Any = None) -> Any:
        self._refuse_complex(xp, x, w_ih)
        gi, b_gh = self._projections(xp, x, w_ih, b_ih, b_hh)
        gh = h @ w_hh.mT
        if b_gh is not None:
            gh = gh + b_gh
        h_new, c_new, self.cache = _step_forward(xp, self.kind, gi, gh, h, c)
        self.x, self.h, self.w_ih, self.w_hh = x, h, w_ih, w_hh
        return (h_new, c_new) if self.kind == "lstm" else h_new

    def backward(self, xp: Namespace, dh: Any, dc: Any = None) -> tuple[Any, ...]:
        if dh is None:
            dh = xp.zeros_like(self.h)
        d_gi, d_gh, dh_direct, dc_prev = _step_backward(xp, self.kind, self.cache, dh, dc)
        need = self.needs_input_grad
        grad_x = d_gi @ self.w_ih if need[0] else None
        grad_h = None
        if need[1]:
            grad_h = d_gh @ self.w_hh
            grad_h = grad_h if dh_direct is None else grad_h + dh_direct
        weights = self._weight_grads(xp, self.x, self.h, d_gi, d_gh)
        return (grad_x, grad_h, dc_prev if need[2] else None) + weights


class RecurrentSequence(_Recurrent):
    """One layer, one direction, over a whole time-major sequence in one node (BPTT inside).

    Inputs ``(x (L, N, H_in), h0 (N, H), c0 (N, H) or None, weight_ih, weight_hh, bias_ih, bias_hh,
    weight_hr (P, H) or None)``; outputs ``(out (L, N, H), h_n (N, H))``, plus ``c_n`` for the LSTM
    (with ``weight_hr``, the LSTM's projection, ``out``, ``h0`` and ``h_n`` have P features).
    ``reverse=True`` runs from the last step to the first (the backward direction of a bidirectional
    layer); ``out`` stays in time order.
    """

    reverse: bool = False
    scanned: bool = False  # the LSTM ran as one scan (`_lstm_forward_scan`)
    lengths: Any = None  # (N,) int: the steps each sequence runs, masked (`recurrent_masked`); None: all L

    def forward(self, xp: Namespace, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
                b_hh: Any = None, w_hr: Any = None) -> tuple[Any, ...]:
        self._refuse_complex(xp, x, w_ih)
        if x.shape[0] is None and not getattr(op(self.backend, "scan"), "symbolic_length", False):
            raise ValueError(f"{self.kind.upper().split('_')[0]}: the time loop needs the sequence length, and the "
                             f"time axis is symbolic (an ONNX export with it in dynamic_axes): a float64 layer or an "
                             f"LSTM with proj_size records its steps one by one (onnxruntime's LSTM/GRU/RNN operators "
                             f"take float32, without projections); export it in float32 or with a fixed length")
        if self.lengths is not None:
            return recurrent_masked.masked_forward(self, xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        if self.kind == "lstm":
            return self._lstm_forward(xp, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr)
        gi_all, b_gh = self._projections(xp, x, w_ih, b_ih, b_hh)
        if h0 is None:
            h0 = _zero_states(xp, x[0, ...], w_hh.shape[1], gi_all.dtype)
        kind, w_hh_t, record = self.kind, w_hh.mT, any(self.needs_input_grad)

        def step(h: Any, xt: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
            gh = h @ w_hh_t
            if b_gh is not None:
                gh = gh + b_gh
            h_new, _, cache = _step_forward(xp, kind, xt[0], gh, h, None)
            return h_new, ((h_new, h) + cache if record else (h_new,))  # (no backward: nothing kept to stack)

        # one loop operation: the Python loop, or one loop in a compiled program (jax.lax.scan while tracing)
        h, ys = op(self.backend, "scan")(step, h0, (gi_all,), x.shape[0], self.reverse)
        self.x, self.w_ih, self.w_hh = x, w_ih, w_hh
        self.prev_all, self.caches = (ys[1], ys[2:]) if record else (None, ())
        return ys[0], h

    def backward(self, xp: Namespace, d_out: Any, dh: Any, dc: Any = None) -> tuple[Any, ...]:
        if self.lengths is not None:
            return recurrent_masked.masked_backward(self, xp, d_out, dh, dc)
        if self.kind == "lstm":
            return self._lstm_backward(xp, d_out, dh, dc)
        dh = xp.zeros_like(self.prev_all[0, ...]) if dh is None else dh
        need, kind, w_hh = self.needs_input_grad, self.kind, self.w_hh
        with_out = d_out is not None

        def step(dh: Any, xt: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
            if with_out:
                dh = dh + xt[0]
            d_gi, d_gh, dh_direct, _ = _step_backward(xp, kind, xt[with_out:], dh, None)
            dh_prev = d_gh @ w_hh
            if dh_direct is not None:
                dh_prev = dh_prev + dh_direct
            return dh_prev, (d_gi, None if d_gh is d_gi else d_gh)

        xs = ((d_out,) if with_out else ()) + tuple(self.caches)
        dh, (d_gi_all, d_gh_all) = op(self.backend, "scan")(step, dh, xs, self.x.shape[0], not self.reverse)
        d_gh_all = d_gi_all if d_gh_all is None else d_gh_all
        grad_x = d_gi_all @ self.w_ih if need[0] else None
        weights = self._weight_grads(xp, self.x, self.prev_all, d_gi_all, d_gh_all)
        return (grad_x, dh if need[1] else None, None) + weights + (None,)

    def _lstm_forward(self, xp: Namespace, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any, b_hh: Any,
                      w_hr: Any) -> tuple[Any, Any, Any]:
        """The LSTM loop in few, mostly in-place array calls per step besides ``W_hh @ h``.

        The loop runs feature-major: states are (H, N) and gates (4H, N), so each step's product is
        ``[W_hh | W_in] @ [h; x_t]`` (which multi-threaded BLAS splits better than the transpose with only N
        rows; the input projection and the biases, as an input row of ones, ride in it) and the gates are
        contiguous row blocks. All four gates come from one ``tanh``: ``sigmoid(z) =
        0.5 tanh(z / 2) + 0.5``, with the halving of the i, f, o rows folded into the weights once
        (exact in binary floating point), so the step needs only scalar arithmetic, which NumPy runs
        faster than a broadcast row. While a step's arrays are fresh in cache it also prepares what
        `_lstm_backward` needs.
        """
        length, batch, n = x.shape[0], x.shape[1], w_hh.shape[0] // 4
        column = _gate_rows(xp, w_hh, n, 0.5, 1.0)[:, None]
        self.has_bias = b_ih is not None
        x_flat, w_in = _flat(x, xp), w_ih * column
        if b_ih is not None:
            # the biases ride along as an input column of ones: no separate pass over (4H, L*N), and in
            # backward the same product yields their gradient
            ones = xp.ones_like(x_flat[:, :1])  # (not ones((L*N, 1)): a symbolic N has no size to multiply)
            x_flat = xp.concat([x_flat, ones], axis=-1)
            w_in = xp.concat([w_in, (b_ih + b_hh)[:, None] * column], axis=-1)
        w_hh_scaled = w_hh * column
        # in-place updates only touch arrays made in this step (never an input or a saved array)
        # (asked of the input too: weights held as constants while an export records x must not choose this)
        inplace = is_writeable(w_hh_scaled) and is_writeable(x_flat)
        record = any(self.needs_input_grad)
        steps = range(0) if length is None else range(length - 1, -1, -1) if self.reverse else range(length)
        self.x_flat, self.w_ih, self.w_hh, self.w_hr, self.h0 = x_flat, w_ih, w_hh, w_hr, h0
        self.steps, self.inplace = steps, inplace
        # immutable arrays (JAX, array_api_strict): one loop operation, compiled where it can be; also a symbolic
        # batch (ONNX export), whose reshape of the projections keeps the sizes a recorded @ forgets
        if length is None:  # a symbolic time axis (an ONNX export's Loop): the projections of x unflattened
            # (no bias: a zero one, since the recorded product over two symbolic axes forgets the size of the 4H axis)
            bias = w_in[:, -1] if b_ih is not None else xp.zeros_like(w_in[:, 0])
            gi_all = xp.permute_dims(x @ w_in[:, :x.shape[-1]].mT + bias, (2, 0, 1))
            return self._lstm_forward_scan(xp, gi_all, h0, c0, w_hh_scaled, w_hr, record)
        if not inplace or batch is None:
            gi_all = xp.reshape(w_in @ x_flat.mT, (4 * n, length, batch))
            return self._lstm_forward_scan(xp, gi_all, h0, c0, w_hh_scaled, w_hr, record)
        # the input projection rides in each step's product, [W_hh | W_in] @ [h; x_t]: no (4H, L*N) array of all
        # steps' projections to write and then add back a strided slice at a time (~5% of the benchmark's step)
        x_steps = xp.permute_dims(xp.reshape(x_flat, (length, batch, x_flat.shape[-1])), (0, 2, 1))  # (L, K, N)
        w_both = xp.concat([w_hh_scaled, w_in], axis=1)
        h = None if h0 is None else h0.mT
        c = None if c0 is None else c0.mT
        outs: list[Any] = [None] * length
        caches: list[Any] = [None] * length
        lstm_step = op(self.backend, "lstm_step")  # one fused kernel on CuPy
        for t in steps:
            pre = w_in @ x_steps[t, ...] if h is None else w_both @ xp.concat([h, x_steps[t, ...]], axis=0)
            # d pre = [dc; dc; dc; dh] * partners (times 4 on the g block, folded into the weights in
            # backward); dL/dc through h is dh * o (1 - tanh(c)^2) = dh * through_h
            h_cell, c_new, f, partners, through_h = lstm_step(pre, c, inplace, record)
            if record:
                caches[t] = (f, partners, through_h, h_cell)
            c = c_new
            h = h_cell if w_hr is None else w_hr @ h_cell  # proj_size: the state carried on is W_hr h
            outs[t] = h.mT
        out = xp.stack(outs, axis=0)
        self.out, self.caches = out, caches
        return out, h.mT, c.mT

    def _lstm_forward_scan(self, xp: Namespace, gi_all: Any, h0: Any, c0: Any, w_hh_scaled: Any, w_hr: Any,
                           record: bool) -> tuple[Any, Any, Any]:
        """`_lstm_forward`'s loop as one ``scan`` (no in-place updates): ``jax.lax.scan`` while JAX traces, so a
        compiled step holds one loop body instead of one per time step; elsewhere the Python loop."""
        n = w_hh_scaled.shape[0] // 4
        zeros = lambda rows: _zero_states(xp, gi_all[0, 0, ...], rows, gi_all.dtype, first=False)  # noqa: E731
        h = zeros(w_hh_scaled.shape[1]) if h0 is None else h0.mT
        c = zeros(n) if c0 is None else c0.mT
        lstm_step = op(self.backend, "lstm_step")

        def step(carry: tuple[Any, Any], xt: tuple[Any, ...]) -> tuple[tuple[Any, Any], tuple[Any, ...]]:
            h, c = carry
            h_cell, c_new, f, partners, through_h = lstm_step(w_hh_scaled @ h + xt[0], c, False, record)
            if w_hr is not None:  # (the state's own shape: a recorded @ over a symbolic batch forgets its sizes)
                h = xp.reshape(w_hr @ h_cell, tuple(-1 if n is None else n for n in h.shape))
            else:
                h = h_cell
            cache = (f, partners, through_h, h_cell) if record else (None, None, None, None)
            return (h, c_new), (h.mT,) + cache

        (h, c), ys = op(self.backend, "scan")(step, (h, c), (xp.permute_dims(gi_all, (1, 0, 2)),),
                                              gi_all.shape[1], self.reverse)
        self.out, self.caches, self.scanned = ys[0], ys[1:], True
        return ys[0], h.mT, c.mT

    def _lstm_backward(self, xp: Namespace, d_out: Any, dh: Any, dc: Any) -> tuple[Any, ...]:
        """BPTT of `_lstm_forward` (feature-major too), ~6 array calls per step besides ``W_hh.T @ d pre``.

        Per step ``dc = dc_next * f_next + dh * o (1 - tanh(c)^2)`` and ``d pre = [dc; dc; dc; dh] *
        partners * m`` with m = 4 on the g block and 1 elsewhere; m is applied to the weights (and to
        the weight gradients) instead of the (4H, N) arrays. The weight gradients are one product each
        over all steps.
        """
        need, n, w_hr, inplace = self.needs_input_grad, self.w_hh.shape[0] // 4, self.w_hr, self.inplace
        column = _gate_rows(xp, self.w_hh, n, 1.0, 4.0)[:, None]
        w_hh_t = (self.w_hh * column).mT
        dh = xp.zeros_like(self.out[0, ...].mT) if dh is None else dh.mT
        own_dh = False  # dh starts as the caller's array: never update it in place
        carry = None if dc is None else dc.mT  # dL/dc_t from the later steps, through the forget gate
        last = self.steps[0]
        if self.scanned:
            d_pre_all, d_last, dh, carry, grad_w_hr = self._lstm_backward_scan(xp, d_out, dh, carry, w_hh_t)
            return self._lstm_weight_grads(xp, d_pre_all, d_last, dh, carry, grad_w_hr, column)
        grad_w_hr = None
        d_pres: list[Any] = [None] * len(self.caches)
        lstm_step_backward = op(self.backend, "lstm_step_backward")
        for t in reversed(self.steps):
            f, partners, through_h, h_cell = self.caches[t]
            if d_out is not None:
                # copy the (N, H) slice before reading it transposed: with batch-first data its rows lie
                # L*H elements apart (often a power of two), and a transposed read of them thrashes the cache
                dh = _iadd(dh, xp.asarray(d_out[t, ...], copy=True).mT, inplace and own_dh)
            if w_hr is not None:
                if need[7]:
                    step_grad = dh @ h_cell.mT
                    grad_w_hr = step_grad if grad_w_hr is None else grad_w_hr + step_grad
                dh = w_hr.mT @ dh
            d_pres[t], carry = lstm_step_backward(dh, carry, f, partners, through_h, inplace)
            if t != last or need[1]:
                dh, own_dh = w_hh_t @ d_pres[t], True
        d_pre_all = xp.concat(d_pres, axis=1)  # (4H, L*N), columns in (t, n) order
        return self._lstm_weight_grads(xp, d_pre_all, d_pres[last], dh, carry, grad_w_hr, column)

    def _lstm_backward_scan(self, xp: Namespace, d_out: Any, dh: Any, carry: Any,
                            w_hh_t: Any) -> tuple[Any, Any, Any, Any, Any]:
        """BPTT of `_lstm_forward_scan` as one ``scan``: (d pre all (4H, L*N), d pre of the first step, dh, dc,
        grad W_hr)."""
        need, w_hr, with_out = self.needs_input_grad, self.w_hr, d_out is not None
        f_all = self.caches[0]
        if carry is None:
            carry = xp.zeros_like(f_all[0, ...])
        lstm_step_backward = op(self.backend, "lstm_step_backward")

        def step(state: tuple[Any, Any], xt: tuple[Any, ...]) -> tuple[tuple[Any, Any], tuple[Any, Any]]:
            dh, carry = state
            f, partners, through_h, h_cell = xt[:4]
            if with_out:
                dh = dh + xt[4].mT
            step_grad = None
            if w_hr is not None:
                step_grad = dh @ h_cell.mT if need[7] else None
                dh = w_hr.mT @ dh
            d_pre, carry = lstm_step_backward(dh, carry, f, partners, through_h, False)
            return (w_hh_t @ d_pre, carry), (d_pre, step_grad)

        xs = tuple(self.caches) + ((d_out,) if with_out else ())
        (dh, carry), (d_pres, w_hr_grads) = op(self.backend, "scan")(step, (dh, carry), xs, f_all.shape[0],
                                                                      not self.reverse)
        length, rows, batch = d_pres.shape
        d_pre_all = xp.reshape(xp.permute_dims(d_pres, (1, 0, 2)), (rows, length * batch))
        grad_w_hr = None if w_hr_grads is None else xp.sum(w_hr_grads, axis=0)
        return d_pre_all, d_pres[self.steps[0], ...], dh, carry, grad_w_hr

    def _lstm_weight_grads(self, xp: Namespace, d_pre_all: Any, d_last: Any, dh: Any, carry: Any, grad_w_hr: Any,
                           column: Any) -> tuple[Any, ...]:
        """The input and weight gradients of the LSTM sequence from the gate gradients of every step."""
        need = self.needs_input_grad
        length, batch = self.out.shape[0], self.out.shape[1]
        grad_x = None
        if need[0]:
            grad_x = xp.reshape(d_pre_all.mT @ (self.w_ih * column), (length, batch, self.w_ih.shape[1]))
        grad_w_hh = None
        if need[4]:
            # step t started from the output of the step before it (in loop order), the first from h0
            cols = slice(0, (length - 1) * batch) if self.reverse else slice(batch, length * batch)
            earlier = slice(1, None) if self.reverse else slice(None, -1)
            grad_w_hh = d_pre_all[:, cols] @ _flat(self.out[earlier, ...], xp)
            if self.h0 is not None:
                grad_w_hh = grad_w_hh + d_last @ self.h0
            grad_w_hh = grad_w_hh * column
        grad_w_ih = grad_b_ih = grad_b_hh = None
        if need[3] or (self.has_bias and (need[5] or need[6])):
            grad_in = (d_pre_all @ self.x_flat) * column  # (4H, H_in [+ 1 for the biases])
            n_in = self.w_ih.shape[1]
            grad_w_ih = grad_in[:, :n_in] if need[3] else None
            if self.has_bias:
                grad_b_ih = grad_in[:, n_in] if need[5] else None
                grad_b_hh = grad_in[:, n_in] + 0 if need[6] else None  # a copy: each parameter owns its gradient
        return (grad_x, dh.mT if need[1] else None, carry.mT if need[2] else None, grad_w_ih, grad_w_hh, grad_b_ih,
                grad_b_hh, grad_w_hr)


def _iadd(a: Any, b: Any, inplace: bool) -> Any:
    """``a + b``, written into ``a`` when the caller owns ``a`` and the backend allows it."""
    if inplace:
        a += b
        return a
    return a + b


def _kind(cell: str, nonlinearity: str = "tanh") -> str:
    if cell == "rnn":
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        return "rnn_" + nonlinearity
    return cell


def apply_cell(kind: str, x: Any, h: Any, c: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
               bias_hh: Any = None) -> Any:
    """One step of ``kind``: the fused `RecurrentCell` node, or for complex inputs or weights the composite step
    of `anynn.functional.recurrent_complex` (PyTorch runs complex recurrent layers)."""
    if recurrent_complex.is_complex(x, h, weight_ih):
        return recurrent_complex.cell(kind, x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)
    return RecurrentCell.apply(x, h, c, weight_ih, weight_hh, bias_ih, bias_hh, kind=kind)


def rnn_cell(x: Any, h: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None, bias_hh: Any = None,
             nonlinearity: str = "tanh") -> Any:
    """``h' = act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)``; x: (N, H_in), h: (N, H) → (N, H)."""
    return apply_cell(_kind("rnn", nonlinearity), x, h, None, weight_ih, weight_hh, bias_ih, bias_hh)


def lstm_cell(x: Any, h: Any, c: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
              bias_hh: Any = None) -> tuple[Any, Any]:
    """One LSTM step (gates i, f, g, o); x: (N, H_in), h, c: (N, H) → ``(h', c')`` each (N, H)."""
    return apply_cell("lstm", x, h, c, weight_ih, weight_hh, bias_ih, bias_hh)


def gru_cell(x: Any, h: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None, bias_hh: Any = None) -> Any:
    """One GRU step (gates r, z, n; ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``) → h' (N, H)."""
    return apply_cell("gru", x, h, None, weight_ih, weight_hh, bias_ih, bias_hh)


def recurrent_sequence(mode: str, x: Any, h0: Any, c0: Any, weight_ih: Any, weight_hh: Any, bias_ih: Any = None,
                       bias_hh: Any = None, reverse: bool = False, weight_hr: Any = None,
                       lengths: Any = None) -> tuple[Any, ...]:
    """Run one recurrent layer in one direction over a time-major sequence (one autograd node).

    Parameters
    ----------
    mode : ``"rnn_tanh"``, ``"rnn_relu"``, ``"lstm"`` or ``"gru"``
    x : (L, N, H_in)
    h0, c0 : (N, H), or None for zeros; ``c0`` only for the LSTM (``None`` otherwise)
    reverse : run from the last time step to the first
    weight_hr : (P, H), optional
        LSTM only (PyTorch's ``proj_size``): the hidden state is projected, ``h_t = (o * tanh(c_t)) @ W_hr.T``,
        so h0, ``out`` and ``h_n`` have P features and ``weight_hh`` is (4H, P).
    lengths : (N,) int Tensor, optional
        Sequence ``n`` runs its first ``lengths[n]`` steps only, as in a packed batch: its state is carried
        unchanged past them and its outputs there are zeros (`anynn.functional.recurrent_masked`).

    Returns
    -------
    ``(out (L, N, H), h_n (N, H))``, plus ``c_n (N, H)`` for the LSTM.
    """
    if mode not in GATES:
        raise ValueError(f"recurrent_sequence: mode must be one of {sorted(GATES)}, got {mode!r}")
    if weight_hr is not None and mode != "lstm":
        raise ValueError(f"recurrent_sequence: weight_hr (proj_size) is for the LSTM only, got mode {mode!r}")
    if recurrent_complex.is_complex(x, h0, weight_ih):
        return recurrent_complex.sequence(mode, x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, reverse, weight_hr)
    if lengths is not None:
        return RecurrentSequence.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, kind=mode,
                                       reverse=reverse, lengths=lengths.array)
    return RecurrentSequence.apply(x, h0, c0, weight_ih, weight_hh, bias_ih, bias_hh, weight_hr, kind=mode,
                                   reverse=reverse)
