"""``cond`` on a traced ``pred`` (inside a compiled step: JAX's ``jax.jit``), differentiable: one graph node.

The backend's ``cond`` traces both branches and the program picks one when it runs (``lax.cond``); its
``cond_vjp`` differentiates the branch picked. The node's inputs are the operands' Tensors and the Tensors that
take gradients which a branch reads without making them (a module's weights through a closure, ``lambda x:
self.head(x)``, or an activation computed before the ``cond``), found by walking the graph a run of each branch
records. As PyTorch's ``torch.cond`` the branches are functions of their inputs: they must not change state (a
batch norm's running statistics in training mode, a tensor in place) nor draw random numbers.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Callable, Iterator, Sequence

from ..autograd import mode
from ..autograd.primitive import Function, _next_sequence_nr
from ..autograd.tensor import Tensor
from ..utils._pytree import tree_flatten, tree_unflatten

BranchFn = Callable[..., Any]


def traced_cond(recorded: Callable[..., Any], vjp: Callable[..., Any], pred: Tensor, true_fn: BranchFn,
                false_fn: BranchFn, operands: tuple[Any, ...]) -> Any:
    """`cond` with a traced ``pred``: the branch the program picks, differentiable through the backend's
    ``cond_vjp`` (``vjp``) to the operands and to the Tensors the branches read."""
    leaves, operand_spec = tree_flatten(list(operands))
    tensors = [leaf for leaf in leaves if isinstance(leaf, Tensor)]
    free: dict[int, Tensor] = {}
    if mode.local.modes.grad_enabled:
        for fn in (true_fn, false_fn):
            free.update(_read_from_outside(fn, operands, {id(t) for t in tensors}))
    specs: list[Any] = []  # (each branch run notes its outputs' structure)
    out = CondBranches.apply(pred, *tensors, *free.values(), recorded=recorded, vjp=vjp, pred_array=pred.array,
                             branches=(true_fn, false_fn), leaves=leaves, operand_spec=operand_spec,
                             free=list(free.values()), specs=specs)
    return tree_unflatten(list(out) if isinstance(out, tuple) else [out], specs[0])


def _read_from_outside(fn: BranchFn, operands: tuple[Any, ...], operand_ids: set[int]) -> dict[int, Tensor]:
    """The Tensors taking gradients that ``fn(*operands)`` reads without making them: found by running it with the
    graph recorded and walking back from its outputs (the run itself is dropped; a traced program never computes
    it), stopping at the operands and at Tensors made before the run."""
    start = _next_sequence_nr()
    outputs, _ = tree_flatten(fn(*operands))
    found: dict[int, Tensor] = {}
    seen: set[int] = set()
    stack = [t for t in outputs if isinstance(t, Tensor)]
    while stack:
        t = stack.pop()
        if id(t) in seen or not t._requires_grad or id(t) in operand_ids:
            seen.add(id(t))
            continue
        seen.add(id(t))
        ctx = t._ctx
        if ctx is None or ctx.sequence_nr < start:
            found[id(t)] = t
        else:
            stack.extend(a for a in (ctx.inputs or ()) if isinstance(a, Tensor))
    return found


class CondBranches(Function):
    """``cond`` over traced arrays: forward the backend's ``cond`` of the two branches, backward its ``cond_vjp``
    (the picked branch's gradient). Inputs: ``pred``, the operands' Tensors, then the Tensors read from outside."""

    supports_double_backward = False
    recorded: Callable[..., Any]  # the backend's ``cond`` and ``cond_vjp``
    vjp: Callable[..., Any]
    pred_array: Any
    branches: tuple[BranchFn, BranchFn]
    leaves: list[Any]  # the operands flattened (Tensors and constants), and how to rebuild them
    operand_spec: Any
    free: list[Tensor]  # the Tensors read from outside, in input order after the operands' Tensors
    specs: list[Any]  # the structure of each branch run's outputs
    arrays: tuple[Any, ...]
    outputs: tuple[Any, ...]

    def forward(self, xp: Any, pred: Any, *arrays: Any) -> tuple[Any, ...]:
        self.arrays = arrays
        true_fn, false_fn = self.branches
        outs = self.recorded(pred, lambda: self._run(true_fn, arrays), lambda: self._run(false_fn, arrays))
        if len(self.specs) == 2 and self.specs[0] != self.specs[1]:
            raise TypeError(f"cond: the branches return different structures ({self.specs[0]} and "
                            f"{self.specs[1]}); a traced branch needs the same outputs from both")
        self.outputs = tuple(outs)
        return self.outputs

    def backward(self, xp: Any, *grads: Any) -> tuple[Any, ...]:
        wanted = [i for i, need in enumerate(self.needs_input_grad[1:]) if need]
        if not wanted:
            return (None,) * (1 + len(self.arrays))
        floating = [k for k, o in enumerate(self.outputs) if xp.isdtype(o.dtype, "real floating")]
        cotangents = [grads[k] if grads[k] is not None else xp.zeros_like(self.outputs[k]) for k in floating]
        true_fn, false_fn = self.branches

        def picked(fn: BranchFn) -> Callable[..., list[Any]]:
            def run(*values: Any) -> list[Any]:
                arrays = list(self.arrays)
                for i, value in zip(wanted, values):
                    arrays[i] = value
                outs = self._run(fn, arrays)
                return [outs[k] for k in floating]
            return run

        got = self.vjp(self.pred_array, picked(true_fn), picked(false_fn), [self.arrays[i] for i in wanted],
                       cotangents)
        result: list[Any] = [None] * (1 + len(self.arrays))
        for i, g in zip(wanted, got):
            result[1 + i] = g
        return tuple(result)

    def _run(self, fn: BranchFn, arrays: Sequence[Any]) -> list[Any]:
        """``fn`` on the operands, each input Tensor holding its array of ``arrays`` for the run (an operand read
        through a closure as well sees it there too), the graph off: its outputs' arrays."""
        inputs = [leaf for leaf in self.leaves if isinstance(leaf, Tensor)] + self.free
        with _holding(inputs, arrays), _no_graph():
            result = fn(*tree_unflatten(self.leaves, self.operand_spec))
        outs, spec = tree_flatten(result)
        if not all(isinstance(out, Tensor) for out in outs):
            raise TypeError(f"cond: a branch must return Tensors (a pytree of them), got "
                            f"{[type(out).__name__ for out in outs]}")
        self.specs.append(spec)
        return [out.array for out in outs]


@contextmanager
def _holding(tensors: list[Tensor], arrays: Sequence[Any]) -> Iterator[None]:
    before = [t.array for t in tensors]
    for t, a in zip(tensors, arrays):
        t.array = a
    try:
        yield
    finally:
        for t, a in zip(tensors, before):
            t.array = a


@contextmanager
def _no_graph() -> Iterator[None]:
    modes = mode.local.modes
    previous, modes.grad_enabled = modes.grad_enabled, False
    try:
        yield
    finally:
        modes.grad_enabled = previous
