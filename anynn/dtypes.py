"""Dtype objects under PyTorch's names: ``anynn.float32``, ``anynn.long``, ``anynn.half``...

Each is a `dtype` that compares equal to the same dtype of every backend (``x.dtype == anynn.float32``
holds whether ``x`` lives on NumPy, CuPy, PyTorch or array_api_strict), to its standard name
(``"float32"``) and to PyTorch's spellings (``"double"``), and is accepted wherever anynn takes a
``dtype=``. ``Tensor.dtype`` itself stays the backend's native dtype, so it can go straight into the
backend's own functions.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .backend import dtype_name

# PyTorch's legacy tensor-type names, as ``Tensor.type()`` returns them
_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor", "int16": "ShortTensor",
               "int8": "CharTensor", "uint8": "ByteTensor", "bool": "BoolTensor",
               "complex64": "ComplexFloatTensor", "complex128": "ComplexDoubleTensor",
               "uint16": "UInt16Tensor", "uint32": "UInt32Tensor", "uint64": "UInt64Tensor"}
_FROM_TYPE_NAME = {v: k for k, v in _TYPE_NAMES.items()}


class dtype:  # noqa: N801 - PyTorch's name (torch.dtype)
    """A dtype by its standard name, equal to that dtype of any backend.

    Attributes
    ----------
    name : str
        The array API name: ``"float32"``, ``"int64"``, ``"bfloat16"``...
    is_floating_point, is_complex, is_signed : bool
        As on ``torch.dtype``.
    itemsize : int
        Bytes per element.
    """

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = dtype_name(name)

    @property
    def is_floating_point(self) -> bool:
        return self.name.startswith(("float", "bfloat"))

    @property
    def is_complex(self) -> bool:
        return self.name.startswith("complex")

    @property
    def is_signed(self) -> bool:
        return not self.name.startswith(("uint", "bool"))

    @property
    def itemsize(self) -> int:
        return 2 if self.name == "bfloat16" else np.dtype(self.name).itemsize

    def to_real(self) -> dtype:
        """The real dtype of a complex one's parts (``complex64`` -> ``float32``); any other dtype itself."""
        return dtype({"complex64": "float32", "complex128": "float64"}.get(self.name, self.name))

    def to_complex(self) -> dtype:
        """The complex dtype with parts of this floating dtype (``float32`` -> ``complex64``; ``bfloat16`` too, as
        PyTorch's); a complex dtype itself. PyTorch's float16 gives complex32, which anynn has not: TypeError."""
        if self.name.startswith("complex"):
            return self
        if self.name == "float16":
            raise TypeError("float16.to_complex(): PyTorch's complex32, which anynn has not (use float32 for complex)")
        if not self.is_floating_point:
            raise RuntimeError(f"Unknown Complex ScalarType for {self.name}")
        return dtype("complex128" if self.name == "float64" else "complex64")

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype (so ``np.zeros(3, dtype=anynn.float32)`` and NumPy comparisons work)."""
        if self.name == "bfloat16":
            raise TypeError("NumPy has no bfloat16")
        return np.dtype(self.name)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, dtype):
            return other.name == self.name
        try:
            return dtype_name(other) == self.name
        except (TypeError, ValueError):
            return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        # NumPy's (and array_api_strict's) hash, so dict lookups by a native dtype find these keys
        return hash(np.dtype(self.name)) if self.name != "bfloat16" else hash(self.name)

    def __repr__(self) -> str:
        return f"anynn.{self.name}"


def type_string(native: Any, on_gpu: bool) -> str:
    """PyTorch's ``Tensor.type()`` string for a native dtype: ``"torch.FloatTensor"``, ``"torch.cuda.LongTensor"``."""
    name = _TYPE_NAMES.get(dtype_name(native))
    if name is None:
        raise TypeError(f"Tensor.type(): no PyTorch tensor type for dtype {dtype_name(native)!r}")
    return ("torch.cuda." if on_gpu else "torch.") + name


def dtype_of_type_string(text: str) -> str | None:
    """The dtype name a PyTorch tensor-type string names (``"torch.cuda.HalfTensor"`` -> ``"float16"``), or None."""
    return _FROM_TYPE_NAME.get(text.rsplit(".", 1)[-1]) if text.endswith("Tensor") else None


def type_target(dst: Any) -> tuple[Any, bool]:
    """What ``x.type(dst)`` and ``module.type(dst)`` cast to: ``(dtype, on a CUDA device)`` for a legacy type class
    (``torch.FloatTensor``, ``torch.cuda.LongTensor``) or a type string (``"torch.cuda.HalfTensor"``), the dtype
    name; anything else (a dtype, anynn's dtype names) is ``(dst, False)``."""
    if isinstance(dst, type) and hasattr(dst, "_dtype_name"):
        return dst._dtype_name, getattr(dst, "is_cuda", False) is True  # (bool is the dtype here)
    if isinstance(dst, str):
        target = dtype_of_type_string(dst)
        if target is not None and dst.split(".")[:-1] in (["torch"], ["torch", "cuda"], ["anynn"], ["anynn", "cuda"]):
            return target, ".cuda." in dst
    return dst, False


float16 = half = dtype("float16")
bfloat16 = dtype("bfloat16")
float32 = float = dtype("float32")  # noqa: A001 - PyTorch's name
float64 = double = dtype("float64")
complex64 = cfloat = dtype("complex64")
complex128 = cdouble = dtype("complex128")
int8 = dtype("int8")
int16 = short = dtype("int16")
int32 = int = dtype("int32")  # noqa: A001
int64 = long = dtype("int64")
uint8 = dtype("uint8")
uint16 = dtype("uint16")  # PyTorch 2.3+ has the wider unsigned dtypes too (few operations on them)
uint32 = dtype("uint32")
uint64 = dtype("uint64")
bool = dtype("bool")  # noqa: A001

__all__ = ["bfloat16", "bool", "cdouble", "cfloat", "complex128", "complex64", "double", "dtype", "float",
           "float16", "float32", "float64", "half", "int", "int16", "int32", "int64", "int8", "long", "short",
           "uint16", "uint32", "uint64", "uint8"]
