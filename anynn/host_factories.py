"""PyTorch's factories that read host data or compute a constant on the host: ``torch.asarray``, ``torch.frombuffer``,
``torch.scalar_tensor``, ``torch.empty_strided`` and the signal windows (``hann_window``, ``hamming_window``,
``blackman_window``, ``bartlett_window``, ``kaiser_window``).

Windows are computed in float64 with NumPy and handed to the backend in the dtype asked for (float32 by default), so
every backend gets the same window; they are constants (``requires_grad=True`` makes a leaf, as in PyTorch).
"""

from __future__ import annotations

import builtins
import math
import operator
import warnings
from collections.abc import Sequence
from typing import Any, Callable

import numpy as np

from .autograd.tensor import Tensor
from .backend import dtype_name
from .backend.default_dtype import default_float
from .factories import as_tensor, tensor, zeros
from .layout import check_layout


def asarray(obj: Any, *, dtype: Any = None, device: Any = None, copy: bool | None = None,
            requires_grad: bool | None = None, backend: Any = None) -> Tensor:
    """``torch.asarray``: a Tensor of ``obj`` (a Tensor, a NumPy array, a DLPack or buffer-protocol object, a number or
    a nested sequence), sharing memory where it can: a Tensor is returned as it is and a NumPy array is wrapped
    without a copy when neither ``dtype`` nor ``device`` asks for one. ``copy=True`` always copies (a Tensor through
    ``clone``, in its graph), ``copy=False`` refuses a copy. ``requires_grad`` defaults to the Tensor's own."""
    if isinstance(obj, Tensor):
        out = obj
        if device is not None or backend is not None:
            moved = out.to(device if backend is None else backend)
            if moved is not out and copy is False:
                raise ValueError("asarray(): copy=False, but the tensor is on another device or backend")
            out = moved
        if dtype is not None and out.dtype != dtype:
            if copy is False:
                raise ValueError(f"can't alias tensor with dtype '{dtype_name(out.dtype)}' into dtype "
                                 f"'{dtype_name(dtype)}'")
            out = out.to(dtype)
        if copy and out is obj:
            out = obj.clone()
        if requires_grad is False and out.requires_grad:
            out = out.detach()
        elif requires_grad and not out.requires_grad:
            out = out.detach().requires_grad_(True)
        return out
    if not isinstance(obj, (list, tuple, int, float, complex, bool)) and not isinstance(obj, np.ndarray):
        host = np.asarray(obj)  # __array__, the buffer protocol or DLPack (via NumPy): no copy where NumPy can
        obj = host if host.dtype.kind in "biufc" else obj
    if isinstance(obj, (np.ndarray, np.generic)):
        array = np.asarray(obj)
        wanted = array.dtype.name if dtype is None else dtype_name(dtype)
        if copy is False and wanted != array.dtype.name:
            raise ValueError(f"can't alias an array of dtype '{array.dtype.name}' into dtype '{wanted}'")
        if copy:
            array = array.copy()
        out = as_tensor(array, dtype=dtype, device=device, backend=backend)
    else:
        out = tensor(obj, dtype=dtype, device=device, backend=backend)
    if requires_grad:
        out.requires_grad_(True)
    return out


def frombuffer(buffer: Any, *, dtype: Any, count: int = -1, offset: int = 0, requires_grad: bool = False,
               backend: Any = None) -> Tensor:
    """``torch.frombuffer``: a 1-D tensor over the bytes of a buffer-protocol object (``bytearray``, ``memoryview``,
    ``array.array``...), ``count`` elements (-1: all) after ``offset`` bytes; on the NumPy backend the tensor shares the
    buffer's memory, elsewhere it is copied to the backend."""
    name = dtype_name(dtype)
    host = np.frombuffer(buffer, dtype=np.dtype(name), count=count, offset=offset)
    out = as_tensor(host, backend=backend)
    if requires_grad:
        out.requires_grad_(True)
    return out


def scalar_tensor(s: Any, *, dtype: Any = None, layout: Any = None, device: Any = None, pin_memory: bool | None = None,
                  requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``torch.scalar_tensor``: a 0-d tensor holding ``s``, of the default dtype unless ``dtype`` says otherwise
    (ints and bools too, as PyTorch)."""
    check_layout(layout, "scalar_tensor")
    return tensor(s, dtype=dtype or default_float(), device=device, backend=backend, requires_grad=requires_grad)


def empty_strided(size: Sequence[int], stride: Sequence[int], *, dtype: Any = None, layout: Any = None,
                  device: Any = None, pin_memory: bool | None = None, requires_grad: bool = False,
                  backend: Any = None) -> Tensor:
    """``torch.empty_strided``: a tensor of shape ``size`` (zeros). ``stride`` is checked and then has no effect:
    anynn tensors are dense row-major arrays."""
    check_layout(layout, "empty_strided")
    if len(size) != len(stride):
        raise RuntimeError(f"empty_strided: mismatch in length of strides and shape ({len(stride)} strides, "
                           f"{len(size)} sizes)")
    return zeros(tuple(int(n) for n in size), dtype=dtype, device=device, backend=backend,
                 requires_grad=requires_grad)


def range(start: Any, end: Any, step: Any = 1, *, dtype: Any = None, layout: Any = None,  # noqa: A001
          device: Any = None, pin_memory: bool | None = None, requires_grad: bool = False,
          backend: Any = None) -> Tensor:
    """The deprecated ``torch.range``: ``start`` to ``end`` *inclusive* by ``step``, of the default dtype unless
    ``dtype`` says otherwise; warns as PyTorch does (use `anynn.arange`, which stops before ``end``)."""
    warnings.warn("torch.range is deprecated and will be removed in a future release because its behavior is "
                  "inconsistent with Python's range builtin. Instead, use torch.arange, which produces values in "
                  "[start, end).", UserWarning, stacklevel=2)
    check_layout(layout, "range")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    count = int(math.floor((end - start) / step)) + 1
    values = start + np.arange(count, dtype=np.float64) * step
    return tensor(values, dtype=dtype or default_float(), device=device, backend=backend, requires_grad=requires_grad)


def empty_permuted(size: Sequence[int], physical_layout: Sequence[int], *, dtype: Any = None, layout: Any = None,
                   device: Any = None, pin_memory: bool | None = None, requires_grad: bool = False,
                   backend: Any = None) -> Tensor:
    """``torch.empty_permuted``: a tensor of shape ``size`` (zeros); ``physical_layout`` (a permutation of the
    dimensions) is checked and has no effect, anynn tensors being dense row-major arrays."""
    check_layout(layout, "empty_permuted")
    if sorted(int(d) for d in physical_layout) != list(builtins.range(len(size))):
        raise RuntimeError(f"empty_permuted: physical_layout {list(physical_layout)} is not a permutation of the "
                           f"{len(size)} dimensions")
    return zeros(tuple(int(n) for n in size), dtype=dtype, device=device, backend=backend,
                 requires_grad=requires_grad)


def _int_argument(name: str, what: str, value: Any) -> int:
    """``value`` as an int where it is one (a NumPy integer, a 0-d integer Tensor: ``operator.index``), else PyTorch's
    parser's TypeError ("hann_window(): argument 'window_length' (position 1) must be int, not float"); a bool is
    refused too, as there."""
    if not isinstance(value, bool):
        try:
            return operator.index(value)
        except TypeError:
            pass
    kind = type(value)
    shown = kind.__name__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__name__}"
    raise TypeError(f"{name}(): argument '{what}' (position 1) must be int, not {shown}")


def _window(name: str, shape: Callable[[np.ndarray, int], np.ndarray]) -> Callable[..., Tensor]:
    def window(window_length: int, periodic: bool = True, *, dtype: Any = None, layout: Any = None,
               device: Any = None, pin_memory: bool | None = None, requires_grad: bool = False,
               backend: Any = None) -> Tensor:
        check_layout(layout, name)
        window_length = _int_argument(name, "window_length", window_length)
        if window_length < 0:
            raise RuntimeError(f"{name} requires non-negative window length, got window_length={window_length}")
        kind = default_float() if dtype is None else dtype_name(dtype)
        if not kind.startswith(("float", "bfloat")):
            raise RuntimeError(f"{name} expects floating point dtypes, got: {kind}")
        n = window_length + 1 if periodic and window_length > 1 else window_length
        values = np.ones(min(window_length, 1)) if window_length <= 1 else shape(np.arange(n, dtype=np.float64), n)
        return tensor(values[:window_length], dtype=kind, device=device, backend=backend,
                      requires_grad=requires_grad)

    window.__name__ = window.__qualname__ = name
    return window


def _cosine_sum(*coefficients: float) -> Callable[[np.ndarray, int], np.ndarray]:
    def shape(k: np.ndarray, n: int) -> np.ndarray:
        return sum(((-1) ** i) * c * np.cos(2 * np.pi * i * k / (n - 1)) for i, c in enumerate(coefficients))
    return shape


hann_window = _window("hann_window", _cosine_sum(0.5, 0.5))
hann_window.__doc__ = "``torch.hann_window(window_length, periodic=True)``: ``0.5 - 0.5 cos(2 pi k / (N - 1))``."
blackman_window = _window("blackman_window", _cosine_sum(0.42, 0.5, 0.08))
blackman_window.__doc__ = "``torch.blackman_window(window_length, periodic=True)``: the 0.42/0.5/0.08 cosine sum."
bartlett_window = _window("bartlett_window", lambda k, n: 1 - np.abs(2 * k / (n - 1) - 1))
bartlett_window.__doc__ = "``torch.bartlett_window(window_length, periodic=True)``: ``1 - |2k / (N - 1) - 1|``."


def hamming_window(window_length: int, periodic: bool = True, alpha: float = 0.54, beta: float = 0.46, *,
                   dtype: Any = None, layout: Any = None, device: Any = None, pin_memory: bool | None = None,
                   requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``torch.hamming_window``: ``alpha - beta cos(2 pi k / (N - 1))``."""
    return _window("hamming_window", _cosine_sum(alpha, beta))(
        window_length, periodic, dtype=dtype, layout=layout, device=device, requires_grad=requires_grad,
        backend=backend)


def kaiser_window(window_length: int, periodic: bool = True, beta: float = 12.0, *, dtype: Any = None,
                  layout: Any = None, device: Any = None, pin_memory: bool | None = None, requires_grad: bool = False,
                  backend: Any = None) -> Tensor:
    """``torch.kaiser_window``: ``I0(beta sqrt(1 - (2k/(N-1) - 1)^2)) / I0(beta)``."""
    def shape(k: np.ndarray, n: int) -> np.ndarray:
        return np.i0(beta * np.sqrt(np.clip(1 - (2 * k / (n - 1) - 1) ** 2, 0, None))) / np.i0(beta)

    return _window("kaiser_window", shape)(window_length, periodic, dtype=dtype, layout=layout, device=device,
                                           requires_grad=requires_grad, backend=backend)


__all__ = ["asarray", "bartlett_window", "blackman_window", "empty_permuted", "empty_strided", "frombuffer",
           "hamming_window", "hann_window", "kaiser_window", "range", "scalar_tensor"]
