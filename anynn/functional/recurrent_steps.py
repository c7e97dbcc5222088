"""The step math of the recurrent layers, written once: one time step forward (`_step_forward`) and backward
(`_step_backward`) of every kind, and the zero states a sequence starts from. The cell and sequence Functions
(`anynn.functional.recurrent`) and the masked loop over lengths (`anynn.functional.recurrent_masked`) share it."""

from __future__ import annotations

from typing import Any

from ..backend.arrays import at_set
from ..backend.arrays import device_of as device
from ..backend.portable.recurrent import lstm_step, lstm_step_backward
from ..backend.typing import Namespace
from .formulas.logistic import sigmoid


def _gate_rows(xp: Namespace, like: Any, n: int, sigmoid_value: float, g_value: float) -> Any:
    """A (4n,) row holding ``sigmoid_value`` on the i, f, o blocks and ``g_value`` on the g block."""
    row = xp.full((4 * n,), sigmoid_value, dtype=like.dtype, device=device(like))
    return at_set(row, slice(2 * n, 3 * n), g_value)


def _step_forward(xp: Namespace, kind: str, gi: Any, gh: Any, h: Any, c: Any) -> tuple[Any, Any, tuple[Any, ...]]:
    """One time step from the input part ``gi`` (N, G*H) and the recurrent part ``gh = h @ W_hh.T (+ b)``.

    For ``rnn_*`` and ``lstm`` the caller may fold both biases into ``gi``; for ``gru`` ``gh`` must
    carry ``b_hh`` (its n block is multiplied by ``r``). Returns ``(h_new, c_new or None, cache)``.
    """
    if kind == "lstm":
        # the sequence's step (and its CUDA kernel's formula), feature-major, i, f, o rows halved
        pre = ((gi + gh) * _gate_rows(xp, gi, c.shape[-1], 0.5, 1.0)).mT
        h_cell, c_new, f, partners, through_h = lstm_step(xp, pre, c.mT, False)
        return h_cell.mT, c_new.mT, (f, partners, through_h)
    if kind == "gru":
        n = h.shape[-1]
        rz = sigmoid(xp, gi[..., :2 * n] + gh[..., :2 * n])  # both gates in one pass (7 array calls, not 14)
        r, z = rz[..., :n], rz[..., n:]
        hn = gh[..., 2 * n:]
        cand = xp.tanh(gi[..., 2 * n:] + r * hn)
        return (1.0 - z) * cand + z * h, None, (r, z, cand, hn, h)
    pre = gi + gh
    if kind == "rnn_tanh":
        h_new = xp.tanh(pre)
    else:
        h_new = xp.where(pre > 0, pre, xp.zeros_like(pre))
    return h_new, None, (h_new,)


def _step_backward(xp: Namespace, kind: str, cache: tuple[Any, ...], dh: Any,
                   dc: Any) -> tuple[Any, Any, Any, Any]:
    """Gradients of one step: ``(d gi, d gh, dh_direct, dc_prev)``.

    ``dh_direct`` is the part of dL/dh_prev that does not go through ``W_hh`` (GRU only, else None);
    the caller adds ``d gh @ W_hh``.
    """
    if kind == "lstm":
        f, partners, through_h = cache
        d_pre, carry = lstm_step_backward(xp, dh.mT, None if dc is None else dc.mT, f, partners, through_h, False)
        d_pre = d_pre.mT * _gate_rows(xp, d_pre, f.shape[0], 1.0, 4.0)  # the g block's factor 4
        return d_pre, d_pre, None, carry.mT
    if kind == "gru":
        r, z, cand, hn, h_prev = cache
        d_cand = dh * (1.0 - z) * (1.0 - cand * cand)
        d_r = d_cand * hn * r * (1.0 - r)
        d_z = dh * (h_prev - cand) * z * (1.0 - z)
        d_gi = xp.concat([d_r, d_z, d_cand], axis=-1)
        d_gh = xp.concat([d_r, d_z, d_cand * r], axis=-1)
        return d_gi, d_gh, dh * z, None
    (h_new,) = cache
    if kind == "rnn_tanh":
        d_pre = dh * (1.0 - h_new * h_new)
    else:
        # h_new, not zeros, where it is 0 (pre <= 0 or NaN): the same values, and recorded (create_graph) the
        # gradient reads the output as PyTorch's threshold_backward does, so a penalty on it differentiates to
        # zeros in x, h and the biases (through relu's zero slope), not None
        d_pre = xp.where(h_new > 0, dh, h_new)
    return d_pre, d_pre, None, None


def _flat(x: Any, xp: Namespace) -> Any:
    return x if x.ndim == 2 else xp.reshape(x, (-1, x.shape[-1]))



def _zero_states(xp: Namespace, like: Any, size: int, dtype: Any, first: bool = True) -> Any:
    """Zeros (N, size) (``first``) or (size, N) for ``like`` with N on its axis 0 (first) or its only axis; N may
    be symbolic (``None``: an ONNX export with a dynamic batch), then it is read from ``like`` when the graph runs."""
    batch = like.shape[0]
    if batch is not None:
        return xp.zeros((batch, size) if first else (size, batch), dtype=dtype, device=device(like))
    column = xp.zeros_like(like[:, :1] if first else like[None, :], dtype=dtype)  # (N, 1) or (1, N)
    return column + xp.zeros((1, size) if first else (size, 1), dtype=dtype, device=device(like))
