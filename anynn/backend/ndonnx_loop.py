"""``scan`` on the ndonnx backend: a loop over a symbolic number of steps is one ONNX ``Loop``.

Recurrent layers run their time steps through the ``scan`` op (`anynn.backend.portable.loops`). With a known
length the recording unrolls it (one copy of the step per time step, as the portable loop runs). Over a symbolic
time axis (an ONNX export with the sequence length in ``dynamic_axes``) there is no count to unroll: the step is
recorded once, as the body of an ONNX ``Loop`` whose trip count is the axis' size when the graph runs. The body is
the layer's own step function run on ndonnx arrays (weights captured from the outer graph), so a float64 GRU,
RNN or LSTM, which onnxruntime's float32-only recurrent operators cannot run, exports with any length.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .ndonnx_sizes import with_sizes
from .portable.loops import scan as unrolled


def scan(step: Callable[[Any, tuple[Any, ...]], tuple[Any, tuple[Any, ...]]], carry: Any, xs: tuple[Any, ...],
         length: int | None, reverse: bool = False) -> tuple[Any, tuple[Any, ...]]:
    """`anynn.backend.portable.loops.scan`'s contract; a ``length`` of ``None`` (a symbolic time axis) records one
    ``Loop`` over the steps, which gathers step ``t`` of each of ``xs`` (``T - 1 - t`` in reverse) and stacks each
    per-step output in time order."""
    import ndonnx
    import spox.opset.ai.onnx.v21 as op

    from .ndonnx_graph import const, var, wrap

    if length is not None:
        return unrolled(ndonnx, step, carry, xs, length, reverse)
    states = list(carry) if isinstance(carry, tuple) else [carry]
    steps = var(xs[0].dynamic_shape[0])
    shaped: list[Any] = []  # which per-step outputs are arrays (None entries stay None)

    def body(iteration: Any, condition: Any, *carried: Any) -> list[Any]:
        t = op.sub(op.sub(steps, const(1, np.int64)), iteration) if reverse else iteration
        picked = tuple(wrap(op.squeeze(op.gather(var(x), t, axis=0), const([0], np.int64))) for x in xs)
        state = tuple(wrap(c) for c in carried)
        new, ys = step(state if isinstance(carry, tuple) else state[0], picked)
        new = list(new) if isinstance(new, tuple) else [new]
        shaped[:] = [y is not None for y in ys]
        # a state keeps its static sizes from step to step (a recorded matmul may forget them, and the Loop's
        # types are those its body keeps)
        new = [with_sizes(n, tuple(s.shape)) for n, s in zip(new, state)]
        return [condition] + [var(n) for n in new] + [var(y) for y in ys if y is not None]

    outs = op.loop(steps, None, [var(s) for s in states], body=body)
    # a state's final value has its initial shape; ONNX's inference leaves it unknown (rank and all) where the
    # initial state names a symbolic axis ('batch', from an input) that the body's result leaves unnamed
    final = [wrap(o) if getattr(o.type, "shape", None) is not None else
             with_sizes(wrap(op.reshape(o, op.shape(var(s)))), tuple(s.shape)) for o, s in zip(outs, states)]
    stacked = iter(wrap(o) for o in outs[len(states):])
    if reverse:  # the Loop stacked them from the last step to the first
        stacked = iter(ndonnx.flip(y, axis=0) for y in stacked)
    ys = tuple(next(stacked) if present else None for present in shaped)
    return (tuple(final) if isinstance(carry, tuple) else final[0]), ys


scan.symbolic_length = True  # type: ignore[attr-defined]  # (RecurrentSequence asks before refusing a None length)
