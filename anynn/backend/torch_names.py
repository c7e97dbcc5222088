"""PyTorch's device names ("cpu", "cuda:1") and dtype comparisons, answered per library.

What a device name means depends on the library a tensor or model lives on:

| library | ``"cpu"`` | ``"cuda"`` / ``"cuda:i"`` |
| --- | --- | --- |
| NumPy | NumPy | CuPy on GPU ``i`` |
| CuPy | NumPy | CuPy on GPU ``i`` |
| PyTorch | PyTorch on the CPU | PyTorch on ``cuda:i`` (also ``"mps"``, ``"xpu"``...) |
| array_api_strict | its ``CPU_DEVICE`` | no CUDA: `BackendUnavailable` (its own ``"device1"``, ``"device2"`` instead) |

A name that is not a device (``"torch"``, ``"array_api_strict:device1"``) is a backend name.
"""

from __future__ import annotations

from typing import Any, Callable

from .base import Backend, BackendUnavailable, dtype_name
from .registry import get_backend

DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")


def device_parts(backend: Backend) -> tuple[str, int | None]:
    """``(type, index)`` of a backend's device, PyTorch style: ``("cpu", None)``, ``("cuda", 1)``, ``("device1", None)``
    """
    if backend.name == "torch":
        return backend.device.type, backend.device.index
    if backend.name == "cupy":
        return "cuda", backend.device_id
    if backend.name == "array_api_strict":
        label = backend.key.partition(":")[2]
        return (label or "cpu"), None
    if backend.name == "jax":
        platform = str(getattr(backend.device, "platform", "cpu"))
        index = getattr(backend.device, "id", None)
        return ("cuda" if platform == "gpu" else platform), (index if platform == "gpu" else None)
    return "cpu", None


def backend_for_device(kind: str, index: int | None, like: Backend) -> Backend:
    """The backend that device ``kind[:index]`` means for data now on ``like`` (see the table above)."""
    library = like.name
    where = f"{kind}:{index}" if index is not None else kind
    if kind == "cpu":
        if library in ("numpy", "cupy"):
            return get_backend("numpy")
        if library == "jax":
            return get_backend("jax", "cpu")
        return get_backend(library)
    if library == "torch":
        return get_backend("torch", where)
    if library == "array_api_strict":
        if kind.startswith("device") or kind == "CPU_DEVICE":
            return get_backend("array_api_strict", None if kind == "CPU_DEVICE" else kind)
        raise BackendUnavailable(f"device {where!r}: the array_api_strict backend has no {kind!r} device (its "
                                 "devices are 'cpu', 'device1' and 'device2'); for a GPU pick a library that has "
                                 "one, e.g. .to('torch:cuda') or .to('cupy')")
    if kind != "cuda":
        raise BackendUnavailable(f"device {where!r} exists only on the torch backend; this data is on "
                                 f"{like.key!r} (move it with .to('torch:{where}'))")
    if library == "jax":
        return get_backend("jax", where)
    try:
        return get_backend("cupy", index or 0)
    except BackendUnavailable as exc:
        raise BackendUnavailable(f"device {where!r}: on the {library} backend 'cuda' means CuPy, which is not "
                                 f"usable here ({exc}). Stay on 'cpu', or check anynn.cuda.is_available() "
                                 "first") from None


def native_device_parts(spec: Any) -> tuple[str, int | None, str | None] | None:
    """``(type, index, backend key or None)`` of a library's own device object, or None if ``spec`` is not one."""
    module = type(spec).__module__.split(".")[0]
    if module == "torch":
        return spec.type, spec.index, None
    if module == "array_api_strict":
        label = str(spec).split("'")[1] if "'" in str(spec) else "CPU_DEVICE"
        key = "array_api_strict" if label == "CPU_DEVICE" else f"array_api_strict:{label}"
        return ("cpu" if label == "CPU_DEVICE" else label), None, key
    if module == "cupy":
        return "cuda", int(spec.id), f"cupy:{int(spec.id)}"
    return None


# -- dtypes ------------------------------------------------------------------------------------------
# array_api_strict's dtypes compare unequal to anything that is not one of its own, so `x.dtype == anynn.float32`
# needs a view of them that also knows anynn's dtypes and names (still a valid array_api_strict dtype).
_views: dict[type, Callable[[Any], Any] | None] = {}
_strict_views: dict[str, Any] = {}


def comparable_dtype(native: Any) -> Any:
    """``native`` itself, or (for libraries whose dtypes refuse foreign comparisons) an equivalent that doesn't."""
    kind = type(native)
    view = _views.get(kind, 0)
    if view == 0:
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
                return base.__eq__(self, other)

            def __ne__(self, other: object) -> bool:
                return not self.__eq__(other)

            __hash__ = base.__hash__

        cls = _view_classes[base] = ComparableDType
    return cls


def cuda_device_count(like: Backend) -> int:
    """How many CUDA devices the library that "cuda" means for ``like`` sees (0 where there is none)."""
    try:
        backend = backend_for_device("cuda", None, like)
    except BackendUnavailable:
        return 0
    try:
        if backend.name == "torch":
            return int(backend.torch.cuda.device_count())
        if backend.name == "cupy":
            return int(backend.cupy.cuda.runtime.getDeviceCount())
    except Exception:  # a broken driver raises rather than answering
        return 0
    return 1
