"""PyTorch's ``torch.nn.utils.init``: `skip_init`."""

from __future__ import annotations

import inspect
from typing import Any


def skip_init(module_cls: type, *args: Any, **kwargs: Any) -> Any:
    """``module_cls(*args, **kwargs)`` for a program that sets every parameter itself afterwards, as PyTorch's
    ``skip_init``. PyTorch builds the module on its meta device and leaves the memory uninitialised; anynn has no
    meta device, so the parameters hold their usual initial values (any values are allowed). The checks are
    PyTorch's: a Module class whose constructor takes ``device``."""
    from ..module import Module

    if not isinstance(module_cls, type):  # PyTorch's issubclass(module_cls, Module) raises TypeError
        raise TypeError(f"skip_init: module_cls must be a Module class, got {module_cls!r}")
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
