"""PyTorch's process-wide switches that training scripts set in their first lines, under their torch names.

``torch.use_deterministic_algorithms(True)``, ``torch.set_default_device("cuda")``, ``torch.set_warn_always(True)``...
Each is kept and read back as PyTorch does (same argument checks, same errors). What each one changes in anynn:

- the deterministic-algorithm flags and the debug mode are recorded only: anynn's portable kernels give the same
  result run to run on the host backends, and the PyTorch backend keeps PyTorch's own setting (set it with torch);
- ``set_default_device`` sets the default backend for construction (``"cuda"`` means what it means to `anynn.device`
  on the current default backend), and ``get_default_device`` is the default backend's device;
- ``set_default_tensor_type`` is ``set_default_dtype`` (and, for ``torch.cuda.*Tensor``, ``set_default_device``);
- ``set_flush_denormal`` answers ``False`` (denormals are never flushed: NumPy has no switch for it);
- ``set_anomaly_enabled`` is ``autograd.set_detect_anomaly``.
"""

from __future__ import annotations

import warnings
from typing import Any

from .autograd.anomaly import set_detect_anomaly

_flags: dict[str, Any] = {"deterministic": False, "warn_only": False, "warn_always": False, "interop_threads": 1,
                          "check_nan": True}
_DEBUG_MODES = ("default", "warn", "error")


def use_deterministic_algorithms(mode: bool, *, warn_only: bool = False) -> None:
    """Ask for deterministic algorithms (``torch.use_deterministic_algorithms``); read back by
    `are_deterministic_algorithms_enabled` and `is_deterministic_algorithms_warn_only_enabled`."""
    for name, value in (("mode", mode), ("warn_only", warn_only)):
        if not isinstance(value, bool):
            raise TypeError(f"use_deterministic_algorithms(): argument {name!r} must be bool, not "
                            f"{type(value).__name__}")
    _flags["deterministic"], _flags["warn_only"] = mode, warn_only


def are_deterministic_algorithms_enabled() -> bool:
    """Whether `use_deterministic_algorithms` was last called with ``True``."""
    return bool(_flags["deterministic"])


def is_deterministic_algorithms_warn_only_enabled() -> bool:
    """Whether `use_deterministic_algorithms` was last called with ``warn_only=True``."""
    return bool(_flags["warn_only"])


def set_deterministic_debug_mode(debug_mode: int | str) -> None:
    """PyTorch's debug mode for nondeterministic ops: ``0``/``"default"`` (off), ``1``/``"warn"``, ``2``/``"error"``;
    the same switch as `use_deterministic_algorithms` (1 is ``warn_only=True``)."""
    if isinstance(debug_mode, str):
        if debug_mode not in _DEBUG_MODES:
            raise RuntimeError(f"invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got "
                               f"{debug_mode}")
        debug_mode = _DEBUG_MODES.index(debug_mode)
    if isinstance(debug_mode, bool) or not isinstance(debug_mode, int):
        raise TypeError(f"debug_mode must be str or int, but got {type(debug_mode).__name__}")
    if debug_mode not in (0, 1, 2):
        raise RuntimeError(f"invalid value of debug_mode, expected 0, 1, or 2, but got {debug_mode}")
    use_deterministic_algorithms(debug_mode > 0, warn_only=debug_mode == 1)


def get_deterministic_debug_mode() -> int:
    """The mode `set_deterministic_debug_mode` sets: 0 off, 1 warn, 2 error."""
    if not _flags["deterministic"]:
        return 0
    return 1 if _flags["warn_only"] else 2


def set_num_interop_threads(num: int) -> None:
    """The number of threads for inter-op parallelism (``torch.set_num_interop_threads``): recorded, read back by
    `get_num_interop_threads` (anynn runs one op at a time; intra-op threads are `anynn.set_num_threads`)."""
    if isinstance(num, bool) or not isinstance(num, int):
        raise TypeError(f"set_num_interop_threads(): argument 'num' must be int, not {type(num).__name__}")
    if num < 1:
        raise RuntimeError("Number of threads must be positive")
    _flags["interop_threads"] = num


def get_num_interop_threads() -> int:
    """The value last given to `set_num_interop_threads` (1 until then)."""
    return int(_flags["interop_threads"])


def set_flush_denormal(mode: bool) -> bool:
    """``torch.set_flush_denormal``: returns whether flushing denormals to zero is supported, which it is not here
    (NumPy has no such switch), so ``False`` and nothing changes, as PyTorch on a CPU without the instructions."""
    if not isinstance(mode, bool):
        raise TypeError(f"set_flush_denormal(): argument 'mode' must be bool, not {type(mode).__name__}")
    return False


def set_warn_always(b: bool, /) -> None:
    """Repeat warnings PyTorch shows once (``torch.set_warn_always``); read back by `is_warn_always_enabled`."""
    if not isinstance(b, bool):
        raise TypeError(f"set_warn_always(): argument 'b' must be bool, not {type(b).__name__}")
    _flags["warn_always"] = b


def is_warn_always_enabled() -> bool:
    """Whether `set_warn_always` was last called with ``True``."""
    return bool(_flags["warn_always"])


def set_default_device(device: Any) -> None:
    """Tensors this thread makes with no device or backend given go to ``device`` (``torch.set_default_device``,
    thread-local as PyTorch's; DataLoader worker threads take their loader's thread's); ``None`` drops it (the
    process's default backend again). The name is read as `anynn.device` reads it on the current default backend:
    ``"cpu"`` keeps the library (PyTorch stays PyTorch), ``"cuda"`` is CuPy from NumPy or PyTorch's GPU from
    PyTorch."""
    from .backend.registry import default_backend, set_thread_default_backend
    from .device import device as _device

    if device is None:
        set_thread_default_backend(None)
        return
    set_thread_default_backend(_device(device).backend_for(default_backend()).key)


def get_default_device() -> Any:
    """The device of the default backend, an `anynn.device` (``device(type='cpu')`` until changed)."""
    from .backend.registry import default_backend
    from .device import device as _device

    return _device.of(default_backend())


def get_device_module(device: Any = None) -> Any:
    """``torch.get_device_module``: `anynn.cuda`, `anynn.cpu`, ``anynn.xpu`` or ``anynn.mps`` for a device or its type
    name (default: the default device's)."""
    import importlib

    from .device import device as _device

    kind = (get_default_device() if device is None else _device(device)).type
    if kind not in ("cuda", "cpu", "xpu", "mps"):
        raise RuntimeError(f"Device '{kind}' does not have a corresponding module registered as 'anynn.{kind}'.")
    return importlib.import_module(f"anynn.{kind}")


def set_default_tensor_type(t: Any, /) -> None:
    """The legacy ``torch.set_default_tensor_type``: ``FloatTensor``/``DoubleTensor`` (the class or its
    ``"torch.FloatTensor"`` name) sets the default dtype through `anynn.set_default_dtype`, and a
    ``"torch.cuda.FloatTensor"`` name also sets the default device to ``"cuda"``. Deprecated in PyTorch, which warns
    the same."""
    from . import legacy_constructors
    from .factories import set_default_dtype

    warnings.warn("torch.set_default_tensor_type() is deprecated as of PyTorch 2.1, please use "
                  "torch.set_default_dtype() and torch.set_default_device() as alternatives.", UserWarning,
                  stacklevel=2)
    name = t if isinstance(t, str) else getattr(t, "__name__", None)
    kind = None if name is None else name.rpartition(".")[2]
    constructor = getattr(legacy_constructors, kind, None) if kind and kind.endswith("Tensor") else None
    if constructor is None or not isinstance(name, str):
        raise TypeError(f"set_default_tensor_type(): expected a tensor type such as anynn.FloatTensor or "
                        f"'torch.DoubleTensor', got {t!r}")
    dtype = constructor._dtype_name
    if dtype not in ("float16", "float32", "float64", "bfloat16"):
        raise TypeError(f"only floating-point types are supported as the default type, got {name}")
    set_default_dtype(dtype)
    if isinstance(t, str) and t.startswith("torch.cuda."):
        set_default_device("cuda")


def set_anomaly_enabled(enabled: bool, check_nan: bool = True) -> None:
    """``torch.set_anomaly_enabled``: anomaly detection on or off in this thread (`autograd.set_detect_anomaly`);
    ``check_nan`` is read back by `is_anomaly_check_nan_enabled`, as PyTorch keeps it (``check_nan=False`` checks
    nothing in anynn, whose detection is its NaN/Inf check)."""
    set_detect_anomaly(enabled, check_nan)
    _flags["check_nan"] = bool(check_nan)


def is_anomaly_check_nan_enabled() -> bool:
    """The ``check_nan`` last given to `set_anomaly_enabled` (True until then), as PyTorch."""
    return bool(_flags["check_nan"])


__all__ = ["are_deterministic_algorithms_enabled", "get_default_device", "get_deterministic_debug_mode",
           "get_device_module", "get_num_interop_threads", "is_anomaly_check_nan_enabled",
           "is_deterministic_algorithms_warn_only_enabled", "is_warn_always_enabled", "set_anomaly_enabled",
           "set_default_device", "set_default_tensor_type", "set_deterministic_debug_mode", "set_flush_denormal",
           "set_num_interop_threads", "set_warn_always", "use_deterministic_algorithms"]
