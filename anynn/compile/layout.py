"""A step's state as one flat list of arrays, read and written in one tight pass per compiled call.

`Layout` is built once per discovered `StepState`; it keeps the objects that hold arrays (tensors,
parameters, optimizers by their parameter ids, generators) so that a call reads them without
rediscovering anything. A call's flat list is, in order::

    data of each tensor, grad data of each parameter that has one, the values of each parameter's
    optimizer state (per optimizer, in parameter order), counter of each generator

with the learning rates (one per group) in a list of their own, which is never donated (a number's
array is kept and reused while the number stays the same),
and its *signature* is the part of the structure a flat list cannot show: which parameters have
gradients and which keys each optimizer state holds. Signatures are hashable and part of a compiled
program's cache key. `unflatten` turns a flat list back into the containers `binding.bind` takes;
`flatten_out` and `write` do the same for a program's outputs, whose signature the trace records.
"""

from __future__ import annotations

from typing import Any, Callable

from ..autograd.tensor import Tensor, make_tensor, mark_modified
from .state import StepState

Signature = tuple[tuple[bool, ...], tuple[tuple[str, ...], ...]]


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
        self.lr_arrays: list[tuple[float, Any]] = []  # per group: (the last lr number, its array)
        # `StepState.captured` of the step's library, as a traced step takes them: those it changes in place go in
        # with its arguments and come out with the new state; the others are constants, each program made with the
        # arrays of `constant_arrays`
        self.captured: list[Tensor] = []
        self.constants: list[Tensor] = []
        self.constant_arrays: list[Any] = []

    def _lr_array(self, k: int, lr: float) -> Any:
        array = self.weak(lr)
        while len(self.lr_arrays) <= k:
            self.lr_arrays.append((float("nan"), None))
        self.lr_arrays[k] = (lr, array)
        return array

    def read(self) -> tuple[list[Any], list[Any], Signature]:
        """The current arrays (and numbers) of the state, flat; the learning rates (never donated); the signature."""
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
        lrs = []
        lr_arrays, k = self.lr_arrays, 0
        for opt in self.optimizers:
            for group in opt.param_groups:
                lr = group["lr"]
                if type(lr) is float:  # the same number's array as last time: no host-to-device copy per call
                    if k < len(lr_arrays) and lr_arrays[k][0] == lr:
                        lr = lr_arrays[k][1]
                    else:
                        lr = self._lr_array(k, lr)
                elif isinstance(lr, Tensor):  # lr=torch.tensor(0.01): its array (a scheduler fills it in place)
                    lr = lr.array
                lrs.append(lr)
                k += 1
        return leaves, lrs, (tuple(mask), tuple(keys))

    def grad_positions(self, sig: Signature) -> range:
        """Where the gradients sit in a flat list of signature ``sig``."""
        return range(len(self.tensors), len(self.tensors) + sum(sig[0]))

    def unflatten(self, leaves: list[Any], lrs: list[Any], sig: Signature) -> dict[str, Any]:
        """The containers of `binding.read` for a flat list and learning rates of signature ``sig``."""
        it = iter(leaves)
        mask, keys = sig
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
