"""``Tensor.view(dtype)``: a tensor's bytes read as another dtype (PyTorch's bit reinterpretation).

The backend does the reading (`Backend.reinterpret`): NumPy, PyTorch, CuPy and JAX can; array-api-strict's arrays
hide their memory and it says so. anynn keeps no strides (every tensor is row-major in its own model, see
`tensor_layout`), so a transposed or sliced tensor is read as its row-major copy where PyTorch asks for a unit
stride on the last axis. The result is detached, as PyTorch's (its ``requires_grad`` is False even for the same
dtype).
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .tensor_layout import ITEMSIZE, stride

_TORCH_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int", "int64": "Long",
                "float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double",
                "complex64": "ComplexFloat", "complex128": "ComplexDouble", "uint16": "UInt16", "uint32": "UInt32",
                "uint64": "UInt64"}


def is_dtype_argument(value: Any) -> bool:
    """True for a dtype given to ``view`` (``anynn.float16``, a library's dtype); sizes and strings are not."""
    if isinstance(value, (int, str, tuple, list)) or hasattr(value, "__index__"):
        return False
    try:
        return dtype_name(value) in ITEMSIZE
    except TypeError:
        return False


def view_as_dtype(input: Tensor, dtype: Any) -> Tensor:  # noqa: A002
    """``input``'s bytes read as ``dtype`` (``Tensor.view(dtype)``): the same shape for an equal item size, else
    the last axis scaled by ``itemsize(input) / itemsize(dtype)`` (it must divide; a 0-d tensor cannot change item
    size). input: (*, n) -> (*, n * itemsize(input) // itemsize(dtype)). Not differentiable."""
    source, target = dtype_name(input.dtype), dtype_name(dtype)
    old, new = ITEMSIZE[source], ITEMSIZE[target]
    what = f"to view {_TORCH_NAMES[source]} as {_TORCH_NAMES[target]} (different element sizes)"
    if old != new:
        if input.ndim == 0:
            raise RuntimeError(f"view(dtype): self.dim() cannot be 0 {what}")
        if new > old and (input.shape[-1] * old) % new:
            raise RuntimeError(f"view(dtype): self.size(-1) must be divisible by {new // old} {what}, but got "
                               f"{input.shape[-1]}")
        strides = stride(input)
        for dim in range(input.ndim - 1):  # PyTorch's rule for the row-major strides (an empty axis makes one 1)
            if new > old and strides[dim] % (new // old):
                raise RuntimeError(f"view(dtype): self.stride({dim}) must be divisible by {new // old} {what}, but "
                                   f"got {strides[dim]}")
    backend = input.backend
    native = backend.dtype(target)
    array = input.array if old == new and input.array.dtype == native else backend.reinterpret(input.array, native)
    return Tensor._make(array, backend, None, 0)


__all__ = ["is_dtype_argument", "view_as_dtype"]
