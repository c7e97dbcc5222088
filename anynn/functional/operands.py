"""Operands of Tensor arithmetic: numbers and native arrays as operands, and PyTorch's promotion across kinds.

Shared by the operators (`tensor_methods`) and the binary functions that promote as they do (``atan2``,
``fmod``...); it imports no other module of the Tensor surface, so none of them import each other.
"""

from __future__ import annotations

import numbers
import warnings
from typing import Any

from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, backend_of
from ..backend.default_dtype import default_float
from ..backend.symbolic import is_symbolic
from . import elementwise
from .dtype_kinds import isdtype
from .elementwise import Div


class ForeignOperandError(BackendMismatch, TypeError):
    """An operand that is no tensor, array or number (a string, None, a list, another library's object): PyTorch's
    TypeError; the operators return NotImplemented for it, so Python tries the other operand's reflected method."""


def operand(self: Tensor, other: Any) -> Any:
    """Accept Tensors and Python numbers as they are; a native array of our backend becomes a Tensor.

    NumPy scalars (``np.float64``, ``np.float32``, ``np.int64``...) become plain Python numbers: kept
    as they are, ``np.float64`` would promote float32 arrays to float64, and strict libraries refuse them.
    """
    if isinstance(other, Tensor):
        return other
    if isinstance(other, bool):  # beside numbers True is 1, as PyTorch's (array-api-strict refuses the bool)
        return other if self.backend.xp.isdtype(self.array.dtype, "bool") else int(other)
    if isinstance(other, numbers.Integral):
        value = int(other)
        return value if 0 <= value < 128 else _wrapped(self, value)
    if isinstance(other, numbers.Real):
        return float(other)
    if isinstance(other, numbers.Complex):
        return complex(other)
    if self.backend.is_native(other):
        return Tensor._make(other, self.backend, None, 0)
    if is_symbolic(other):  # a symbolic size (ONNX export: x / x.numel()) acts as an int: in the tensor's dtype
        dtype = self.array.dtype
        size = other.array if self.backend.xp.isdtype(dtype, "bool") else self.backend.xp.astype(other.array, dtype)
        return Tensor._make(size, self.backend, None, 0)
    raise refusal_of(other)(
        f"cannot combine a tensor on backend {self.backend.key!r} with a {type(other).__module__}."
        f"{type(other).__name__}; wrap it with anynn.tensor(..., backend={self.backend.key!r})"
    )


def refusal_of(value: Any) -> type[BackendMismatch]:
    """The error class for an operand a tensor cannot take: `BackendMismatch` for an array of another backend,
    `ForeignOperandError` (a TypeError too) for anything else."""
    try:
        backend_of(value)
    except TypeError:
        return ForeignOperandError
    return BackendMismatch


def _wrapped(tensor: Tensor, value: int) -> int:
    """``value`` beside an integer ``tensor``: wrapped into its dtype's range, as PyTorch casts the number to the
    tensor's dtype (``uint8 + 300`` is ``uint8 + 44``; NumPy raises OverflowError). Other dtypes: as it is. An int
    that is neither an int64 nor a uint64 (``x + 2**64``, ``x < -2**63 - 1``) is PyTorch's OverflowError, whatever
    the dtype (anynn wrapped it: ``int64 + 2**64`` gave ``x + 0``)."""
    if not -2**63 <= value < 2**64:
        raise OverflowError(f"int too big to convert: {value} is outside [-2**63, 2**64), as PyTorch reads a Python "
                            "int operand; give it as a float or a tensor")
    xp = tensor.backend.xp
    dtype = tensor.array.dtype
    if not xp.isdtype(dtype, "integral"):
        return value
    info = xp.iinfo(dtype)
    if info.min <= value <= info.max:
        return value
    return (value - info.min) % (info.max - info.min + 1) + info.min


def is_float(x: Any) -> bool:
    if isinstance(x, Tensor):
        return isdtype(x.backend.xp, x.array.dtype, _FLOATING)  # (cached: every arithmetic operator asks)
    return isinstance(x, float)


_FLOATING = ("real floating", "complex floating")


def kinds_agree(cls: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """PyTorch's promotion across kinds, the same on every backend (the standard leaves mixed kinds undefined).

    An integer or boolean tensor meeting a floating operand takes the floating tensor's dtype (float32 for a
    Python float), and true division of integers gives float32, as in PyTorch with its default dtype.
    """
    if cls is not Div or any(is_float(x) for x in (a, b)):  # (integers divided: each cast to float from its own
        a, b = _zero_dim_follows(a, b)                        # values, an int32 0-d -3 is not first uint8's 253)
    if type(a) is complex or type(b) is complex:
        return _with_complex_number(a, b)
    tensors = [x for x in (a, b) if isinstance(x, Tensor)]
    if len(tensors) == 2 and a.backend is not b.backend and a.backend != b.backend:
        return a, b  # two backends: the op's Function refuses them by name, before one library reads the other's dtype
    if all(is_float(t) for t in tensors):
        if len(tensors) == 2 and a.array.dtype != b.array.dtype:
            return _complex_pair(a, b)
        return a, b
    floating = next((t.array.dtype for t in tensors if is_float(t)), None)
    if floating is None and (cls is Div or any(isinstance(x, float) for x in (a, b))):
        floating = default_float()
    if floating is None:
        bools = [t for t in tensors if t.backend.xp.isdtype(t.array.dtype, "bool")]
        if not bools or len(bools) == 2 or any(isinstance(x, bool) for x in (a, b)):
            return a, b
        other = next((t.array.dtype for t in tensors if not any(t is u for u in bools)), "int64")
        return tuple(astype(x, other) if any(x is t for t in bools) else x for x in (a, b))  # type: ignore
    return tuple(astype(x, floating) if isinstance(x, Tensor) and not is_float(x) else x  # type: ignore
                 for x in (a, b))


def _complex_of(xp: Any, dtype: Any) -> Any:
    """The complex dtype of ``dtype``'s precision: complex128 for float64 (and complex128), else complex64."""
    return xp.complex128 if dtype in (xp.float64, xp.complex128) else xp.complex64


def _with_complex_number(a: Any, b: Any) -> tuple[Any, Any]:
    """A Python complex beside a tensor: a real or integer tensor becomes complex of its precision first, as
    PyTorch's (float32 * 1j is complex64, float64 * 1j complex128, int64 * 1j complex64); NumPy's and the
    standard's rules differ or refuse the mix."""
    tensor = a if isinstance(a, Tensor) else b
    xp = tensor.backend.xp
    if isdtype(xp, tensor.array.dtype, "complex floating"):
        return a, b
    cast = astype(tensor, _complex_of(xp, tensor.array.dtype))
    return (cast, b) if tensor is a else (a, cast)


def _complex_pair(a: Tensor, b: Tensor) -> tuple[Tensor, Tensor]:
    """A real floating tensor beside a complex one, both cast (recorded: the real one's gradient is the real part)
    to PyTorch's result: the complex dtype of the dimensioned operand's precision when the other is 0-d (float32
    with a complex128 0-d tensor is complex64), else the promoted dtype (float64 with complex64 is complex128)."""
    if a.backend != b.backend:  # two libraries: the Function names them both (BackendMismatch)
        return a, b
    xp = a.backend.xp
    complex_a, complex_b = (isdtype(xp, t.array.dtype, "complex floating") for t in (a, b))
    if complex_a == complex_b:
        return a, b
    if (a.array.ndim == 0) != (b.array.ndim == 0):
        dimensioned = a if b.array.ndim == 0 else b
        target = _complex_of(xp, dimensioned.array.dtype)
    else:
        target = _complex_of(xp, xp.result_type(a.array.dtype, b.array.dtype))
    return astype(a, target), astype(b, target)


def _kind(t: Tensor) -> str:
    xp = t.backend.xp
    if isdtype(xp, t.array.dtype, "complex floating"):
        return "complex"
    if isdtype(xp, t.array.dtype, "real floating"):
        return "floating"
    return "bool" if isdtype(xp, t.array.dtype, "bool") else "integral"


def _zero_dim_follows(a: Any, b: Any) -> tuple[Any, Any]:
    """PyTorch's rule for a 0-d tensor beside a tensor with dimensions of the same kind: the latter's dtype wins
    (float32 times a float64 0-d tensor is float32; int32 plus an int64 0-d tensor is int32). The cast is
    recorded, so the 0-d tensor's gradient comes back in its own dtype."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        return a, b
    da, db = a.array, b.array  # (every binary operator comes here: the common case, one dtype, leaves first)
    if da.dtype == db.dtype or (da.ndim == 0) == (db.ndim == 0):
        return a, b
    zero, other = (a, b) if da.ndim == 0 else (b, a)
    if _kind(zero) != _kind(other):
        return a, b
    cast = astype(zero, other.array.dtype)
    return (cast, b) if zero is a else (a, cast)


def astype(self: Tensor, dtype: Any) -> Any:
    native = self.backend.dtype(dtype)
    if native == self.array.dtype:
        return self
    xp = self.backend.xp
    if not xp.isdtype(native, ("real floating", "complex floating")):
        # an integer or boolean result carries no gradient: not recorded, requires_grad False (as PyTorch)
        return Tensor._make(elementwise.cast_array(xp, self.array, native), self.backend, None, 0)
    return elementwise.Cast.apply(self, dtype=native)


_scale_first_warned = [False]  # PyTorch warns once per process, at the first of these overloads used


def scale_first(name: str, scale: Any, rest: tuple[Any, ...], deprecated: str, wanted: str) -> tuple[Any, ...]:
    """The tensors after the scale in PyTorch's deprecated overload of ``name`` that takes its scale first
    (``p.add_(-lr, grad)``, ``exp_avg_sq.addcmul_(1 - beta2, g, g)`` in older optimizers), with PyTorch's warning
    (once). ``deprecated`` / ``wanted``: the old parameters (``"Number alpha, Tensor other"``) and the signature to
    use instead. Another count of arguments, or a scale that is not a number, is a `TypeError`, as PyTorch's."""
    if len(rest) != deprecated.count("Tensor") or not isinstance(scale, numbers.Number):
        raise TypeError(f"{name}() received an invalid combination of arguments: expected ({wanted}) or the "
                        f"deprecated ({deprecated}), got {1 + len(rest)} positional arguments")
    if not _scale_first_warned[0]:
        _scale_first_warned[0] = True
        warnings.warn(f"This overload of {name} is deprecated:\n\t{name}({deprecated})\nConsider using one of the "
                      f"following signatures instead:\n\t{name}({wanted})", UserWarning, stacklevel=3)
    return rest
