"""One ONNX ``RNN``/``GRU``/``LSTM`` operator per recurrent layer and direction.

anynn (as PyTorch) stores the gates as (i, f, g, o) for the LSTM and (r, z, n) for the GRU; ONNX wants
(i, o, f, c) and (z, r, h). The weights are constants, so the rows are reordered on the host once. PyTorch's
GRU applies the reset gate after the hidden product, which is ONNX's ``linear_before_reset=1``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ndonnx_graph import const, host, np_dtype, var, wrap
from .typing import Namespace

# ONNX gate position -> anynn gate block
_ORDER = {"lstm": (0, 3, 1, 2), "gru": (1, 0, 2), "rnn_tanh": (0,), "rnn_relu": (0,)}
_OPERATOR = {"lstm": "lstm", "gru": "gru", "rnn_tanh": "rnn", "rnn_relu": "rnn"}


def _reorder(weight: np.ndarray, kind: str) -> np.ndarray:
    blocks = np.split(weight, len(_ORDER[kind]), axis=0)
    return np.concatenate([blocks[i] for i in _ORDER[kind]], axis=0)[None]


def recurrent_sequence(fn: Any, xp: Namespace, x: Any, h0: Any, c0: Any, w_ih: Any, w_hh: Any, b_ih: Any = None,
                       b_hh: Any = None, w_hr: Any = None) -> Any:
    """``RecurrentSequence`` (x (L, N, H_in) → out (L, N, H), h_n (N, H)[, c_n]) as one ONNX operator."""
    import spox.opset.ai.onnx.v21 as opset

    op: Any = opset  # optional inputs are passed positionally, as ONNX lists them

    kind = fn.kind
    weights = [host(w) for w in (w_ih, w_hh)]
    if w_hr is not None or any(w is None for w in weights) or x.ndim != 3:
        return NotImplemented  # LSTM projections have no ONNX form; weights must be constants to reorder
    hidden = weights[1].shape[1]
    dtype = np_dtype(x)
    biases = [host(b) for b in (b_ih, b_hh)]
    if (b_ih is not None and biases[0] is None) or (b_hh is not None and biases[1] is None):
        return NotImplemented
    rows = weights[0].shape[0]
    b = np.concatenate([np.zeros(rows, dtype) if v is None else v for v in biases])
    bias = const(np.concatenate([_reorder(b[:rows], kind), _reorder(b[rows:], kind)], axis=1))
    axes0 = const([0], np.int64)
    initial_h = None if h0 is None else op.unsqueeze(var(h0), axes0)
    attributes: dict[str, Any] = dict(hidden_size=hidden, direction="reverse" if fn.reverse else "forward")
    # a packed batch over lengths known as the graph runs (`anynn.functional.recurrent_masked`): ONNX's
    # sequence_lens, whose steps past a sequence's end keep its state and give zeros, as the masked loop
    lengths = None if fn.lengths is None else op.cast(var(fn.lengths), to=np.int32)
    inputs = [var(x), const(_reorder(weights[0], kind)), const(_reorder(weights[1], kind)), bias, lengths,
              initial_h]
    if kind == "lstm":
        initial_c = None if c0 is None else op.unsqueeze(var(c0), axes0)
        y, y_h, y_c = op.lstm(*inputs, initial_c, **attributes)
    elif kind == "gru":
        y, y_h = op.gru(*inputs, linear_before_reset=1, **attributes)
    else:
        y, y_h = op.rnn(*inputs, activations=["Relu" if kind == "rnn_relu" else "Tanh"], **attributes)
    out = [wrap(op.squeeze(y, const([1], np.int64))), wrap(op.squeeze(y_h, axes0))]
    if kind == "lstm":
        out.append(wrap(op.squeeze(y_c, axes0)))
    return tuple(out)
