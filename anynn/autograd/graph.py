"""Reverse-mode traversal: topological order of the Functions, then gradients flow backwards."""

from __future__ import annotations

from typing import Any

from . import mode


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
    Function reached by a short path and a long one still comes after all of its consumers.
    """
    order: list[Any] = []
    expanded_ids: set[int] = set()
    stack = [(root_fn, False)]
    while stack:
        fn, finished = stack.pop()
        if finished:
            order.append(fn)
            continue
        if id(fn) in expanded_ids:
            continue
        expanded_ids.add(id(fn))
        stack.append((fn, True))
        for t in fn.inputs:
            parent = getattr(t, "_ctx", None)
            if parent is not None and id(parent) not in expanded_ids:
                if getattr(parent, "inputs", None) is None:
                    raise RuntimeError(_FREED)
                stack.append((parent, False))
    order.reverse()
    return order


def backward(tensor: Any, grad: Any = None, retain_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into ``leaf.grad`` for every leaf that requires a gradient."""
    xp = tensor.backend.xp
    if grad is None:
        if tensor.data.ndim != 0 and tensor.size != 1:
            raise RuntimeError(
                f"backward() without a gradient needs a scalar; this tensor has shape {tuple(tensor.shape)}"
            )
        grad = xp.ones_like(tensor.data)
    elif hasattr(grad, "_ctx"):  # an anynn Tensor (graph.py sits below tensor.py, so no import)
        grad = grad.data
    if tuple(grad.shape) != tuple(tensor.data.shape):
        raise RuntimeError(f"backward(): the gradient has shape {tuple(grad.shape)}, the tensor "
                           f"{tuple(tensor.data.shape)}; they must match")
    if grad.dtype != tensor.data.dtype:
        grad = xp.astype(grad, tensor.data.dtype)
    if tensor._ctx is None:
        if tensor.requires_grad:
            tensor._accumulate(grad)
        return
    if tensor._retains_grad:
        tensor._accumulate(grad)
    root = tensor._ctx
    if getattr(root, "inputs", None) is None:
        raise RuntimeError(_FREED)
    grads: dict[tuple[int, int], Any] = {(id(root), tensor._index): grad}
    hook = mode.anomaly_hook
    previous_mode = mode.grad_enabled
    mode.grad_enabled = False  # backward records nothing (a plain flag: this runs once per step)
    try:
        for fn in _topological_order(root):
            fid = id(fn)
            if fn.num_outputs == 1:
                g_out = grads.pop((fid, 0), None)
                if g_out is None:
                    continue
                in_grads = fn.backward(xp, g_out)
            else:
                outs = [grads.pop((fid, i), None) for i in range(fn.num_outputs)]
                if all(g is None for g in outs):
                    continue
                in_grads = fn.backward(xp, *outs)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if hook is not None:
                hook(fn, "backward", in_grads)
            for t, g, needed in zip(fn.inputs, in_grads, fn.needs_input_grad):
                if g is None or not needed:
                    continue
                parent = t._ctx
                if parent is None:
                    t._accumulate(g)
                else:
                    key = (id(parent), t._index)
                    prev = grads.get(key)
                    grads[key] = g if prev is None else prev + g
                    if t._retains_grad:
                        t._accumulate(g)
            if not retain_graph:
                fn.inputs = None
    finally:
        mode.grad_enabled = previous_mode
