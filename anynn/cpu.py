"""``anynn.cpu``: PyTorch's ``torch.cpu`` names used in device-selection boilerplate, and the deprecated
``torch.cpu.amp.autocast``.

The host is always there: ``is_available()`` is True, there is one CPU device (``device_count() == 1``,
``current_device() == "cpu"``), and ``synchronize`` has nothing to wait for (host work is done when it returns).
"""

from __future__ import annotations

import sys
import types
import warnings
from typing import Any

from .amp.autocast import autocast as _Autocast


def is_available() -> bool:
    """True: computing on the host is always possible (``torch.cpu.is_available``)."""
    return True


def device_count() -> int:
    """1: the host is one device to PyTorch and to anynn."""
    return 1


def current_device() -> str:
    """``"cpu"``, as ``torch.cpu.current_device``."""
    return "cpu"


def synchronize(device: Any = None) -> None:
    """Nothing to wait for: host work has finished when its call returns."""


class _CpuAutocast(_Autocast):
    """``torch.cpu.amp.autocast(enabled=True, dtype=bfloat16, cache_enabled=True)``: ``autocast("cpu", ...)``."""

    def __init__(self, enabled: bool = True, dtype: Any = "bfloat16", cache_enabled: bool = True) -> None:
        warnings.warn("`anynn.cpu.amp.autocast(args...)` is deprecated. Please use "
                      "`anynn.amp.autocast('cpu', args...)` instead.", FutureWarning, stacklevel=2)
        super().__init__("cpu", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


_CpuAutocast.__name__ = _CpuAutocast.__qualname__ = "autocast"
# ``torch.cpu.amp`` is a package; here a module object, importable as ``anynn.cpu.amp``
amp = types.ModuleType(__name__ + ".amp", "PyTorch's deprecated torch.cpu.amp: autocast fixed to the host.")
amp.autocast = _CpuAutocast  # type: ignore[attr-defined]
sys.modules[amp.__name__] = amp

__all__ = ["amp", "current_device", "device_count", "is_available", "synchronize"]
