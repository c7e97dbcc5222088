"""Read a step's state into plain containers of arrays, bind other arrays into the objects, restore, write back.

The containers (`read`) are the compiled program's state inputs and outputs, in `StepState` order::

    {"tensors": [data of each parameter/buffer],
     "grads":   [grad data or None, per parameter that takes gradients],
     "opt":     [[state dict per parameter] per optimizer],
     "lr":      [[lr per group] per optimizer],
     "rng":     [counter per device generator]}

`bind` puts arrays (tracers, static buffers) into the live objects for the duration of a trace or a
capture; `Snapshot` remembers what was there and puts it back; `write` stores a finished call's outputs.
The learning rate is carried per group; a traced step's `bind` also takes ``"options"`` (the option values
`layout.option_inputs` names, as (group, key, position, array)) and ``"scales"`` (per GradScaler, None where
it is a constant); the other options are Python constants of the program.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor, make_tensor, mark_modified
from .state import StepState


def read(st: StepState) -> dict[str, Any]:
    """The state's current arrays (and numbers) in the layout above."""
    return {
        "tensors": [t.array for t in st.tensors],
        "grads": [None if p.grad is None else p.grad.array for p in st.params],
        "opt": [[dict(opt.state.get(id(p), ())) for p in st.opt_params(opt)] for opt in st.optimizers],
        "lr": [[group["lr"] for group in opt.param_groups] for opt in st.optimizers],
        "rng": [rng.counter for rng in st.counter_generators],
    }


class Snapshot:
    """What the objects held before a trace or capture; `restore` puts all of it back."""

    def __init__(self, st: StepState) -> None:
        self.st = st
        self.tensors = [(t, t.array, t.grad, t._version, getattr(t, "_modified_at", None)) for t in st.tensors]
        self.opt = [(opt, dict(opt.state), [dict(g) for g in opt.param_groups]) for opt in st.optimizers]
        self.rng = [(rng, rng.counter) for rng in st.counter_generators]
        self.scales = [(scaler, scaler._scale) for scaler in st.scalers]

    def restore(self) -> None:
        for t, data, grad, version, modified_at in self.tensors:
            t.array, t.grad, t._version = data, grad, version
            if modified_at is not None:
                t._modified_at = modified_at
        for opt, state, groups in self.opt:
            opt.state.clear()
            opt.state.update(state)
            for group, saved in zip(opt.param_groups, groups):
                group.clear()
                group.update(saved)
        for rng, counter in self.rng:
            rng.counter = counter
        for scaler, scale in self.scales:
            scaler._scale = scale

    def modified_tensors(self) -> list[Tensor]:
        """The tensors whose version counter moved since the snapshot (the optimizer's in-place marks)."""
        return [t for t, _, _, version, _ in self.tensors if t._version != version]


def bind(st: StepState, values: dict[str, Any]) -> None:
    """Put the arrays of ``values`` (layout of `read`) into the objects: data, grads, optimizer state, lr, rng."""
    for t, data in zip(st.tensors, values["tensors"]):
        t.array = data
    for p, grad in zip(st.params, values["grads"]):
        p.grad = None if grad is None else make_tensor(grad, p.backend, None, 0)
    for opt, states, lrs in zip(st.optimizers, values["opt"], values["lr"]):
        for p, state in zip(st.opt_params(opt), states):
            if state:
                opt.state[id(p)] = dict(state)
            else:
                opt.state.pop(id(p), None)
        for group, lr in zip(opt.param_groups, lrs):
            group["lr"] = lr
    for rng, counter in zip(st.counter_generators, values["rng"]):
        rng.counter = counter
    if values.get("options"):
        groups = [group for opt in st.optimizers for group in opt.param_groups]
        for g, key, i, array in values["options"]:
            if i < 0:
                groups[g][key] = array
            else:
                held = list(groups[g][key])
                held[i] = array
                groups[g][key] = tuple(held)
    for scaler, scale in zip(st.scalers, values.get("scales", ())):
        if scale is not None:
            scaler._scale = scale


def write(st: StepState, values: dict[str, Any], modified: list[Tensor] = ()) -> None:
    """Store a finished call's outputs in the objects (``lr`` entries that are None stay as they are)."""
    for t, data in zip(st.tensors, values["tensors"]):
        t.array = data
    for p, grad in zip(st.params, values["grads"]):
        if grad is None:
            p.grad = None
        elif p.grad is None:
            p.grad = make_tensor(grad, p.backend, None, 0)
        else:
            p.grad.array = grad
    for opt, states, lrs in zip(st.optimizers, values["opt"], values["lr"]):
        opt_state = opt.state
        for p, new in zip(st.opt_params(opt), states):
            if new:
                old = opt_state.get(id(p))
                if old is None:
                    opt_state[id(p)] = dict(new)
                else:
                    old.update(new)
        for group, lr in zip(opt.param_groups, lrs):
            if lr is not None:
                group["lr"] = lr
    for rng, counter in zip(st.counter_generators, values["rng"]):
        rng.counter = counter
    for t in modified:
        mark_modified(t)
