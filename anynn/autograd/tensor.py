"""`Tensor`: a native array of one backend, plus what autograd needs (grad, creator)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..backend import Backend, backend_of, dtype_name, get_backend, host_array
from . import graph


class Tensor:
    """An n-dimensional array on one backend that records how it was made.

    ``.data`` is the native array (``numpy.ndarray``, ``cupy.ndarray``, ``torch.Tensor`` or an
    ``array_api_strict`` array). Arithmetic operators, ``@``, reductions, reshaping and slicing
    build the graph when any input has ``requires_grad``; ``backward()`` fills ``.grad`` of the
    leaves. Create tensors with `anynn.tensor`.
    """

    __slots__ = ("data", "backend", "grad", "_requires_grad", "_ctx", "_index", "_retains_grad",
                 "__weakref__")
    __array_priority__ = 1000  # so ndarray + Tensor defers to Tensor.__radd__

    def __init__(self, data: Any, backend: Any = None, dtype: Any = None,
                 requires_grad: bool = False) -> None:
        if isinstance(data, Tensor):  # a copy keeps the backend and dtype, like a native array
            backend = data.backend if backend is None else backend
            dtype = dtype_name(data.dtype) if dtype is None else dtype
            data = data.data
        if backend is None:
            try:
                be = backend_of(data) if not isinstance(data, np.ndarray) else get_backend(None)
            except TypeError:
                be = get_backend(None)
        else:
            be = get_backend(backend)
        native_dtype = be.dtype(dtype)
        if be.is_native(data) and not isinstance(data, np.ndarray):
            self.data = data if native_dtype is None else be.asarray(data, native_dtype)
        elif _is_foreign_array(data):
            source = backend_of(data)
            self.data = be.asarray(transfer(data, source, be), native_dtype)
        else:
            # host data: floats become float32 unless a dtype is asked for (no silent float64)
            host = host_array(data, None if native_dtype is not None else np.float32)
            self.data = be.asarray(be.from_host(host), native_dtype)
        self.backend: Backend = be
        self.grad: Tensor | None = None
        self._ctx = None
        self._index = 0
        self._retains_grad = False
        self._requires_grad = False
        self.requires_grad = requires_grad

    @classmethod
    def _make(cls, data: Any, backend: Backend, ctx: Any, index: int) -> "Tensor":
        if isinstance(data, np.generic):  # NumPy gives scalars, not 0-d arrays, from 0-d arithmetic
            data = np.asarray(data)
        t = cls.__new__(cls)
        t.data = data
        t.backend = backend
        t.grad = None
        t._ctx = ctx
        t._index = index
        t._retains_grad = False
        t._requires_grad = ctx is not None
        return t

    # -- autograd -------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._ctx is None and not _is_floating(self.data.dtype):
            raise TypeError(
                f"only floating-point tensors can require gradients, not {dtype_name(self.data.dtype)}"
            )
        if not value and self._ctx is not None:
            raise RuntimeError("requires_grad can only be switched off on a leaf tensor; use .detach()")
        self._requires_grad = bool(value)

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Any:
        """The `Function` that made this tensor (``None`` for leaves)."""
        return self._ctx

    def backward(self, grad: Any = None, retain_graph: bool = False) -> None:
        """Compute gradients of this tensor with respect to every leaf that requires them.

        ``grad`` defaults to ones for a scalar; gradients add into ``leaf.grad``.
        """
        if not self._requires_grad:
            raise RuntimeError("backward() on a tensor that does not require grad (no graph was recorded)")
        graph.backward(self, grad, retain_graph=retain_graph)

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too."""
        self._retains_grad = True

    def _accumulate(self, g: Any) -> None:
        if g.dtype != self.data.dtype:
            g = self.backend.xp.astype(g, self.data.dtype)
        if tuple(g.shape) != tuple(self.data.shape):
            g = graph.sum_to_shape(self.backend.xp, g, tuple(self.data.shape))
        if self.grad is None:
            self.grad = Tensor._make(g, self.backend, None, 0)
        else:
            self.grad = Tensor._make(self.grad.data + g, self.backend, None, 0)

    def detach(self) -> "Tensor":
        """The same data, cut from the graph."""
        return Tensor._make(self.data, self.backend, None, 0)

    def zero_grad(self) -> None:
        self.grad = None

    # -- array facts ----------------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(self.data.shape)

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> Any:
        return self.data.dtype

    @property
    def size(self) -> int:
        n = 1
        for s in self.data.shape:
            n *= s
        return n

    @property
    def device(self) -> Any:
        return self.backend.device

    def __len__(self) -> int:
        return self.data.shape[0]

    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        grad = ", requires_grad=True" if self._requires_grad else ""
        return f"tensor({body}, backend={self.backend.key!r}, dtype={dtype_name(self.dtype)}{grad})"

    def __bool__(self) -> bool:
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    # -- leaving the backend --------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """A NumPy copy (or view, on NumPy) of the data on the host."""
        return self.backend.to_host(self.data)

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise ValueError(f"item() needs a one-element tensor, this one has shape {self.shape}")
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def to(self, backend: Any = None, dtype: Any = None) -> "Tensor":
        """This tensor on another backend and/or dtype (DLPack when possible, else a host copy).

        The result is a new leaf that keeps ``requires_grad``.
        """
        target = self.backend if backend is None else get_backend(backend)
        data = self.data if target == self.backend else transfer(self.data, self.backend, target)
        if dtype is not None:
            native = target.dtype(dtype)
            if data.dtype != native:
                data = target.xp.astype(data, native)
        out = Tensor._make(data, target, None, 0)
        out._requires_grad = self._requires_grad
        return out

    def float(self) -> "Tensor":
        return self.astype("float32")

    def double(self) -> "Tensor":
        return self.astype("float64")


def transfer(data: Any, source: Backend, target: Backend) -> Any:
    """Move a native array between backends: DLPack first, host copy as the fallback."""
    if target.name in ("torch", "numpy", "cupy") and source.name != "array_api_strict":
        try:
            if target.name == "torch":
                moved = target.torch.from_dlpack(data)
            elif target.name == "cupy":
                moved = target.cupy.from_dlpack(data)
            else:
                moved = np.from_dlpack(data)
            if target.is_native(moved) and _same_device(moved, target):
                return moved
        except (TypeError, RuntimeError, BufferError, ValueError, AttributeError):
            pass
    return target.from_host(np.asarray(source.to_host(data), order="C"))


def _same_device(array: Any, backend: Backend) -> bool:
    if backend.name == "torch":
        return array.device == backend.device
    if backend.name == "cupy":
        return array.device.id == backend.device_id
    return True


def _is_foreign_array(data: Any) -> bool:
    return not isinstance(data, (np.ndarray, np.generic, list, tuple, int, float, bool)) and hasattr(
        data, "__dlpack__")


def _is_floating(dtype: Any) -> bool:
    return dtype_name(dtype).startswith(("float", "bfloat", "complex"))


def tensor(data: Any, backend: Any = None, dtype: Any = None, requires_grad: bool = False) -> Tensor:
    """Create a `Tensor` from host data (lists, NumPy arrays) or a native array.

    Parameters
    ----------
    data : array_like
        Python numbers, nested lists, a NumPy array, or an array of any backend.
    backend : str or Backend, optional
        ``"numpy"``, ``"cupy"``, ``"torch"``, ``"array_api_strict"`` or ``"auto"``; by default the
        backend of ``data`` if it is a native array, else the default backend (NumPy).
    dtype : str or dtype, optional
        ``"float32"``, ``"float64"``, ``"int64"``...; by default floating-point host data (Python
        floats, NumPy float64) becomes float32 as in PyTorch, integers stay int64, and native arrays
        of a backend keep their dtype.
    requires_grad : bool
        Record operations on this tensor for `Tensor.backward`.
    """
    return Tensor(data, backend=backend, dtype=dtype, requires_grad=requires_grad)


def zeros(shape: tuple[int, ...], backend: Any = None, dtype: Any = "float32",
          requires_grad: bool = False) -> Tensor:
    be = get_backend(backend)
    data = be.xp.zeros(tuple(shape), dtype=be.dtype(dtype), device=be.device)
    return Tensor(data, be, dtype=dtype, requires_grad=requires_grad)


def ones(shape: tuple[int, ...], backend: Any = None, dtype: Any = "float32",
         requires_grad: bool = False) -> Tensor:
    be = get_backend(backend)
    data = be.xp.ones(tuple(shape), dtype=be.dtype(dtype), device=be.device)
    return Tensor(data, be, dtype=dtype, requires_grad=requires_grad)


def from_numpy(array: np.ndarray, backend: Any = None) -> Tensor:
    return Tensor(host_array(array), backend=backend)
