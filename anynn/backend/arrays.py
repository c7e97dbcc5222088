"""Array helpers the math shares: writes through an index (the ``at`` pattern), writeability, undoing
broadcasting (`sum_to_shape`), host checks.

Principle 8 (traceable math) lives here, in two rules:

**Writes.** ``at_set(x, index, value)`` / ``at_add(x, index, value)`` return ``x`` with ``x[index]``
set to (or increased by) ``value``. Where ``x`` is writeable (NumPy, PyTorch, CuPy, array_api_strict)
the write happens in place and ``x`` itself comes back, so the hot path costs one setitem; where it is
not (JAX arrays, jit tracers, read-only NumPy views) a new array comes back: the backend's ``at_set`` /
``at_add`` fast path (``x.at[index].set(value)`` on JAX), or the standard-only version in
`anynn.backend.portable` (``take`` + ``where``, basic indices only). Callers always use the returned
array, and write only into arrays they made themselves (never an input or a saved array).

**Host reads.** A check that needs a value on the host (labels in range, no NaN, a well-formed mask)
calls `any_true` / `check`, which read one boolean back from the device for a concrete array and never
force a value out of a traced one (``backend.is_traced``: jit tracers, recording arrays). There the
check is skipped (a documented rule: traced code is not validated, as PyTorch skips its own checks
under tracing), or, for a branch that only saves work, the general path is taken.
"""

from __future__ import annotations

import math
from typing import Any, Callable

from array_api_compat import is_numpy_array, is_writeable_array

from .base import Backend, dtype_name
from .devices import device_of, register_deviceless_type  # noqa: F401 - their home before devices.py
from .strides import row_major_strides  # noqa: F401 - read from here by functional/
from .typing import Namespace

_FLAGS = object()  # the rule of NumPy arrays: each array's own ``flags.writeable``
_WRITEABLE_RULES: dict[type, Any] = {}


_FLOAT16_MAX = 65504.0
_INT64_LIMIT = 2 ** 63


def integer_fill(xp: Namespace, dtype: Any, value: Any, name: str, *, wrapped: bool = False) -> Any:
    """``value`` as an element of ``dtype`` where that is an integer dtype, as PyTorch converts a fill value or a
    bound: in the dtype's range as it is; uint8 also takes -255..-1, wrapped (``-2`` is 254); a float cut toward
    zero (NaN, an infinity or a float beyond the range refused); anything else raises `RuntimeError` naming
    ``name`` and the dtype. A complex number into a real dtype is its real part where its imaginary part is 0,
    else PyTorch's `RuntimeError` (NumPy dropped it); into bool, its truth. A finite number beyond a floating
    dtype's range (1e40 into float32, 7e4 or 2**40 into float16) is PyTorch's `RuntimeError` too, and an int
    beyond 64 bits its `OverflowError` (its Scalar holds int64 or uint64); ``wrapped``: PyTorch makes the number a
    tensor first (``x[i] = v``, ``torch.where``) or fills one element (`one_element`), where only float32's range
    is checked (float16 and bfloat16 take inf). Values for other dtypes come back as given."""
    if isinstance(value, int) and not -_INT64_LIMIT <= value < 2 * _INT64_LIMIT:
        raise OverflowError(f"{name}: the value {value} does not fit 64 bits (int too big to convert), as in "
                            f"PyTorch")
    if isinstance(value, complex) and xp.isdtype(dtype, "bool"):
        return bool(value)
    if isinstance(value, complex) and not xp.isdtype(dtype, "complex floating"):
        if value.imag:
            raise RuntimeError(f"{name}: value {value} cannot be converted to type {dtype_name(dtype)} without "
                               f"overflow (an imaginary part into a real tensor), as in PyTorch")
        value = value.real
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > _FLOAT16_MAX and \
            math.isfinite(value) and xp.isdtype(dtype, "real floating") and \
            not (wrapped and dtype_name(dtype) != "float32") and abs(value) > float(xp.finfo(dtype).max):
        # (PyTorch's overflow check of a Scalar; an infinity or NaN passes)
        raise RuntimeError(f"{name}: value {value} cannot be converted to type {dtype_name(dtype)} without "
                           f"overflow (its largest value is {float(xp.finfo(dtype).max):g}), as in PyTorch")
    if isinstance(value, float) and xp.isdtype(dtype, "integral"):
        info = xp.iinfo(dtype)
        if not info.min <= value <= info.max:  # (NaN fails too)
            raise RuntimeError(f"{name}: value {value} cannot be converted to type {dtype_name(dtype)} without "
                               f"overflow (its range is {info.min}..{info.max}), as in PyTorch")
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool) or not xp.isdtype(dtype, "integral"):
        return value
    info = xp.iinfo(dtype)
    if info.min <= value <= info.max:
        return value
    if info.min == 0 and info.max == 255 and -255 <= value < 0:
        return value + 256
    raise RuntimeError(f"{name}: the value {value} cannot be converted to {dtype_name(dtype)} without overflow "
                       f"(its range is {info.min}..{info.max})")


def one_element(shape: Any) -> bool:
    """Whether a (static) ``shape`` holds exactly one element: PyTorch fills such a tensor through its scalar path,
    which checks a value against float32's range only (``full((1,), 1e5, dtype=float16)`` is inf, ``(2,)`` refused);
    the ``wrapped`` of `integer_fill`."""
    return all(isinstance(n, int) for n in shape) and math.prod(shape) == 1


def is_writeable(array: Any) -> bool:
    """``array_api_compat.is_writeable_array``, decided once per array type (NumPy: per array, by its flags)."""
    rule = _WRITEABLE_RULES.get(type(array))
    if rule is None:
        rule = _WRITEABLE_RULES[type(array)] = _FLAGS if is_numpy_array(array) else bool(is_writeable_array(array))
    return array.flags.writeable if rule is _FLAGS else rule  # type: ignore[no-any-return,return-value]


def register_immutable_type(kind: type) -> None:
    """Arrays of type ``kind`` are never written in place (`is_writeable` is False for them)."""
    _WRITEABLE_RULES[kind] = False




def sum_to_shape(xp: Namespace, grad: Any, shape: tuple[int, ...]) -> Any:
    """Undo broadcasting: sum ``grad`` down to ``shape``."""
    if tuple(grad.shape) == tuple(shape):
        return grad
    lead = grad.ndim - len(shape)
    if lead:
        grad = xp.sum(grad, axis=tuple(range(lead)))
    axes = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    return grad


# array types whose whole-array write is their own (see `write_all`): type -> writer
_WHOLE_WRITERS: dict[type, Callable[[Any, Any], None]] = {}


def write_all(x: Any, value: Any) -> None:
    """``x[...] = value`` (``value`` broadcast to ``x``), ``x`` keeping its identity as in PyTorch's in-place
    writes. A type registered with `register_whole_write` is written by its own writer (ndonnx: the array's value
    replaced, where ``x[...]`` records a ScatterND with one index per element)."""
    writer = _WHOLE_WRITERS.get(type(x))
    if writer is None:
        x[...] = value
    else:
        writer(x, value)


def register_whole_write(kind: type, writer: Callable[[Any, Any], None]) -> None:
    """`write_all` writes arrays of type ``kind`` with ``writer(x, value)``."""
    _WHOLE_WRITERS[kind] = writer


_COPYING_INDEX_TYPES: tuple[type, ...] = ()


def register_copying_index_type(kind: type) -> None:
    """Indexing an array of type ``kind`` gives a copy (ndonnx: a new recorded value), never a view sharing its
    memory: a change written into that copy reaches the source only when handed back (`index_copies`)."""
    global _COPYING_INDEX_TYPES
    if kind not in _COPYING_INDEX_TYPES:
        _COPYING_INDEX_TYPES = (*_COPYING_INDEX_TYPES, kind)


def index_copies(array: Any) -> bool:
    """Whether a slice of ``array`` is a copy rather than a view of it (see `register_copying_index_type`)."""
    return isinstance(array, _COPYING_INDEX_TYPES)


def reshape_copied(source: Any, result: Any) -> bool:
    """Whether ``result``, ``source`` reshaped, is a copy: ``source`` is a view (a transposed or strided slice of
    another array) whose layout allowed no view. NumPy, CuPy and PyTorch decide alike (PyTorch's ``reshape`` copies
    exactly where ``view`` would fail); an array-API-strict array wraps a NumPy one. A source that owns its memory
    counts as contiguous, whatever its layout: anynn makes such arrays out of place (an in-place change while
    recording) where PyTorch would have kept a contiguous storage. False where the library shows no views (JAX)."""
    source, result = getattr(source, "_array", source), getattr(result, "_array", result)
    base = getattr(result, "base", _NO_BASE)  # NumPy, CuPy: the array that owns the memory, or None
    if base is not _NO_BASE:
        source_base = getattr(source, "base", None)
    else:
        base = getattr(result, "_base", _NO_BASE)  # PyTorch
        if base is _NO_BASE:
            return False
        source_base = getattr(source, "_base", None)
    if source_base is None:
        return False
    return base is None or (base is not source and base is not source_base)


_NO_BASE = object()


def row_major(array: Any) -> bool | None:
    """Whether ``array``'s elements lie in row-major order (NumPy's and CuPy's C-contiguous flag, PyTorch's
    ``is_contiguous()``; an array-API-strict array wraps a NumPy one). None where the library shows no layout
    (JAX)."""
    inner = getattr(array, "_array", array)
    flags = getattr(inner, "flags", None)
    if flags is not None:
        return bool(flags.c_contiguous)
    check = getattr(inner, "is_contiguous", None)
    return bool(check()) if callable(check) else None


def memory_address(array: Any) -> tuple[int, int]:
    """``(address of the first element, its offset in elements from the start of its buffer)`` of ``array``:
    NumPy's array interface and base chain, CuPy's device pointer, PyTorch's ``data_ptr``/``storage_offset``; an
    array-API-strict array wraps a NumPy one. Where the library shows no address (JAX under tracing, ndonnx) the
    array's identity stands in, with offset 0: equal for the same array, distinct for live different ones."""
    inner = getattr(array, "_array", array)
    pointer = getattr(inner, "data_ptr", None)
    if callable(pointer):  # PyTorch
        return int(pointer()), int(inner.storage_offset())
    name = next((n for n in ("__array_interface__", "__cuda_array_interface__") if hasattr(inner, n)), None)
    if name is not None:  # NumPy, CuPy
        address = int(getattr(inner, name)["data"][0])
        root = inner
        while getattr(root, "base", None) is not None and hasattr(root.base, name):
            root = root.base
        start = int(getattr(root, name)["data"][0])
        itemsize = int(getattr(inner, "itemsize", 1)) or 1
        return address, max(address - start, 0) // itemsize
    buffer_pointer = getattr(inner, "unsafe_buffer_pointer", None)
    if callable(buffer_pointer):  # JAX, a concrete array
        try:
            return int(buffer_pointer()), 0
        except Exception:  # a tracer, or an array over several devices
            pass
    return id(inner), 0


def memory_extent(array: Any) -> tuple[int, int]:
    """``(address where array's buffer starts, its size in bytes)``: the whole buffer a view lies in (PyTorch's
    untyped storage, NumPy's and CuPy's base chain), so views of one buffer give one extent. Where the library
    shows no address (JAX under tracing, ndonnx) the array's identity and its own size stand in."""
    inner = getattr(array, "_array", array)
    storage = getattr(inner, "untyped_storage", None)
    if callable(storage):  # PyTorch
        whole = storage()
        return int(whole.data_ptr()), int(whole.nbytes())
    name = next((n for n in ("__array_interface__", "__cuda_array_interface__") if hasattr(inner, n)), None)
    if name is not None:  # NumPy, CuPy
        root = inner
        while getattr(root, "base", None) is not None and hasattr(root.base, name):
            root = root.base
        return int(getattr(root, name)["data"][0]), int(root.nbytes)
    address, _ = memory_address(array)
    return address, int(getattr(inner, "nbytes", 0))


def at_set(x: Any, index: Any, value: Any) -> Any:
    """``x`` with ``x[index] = value``: written into ``x`` where it is writeable, else a new array.

    ``value`` (an array or a number) broadcasts to ``x[index]``. Use the result; ``x`` must be an array
    the caller made (it may be changed in place).
    """
    if is_writeable(x):
        x[index] = value
        return x
    return _immutable("at_set", x, index, value)


def at_add(x: Any, index: Any, value: Any) -> Any:
    """``x`` with ``x[index] += value``: accumulated into ``x`` where it is writeable, else a new array.

    For basic indices (ints, slices, ``...``), which name each element once. Use the result; ``x`` must be
    an array the caller made.
    """
    if is_writeable(x):
        x[index] += value
        return x
    return _immutable("at_add", x, index, value)


# array types that record rather than compute (anynn Tensors in a create_graph backward): type -> the write
_recording_writes: dict[type, Any] = {}


def register_recording_type(kind: type, write: Any) -> None:
    """Route ``at_set``/``at_add`` on arrays of type ``kind`` to ``write(name, x, index, value)`` (never in place)."""
    _recording_writes[kind] = write
    register_immutable_type(kind)


def _immutable(name: str, x: Any, index: Any, value: Any) -> Any:
    from . import op
    from .registry import backend_of

    if _recording_writes:
        write = _recording_writes.get(type(x))
        if write is not None:
            return write(name, x, index, value)

    return op(backend_of(x), name)(x, index, value)


def is_concrete(backend: Backend, array: Any) -> bool:
    """True where ``array`` has a value to read back (not traced or recorded)."""
    return not backend.is_traced(array)


def any_true(backend: Backend, condition: Any, if_traced: bool = False) -> bool:
    """Whether any element of the boolean array ``condition`` is True: one boolean read from the device.

    A traced ``condition`` has no value: the answer is ``if_traced`` (False for checks, which are then
    skipped; True for a branch that only saves work, so the general path runs).
    """
    if backend.is_traced(condition):
        return if_traced
    return bool(backend.to_host(backend.xp.any(condition)))


def first_true(backend: Backend, condition: Any, values: Any) -> tuple[int, Any]:
    """``(flat position, value)`` of the first element where ``condition`` holds (for error messages only)."""
    host_condition = backend.to_host(condition).reshape(-1)
    position = int(host_condition.argmax())
    return position, backend.to_host(values).reshape(-1)[position].item()


def check(backend: Backend, bad: Any, message: str, values: Any = None,
          error: type[Exception] = ValueError) -> None:
    """Raise ``error(message)`` if any element of the boolean array ``bad`` is True (skipped when traced).

    With ``values`` (an array of ``bad``'s shape), ``{value}`` and ``{position}`` in the message become the
    first offending value and its flat position (appended if the message has neither).
    """
    if not any_true(backend, bad):
        return
    if values is not None:
        position, value = first_true(backend, bad, values)
        if "{value}" not in message and "{position}" not in message:
            message += ", got {value} at flat position {position}"
        message = message.replace("{value}", str(value)).replace("{position}", str(position))
    raise error(message)


def check_range(backend: Backend, indices: Any, low: int, high: int, message: str,
                error: type[Exception] = IndexError) -> None:
    """Raise ``error`` unless every element of the integer array ``indices`` is in ``[low, high)``.

    ``{value}`` in ``message`` becomes the offending index: the smallest if one is below ``low``, else the
    largest (one boolean read when all are in range; skipped when traced).
    """
    xp = backend.xp
    if not any_true(backend, (indices < low) | (indices >= high)):
        return
    bad = backend.to_host(xp.min(indices)).item()
    if bad >= low:
        bad = backend.to_host(xp.max(indices)).item()
    raise error(message.replace("{value}", str(bad)))
