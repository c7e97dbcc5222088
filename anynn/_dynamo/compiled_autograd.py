"""``torch._dynamo.compiled_autograd``: PyTorch's switch that traces ``backward()`` into one graph and compiles it.

anynn's backward runs its recorded Functions eagerly (`anynn.compile` traces whole steps, backward included), so
the blocks below run unchanged: the gradients are the ones an eager backward gives, hooks included.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

__all__ = ["compiled_autograd_enabled", "enable", "in_compiled_autograd_region", "reset"]

compiled_autograd_enabled = False
in_compiled_autograd_region = False


@contextlib.contextmanager
def _enable(compiler_fn: Callable[..., Any], dynamic: bool = True,
            ignore_active_disable_ctx: bool = True) -> Iterator[None]:
    """``with torch._dynamo.compiled_autograd._enable(torch.compile(...)):``: backward inside the block runs as
    written (``compiler_fn`` is not called)."""
    yield


enable = _enable  # the name before PyTorch 2.10 made it private (the compiled-autograd tutorial calls enable)


@contextlib.contextmanager
def _disable() -> Iterator[None]:
    """``torch._dynamo.compiled_autograd._disable()``: nothing to switch off."""
    yield


def reset() -> None:
    """``torch._dynamo.compiled_autograd.reset()``: there is no cache of compiled backward graphs to clear."""
