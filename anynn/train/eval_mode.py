"""`evaluating`: a model in eval mode while `evaluate` / `predict` run and its modes put back after, across threads.

Each call saved every submodule's train/eval flag, set ``eval()``, and put the flags back when it ended. Two threads
evaluating one shared model broke that: the second saved the flags the first had just set (all eval), the first
put back training mode while the second was still running (its BatchNorm then used and updated batch statistics),
and the second, ending last, left the model in eval mode. Here the first call in saves the flags, the last out
puts them back, and every call in between runs in eval mode.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["evaluating"]

_lock = threading.Lock()
_inside: dict[int, tuple[int, list[tuple[Any, bool]]]] = {}  # id(model) -> (calls inside, flags before the first)


@contextmanager
def evaluating(model: Any) -> Iterator[None]:
    """Run the block with ``model`` and every submodule in eval mode; the flags come back when the last of the
    blocks open on ``model`` (in any thread) ends, even by an exception."""
    key = id(model)
    with _lock:
        count, flags = _inside.get(key, (0, []))
        if count == 0:
            flags = _flags(model)
            model.eval()
        _inside[key] = (count + 1, flags)
    try:
        yield
    finally:
        with _lock:
            count, flags = _inside.pop(key)
            if count > 1:
                _inside[key] = (count - 1, flags)
            else:
                for module, training in flags:
                    module.training = training


def _flags(model: Any) -> list[tuple[Any, bool]]:
    """Every submodule's train/eval flag: ``model.train(was_training)`` would put a frozen submodule (a BatchNorm set
    to eval() for fine-tuning) back in training mode."""
    modules = model.modules() if callable(getattr(model, "modules", None)) else [model]
    return [(m, getattr(m, "training", True)) for m in modules]
