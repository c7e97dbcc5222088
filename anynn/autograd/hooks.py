"""Gradient hooks on tensors (``Tensor.register_hook``) and the removable handle hooks return.

Hooks are kept in tables here, not on the tensors, so a graph without hooks pays one empty-dict test per
backward pass. A leaf's hooks are keyed by the tensor; an intermediate tensor's by ``(Function, output index)``,
which is where its gradient waits during the backward pass.
"""

from __future__ import annotations

import itertools
import weakref
from collections import OrderedDict
from typing import Any, Callable

from ..backend import Backend, BackendMismatch, dtype_name
from ..backend.typing import Array
from .mode import order_observable
from .saved_hooks import BackwardStandIn
from .tensor import Tensor, make_tensor

_ids = itertools.count()


class RemovableHandle:
    """What ``register_*hook`` returns: ``handle.remove()`` unregisters the hook (also as a context manager)."""

    def __init__(self, table: dict[int, Any]) -> None:
        self.id = next(_ids)
        self._table = weakref.ref(table) if _weakrefable(table) else (lambda: table)

    def remove(self) -> None:
        table = self._table()
        if table is not None:
            table.pop(self.id, None)

    # a copy refers to the copied table: a deepcopied module's handles remove its own hooks (a lazy layer's copy
    # materialising must not unhook the original), as PyTorch's handle pickles its table
    def __getstate__(self) -> dict[str, Any]:
        return {"id": self.id, "table": self._table()}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.id, table = state["id"], state["table"]
        self._table = weakref.ref(table) if _weakrefable(table) else (lambda: table)

    def __enter__(self) -> "RemovableHandle":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.remove()


def _weakrefable(obj: Any) -> bool:
    try:
        weakref.ref(obj)
        return True
    except TypeError:
        return False


class HookTable(OrderedDict):
    """hook id -> hook, in calling order (a subclass, so that a `RemovableHandle` can refer to it weakly)."""


def add_hook(table: OrderedDict, hook: Any, prepend: bool = False) -> RemovableHandle:
    """Put ``hook`` in ``table`` (first when ``prepend``, as PyTorch's ``prepend=True``); the handle removes it."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")
    handle = RemovableHandle(table)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


class _HookTable(dict):
    """hook id -> hook, in registration order (a dict subclass so handles can hold it weakly)."""


# id(leaf tensor) -> table; (id(Function), output index) -> table. Entries leave with their owner.
leaf_hooks: dict[int, _HookTable] = {}
output_hooks: dict[tuple[int, int], _HookTable] = {}


def register_tensor_hook(tensor: Tensor, hook: Callable[[Tensor], Any]) -> RemovableHandle:
    """Register ``hook(grad) -> Tensor | None`` on ``tensor`` (a leaf or a Function's output)."""
    ctx = tensor._ctx
    owner: object
    registry: dict[Any, _HookTable]
    if ctx is None:
        key: Any = id(tensor)
        table, owner, registry = leaf_hooks.get(key), tensor, leaf_hooks
    else:
        key = (id(ctx), tensor._index)
        table, owner, registry = output_hooks.get(key), ctx, output_hooks
    if table is None:
        table = registry[key] = _HookTable()
        weakref.finalize(owner, registry.pop, key, None)
    handle = RemovableHandle(table)
    table[handle.id] = hook
    order_observable[0] = True  # hooks see the order of a backward: it runs in PyTorch's from now on
    return handle


# id(leaf tensor) -> table of ``hook(tensor)`` run after the leaf's .grad took a backward's gradient
post_accumulate_hooks: dict[int, _HookTable] = {}


def register_post_accumulate_hook(tensor: Tensor, hook: Callable[[Tensor], None]) -> RemovableHandle:
    """Register ``hook(tensor)`` on a leaf, called once per backward after its summed gradient went into
    ``.grad`` (PyTorch's ``register_post_accumulate_grad_hook``: an optimizer step per parameter inside backward).
    The leaf then takes the hooked path of the engine (its gradient summed before ``.grad``), through an entry in
    `leaf_hooks` (empty unless it has gradient hooks too)."""
    key = id(tensor)
    table = post_accumulate_hooks.get(key)
    if table is None:
        table = post_accumulate_hooks[key] = _HookTable()
        weakref.finalize(tensor, post_accumulate_hooks.pop, key, None)
    if leaf_hooks.get(key) is None:
        leaf_hooks[key] = _HookTable()
        weakref.finalize(tensor, leaf_hooks.pop, key, None)
    handle = RemovableHandle(table)
    table[handle.id] = hook
    order_observable[0] = True
    return handle


def run_post_accumulate_hooks(tensor: Tensor) -> None:
    """After ``tensor.grad`` took this backward's gradient: its post-accumulate hooks, in registration order."""
    table = post_accumulate_hooks.get(id(tensor)) if post_accumulate_hooks else None
    if table:
        for hook in list(table.values()):
            hook(tensor)


def run_hooks(table: dict[int, Any], grad: Array, backend: Backend) -> Array:
    """Call each hook with the gradient as a Tensor; a returned value replaces it. Returns the native array."""
    for hook in list(table.values()):
        result = hook(make_tensor(grad, backend, None, 0))
        if result is not None:
            new = result.array if isinstance(result, Tensor) else result
            if not hasattr(new, "shape"):
                raise TypeError(f"hook {getattr(hook, '__name__', hook)!r} returned a {type(result).__name__}; "
                                f"expected a Tensor (the new gradient) or None")
            if isinstance(result, Tensor) and result.backend != backend:  # (else the other library's dtype error)
                raise BackendMismatch(f"hook {getattr(hook, '__name__', hook)!r} returned a gradient on "
                                      f"{result.backend.key!r}; the tensor is on {backend.key!r}")
            if tuple(new.shape) != tuple(grad.shape):
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} returned a gradient of shape "
                                   f"{tuple(new.shape)}; expected {tuple(grad.shape)}")
            if new.dtype != grad.dtype:  # PyTorch refuses a hook that changes the gradient's type
                raise RuntimeError(f"hook {getattr(hook, '__name__', hook)!r} changed the dtype of the gradient "
                                   f"(was {dtype_name(grad.dtype)}, got {dtype_name(new.dtype)}); return it in "
                                   f"its own dtype")
            grad = new
    return grad


class _HookedBackward(BackwardStandIn):
    """Stands in for ``fn.backward`` on a Function with node hooks (``grad_fn.register_prehook`` /
    ``register_hook``): its pre-hooks see (and may replace) the output gradients, its hooks the input gradients
    it computed and the output gradients (and may replace the former). Arrays are shown to hooks as Tensors."""

    __slots__ = ()

    def run(self, fn: Any, xp: Any, grads: tuple[Any, ...]) -> Any:
        return run_node_hooks(fn, grads, lambda outs: type(fn).backward(fn, xp, *outs))[1]


def register_node_hook(fn: Any, hook: Callable[..., Any], pre: bool) -> RemovableHandle:
    """Register ``hook`` on the Function ``fn``: a pre-hook ``hook(grad_outputs) -> tuple | None`` or a hook
    ``hook(grad_inputs, grad_outputs) -> tuple | None`` (PyTorch's ``Node.register_prehook`` / ``register_hook``).
    ``grad_inputs`` has one entry per input of ``fn`` (None where none is computed), as ``next_functions``."""
    attributes = fn.__dict__
    tables = attributes.get("_node_hooks")
    if tables is None:
        tables = attributes["_node_hooks"] = (_HookTable(), _HookTable())
    if type(attributes.get("backward")) is not _HookedBackward:
        attributes["backward"] = _HookedBackward(fn)
    table = tables[0 if pre else 1]
    handle = RemovableHandle(table)
    table[handle.id] = hook
    order_observable[0] = True
    return handle


def run_node_hooks(fn: Any, grads: tuple[Any, ...], backward: Callable[[tuple[Any, ...]], Any]) -> tuple[Any, Any]:
    """``backward(grads)`` between ``fn``'s node pre-hooks and hooks: (the output gradients the pre-hooks left,
    what backward returned as the hooks left it). Gradients are native arrays (a plain pass) or graph Tensors
    (create_graph); hooks see Tensors and may return Tensors (or arrays) in their place."""
    pre, post = fn.__dict__.get("_node_hooks") or ((), ())
    backend = fn.backend
    arrays = not any(isinstance(g, Tensor) for g in grads)

    def as_tensor(g: Any) -> Any:
        return g if g is None or isinstance(g, Tensor) else make_tensor(g, backend, None, 0)

    def as_given(g: Any) -> Any:
        return g.array if arrays and isinstance(g, Tensor) else g

    name = type(fn).__name__
    for hook in list(pre.values()) if pre else ():
        result = hook(tuple(as_tensor(g) for g in grads))
        if result is not None:
            grads = _checked(name, "pre-hook", hook, tuple(result), grads, as_given)
    found = backward(grads)
    if post:
        single = not isinstance(found, tuple)
        computed = (found,) if single else tuple(found)
        computed = computed + (None,) * (len(fn.inputs) - len(computed))
        for hook in list(post.values()):
            result = hook(tuple(as_tensor(g) for g in computed), tuple(as_tensor(g) for g in grads))
            if result is not None:
                computed = _checked(name, "hook", hook, tuple(result), computed, as_given)
        found = computed[0] if single else computed
    return grads, found


def _checked(name: str, kind: str, hook: Any, result: tuple[Any, ...], before: tuple[Any, ...],
             as_given: Callable[[Any], Any]) -> tuple[Any, ...]:
    """A node hook's returned gradients, checked against the ones it replaces (count, shapes), in their form."""
    label = getattr(hook, "__name__", repr(hook))
    if len(result) != len(before):
        raise RuntimeError(f"{name}: node {kind} {label!r} returned {len(result)} gradients; expected "
                           f"{len(before)}")
    for i, (new, old) in enumerate(zip(result, before)):
        if new is not None and old is not None and tuple(new.shape) != tuple(old.shape):
            raise RuntimeError(f"{name}: node {kind} {label!r} returned a gradient of shape {tuple(new.shape)} at "
                               f"{i}; expected {tuple(old.shape)}")
    return tuple(as_given(g) for g in result)
