"""One optional kernel object per CUDA device, made once under a lock (cuDNN kernels, cuBLASLt epilogues)."""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class PerDevice(Generic[T]):
    """``(object or None, reason)`` per device id: ``make()`` is called once per device, later calls read it.

    The answer is kept whether or not an object was made, so a missing library is looked for once.
    """

    def __init__(self) -> None:
        self._made: dict[int, tuple[T | None, str]] = {}
        self._lock = threading.Lock()

    def get(self, device_id: int, make: Callable[[], tuple[T | None, str]]) -> tuple[T | None, str]:
        found = self._made.get(device_id)  # a dict read is atomic: the hot path takes no lock
        if found is not None:
            return found
        with self._lock:
            if device_id not in self._made:
                self._made[device_id] = make()
            return self._made[device_id]

    def clear(self) -> None:
        """Forget every answer (tests; after installing a library in a running process)."""
        with self._lock:
            self._made.clear()
