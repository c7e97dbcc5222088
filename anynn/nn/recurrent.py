"""Recurrent layers: `RNN`, `LSTM`, `GRU` (stacked, bidirectional) and the cells `RNNCell`, `LSTMCell`, `GRUCell`.

Arguments, outputs, parameter names and shapes are PyTorch's: ``weight_ih_l{k}`` (G*H, H_in) and
``weight_hh_l{k}`` (G*H, H), ``bias_ih_l{k}`` / ``bias_hh_l{k}`` (G*H,), with ``_reverse`` for the
backward direction; gates ``i, f, g, o`` (LSTM, G = 4), ``r, z, n`` (GRU, G = 3), one block (RNN).
Every parameter starts as U(-1/sqrt(H), 1/sqrt(H)), drawn on the host in parameter order.
"""

from __future__ import annotations

import math
import numbers
import warnings
from typing import Any

from ..init import HostGenerator, host_generator
from .. import init
from ..autograd.tensor import Tensor
from ..backend.devices import device_of as device
from ..functional.recurrent import GATES, apply_cell, recurrent_sequence
from ..functional.shape import concat, permute, reshape, stack
from .linear import new_parameter
from .module import Module
from .recurrent_packed import run_packed
from .utils.rnn import PackedSequence, RecordedLengthsPack, recorded_pack
from .validate import RecurrentDTypeError, ShapeMismatch, check_input


def _zeros(like: Tensor, shape: tuple[int, ...]) -> Tensor:
    """Zeros of ``shape`` (N, H) in the dtype of ``like`` (N, H_in); N may be symbolic (ONNX export)."""
    xp = like.backend.xp
    zeros = xp.zeros((1,) + shape[1:] if shape[0] is None else shape, dtype=like.array.dtype, device=device(like.array))
    if shape[0] is None:
        zeros = zeros + xp.zeros_like(like.array[:, :1])  # (1, H) + (N, 1): N read when the graph runs
    return Tensor._make(zeros, like.backend, None, 0)


def _check_state(layer: Module, name: str, state: Any, expected: tuple[int, ...]) -> None:
    if not isinstance(state, Tensor):
        raise TypeError(f"{type(layer).__name__}: expected {name} to be an anynn Tensor, got {type(state).__name__}")
    if tuple(state.shape) != expected:
        raise ShapeMismatch(f"{type(layer).__name__}: expected {name} of shape {expected}, got {tuple(state.shape)}")


class _UniformInit(Module):
    """Shared PyTorch init: every parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in order."""

    hidden_size: int

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        bound = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self._parameters.values():
            if p is not None:
                init.uniform_(p, -bound, bound, generator=rng)


class RNNCellBase(_UniformInit):
    """The base of the cells (PyTorch's ``nn.RNNCellBase(input_size, hidden_size, bias, num_chunks)``: weights of
    ``num_chunks * hidden_size`` rows; made directly it has no forward, as PyTorch's)."""

    kind = "rnn_tanh"

    def __init__(self, input_size: int, hidden_size: int, bias: bool, num_chunks: int, backend: Any = None,
                 dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        gates = num_chunks * hidden_size
        self.weight_ih = new_parameter((gates, input_size), backend, dtype)
        self.weight_hh = new_parameter((gates, hidden_size), backend, dtype)
        self.bias_ih = new_parameter((gates,), backend, dtype) if bias else None
        self.bias_hh = new_parameter((gates,), backend, dtype) if bias else None
        self._reset_own_parameters(host_generator(seed))

    def _run(self, x: Tensor, states: tuple[Any, ...]) -> Any:
        """x: (H_in,) or (N, H_in); states: each None or of the shape of the hidden state."""
        check_input(self, x, ndim=(1, 2), last_dim=self.input_size)
        batched = x.ndim == 2
        shape = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        names = ("h", "c")
        full = []
        for name, s in zip(names, states):
            if s is None:
                s = _zeros(x, (x.shape[0] if batched else 1, self.hidden_size))
            else:
                _check_state(self, name, s, shape)
                s = s if batched else reshape(s, (1, self.hidden_size))
            full.append(s)
        if not batched:
            x = reshape(x, (1, self.input_size))
        c = full[1] if self.kind == "lstm" else None
        out = apply_cell(self.kind, x, full[0], c, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        if batched:
            return out
        if isinstance(out, tuple):
            return tuple(reshape(o, (self.hidden_size,)) for o in out)
        return reshape(out, (self.hidden_size,))

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}" + ("" if self.bias else ", bias=False")


class RNNCell(RNNCellBase):
    """``h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh)`` (or relu).

    Call ``cell(x, hx=None)`` with x: (N, H_in) or (H_in,) and hx like the output, (N, H) or (H,)
    (zeros when omitted). Parameters: ``weight_ih`` (H, H_in), ``weight_hh`` (H, H), ``bias_ih``,
    ``bias_hh`` (H,).
    """

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, nonlinearity: str = "tanh",
                 backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__(input_size, hidden_size, bias, 1, backend, dtype, seed)
        self.kind = "rnn_" + nonlinearity
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, (hx,))


class LSTMCell(RNNCellBase):
    """One LSTM step: call ``cell(x, (h, c))`` → ``(h', c')``; gates i, f, g, o stacked in (4H, ·) weights.

    x: (N, H_in) or (H_in,); h, c: (N, H) or (H,) (zeros when ``hx`` is omitted).
    """

    kind = "lstm"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, backend: Any = None, dtype: Any = None,
                 seed: int | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, 4, backend, dtype, seed)

    def forward(self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None) -> tuple[Tensor, Tensor]:
        return self._run(input, (None, None) if hx is None else tuple(hx))


class GRUCell(RNNCellBase):
    """One GRU step: ``cell(x, h)`` → h'; gates r, z, n stacked in (3H, ·) weights.

    ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``, ``h' = (1 - z) * n + z * h``.
    """

    kind = "gru"

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, backend: Any = None, dtype: Any = None,
                 seed: int | None = None) -> None:
        super().__init__(input_size, hidden_size, bias, 3, backend, dtype, seed)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        return self._run(input, (hx,))


# PyTorch's mode names -> the kernels' names
_KINDS = {"LSTM": "lstm", "GRU": "gru", "RNN_TANH": "rnn_tanh", "RNN_RELU": "rnn_relu"}


class RNNBase(_UniformInit):
    """The base of `RNN`, `LSTM` and `GRU` (PyTorch's ``nn.RNNBase``): ``RNNBase(mode, input_size, hidden_size,
    ...)`` with ``mode`` one of ``"LSTM"``, ``"GRU"``, ``"RNN_TANH"``, ``"RNN_RELU"`` (kept as ``.mode``); the other
    arguments as `LSTM`'s. Made directly, it runs the recurrence of its mode (PyTorch's has no forward)."""

    _kind = "lstm"

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        name = type(self).__name__
        if mode not in _KINDS:
            raise ValueError(f"{name}: Unrecognized RNN mode: {mode}")
        self.mode = mode
        self._kind = _KINDS[mode]
        for what, size in (("input_size", input_size), ("hidden_size", hidden_size)):  # PyTorch's checks
            if isinstance(size, bool) or not isinstance(size, numbers.Integral):  # (NumPy integers too, as Linear)
                raise TypeError(f"{name}: {what} should be of type int, got: {type(size).__name__}")
            if size <= 0:
                raise ValueError(f"{name}: {what} must be greater than zero, got {size}")
        if num_layers < 1:
            raise ValueError(f"{name}: num_layers must be at least 1, got {num_layers}")
        if proj_size < 0:
            raise ValueError(f"{name}: proj_size should be a positive integer or zero to disable projections, "
                             f"got {proj_size}")
        if proj_size and self._kind != "lstm":
            raise ValueError(f"{name}: proj_size is only supported for LSTM, not RNN or GRU")
        if proj_size >= hidden_size > 0 or (proj_size and hidden_size == 0):
            raise ValueError(f"{name}: proj_size ({proj_size}) has to be smaller than hidden_size ({hidden_size})")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"{name}: dropout must be in [0, 1], got {dropout}")
        if dropout > 0 and num_layers == 1:  # PyTorch's warning, word for word
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so non-zero dropout "
                          f"expects num_layers greater than 1, but got dropout={dropout} and num_layers={num_layers}",
                          stacklevel=1)  # the library's line, as PyTorch's
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.dropout = bias, batch_first, float(dropout)
        self.bidirectional = bidirectional
        self.proj_size = proj_size
        self.seed = seed
        self._dropout_rng: Any = None
        for layer in range(num_layers):
            for suffix in ("", "_reverse")[:self.num_directions]:
                for name, shape in self._weight_shapes(layer).items():
                    if (bias or not name.startswith("bias")) and (proj_size or name != "weight_hr"):
                        setattr(self, f"{name}_l{layer}{suffix}", new_parameter(shape, backend, dtype))
        self._reset_own_parameters(host_generator(seed))

    def _weight_shapes(self, layer: int) -> dict[str, tuple[int, ...]]:
        """The shape of each weight of ``layer`` (either direction), in PyTorch's order: G gates of H, the layer's
        input (``input_size``, or D*(P or H) above the first), the state it reads (P or H), the projection (P, H)."""
        gates = GATES[self._kind] * self.hidden_size
        out_size = self.proj_size or self.hidden_size
        layer_in = self.input_size if layer == 0 else out_size * self.num_directions
        return {"weight_ih": (gates, layer_in), "weight_hh": (gates, out_size), "bias_ih": (gates,),
                "bias_hh": (gates,), "weight_hr": (self.proj_size, self.hidden_size)}

    @property
    def num_directions(self) -> int:
        return 2 if self.bidirectional else 1

    @property
    def all_weights(self) -> list[list[Any]]:
        """Per layer and direction, its parameters in PyTorch's order: weight_ih, weight_hh, then the biases and
        weight_hr where the layer has them."""
        return [[w for w in self._layer_weights(layer, suffix) if w is not None]
                for layer in range(self.num_layers) for suffix in ("", "_reverse")[:self.num_directions]]

    def flatten_parameters(self) -> None:
        """PyTorch's cuDNN weight-compaction call: nothing to do here (kept so ported code runs)."""

    def _layer_weights(self, layer: int, suffix: str) -> list[Any]:
        """``[weight_ih, weight_hh, bias_ih, bias_hh, weight_hr]`` of one layer and direction (None where absent)."""
        expected = self._weight_shapes(layer)
        weights = [getattr(self, f"{n}_l{layer}{suffix}", None) for n in expected]
        for (name, shape), w in zip(expected.items(), weights):  # (a weight swapped in: functional_call, a load)
            if w is not None and tuple(w.shape) != shape:
                raise ShapeMismatch(f"{type(self).__name__}: {name}_l{layer}{suffix} has shape {tuple(w.shape)}; "
                                    f"expected {shape} (input_size={self.input_size}, hidden_size={self.hidden_size}"
                                    f"{f', proj_size={self.proj_size}' if self.proj_size else ''})")
        return weights

    def _states(self, hx: Any, x: Tensor, batched: bool) -> list[Any]:
        """Initial (h0[, c0]) as (D*num_layers, N, H) Tensors, or None for zeros."""
        n_states = 2 if self._kind == "lstm" else 1
        if hx is None:
            return [None] * n_states
        states = list(hx) if self._kind == "lstm" else [hx]
        if len(states) != n_states:
            raise ValueError(f"{type(self).__name__}: expected hx = (h0, c0), got {len(states)} tensors")
        lead = self.num_layers * self.num_directions
        out = []
        for name, s in zip(("h0", "c0"), states):
            size = self.proj_size if name == "h0" and self.proj_size else self.hidden_size
            expected = (lead, x.shape[1], size) if batched else (lead, size)
            _check_state(self, name, s, expected)
            out.append(s if batched else reshape(s, (lead, 1, size)))
        return out

    def _dropout(self, x: Tensor) -> Tensor:
        be = x.backend
        if self._dropout_rng is None or self._dropout_rng[0] != be:
            self._dropout_rng = (be, be.rng(self.seed))
        if self.dropout >= 1.0:
            return x * 0.0
        keep = be.xp.astype(self._dropout_rng[1].uniform(tuple(x.shape), x.array.dtype) >= self.dropout, x.array.dtype)
        return x * (keep * (1.0 / (1.0 - self.dropout)))

    def forward(self, input: Tensor | PackedSequence, hx: Any = None) -> tuple[Any, Any]:
        """input: (L, N, H_in), (N, L, H_in) with ``batch_first``, unbatched (L, H_in), or a `PackedSequence`
        (then ``output`` is one too, and h_n holds each sequence's state after its own last step).

        ``hx``: h0 (D*num_layers, N, H) — for the LSTM a pair (h0, c0) — or (D*num_layers, H) unbatched;
        zeros when omitted. Returns ``(output, h_n)`` (``(output, (h_n, c_n))`` for the LSTM) with
        output (L, N, D*H) (batch first if asked, (L, D*H) unbatched) and h_n, c_n shaped like h0.
        """
        if isinstance(input, RecordedLengthsPack):  # lengths known as a graph runs: the padded batch, masked
            check_input(self, input.data, ndim=(3,), last_dim=self.input_size, dtype_error=RecurrentDTypeError)
            x, last = self._layers(input.data, self._states(hx, input.data, True), input.lengths)
            return recorded_pack(x, input.lengths), (tuple(last) if self._kind == "lstm" else last[0])
        if isinstance(input, PackedSequence):
            return run_packed(self, input, hx)
        check_input(self, input, ndim=(2, 3), last_dim=self.input_size, dtype_error=RecurrentDTypeError)
        batched = input.ndim == 3
        if input.shape[1 if batched and self.batch_first else 0] == 0:
            raise ShapeMismatch(f"{type(self).__name__}: expected a sequence length larger than 0, got input of shape "
                             f"{tuple(input.shape)}")
        x = input
        if not batched:
            x = reshape(x, (x.shape[0], 1, x.shape[1]))
        elif self.batch_first:
            x = permute(x, (1, 0, 2))
        x, last = self._layers(x, self._states(hx, x, batched))
        if not batched:
            x = reshape(x, (x.shape[0], x.shape[2]))
            last = [reshape(s, (s.shape[0], s.shape[2])) for s in last]
        elif self.batch_first:
            x = permute(x, (1, 0, 2))
        return (x, tuple(last)) if self._kind == "lstm" else (x, last[0])

    def _layers(self, x: Tensor, states: list[Any], lengths: Tensor | None = None) -> tuple[Tensor, list[Tensor]]:
        """Every layer and direction over the time-major ``x`` (L, N, H_in) from ``states`` (see `_states`): the
        last layer's output (L, N, D*H) and the final states [h_n[, c_n]] (D*num_layers, N, H). With ``lengths``
        sequence n runs its first lengths[n] steps only (`anynn.functional.recurrent_masked`)."""
        finals: list[list[Any]] = [[] for _ in states]
        for layer in range(self.num_layers):
            outs = []
            for direction, suffix in enumerate(("", "_reverse")[:self.num_directions]):
                k = layer * self.num_directions + direction
                # a missing state stays None: the fused node treats it as zeros and skips the products with it
                h0 = None if states[0] is None else states[0][k]
                c0 = states[1][k] if self._kind == "lstm" and states[1] is not None else None
                w_ih, w_hh, b_ih, b_hh, w_hr = self._layer_weights(layer, suffix)
                result = recurrent_sequence(self._kind, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse=direction == 1,
                                            weight_hr=w_hr, lengths=lengths)
                outs.append(result[0])
                for final, value in zip(finals, result[1:]):
                    final.append(value)
            x = outs[0] if len(outs) == 1 else concat(outs, axis=-1)
            if self.dropout > 0.0 and self.training and layer < self.num_layers - 1:
                x = self._dropout(x)
        return x, [stack(f, axis=0) for f in finals]

    def extra_repr(self) -> str:
        text = f"{self.input_size}, {self.hidden_size}"
        if self.num_layers != 1:
            text += f", num_layers={self.num_layers}"
        for name, default in (("bias", True), ("batch_first", False), ("dropout", 0.0), ("bidirectional", False),
                              ("proj_size", 0)):
            if getattr(self, name) != default:
                text += f", {name}={getattr(self, name)}"
        return text


class RNN(RNNBase):
    """Elman RNN, ``h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)`` (or relu), stacked and
    optionally bidirectional. See `RNNBase.forward` for shapes; returns ``(output, h_n)``."""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, nonlinearity: str = "tanh",
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, 0, backend, dtype, seed)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (gates i, f, g, o), stacked and optionally bidirectional.

    ``lstm(x, (h0, c0))`` → ``(output, (h_n, c_n))``; see `RNNBase.forward` for shapes. With
    ``proj_size`` P > 0 (PyTorch's LSTM with projections) the hidden state is ``(o * tanh(c)) @ W_hr.T``
    with ``weight_hr_l{k}`` (P, H): output has D*P features, h0/h_n (D*num_layers, N, P), c0/c_n keep H,
    and ``weight_hh_l{k}`` is (4H, P).
    """

    _kind = "lstm"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False, proj_size: int = 0,
                 backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, backend, dtype, seed)


class GRU(RNNBase):
    """Gated recurrent unit (gates r, z, n with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``).

    ``gru(x, h0)`` → ``(output, h_n)``; see `RNNBase.forward` for shapes.
    """

    _kind = "gru"

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, dropout: float = 0.0, bidirectional: bool = False,
                 backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional, 0,
                         backend, dtype, seed)
