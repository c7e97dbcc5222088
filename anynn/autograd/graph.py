"""Reverse-mode traversal: topological order of the Functions, then gradients flow backwards."""

from __future__ import annotations

from typing import Any

from . import hooks as hook_tables
from ..backend import BackendMismatch, backend_of
from . import mode
from . import tensor as tensor_module  # a cycle (tensor.py imports this module): used only inside functions


def sum_to_shape(xp: Any, grad: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum ``grad`` down to ``shape``."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    lead = grad.ndim - len(shape)
    if lead:
        grad = xp.sum(grad, axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    return grad


_FREED = ("backward() through a part of the graph that a previous backward() already freed; pass "
          "retain_graph=True to the earlier backward() to go through it twice")


def _topological_order(root_fn: Any) -> list[Any]:
    """Functions reachable from ``root_fn``, each before every Function that produced its inputs.

    Iterative depth-first search; a Function is marked when it is expanded (not when pushed), so a
    Function reached by a short path and a long one still comes after all of its consumers. A
    ``None`` pushed above a Function says that, once popped, the Function below it is finished.
    Functions hash by identity, so they are their own keys.
    """
    order: list[Any] = []
    expanded: set[Any] = set()
    stack = [root_fn]
    push = stack.append
    pop = stack.pop
    while stack:
        fn = pop()
        if fn is None:  # every producer of the Function below is placed: place it
            order.append(pop())
            continue
        if fn in expanded:
            continue
        expanded.add(fn)
        push(fn)
        push(None)
        for t in fn.inputs:
            parent = getattr(t, "_ctx", None)
            if parent is not None and parent not in expanded:
                if getattr(parent, "inputs", None) is None:
                    raise RuntimeError(_FREED)
                push(parent)
    order.reverse()
    return order


def _check_unmodified(fn: Any) -> None:
    """Raise PyTorch's error if an input of ``fn`` was changed in place after ``fn`` was recorded."""
    for i, t in enumerate(fn.inputs):
        if isinstance(t, tensor_module.Tensor) and getattr(t, "_modified_at", 0) > fn.recorded_at:
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an inplace operation: "
                f"input {i} of {fn.name} (shape {tuple(t.shape)}) is at version {t._version}, changed after "
                f"{fn.name} was recorded. Hint: call backward() before optimizer.step() or any other in-place "
                "change of the tensors it used, or change a .clone() instead")


def _gradient_array(tensor: Any, grad: Any) -> Any:
    """The native array of ``grad`` for ``tensor.backward(grad)``; a gradient of another backend raises."""
    be = tensor.backend
    if isinstance(grad, tensor_module.Tensor):
        if grad.backend != be:
            raise BackendMismatch(f"backward(): the gradient is on backend {grad.backend.key!r}, the tensor on "
                                  f"{be.key!r}; move the gradient with .to({be.key!r})")
        return grad.data
    try:
        source = backend_of(grad)
    except TypeError:
        raise TypeError(f"backward(): the gradient must be a Tensor of backend {be.key!r} (or one of its arrays), "
                        f"got {type(grad).__module__}.{type(grad).__name__}") from None
    if source != be:
        raise BackendMismatch(f"backward(): the gradient is an array of backend {source.key!r}, the tensor lives "
                              f"on {be.key!r}; move the gradient with .to({be.key!r})")
    return grad


def backward(tensor: Any, grad: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient."""
    xp = tensor.backend.xp
    data = tensor.data
    if grad is None:
        if data.ndim != 0 and tensor.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar; this tensor has shape {tuple(tensor.shape)}"
            )
        grad = xp.ones_like(data)
    else:
        grad = _gradient_array(tensor, grad)
        if tuple(grad.shape) != tuple(data.shape):
            raise RuntimeError(f"backward(): the gradient has shape {tuple(grad.shape)}, the tensor "
                               f"{tuple(data.shape)}; they must match")
        if grad.dtype != data.dtype:
            grad = xp.astype(grad, data.dtype)
    root = tensor._ctx
    leaf_hooks, output_hooks = hook_tables.leaf_hooks, hook_tables.output_hooks
    if root is None:
        if tensor.requires_grad:
            table = leaf_hooks.get(id(tensor)) if leaf_hooks else None
            tensor._accumulate(grad if table is None else hook_tables.run_hooks(table, grad, tensor.backend))
        return
    if tensor._retains_grad:
        tensor._accumulate(grad)
    if getattr(root, "inputs", None) is None:
        raise RuntimeError(_FREED)
    make_tensor = tensor_module.make_tensor
    # pending gradients of Function outputs: output 0 of ``fn`` under ``fn``, output i > 0 under (fn, i)
    index = tensor._index
    grads: dict[Any, Any] = {root if index == 0 else (root, index): grad}
    modes = mode.local.modes  # this thread's
    hook = modes.anomaly_hook
    previous_mode = modes.grad_enabled
    modes.grad_enabled = False  # backward records nothing (a plain flag: this runs once per step)
    pop = grads.pop
    last_modification = tensor_module.last_modification
    hooked_leaves: dict[int, list[Any]] = {}  # leaves with hooks: their gradient is summed, hooked, then stored
    try:
        for fn in _topological_order(root):
            if fn.recorded_at != last_modification:  # some tensor changed in place since fn was recorded
                _check_unmodified(fn)
            n_out = fn.num_outputs
            if n_out == 1:
                g_out = pop(fn, None)
                if g_out is None:
                    continue
                if output_hooks:
                    table = output_hooks.get((id(fn), 0))
                    if table:
                        g_out = hook_tables.run_hooks(table, g_out, fn.backend)
                in_grads = fn.backward(xp, g_out)
            else:
                outs = [pop(fn if i == 0 else (fn, i), None) for i in range(n_out)]
                if all(g is None for g in outs):
                    continue
                if output_hooks:
                    outs = [g if g is None or not output_hooks.get((id(fn), i)) else
                            hook_tables.run_hooks(output_hooks[(id(fn), i)], g, fn.backend)
                            for i, g in enumerate(outs)]
                in_grads = fn.backward(xp, *outs)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if hook is not None:
                hook(fn, "backward", in_grads)
            for t, g, needed in zip(fn.inputs, in_grads, fn.needs_input_grad):
                if g is None or not needed:
                    continue
                parent = t._ctx
                if parent is None:  # a leaf
                    if leaf_hooks and id(t) in leaf_hooks:
                        entry = hooked_leaves.get(id(t))
                        if entry is None:
                            hooked_leaves[id(t)] = [t, g]
                        else:
                            entry[1] = entry[1] + g
                        continue
                    data = t.data
                    if t.grad is None and g.shape == data.shape and (g.dtype is data.dtype or g.dtype == data.dtype):
                        t.grad = make_tensor(g, t.backend, None, 0)  # _accumulate's first-gradient case
                    else:
                        t._accumulate(g)
                    continue
                index = t._index
                key = parent if index == 0 else (parent, index)
                prev = grads.get(key)
                grads[key] = g if prev is None else prev + g
                if t._retains_grad:
                    t._accumulate(g)
            if not retain_graph:
                fn.inputs = None
        for t, g in hooked_leaves.values():
            table = leaf_hooks.get(id(t))
            t._accumulate(g if table is None else hook_tables.run_hooks(table, g, t.backend))
    finally:
        modes.grad_enabled = previous_mode
