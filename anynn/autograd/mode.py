"""Switches for the tape: gradient recording on/off and the anomaly hook."""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterator

grad_enabled = True
anomaly_hook: Callable[[Any, str, Any], None] | None = None


@contextlib.contextmanager
def no_grad() -> Iterator[None]:
    """Run without recording the graph: for inference and parameter updates.

    Usable as ``with no_grad():`` or as a decorator (``@no_grad()``).
    """
    global grad_enabled
    previous = grad_enabled
    grad_enabled = False
    try:
        yield
    finally:
        grad_enabled = previous


@contextlib.contextmanager
def enable_grad() -> Iterator[None]:
    """Record the graph again inside a ``no_grad`` block."""
    global grad_enabled
    previous = grad_enabled
    grad_enabled = True
    try:
        yield
    finally:
        grad_enabled = previous


def is_grad_enabled() -> bool:
    return grad_enabled
