"""Module hooks as in PyTorch: forward pre-hooks, forward hooks and full backward hooks.

A module without hooks is called straight through (``Module.__call__`` tests one dict entry). A full
backward hook wraps the module's tensor inputs and outputs in identity Functions: the one after the
outputs records ``grad_output``; the one before the inputs sees ``grad_input``, calls the hooks, and passes
on what they return.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from typing import Any

from ..autograd.primitive import Function
from ..autograd.hooks import HookTable as _Table
from ..autograd.mode import order_observable
from ..autograd.hooks import RemovableHandle, add_hook  # noqa: F401  (add_hook: nn's modules import it from here)
from ..autograd.tensor import Tensor, make_tensor
from ..backend import BackendMismatch
from ..backend.typing import Namespace


class ModuleHooks:
    """The hook tables of one module (created on the first registration)."""

    def __init__(self) -> None:
        self.forward_pre: OrderedDict[int, Any] = _Table()
        self.forward: OrderedDict[int, Any] = _Table()
        self.backward: OrderedDict[int, Any] = _Table()
        self.backward_pre: OrderedDict[int, Any] = _Table()
        self.with_kwargs: set[int] = set()
        self.always_call: set[int] = set()  # forward hooks also called when forward raises


# hooks of every module (PyTorch's ``torch.nn.modules.module.register_module_*_hook``): None until one is
# registered, so ``Module.__call__`` of a module without hooks still tests one name
global_hooks: ModuleHooks | None = None


def _global_tables() -> ModuleHooks:
    global global_hooks
    if global_hooks is None:
        global_hooks = ModuleHooks()
    return global_hooks


def register_module_forward_pre_hook(hook: Any) -> RemovableHandle:
    """``hook(module, args)`` before the forward of every module, before the module's own pre-hooks; a return
    value other than None replaces the inputs. Returns a removable handle."""
    return add_hook(_global_tables().forward_pre, hook)


def register_module_forward_hook(hook: Any, *, with_kwargs: bool = False, always_call: bool = False) -> RemovableHandle:
    """``hook(module, args, output)`` (``hook(module, args, kwargs, output)`` with ``with_kwargs``) after the
    forward of every module, before the module's own forward hooks; a return value other than None replaces the
    output. Returns a removable handle."""
    tables = _global_tables()
    handle = add_hook(tables.forward, hook)
    if with_kwargs:
        tables.with_kwargs.add(handle.id)
    if always_call:
        tables.always_call.add(handle.id)
    return handle


def register_module_full_backward_pre_hook(hook: Any) -> RemovableHandle:
    """``hook(module, grad_output)`` for every module, before the module's own backward pre-hooks."""
    return add_hook(_global_tables().backward_pre, hook)


def register_module_full_backward_hook(hook: Any) -> RemovableHandle:
    """``hook(module, grad_input, grad_output)`` for every module, before the module's own backward hooks."""
    return add_hook(_global_tables().backward, hook)


def with_global_hooks(own: ModuleHooks | None) -> ModuleHooks | None:
    """The hooks one call runs: the global ones first, then the module's own (``own``), as PyTorch orders them;
    ``own`` itself (or None) where no global hook is registered."""
    shared = global_hooks
    if shared is None or not (shared.forward_pre or shared.forward or shared.backward or shared.backward_pre):
        return own
    merged = ModuleHooks()
    for tables in (shared, own) if own is not None else (shared,):
        merged.forward_pre.update(tables.forward_pre)
        merged.forward.update(tables.forward)
        merged.backward.update(tables.backward)
        merged.backward_pre.update(tables.backward_pre)
        merged.with_kwargs |= tables.with_kwargs
        merged.always_call |= tables.always_call
    return merged


def call_with_hooks(module: Any, hooks: ModuleHooks, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """``module(*args, **kwargs)`` with its hooks, in PyTorch's order."""
    called: set[int] = set()
    output = None
    try:
        for key, hook in list(hooks.forward_pre.items()):
            if key in hooks.with_kwargs:
                result = hook(module, args, kwargs)
                if result is not None:
                    if not (isinstance(result, tuple) and len(result) == 2):
                        raise RuntimeError("forward pre-hook must return None or a tuple of (new_args, new_kwargs), "
                                           f"but got {result!r}")
                    args, kwargs = result
            else:
                result = hook(module, args)
                if result is not None:
                    args = result if isinstance(result, tuple) else (result,)
        state = None
        if hooks.backward or hooks.backward_pre:
            state = _BackwardState(module, hooks)
            if hooks.backward:
                args = state.wrap_inputs(args)
        output = module.forward(*args, **kwargs)
        for key, hook in list(hooks.forward.items()):
            called.add(key)
            result = hook(module, args, kwargs, output) if key in hooks.with_kwargs else hook(module, args, output)
            if result is not None:
                output = result
    except Exception:
        if hooks.always_call:
            _call_always(module, hooks, args, kwargs, output, called)
        raise
    if state is not None:
        output = state.wrap_outputs(output)
    return output


def _call_always(module: Any, hooks: ModuleHooks, args: tuple[Any, ...], kwargs: dict[str, Any], output: Any,
                 called: set[int]) -> None:
    """After an error in a hook or ``forward``: the ``always_call`` hooks not called yet, as PyTorch
    (an error they raise becomes a warning; the first error is the one raised)."""
    for key, hook in list(hooks.forward.items()):
        if key not in hooks.always_call or key in called:
            continue
        try:
            result = hook(module, args, kwargs, output) if key in hooks.with_kwargs else hook(module, args, output)
        except Exception as error:  # noqa: BLE001 - silenced as PyTorch does, the forward's error wins
            warnings.warn("module forward hook with ``always_call=True`` raised an exception that was silenced "
                          f"as another error was raised in forward: {error}", stacklevel=3)
            continue
        if result is not None:
            output = result


class _BackwardState:
    """What the two identity Functions of one call share: the module, its hooks, and ``grad_output``."""

    def __init__(self, module: Any, hooks: ModuleHooks) -> None:
        order_observable[0] = True  # module backward hooks see the order of a backward (PyTorch's from now on)
        self.module = module
        self.hooks = hooks
        self.n_inputs = 0
        self.input_grad_wanted = False
        self.grad_output: tuple[Any, ...] = ()
        self.backend: Any = None

    def wrap_inputs(self, args: tuple[Any, ...]) -> tuple[Any, ...]:
        tensors = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.n_inputs = len(tensors)
        positions = [i for i in tensors if args[i].requires_grad]
        if not positions:
            return args
        self.input_grad_wanted = True
        self.slots = [tensors.index(i) for i in positions]  # which grad_input entry each wrapped input fills
        wrapped = _HookInputs.apply(*(args[i] for i in positions), state=self)
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        out = list(args)
        for i, t in zip(positions, wrapped):
            out[i] = t
        return tuple(out)

    def wrap_outputs(self, output: Any) -> Any:
        items = output if isinstance(output, tuple) else (output,)
        positions = [i for i, o in enumerate(items) if isinstance(o, Tensor) and o.requires_grad]
        if not positions:
            return output
        self.backend = items[positions[0]].backend
        wrapped = _HookOutputs.apply(*(items[i] for i in positions), state=self)
        wrapped = wrapped if isinstance(wrapped, tuple) else (wrapped,)
        out = list(items)
        for i, t in zip(positions, wrapped):
            out[i] = t
        return tuple(out) if isinstance(output, tuple) else out[0]

    def call(self, grad_input: tuple[Any, ...]) -> tuple[Any, ...]:
        wrap = tuple(None if g is None else make_tensor(g, self.backend, None, 0) for g in grad_input)
        for hook in list(self.hooks.backward.values()):
            wrap = _replaced(hook(self.module, wrap, self.grad_output), wrap,
                             f"{type(self.module).__name__}'s backward hook", "inputs")
        return tuple(None if g is None else (g.array if isinstance(g, Tensor) else g) for g in wrap)


def _replaced(result: Any, current: tuple[Any, ...], what: str, counted: str) -> tuple[Any, ...]:
    """The gradients a module backward (pre-)hook returned in place of ``current`` (``None``: kept), checked to be
    as many; ``what`` and ``counted`` word the error."""
    if result is None:
        return current
    result = tuple(result) if isinstance(result, (tuple, list)) else (result,)
    if len(result) != len(current):
        raise RuntimeError(f"{what} returned {len(result)} gradients, but the module has {len(current)} {counted}")
    for index, (new, old) in enumerate(zip(result, current)):
        if new is None:
            continue
        if not isinstance(new, Tensor):  # (our own code failed on it: "'int' object has no attribute 'dtype'")
            raise TypeError(f"{what} returned a {type(new).__name__} as gradient {index}; expected a Tensor or None")
        if old is not None and new.backend != old.backend:  # (else the other library's dtype error)
            raise BackendMismatch(f"{what} returned gradient {index} on {new.backend.key!r}; the module's is on "
                                  f"{old.backend.key!r}")
        if old is not None and tuple(new.shape) != tuple(old.shape):  # else a .grad of the wrong shape, silently
            raise RuntimeError(f"{what} changed the size of gradient {index}: expected shape {tuple(old.shape)}, "
                               f"got {tuple(new.shape)}")
    return result


class _HookOutputs(Function):
    """Identity on the module's outputs; its backward records ``grad_output``."""

    def forward(self, xp: Namespace, *arrays: Any) -> Any:
        return arrays if len(arrays) > 1 else arrays[0]

    def backward(self, xp: Namespace, *grads: Any) -> Any:
        state = self.state
        grad_output = tuple(None if g is None else make_tensor(g, self.backend, None, 0) for g in grads)
        for hook in list(state.hooks.backward_pre.values()):  # full backward pre-hooks may replace grad_output
            grad_output = _replaced(hook(state.module, grad_output), grad_output,
                                    f"{type(state.module).__name__}'s backward pre-hook", "outputs that need one")
        state.grad_output = grad_output
        if state.hooks.backward and not state.input_grad_wanted:  # no input needs a gradient: PyTorch calls the
            state.call((None,) * state.n_inputs)  # hooks with None for each
        grads = tuple(None if g is None else (g.array if isinstance(g, Tensor) else g) for g in grad_output)
        return grads if len(grads) > 1 else grads[0]


class _HookInputs(Function):
    """Identity on the module's tensor inputs; its backward calls the backward hooks with ``grad_input``."""

    def forward(self, xp: Namespace, *arrays: Any) -> Any:
        return arrays if len(arrays) > 1 else arrays[0]

    def backward(self, xp: Namespace, *grads: Any) -> Any:
        state = self.state
        state.backend = self.backend
        full: list[Any] = [None] * state.n_inputs
        for slot, g in zip(state.slots, grads):
            full[slot] = g
        out = state.call(tuple(full))
        mine = tuple(out[slot] for slot in state.slots)
        return mine if len(mine) > 1 else mine[0]
