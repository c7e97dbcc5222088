"""``anynn.cuda``: PyTorch's ``torch.cuda`` questions, answered for the default backend.

"cuda" means CuPy for NumPy data and PyTorch's CUDA for torch data (see `anynn.device`), so
``is_available()`` says whether ``"cuda"`` is usable for the default backend's library: a program that does
``device = "cuda" if anynn.cuda.is_available() else "cpu"`` and then ``model.to(device)`` works either way.
"""

from __future__ import annotations

import sys
from typing import Any

from .backend import default_backend
from .backend.torch_names import backend_for_device, cuda_available, cuda_device_count, need_cuda
from .legacy_constructors import CUDA_TYPES


def _cuda_backend(device: Any = None) -> Any:
    index = device if isinstance(device, int) or device is None else int(str(device).partition(":")[2] or 0)
    return backend_for_device("cuda", index, default_backend())


def is_available() -> bool:
    """Whether ``"cuda"`` is usable for the default backend (CuPy with a GPU, or PyTorch with CUDA)."""
    return cuda_available(default_backend())


def device_count() -> int:
    """The number of CUDA devices the default backend's library sees (0 without one)."""
    return cuda_device_count(default_backend())


def current_device() -> int:
    """The index of the device ``"cuda"`` means (always 0: anynn picks devices by name, not by a global); without a
    usable GPU `CudaUnavailable`, an AssertionError as PyTorch's CPU build raises."""
    need_cuda("torch.cuda.current_device()", default_backend())
    return 0


def is_initialized() -> bool:
    """Whether CUDA is set up: anynn's libraries start it on first use, so this is `is_available`."""
    return is_available()


def init() -> None:
    """Nothing to start where a GPU is usable (the library starts it on first use); `CudaUnavailable` otherwise, an
    AssertionError as PyTorch's CPU build raises."""
    need_cuda("torch.cuda.init()", default_backend())


def synchronize(device: Any = None) -> None:
    """Wait for the queued GPU work of the default backend's CUDA device; without a usable GPU `CudaUnavailable`,
    an AssertionError as PyTorch's CPU build raises (guard it with ``if torch.cuda.is_available():``)."""
    need_cuda("torch.cuda.synchronize()", default_backend())
    _cuda_backend(device).synchronize()


def empty_cache() -> None:
    """Accepted for PyTorch code; anynn leaves memory pools to the library (a no-op)."""


def is_bf16_supported() -> bool:
    """Whether bfloat16 works on the default backend's CUDA device (PyTorch with CUDA only)."""
    if not is_available():
        return False
    try:
        _cuda_backend().dtype("bfloat16")
    except TypeError:  # the library has no bfloat16 (CuPy)
        return False
    return True


def is_tf32_supported() -> bool:
    """Whether the default backend's CUDA device computes in TF32 (an Ampere or later GPU: compute capability 8.0+;
    False without a GPU, as PyTorch's CPU build)."""
    from .cuda_memory import get_device_capability

    return is_available() and get_device_capability() >= (8, 0)


def ipc_collect() -> None:
    """Nothing to collect (anynn shares no CUDA memory between processes); without a usable GPU `CudaUnavailable`, an
    AssertionError as PyTorch's CPU build raises."""
    need_cuda("torch.cuda.ipc_collect()", default_backend())


has_half = True  # PyTorch's module constants: float16 works on every CUDA device; anynn uses no MAGMA
has_magma = False

# torch.cuda.FloatTensor and its kin: legacy constructors of tensors on "cuda" (a TypeError without a GPU)
globals().update(CUDA_TYPES)

__all__ = ["current_device", "device_count", "empty_cache", "has_half", "has_magma", "init", "ipc_collect",
           "is_available", "is_bf16_supported", "is_initialized", "is_tf32_supported", "synchronize", *CUDA_TYPES]

# the CUDA generators' states and seeds (get_rng_state, manual_seed_all...), also as ``torch.cuda.random``
from . import cuda_random as random  # noqa: E402
from .cuda_random import *  # noqa: E402, F403

sys.modules[__name__ + ".random"] = random
__all__ += [*random.__all__, "random"]

# memory figures, the device's name and set_device (PyTorch's names, for programs that log or print them)
from .cuda_memory import *  # noqa: E402, F403
from .cuda_memory import __all__ as _memory_names  # noqa: E402

__all__ += _memory_names

# ``torch.cuda.memory``: the same names under PyTorch's module path (``torch.cuda.memory.memory_allocated()``)
from . import cuda_memory as memory  # noqa: E402

sys.modules[__name__ + ".memory"] = memory
__all__ += ["memory"]

# the driver's figures through NVML (utilization, temperature, power_draw...) and the build's architectures
from .cuda_nvml import *  # noqa: E402, F403
from .cuda_nvml import __all__ as _nvml_names  # noqa: E402

__all__ += _nvml_names

# streams and events (Stream, Event, stream, StreamContext, current_stream...): the device's one queue
from .cuda_streams import *  # noqa: E402, F403
from .cuda_streams import __all__ as _stream_names  # noqa: E402

__all__ += _stream_names

# CUDA graphs captured by hand (CUDAGraph, graph, make_graphed_callables): refused, naming anynn.compile's capture
from .cuda_graphs import *  # noqa: E402, F403
from .cuda_graphs import __all__ as _graph_names  # noqa: E402

__all__ += _graph_names

# ``torch.cuda.amp``: ``anynn.cuda.amp.autocast`` and ``from anynn.cuda.amp import GradScaler`` (cuda is a module,
# so the submodule is registered under its dotted name for the import statement)
from .amp import cuda as amp  # noqa: E402

sys.modules[__name__ + ".amp"] = amp
__all__ += ["amp"]

# ``torch.cuda.nvtx``: range markers profiling code puts around steps, accepted (anynn emits no NVTX ranges)
from . import cuda_nvtx as nvtx  # noqa: E402

sys.modules[__name__ + ".nvtx"] = nvtx
__all__ += ["nvtx"]
