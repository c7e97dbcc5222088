"""Per-parameter optimizer state, made lazily at a parameter's first step (PyTorch's state names)."""

from __future__ import annotations

from typing import Any

from ..backend.typing import Namespace


def new_state(state: dict[str, Any], xp: Namespace, param: Any, *buffers: str) -> None:
    """Fill an empty ``state``: ``step`` 0, then one ``zeros_like(param)`` per name in ``buffers``, in order."""
    state["step"] = 0
    for name in buffers:
        state[name] = xp.zeros_like(param)
