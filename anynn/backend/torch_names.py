"""PyTorch's device names ("cpu", "cuda:1") and dtype comparisons, answered per library.

What a device name means depends on the library a tensor or model lives on:

| library | ``"cpu"`` | ``"cuda"`` / ``"cuda:i"`` |
| --- | --- | --- |
| NumPy | NumPy | CuPy on GPU ``i`` |
| CuPy | NumPy | CuPy on GPU ``i`` |
| PyTorch | PyTorch on the CPU | PyTorch on ``cuda:i`` (also ``"mps"``, ``"xpu"``...) |
| array_api_strict | its ``CPU_DEVICE`` | no CUDA: `BackendUnavailable` (its own ``"device1"``, ``"device2"`` instead) |

A name that is not a device (``"torch"``, ``"array_api_strict:device1"``) is a backend name. Each backend class
answers for its own library (`Backend.device_parts`, `Backend.device_key`, `Backend.native_device_parts`,
`Backend.device_count`); the functions here only ask it.
"""

from __future__ import annotations

from typing import Any, Callable

from .base import Backend, BackendUnavailable, CudaUnavailable, dtype_name
from .registry import backend_class_of, default_backend, get_backend

DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")


def device_parts(backend: Backend) -> tuple[str, int | None]:
    """``(type, index)`` of a backend's device, PyTorch style: ``("cpu", None)``, ``("cuda", 1)``, ``("device1", None)``
    """
    return backend.device_parts()


def backend_for_device(kind: str, index: int | None, like: Backend) -> Backend:
    """The backend that device ``kind[:index]`` means for data now on ``like`` (see the table above)."""
    key = like.device_key(kind, index)
    if key.partition(":")[0] == like.key.partition(":")[0]:
        return get_backend(key)
    try:  # "cuda" names another library here (NumPy -> CuPy)
        return get_backend(key)
    except BackendUnavailable as exc:
        where = f"{kind}:{index}" if index is not None else kind
        library = key.partition(":")[0]
        error = CudaUnavailable if kind == "cuda" else BackendUnavailable
        raise error(f"device {where!r}: on the {like.name} backend {kind!r} means {library}, which is "
                                 f"not usable here ({exc}). Stay on 'cpu', or check anynn.cuda.is_available() "
                                 "first") from None


def native_device_parts(spec: Any) -> tuple[str, int | None, str | None] | None:
    """``(type, index, backend key or None)`` of a library's own device object, or None if ``spec`` is not one."""
    library = backend_class_of(spec)
    return None if library is None else library.native_device_parts(spec)


# -- dtypes ------------------------------------------------------------------------------------------
# array_api_strict's dtypes compare unequal to anything that is not one of its own, so `x.dtype == anynn.float32`
# needs a view of them that also knows anynn's dtypes and names (still a valid array_api_strict dtype).
_views: dict[type, Callable[[Any], Any] | None] = {}
_strict_views: dict[str, Any] = {}


def comparable_dtype(native: Any) -> Any:
    """``native`` itself, or (for libraries whose dtypes refuse foreign comparisons) an equivalent that doesn't."""
    kind = type(native)
    if kind in _views:
        view = _views[kind]
    else:
        view = _views[kind] = _strict_view if kind.__module__.startswith("array_api_strict") else None
    return native if view is None else view(native)


def _strict_view(native: Any) -> Any:
    name = native._np_dtype.name
    found = _strict_views.get(name)
    if found is None:
        found = _strict_views[name] = _strict_view_class(type(native))(native._np_dtype)
    return found


_view_classes: dict[type, type] = {}


def _strict_view_class(base: type) -> type:
    cls = _view_classes.get(base)
    if cls is None:

        class ComparableDType(base):  # type: ignore[valid-type, misc]
            """An array_api_strict dtype that also equals anynn's dtype of that name and its name as a string."""

            __slots__ = ()

            def __eq__(self, other: object) -> bool:
                if isinstance(other, str) or type(other).__module__ == "anynn.dtypes":
                    try:
                        return dtype_name(other) == self._np_dtype.name
                    except TypeError:
                        return False
                return bool(base.__eq__(self, other))  # type: ignore[call-arg]

            def __ne__(self, other: object) -> bool:
                return not self.__eq__(other)

            __hash__ = base.__hash__

            # PyTorch's dtype attributes (x.dtype.is_floating_point); NumPy's dtypes are immutable and cannot take them
            is_floating_point = property(lambda self: self._np_dtype.kind == "f")
            is_complex = property(lambda self: self._np_dtype.kind == "c")
            is_signed = property(lambda self: self._np_dtype.kind in "ifc")
            itemsize = property(lambda self: self._np_dtype.itemsize)

        cls = _view_classes[base] = ComparableDType
    return cls


def cuda_available(like: Backend) -> bool:
    """Whether ``"cuda"`` is usable for data on ``like``'s library (``torch.cuda.is_available()``'s question)."""
    try:
        backend_for_device("cuda", None, like)
    except BackendUnavailable:
        return False
    return True


def saved_location(key: str | None) -> str:
    """PyTorch's name for where data saved from backend ``key`` lived ("cpu", "cuda:0"): the location a
    ``torch.load`` ``map_location`` dict or function reads. CuPy's devices are "cuda:k", PyTorch's its own, every
    other library's data lives on the host."""
    library, _, where = (key or "").partition(":")
    if library == "cupy":
        return f"cuda:{where or 0}"
    if library == "torch" and where and where != "cpu":
        return where if ":" in where else f"{where}:0"
    return "cpu"


def need_cuda(what: str, like: Backend) -> None:
    """Refuse a ``torch.cuda`` question that needs a device where ``"cuda"`` is not usable for ``like``, as PyTorch's
    CPU build refuses it (`CudaUnavailable`: an AssertionError and a RuntimeError)."""
    if not cuda_available(like):
        raise CudaUnavailable(f"Torch not compiled with CUDA enabled (anynn: {what} needs a usable CUDA device for "
                              f"the default backend ({like.name}); check torch.cuda.is_available() first)")


def refuse_pinning(pin_memory: Any) -> None:
    """PyTorch's RuntimeError for a factory's ``pin_memory=True`` where no GPU is usable for the default backend (its
    CPU build has no pinned-memory allocator); with one, nothing (anynn's copies to a GPU stage through its library)."""
    if pin_memory and not cuda_available(default_backend()):
        raise RuntimeError("pin_memory=True requires a CUDA or other accelerator backend; no pinned memory allocator "
                           "is available on this system. (anynn: no CUDA device is usable for the default backend; "
                           "leave pin_memory False, or set it to torch.cuda.is_available())")


def cuda_device_count(like: Backend) -> int:
    """How many CUDA devices the library that "cuda" means for ``like`` sees (0 where there is none)."""
    try:
        return backend_for_device("cuda", None, like).device_count()
    except BackendUnavailable:
        return 0
