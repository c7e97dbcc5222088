"""Checks of array *values* at the public boundary, with errors that name the caller: values in a function's
domain (`check_values`) and integer index Tensors (`check_indices`: embedding lookups, unpooling).

One mechanism for every such check (principle 8): `anynn.backend.arrays.check`, which reads one boolean
back from the device for a concrete array and skips a traced one (``backend.is_traced``: jax.jit tracers,
recording arrays), as PyTorch skips its own checks under tracing. This module adds the error class the
losses raise.
"""

from __future__ import annotations

import math
import numbers
import operator
from typing import Any

from ..autograd.primitive import NotATensorError, require_tensor  # noqa: F401  (Functions import it from here)
from ..autograd.tensor import Tensor
from ..backend import Backend, BackendMismatch, dtype_name
from ..backend.arrays import check, check_range


class InvalidValueError(ValueError, RuntimeError):
    """Values outside a function's domain (PyTorch raises ``RuntimeError`` there; a ``ValueError`` too)."""


class UnsupportedDTypeError(TypeError, RuntimeError):
    """A dtype an op does not take (PyTorch raises ``RuntimeError`` there; a ``TypeError`` too)."""


class KernelNotImplementedError(UnsupportedDTypeError, NotImplementedError):
    """A dtype PyTorch's kernel has no implementation for (it raises ``NotImplementedError``, "... not implemented for
    'Bool'"); a ``TypeError`` too."""


class DTypeMismatchError(TypeError, RuntimeError):
    """Operands of one op in two dtypes (PyTorch raises ``RuntimeError`` there; a ``TypeError`` too)."""


class EmptyReductionError(IndexError, RuntimeError):
    """A max/min/argmax/argmin over no elements, which has no identity (PyTorch raises ``IndexError`` for an empty
    dim, ``RuntimeError`` for an empty tensor without one)."""


class IndexingError(IndexError, RuntimeError):
    """A bad index Tensor (dtype, shape or value). PyTorch raises ``IndexError`` for some of these operations and
    ``RuntimeError`` for others; this is both, so code written for either catches it."""


class ShapeMismatchError(ValueError, RuntimeError):
    """Operands whose shapes cannot go together (PyTorch raises ``RuntimeError`` there; a ``ValueError`` too)."""


def check_same_dtype(op_name: str, names: tuple[str, ...], operands: tuple[Any, ...]) -> None:
    """Raise `DTypeMismatchError` naming ``op_name`` and each operand's dtype unless the operands (Tensors or
    native arrays; None skipped) share one dtype, as PyTorch's products, convolutions and attention require
    rather than promoting. Called inside ``forward`` where autocast has already cast the operands."""
    first = operands[0].dtype  # the hot path (every linear, product and convolution): one comparison per operand
    for x in operands[1:]:
        if x is not None and x.dtype != first:
            break
    else:
        return
    check_one_backend(op_name, *operands)  # (two libraries' dtypes never compare equal)
    present = [(name, data_dtype(x)) for name, x in zip(names, operands) if x is not None]
    first = present[0][1]
    if all(dtype == first for _, dtype in present[1:]):
        return
    listed = ", ".join(f"{name} {dtype_name(dtype)}" for name, dtype in present)
    raise DTypeMismatchError(f"{op_name}: expected operands of one dtype, got {listed}; cast them to one dtype "
                             f"first (x.to(dtype))")


def check_floating(name: str, x: Any, hint: str = "cast it first (x.float())") -> None:
    """Raise `KernelNotImplementedError` naming ``name`` unless ``x`` (a Tensor) is floating point or complex, as
    PyTorch requires of ``mean``/``var``, softmax, the smooth activations and the normalisations (its kernels for
    integers are "not implemented"); ``hint`` ends the message."""
    if not is_floating(x):
        raise KernelNotImplementedError(f"{name}(): expected a floating point or complex input, got dtype "
                                        f"{dtype_name(data_dtype(x))}; {hint}")


def _complex_whose(torch_supports: bool) -> str:
    """Whose refusal a complex refusal is: PyTorch's too, or anynn's alone (a row of the differences page)."""
    return ("PyTorch supports it, anynn does not (docs: Differences from PyTorch)" if torch_supports
            else "as PyTorch's")


def check_real_floating(name: str, x: Any, hint: str = "cast it first (x.float())", *,
                        torch_supports: bool = False) -> None:
    """`check_floating`, and complex inputs refused too (a `KernelNotImplementedError` naming ``name``), as PyTorch
    refuses them for the rectifiers, the softmax family, clamping and the normalisations: their formulas order
    values, which complex numbers have no order for (``torch_supports``: PyTorch computes it; the message says
    so)."""
    check_floating(name, x, hint)
    if is_complex_dtype(data_dtype(x)):
        raise KernelNotImplementedError(f"{name}(): not implemented for complex tensors (got dtype "
                                        f"{dtype_name(data_dtype(x))}), {_complex_whose(torch_supports)}; apply it "
                                        f"to x.real, x.abs() or x.angle() instead")


# id(native dtype) -> (dtype, floating point or complex): keyed by identity, as dtypes of two libraries may hash
# and compare alike (array_api_strict's float32 warns when compared with NumPy's); the entry holds the dtype, so
# its id is not reused while the entry lives
_FLOATING: dict[int, tuple[Any, bool]] = {}


def is_floating(x: Any) -> bool:
    """Whether ``x`` (a Tensor or native array) is floating point or complex; about 0.1 us, as the activations and
    reductions ask it on every call (``Tensor.dtype`` and ``xp.isdtype`` cost ten times that)."""
    dtype = data_dtype(x)
    hit = _FLOATING.get(id(dtype))
    if hit is not None and hit[0] is dtype:
        return hit[1]
    answer = dtype_name(dtype).startswith(("float", "bfloat", "complex"))
    if len(_FLOATING) >= 256:  # dtypes made on the fly: keep the table small
        _FLOATING.clear()
    _FLOATING[id(dtype)] = (dtype, answer)
    return answer


_COMPLEX: dict[int, tuple[Any, bool]] = {}
_REAL_FLOATING: dict[int, tuple[Any, bool]] = {}


def is_real_floating(x: Any) -> bool:
    """Whether ``x`` (a Tensor or native array) is real floating point (complex is not); cached as `is_floating`."""
    dtype = data_dtype(x)
    hit = _REAL_FLOATING.get(id(dtype))
    if hit is not None and hit[0] is dtype:
        return hit[1]
    answer = dtype_name(dtype).startswith(("float", "bfloat"))
    if len(_REAL_FLOATING) >= 256:
        _REAL_FLOATING.clear()
    _REAL_FLOATING[id(dtype)] = (dtype, answer)
    return answer


def is_complex_dtype(dtype: Any) -> bool:
    """Whether a native ``dtype`` is complex64 or complex128 (cached by identity as `is_floating`: ~0.1 us)."""
    hit = _COMPLEX.get(id(dtype))
    if hit is not None and hit[0] is dtype:
        return hit[1]
    answer = dtype_name(dtype).startswith("complex")
    if len(_COMPLEX) >= 256:
        _COMPLEX.clear()
    _COMPLEX[id(dtype)] = (dtype, answer)
    return answer


def data_dtype(x: Any) -> Any:
    """The native dtype of a Tensor (its array's, without `Tensor.dtype`'s conversion) or of a native array; PyTorch's
    TypeError for anything else (``F.relu([1.0])``: a list has no dtype), an AttributeError too (PyTorch's
    Python-written functions, ``F.softmax([1.0])``, trip on the missing method)."""
    if isinstance(x, Tensor):
        return x.array.dtype
    try:
        return x.dtype
    except AttributeError:
        raise NotATensorError(f"argument 'input' must be Tensor, not {type(x).__name__}") from None


def check_one_backend(name: str, *operands: Any) -> None:
    """Raise `BackendMismatch` naming ``name`` unless the Tensors among ``operands`` share one backend and every
    native array among them (accepted where a Tensor is) is one of that backend's: checked before an op asks one
    array library about another's dtypes or arrays (principle 7). Numbers and None pass; a list or tuple beside a
    Tensor raises `TypeError`, as PyTorch's "must be Tensor, not list"."""
    backend = None
    loose = False
    for x in operands:
        if isinstance(x, Tensor):
            if backend is None:
                backend = x.backend
            elif x.backend is not backend and x.backend != backend:
                raise BackendMismatch(f"{name}: the operands live on two backends, {backend.key!r} and "
                                      f"{x.backend.key!r}; move one with .to({backend.key!r})")
        elif x is not None and not isinstance(x, (int, float, complex)):
            loose = True
    if loose and backend is not None:
        for x in operands:
            if isinstance(x, (list, tuple)):
                raise TypeError(f"{name}(): expected Tensors, got a {type(x).__name__} beside them; wrap it with "
                                f"anynn.tensor(..., backend={backend.key!r})")
            # (0-d: NumPy scalars stand for numbers, as in PyTorch)
            if not isinstance(x, Tensor) and getattr(x, "shape", ()) != () and not backend.is_native(x):
                raise BackendMismatch(f"{name}: an operand is a {type(x).__module__}.{type(x).__name__}, not an "
                                      f"array of the other operands' backend {backend.key!r}; wrap it with "
                                      f"anynn.tensor(..., backend={backend.key!r})")


def check_tensor_arguments(name: str, **arguments: Any) -> None:
    """Each argument must be an anynn Tensor (PyTorch: "argument 'x2' (position 2) must be Tensor, not
    numpy.ndarray"), and all on one backend: a `TypeError` or `BackendMismatch` naming ``name``."""
    for what, value in arguments.items():
        if not isinstance(value, Tensor):
            kind = type(value)
            raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {kind.__module__}.{kind.__name__}; "
                            f"wrap it with anynn.tensor(...)".replace("builtins.", ""))
    check_one_backend(name, *arguments.values())


_POSITIONS = {"input": 1, "other": 2, "end": 2, "tensor1": 2, "tensor2": 3}


def refuse_numbers(name: str, **arguments: Any) -> None:
    """Raise PyTorch's `TypeError` ("maximum(): argument 'other' (position 2) must be Tensor, not int") where one of
    ``arguments`` (``input``, ``other``, ``end``, ``tensor1``, ``tensor2``: the ones ``name`` takes as a Tensor only,
    with no number overload in PyTorch) is a Python number; a Tensor or a backend's native array passes."""
    for what, value in arguments.items():
        if isinstance(value, (bool, int, float, complex)):
            raise TypeError(f"{name}(): argument '{what}' (position {_POSITIONS[what]}) must be Tensor, not "
                            f"{type(value).__name__}, as in PyTorch; wrap the number: anynn.tensor({value!r})")


def refuse_complex(name: str, *operands: Any, torch_supports: bool = False) -> None:
    """Raise `KernelNotImplementedError` naming ``name`` if an operand (Tensor or native array; numbers and None
    pass) is complex: ``name`` orders its values (clamp, max, relu...), which complex numbers have no order for, and
    PyTorch refuses them too, as NotImplementedError or RuntimeError ("clamp is not supported for complex types")
    (``torch_supports``: PyTorch computes it, and the message says so)."""
    for x in operands:
        dtype = x.array.dtype if isinstance(x, Tensor) else getattr(x, "dtype", None)
        if dtype is not None and is_complex_dtype(dtype):
            raise KernelNotImplementedError(f"{name} is not supported for complex tensors (got dtype "
                                            f"{dtype_name(dtype)}), {_complex_whose(torch_supports)}; apply it to "
                                            "x.real, x.abs() or x.angle() instead")


def refuse_boolean_subtraction(a: Any, b: Any) -> None:
    """PyTorch's refusal of ``-`` with a boolean operand (a bool tensor or a Python bool; ``1 - mask`` too), where
    the array libraries subtract 0/1 or raise their own error."""
    flags = [isinstance(v, bool) or isinstance(v, Tensor) and dtype_name(v.dtype) == "bool" for v in (a, b)]
    if all(flags):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not supported. Use the `^` or "
                           "`logical_xor()` operator instead.")
    if any(flags):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. If you are trying to "
                           "invert a mask, use the `~` or `logical_not()` operator instead.")


def refuse_boolean_pair(name: str, kernel: str, a: Any, b: Any) -> None:
    """PyTorch's refusal of ``name`` where both operands are boolean (bool tensors or Python bools: the result dtype
    is bool), which its ``kernel`` has no implementation for (``b // b``, ``b % b``, ``fmod``, ``b ** b``); the array
    libraries compute them on 0/1 as int8 or raise their own error."""
    if all(isinstance(v, bool) or isinstance(v, Tensor) and dtype_name(v.dtype) == "bool" for v in (a, b)):
        raise KernelNotImplementedError(f"{name}: \"{kernel}\" not implemented for 'Bool' (two boolean operands), "
                                        f"as in PyTorch; cast one first (x.long())")


def refuse_boolean(name: str, kernel: str, *operands: Any) -> None:
    """PyTorch's refusal of ``name`` for a boolean tensor among ``operands`` (its ``kernel`` has no boolean version:
    ``median``, ``kthvalue``, ``topk``, ``isin``), where the array libraries order booleans as 0 < 1."""
    if any(isinstance(v, Tensor) and dtype_name(v.dtype) == "bool" for v in operands):
        raise KernelNotImplementedError(f"{name}: \"{kernel}\" not implemented for 'Bool', as in PyTorch; cast the "
                                        f"tensor first (x.long())")


_TORCH_DTYPE_NAMES = {"bool": "Bool", "uint8": "Byte", "int8": "Char", "int16": "Short", "int32": "Int",
                      "int64": "Long", "float16": "Half", "bfloat16": "BFloat16", "complex64": "ComplexFloat",
                      "complex128": "ComplexDouble", "float32": "Float", "float64": "Double"}


def refuse_kernel(name: str, kernel: str, kinds: tuple[str, ...], *operands: Any) -> None:
    """PyTorch's refusal of ``name`` where its ``kernel`` has no version for the dtype of a Tensor among
    ``operands``, whose kind (``"bool"``, ``"integral"``, ``"real floating"``, ``"complex floating"``) or dtype name
    (``"uint8"``) is one of ``kinds``: `KernelNotImplementedError` ('"cummax_cpu" not implemented for
    'ComplexFloat'')."""
    for v in operands:
        if not isinstance(v, Tensor):
            continue
        dtype, xp = v.array.dtype, v.backend.xp
        named = dtype_name(v.dtype)
        kinds_asked = (k for k in kinds if k in ("bool", "integral", "real floating", "complex floating"))
        if named in kinds or any(xp.isdtype(dtype, k) for k in kinds_asked):
            raise KernelNotImplementedError(f"{name}: \"{kernel}\" not implemented for "
                                            f"'{_TORCH_DTYPE_NAMES.get(named, named)}', as in PyTorch; cast the tensor "
                                            f"first")


# the decompositions whose integer input reaches a kernel without an integer version (NotImplementedError in
# PyTorch, '"lu_cpu" not implemented for 'Long''), where the others check the dtype first (RuntimeError)
_LINALG_KERNELS = {"linalg.eigh": "linalg_eigh_cpu", "linalg.eigvalsh": "linalg_eigh_cpu", "linalg.lu_factor": "lu_cpu",
                   "linalg.lu_factor_ex": "lu_cpu", "linalg.solve_triangular": "triangular_solve_cpu",
                   "linalg.cholesky_inverse": "cholesky_inverse_out_cpu", "linalg.cholesky_solve": "cholesky_solve_cpu",
                   "torch.geqrf": "geqrf_cpu", "torch.linalg.householder_product": "orgqr_cpu"}


def linalg_dtype_error(op: str, dtype: Any) -> RuntimeError:
    """The error of a decomposition given a ``dtype`` it does not take: PyTorch's words for integers (and its
    `KernelNotImplementedError` where its kernel is what refuses them), and for complex ones a plain statement that
    anynn's linalg Functions are real-only (their gradients use transposes where complex inputs need conjugate
    transposes), so that no complex gradient comes out wrong."""
    name = dtype_name(dtype)
    if name.startswith("complex"):
        return RuntimeError(f"{op}: complex tensors are not supported by anynn's linear algebra yet (got {name}); "
                            f"PyTorch supports them. Use a real formulation, e.g. [[Re, -Im], [Im, Re]] blocks")
    message = f"{op}: Expected a floating point or complex tensor as input. Got {name}"
    if op in _LINALG_KERNELS and not name.startswith(("float", "bfloat")):
        return KernelNotImplementedError(f"{message} (\"{_LINALG_KERNELS[op]}\" not implemented for "
                                         f"'{_TORCH_DTYPE_NAMES.get(name, name)}', as in PyTorch)")
    return RuntimeError(message)


class IntegerDivisionByZero(RuntimeError, ZeroDivisionError):
    """An integer divided by zero (PyTorch raises ``RuntimeError: ZeroDivisionError``; a ``ZeroDivisionError`` too)."""


def check_integer_divisor(name: str, backend: Backend, divisor: Any, dividend: Any = None) -> None:
    """Raise `IntegerDivisionByZero` naming ``name`` if the integer array ``divisor`` holds a zero (NumPy gives 0 with
    a warning, PyTorch refuses on CPU); floating divisors give inf/nan and are not checked, nor is a division whose
    result, broadcast with ``dividend``, is empty (PyTorch divides nothing there). One host read."""
    if is_floating(divisor) or "bool" in dtype_name(divisor.dtype):
        return
    if dividend is not None and 0 in (*_shape(dividend), *_shape(divisor)):
        return
    check(backend, divisor == 0, f"{name}: integer division by zero", error=IntegerDivisionByZero)


def _shape(array: Any) -> tuple[Any, ...]:
    """The shape of an array or of a number (())."""
    return tuple(getattr(array, "shape", ()))


def check_values(backend: Backend, bad: Any, message: str, values: Any = None,
                 error: type[Exception] = InvalidValueError) -> None:
    """Raise ``error(message)`` if any element of the boolean array ``bad`` is True (`anynn.backend.arrays.check`).

    With ``values`` (an array of ``bad``'s shape), ``{value}`` and ``{position}`` in the message become the
    first offending value and its flat position (appended if the message has neither). Does nothing on
    traced arrays.
    """
    check(backend, bad, message, values=values, error=error)


def array_on_backend(value: Tensor, backend: Backend, where: str, what: str, other: str) -> Any:
    """``value``'s native array, refused (`BackendMismatch`) unless ``value`` lives on ``backend``.

    The message reads ``"{where}: {what} lives on backend 'a', {other} on 'b'; move it with .to('b')"``.
    """
    if value.backend != backend:
        raise BackendMismatch(f"{where}: {what} lives on backend {value.backend.key!r}, {other} on {backend.key!r}; "
                              f"move it with .to({backend.key!r})")
    return value.array


def check_indices(name: str, indices: Any, like: Tensor, like_what: str, dtype_hint: str, bound: int,
                  range_what: str, shape: tuple[int, ...] | None = None, suffix: str = "",
                  dtypes: tuple[str, ...] | None = None) -> None:
    """Raise unless ``indices`` is an integer Tensor on ``like``'s backend with every value in ``[0, bound)``.

    ``like_what`` names ``like`` in messages ("weight", "input"); ``dtype_hint`` says which dtypes are
    expected; ``dtypes``, if given, are the only integer dtypes accepted (PyTorch's embedding takes int32 and
    int64 and refuses uint8/int16); ``range_what`` says what ``bound`` counts; ``shape``, if given, is the
    shape required.
    The range check reads one boolean back from the device (`check_range`; skipped on traced arrays).
    """
    if not isinstance(indices, Tensor):
        raise NotATensorError(f"{name}: expected an integer anynn Tensor of indices, got "
                              f"{type(indices).__module__}.{type(indices).__name__}; wrap it with anynn.tensor(...)")
    if indices.backend != like.backend:
        raise BackendMismatch(f"{name}: indices are on backend {indices.backend.key!r} but the {like_what} is on "
                              f"{like.backend.key!r}; move one with .to(...)")
    kind = dtype_name(indices.dtype)
    if not kind.startswith(("int", "uint")) or (dtypes is not None and kind not in dtypes):
        raise UnsupportedDTypeError(f"{name}: expected integer indices ({dtype_hint}), got dtype {kind}")
    if shape is not None and tuple(indices.shape) != tuple(shape):
        raise ValueError(f"{name}: expected indices of the {like_what}'s shape {shape}, got indices of shape "
                         f"{indices.shape}")
    if 0 in tuple(indices.shape):  # (not .size: a symbolic axis of a recorded array has no count)
        return
    # PyTorch: IndexError for embedding, RuntimeError for embedding_bag and max_unpool
    check_range(indices.backend, indices.array, 0, bound,
                f"{name}: index {{value}} is out of range for {range_what} (expected 0 <= index < {bound}){suffix}",
                error=IndexingError)


def refuse_bool_dims(name: str, dims: Any, argument: str = "dim") -> None:
    """Raise PyTorch's `TypeError` naming ``name`` and ``argument`` where ``dims`` (one dim, or a tuple or list of
    them) is a bool or starts with one: PyTorch's int and int-tuple arguments refuse it, where Python would read it
    as axis 0 or 1 (``x.squeeze(True)``, ``x.flip((True,))``, ``x.sum((True,))``: meant as ``keepdim``, they took
    axis 1). PyTorch's parser looks at a tuple's first entry only, so ``(0, True)`` is axes 0 and 1 there too."""
    if isinstance(dims, bool) or (isinstance(dims, (tuple, list)) and dims and isinstance(dims[0], bool)):
        raise TypeError(f"{name}(): argument '{argument}' must be an int or a tuple of ints, got {dims!r} (a bool is "
                        f"no dim, as in PyTorch)")


def one_dim(name: str, dim: Any, argument: str = "dim") -> int:
    """``dim`` of an argument that PyTorch types as one int (``movedim``'s pair, ``unflatten``, ``renorm``,
    ``repeat_interleave``, ``cosine_similarity``...) as a Python int (a NumPy integer or a 0-d integer Tensor read,
    as `python_ints`), else PyTorch's `TypeError`: a list, tuple, float, bool, str or None there was read as its
    first item, truncated, or as axis 0/1 before."""
    value = python_ints(dim)
    if type(value) is not int:
        raise TypeError(f"{name}(): argument '{argument}' must be int, not {type(dim).__name__} ({dim!r}), as in "
                        "PyTorch")
    return value


def refuse_single_tensor(name: str, tensors: Any) -> None:
    """PyTorch's `TypeError` where a joining function (``cat``, ``stack``, ``hstack``...) is given one tensor in place
    of a sequence of them: iterated, its rows were joined (``torch.cat(x)`` flattened x, ``stack(x)`` copied it);
    and where an element of the sequence is no Tensor (nor a native array): a number, list or None gave an
    AttributeError ('int' object has no attribute 'shape'), or a nested list was converted by ``stack``."""
    if isinstance(tensors, Tensor):
        raise TypeError(f"{name}(): argument 'tensors' (position 1) must be tuple of Tensors, not Tensor")
    for i, t in enumerate(tensors if isinstance(tensors, (list, tuple)) else ()):
        if not isinstance(t, Tensor) and not hasattr(t, "ndim"):
            raise NotATensorError(f"{name}(): expected Tensor as element {i} in argument 0, but got "
                                  f"{type(t).__name__}, as PyTorch")


def python_ints(value: Any) -> Any:
    """NumPy's integers (any non-bool ``numbers.Integral`` that is no Python int: ``np.int64(2)``, the type of
    ``np.prod(shape)`` and ``rng.integers(...)``) as Python ints, alone or inside a tuple or list (a tuple back);
    other values as given. PyTorch's int and int-tuple arguments take them (its parser reads ``__index__``):
    ``F.max_pool2d(x, np.int64(2))``, ``x.squeeze(np.int64(0))``. A 0-d integer Tensor too, as PyTorch reads it
    (``x.squeeze(torch.tensor(0))``: 'iteration over a 0-d tensor' before). A bool stays a bool, for the refusals."""
    kind = type(value)
    if kind is int or value is None:
        return value
    if kind is tuple or kind is list or isinstance(value, (tuple, list)):  # (a shape: its Python ints asked cheaply)
        for v in value:
            if type(v) is not int and _foreign_int(v):
                return tuple(operator.index(v) if _foreign_int(v) else v for v in value)
        return value
    if _foreign_int(value):
        return operator.index(value)
    return value


def _foreign_int(value: Any) -> bool:
    """An integer that is no Python int: a NumPy integer, or a 0-d integer (not bool) Tensor whose value is known
    (a recorded or traced one, an ONNX export's, stays as it is)."""
    if isinstance(value, Tensor):
        return (value.array.ndim == 0 and dtype_name(value.array.dtype).startswith(("int", "uint"))
                and not value.backend.is_traced(value.array))
    return isinstance(value, numbers.Integral) and not isinstance(value, int)


def python_number(value: Any) -> Any:
    """A NumPy number given for one of PyTorch's Scalar arguments (a bound, a fill value: ``clamp(x, 0,
    np.log(100))``) as the Python int or float PyTorch reads it as; other values (Tensors, arrays, Python numbers,
    None) as given. The standard's functions take Python scalars only (array-api-strict refuses ``np.float64``, and
    JAX promotes float32 by it to float64)."""
    if type(value) in (int, float) or isinstance(value, bool) or not isinstance(value, numbers.Real):
        return value
    return operator.index(value) if isinstance(value, numbers.Integral) else float(value)


def refuse_float_ints(name: str, **arguments: Any) -> None:
    """PyTorch's `TypeError` where a float (or a sequence holding one) goes in an int argument of ``name``:
    ``x.repeat(1.5, 1)``, ``x.tril(0.5)``, ``one_hot(t, 2.5)`` were cut to ints silently (``n / 2`` is a float in
    Python 3). A bool or a string is PyTorch's TypeError too (``x.tril(True)`` was diagonal 1, ``x.repeat("a", 1)``
    a ValueError). In a sequence a bool passes as an int after the first item, as PyTorch's parser reads it
    (``x.view(12, True)`` is (12, 1); ``x.repeat((True,))`` is refused). Symbolic sizes and NumPy's integers pass."""
    for argument, value in arguments.items():
        for i, v in enumerate(value if isinstance(value, (tuple, list)) else (value,)):
            if isinstance(v, (float, str)) or (isinstance(v, bool) and i == 0):
                raise TypeError(f"{name}(): argument '{argument}' must be int, not {type(v).__name__} ({v!r}), as in "
                                "PyTorch")


def checked_dim(name: str, x: Tensor, dim: int) -> int:
    """``dim`` as a non-negative axis of ``x`` (a 0-d tensor takes dims 0 and -1, as PyTorch's); IndexError naming
    ``name``, the shape and the accepted range otherwise; a bool is a `TypeError`, as PyTorch's (not dim 0 or 1)."""
    refuse_bool_dims(name, dim)
    ndim = max(x.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor of shape {tuple(x.shape)} "
                         f"(expected in [{-ndim}, {ndim - 1}])")
    return dim % ndim


def check_draw_range(name: str, a: float, b: float, infinite: bool = False) -> None:
    """Refuse, naming ``name``, a range [a, b] to draw from that is no range, as PyTorch (NumPy said 'high - low
    < 0', or nothing); ``infinite`` bounds are accepted (trunc_normal_'s, as PyTorch's), NaN never."""
    if not all(math.isfinite(v) or (infinite and math.isinf(v)) for v in (a, b)):
        raise InvalidValueError(f"{name}: expected {'non-NaN' if infinite else 'finite'} bounds, got a={a}, b={b}")
    if a > b:
        raise InvalidValueError(f"{name}: expects a [a, b] range with a <= b, but found a={a} > b={b}")


def check_draw_std(name: str, std: float) -> None:
    """Refuse, naming ``name``, a standard deviation below 0 or NaN, as PyTorch (NumPy said 'scale < 0')."""
    if not std >= 0:
        raise InvalidValueError(f"{name}: expects std >= 0.0, but found std={std}")


def check_reducible(name: str, x: Any, axis: Any) -> None:
    """Refuse, as PyTorch, ``name`` (max, amin, argmax...) over ``axis`` of ``x`` where that holds no elements:
    NumPy said 'zero-size array to reduction operation maximum which has no identity'. Symbolic sizes pass."""
    shape = tuple(getattr(x, "shape", ()))
    if not shape or 0 not in shape or not all(isinstance(n, int) for n in shape):
        return
    if axis is None:
        raise EmptyReductionError(f"{name}(): Expected reduction dim to be specified for input.numel() == 0. "
                                  f"Specify the reduction dim with the 'dim' argument.")
    for a in (axis if isinstance(axis, (tuple, list)) else (axis,)):
        if -len(shape) <= int(a) < len(shape) and shape[int(a)] == 0:
            raise EmptyReductionError(f"{name}(): Expected reduction dim {int(a) % len(shape)} to have non-zero "
                                      f"size (input of shape {shape}).")


def explain_shape_failure(name: str, a: Any, b: Any, matmul: bool, error: Exception) -> None:
    """Raise `ShapeMismatchError` from ``error`` naming ``name`` and both shapes when the shapes of ``a`` and ``b``
    (Tensors or numbers) cannot go together: they do not broadcast, or (``matmul``) the inner sizes differ. Each
    library said it its own way and class (NumPy: 'operands could not be broadcast together with shapes (2,)
    (3,)', ValueError; torch: RuntimeError). Called only once the op raised; returns if the shapes were fine."""
    left, right = tuple(getattr(a, "shape", ())), tuple(getattr(b, "shape", ()))
    if not all(type(n) is int for n in left + right):
        return
    if matmul and not (left and right):
        raise ShapeMismatchError(f"{name}: both arguments to matmul need to be at least 1D, but they are "
                                 f"{len(left)}D and {len(right)}D") from error
    if matmul and left and right:
        inner = right[-2] if len(right) >= 2 else right[0]
        if left[-1] != inner:
            raise ShapeMismatchError(f"{name}: shapes {left} and {right} cannot be multiplied ({left[-1]} columns "
                                     f"against {inner} rows)") from error
        left, right = left[:-2], right[:-2]  # the batch dims broadcast
    width = max(len(left), len(right))
    for k in range(1, min(len(left), len(right)) + 1):
        n, m = left[-k], right[-k]
        if n != m and n != 1 and m != 1:
            raise ShapeMismatchError(f"{name}: the size of tensor a ({n}) must match the size of tensor b ({m}) at "
                                     f"non-singleton dimension {width - k} (shapes {tuple(getattr(a, 'shape', ()))} "
                                     f"and {tuple(getattr(b, 'shape', ()))})") from error
