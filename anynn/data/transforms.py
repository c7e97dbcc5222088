"""Preprocessing helpers: standardisation (zero mean, unit variance per feature) and one-hot labels.

They work on NumPy arrays (host side, before a `DataLoader`), on native arrays of any backend, and on
anynn Tensors (returned as new Tensors, outside the autograd graph), in the data's own namespace.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from array_api_compat import array_namespace

from ..autograd import Tensor
from ..backend import dtype_name
from ..backend.devices import device_of as device
from ..backend.typing import Namespace


def _unwrap(x: Any) -> tuple[Any, Any]:
    """(native array, the Tensor's backend or None); lists and numbers become NumPy arrays."""
    if isinstance(x, Tensor):
        return x.array, x.backend
    if not hasattr(x, "__array_namespace__") and not hasattr(x, "__dlpack__"):
        x = np.asarray(x)
    return x, None


def _wrap(data: Any, backend: Any) -> Any:
    return data if backend is None else Tensor._make(data, backend, None, 0)


def _is_float(xp: Namespace, dtype: Any) -> bool:
    return xp.isdtype(dtype, "real floating")


class Standardizer:
    """Centre and scale features with statistics learnt from the training data (like scikit-learn's
    ``StandardScaler``).

    Parameters
    ----------
    eps : float
        Features whose standard deviation is at most ``eps`` (constant features, e.g. the always-blank
        border pixels of digits) are only centred, not divided by a tiny number.
    axis : int or tuple of int
        The axes the statistics are taken over: 0 (per feature, the default), or e.g. ``(0, 2, 3)``
        for per-channel statistics of ``(N, C, H, W)`` images.

    Attributes
    ----------
    mean, scale : array
        Set by `fit`; shaped to broadcast against the data (``keepdims``), same namespace as the data.

    Examples
    --------
    >>> X_train, X_test = np.array([[1.0, 10.0], [3.0, 30.0]]), np.array([[2.0, 20.0]])
    >>> scaler = Standardizer().fit(X_train)
    >>> scaler.transform(X_train), scaler.transform(X_test)
    (array([[-1., -1.], [ 1.,  1.]]), array([[0., 0.]]))
    """

    def __init__(self, eps: float = 1e-8, axis: int | tuple[int, ...] = 0) -> None:
        self.eps = float(eps)
        self.axis = axis
        self.mean: Any = None
        self.scale: Any = None

    def fit(self, x: Any) -> "Standardizer":
        """Learn the per-feature mean and standard deviation of ``x``; integer data count as float32."""
        data, _ = _unwrap(x)
        xp = array_namespace(data)
        data = self._as_float(xp, data)
        self.mean = xp.mean(data, axis=self.axis, keepdims=True)
        std = xp.std(data, axis=self.axis, keepdims=True)
        self.scale = xp.where(std > self.eps, std, xp.ones_like(std))
        return self

    def transform(self, x: Any) -> Any:
        """``(x - mean) / scale``, same type, namespace and float dtype as ``x`` (integers → float32)."""
        if self.mean is None:
            raise RuntimeError("Standardizer.transform called before fit")
        data, backend = _unwrap(x)
        xp = array_namespace(data)
        data = self._as_float(xp, data)
        mean, scale = self._stats_like(xp, data)
        return _wrap((data - mean) / scale, backend)

    def fit_transform(self, x: Any) -> Any:
        return self.fit(x).transform(x)

    def inverse_transform(self, x: Any) -> Any:
        """Undo `transform`: ``x * scale + mean``."""
        if self.mean is None:
            raise RuntimeError("Standardizer.inverse_transform called before fit")
        data, backend = _unwrap(x)
        xp = array_namespace(data)
        mean, scale = self._stats_like(xp, data)
        return _wrap(data * scale + mean, backend)

    @staticmethod
    def _as_float(xp: Namespace, data: Any) -> Any:
        return data if _is_float(xp, data.dtype) else xp.astype(data, xp.float32)

    def _stats_like(self, xp: Namespace, data: Any) -> tuple[Any, Any]:
        where = device(data)  # None for a traced array (jax.jit), which lives wherever its program runs
        if array_namespace(self.mean) is not xp or where not in (None, device(self.mean)):
            raise ValueError("Standardizer: the data are on another backend or device than the data it was fit on")
        mean, scale = self.mean, self.scale
        if mean.dtype != data.dtype:  # no silent float64 upcast of float32 data
            mean, scale = xp.astype(mean, data.dtype), xp.astype(scale, data.dtype)
        return mean, scale


def standardize(train: Any, *others: Any, eps: float = 1e-8, axis: int | tuple[int, ...] = 0) -> Any:
    """Standardise ``train`` and any ``others`` (validation, test) with the statistics of ``train``.

    Returns the standardised ``train`` alone, or a tuple ``(train, *others)`` when others are given.
    See `Standardizer` for ``eps`` and ``axis``.

    Examples
    --------
    >>> X_train, X_test = standardize(np.array([[1.0, 10.0], [3.0, 30.0]]), np.array([[2.0, 20.0]]))
    >>> X_test
    array([[0., 0.]])
    """
    scaler = Standardizer(eps=eps, axis=axis).fit(train)
    if not others:
        return scaler.transform(train)
    return (scaler.transform(train),) + tuple(scaler.transform(o) for o in others)


def one_hot(labels: Any, num_classes: int | None = None, dtype: Any = "float32") -> Any:
    """One-hot encode integer class labels.

    Parameters
    ----------
    labels : array of int, shape ``(...)``
        Class indices in ``[0, num_classes)``.
    num_classes : int, optional
        Number of classes ``C``; by default ``max(labels) + 1``.
    dtype : str
        dtype of the result (``"float32"`` by default).

    Returns
    -------
    array, shape ``(..., C)``
        Same kind as ``labels`` (NumPy array, native array or Tensor). Host (NumPy) labels outside
        ``[0, C)`` raise ValueError; on a device backend they are not checked (that would wait for the
        device) and give all-zero rows.
    """
    data, backend = _unwrap(labels)
    xp = array_namespace(data)
    if not xp.isdtype(data.dtype, "integral"):
        raise TypeError(f"one_hot needs integer labels, got dtype {data.dtype}")
    on_host = isinstance(data, np.ndarray)
    if num_classes is None:
        if 0 in tuple(data.shape):
            raise ValueError("one_hot of an empty label array needs num_classes")
        num_classes = int(xp.max(data)) + 1
    num_classes = int(num_classes)
    if on_host and data.size and (int(data.min()) < 0 or int(data.max()) >= num_classes):
        raise ValueError(f"one_hot: labels must lie in [0, {num_classes}), got values from "
                         f"{int(data.min())} to {int(data.max())}")
    classes = xp.arange(num_classes, dtype=data.dtype, device=device(data))
    out_dtype = getattr(xp, dtype_name(dtype))
    return _wrap(xp.astype(data[..., None] == classes, out_dtype), backend)
