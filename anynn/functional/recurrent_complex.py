"""Complex recurrent layers (PyTorch runs RNN/GRU/LSTM and their cells in complex64/complex128 on the CPU): the
step written with Tensor operations (products, ``sigmoid``, ``tanh``), whose complex gradients are PyTorch's.

The fused real Functions of `anynn.functional.recurrent` write their derivatives for real numbers; complex
inputs or weights take this path instead: one graph node per operation rather than one per layer, which is
slower but exact. ``relu`` has no complex form (PyTorch: "clamp is not supported for complex types").
Shapes and gate layouts as in `anynn.functional.recurrent`.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .shape import stack


def is_complex(*tensors: Any) -> bool:
    """Whether an input or a weight is complex (then the step runs here)."""
    return any(isinstance(t, Tensor) and t.backend.xp.isdtype(t.array.dtype, "complex floating") for t in tensors)


def cell(kind: str, x: Tensor, h: Tensor, c: Tensor | None, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None,
         b_hh: Tensor | None) -> Any:
    """One step: x (N, H_in), h and c (N, H) → h' (N, H), or ``(h', c')`` for the LSTM."""
    gi, gh = x @ w_ih.mT, h @ w_hh.mT
    if b_ih is not None:
        gi, gh = gi + b_ih, gh + b_hh
    if kind == "rnn_relu":
        raise NotImplementedError("RNN: clamp is not supported for complex types (nonlinearity='relu' of complex "
                                  "inputs or weights; PyTorch refuses it too); use nonlinearity='tanh'")
    if kind == "rnn_tanh":
        return (gi + gh).tanh()
    n = h.shape[-1] if kind == "gru" else w_hh.shape[0] // 4
    if kind == "gru":
        r = (gi[..., :n] + gh[..., :n]).sigmoid()
        z = (gi[..., n:2 * n] + gh[..., n:2 * n]).sigmoid()
        candidate = (gi[..., 2 * n:] + r * gh[..., 2 * n:]).tanh()
        return (1 - z) * candidate + z * h
    gates = gi + gh
    i, f = gates[..., :n].sigmoid(), gates[..., n:2 * n].sigmoid()
    g, o = gates[..., 2 * n:3 * n].tanh(), gates[..., 3 * n:].sigmoid()
    c_new = f * c + i * g
    return o * c_new.tanh(), c_new


def sequence(kind: str, x: Tensor, h0: Tensor | None, c0: Tensor | None, w_ih: Tensor, w_hh: Tensor,
             b_ih: Tensor | None, b_hh: Tensor | None, reverse: bool, w_hr: Tensor | None) -> tuple[Tensor, ...]:
    """One layer, one direction over x (L, N, H_in): ``(out (L, N, H), h_n)``, plus ``c_n`` for the LSTM (with
    ``w_hr``, the LSTM's projection, h has P features)."""
    batch, hidden = x.shape[1], w_hh.shape[1]
    h = h0 if h0 is not None else x.new_zeros((batch, hidden))
    c = None
    if kind == "lstm":
        c = c0 if c0 is not None else x.new_zeros((batch, w_hh.shape[0] // 4))
    steps = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    outs: dict[int, Tensor] = {}
    for t in steps:
        result = cell(kind, x[t], h, c, w_ih, w_hh, b_ih, b_hh)
        if kind == "lstm":
            h, c = result
            if w_hr is not None:
                h = h @ w_hr.mT
        else:
            h = result
        outs[t] = h
    out = stack([outs[t] for t in range(x.shape[0])], axis=0)
    return (out, h, c) if kind == "lstm" else (out, h)


__all__ = ["cell", "is_complex", "sequence"]
