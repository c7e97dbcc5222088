"""Moving arrays between backends, and the few host-format facts the rest of the package needs.

NumPy is the host format: everything else in anynn asks these helpers instead of importing it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .arrays import is_writeable
from .base import Backend


def transfer(data: Any, source: Backend, target: Backend) -> Any:
    """Move a native array between backends: DLPack first (no copy where it allows), host copy as fallback.

    An immutable source (JAX) is always copied: the target library would write into the shared buffer in place.
    """
    if target.name in ("torch", "numpy", "cupy") and source.name != "array_api_strict" and is_writeable(data):
        try:
            if target.name == "torch":
                moved = target.torch.from_dlpack(data)
            elif target.name == "cupy":
                moved = target.cupy.from_dlpack(data)
            else:
                moved = np.from_dlpack(data)
            if target.is_native(moved) and _same_device(moved, target):
                return moved
        except (TypeError, RuntimeError, BufferError, ValueError, AttributeError):
            pass
    return target.from_host(np.asarray(source.to_host(data), order="C"))


def _same_device(array: Any, backend: Backend) -> bool:
    if backend.name == "torch":
        return array.device == backend.device
    if backend.name == "cupy":
        return array.device.id == backend.device_id
    return True


def is_numpy_array(data: Any) -> bool:
    return isinstance(data, np.ndarray)


def is_foreign_array(data: Any) -> bool:
    """An array of some library other than NumPy (it speaks DLPack), as opposed to host data."""
    return not isinstance(data, (np.ndarray, np.generic, list, tuple, int, float, bool)) and hasattr(
        data, "__dlpack__")


def scalar_to_array(data: Any) -> Any:
    """NumPy hands out scalars, not 0-d arrays, from 0-d arithmetic: make them 0-d arrays again."""
    return np.asarray(data) if isinstance(data, np.generic) else data


def format_host_array(array: Any, prefix: str) -> str:
    """The text of a host array as it appears inside ``prefix(...)``."""
    return np.array2string(array, separator=", ", prefix=prefix)
