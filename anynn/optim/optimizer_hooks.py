"""Optimizer hooks, as PyTorch's: around ``step`` (per optimizer and global), ``state_dict`` and ``load_state_dict``.

Each optimizer keeps one ordered table per kind of hook in ``optimizer.__dict__["_hooks"]``, made at the first
registration; the global step hooks (`register_optimizer_step_pre_hook`) run for every optimizer, the pre-hooks
before the optimizer's own and the post-hooks after them, as PyTorch orders them.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

from ..autograd import profiler as _profiler
from ..autograd.hooks import HookTable, RemovableHandle, add_hook

KINDS = ("step_pre", "step_post", "state_dict_pre", "state_dict_post", "load_state_dict_pre", "load_state_dict_post")


_global_step_hooks = {"step_pre": HookTable(), "step_post": HookTable()}


def add_optimizer_hook(optimizer: Any, kind: str, hook: Any, prepend: bool = False) -> RemovableHandle:
    """Register one of ``optimizer``'s hooks of ``kind`` (one of `KINDS`)."""
    if kind.startswith("step"):
        patch_step(type(optimizer))  # (done at construction; a class whose __init__ skips the base's)
    tables = optimizer.__dict__.setdefault("_hooks", {})
    return add_hook(tables.setdefault(kind, HookTable()), hook, prepend)


def hooks_of(optimizer: Any, kind: str) -> list[Callable[..., Any]]:
    """The hooks of ``kind`` registered on ``optimizer``, in calling order (a copy: a hook may remove itself)."""
    tables = optimizer.__dict__.get("_hooks")
    table = tables.get(kind) if tables else None
    return list(table.values()) if table else []


def register_optimizer_step_pre_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` before every optimizer's `step` (torch.optim.optimizer's); a
    returned ``(args, kwargs)`` pair replaces the step's arguments. Returns a removable handle."""
    return add_hook(_global_step_hooks["step_pre"], hook)


def register_optimizer_step_post_hook(hook: Callable[..., Any]) -> RemovableHandle:
    """Call ``hook(optimizer, args, kwargs)`` after every optimizer's `step`. Returns a removable handle."""
    return add_hook(_global_step_hooks["step_post"], hook)


def patch_step(cls: type) -> None:
    """Wrap the ``step`` a class uses once, as PyTorch patches it, so step hooks run around it and a running
    profile shows it as ``Optimizer.step#<class>.step`` (a subclass's ``super().step()`` reaches the unwrapped
    step, so the hooks run once per call)."""
    step = cls.step  # type: ignore[attr-defined]
    if getattr(step, "_runs_step_hooks", False):
        return
    pre, post = _global_step_hooks["step_pre"], _global_step_hooks["step_post"]

    @functools.wraps(step)
    def step_with_hooks(*args: Any, **kwargs: Any) -> Any:
        if not (_profiler._sessions or pre or post or args[0].__dict__.get("_hooks")):  # nothing runs around it
            return step(*args, **kwargs)
        if _profiler._sessions:
            with _profiler.record_function(f"Optimizer.step#{type(args[0]).__name__}.step"):
                return step_hooked(*args, **kwargs)
        return step_hooked(*args, **kwargs)

    def step_hooked(*args: Any, **kwargs: Any) -> Any:
        self = args[0]  # as PyTorch's, the hooks' args start with the optimizer
        tables = self.__dict__.get("_hooks")
        if not tables and not _global_step_hooks["step_pre"] and not _global_step_hooks["step_post"]:
            return step(*args, **kwargs)
        for hook in [*_global_step_hooks["step_pre"].values(), *hooks_of(self, "step_pre")]:
            result = hook(self, args, kwargs)
            if result is not None:
                if not (isinstance(result, tuple) and len(result) == 2):
                    raise RuntimeError(f"{hook} must return None or a tuple of (new_args, new_kwargs), but got "
                                       f"{result}.")
                args, kwargs = result
        out = step(*args, **kwargs)
        for hook in [*hooks_of(self, "step_post"), *_global_step_hooks["step_post"].values()]:
            hook(self, args, kwargs)
        return out

    step_with_hooks._runs_step_hooks = True  # type: ignore[attr-defined]
    cls.step = step_with_hooks  # type: ignore[attr-defined]
