"""The default floating dtype (``torch.set_default_dtype``) and PyTorch's dtype rule for host data.

The default is a setting for construction only, like the default backend: factories, new layers' parameters and
buffers, and Python floats in `anynn.tensor` read it when they make something; the math never does (an operation's
dtype comes from its operands). PyTorch's rule for host data (``torch.tensor``): a NumPy array or scalar keeps its
dtype (float64 stays float64), a Python float takes the default dtype, a Python complex the default's complex
dtype, an int int64 and a bool bool; a nested list takes the widest of its elements' dtypes by PyTorch's promotion
(a float wins over every integer, a complex over every float).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import dtype_name

_ALLOWED = ("float32", "float64", "float16", "bfloat16")  # those torch.set_default_dtype takes
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}
_default = "float32"


def default_float() -> str:
    """The name of the default floating dtype (``"float32"`` unless `set_default_float` changed it)."""
    return _default


def default_complex(context: str = "tensor()") -> str:
    """The complex dtype beside the default floating one (float64 → complex128); ``context`` names the caller in
    the error for a half-precision default, whose complex dtype (PyTorch's complex32) anynn does not have."""
    try:
        return _COMPLEX_OF[_default]
    except KeyError:
        raise TypeError(f"{context}: no complex dtype goes with the default dtype {_default} (PyTorch's complex32 "
                        f"has no counterpart here); pass dtype= or set the default to float32 or float64") from None


def set_default_float(d: Any) -> None:
    """Make ``d`` (float32, float64, float16 or bfloat16, as `torch.set_default_dtype` allows) the default floating
    dtype; any other dtype raises `TypeError` as PyTorch does."""
    global _default
    try:
        name = dtype_name(d)
    except TypeError:
        name = None
    if name not in _ALLOWED:
        raise TypeError(f"set_default_dtype(): only floating-point types are supported as the default type "
                        f"({', '.join(_ALLOWED)}), got {d!r}")
    _default = name


_FLOAT_BITS = {"float16": 16, "bfloat16": 16, "float32": 32, "float64": 64}


def _kind(name: str) -> int:
    """PyTorch's category order for promotion among a list's elements: bool < integer < floating < complex."""
    return 0 if name == "bool" else 3 if name.startswith("complex") else 2 if name in _FLOAT_BITS else 1


def _promote(names: set[str]) -> str:
    """PyTorch's promotion of the elements' dtypes: the highest category wins outright (``[1, 2.5]`` is a float of
    the float's width, where NumPy would widen to float64); within it the widest (float16 beside bfloat16 gives
    float32); a complex is as wide as the widest float beside it (``[1j, np.float64(1)]`` is complex128)."""
    top = max(map(_kind, names))
    if top < 2:
        return np.result_type(*names).name
    floats = [n for n in names if _kind(n) == 2]
    bits = max([_FLOAT_BITS[n] for n in floats] + [int(n[7:]) // 2 for n in names if _kind(n) == 3])
    if top == 3:
        return "complex128" if bits == 64 else "complex64"
    if bits == 16 and len(floats) > 1:
        return "float32"
    return next(n for n in floats if _FLOAT_BITS[n] == bits) if bits == 16 else f"float{bits}"


def _leaf_dtypes(data: Any, found: set[str]) -> None:
    """Add to ``found`` the dtype name PyTorch gives each leaf of the nested sequence ``data``."""
    for kind in set(map(type, data)):
        if kind is float:
            found.add(_default)
        elif kind is int:
            found.add("int64")
        elif kind is bool:
            found.add("bool")
        elif kind is complex:
            found.add(default_complex())
        elif issubclass(kind, (np.generic, np.ndarray)):
            found.update({item.dtype.name for item in data if type(item) is kind})
        elif issubclass(kind, (list, tuple)):
            for item in data:
                if type(item) is kind:
                    _leaf_dtypes(item, found)
        else:  # anything else NumPy reads (a 0-d tensor, a memoryview): its dtype's name
            found.update({dtype_name(getattr(item, "dtype", None) or np.asarray(item).dtype)
                          for item in data if type(item) is kind})


def host_dtype(data: Any, array: np.ndarray) -> str:
    """The name of the dtype PyTorch gives the host data ``data`` (``torch.tensor(data)``) that NumPy read as
    ``array``; it differs from ``array.dtype`` only for floating and complex data (NumPy reads Python floats as
    float64 and widens an integer beside a float32 to float64), so only those walk the data. A ``"bfloat16"``
    default has no NumPy dtype: the caller casts on the backend.
    """
    if array.dtype.kind not in "fc" or isinstance(data, (np.ndarray, np.generic)):
        return dtype_name(array.dtype)  # (NumPy's dtype.name is Python code; this answer is cached)
    if isinstance(data, float):
        return _default
    if isinstance(data, complex):
        return default_complex()
    if not isinstance(data, (list, tuple)):
        return dtype_name(array.dtype)
    found: set[str] = set()
    _leaf_dtypes(data, found)
    return _promote(found) if found else _default  # no leaf at all ([], [[]]): PyTorch's default dtype


__all__ = ["default_complex", "default_float", "host_dtype", "set_default_float"]
