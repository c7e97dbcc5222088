"""Type aliases for the signatures of the math: what a value is, not which library made it.

The array API has no static types shared by NumPy, CuPy, PyTorch, JAX and array-api-strict, so these are
aliases of `Any` (as array-api-extra's ``_lib/_typing.py``) that name the role of a value: a signature
``f(xp: Namespace, x: Array) -> Array`` says a native array goes in and out (not an anynn `Tensor`).
"""

from __future__ import annotations

from typing import Any, TypeAlias

Array: TypeAlias = Any
"""A native array of the backend's library (``numpy.ndarray``, ``cupy.ndarray``, ``torch.Tensor``...)."""

Namespace: TypeAlias = Any
"""An array API namespace (``array_api_compat.array_namespace(x)``), the ``xp`` of the math."""

Device: TypeAlias = Any
"""A device object of the backend's library (``"cpu"``, ``torch.device``, ``cupy.cuda.Device``...)."""

DType: TypeAlias = Any
"""A dtype object of the backend's library (``xp.float32``...)."""

DTypeLike: TypeAlias = Any
"""What a ``dtype=`` argument takes: a dtype object of any library (``anynn.float32``, ``torch.float64``...), a
name (``"float32"``), or ``None`` where the function has a default."""

DeviceLike: TypeAlias = Any
"""What a ``device=`` argument takes: an `anynn.device`, a library's device, a string (``"cpu"``, ``"cuda:1"``),
an index, or ``None`` (where the data already is)."""

BackendLike: TypeAlias = Any
"""What a ``backend=`` argument takes (`anynn.backend.get_backend`): a `Backend`, a name (``"numpy"``, ``"torch"``,
``"auto"``...), or ``None`` (the default backend, or the one of the data)."""

__all__ = ["Array", "BackendLike", "DType", "DTypeLike", "Device", "DeviceLike", "Namespace"]
