"""The Tensor surface: one table of `Tensor`'s methods, installed once by `install`.

`Tensor` lives in ``autograd`` (the lower layer); its arithmetic is made of the Functions defined in
this package, so `install` puts them on the class when ``anynn.functional`` is imported (``import anynn``
does it). The operators are defined here; the other families come from `tensor_extras` (PyTorch's
reductions and spellings), `torch_surface`, `tensor_math`, `inplace` and the graph engine's
``backward``/``register_hook``; a name defined by two of them stops the import.
"""

from __future__ import annotations

import functools
import inspect
import numbers
import warnings
from typing import Any

from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, dtype_name
from . import activation, activation_shrink, dtype_view, elementwise, linalg, shape
from .elementwise import Add, Div, Mul, Neg, Pow, PowTensor, Sub
from .operands import ForeignOperandError
from .operands import astype as _astype
from .operands import is_float
from .numpy_spellings import with_numpy_spellings
from .precision import is_low_precision
from .operands import kinds_agree as _kinds_agree
from .operands import operand as _operand
from .value_checks import explain_shape_failure, refuse_boolean_pair, refuse_boolean_subtraction, refuse_complex


def _binary(cls: Any, reflected: bool = False, promote: bool = True) -> Any:
    # promote=False: PyTorch's products take no mixed kinds (int @ float raises), the Function checks the dtypes
    def method(self: Tensor, other: Any) -> Any:
        if not promote and isinstance(other, numbers.Number):
            return NotImplemented  # x @ 2: Python's TypeError (unsupported operand), as PyTorch's
        if cls is Div and isinstance(other, numbers.Integral):
            other = float(other)  # a quotient is floating: the number is not wrapped into an integer dtype first
            # (nor a bool left beside a floating array, which array-api-strict refuses: b / True)
        # 2 * x and 2 + x are recorded as x * 2 and x + 2 (the same values), as PyTorch's: the tensor's producer
        # is the node's first input (grad_fn.next_functions[0]), which tutorials walk
        if cls is Sub:
            refuse_boolean_subtraction(self, other)
        swap = reflected and not (cls in (Add, Mul) and isinstance(other, numbers.Number))
        try:
            other = _operand(self, other)
        except ForeignOperandError:
            return NotImplemented  # Python tries other's reflected method, else its TypeError, as PyTorch's
        if cls in (Mul, Div):
            low = _low_beside_scalar(self, other)
            if low is not None:
                # float16/bfloat16 times or over a number or a 0-d floating tensor (PyTorch reads a CPU scalar's
                # value as it is): in float32, rounded once, as PyTorch's kernels (the number in float16 first:
                # x * 1e5 was inf and 0 * 1e5 NaN, x * 0.1 an ulp off at a third of the values)
                wide = other.float() if isinstance(other, Tensor) else other
                return method(self.float(), wide).to(low)
        a, b = (other, self) if swap else (self, other)
        if promote:
            a, b = _kinds_agree(cls, a, b)
        try:
            return cls.apply(a, b)
        except (ValueError, RuntimeError, TypeError) as error:  # (JAX: TypeError 'incompatible shapes')
            explain_shape_failure(cls.__name__, a, b, cls is linalg.MatMul, error)
            raise

    return method


def _low_beside_scalar(self: Tensor, other: Any) -> Any:
    """``self``'s dtype where it is float16/bfloat16 and ``other`` a real number or a 0-d real tensor of the same
    backend beside a ``self`` with dimensions (PyTorch reads such a second operand's value as it is; a 0-d tensor
    first, ``t0 * x``, it casts to float16 first), else None."""
    xp = self.backend.xp
    if not is_low_precision(xp, self.array.dtype):
        return None
    if type(other) in (int, float):
        return self.array.dtype
    if (isinstance(other, Tensor) and other.backend == self.backend and other.array.ndim == 0 and self.array.ndim
            and xp.isdtype(other.array.dtype, ("real floating", "integral"))):
        return self.array.dtype
    return None


def _pow(self: Tensor, exponent: Any) -> Any:
    refuse_boolean_pair("pow", "pow", self, exponent if isinstance(exponent, Tensor) else None)
    if isinstance(exponent, numbers.Integral) and not isinstance(exponent, bool) and not is_float(self):
        _check_integer_exponent(self, int(exponent))
    try:
        exponent = _operand(self, exponent)
    except ForeignOperandError:
        return NotImplemented  # (Python tries exponent.__rpow__)
    # PyTorch's kinds: an integer tensor to a float power is float32 (NumPy's promotion gave float64)
    self, exponent = _kinds_agree(None, self, exponent)
    if isinstance(exponent, bool):  # a bool tensor to a bool power stays bool, as PyTorch's (NumPy's is int8)
        xp = self.backend.xp
        return Tensor._make(xp.asarray(self.array, copy=True) if exponent else xp.ones_like(self.array),
                            self.backend, None, 0)
    if isinstance(exponent, (int, float)):
        return Pow.apply(self, exponent=exponent)
    return PowTensor.apply(self, exponent)


def _check_integer_exponent(self: Tensor, exponent: int) -> None:
    """PyTorch's refusals of an integer (or boolean: int64) tensor to the power of a Python int: a negative one, and
    one its dtype cannot hold (the array libraries wrap it: uint8 ** -1 was uint8 ** 255)."""
    name = dtype_name(self.dtype) if dtype_name(self.dtype) != "bool" else "int64"
    if exponent < 0:
        raise RuntimeError(f"pow: Integers to negative integer powers are not allowed, as in PyTorch (a {name} "
                           f"tensor to the power {exponent}); cast it first (x.float())")
    largest = self.backend.xp.iinfo(self.backend.dtype(name)).max
    if exponent > largest:
        raise RuntimeError(f"pow: the exponent {exponent} cannot be converted to {name} without overflow (at most "
                           f"{largest}), as in PyTorch")


def _rpow(self: Tensor, base: Any) -> Any:
    refuse_boolean_pair("pow", "pow", base, self)
    try:
        base = _operand(self, base)
    except ForeignOperandError:
        return NotImplemented
    base, self = _kinds_agree(None, base, self)  # 2.5 ** int tensor: float32, not 2.5 cut to 2
    if not isinstance(base, Tensor):
        xp = self.backend.xp
        base = Tensor._make(xp.full_like(self.array, base), self.backend, None, 0)
    return PowTensor.apply(base, self)


_ORDERINGS = {"__lt__": "lt (<)", "__le__": "le (<=)", "__gt__": "gt (>)", "__ge__": "ge (>=)"}


def _compare(name: str) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        if isinstance(other, Tensor) and other.backend != self.backend:
            raise BackendMismatch(f"{name}: the operands live on two backends, {self.backend.key!r} and "
                                  f"{other.backend.key!r}; move one with .to({self.backend.key!r})")
        try:
            other = _operand(self, other)
        except ForeignOperandError:
            return NotImplemented  # t == "a" is False, t < "a" Python's TypeError, as PyTorch's
        a, other = _kinds_agree(None, self, other)
        right = other.array if isinstance(other, Tensor) else other
        if name in _ORDERINGS:  # NumPy orders complex numbers by real then imaginary part; PyTorch refuses them
            refuse_complex(_ORDERINGS[name], a, other)
        try:
            data = getattr(a.array, name)(right)
        except (ValueError, RuntimeError) as error:
            explain_shape_failure(name.strip("_"), a, other, False, error)
            raise
        except TypeError as error:  # booleans order as 0 < 1, as PyTorch's (array-api-strict orders no booleans)
            explain_shape_failure(name.strip("_"), a, other, False, error)  # (JAX: TypeError 'incompatible shapes')
            xp = self.backend.xp
            if not (xp.isdtype(a.array.dtype, "bool") and (isinstance(right, bool) or xp.isdtype(right.dtype, "bool"))):
                raise
            data = getattr(xp.astype(a.array, xp.int8), name)(int(right) if isinstance(right, bool) else
                                                              xp.astype(right, xp.int8))
        return Tensor._make(data, self.backend, None, 0)

    return method


def _getitem(self: Tensor, index: Any) -> Any:
    """PyTorch's indexing: ints, slices (any step), ``...``, ``None`` and integer/boolean index arrays."""
    return shape.index(self, index)


def _shape_arguments(name: str, keyword: str, shape_args: tuple[Any, ...], given: Any) -> tuple[Any, ...]:
    """The new shape of ``x.reshape(...)`` / ``x.view(...)``: sizes, one sequence, or PyTorch's keyword
    (``reshape(shape=...)``, ``view(size=...)``: DiT's and MAE's unpatchify), never both."""
    if given is not None:
        if shape_args:
            raise TypeError(f"{name}() got multiple values for argument '{keyword}'")
        return tuple(given)
    return tuple(shape_args[0] if len(shape_args) == 1 and isinstance(shape_args[0], (tuple, list)) else shape_args)


_shape_ops = shape  # (reshape's keyword argument is named shape, as PyTorch's)


def _reshape(self: Tensor, *shape_args: Any, shape: Any = None) -> Any:
    return _shape_ops.reshape(self, _shape_arguments("reshape", "shape", shape_args, shape))


def _view(self: Tensor, *shape_args: Any, size: Any = None, dtype: Any = None) -> Any:
    if dtype is not None and (shape_args or size is not None):
        raise TypeError("view() received an invalid combination of arguments: a dtype and a size, as in PyTorch; "
                        "give one (x.view(dtype) reads the bytes as dtype, x.view(*size) reshapes)")
    if dtype is not None:  # x.view(dtype=anynn.int32), as x.view(anynn.int32)
        return dtype_view.view_as_dtype(self, dtype)
    if size is None and len(shape_args) == 1 and dtype_view.is_dtype_argument(shape_args[0]):
        return dtype_view.view_as_dtype(self, shape_args[0])  # x.view(anynn.int32): the bytes read as int32
    return _reshape(self, *_shape_arguments("view", "size", shape_args, size))


def _permute(self: Tensor, *axes: Any, dims: Any = None) -> Any:
    order = _shape_arguments("permute", "dims", axes, dims)  # permute(2, 0, 1), permute((2, 0, 1)), permute(dims=...)
    return shape.permute(self, order)


def _matrix_transpose(self: Tensor) -> Tensor:
    """``x.mT``: the last two axes swapped; a 0-d tensor itself and PyTorch's RuntimeError for 1-d."""
    if self.ndim == 0:
        return self
    if self.ndim == 1:
        raise RuntimeError("tensor.mT is only supported on matrices or batches of matrices. Got 1-D tensor.")
    return shape.transpose(self, -2, -1)


def _reversed_dims(self: Tensor) -> Tensor:
    """``x.T``: the axes reversed; of other than 2 axes with PyTorch's deprecation warnings (0-d: itself)."""
    if self.ndim != 2:
        warnings.warn("Tensor.T is deprecated on 0-D tensors. This function is the identity in these cases."
                      if self.ndim == 0 else _T_DEPRECATED, UserWarning, stacklevel=2)
    return shape.permute(self, tuple(reversed(range(self.ndim))))


_T_DEPRECATED = ("The use of `x.T` on tensors of dimension other than 2 to reverse their shape is deprecated and it "
                 "will throw an error in a future release. Consider `x.mT` to transpose batches of matrices or "
                 "`x.permute(*torch.arange(x.ndim - 1, -1, -1))` to reverse the dimensions of a tensor.")


OPERATORS: dict[str, Any] = {
    "__add__": _binary(Add), "__radd__": _binary(Add, True),
    "__sub__": _binary(Sub), "__rsub__": _binary(Sub, True),
    "__mul__": _binary(Mul), "__rmul__": _binary(Mul, True),
    "__truediv__": _binary(Div), "__rtruediv__": _binary(Div, True),
    "__matmul__": _binary(linalg.MatMul, promote=False), "__rmatmul__": _binary(linalg.MatMul, True, False),
    "__neg__": lambda self: Neg.apply(self),
    "__pow__": _pow, "__rpow__": _rpow,
    "__lt__": _compare("__lt__"), "__le__": _compare("__le__"),
    "__gt__": _compare("__gt__"), "__ge__": _compare("__ge__"),
    "__eq__": _compare("__eq__"), "__ne__": _compare("__ne__"),
    "__getitem__": _getitem,
    "reshape": _reshape, "view": _view,
    "permute": _permute,
    "transpose": lambda self, dim0, dim1: shape.transpose(self, dim0, dim1),  # (both dims required, as PyTorch)
    "flatten": lambda self, start_dim=0, end_dim=-1: shape.flatten(self, start_dim, end_dim),
    "exp": elementwise.exp, "log": elementwise.log, "sqrt": elementwise.sqrt, "abs": elementwise.abs,
    "sin": elementwise.sin, "cos": elementwise.cos,
    "clip": elementwise.clip, "clamp": elementwise.clip,
    "tanh": activation.tanh, "sigmoid": activation.sigmoid,
    "relu": lambda self: activation.relu(self),  # (no inplace: x.relu(True) is PyTorch's TypeError)
    "hardshrink": activation_shrink.hardshrink,
    "astype": _astype,
    "T": property(_reversed_dims),
    "mT": property(_matrix_transpose),
}


def _one_table() -> dict[str, Any]:
    """Every method of `Tensor` beyond its data facts, each name defined once (a second definition is an error).

    Reductions take PyTorch's ``dim``/``keepdim`` and the array API's ``axis``/``keepdims`` alike (one
    signature each, in `tensor_extras`); ``backward``/``register_hook`` come from the graph engine.
    """
    from ..autograd import engine_methods, shared_memory
    from . import (activation_inplace, array_builders, array_statistics, array_style_ops, complex_numbers,
                   index_writes, inplace,
                   log_cumulative, selection_reductions,
                   sparse_layout, stft, tensor_extras, tensor_layout, tensor_math, tensor_memory,
                   tensor_random_fills, torch_surface,
                   torch_twin_methods)

    table: dict[str, Any] = {}
    for family, methods in (("operators", OPERATORS), ("engine", engine_methods.METHODS),
                            ("shared memory", shared_memory.METHODS),
                            ("torch spellings", tensor_extras.METHODS), ("torch surface", torch_surface.METHODS),
                            ("math", tensor_math.METHODS), ("in-place", inplace.METHODS),
                            ("sparse layout", sparse_layout.METHODS),
                            ("in-place activations", activation_inplace.METHODS),
                            ("array-style", array_style_ops.METHODS), ("index writes", index_writes.METHODS),
                            ("layout and fills", tensor_layout.METHODS), ("memory", tensor_memory.METHODS),
                            ("random fills", tensor_random_fills.METHODS),
                            ("array numerics", {**array_builders.METHODS, **array_statistics.METHODS}),
                            ("complex numbers", complex_numbers.METHODS), ("short-time Fourier", stft.METHODS),
                            ("top-level twins", torch_twin_methods.METHODS),
                            ("selections", {**selection_reductions.METHODS,
                                            "logcumsumexp": log_cumulative.logcumsumexp})):
        twice = sorted(set(table) & set(methods))
        if twice:
            raise RuntimeError(f"Tensor methods defined twice ({family} and an earlier table): {twice}")
        table.update(methods)
    return {name: with_numpy_spellings(name, _int_list_spread(name, _without_out(name, method)))
            for name, method in table.items()}


# methods whose one int-list argument PyTorch's parser also takes as separate ints: x.squeeze(0, 2), x.tile(2, 1)
# (reshape, view, permute, repeat, expand and flip read their sizes themselves)
_INT_LIST_METHODS = ("squeeze", "squeeze_", "tile", "count_nonzero")


def _int_list_spread(name: str, method: Any) -> Any:
    """``method`` taking its int list as separate ints too (``x.squeeze(0, 2)`` as ``x.squeeze((0, 2))``), as
    PyTorch's methods do; the other methods as they are."""
    if name not in _INT_LIST_METHODS:
        return method

    @functools.wraps(method)
    def spread(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        if len(args) > 1 and all(isinstance(a, int) and not isinstance(a, bool) for a in args):
            args = (args,)
        return method(self, *args, **kwargs)

    return spread


def _without_out(name: str, method: Any) -> Any:
    """``method`` as a `Tensor` method: a torch-level function that takes ``out=`` (``torch.kron``,
    ``torch.histc``) refuses it as a method, as PyTorch's ``x.kron(y, out=z)`` does (TypeError)."""
    code = getattr(method, "__code__", None)
    if code is None or "out" not in code.co_varnames[:code.co_argcount + code.co_kwonlyargcount]:
        return method

    @functools.wraps(method)
    def without_out(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise TypeError(f"{name}() got an unexpected keyword argument 'out'")
        return method(self, *args, **kwargs)

    signature = inspect.signature(method)
    without_out.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name != "out"])
    return without_out


METHODS: dict[str, Any] = {}


def install() -> None:
    """Put the methods on `Tensor`: once, from ``anynn.functional`` (``import anynn`` does it)."""
    if METHODS:
        return
    METHODS.update(_one_table())
    for name, method in METHODS.items():
        setattr(Tensor, name, method)
