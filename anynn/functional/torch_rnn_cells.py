"""PyTorch's top-level recurrent cells (``torch.lstm_cell``, ``torch.gru_cell``, ``torch.rnn_tanh_cell``,
``torch.rnn_relu_cell``): one time step from the input and hidden state and the weights as ``nn.LSTMCell`` and
friends hold them (w_ih (G H, I), w_hh (G H, H), G = 4 for LSTM, 3 for GRU, 1 otherwise), gates in PyTorch's order
(LSTM i, f, g, o; GRU r, z, n). Written with `linear` and elementwise ops, so the gradients are theirs.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .linalg import linear


def _projections(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Any, b_hh: Any,  # noqa: A002
                 op: str, gates: int) -> tuple[Tensor, Tensor]:
    hidden = hx.shape[-1]
    if w_ih.shape[0] != gates * hidden or tuple(w_hh.shape) != (gates * hidden, hidden):
        raise RuntimeError(f"{op}: expected w_ih of ({gates * hidden}, input_size) and w_hh of "
                           f"({gates * hidden}, {hidden}) for hidden size {hidden}, got {tuple(w_ih.shape)} and "
                           f"{tuple(w_hh.shape)}")
    if input.shape[-1] != w_ih.shape[1]:
        raise RuntimeError(f"{op}: input has {input.shape[-1]} features, w_ih expects {w_ih.shape[1]}")
    return linear(input, w_ih, b_ih), linear(hx, w_hh, b_hh)


def lstm_cell(input: Tensor, hx: Any, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
              b_hh: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """One LSTM step: input (N, I) or (I,), ``hx = (h, c)`` each (N, H) or (H,); returns ``(h', c')``."""
    h, c = hx
    from_input, from_hidden = _projections(input, h, w_ih, w_hh, b_ih, b_hh, "lstm_cell", 4)
    i, f, g, o = (from_input + from_hidden).chunk(4, -1)
    c_next = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return o.sigmoid() * c_next.tanh(), c_next


def gru_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
             b_hh: Tensor | None = None) -> Tensor:
    """One GRU step: ``n = tanh(x W_in + b_in + r * (h W_hn + b_hn))``, ``h' = (1 - z) * n + z * h``."""
    from_input, from_hidden = _projections(input, hx, w_ih, w_hh, b_ih, b_hh, "gru_cell", 3)
    ir, iz, in_ = from_input.chunk(3, -1)
    hr, hz, hn = from_hidden.chunk(3, -1)
    r, z = (ir + hr).sigmoid(), (iz + hz).sigmoid()
    n = (in_ + r * hn).tanh()
    return n + z * (hx - n)


def rnn_tanh_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
                  b_hh: Tensor | None = None) -> Tensor:
    """One Elman step: ``tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    from_input, from_hidden = _projections(input, hx, w_ih, w_hh, b_ih, b_hh, "rnn_tanh_cell", 1)
    return (from_input + from_hidden).tanh()


def rnn_relu_cell(input: Tensor, hx: Tensor, w_ih: Tensor, w_hh: Tensor, b_ih: Tensor | None = None,  # noqa: A002
                  b_hh: Tensor | None = None) -> Tensor:
    """One Elman step with ReLU: ``relu(x W_ih^T + b_ih + h W_hh^T + b_hh)``."""
    from_input, from_hidden = _projections(input, hx, w_ih, w_hh, b_ih, b_hh, "rnn_relu_cell", 1)
    return (from_input + from_hidden).relu()


__all__ = ["gru_cell", "lstm_cell", "rnn_relu_cell", "rnn_tanh_cell"]
