"""A step's state as one flat list of arrays, read and written in one tight pass per compiled call.

`Layout` is built once per discovered `StepState`; it keeps the objects that hold arrays (tensors,
parameters, optimizers by their parameter ids, generators) so that a call reads them without
rediscovering anything. A call's flat list is, in order::

    data of each tensor, grad data of each parameter that has one, the values of each parameter's
    optimizer state (per optimizer, in parameter order), counter of each generator

with the step's numbers in a list of their own, which is never donated (a number's array is kept and
reused while the number stays the same): the learning rate of each group, then the option values that
schedules change from step to step (`ARRAY_OPTIONS`: ``momentum``, each of ``betas``, ``weight_decay``;
OneCycleLR and CyclicLR cycle the first two, weight-decay schedules set the last) where they are not 0,
then the scale of each enabled `GradScaler` (``scaler.scale(loss)`` multiplies by it). As inputs, a new
value runs the same program instead of compiling one of its own; a value of 0 stays a constant of the
program (an optimizer skips what it would multiply by 0). Its *signature* is the part of the structure a
flat list cannot show: which parameters have gradients, which keys each optimizer state holds and which
option values are inputs. Signatures are hashable and part of a compiled
program's cache key. `unflatten` turns a flat list back into the containers `binding.bind` takes;
`flatten_out` and `write` do the same for a program's outputs, whose signature the trace records.
"""

from __future__ import annotations

from typing import Any, Callable

from ..autograd.tensor import Tensor, make_tensor, mark_modified
from .state import StepState

Signature = tuple[tuple[bool, ...], tuple[tuple[str, ...], ...], tuple[tuple[int, str, int], ...]]

ARRAY_OPTIONS = ("momentum", "betas", "weight_decay")  # group options a traced step takes as inputs (see above)


def as_input(value: Any) -> bool:
    """Whether an option value of `ARRAY_OPTIONS` goes into a traced step as an array: a float other than 0
    or a Tensor (an int, a 0 or anything else stays a constant of the program, part of its cache key)."""
    return (type(value) is float and value != 0.0) or isinstance(value, Tensor)


def option_inputs(opt: Any, group: dict[str, Any]) -> list[tuple[str, int, Any]]:
    """The option values of ``group`` (of optimizer ``opt``) that go in as arrays: (key, position in a tuple such as
    ``betas`` or -1, value), in `ARRAY_OPTIONS` order. Only anynn's own optimizers take them (their updates test
    such values with `optim.scalars.nonzero`): a class written elsewhere may test one in an ``if``
    (``if group["weight_decay"] != 0:``, PyTorch's idiom), which an array cannot answer in a trace."""
    if not type(opt).__module__.startswith("anynn."):
        return []
    out = []
    for key in ARRAY_OPTIONS:
        value = group.get(key)
        if isinstance(value, tuple):
            out += [(key, i, v) for i, v in enumerate(value) if as_input(v)]
        elif as_input(value):
            out.append((key, -1, value))
    return out


class Layout:
    """The flat state of one `StepState` (see the module docstring)."""

    def __init__(self, st: StepState, strong: Callable[[Any], Any], weak: Callable[[float], Any]) -> None:
        self.st = st
        self.tensors = list(st.tensors)
        self.params = list(st.params)
        self.optimizers = list(st.optimizers)
        self.slots = [(opt, [id(p) for p in st.opt_params(opt)]) for opt in st.optimizers]
        self.generators = st.counter_generators
        self.strong = strong  # a generator's Python counter as a strongly typed array
        self.weak = weak  # a Python float as a weakly typed 0-d array (as jax.jit would take the number)
        self.scalers = list(st.scalers)
        self.lr_arrays: list[tuple[float, Any]] = []  # per number input: (the last number, its array)
        # `StepState.captured` of the step's library, as a traced step takes them: those it changes in place go in
        # with its arguments and come out with the new state; the others are constants, each program made with the
        # arrays of `constant_arrays`
        self.captured: list[Tensor] = []
        self.constants: list[Tensor] = []
        self.constant_arrays: list[Any] = []
        # (module, name) of module attributes the step stores tensors in (``self.src_mask = mask``): what they hold
        # goes in with the arguments, after the captured tensors, and what the step stores comes out (`traced`)
        self.attributes: list[tuple[Any, str]] = []

    def _number(self, k: int, value: Any) -> Any:
        """The array of the ``k``-th number input: a float's array made once and reused while the float stays the
        same (no host-to-device copy per call), a Tensor's array (a scheduler fills it in place)."""
        if type(value) is float:
            held = self.lr_arrays
            if k < len(held) and held[k][0] == value:
                return held[k][1]
            while len(held) <= k:
                held.append((float("nan"), None))
            held[k] = (value, self.weak(value))
            return held[k][1]
        return value.array if isinstance(value, Tensor) else value

    def read(self) -> tuple[list[Any], list[Any], Signature]:
        """The current arrays (and numbers) of the state, flat; the number inputs (never donated); the signature."""
        leaves = [t.array for t in self.tensors]
        append = leaves.append
        mask = []
        for p in self.params:
            g = p.grad
            if g is None:
                mask.append(False)
            else:
                mask.append(True)
                append(g.array)
        keys: list[tuple[str, ...]] = []
        for opt, ids in self.slots:
            get = opt.state.get
            for pid in ids:
                s = get(pid)
                if s:
                    keys.append(tuple(s))
                    leaves.extend(s.values())
                else:
                    keys.append(())
        for g in self.generators:
            c = g.counter
            append(self.strong(c) if type(c) is int else c)
        lrs: list[Any] = []
        k = 0
        for opt in self.optimizers:
            for group in opt.param_groups:
                lrs.append(self._number(k, group["lr"]))
                k += 1
        options: list[tuple[int, str, int]] = []
        g = 0
        for opt in self.optimizers:
            for group in opt.param_groups:
                for key, i, value in option_inputs(opt, group):
                    options.append((g, key, i))
                    lrs.append(self._number(k, value))
                    k += 1
                g += 1
        for scaler in self.scalers:
            if scaler.is_enabled():
                lrs.append(self._number(k, scaler._scale))
                k += 1
        return leaves, lrs, (tuple(mask), tuple(keys), tuple(options))

    def grad_positions(self, sig: Signature) -> range:
        """Where the gradients sit in a flat list of signature ``sig``."""
        return range(len(self.tensors), len(self.tensors) + sum(sig[0]))

    def unflatten(self, leaves: list[Any], lrs: list[Any], sig: Signature) -> dict[str, Any]:
        """The containers of `binding.bind` for a flat list and number inputs of signature ``sig``."""
        it = iter(leaves)
        mask, keys, _ = sig
        values: dict[str, Any] = {"tensors": [next(it) for _ in self.tensors],
                                  "grads": [next(it) if present else None for present in mask]}
        opt_values, k = [], 0
        for _, ids in self.slots:
            opt_values.append([{key: next(it) for key in keys[k + j]} for j in range(len(ids))])
            k += len(ids)
        values["opt"] = opt_values
        values["rng"] = [next(it) for _ in self.generators]
        it = iter(lrs)
        values["lr"] = [[next(it) for _ in opt.param_groups] for opt in self.optimizers]
        values["options"] = [(g, key, i, next(it)) for g, key, i in sig[2]]
        values["scales"] = [next(it) if s.is_enabled() else None for s in self.scalers]
        return values

    def flatten_out(self, out: dict[str, Any]) -> tuple[list[Any], tuple[Any, ...]]:
        """A trace's new state (`binding.read` containers; ``lr`` None where unchanged), flat, and its signature."""
        leaves: list[Any] = list(out["tensors"])
        mask = tuple(g is not None for g in out["grads"])
        leaves += [g for g in out["grads"] if g is not None]
        keys = []
        for states in out["opt"]:
            for state in states:
                keys.append(tuple(state))
                leaves += list(state.values())
        leaves += list(out["rng"])
        changed = []
        for lrs in out["lr"]:
            for lr in lrs:
                changed.append(lr is not None)
                if lr is not None:
                    leaves.append(lr)
        return leaves, (mask, tuple(keys), tuple(changed))

    def write(self, leaves: list[Any], out_sig: tuple[Any, ...], modified: list[Tensor]) -> None:
        """Store a call's new state (a flat list of signature ``out_sig``) in the objects."""
        mask, keys, changed = out_sig
        it = iter(leaves)
        for t in self.tensors:
            t.array = next(it)
        for p, present in zip(self.params, mask):
            if not present:
                p.grad = None
                continue
            g = p.grad
            if g is None:
                p.grad = make_tensor(next(it), p.backend, None, 0)
            else:
                g.array = next(it)
        k = 0
        for opt, ids in self.slots:
            state = opt.state
            for pid in ids:
                names = keys[k]
                k += 1
                if names:  # a state the step left empty stays as it was
                    s = state.get(pid)
                    if s is None:
                        s = state[pid] = {}
                    for name in names:
                        s[name] = next(it)
        for g in self.generators:
            g.counter = next(it)
        k = 0
        for opt in self.optimizers:
            for group in opt.param_groups:
                if changed[k]:
                    group["lr"] = next(it)
                k += 1
        for t in modified:
            mark_modified(t)
