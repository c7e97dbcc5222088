"""array_api_strict backend: the reference implementation of the standard, to keep us honest.

It runs on its CPU device or on the fake ``device1``, which refuses host arrays and mixing
devices exactly as a GPU would: code that passes there keeps data on the device.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Backend, BackendUnavailable, CudaUnavailable
from .quiet_float_errors import QUIET


class StrictBackend(Backend):
    name = "array_api_strict"
    quiet_float_errors = QUIET  # its arrays compute with NumPy, which warns

    @classmethod
    def key_of(cls, array: Any) -> str:
        dev = str(array.device).split("'")[1] if "'" in str(array.device) else None
        return "array_api_strict" if dev in (None, "CPU_DEVICE") else f"array_api_strict:{dev}"

    def __init__(self, device: str | None = None) -> None:
        try:
            import array_api_strict as xs
        except ImportError:
            raise BackendUnavailable(
                "backend 'array_api_strict' needs the package array-api-strict: pip install array-api-strict "
                "(anynn's test extra brings it too)"
            ) from None
        self._xs = xs
        dev = xs.Device(device) if device else xs.Device("CPU_DEVICE")
        super().__init__(xs, dev)
        self._device_label = device or None

    @property
    def key(self) -> str:
        return self.name if self._device_label is None else f"{self.name}:{self._device_label}"

    def is_native(self, array: Any) -> bool:
        return isinstance(array, self._xs._array_object.Array)

    def from_host(self, array: np.ndarray) -> Any:
        return self._xs.asarray(np.asarray(array, order="C"), device=self.device)

    # its fake devices must not leak into other libraries without the host copy a GPU would need
    exports_dlpack = False

    def device_parts(self) -> tuple[str, int | None]:
        return (self._device_label or "cpu"), None

    def device_key(self, kind: str, index: int | None) -> str:
        library = self.key.partition(":")[0]
        if kind in ("cpu", "CPU_DEVICE"):
            return library
        if kind.startswith("device"):
            return f"{library}:{kind}"
        where = f"{kind}:{index}" if index is not None else kind
        error = CudaUnavailable if kind == "cuda" else BackendUnavailable
        raise error(f"device {where!r}: the array_api_strict backend has no {kind!r} device (its "
                                 "devices are 'cpu', 'device1' and 'device2'); for a GPU pick a library that has "
                                 "one, e.g. .to('torch:cuda') or .to('cupy')")

    @classmethod
    def native_device_parts(cls, spec: Any) -> tuple[str, int | None, str | None] | None:
        label = str(spec).split("'")[1] if "'" in str(spec) else "CPU_DEVICE"
        key = "array_api_strict" if label == "CPU_DEVICE" else f"array_api_strict:{label}"
        return ("cpu" if label == "CPU_DEVICE" else label), None, key

    def to_host(self, array: Any) -> np.ndarray:
        cpu = self._xs.Device("CPU_DEVICE")
        if array.device != cpu:
            array = array.to_device(cpu)
        return np.asarray(array)
