"""PyTorch's ``torch.cuda`` driver figures (`utilization`, `memory_usage`, `temperature`, `power_draw`, `clock_rate`,
`list_gpu_processes`) and build facts (`get_arch_list`, `get_gencode_flags`).

Training scripts log the GPU's load and temperature beside their losses. The figures come from NVML, the NVIDIA
driver's management library, the same whichever array library holds the data: PyTorch reads it through
nvidia-ml-py (``import pynvml``), and so does anynn. Without that package a figure raises PyTorch's
ModuleNotFoundError (and `list_gpu_processes` answers PyTorch's sentence), without a loaded driver a RuntimeError,
as PyTorch's CPU build does.
"""

from __future__ import annotations

import os
from typing import Any

from .backend import default_backend
from .cuda_memory import _cuda

_NO_NVML = "nvidia-ml-py does not seem to be installed or it can't be imported."
_NO_DRIVER = "cuda driver can't be loaded, is cuda enabled?"


def _pynvml() -> Any:
    try:
        import pynvml
    except ImportError as exc:
        raise ModuleNotFoundError(f"{_NO_NVML} (anynn reads the GPU's figures through it, as PyTorch does: pip "
                                  f"install nvidia-ml-py)") from exc
    return pynvml


def _visible(index: int) -> str:
    """The driver's name (an index or a UUID) of the ``index``-th device CUDA_VISIBLE_DEVICES leaves visible."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is None:
        return str(index)
    entries = []
    for entry in (part.strip() for part in visible.split(",")):
        if not entry or entry.startswith("-"):  # CUDA stops at the first invalid entry
            break
        entries.append(entry)
    if not 0 <= index < len(entries):
        raise RuntimeError(f"device {index} is not visible (CUDA_VISIBLE_DEVICES={visible})")
    return entries[index]


def _index(device: Any) -> int:
    """The index "cuda:k" names: ``device`` is None (for "cuda"), an index, "cuda:k" or a device object."""
    if isinstance(device, str):
        return int(device.partition(":")[2] or 0)
    index = device if device is None or isinstance(device, int) else device.index
    return 0 if index is None else int(index)


def _handle(device: Any) -> Any:
    """NVML's handle of ``device`` (None for "cuda", an index, "cuda:k" or a device object)."""
    pynvml = _pynvml()
    try:
        pynvml.nvmlInit()
    except pynvml.NVMLError_DriverNotLoaded as exc:  # (no NVML library at all: pynvml's own error, as PyTorch's)
        raise RuntimeError(_NO_DRIVER) from exc
    name = _visible(_index(device))
    if name.isdigit():
        return pynvml.nvmlDeviceGetHandleByIndex(int(name))
    return pynvml.nvmlDeviceGetHandleByUUID(name)


def utilization(device: Any = None) -> int:
    """The percent of the last sample period (1/6 s to 1 s) during which a kernel ran on the GPU, as nvidia-smi
    shows it."""
    return int(_pynvml().nvmlDeviceGetUtilizationRates(_handle(device)).gpu)


def memory_usage(device: Any = None) -> int:
    """The percent of the last sample period during which the GPU's memory was read or written, as nvidia-smi
    shows it."""
    return int(_pynvml().nvmlDeviceGetUtilizationRates(_handle(device)).memory)


def temperature(device: Any = None) -> int:
    """The GPU die's temperature in degrees Celsius."""
    return int(_pynvml().nvmlDeviceGetTemperature(_handle(device), 0))


def power_draw(device: Any = None) -> int:
    """The GPU's power draw in milliwatts, averaged over the last sample period."""
    return int(_pynvml().nvmlDeviceGetPowerUsage(_handle(device)))


def clock_rate(device: Any = None) -> int:
    """The clock of the GPU's streaming multiprocessors in MHz."""
    return int(_pynvml().nvmlDeviceGetClockInfo(_handle(device), 1))  # 1: NVML_CLOCK_SM


def list_gpu_processes(device: Any = None) -> str:
    """The processes using the GPU and their memory, as lines of text; PyTorch's sentence where nvidia-ml-py or the
    driver is missing."""
    try:
        pynvml = _pynvml()
    except ModuleNotFoundError:
        return "pynvml module not found, please install nvidia-ml-py"
    try:
        handle = _handle(device)
    except RuntimeError as exc:
        if isinstance(exc.__cause__, pynvml.NVMLError_DriverNotLoaded):
            return _NO_DRIVER
        raise
    lines = [f"GPU:{_index(device)}"]
    processes = pynvml.nvmlDeviceGetComputeRunningProcesses(handle)
    if not processes:
        lines.append("no processes are running")
    lines += [f"process {p.pid:>10d} uses {(p.usedGpuMemory or 0) / 2**20:>12.3f} MB GPU memory" for p in processes]
    return "\n".join(lines)


def get_arch_list() -> list[str]:
    """The CUDA architectures (``"sm_90"``) the library that "cuda" means for the default backend runs kernels for:
    PyTorch's build list, or the GPU's own for CuPy (which compiles its kernels for the device at run time); ``[]``
    without CUDA, as PyTorch's CPU build answers."""
    backend = _cuda()
    return list((backend if backend is not None else default_backend()).cuda_arch_list())


def get_gencode_flags() -> str:
    """`get_arch_list` as NVCC's ``-gencode`` flags (``""`` without CUDA)."""
    kinds_and_archs = (arch.split("_") for arch in get_arch_list())
    return " ".join(f"-gencode compute=compute_{arch},code={kind}_{arch}" for kind, arch in kinds_and_archs)


__all__ = ["clock_rate", "get_arch_list", "get_gencode_flags", "list_gpu_processes", "memory_usage", "power_draw",
           "temperature", "utilization"]
