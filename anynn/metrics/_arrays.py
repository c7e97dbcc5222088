"""Inputs of the metrics as native arrays of one backend, and results as Python numbers."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..backend import Backend, BackendMismatch, backend_of, dtype_name, get_backend, is_host_array


def as_native(*values: Any) -> tuple[Any, Backend, list[Any]]:
    """``(xp, backend, arrays)`` for metric inputs given as Tensors, native arrays, NumPy arrays or lists.

    The backend is that of the first Tensor or non-NumPy native array; NumPy arrays and lists are host
    data and move to it (as in `anynn.tensor`). Arrays of two different non-host backends are an error.
    """
    backend: Backend | None = None
    for value in values:
        if isinstance(value, Tensor):
            found = value.backend
        else:
            if is_host_array(value):  # host data goes to whichever backend the other inputs are on
                continue
            try:
                found = backend_of(value)
            except TypeError:
                continue
        if backend is None:
            backend = found
        elif found != backend:
            raise BackendMismatch(f"metric inputs live on two backends: {backend.key!r} and {found.key!r}")
    if backend is None:
        backend = get_backend("numpy")
    arrays = []
    for value in values:
        if isinstance(value, Tensor):
            if value.backend != backend:
                raise BackendMismatch(f"metric inputs live on two backends: {backend.key!r} and "
                                      f"{value.backend.key!r}")
            arrays.append(value.array)
        else:
            arrays.append(backend.asarray(value))
    return backend.xp, backend, arrays


def is_floating(array: Any) -> bool:
    return dtype_name(array.dtype).startswith(("float", "bfloat"))


def to_float(value: Any) -> float:
    """A 0-d native array (or number) as a Python float; this is where the device is waited for."""
    return float(value)
