"""ndonnx backend: an array library that records ONNX graphs (used by `anynn.onnx.export`).

ndonnx follows the array API standard; each operation on its arrays adds nodes to an ONNX graph. Arrays
made from host data (the weights) are constants with a value; arrays made by ``ndonnx.argument`` (the
model's inputs) are symbolic: they have no value (`is_traced` is True), and their unknown axes read as
``None`` in ``x.shape``. Checks that need a host value skip them (`anynn.backend.arrays`).

Whole Functions (``LinearFunction``, ``ConvNd``, ``_Recurrent``...) lower to one ONNX operator each where the
backend carries a table of them (``function_fast_paths``: Function class name -> ``lower(fn, xp, *arrays)``,
returning ``NotImplemented`` to decline). ``get_backend("ndonnx")`` has none, so the recorded array-level
decomposition of every ``forward`` runs; `anynn.onnx.export` builds a backend with the table of the opset
it writes (`anynn.onnx.lowering`).
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .base import Backend, BackendUnavailable


class NdonnxBackend(Backend):
    name = "ndonnx"

    @classmethod
    def owns(cls, array: Any) -> bool:
        import ndonnx

        return isinstance(array, ndonnx.Array)

    def __init__(self, device: str | None = None,
                 function_fast_paths: dict[str, Callable[..., Any]] | None = None) -> None:
        try:
            import ndonnx
        except ImportError:
            raise BackendUnavailable("backend 'ndonnx' needs ndonnx: pip install 'anynn[onnx]' "
                                     "(or pip install ndonnx onnx)") from None
        if device not in (None, "cpu"):
            raise BackendUnavailable(f"backend 'ndonnx' records graphs and has no device {device!r}")
        self.ndonnx = ndonnx
        super().__init__(ndonnx, None)
        if function_fast_paths:
            self.function_fast_paths = dict(function_fast_paths)

    @property
    def key(self) -> str:
        return self.name

    def is_native(self, array: Any) -> bool:
        return isinstance(array, self.ndonnx.Array)

    def from_host(self, array: np.ndarray) -> Any:
        return self.ndonnx.asarray(np.asarray(array))

    def to_host(self, array: Any) -> np.ndarray:
        try:
            return np.asarray(array.unwrap_numpy())
        except ValueError:
            raise ValueError("an ndonnx array recorded from a symbolic input has no value to read "
                             "(it exists only in the exported ONNX graph)") from None

    def is_traced(self, array: Any) -> bool:
        if not isinstance(array, self.ndonnx.Array):
            return False
        try:
            array.unwrap_numpy()
        except ValueError:
            return True
        return False
