"""PyTorch's legacy typed constructors: ``FloatTensor``, ``DoubleTensor``, ``HalfTensor``, ``LongTensor``,
``IntTensor``, ``ShortTensor``, ``ByteTensor``, ``CharTensor``, ``BoolTensor``.

``anynn.FloatTensor(data)`` is a float32 copy of ``data`` (lists, NumPy arrays, Tensors; floats truncate toward zero
in the integer types, as in PyTorch), ``anynn.FloatTensor(2, 3)`` a (2, 3) tensor (zeros: PyTorch leaves it
uninitialised) on the default backend, and ``isinstance(t, anynn.FloatTensor)`` asks whether ``t`` is a float32
Tensor, as in PyTorch (gcn/gat build their features with ``torch.FloatTensor(array)``).
"""

from __future__ import annotations

import numbers
from typing import Any

from .autograd.tensor import Tensor
from .dtypes import dtype as _dtype


class _TypedMeta(type):
    _dtype_name: str

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == _dtype(cls._dtype_name)


class _TypedTensor(metaclass=_TypedMeta):
    _dtype_name = "float32"

    def __new__(cls, *args: Any, device: Any = None) -> Tensor:  # type: ignore[misc]
        from .factories import tensor, zeros

        if not args:  # FloatTensor(): an empty 1-D tensor, as PyTorch
            args = (0,)
        if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in args) and (
                len(args) != 1 or not isinstance(args[0], Tensor)):
            return zeros(*(int(a) for a in args), dtype=cls._dtype_name, device=device)
        if len(args) != 1:
            raise TypeError(f"{cls.__name__}(): expected sizes (ints) or one sequence/array of data, got {args!r}")
        data = args[0]
        if isinstance(data, Tensor):
            return data.to(cls._dtype_name) if device is None else data.to(device).to(cls._dtype_name)
        return tensor(data, device=device).to(cls._dtype_name) if _truncating(cls, data) else tensor(
            data, dtype=cls._dtype_name, device=device)


def _truncating(cls: Any, data: Any) -> bool:
    """Floats into an integer type: made as float first, then cast (truncation toward zero, as PyTorch)."""
    import numpy as np

    return cls._dtype_name not in ("float32", "float64", "float16", "bool") and np.asarray(data).dtype.kind == "f"


def _typed(name: str, dtype_name: str) -> Any:
    return _TypedMeta(name, (_TypedTensor,), {"_dtype_name": dtype_name, "__doc__": f"A {dtype_name} Tensor "
                      f"(``torch.{name}``): ``{name}(data)`` copies data, ``{name}(*sizes)`` gives zeros."})


FloatTensor = _typed("FloatTensor", "float32")
DoubleTensor = _typed("DoubleTensor", "float64")
HalfTensor = _typed("HalfTensor", "float16")
LongTensor = _typed("LongTensor", "int64")
IntTensor = _typed("IntTensor", "int32")
ShortTensor = _typed("ShortTensor", "int16")
CharTensor = _typed("CharTensor", "int8")
ByteTensor = _typed("ByteTensor", "uint8")
BoolTensor = _typed("BoolTensor", "bool")

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
           "LongTensor", "ShortTensor"]
