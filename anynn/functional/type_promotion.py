"""PyTorch's type-promotion questions: ``promote_types`` (the lattice of two dtypes), ``result_type`` (the dtype an
arithmetic operation of a tensor and a tensor or Python number gives, where dimensioned tensors outrank 0-d tensors,
which outrank numbers, unless the lower one is of a higher kind) and ``can_cast`` (PyTorch's same-kind rule).
Answered from dtype names alone, on any backend; nothing is computed."""

from __future__ import annotations

import builtins
from typing import Any

from ..backend import dtype_name
from ..backend.default_dtype import default_complex, default_float
from ..dtypes import dtype

# the order of kinds: bool < integer < floating < complex
_KIND = {"bool": 0, "uint8": 1, "int8": 1, "int16": 1, "int32": 1, "int64": 1, "float16": 2, "bfloat16": 2,
         "float32": 2, "float64": 2, "complex64": 3, "complex128": 3, "uint16": 1, "uint32": 1, "uint64": 1}
_WIDE_UNSIGNED = ("uint16", "uint32", "uint64")  # PyTorch promotes them only to themselves and to floating types
_SIGNED_BITS = {"int8": 8, "int16": 16, "int32": 32, "int64": 64}
_FLOAT_BITS = {"float16": 16, "bfloat16": 16, "float32": 32, "float64": 64}
_COMPLEX_OF = {"float32": "complex64", "float64": "complex128"}


def _name(value: Any, op: str) -> str:
    if value is None or isinstance(value, (builtins.int, builtins.float, complex)):  # (NumPy reads None as float64)
        raise TypeError(f"{op}: expected a dtype, got {value!r}")
    try:
        name = value.name if isinstance(value, dtype) else dtype_name(value)
    except (TypeError, ValueError):
        raise TypeError(f"{op}: expected a dtype, got {value!r}") from None
    if name not in _KIND:
        raise TypeError(f"{op}: dtype {name} has no place in PyTorch's promotion lattice here "
                        f"(supported: {sorted(_KIND)})")
    return name


def _promote(a: str, b: str) -> str:
    if a == b:
        return a
    ka, kb = _KIND[a], _KIND[b]
    wide = a if a in _WIDE_UNSIGNED else b if b in _WIDE_UNSIGNED else None
    if wide is not None and _KIND[b if wide == a else a] != 2:
        raise RuntimeError(f"Promotion for uint16, uint32, uint64 types is not supported, attempted to promote {a} "
                           f"and {b} (as in PyTorch; cast one operand first)")
    if ka != kb:
        low, high = (a, b) if ka < kb else (b, a)
        if _KIND[high] == 3 and _KIND[low] == 2:  # a complex type wide enough for the float's precision
            return "complex128" if high == "complex128" or low == "float64" else "complex64"
        return high
    if ka == 1:
        if "uint8" in (a, b):  # uint8 with a signed integer: a signed type holding both
            signed = b if a == "uint8" else a
            return "int16" if signed == "int8" else signed
        return a if _SIGNED_BITS[a] > _SIGNED_BITS[b] else b
    if ka == 2:
        if {a, b} == {"float16", "bfloat16"}:
            return "float32"
        return a if _FLOAT_BITS[a] > _FLOAT_BITS[b] else b
    return "complex128"  # two different complex types


def promote_types(type1: Any, type2: Any) -> dtype:
    """The smallest dtype both ``type1`` and ``type2`` convert to without losing kind (``torch.promote_types``):
    ``uint8`` with ``int8`` gives ``int16``, ``float16`` with ``bfloat16`` gives ``float32``, ``float64`` with
    ``complex64`` gives ``complex128``."""
    return dtype(_promote(_name(type1, "promote_types"), _name(type2, "promote_types")))


def _combine(higher: str | None, lower: str | None) -> str | None:
    """PyTorch's rule between ranks (dimensioned over 0-d over numbers): the higher rank's dtype stands unless the
    lower one is of a higher kind; a complex lower rank makes a floating higher one complex."""
    if higher is None or lower is None:
        return lower if higher is None else higher
    if _KIND[higher] == 3:
        return higher
    if _KIND[lower] == 3:
        if _KIND[higher] == 2 and higher not in _COMPLEX_OF:
            raise TypeError(f"result_type: {higher} beside a complex operand gives a half-precision complex type, "
                            "which anynn does not have")
        return _COMPLEX_OF[higher] if _KIND[higher] == 2 else lower
    if _KIND[higher] == 2:
        return higher
    if higher == "bool" or _KIND[lower] == 2:
        return _promote(higher, lower)
    return higher


def _number_dtype(value: Any) -> str:
    """A Python number's dtype in promotion: PyTorch's default dtype for a float (`anynn.set_default_dtype`), its
    complex dtype for a complex number."""
    if isinstance(value, builtins.bool):
        return "bool"
    if isinstance(value, builtins.int):
        return "int64"
    if isinstance(value, builtins.float):
        return default_float()
    if isinstance(value, complex):
        return default_complex("result_type")
    raise TypeError(f"result_type: expected a Tensor or a Python number, got {type(value).__name__}")


def result_type(tensor: Any, other: Any) -> dtype:
    """The dtype of an arithmetic operation of ``tensor`` and ``other`` (tensors or Python numbers), by PyTorch's
    rules (``torch.result_type``): a dimensioned tensor's dtype stands against a 0-d tensor's or a number's of the
    same kind (int32 tensor with int64 scalar: int32), a higher kind promotes (int32 tensor with 2.5: float32, the
    default dtype)."""
    return result_type_of(tensor, other)


def result_type_of(*values: Any) -> dtype:
    """`result_type` of any number of tensors and Python numbers, as PyTorch promotes the operands of one kernel
    (``addcmul(input, tensor1, tensor2)``)."""
    from ..autograd.tensor import Tensor

    ranks: list[str | None] = [None, None, None]  # dimensioned tensors, 0-d tensors, numbers
    for value in values:
        if isinstance(value, Tensor):
            rank, name = (0 if value.ndim else 1), _name(value.array.dtype, "result_type")
        else:
            rank, name = 2, _number_dtype(value)
        ranks[rank] = name if ranks[rank] is None else _promote(ranks[rank], name)  # type: ignore[arg-type]
    found = _combine(ranks[0], _combine(ranks[1], ranks[2]))
    assert found is not None
    return dtype(found)


def can_cast(from_: Any, to: Any) -> bool:
    """Whether PyTorch's casting rule lets a value of dtype ``from_`` be written into ``to`` (``torch.can_cast``):
    never to a lower kind (complex to real, floating to integer, non-boolean to bool); any width otherwise."""
    return _KIND[_name(from_, "can_cast")] <= _KIND[_name(to, "can_cast")]


FUNCTIONS: dict[str, Any] = {"promote_types": promote_types, "result_type": result_type, "can_cast": can_cast}

__all__ = ["FUNCTIONS", *FUNCTIONS]
