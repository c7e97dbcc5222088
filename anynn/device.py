"""`device`: PyTorch's device object (``anynn.device("cuda:1")``), and where a device name sends data.

"cpu" and "cuda" are read against the library the data lives on (NumPy <-> CuPy, PyTorch -> its own
devices, array_api_strict -> its own devices); the table is in `anynn.backend.torch_names` and the
"Backends" guide. ``Tensor.device`` returns a `device` that also remembers its exact backend, so
``x.to(y.device)`` and ``anynn.zeros(3, device=y.device)`` land exactly where ``y`` is.
"""

from __future__ import annotations

import numbers
import threading
from typing import Any

from .backend import Backend, CudaUnavailable, default_backend, get_backend
from .backend.registry import UnknownBackendError, default_backend_set_to
from .backend.torch_names import DEVICE_TYPES, backend_for_device, cuda_available, device_parts, native_device_parts


class device:  # noqa: N801 - PyTorch's name (torch.device)
    """A device by type and index: ``device("cpu")``, ``device("cuda")``, ``device("cuda:1")``, ``device("cuda", 1)``.

    Attributes
    ----------
    type : str
        ``"cpu"``, ``"cuda"``, ``"mps"``... or a backend's own device name (``"device1"`` on array_api_strict).
    index : int or None
        The device number, ``None`` when not given.
    """

    __slots__ = ("type", "index", "_backend_key")

    def __init__(self, type: Any, index: int | None = None) -> None:  # noqa: A002 - PyTorch's name
        key = None
        if isinstance(type, device):
            type, index, key = type.type, type.index, type._backend_key  # noqa: A001
        elif isinstance(type, Backend):
            key = type.key
            type, index = device_parts(type)  # noqa: A001
        elif _is_index(type):
            type, index = "cuda", _accelerator_index(type)  # noqa: A001
        elif not isinstance(type, str):
            parts = native_device_parts(type)
            if parts is None:
                raise TypeError(f"device(): expected a string like 'cpu' or 'cuda:1', got {type!r}")
            type, index, key = parts  # noqa: A001
        else:
            kind, _, number = type.partition(":")
            if number:
                if index is not None:
                    raise UnknownBackendError(f"device(): the index is given twice, in {type!r} and as {index}")
                if not number.isdigit():
                    raise UnknownBackendError(f"device(): invalid device string {type!r}")
                index = int(number)
            _check_type(kind, type)
            type = kind  # noqa: A001
        if index is not None and (isinstance(index, bool) or int(index) < 0):
            raise UnknownBackendError(f"device(): the index must be a non-negative integer, got {index!r}")
        self.type: str = type
        self.index: int | None = None if index is None else int(index)
        self._backend_key: str | None = key

    @classmethod
    def of(cls, backend: Backend) -> "device":
        """The device of ``backend`` (what ``Tensor.device`` returns)."""
        return cls(backend)

    def backend_for(self, like: Backend | None = None) -> Backend:
        """The backend this device means for data now on ``like`` (default: the default backend)."""
        if self._backend_key is not None:
            return get_backend(self._backend_key)
        return backend_for_device(self.type, self.index, get_backend(like))

    def __enter__(self) -> "device":
        """``with torch.device(d):``: factories given no device make their tensors on ``d`` inside the block (as
        `set_default_device` does, for the block only); the default before comes back on exit."""
        scope = default_backend_set_to(self.backend_for())
        scope.__enter__()
        _entered().append(scope)
        return self

    def __exit__(self, *exc: Any) -> None:
        _entered().pop().__exit__(*exc)

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self) -> str:
        index = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, device):
            return (self.type, self.index) == (other.type, other.index)
        parts = native_device_parts(other) if not isinstance(other, str) else None
        if parts is not None:
            return (self.type, self.index) == parts[:2]
        return NotImplemented

    def __hash__(self) -> int:
        return hash((self.type, self.index))


# PyTorch's device types, JAX's "tpu", and array_api_strict's own device names ("CPU_DEVICE", "device1", ...)
_KNOWN_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip", "ve", "fpga", "maia", "xla",
                "lazy", "vulkan", "mps", "meta", "hpu", "mtia", "privateuseone", "tpu", "CPU_DEVICE")


def _check_type(kind: str, spec: str) -> None:
    """Refuse a device string whose type no library has, when it is made (as PyTorch's ``torch.device("foo")``)."""
    if kind in _KNOWN_TYPES or (kind.startswith("device") and kind[len("device"):].isdigit()):
        return
    raise UnknownBackendError(f"device(): unknown device type {kind!r} in {spec!r}: expected one of "
                              f"{', '.join(_KNOWN_TYPES[:-1])}, or array_api_strict's 'device1' / 'device2' "
                              "(a backend name such as 'numpy' or 'torch' goes to .to() or backend=, not device())")


def _is_index(spec: Any) -> bool:
    return isinstance(spec, numbers.Integral) and not isinstance(spec, bool)


def _accelerator_index(spec: Any) -> int:
    """An integer device (``model.to(rank)``, ``x.cuda(local_rank)``'s kin ``x.to(local_rank)``, ``device(0)``):
    PyTorch's index of the current accelerator, so ``"cuda:<i>"``; without a usable GPU PyTorch's RuntimeError
    (`CudaUnavailable`, a RuntimeError)."""
    index = int(spec)
    if index < 0:
        raise UnknownBackendError(f"device(): the index must be a non-negative integer, got {index}")
    if not cuda_available(default_backend()):
        raise CudaUnavailable(f"Cannot access accelerator device when none is available. (anynn: the integer device "
                              f"{index} means 'cuda:{index}', and no CUDA device is usable for the default backend "
                              f"({default_backend().name}); use 'cpu', or check anynn.cuda.is_available() first)")
    return index


_THREAD = threading.local()


def _entered() -> list[Any]:
    """This thread's open ``with device(...)`` blocks, innermost last (a device object may be entered twice)."""
    if not hasattr(_THREAD, "scopes"):
        _THREAD.scopes = []
    return _THREAD.scopes


def is_device_spec(spec: Any) -> bool:
    """True for what names a device rather than a backend: a `device`, a library's device object, or a
    string such as ``"cpu"``, ``"cuda:1"``, ``"mps"``."""
    if isinstance(spec, device) or _is_index(spec):  # an integer: the accelerator's index, as PyTorch reads it
        return True
    if isinstance(spec, str):
        return spec.partition(":")[0] in DEVICE_TYPES
    return not isinstance(spec, Backend) and native_device_parts(spec) is not None


def resolve(spec: Any, like: Backend | None = None) -> Backend:
    """The backend that ``spec`` (a device, a device name, or a backend name / Backend) means for data on ``like``."""
    if is_device_spec(spec):
        return device(spec).backend_for(like)
    return get_backend(spec)


__all__ = ["device", "is_device_spec", "resolve"]
