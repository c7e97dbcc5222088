"""`get_backend`: from a name (or an array namespace) to a cached `Backend`."""

from __future__ import annotations

import contextlib
import importlib
import threading
from typing import Any, Iterator

from .base import Backend
from .typing import Namespace

_cache: dict[str, Backend] = {}
_build_lock = threading.RLock()  # one Backend per key even when threads ask at once
_default_name: str | Backend = "numpy"
# the backends of this thread's open `default_backend_set_to` blocks, innermost last: per thread, as PyTorch's
# ``with torch.device(d):`` (its device context is thread-local)
_scoped = threading.local()

# One row per array library: backend name -> (module in anynn.backend, class). Adding a library is one row here
# and one file; the class answers `owns(array)` and `key_of(array)` for arrays of its library.
REGISTRY: dict[str, tuple[str, str]] = {
    "numpy": ("numpy_backend", "NumpyBackend"),
    "cupy": ("cupy_backend", "CupyBackend"),
    "torch": ("torch_backend", "TorchBackend"),
    "array_api_strict": ("strict_backend", "StrictBackend"),
    "jax": ("jax_backend", "JaxBackend"),
    "ndonnx": ("ndonnx_backend", "NdonnxBackend"),
}
NAMES = tuple(REGISTRY) + ("auto",)
# the variant suffix: "numpy-portable" is NumPy with every fast path off (`Backend.portable`)
PORTABLE = "-portable"


class UnknownBackendError(ValueError, RuntimeError):
    """A backend or device name anynn does not know (PyTorch's RuntimeError for an unknown device string)."""


def _backend_class(library: str) -> type[Backend]:
    try:
        module_name, class_name = REGISTRY[library]
    except KeyError:
        raise UnknownBackendError(f"unknown backend {library!r}: expected one of {', '.join(NAMES)}") from None
    module = importlib.import_module(f"{__package__}.{module_name}")
    return getattr(module, class_name)


def _build(library: str, device: str | None) -> Backend:
    return _backend_class(library).build(device)


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
        ``"numpy"``, ``"cupy"``, ``"torch"``, ``"array_api_strict"``, ``"jax"``, ``"auto"`` (CuPy when a CUDA
        device works, else NumPy), ``"array_api_strict:device1"`` / ``"torch:cuda:0"`` style names,
        an array namespace module, or ``None`` for the default (see `set_default_backend`). A ``-portable``
        suffix (``"numpy-portable"``, ``"torch-portable:cuda"``) gives the library with every fast path off.
    device : optional
        The device, if not given in the name.

    Raises
    ------
    BackendUnavailable
        The library is not installed or has no usable device; the message says what to do.
    """
    if backend is None:
        scopes = getattr(_scoped, "backends", None)
        backend = scopes[-1] if scopes else getattr(_scoped, "default", None) or _default_name
    if isinstance(backend, Backend):
        return backend
    if type(backend) is str and device is None:  # a name built before is its own key ("numpy", "torch:cuda:0")
        found = _cache.get(backend)
        if found is not None:
            return found
    if not isinstance(backend, str):
        backend = _name_of_namespace(backend)
    library, _, dev = backend.partition(":")
    if device is not None:
        dev = str(device)
    library, portable = (library[:-len(PORTABLE)], True) if library.endswith(PORTABLE) else (library, False)
    if library == "auto":
        library = choose_auto()[0]
    key = f"{library}{PORTABLE if portable else ''}:{dev}" if dev else library + (PORTABLE if portable else "")
    found = _cache.get(key)
    if found is None:
        with _build_lock:
            found = _cache.get(key)
            if found is None:
                built = get_backend(library, dev or None) if portable else _build(library, dev or None)
                found = _cache[key] = built.portable() if portable else built
    return found


def _name_of_namespace(xp: Namespace) -> str:
    """The registry name of an array namespace module (``numpy``, ``jax.numpy``, ``array_api_compat.torch``...)."""
    name = getattr(xp, "__name__", "")
    parts = name.split(".")
    if parts[0] == "array_api_compat" and len(parts) > 1:
        parts = parts[1:]
    if parts[0] == "anynn" and parts[-1] == "numpy":  # the NumPy backend's own tuned namespace
        parts = ["numpy"]
    if parts[0] in REGISTRY and (len(parts) == 1 or parts[1:] == ["numpy"]):
        return parts[0]
    raise ValueError(f"{name or xp!r} is not an array namespace anynn has a backend for: "
                     f"expected one of {', '.join(REGISTRY)}")


def set_default_backend(name: str) -> None:
    """Set the backend used when none is given (construction only: the math reads no globals), in every thread; a
    default this thread set with `set_thread_default_backend` (``anynn.set_default_device``) is dropped."""
    global _default_name
    get_backend(name)  # fail now, not at first use
    _default_name = name
    _scoped.default = None


def set_thread_default_backend(backend: str | Backend | None) -> None:
    """This thread's default backend, before the process's (`set_default_backend`); ``None`` drops it. Per thread, as
    PyTorch's ``set_default_device`` (its device context is thread-local); `with device(d)` blocks come first."""
    if backend is not None:
        get_backend(backend)  # fail now, not at first use
    _scoped.default = backend


def thread_default_backend() -> str | Backend | None:
    """What `set_thread_default_backend` last set in this thread (``None``: the process's default applies)."""
    return getattr(_scoped, "default", None)


@contextlib.contextmanager
def default_backend_set_to(backend: Backend) -> Iterator[None]:
    """Within the block, tensors made with no backend given live on ``backend`` (this very instance, with its
    fast paths: `anynn.onnx.export` records the factories a forward calls as graph constants). Only this thread's
    factories: another thread's default stays as it is."""
    scopes = getattr(_scoped, "backends", None)
    if scopes is None:
        scopes = _scoped.backends = []
    scopes.append(backend)
    try:
        yield
    finally:
        scopes.pop()


def default_backend() -> Backend:
    return get_backend(None)


def backend_of(array: Any) -> Backend:
    """The backend a native array belongs to (for wrapping arrays a user hands in)."""
    library = _LIBRARY_OF_MODULE.get(type(array).__module__.split(".")[0])
    if library is None or not _backend_class(library).owns(array):
        raise TypeError(f"not an array of a known backend: {type(array).__name__}")
    return get_backend(_backend_class(library).key_of(array))


def backend_class_of(obj: Any) -> type[Backend] | None:
    """The `Backend` class of the library ``obj`` (an array, a generator...) comes from, or ``None``."""
    library = _LIBRARY_OF_MODULE.get(type(obj).__module__.split(".")[0])
    return None if library is None else _backend_class(library)


# the top-level module an array's type lives in -> the backend of that library
_LIBRARY_OF_MODULE = {**{name: name for name in REGISTRY}, "jaxlib": "jax"}
