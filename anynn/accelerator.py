"""``anynn.accelerator``: PyTorch's device-neutral ``torch.accelerator`` questions, for the default backend.

anynn's one accelerator type is ``"cuda"`` (CuPy for NumPy data, PyTorch's CUDA for torch data; see
`anynn.device`), so these answer what `anynn.cuda` answers: a program that does
``device = torch.accelerator.current_accelerator() if torch.accelerator.is_available() else torch.device("cpu")``
runs unchanged after ``import anynn as torch``.
"""

from __future__ import annotations

from typing import Any

from . import cuda
from .device import device


def is_available() -> bool:
    """Whether an accelerator (``"cuda"``) is usable for the default backend."""
    return cuda.is_available()


def current_accelerator(check_available: bool = False) -> device | None:
    """``device("cuda")`` where the default backend has a usable GPU; ``None`` otherwise, as PyTorch without one.

    ``check_available`` is PyTorch's argument; anynn always checks, as the only accelerator it knows is CUDA.
    """
    return device("cuda") if cuda.is_available() else None


def device_count() -> int:
    """The number of accelerator devices the default backend's library sees (0 without one)."""
    return cuda.device_count() if cuda.is_available() else 0


def current_device_index() -> int:
    """The index of the device ``"cuda"`` means (always 0: anynn picks devices by name, not by a global)."""
    return cuda.current_device()


current_device_idx = current_device_index


def synchronize(device: Any = None) -> None:  # noqa: A002 - shadows nothing used here
    """Wait for the queued work of the default backend's accelerator (nothing to wait for without one)."""
    cuda.synchronize(device)


def empty_cache() -> None:
    """Accepted for PyTorch code; anynn leaves memory pools to the library (a no-op)."""
    cuda.empty_cache()


__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count", "empty_cache",
           "is_available", "synchronize"]
