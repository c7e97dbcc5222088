"""`device_of`: which device an array lives on, without asking a traced array (a module of its own, so the portable
kernels import it without importing the backend registry)."""

from __future__ import annotations

from typing import Any

from array_api_compat import device

_DEVICELESS_TYPES: tuple[type, ...] = ()


def register_deviceless_type(kind: type) -> None:
    """Arrays of type ``kind`` (a tracer base class) have no device of their own: `device_of` answers None."""
    global _DEVICELESS_TYPES
    if kind not in _DEVICELESS_TYPES:
        _DEVICELESS_TYPES = (*_DEVICELESS_TYPES, kind)


def device_of(array: Any) -> Any:
    """``array_api_compat.device(array)``, without asking a traced array, whose answer is None anyway.

    A JAX jit tracer's ``.device`` raises an error whose message walks the whole trace recorded so far, so
    asking it once per layer made tracing a large step quadratic in its size.
    """
    if isinstance(array, _DEVICELESS_TYPES):
        return None
    return device(array)
