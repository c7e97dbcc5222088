"""PyTorch's ``torch.serialization``: `save`, `load` and the allow-list of classes a whole-model file may name.

``import anynn as torch`` then ``with torch.serialization.safe_globals([MyModel]):`` and a load inside the block
works as in PyTorch, without pickle: see `anynn.io.torch_serialization` and `anynn.io.safe_globals`.
"""

from __future__ import annotations

import os
from typing import Any, BinaryIO

from .io.module_describe import ModuleSaveError
from .io.safe_globals import (UnsafeGlobalError, add_safe_globals, clear_safe_globals, get_safe_globals,
                              resolve, safe_globals)
from .io.torch_serialization import load, save
from .io.weights import MODULE_KEY, read_checked


def get_unsafe_globals_in_checkpoint(f: str | os.PathLike | BinaryIO) -> list[str]:
    """The classes and functions a whole-model file names that `load` (``weights_only=True``) would refuse, as
    ``"module:qualname"`` strings (PyTorch's ``torch.serialization.get_unsafe_globals_in_checkpoint``)."""
    import json

    from .nn.module import Module

    _, _, metadata = read_checked(f, check=True)
    if MODULE_KEY not in metadata:
        return []
    names: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in ("class", "$global") and isinstance(item, str):
                    names.append(item)
                else:
                    walk(item)

    walk(json.loads(metadata[MODULE_KEY]))
    unsafe = []
    for name in dict.fromkeys(names):
        try:
            resolve(name, "", "", True, Module)
        except UnsafeGlobalError:
            unsafe.append(name)
    return unsafe


__all__ = ["ModuleSaveError", "UnsafeGlobalError", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "get_unsafe_globals_in_checkpoint", "load", "safe_globals", "save"]
