"""CuPy backend: NVIDIA GPUs through CUDA (CuPy >= 14).

``import cupy`` succeeds on machines without a GPU, so usability is checked by asking the CUDA
runtime for a device, and every failure becomes a `BackendUnavailable` that says what to do instead.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .base import Backend, BackendUnavailable, DeviceRNG, dtype_name

MIN_CUPY = (14, 0)


def probe_cupy() -> tuple[bool, str]:
    """Return ``(usable, reason)`` for the CuPy backend without raising."""
    try:
        import cupy
    except ImportError:
        return False, ("CuPy is not installed: pip install 'anynn[cuda12]' for CUDA 12 "
                       "or 'anynn[cuda13]' for CUDA 13")
    except Exception as exc:  # a broken CUDA install can fail at import
        return False, f"CuPy failed to import: {exc}"
    version = tuple(int(p) for p in cupy.__version__.split(".")[:2] if p.isdigit())
    if version < MIN_CUPY:
        return False, f"CuPy {cupy.__version__} is too old: anynn needs CuPy >= 14"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return False, f"CuPy is installed but CUDA is not usable ({type(exc).__name__}: {exc})"
    if count < 1:
        return False, "CuPy is installed but no CUDA device was found"
    return True, f"CuPy {cupy.__version__} with {count} CUDA device(s)"


class CupyRNG(DeviceRNG):
    """Randomness from a ``cupy.random.Generator`` on the GPU."""

    def __init__(self, backend: "CupyBackend", seed: int | None) -> None:
        self.backend = backend
        self.generator = backend.cupy.random.default_rng(seed)

    def uniform(self, shape: tuple[int, ...], dtype: Any) -> Any:
        with self.backend.cupy.cuda.Device(self.backend.device_id):
            return self.generator.random(shape, dtype=dtype_name(dtype))

    def normal(self, shape: tuple[int, ...], dtype: Any) -> Any:
        with self.backend.cupy.cuda.Device(self.backend.device_id):
            return self.generator.standard_normal(shape, dtype=dtype_name(dtype))

    def permutation(self, n: int) -> Any:
        with self.backend.cupy.cuda.Device(self.backend.device_id):
            return self.generator.permutation(n)

    def state(self) -> dict[str, Any]:
        raise BackendUnavailable("saving the state of a CuPy generator is not supported yet")


class CupyBackend(Backend):
    name = "cupy"

    def __init__(self, device: int | str | None = None) -> None:
        usable, reason = probe_cupy()
        if not usable:
            raise BackendUnavailable(
                f"backend 'cupy' is unavailable: {reason}. Use backend='numpy' (CPU) instead, "
                "or backend='auto' to pick CuPy only when a CUDA device works."
            )
        import array_api_compat.cupy as cupy_xp
        import cupy

        self.cupy = cupy
        self.device_id = int(device) if device is not None else 0
        super().__init__(cupy_xp, cupy.cuda.Device(self.device_id))

    @property
    def key(self) -> str:
        return "cupy" if self.device_id == 0 else f"cupy:{self.device_id}"

    def is_native(self, array: Any) -> bool:
        return isinstance(array, self.cupy.ndarray)

    def from_host(self, array: np.ndarray) -> Any:
        with self.device:
            return self.cupy.asarray(array)

    def to_host(self, array: Any) -> np.ndarray:
        return self.cupy.asnumpy(array)

    def rng(self, seed: int | None = None) -> DeviceRNG:
        return CupyRNG(self, seed)

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        cupy = self.cupy
        if name == "erf":
            from cupyx.scipy.special import erf

            return erf
        if name == "scatter_add":
            import cupyx

            def scatter_add(index: Any, values: Any, num_rows: int) -> Any:
                out = cupy.zeros((num_rows,) + values.shape[1:], dtype=values.dtype)
                cupyx.scatter_add(out, index, values)
                return out

            return scatter_add
        if name == "sliding_window_view":
            return lambda x, window_shape, axis: cupy.lib.stride_tricks.sliding_window_view(
                x, window_shape, axis=axis)
        return None

    def synchronize(self) -> None:
        self.cupy.cuda.get_current_stream().synchronize()
