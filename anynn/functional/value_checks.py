"""Checks of array *values* (not shapes) at the public boundary, with errors that name the caller.

One mechanism for every such check (principle 8): `anynn.backend.arrays.check`, which reads one boolean
back from the device for a concrete array and skips a traced one (``backend.is_traced``: jax.jit tracers,
recording arrays), as PyTorch skips its own checks under tracing. This module adds the error class the
losses raise.
"""

from __future__ import annotations

from typing import Any

from ..backend import Backend
from ..backend.arrays import check


class InvalidValueError(ValueError, RuntimeError):
    """Values outside a function's domain (PyTorch raises ``RuntimeError`` there; a ``ValueError`` too)."""


def check_values(backend: Backend, bad: Any, message: str, values: Any = None,
                 error: type[Exception] = InvalidValueError) -> None:
    """Raise ``error(message)`` if any element of the boolean array ``bad`` is True (`anynn.backend.arrays.check`).

    With ``values`` (an array of ``bad``'s shape), ``{value}`` and ``{position}`` in the message become the
    first offending value and its flat position (appended if the message has neither). Does nothing on
    traced arrays.
    """
    check(backend, bad, message, values=values, error=error)
