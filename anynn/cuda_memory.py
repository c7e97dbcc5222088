"""PyTorch's ``torch.cuda`` memory and device-name questions, answered by the default backend's CUDA library.

Programs log ``torch.cuda.memory_allocated()`` and ``max_memory_allocated()`` beside their losses, and print
``get_device_name()``; after ``import anynn as torch`` these answer for the library that "cuda" means for the
default backend (CuPy's memory pool for NumPy data, PyTorch's caching allocator for torch data). Without a usable
GPU the figures are 0 and the statistics empty, as a CPU build of PyTorch answers. All sizes are in bytes.
"""

from __future__ import annotations

import warnings
from typing import Any

from .backend import BackendUnavailable, CudaUnavailable, default_backend
from . import version
from .backend.torch_names import backend_for_device


def _cuda(device: Any = None) -> Any:
    """The backend "cuda" (or ``device``: an index, "cuda:k" or a device object) means, or None without a GPU."""
    if device is not None and not isinstance(device, int):
        device = getattr(device, "index", None) if not isinstance(device, str) else (device.partition(":")[2] or None)
        device = int(device) if device is not None else None
    try:
        return backend_for_device("cuda", device, default_backend())
    except BackendUnavailable:
        return None


def cuda_version() -> str | None:
    """The CUDA version ("12.4") of the library "cuda" means for the default backend: CuPy's runtime where a GPU is
    usable, PyTorch's build (a CUDA build answers without a GPU too); ``None`` where there is none."""
    backend = _cuda()
    return (backend if backend is not None else default_backend()).cuda_version()


def memory_stats(device: Any = None) -> dict[str, int]:
    """The library's memory figures under PyTorch's keys (``"allocated_bytes.all.current"`` ...); {} without a GPU.

    CuPy keeps the bytes in use and the bytes its pool holds, not their peaks; PyTorch's allocator keeps all."""
    backend = _cuda(device)
    return backend.memory_stats() if backend is not None else {}


def _figure(device: Any, key: str, name: str) -> int:
    stats = memory_stats(device)
    if not stats:
        return 0
    if key not in stats:
        raise RuntimeError(f"anynn.cuda.{name}: the default backend's CUDA library keeps no such figure (CuPy's memory "
                           "pool counts the bytes in use and the bytes it holds, not their peaks); memory_allocated() "
                           "and memory_reserved() give the current ones")
    return int(stats[key])


def memory_allocated(device: Any = None) -> int:
    """Bytes the library's arrays occupy on the GPU now (0 without a GPU)."""
    return _figure(device, "allocated_bytes.all.current", "memory_allocated")


def memory_reserved(device: Any = None) -> int:
    """Bytes the library's memory pool holds from the driver now, in use or cached (0 without a GPU)."""
    return _figure(device, "reserved_bytes.all.current", "memory_reserved")


def max_memory_allocated(device: Any = None) -> int:
    """The peak of `memory_allocated` since the start or `reset_peak_memory_stats` (0 without a GPU).

    PyTorch's allocator keeps it; CuPy's pool does not (a clear error: its ``memory_reserved`` only grows to the
    peak need until `empty_cache`, so it bounds the peak from above)."""
    return _figure(device, "allocated_bytes.all.peak", "max_memory_allocated")


def max_memory_reserved(device: Any = None) -> int:
    """The peak of `memory_reserved` (0 without a GPU); on CuPy the current value, its pool never shrinking on its
    own (only `empty_cache` gives memory back)."""
    stats = memory_stats(device)
    if "reserved_bytes.all.peak" not in stats and "reserved_bytes.all.current" in stats:
        return int(stats["reserved_bytes.all.current"])
    return _figure(device, "reserved_bytes.all.peak", "max_memory_reserved")


def reset_peak_memory_stats(device: Any = None) -> None:
    """Start the peak figures again from the current ones (nothing to reset without a GPU, or on CuPy)."""
    backend = _cuda(device)
    if backend is not None:
        backend.reset_peak_memory_stats()


reset_max_memory_allocated = reset_max_memory_cached = reset_peak_memory_stats


def memory_cached(device: Any = None) -> int:
    """PyTorch's old name of `memory_reserved` (its FutureWarning too)."""
    warnings.warn("`torch.cuda.memory_cached` has been renamed to `torch.cuda.memory_reserved`", FutureWarning,
                  stacklevel=2)
    return memory_reserved(device)


def max_memory_cached(device: Any = None) -> int:
    """PyTorch's old name of `max_memory_reserved` (its FutureWarning too)."""
    warnings.warn("`torch.cuda.max_memory_cached` has been renamed to `torch.cuda.max_memory_reserved`",
                  FutureWarning, stacklevel=2)
    return max_memory_reserved(device)


def memory_stats_as_nested_dict(device: Any = None) -> dict[str, Any]:
    """`memory_stats` nested at its dots (``{"allocated_bytes": {"all": {"current": ...}}}``); {} without a GPU."""
    nested: dict[str, Any] = {}
    for key, value in memory_stats(device).items():
        *path, last = key.split(".")
        level = nested
        for part in path:
            level = level.setdefault(part, {})
        level[last] = value
    return nested


def memory_summary(device: Any = None, abbreviated: bool = False) -> str:
    """The library's memory figures as lines of text to print (PyTorch's table holds more of them; its CPU build
    raises a KeyError where anynn says that no GPU is usable). ``abbreviated`` is accepted for PyTorch's signature."""
    backend = _cuda(device)
    if backend is None:
        return (f"anynn memory summary: no CUDA device is usable for the default backend ({default_backend().name}), "
                f"so no GPU memory is in use")
    lines = [f"anynn memory summary, {backend.name} on {backend.device_name()}"]
    lines += [f"  {key:<32} {value / 2**20:>12.1f} MiB" if "bytes" in key else f"  {key:<32} {value:>12}"
              for key, value in sorted(memory_stats(device).items()) if isinstance(value, int)]
    return "\n".join(lines)


def _usable(device: Any, name: str) -> Any:
    """The backend "cuda" (or ``device``) means; without a usable GPU `CudaUnavailable`, PyTorch's CPU build's
    AssertionError."""
    backend = _cuda(device)
    if backend is None:
        raise CudaUnavailable(f"Torch not compiled with CUDA enabled (anynn: torch.cuda.{name}() needs a usable CUDA "
                              f"device for the default backend ({default_backend().name}); check "
                              f"torch.cuda.is_available() first)")
    return backend


def mem_get_info(device: Any = None) -> tuple[int, int]:
    """The GPU's free and total memory in bytes as the driver counts them (other processes' use included); without a
    usable GPU `CudaUnavailable`, an AssertionError as PyTorch's CPU build raises."""
    return _usable(device, "mem_get_info").memory_info()


def set_per_process_memory_fraction(fraction: float, device: Any = None) -> None:
    """Cap the default backend's CUDA library at ``fraction`` (0 to 1) of the GPU's total memory: an allocation
    beyond it raises the library's out-of-memory error (CuPy's memory pool limit, PyTorch's allocator fraction);
    without a usable GPU `CudaUnavailable`, an AssertionError as PyTorch's CPU build raises."""
    backend = _usable(device, "set_per_process_memory_fraction")
    if not isinstance(fraction, float):
        raise TypeError("Invalid type for fraction argument, must be `float`")
    if not 0 <= fraction <= 1:
        raise ValueError(f"Invalid fraction value: {fraction}. Allowed range: 0~1")
    backend.set_memory_fraction(fraction)


def get_per_process_memory_fraction(device: Any = None) -> float:
    """The cap `set_per_process_memory_fraction` set (1.0 without one); without a usable GPU `CudaUnavailable`, an
    AssertionError as PyTorch's CPU build raises."""
    return float(_usable(device, "get_per_process_memory_fraction").memory_fraction())


def host_memory_stats() -> dict[str, Any]:
    """PyTorch's pinned host allocator figures: {} (anynn keeps no pinned host pool of its own; the GPU libraries
    stage copies themselves), as PyTorch's CPU build answers."""
    return {}


def get_device_name(device: Any = None) -> str:
    """The GPU's model name as its driver gives it; without a usable GPU `CudaUnavailable`, an AssertionError as
    PyTorch's CPU build raises."""
    backend = _cuda(device)
    if backend is None:
        raise CudaUnavailable(f"anynn.cuda.get_device_name: no CUDA device is usable for the default backend "
                              f"({default_backend().name}); check anynn.cuda.is_available() first")
    return str(backend.device_name())


def get_device_capability(device: Any = None) -> tuple[int, int]:
    """The GPU's CUDA compute capability ``(major, minor)`` (``(8, 0)`` for an A100), as PyTorch's; without a usable
    GPU `CudaUnavailable`, an AssertionError as PyTorch's CPU build raises."""
    backend = _cuda(device)
    found = None if backend is None else backend.device_capability()
    if found is None:
        error = CudaUnavailable if backend is None else RuntimeError
        raise error(f"anynn.cuda.get_device_capability: no CUDA device is usable for the default backend "
                    f"({default_backend().name}); check anynn.cuda.is_available() first")
    return found


class CudaDeviceProperties:
    """What `get_device_properties` tells of a GPU: ``name``, ``major`` and ``minor`` (its compute capability) and
    ``total_memory`` in bytes (LLM scripts print ``total_memory / 1e9``)."""

    def __init__(self, name: str, major: int, minor: int, total_memory: int) -> None:
        self.name, self.major, self.minor, self.total_memory = name, major, minor, total_memory

    def __repr__(self) -> str:
        return (f"_CudaDeviceProperties(name='{self.name}', major={self.major}, minor={self.minor}, "
                f"total_memory={self.total_memory // 2**20}MB)")


def get_device_properties(device: Any = None) -> CudaDeviceProperties:
    """The GPU's name, compute capability and total memory (PyTorch's object also holds its processor counts, which
    anynn's libraries do not all give); without a usable GPU `CudaUnavailable`, an AssertionError as PyTorch's CPU
    build raises."""
    major, minor = get_device_capability(device)
    return CudaDeviceProperties(get_device_name(device), major, minor, mem_get_info(device)[1])


def set_device(device: Any) -> None:
    """Accepted for the device "cuda" already means (index 0). anynn picks devices by name, not through a global:
    another index is refused with the way to reach it (``.to("cuda:1")``, ``device="cuda:1"``)."""
    index = device if isinstance(device, int) else getattr(device, "index", None)
    if isinstance(device, str):
        kind, _, number = device.partition(":")
        if kind != "cuda":
            raise ValueError(f"anynn.cuda.set_device: expected a CUDA device (an index, 'cuda' or 'cuda:k'), "
                             f"got {device!r}")
        index = int(number) if number else 0
    if index is None or index < 0:  # PyTorch: a negative index (or None) is a no-op
        return
    if _cuda(index) is None:
        raise CudaUnavailable(f"anynn.cuda.set_device({device!r}): no CUDA device {index} is usable for the default "
                              f"backend ({default_backend().name})")
    if index != 0:
        raise ValueError(f"anynn.cuda.set_device({device!r}): anynn has no current-device global; name the device "
                         f"where you make or move data instead (device='cuda:{index}', .to('cuda:{index}'))")


class device:  # noqa: N801 - PyTorch's name for a context manager
    """``with torch.cuda.device(i):`` runs `set_device` on entry (a negative index: nothing; without a usable GPU
    `CudaUnavailable`, a RuntimeError as PyTorch's CPU build raises) and has nothing to restore on exit, anynn
    keeping no current-device global."""

    def __init__(self, device: Any) -> None:
        self.idx = device if device is None or isinstance(device, (int, str)) else str(device)

    def __enter__(self) -> None:
        if self.idx is not None:
            set_device(self.idx)

    def __exit__(self, *exc_info: object) -> None:
        return None


class device_of(device):  # noqa: N801 - PyTorch's name
    """``with torch.cuda.device_of(tensor):``: `device` of the tensor's CUDA device, nothing for a host tensor."""

    def __init__(self, obj: Any) -> None:
        super().__init__(obj.get_device() if getattr(obj, "is_cuda", False) else -1)


class OutOfMemoryError(RuntimeError):
    """``torch.cuda.OutOfMemoryError`` (also ``torch.OutOfMemoryError``), a RuntimeError, for programs that name it
    in an ``except`` clause (halving the batch size until a step fits). The GPU libraries raise their own: CuPy's
    ``cupy.cuda.memory.OutOfMemoryError`` on the cupy backend, PyTorch's on the torch backend."""


version.cuda_version_of_default_backend = cuda_version

__all__ = ["OutOfMemoryError", "device", "device_of", "get_device_capability", "get_device_name",
           "get_device_properties", "get_per_process_memory_fraction", "host_memory_stats", "max_memory_allocated",
           "max_memory_cached", "max_memory_reserved", "mem_get_info",
           "memory_allocated", "memory_cached", "memory_reserved", "memory_stats", "memory_stats_as_nested_dict",
           "memory_summary", "reset_max_memory_allocated", "reset_max_memory_cached", "reset_peak_memory_stats",
           "set_device", "set_per_process_memory_fraction"]
