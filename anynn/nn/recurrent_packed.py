"""`RNN` / `LSTM` / `GRU` over a `PackedSequence`: each sequence runs exactly its own steps.

The packed rows split into segments of consecutive time steps with the same batch size (sequences are
longest first, so a segment's rows are the first ``size`` sequences, and its packed rows are contiguous).
Each segment is one fused `recurrent_sequence` node over ``(steps, size, H_in)``; the forward direction
hands the first ``size`` rows of its final state to the next segment and keeps the rows of the sequences
that end there as their final states; the backward direction runs the segments last to first, the batch
growing by the sequences that start there (from their rows of ``h0``). Padding is never computed, so
outputs, final states and gradients are those of running every sequence alone, as PyTorch's.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..backend.devices import device_of as device
from ..functional.indexing import index_select
from ..functional.recurrent import recurrent_sequence
from ..functional.shape import concat, reshape, stack
from .utils.rnn import PackedSequence, _int64, batch_sizes_of, sorted_order
from .validate import RecurrentDTypeError, check_input

Segment = tuple[int, int, int]  # (first packed row, time steps, batch size)


def _segments(sizes: list[int]) -> list[Segment]:
    segments: list[Segment] = []
    row = 0
    for size in sizes:
        if segments and segments[-1][2] == size:
            start, steps, _ = segments[-1]
            segments[-1] = (start, steps + 1, size)
        else:
            segments.append((row, 1, size))
        row += size
    return segments


def _rows(state: Tensor | None, start: int, stop: int) -> Tensor | None:
    if state is None or (start == 0 and stop == state.shape[0]):
        return state
    return state[start:stop]


def _grown(state: Tensor | None, initial: Tensor | None, size: int, like: Tensor, features: int) -> Tensor | None:
    """``state``'s rows followed by rows ``len(state):size`` of ``initial`` (zeros when it is None)."""
    have = 0 if state is None else int(state.shape[0])
    if have == size:
        return state
    if initial is None:
        if state is None:
            return None
        xp = like.backend.xp
        extra = Tensor._make(xp.zeros((size - have, features), dtype=like.array.dtype, device=device(like.array)),
                             like.backend, None, 0)
    else:
        extra = initial[have:size]
    return extra if state is None else concat([state, extra], axis=0)


def _direction(mode: str, data: Tensor, segments: list[Segment], h0: Tensor | None, c0: Tensor | None,
               weights: list[Any], reverse: bool) -> tuple[Tensor, list[Tensor]]:
    """One layer, one direction: packed output (rows, H_out) and final states [h_n (B, H)[, c_n]]."""
    w_ih, w_hh, b_ih, b_hh, w_hr = weights
    h_features, c_features = int(w_hh.shape[1]), int(w_hh.shape[0]) // 4
    outs: list[Any] = [None] * len(segments)
    states: list[Tensor | None] = [None, None] if reverse else [h0, c0]  # reverse: rows of h0 join as they start
    finished: list[list[Tensor]] = [[], []]
    order = range(len(segments) - 1, -1, -1) if reverse else range(len(segments))
    for j in order:
        start, steps, size = segments[j]
        x = reshape(data[start:start + steps * size], (steps, size, int(data.shape[1])))
        if reverse:
            h_in = _grown(states[0], h0, size, data, h_features)
            c_in = _grown(states[1], c0, size, data, c_features) if mode == "lstm" else None
        else:
            h_in, c_in = _rows(states[0], 0, size), _rows(states[1], 0, size)
        result = recurrent_sequence(mode, x, h_in, c_in, w_ih, w_hh, b_ih, b_hh, reverse=reverse, weight_hr=w_hr)
        outs[j] = reshape(result[0], (steps * size, int(result[0].shape[2])))
        states = [result[1], result[2] if mode == "lstm" else None]
        if not reverse:
            following = segments[j + 1][2] if j + 1 < len(segments) else 0
            for kept, state in zip(finished, states):
                if state is not None:
                    kept.append(state[following:] if following else state)  # the sequences that end here
    if reverse:
        finals = [s for s in states if s is not None]
    else:
        finals = [p[0] if len(p) == 1 else concat(p[::-1], axis=0) for p in finished if p]
    out = outs[0] if len(outs) == 1 else concat(outs, axis=0)
    return out, finals


def run_packed(layer: Any, packed: PackedSequence, hx: Any) -> tuple[PackedSequence, Any]:
    """`RNNBase.forward` for a `PackedSequence` input: ``(packed output, h_n)`` (``(h_n, c_n)`` for the LSTM),
    final states in the original batch order."""
    data = packed.data
    check_input(layer, data, ndim=(2,), last_dim=layer.input_size, dtype_error=RecurrentDTypeError)
    sizes = batch_sizes_of(packed)
    if sum(sizes) != data.shape[0]:
        raise ValueError(f"{type(layer).__name__}: the PackedSequence's batch_sizes sum to {sum(sizes)} but its data "
                         f"has {data.shape[0]} rows")
    order = sorted_order(packed)
    sorted_idx = None if order is None else _int64(order, data)
    states = layer._states(hx, _Batch(sizes[0]), True)
    if sorted_idx is not None:
        states = [None if s is None else index_select(s, 1, sorted_idx) for s in states]
    segments = _segments(sizes)
    x = data
    finals: list[list[Tensor]] = [[] for _ in states]
    for k_layer in range(layer.num_layers):
        outs = []
        for direction, suffix in enumerate(("", "_reverse")[:layer.num_directions]):
            k = k_layer * layer.num_directions + direction
            h0 = None if states[0] is None else states[0][k]
            c0 = states[1][k] if layer._kind == "lstm" and states[1] is not None else None
            out, last = _direction(layer._kind, x, segments, h0, c0, layer._layer_weights(k_layer, suffix),
                                   direction == 1)
            outs.append(out)
            for final, value in zip(finals, last):
                final.append(value)
        x = outs[0] if len(outs) == 1 else concat(outs, axis=-1)
        if layer.dropout > 0.0 and layer.training and k_layer < layer.num_layers - 1:
            x = layer._dropout(x)
    last_states = [stack(f, axis=0) for f in finals]
    if order is not None:
        unsorted = [0] * len(order)
        for position, i in enumerate(order):
            unsorted[i] = position
        back = _int64(unsorted, data)
        last_states = [index_select(s, 1, back) for s in last_states]
    output = PackedSequence(x, packed.batch_sizes, packed.sorted_indices, packed.unsorted_indices)
    return output, (tuple(last_states) if layer._kind == "lstm" else last_states[0])


class _Batch:
    """Stands in for the time-major input in `RNNBase._states`, which reads only ``shape[1]`` (the batch)."""

    def __init__(self, batch: int) -> None:
        self.shape = (0, batch)
