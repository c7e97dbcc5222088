"""``torch.cuda.nvtx``: NVTX range markers that profiling code puts around training steps. anynn emits no NVTX
ranges (as `anynn.autograd.profiler.emit_nvtx`): the markers are accepted and do nothing, so a program that marks its
steps runs unchanged (PyTorch's CPU build raises RuntimeError 'NVTX functions not installed' at each call)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

__all__ = ["mark", "range", "range_end", "range_pop", "range_push", "range_start"]

_depth = [0]


def range_push(msg: str) -> int:
    """Open a nested range named ``msg``; its depth (0 for the outermost), as NVTX returns it."""
    _depth[0] += 1
    return _depth[0] - 1


def range_pop() -> int:
    """Close the innermost range; the depth it was at (-1 when none was open), as NVTX returns it."""
    if _depth[0] == 0:
        return -1
    _depth[0] -= 1
    return _depth[0]


def range_start(msg: str) -> int:
    """Start a range that may end in another thread; an id for `range_end`."""
    return 0


def range_end(range_id: int) -> None:
    """End the range `range_start` returned ``range_id`` for."""


def mark(msg: str) -> None:
    """An instantaneous event named ``msg``."""


@contextlib.contextmanager
def range(msg: str, *args: Any, **kwargs: Any) -> Iterator[None]:  # noqa: A001 - PyTorch's name
    """``with torch.cuda.nvtx.range("step"):`` a range around the block (``msg.format(*args, **kwargs)``)."""
    range_push(msg.format(*args, **kwargs))
    try:
        yield
    finally:
        range_pop()
