"""``anynn.xpu`` and ``anynn.mps``: PyTorch's Intel-GPU and Apple-GPU namespaces, for device-selection code such as
``"mps" if torch.backends.mps.is_available() else "cpu"`` or ``torch.xpu.is_available()``.

anynn runs on neither (no array library it supports computes there), so ``is_available()`` is False and
``device_count()`` is 0, as PyTorch answers on a machine without one; seeding and synchronising do nothing.
"""

from __future__ import annotations

import sys
import types
from typing import Any


def _namespace(name: str, what: str) -> types.ModuleType:
    module = types.ModuleType(f"anynn.{name}", f"PyTorch's torch.{name} ({what}): never available to anynn.")

    def is_available() -> bool:
        return False

    def device_count() -> int:
        return 0

    def manual_seed(seed: int) -> None:
        return None

    def synchronize(device: Any = None) -> None:
        return None

    for fn in (is_available, device_count, manual_seed, synchronize):
        fn.__qualname__ = fn.__name__
        fn.__module__ = module.__name__
        setattr(module, fn.__name__, fn)
    module.manual_seed_all = manual_seed  # type: ignore[attr-defined]
    module.empty_cache = synchronize  # type: ignore[attr-defined]
    module.__all__ = ["device_count", "empty_cache", "is_available", "manual_seed", "manual_seed_all",  # type: ignore[attr-defined]
                      "synchronize"]
    sys.modules[module.__name__] = module
    return module


xpu = _namespace("xpu", "Intel GPUs")
mps = _namespace("mps", "Apple GPUs")

__all__ = ["mps", "xpu"]
