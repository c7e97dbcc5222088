"""The math, rearranging and value-query families on `Tensor` and at the top level (``anynn.floor(x)``,
``x.floor()``...): one table, ``METHODS``, installed with the other Tensor methods by `tensor_extras`, and the
functions under PyTorch's names, re-exported as ``anynn.<name>``.
"""

from __future__ import annotations

import builtins
from typing import Any

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from . import (bessel, binary_math, elementwise, linalg_spellings, matrix_inverse, rearrange, rounding, set_ops,
               special, quantile, statistics, unary, vector_products, composite_math, composite_more)
from . import incomplete_gamma
from .binary_math import (arctan2, atan2, bitwise_and, bitwise_left_shift, bitwise_not, bitwise_or,
                          bitwise_right_shift, bitwise_xor, floor_divide, hypot, lerp,
                          logaddexp, logical_xor, nextafter, true_divide)
from .operands import ForeignOperandError, operand, scale_first
from .precision import tensors_in_float32
from .scaled_sum import add, sub  # noqa: F401  (torch.add / torch.sub)
from .diagonal import FUNCTIONS as _DIAGONAL_FUNCTIONS, diag, diag_embed, diagonal, trace
from .products import cumprod, prod
from .rearrange import (moveaxis, movedim, meshgrid, repeat_interleave, roll, swapaxes, swapdims, tensor_unfold,
                        tile, unflatten)
from .rounding import ceil, fix, floor, fmod, frac, nan_to_num, remainder, round, sgn, sign, trunc  # noqa: A004
from .set_ops import (allclose, argwhere, bincount, bucketize, count_nonzero, equal, isclose, nonzero,
                      searchsorted, unique)
from .statistics import median, std_mean, var_mean
from .type_promotion import result_type, result_type_of
from .value_checks import KernelNotImplementedError, check_one_backend, refuse_boolean_pair, refuse_numbers
from .unary import (acos, acosh, arccos, arccosh, arcsin, arcsinh, arctan, arctanh, asin, asinh, atan, atanh,
                    cosh, erf, erfc, exp2, expm1, log1p, log2, log10, reciprocal, rsqrt, sinh, square, tan)
from .vector_products import cdist, cross, dot, ger, outer

FUNCTIONS: dict[str, Any] = {**unary.FUNCTIONS, **rounding.FUNCTIONS, **binary_math.FUNCTIONS,
                             **rearrange.FUNCTIONS, **_DIAGONAL_FUNCTIONS, **set_ops.FUNCTIONS,
                             **statistics.FUNCTIONS, **quantile.FUNCTIONS, **composite_math.FUNCTIONS,
                             **composite_more.FUNCTIONS,
                             **vector_products.FUNCTIONS,
                             **special.FUNCTIONS, **bessel.FUNCTIONS, **matrix_inverse.FUNCTIONS,
                             **incomplete_gamma.FUNCTIONS,
                             **linalg_spellings.FUNCTIONS,
                             "prod": prod, "cumprod": cumprod}


def _operator(function: Any, reflected: bool = False) -> Any:
    """The operator method ``function(self, other)`` (reflected: ``function(other, self)``), NotImplemented for an
    operand that is no tensor, array or number, so Python tries the other operand's method (PyTorch's protocol)."""
    def method(self: Tensor, other: Any) -> Any:
        try:
            return function(other, self) if reflected else function(self, other)
        except ForeignOperandError:
            return NotImplemented

    return method


_VALUE_FIRST = ("Number value, Tensor tensor1, Tensor tensor2", "Tensor tensor1, Tensor tensor2, *, Number value = 1")


def subtract(input: Any, other: Any, *, alpha: float = 1) -> Tensor:  # noqa: A002
    """`sub` under PyTorch's other name, which has no deprecated ``subtract(input, alpha, other)``."""
    return sub(input, other, alpha=alpha)


def mul(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input * other`` (broadcast; either may be a number), as ``torch.mul``."""
    return input * other


def _integer_trunc_divide(like: Tensor, input: Any, other: Any, target: Any) -> Tensor:  # noqa: A002
    """``input / other`` rounded toward zero in the integer dtype ``target``, exactly: the floor quotient, one up
    where it is negative and inexact. As PyTorch, both are cast to ``target`` first (uint8 // -1 divides by 255,
    a 0-d int32 -3 beside uint8 by 253); a zero divisor is refused by floor_divide."""
    input, other = (v.astype(target) if isinstance(v, Tensor) and v.array.dtype != target else operand(like, v)
                    for v in (input, other))
    floor = binary_math.floor_divide(input, other).detach()
    inexact = (floor < 0) & (floor * other != input)
    return floor + inexact.astype(target)


def div(input: Any, other: Any, *, rounding_mode: str | None = None) -> Tensor:  # noqa: A002
    """``input / other``; ``rounding_mode="trunc"`` or ``"floor"`` rounds the quotient, whose gradient is then zero
    for both operands (as PyTorch's: the result requires grad where an operand does)."""
    if rounding_mode is None:
        return binary_math.true_divide(input, other)
    if rounding_mode == "floor":
        out = binary_math.floor_divide(input, other)
    elif rounding_mode == "trunc":
        refuse_boolean_pair("div", "div_trunc_cpu", input, other)
        like = input if isinstance(input, Tensor) else other
        target = like.backend.dtype(result_type(input, other).name)  # PyTorch's (int16 and 2.5: float32)
        if like.backend.xp.isdtype(target, "integral"):
            out = _integer_trunc_divide(like, input, other, target)
        else:
            out = rounding.trunc(binary_math.true_divide(input, other).detach())
            out = out if out.array.dtype == target else out.astype(target)
    else:
        raise ValueError(f"div: rounding_mode must be None, 'trunc' or 'floor', got {rounding_mode!r}")
    if any(isinstance(v, Tensor) and v.requires_grad for v in (input, other)):
        return rounding.Steps.apply(out.array, input, other)
    return out


def neg(input: Tensor) -> Tensor:  # noqa: A002
    """``-input``, as ``torch.neg``."""
    refuse_numbers("neg", input=input)
    return -input


def clamp_min(input: Tensor, min: float) -> Tensor:  # noqa: A002 - PyTorch's names
    """``input`` with every element below ``min`` raised to ``min``."""
    return elementwise.clip(input, min=min)


def clamp_max(input: Tensor, max: float) -> Tensor:  # noqa: A002
    """``input`` with every element above ``max`` lowered to ``max``."""
    return elementwise.clip(input, max=max)


def t(input: Tensor) -> Tensor:  # noqa: A002
    """The transpose of a matrix (0-d and 1-D tensors unchanged), as ``torch.t``."""
    return input.t()


def unbind(input: Tensor, dim: int = 0) -> tuple[Tensor, ...]:  # noqa: A002
    """The slices of ``input`` along ``dim``, that axis removed."""
    return input.unbind(dim)


def is_tensor(obj: Any) -> bool:
    """Whether ``obj`` is an anynn `Tensor`."""
    return isinstance(obj, Tensor)


def is_floating_point(input: Tensor) -> bool:  # noqa: A002
    """Whether ``input``'s dtype is a real floating type (float16, bfloat16, float32, float64)."""
    return input.backend.xp.isdtype(input.array.dtype, "real floating")



def _scaled_pair(name: str, input: Tensor, tensor1: Any, tensor2: Any, value: Any) -> tuple[Any, Any, Any]:  # noqa: A002
    """``tensor1`` and ``tensor2`` in the dtype the three tensors promote to, and ``value`` as a number of that kind
    (an integer result cuts 0.5 to 0, as PyTorch's addcmul/addcdiv; a complex value for a real result is refused)."""
    check_one_backend(name, input, tensor1, tensor2, value)  # (before their dtypes are promoted together)
    if not all(isinstance(t, Tensor) for t in (input, tensor1, tensor2)) or isinstance(value, Tensor):
        return tensor1, tensor2, value
    common = result_type_of(input, tensor1, tensor2).name
    tensor1, tensor2 = (t if dtype_name(t.dtype) == common else t.astype(common) for t in (tensor1, tensor2))
    xp = input.backend.xp
    if isinstance(value, builtins.complex) and value.imag and not xp.isdtype(tensor1.array.dtype, "complex floating"):
        raise RuntimeError(f"{name}: value {value} cannot be converted to the result's dtype {common} without "
                           f"overflow")
    kind: Any = (bool if xp.isdtype(tensor1.array.dtype, "bool") else int if xp.isdtype(tensor1.array.dtype, "integral")
                 else builtins.complex if xp.isdtype(tensor1.array.dtype, "complex floating") else float)
    return tensor1, tensor2, kind(value.real if kind is not builtins.complex and isinstance(value, builtins.complex)
                                  else value)


@tensors_in_float32
def addcmul(input: Tensor, tensor1: Any, tensor2: Any, *deprecated: Any, value: Any = 1) -> Tensor:  # noqa: A002
    """``input + value * tensor1 * tensor2`` (broadcast), as ``torch.addcmul``: in the dtype the three tensors
    promote to, ``value`` a number of that kind. PyTorch's deprecated ``addcmul(input, value, tensor1, tensor2)``
    (older Adam code's ``exp_avg_sq.addcmul_(1 - beta2, grad, grad)``) too, with its warning."""
    if deprecated:
        value, (tensor1, tensor2) = tensor1, scale_first("addcmul", tensor1, (tensor2, *deprecated), *_VALUE_FIRST)
    refuse_numbers("addcmul", input=input, tensor1=tensor1, tensor2=tensor2)
    if dtype_name(result_type_of(input, tensor1, tensor2)) == "bool":  # (anynn computed with bool arithmetic)
        raise KernelNotImplementedError("addcmul: \"addcmul_cpu_out\" not implemented for 'Bool', as in PyTorch; cast "
                                        "the tensors first")
    tensor1, tensor2, value = _scaled_pair("addcmul", input, tensor1, tensor2, value)
    return input + value * tensor1 * tensor2


@tensors_in_float32
def addcdiv(input: Tensor, tensor1: Any, tensor2: Any, *deprecated: Any, value: Any = 1) -> Tensor:  # noqa: A002
    """``input + value * tensor1 / tensor2`` (broadcast), as ``torch.addcdiv``; two integer tensors are refused,
    as PyTorch (its integer division is gone). PyTorch's deprecated ``addcdiv(input, value, tensor1, tensor2)``
    (older Adam code's ``p.addcdiv_(-step_size, exp_avg, denom)``) too, with its warning."""
    if deprecated:
        value, (tensor1, tensor2) = tensor1, scale_first("addcdiv", tensor1, (tensor2, *deprecated), *_VALUE_FIRST)
    refuse_numbers("addcdiv", input=input, tensor1=tensor1, tensor2=tensor2)
    if all(isinstance(t, Tensor) and not t.backend.xp.isdtype(t.array.dtype, ("real floating", "complex floating"))
           for t in (tensor1, tensor2)):
        raise RuntimeError(f"addcdiv: integer division with addcdiv is not supported (tensor1 {tensor1.dtype}, "
                           f"tensor2 {tensor2.dtype}), as in PyTorch; use (tensor1 / tensor2) for true division or "
                           f"torch.div(tensor1, tensor2, rounding_mode='trunc') for integer division")
    tensor1, tensor2, value = _scaled_pair("addcdiv", input, tensor1, tensor2, value)
    return input + value * tensor1 / tensor2


FUNCTIONS.update(add=add, sub=sub, subtract=subtract, mul=mul, multiply=mul, div=div, divide=div, neg=neg, negative=neg,
                 clamp_min=clamp_min, clamp_max=clamp_max, clip=elementwise.clip, t=t, unbind=unbind,
                 is_tensor=is_tensor, is_floating_point=is_floating_point, tan=unary.tan, addcmul=addcmul,
                 addcdiv=addcdiv)



def _logical(name: str, binary: bool = True) -> Any:
    # PyTorch's keyword names: torch.logical_and(a, other=b) (a *other tuple refused other=)
    def function(input: Tensor, other: Any) -> Tensor:  # noqa: A002
        return getattr(input, name)(other)

    def unary(input: Tensor) -> Tensor:  # noqa: A002
        return getattr(input, name)()

    chosen = function if binary else unary
    chosen.__name__ = chosen.__qualname__ = name
    chosen.__doc__ = f"``{name}`` of the truth values: ``input.{name}(...)``; a boolean tensor."
    return chosen


logical_and, logical_or, logical_not = _logical("logical_and"), _logical("logical_or"), _logical("logical_not", False)
clip = elementwise.clip
multiply, divide, negative = mul, div, neg
FUNCTIONS.update(logical_and=logical_and, logical_or=logical_or, logical_not=logical_not)

_NOT_METHODS = {"logical_and", "logical_or", "logical_not", "meshgrid", "is_tensor", "add", "sub", "mul", "div", "neg",
                "clamp_min", "clamp_max", "clip", "t", "unbind", "is_floating_point", "true_divide", "cdist",
                "bucketize", "broadcast_tensors", "isin"}
METHODS: dict[str, Any] = {name: f for name, f in FUNCTIONS.items() if name not in _NOT_METHODS}
METHODS.update({
    "__mod__": _operator(rounding.remainder), "__rmod__": _operator(rounding.remainder, True),
    "__floordiv__": _operator(binary_math.floor_divide), "__rfloordiv__": _operator(binary_math.floor_divide, True),
    "__and__": _operator(binary_math.bitwise_and), "__rand__": _operator(binary_math.bitwise_and, True),
    "__or__": _operator(binary_math.bitwise_or), "__ror__": _operator(binary_math.bitwise_or, True),
    "__xor__": _operator(binary_math.bitwise_xor), "__rxor__": _operator(binary_math.bitwise_xor, True),
    "__lshift__": _operator(binary_math.bitwise_left_shift),
    "__rlshift__": _operator(binary_math.bitwise_left_shift, True),
    "__rshift__": _operator(binary_math.bitwise_right_shift),
    "__rrshift__": _operator(binary_math.bitwise_right_shift, True),
    "__invert__": binary_math.bitwise_not,
    "subtract": subtract, "multiply": mul, "divide": div, "true_divide": binary_math.true_divide,
    "negative": neg, "div": div, "add": add, "sub": sub,
    "unfold": tensor_unfold,
    "diag_embed": diag_embed,
    **{name: linalg_spellings.METHODS[name] for name in ("cholesky_solve", "orgqr", "ormqr")},
})
METHODS.pop("square")  # Tensor.square is x ** 2 already, keeping integers integral

__all__ = ["FUNCTIONS", "METHODS", "acos", "acosh", "add", "addcdiv", "addcmul", "allclose", "arccos", "arccosh",
           "arcsin", "arcsinh",
           "arctan", "arctan2", "arctanh", "argwhere", "asin", "asinh", "atan", "atan2", "atanh", "bincount",
           "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or", "bitwise_right_shift", "bitwise_xor",
           "bucketize", "cdist", "ceil", "clamp_max", "clamp_min", "clip", "cosh", "count_nonzero", "cross", "cumprod",
           "diag", "diag_embed", "diagonal", "div", "divide", "dot", "equal", "erf", "erfc", "exp2", "expm1", "fix",
           "floor", "floor_divide", "fmod", "frac", "ger", "hypot", "is_floating_point", "is_tensor", "isclose",
           "lerp", "log10", "log1p", "log2", "logaddexp", "logical_and", "logical_not", "logical_or", "logical_xor",
           "nextafter",
           "median", "meshgrid", "moveaxis", "movedim", "mul", "multiply", "nan_to_num", "neg", "negative", "nonzero",
           "outer", "prod", "reciprocal", "remainder", "repeat_interleave", "roll", "round", "rsqrt", "searchsorted",
           "sgn", "sign", "sinh", "square", "std_mean", "sub", "subtract", "swapaxes", "swapdims", "t", "tan", "tile",
           "trace", "true_divide", "trunc", "unbind", "unflatten", "unique", "var_mean"]
