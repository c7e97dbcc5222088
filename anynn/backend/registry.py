"""`get_backend`: from a name (or an array namespace) to a cached `Backend`."""

from __future__ import annotations

from typing import Any

from .base import Backend, BackendUnavailable

_cache: dict[str, Backend] = {}
_default_name = "numpy"
NAMES = ("numpy", "cupy", "torch", "array_api_strict", "auto")


def _build(library: str, device: str | None) -> Backend:
    if library == "numpy":
        from .numpy_backend import NumpyBackend

        if device not in (None, "cpu"):
            raise BackendUnavailable(f"backend 'numpy' has only the 'cpu' device, not {device!r}")
        return NumpyBackend()
    if library == "torch":
        from .torch_backend import TorchBackend

        return TorchBackend(device)
    if library == "array_api_strict":
        from .strict_backend import StrictBackend

        return StrictBackend(device)
    if library == "cupy":
        from .cupy_backend import CupyBackend

        return CupyBackend(device)
    raise ValueError(f"unknown backend {library!r}: expected one of {', '.join(NAMES)}")


def choose_auto() -> tuple[str, str]:
    """The library ``"auto"`` resolves to, and why: CuPy if a CUDA device works, else NumPy."""
    from .cupy_backend import probe_cupy

    usable, reason = probe_cupy()
    return ("cupy", reason) if usable else ("numpy", f"NumPy on the CPU, because {reason}")


def get_backend(backend: Any = None, device: Any = None) -> Backend:
    """Return the `Backend` for a name, ``"name:device"``, an array namespace, or a `Backend`.

    Parameters
    ----------
    backend : str, Backend, module or None
        ``"numpy"``, ``"cupy"``, ``"torch"``, ``"array_api_strict"``, ``"auto"`` (CuPy when a CUDA
        device works, else NumPy), ``"array_api_strict:device1"`` / ``"torch:cuda:0"`` style names,
        an array namespace module, or ``None`` for the default (see `set_default_backend`).
    device : optional
        The device, if not given in the name.

    Raises
    ------
    BackendUnavailable
        The library is not installed or has no usable device; the message says what to do.
    """
    if isinstance(backend, Backend):
        return backend
    if backend is None:
        backend = _default_name
    if not isinstance(backend, str):
        backend = _name_of_namespace(backend)
    library, _, dev = backend.partition(":")
    if device is not None:
        dev = str(device)
    if library == "auto":
        library = choose_auto()[0]
    key = f"{library}:{dev}" if dev else library
    found = _cache.get(key)
    if found is None:
        found = _cache[key] = _build(library, dev or None)
    return found


def _name_of_namespace(xp: Any) -> str:
    name = getattr(xp, "__name__", "")
    for library in ("numpy", "cupy", "torch", "array_api_strict"):
        if name == library or name.endswith("." + library):
            return library
    raise ValueError(f"{xp!r} is not a namespace anynn knows: expected one of {', '.join(NAMES[:-1])}")


def set_default_backend(name: str) -> None:
    """Set the backend used when none is given (construction only: the math reads no globals)."""
    global _default_name
    get_backend(name)  # fail now, not at first use
    _default_name = name


def default_backend() -> Backend:
    return get_backend(_default_name)


def backend_of(array: Any) -> Backend:
    """The backend a native array belongs to (for wrapping arrays a user hands in)."""
    import numpy as np

    if isinstance(array, np.ndarray):
        return get_backend("numpy")
    module = type(array).__module__.split(".")[0]
    if module == "torch":
        dev = str(array.device)
        return get_backend("torch" if dev == "cpu" else f"torch:{dev}")
    if module == "cupy":
        return get_backend("cupy", array.device.id)
    if module == "array_api_strict":
        dev = str(array.device).split("'")[1] if "'" in str(array.device) else None
        return get_backend("array_api_strict" if dev in (None, "CPU_DEVICE") else f"array_api_strict:{dev}")
    raise TypeError(f"not an array of a known backend: {type(array).__name__}")
