"""NumPy backend: the CPU reference, with NumPy-only fast paths."""

from __future__ import annotations

from typing import Any, Callable

import array_api_compat.numpy as np_xp
import numpy as np

from .base import Backend


def _scatter_add(index: Any, values: Any, num_rows: int) -> Any:
    """Sum ``values[i]`` into row ``index[i]`` of a ``(num_rows, ...)`` zero array (duplicates add)."""
    out = np.zeros((num_rows,) + values.shape[1:], dtype=values.dtype)
    np.add.at(out, index, values)
    return out


def _sliding_window_view(x: Any, window_shape: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    return np.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)


def _erf(x: Any) -> Any:
    from scipy.special import erf  # only reached when fast_path found SciPy

    return erf(x).astype(x.dtype, copy=False)  # SciPy computes float16 in float64


class NumpyBackend(Backend):
    name = "numpy"

    def __init__(self) -> None:
        super().__init__(np_xp, "cpu")

    @property
    def key(self) -> str:
        return "numpy"

    def is_native(self, array: Any) -> bool:
        return isinstance(array, np.ndarray)

    def from_host(self, array: np.ndarray) -> Any:
        return np.asarray(array)

    def to_host(self, array: Any) -> np.ndarray:
        return array

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        if name == "erf":
            try:
                import scipy.special  # noqa: F401
            except ImportError:
                return None
            return _erf
        return {"scatter_add": _scatter_add, "sliding_window_view": _sliding_window_view}.get(name)
