"""Checks of array *values* (not shapes) at the public boundary, with errors that name the caller.

One mechanism for every such check (principle 8): a boolean array marks the offending elements, and
`check_values` reads one boolean back from the device, only for concrete arrays. A traced or lazy array
(jax.jit, ndonnx, Dask) is never forced to a value: its check is skipped, as PyTorch skips its own under
tracing.
"""

from __future__ import annotations

from typing import Any

from array_api_compat import is_lazy_array

from ..backend import Backend


class InvalidValueError(ValueError, RuntimeError):
    """Values outside a function's domain (PyTorch raises ``RuntimeError`` there; a ``ValueError`` too)."""


def is_concrete(array: Any) -> bool:
    """True where reading ``array`` back to the host is possible and cheap (not traced, not lazy)."""
    return not is_lazy_array(array)


def any_true(backend: Backend, condition: Any) -> bool:
    """Whether any element of the boolean array ``condition`` is True; False for traced or lazy arrays."""
    if not is_concrete(condition):
        return False
    return bool(backend.to_host(backend.xp.any(condition)))


def first_true(backend: Backend, condition: Any, values: Any) -> tuple[int, Any]:
    """``(flat position, value)`` of the first element where ``condition`` holds (for error messages only)."""
    host_condition = backend.to_host(condition).reshape(-1)
    position = int(host_condition.argmax())
    return position, backend.to_host(values).reshape(-1)[position].item()


def check_values(backend: Backend, bad: Any, message: str, values: Any = None,
                 error: type[Exception] = InvalidValueError) -> None:
    """Raise ``error(message)`` if any element of the boolean array ``bad`` is True.

    With ``values`` (an array of ``bad``'s shape), ``{value}`` and ``{position}`` in the message become the
    first offending value and its flat position (appended if the message has neither). Reads one boolean
    from the device; does nothing on traced or lazy arrays.
    """
    if not any_true(backend, bad):
        return
    if values is not None:
        position, value = first_true(backend, bad, values)
        if "{value}" not in message and "{position}" not in message:
            message += ", got {value} at flat position {position}"
        message = message.replace("{value}", str(value)).replace("{position}", str(position))
    raise error(message)
