"""`autocast`: PyTorch's mixed-precision region (``torch.autocast`` / ``torch.amp.autocast``), per thread.

Inside the region, matrix products (linear, matmul, conv, attention, recurrent layers) run in float16 or
bfloat16 and losses in float32, following PyTorch's op lists for the device type (see
`anynn.functional.autocast_rules`). Parameters stay float32; the casts are differentiable, so gradients reach
them in float32.
"""

from __future__ import annotations

import functools
import warnings
from typing import Any, Callable, TypeVar

from ..autograd import autocast_mode
from ..backend.base import dtype_name
from ..dtypes import dtype as DType

F = TypeVar("F", bound=Callable[..., Any])

_DEFAULT_DTYPE = {"cpu": "bfloat16", "cuda": "float16"}  # PyTorch's defaults per device type


def _dtype_name(dtype: Any) -> str:
    try:
        return dtype_name(dtype)
    except (TypeError, ValueError, AttributeError):
        return str(dtype)


class autocast:  # noqa: N801 - PyTorch's name
    """Run the operations of a region in mixed precision: ``with autocast("cuda", dtype="float16"): ...``.

    Usable as a context manager or a decorator. Regions nest; each thread has its own (a region opened in one
    thread does not cast another thread's operations).

    Parameters
    ----------
    device_type : {"cpu", "cuda"} or None
        The device type whose operations are cast, as in PyTorch (``x.device.type``: NumPy and CPU torch data
        are ``"cpu"``, CuPy and CUDA torch data ``"cuda"``). ``None`` (anynn's default, so
        ``anynn.autocast(dtype="float16")`` works on any backend): every device type, each with its own op lists.
    dtype : "float16", "bfloat16" or a dtype object, optional
        The low precision; PyTorch's default per device type otherwise (CUDA float16, CPU bfloat16).
    enabled : bool
        ``False`` turns autocast off inside the region (for the device type(s) given), as PyTorch.
    cache_enabled : bool, optional
        Accepted for PyTorch's signature; anynn casts a weight each time it is used (no cast cache).

    Examples
    --------
    >>> import anynn
    >>> x = anynn.ones(2, 3)
    >>> w = anynn.ones(4, 3, requires_grad=True)
    >>> with anynn.autocast("cpu", dtype="float16"):
    ...     y = anynn.nn.functional.linear(x, w)
    >>> str(y.dtype), str(w.dtype)
    ('float16', 'float32')
    """

    def __init__(self, device_type: str | None = None, dtype: Any = None, enabled: bool = True,
                 cache_enabled: bool | None = None) -> None:
        if device_type is not None and not isinstance(device_type, str):
            raise ValueError(f"autocast: expected `device_type` of type `str`, got: `{type(device_type)}`")
        if device_type is not None and device_type not in autocast_mode.DEVICE_TYPES:
            raise RuntimeError(f"autocast: device_type must be 'cpu' or 'cuda' (or None for every device), "
                               f"got {device_type!r}")
        for name, flag in (("enabled", enabled), ("cache_enabled", cache_enabled)):
            if not isinstance(flag, bool) and not (flag is None and name == "cache_enabled"):
                # (bool('no') is True: PyTorch's set_autocast_enabled takes a bool only)
                raise TypeError(f"autocast: {name} must be a bool, not {type(flag).__name__}")
        self.device = device_type
        self.fast_dtype = None if dtype is None else _dtype_name(dtype)
        self._enabled = enabled
        self._cache_enabled = cache_enabled
        if self._enabled and device_type == "cuda" and not _cuda_available():
            # PyTorch's answer on a machine without CUDA: a warning, and a region that casts nothing
            warnings.warn("autocast: CUDA is not available. Disabling autocast.", UserWarning, stacklevel=2)
            self._enabled = False
        if self._enabled and self.fast_dtype is not None and self.fast_dtype not in autocast_mode.LOW_PRECISION:
            # PyTorch warns and turns autocast off for a dtype it cannot cast to
            warnings.warn(f"In {device_type or 'anynn'} autocast, but the target dtype {self.fast_dtype!r} is not "
                          f"supported (float16 or bfloat16). Disabling autocast.", UserWarning, stacklevel=2)
            self._enabled = False

    def _dtype_for(self, device_type: str) -> str:
        return self.fast_dtype or _DEFAULT_DTYPE[device_type]

    def __enter__(self) -> "autocast":
        state = autocast_mode.state
        cpu, cuda = state.cpu, state.cuda
        if self.device in (None, "cpu"):
            cpu = self._dtype_for("cpu") if self._enabled else None
        if self.device in (None, "cuda"):
            cuda = self._dtype_for("cuda") if self._enabled else None
        self._previous = autocast_mode.set_dtypes(cpu, cuda)
        return self

    def __exit__(self, *exc: Any) -> None:
        autocast_mode.set_dtypes(*self._previous)

    def __call__(self, func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with autocast(self.device, self.fast_dtype, self._enabled, self._cache_enabled):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]


def _cuda_available() -> bool:
    """``anynn.cuda.is_available()``: whether "cuda" is usable for the default backend's library."""
    from ..backend import default_backend
    from ..backend.torch_names import cuda_available

    return cuda_available(default_backend())


def is_autocast_enabled(device_type: str | None = None) -> bool:
    """Whether autocast is on in this thread for ``device_type`` (PyTorch's default: CUDA; ``None`` here: any)."""
    if device_type is None:
        return autocast_mode.state.active
    return autocast_mode.autocast_dtype(device_type) is not None


def get_autocast_dtype(device_type: str) -> DType:
    """The low dtype autocast uses for ``device_type`` in this thread (PyTorch's default for it when off): a dtype
    object, as PyTorch's ``torch.float16`` (equal to its name, ``"float16"``)."""
    return DType(autocast_mode.autocast_dtype(device_type) or _DEFAULT_DTYPE[device_type])


def _deprecated(old: str, new: str) -> None:
    warnings.warn(f"torch.{old}() is deprecated. Please use torch.{new} instead.", DeprecationWarning, stacklevel=3)


def get_autocast_gpu_dtype() -> DType:
    """PyTorch's deprecated ``get_autocast_dtype("cuda")`` (flash-attention-style code casts to it), with its
    DeprecationWarning."""
    _deprecated("get_autocast_gpu_dtype", "get_autocast_dtype('cuda')")
    return get_autocast_dtype("cuda")


def get_autocast_cpu_dtype() -> DType:
    """PyTorch's deprecated ``get_autocast_dtype("cpu")``, with its DeprecationWarning."""
    _deprecated("get_autocast_cpu_dtype", "get_autocast_dtype('cpu')")
    return get_autocast_dtype("cpu")


def is_autocast_cpu_enabled() -> bool:
    """PyTorch's deprecated ``is_autocast_enabled("cpu")``, with its DeprecationWarning."""
    _deprecated("is_autocast_cpu_enabled", "is_autocast_enabled('cpu')")
    return is_autocast_enabled("cpu")


def is_autocast_available(device_type: str) -> bool:
    """Whether autocast can run for ``device_type`` (``"cpu"`` and ``"cuda"``)."""
    return device_type in autocast_mode.DEVICE_TYPES
