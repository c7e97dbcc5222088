"""NumPy backend: the CPU reference, with NumPy-only fast paths."""

from __future__ import annotations

import types
from typing import Any, Callable

import array_api_compat.numpy as compat_numpy
import numpy as np

from .base import Backend


def _sum(x: Any, /, *, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
    """``numpy.sum``; for floating arrays straight through ``add.reduce`` (half the per-call cost)."""
    if dtype is None and x.dtype.kind == "f":
        return np.add.reduce(x, axis=axis, keepdims=keepdims)
    return np.sum(x, axis=axis, dtype=dtype, keepdims=keepdims)


def _like(fill: Callable[..., Any], standard: Callable[..., Any]) -> Callable[..., Any]:
    def like(x: Any, /, *, dtype: Any = None, device: Any = None) -> Any:
        if device is None or device == "cpu":
            return fill(x, dtype=dtype)
        return standard(x, dtype=dtype, device=device)

    return like


def _namespace() -> types.ModuleType:
    """array_api_compat's NumPy namespace with the calls of every training step made cheaper.

    Small networks are bound by per-call overhead: ``numpy.sum`` spends half its time in a Python
    wrapper, and the standard ``ones_like``/``zeros_like`` wrappers check their ``device`` argument.
    Results are identical.
    """
    xp = types.ModuleType("anynn.backend.numpy", compat_numpy.__doc__)
    xp.__dict__.update({k: v for k, v in vars(compat_numpy).items() if not k.startswith("__")})
    xp.sum = _sum
    xp.ones_like = _like(np.ones_like, compat_numpy.ones_like)
    xp.zeros_like = _like(np.zeros_like, compat_numpy.zeros_like)
    return xp


np_xp = _namespace()


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
