"""State-dict hooks and extra state of a `Module`, as PyTorch's.

``register_state_dict_pre_hook`` / ``register_state_dict_post_hook`` run around the part of ``state_dict``
that a module writes (its own entries, then its children's); ``register_load_state_dict_pre_hook`` runs
before ``load_state_dict`` reads anything (a hook may rename keys) and ``register_load_state_dict_post_hook``
after the keys are matched (a hook may clear the lists of missing and unexpected keys before ``strict``
judges them). A module that overrides ``get_extra_state`` / ``set_extra_state`` saves and loads one more
entry, ``<prefix>_extra_state``, holding whatever ``get_extra_state`` returns.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterable

from ..autograd.hooks import HookTable as _Table
from ..autograd.hooks import RemovableHandle
from .hooks import add_hook

EXTRA_STATE = "_extra_state"


class StateHooks:
    """The state-dict hook tables of one module (created on the first registration)."""

    def __init__(self) -> None:
        self.save_pre: OrderedDict[int, Any] = _Table()
        self.save_post: OrderedDict[int, Any] = _Table()
        self.load_pre: OrderedDict[int, Any] = _Table()
        self.load_post: OrderedDict[int, Any] = _Table()


def tables(module: Any) -> StateHooks:
    hooks = module.__dict__.get("_state_hooks")
    if hooks is None:
        hooks = StateHooks()
        object.__setattr__(module, "_state_hooks", hooks)
    return hooks


def register(module: Any, kind: str, hook: Any) -> RemovableHandle:
    return add_hook(getattr(tables(module), kind), hook)


def _hooks(module: Any, kind: str) -> list[Any]:
    found = module.__dict__.get("_state_hooks")
    return [] if found is None else list(getattr(found, kind).values())


def has_extra_state(module: Any, method: str, base: type) -> bool:
    """Whether ``module``'s class overrides ``get_extra_state``/``set_extra_state`` (``method``) of ``base``."""
    return getattr(type(module), method) is not getattr(base, method)


def save_into(module: Any, out: Any, prefix: str, keep_vars: bool, base: type) -> Any:
    """``module``'s state into ``out`` in PyTorch's order: pre-hooks, parameters, persistent buffers, extra
    state, children, post-hooks (a tensor shared by two names appears under both). Returns ``out``, or the dict
    a private post-hook (`may_replace`) returned instead."""
    for hook in _hooks(module, "save_pre"):
        hook(module, prefix, keep_vars)
    for name, p in module._parameters.items():
        if p is not None:
            out[prefix + name] = p if keep_vars else p.detach()
    skip = module.__dict__.get("_non_persistent", ())
    for name, b in module._buffers.items():
        if b is not None and name not in skip:
            out[prefix + name] = b if keep_vars else b.detach()
    if has_extra_state(module, "get_extra_state", base):
        out[prefix + EXTRA_STATE] = module.get_extra_state()
    for name, child in module._modules.items():
        if child is not None:
            save_into(child, out, f"{prefix}{name}.", keep_vars, base)
    for hook in _hooks(module, "save_post"):
        result = hook(module, out, prefix, {})
        if result is not None:
            if not getattr(hook, "may_replace", False):
                raise RuntimeError("state_dict post-hook must return None")
            out = result
    return out


def may_replace(hook: Any) -> Any:
    """``hook`` marked as a private post-hook (``Module._register_state_dict_hook``): what it returns replaces
    the state dict, as PyTorch's private hooks may."""
    if not callable(hook):
        raise TypeError(f"a hook must be callable, got {type(hook).__name__}")

    def replacing(*args: Any) -> Any:
        return hook(*args)

    replacing.may_replace = True  # type: ignore[attr-defined]
    return replacing


def without_module(hook: Any) -> Any:
    """``hook`` called without the module it is registered on (PyTorch's private hooks' calling convention)."""
    return lambda module, *args: hook(*args)


def run_load_pre_hooks(named: Iterable[tuple[str, Any]], state: dict[str, Any], strict: bool,
                       missing: list[str], unexpected: list[str], errors: list[str]) -> None:
    for name, module in named:
        for hook in _hooks(module, "load_pre"):
            hook(module, state, f"{name}." if name else "", {}, strict, missing, unexpected, errors)


def run_load_post_hooks(named: Iterable[tuple[str, Any]], keys: Any) -> None:
    for _, module in named:
        for hook in _hooks(module, "load_post"):
            if hook(module, keys) is not None:
                raise RuntimeError("Hooks registered with ``register_load_state_dict_post_hook`` are not expected "
                                   "to return new values; change the incompatible keys in place instead")
