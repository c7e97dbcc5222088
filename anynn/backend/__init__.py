"""Backends: the one place that knows which array library runs the math.

``get_backend("numpy" | "cupy" | "torch" | "array_api_strict" | "auto")`` returns a `Backend` with the
array namespace (``.xp``), device, random generators and fast paths of that library.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable

from . import portable
from .base import (DTYPE_NAMES, Backend, BackendMismatch, BackendUnavailable, CudaUnavailable, DeviceRNG, dtype_name,
                   host_array, is_host_array)
from .registry import NAMES, backend_of, choose_auto, default_backend, get_backend, set_default_backend

_fast_paths_enabled = True
# (id(backend), name) -> (backend, implementation); cleared whenever fast paths are switched
_op_cache: dict[tuple[int, str], tuple[Backend, Callable[..., Any]]] = {}


def use_fast_paths(enabled: bool) -> None:
    """Switch every backend's fast paths off (or back on) process-wide: for benchmarks comparing the two.

    The math reads no such switch per backend: the fast-path-free code of a library is its variant
    ``get_backend("<library>-portable")`` (`Backend.portable`), which is what the test fixture uses.
    """
    global _fast_paths_enabled
    _fast_paths_enabled = enabled
    _op_cache.clear()


def op(backend: Backend, name: str) -> Callable[..., Any]:
    """The implementation of op ``name`` for ``backend``: its fast path, else the portable one.

    Both take the same arguments after the portable version's leading ``xp``. Looked up once per
    backend and name, then cached (ops run in every step's hot loop).
    """
    hit = _op_cache.get((id(backend), name))
    if hit is not None and hit[0] is backend:
        return hit[1]
    fast = backend.fast_path(name) if _fast_paths_enabled and backend.uses_fast_paths else None
    found = fast if fast is not None else partial(getattr(portable, name), backend.xp)
    _op_cache[(id(backend), name)] = (backend, found)
    return found


__all__ = [
    "DTYPE_NAMES", "NAMES", "Backend", "BackendMismatch", "BackendUnavailable", "CudaUnavailable", "DeviceRNG",
    "backend_of", "choose_auto", "is_host_array", "default_backend", "dtype_name", "get_backend", "host_array", "op",
    "set_default_backend", "use_fast_paths",
]
