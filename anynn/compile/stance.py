"""``torch.compiler.set_stance``: how the compiled steps behave from now on, without compiling them again.

``"force_eager"`` runs every `CompiledStep` as its plain function; ``"eager_then_compile"`` (and PyTorch's
``"aot_eager_then_compile"``) runs a step's first call eagerly; ``"fail_on_recompile"`` raises and
``"eager_on_recompile"`` runs eagerly where a traced step (the JAX path) would trace again for a call its cached
programs do not cover. The eager path (NumPy, PyTorch, array-api-strict) never traces, so those two change
nothing there. As PyTorch's, the stance is one setting for the process, set by a call, a ``with`` block or a
decorator, and setting it inside a running compiled step is refused.
"""

from __future__ import annotations

import functools
import threading
from contextlib import contextmanager
from typing import Any, Callable, Iterator

__all__ = ["STANCES", "current", "entered_step", "set_stance"]

STANCES = ("default", "force_eager", "eager_on_recompile", "fail_on_recompile", "eager_then_compile",
           "aot_eager_then_compile")

_stance = "default"
_running = threading.local()  # .depth: compiled steps running on this thread


def current() -> str:
    """The stance set by the latest `set_stance`."""
    return _stance


@contextmanager
def entered_step() -> Iterator[None]:
    """``with entered_step():`` around a compiled step's call, so `set_stance` inside it is refused."""
    _running.depth = getattr(_running, "depth", 0) + 1
    try:
        yield
    finally:
        _running.depth -= 1


def _set(stance: str) -> str:
    """Make ``stance`` the current one; returns the one it replaces."""
    global _stance
    if getattr(_running, "depth", 0):
        raise RuntimeError("attempted to set_stance in a torch.compile region (anynn: inside a running compiled "
                           "step); set it around the call instead")
    prior, _stance = _stance, stance
    return prior


class set_stance:  # noqa: N801  (PyTorch's name: a call, a with block and a decorator)
    """``torch.compiler.set_stance(stance)``: set at once; also a ``with`` block and a decorator that set it for
    the block or the call and put the previous one back (see the module docstring for each stance).

    ``skip_guard_eval_unsafe`` is accepted (anynn's traced steps check their cache key on every call);
    ``force_backend`` only with ``"default"``, as PyTorch requires, and otherwise unused.
    """

    def __init__(self, stance: str = "default", *, skip_guard_eval_unsafe: bool = False,
                 force_backend: str | Callable[..., Any] | None = None) -> None:
        if force_backend is not None and stance != "default":
            raise RuntimeError("non-default stance cannot have force_backend set")
        if stance not in STANCES:
            raise ValueError(f"torch.compiler.set_stance: unknown stance {stance!r}; expected one of {STANCES}")
        self.stance = stance
        self.prev = _set(stance)

    def __enter__(self) -> None:
        _set(self.stance)

    def __exit__(self, *exc: Any) -> None:
        _set(self.prev)

    def __call__(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """As a decorator: the stance applies during each call of ``fn`` only."""
        _set(self.prev)

        @functools.wraps(fn)
        def with_stance(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return with_stance
