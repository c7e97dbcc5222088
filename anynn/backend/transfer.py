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

    Each backend answers for itself: ``target.from_dlpack`` (raises where the library imports no DLPack),
    ``target.same_device`` and ``source.exports_dlpack``. An immutable source (JAX) is always copied: the
    target library would write into the shared buffer in place.
    """
    if source.exports_dlpack and is_writeable(data):
        try:
            moved = target.from_dlpack(data)
            if target.is_native(moved) and target.same_device(moved):
                return moved
        except (TypeError, RuntimeError, BufferError, ValueError, AttributeError):
            pass
    return target.from_host(np.asarray(source.to_host(data), order="C"))


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
