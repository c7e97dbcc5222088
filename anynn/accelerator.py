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


def set_device_index(device: Any, /) -> None:
    """PyTorch's ``torch.accelerator.set_device_index``: `anynn.cuda.set_device` (index 0, or a negative no-op)."""
    cuda.set_device(device)


set_device_idx = set_device_index


class device_index:  # noqa: N801 - PyTorch's name for a context manager
    """``with torch.accelerator.device_index(i):`` — `set_device_index` on entry (``None``: nothing), and nothing to
    restore on exit, anynn keeping no current-device global (index 0 is the only one it accepts)."""

    def __init__(self, device: int | None, /) -> None:
        self.idx = device

    def __enter__(self) -> None:
        if self.idx is not None:
            set_device_index(self.idx)

    def __exit__(self, *exc_info: object) -> None:
        return None


__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count", "device_index",
           "empty_cache", "is_available", "set_device_idx", "set_device_index", "synchronize"]
