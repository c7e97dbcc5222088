"""Elementwise functions of two tensors under PyTorch's names: ``atan2``, ``hypot``, ``logaddexp``, ``lerp``,
``floor_divide``, ``logical_xor``, ``true_divide``.

Operands broadcast; either may be a Python number. Gradients are summed back to each operand's shape.
"""

from __future__ import annotations

import numbers
from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.default_dtype import default_float
from ..backend.quiet_float_errors import quietly
from ..backend.typing import Namespace
from .operands import kinds_agree as _kinds_agree
from .operands import operand as _operand
from .precision import tensors_in_float32
from .value_checks import (DTypeMismatchError, KernelNotImplementedError, check_integer_divisor, check_one_backend,
                           is_floating, refuse_boolean_pair, refuse_complex, refuse_numbers)


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(getattr(a, "shape", ()))


class Atan2(Function):
    """The angle of ``(b, a)``: ``atan2(a, b)``; gradients ``b / r²`` and ``-a / r²`` with ``r² = a² + b²``, zero
    where ``r²`` is 0 (the origin, or squares that underflow), as PyTorch's (NaN there before)."""

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        return xp.atan2(a, b)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        squares = self.a * self.a + self.b * self.b
        scaled = g / squares
        scaled = xp.where(squares == 0, xp.zeros_like(scaled), scaled)
        return (sum_to_shape(xp, scaled * self.b, _shape(self.a)) if ga else None,
                sum_to_shape(xp, -scaled * self.a, _shape(self.b)) if gb else None)


class NextafterFunction(Function):
    """The next float after ``a`` towards ``b``; gradients ``g`` to ``a`` and 0 to ``b``, as PyTorch's (the step
    is one unit in the last place: the result moves with ``a``)."""

    ties_constant_gradient = False  # both gradients are constants where g is, as PyTorch's

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a_shape, self.b = _shape(a), b
        return xp.nextafter(a, b)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        return (sum_to_shape(xp, g, self.a_shape) if ga else None,
                xp.zeros_like(self.b) if gb else None)


class Hypot(Function):
    """``sqrt(a² + b²)`` without overflow; gradients ``a / out`` and ``b / out`` (NaN at the origin, as PyTorch)."""

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.out = xp.hypot(a, b)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        scaled = g / self.out
        return (sum_to_shape(xp, scaled * self.a, _shape(self.a)) if ga else None,
                sum_to_shape(xp, scaled * self.b, _shape(self.b)) if gb else None)


class LogAddExp(Function):
    """``log(exp(a) + exp(b))`` without overflow; gradients are the weights ``exp(a - out)`` and ``exp(b - out)``."""

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        self.out = xp.logaddexp(a, b)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        return (sum_to_shape(xp, g * xp.exp(self.a - self.out), _shape(self.a)) if ga else None,
                sum_to_shape(xp, g * xp.exp(self.b - self.out), _shape(self.b)) if gb else None)


def _floating_pair(name: str, input: Any, other: Any) -> tuple[Tensor, Tensor]:  # noqa: A002
    """Both operands as floating tensors of one backend (numbers: 0-d arrays; integers: float32), as PyTorch."""
    tensor = input if isinstance(input, Tensor) else other
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{name} needs a Tensor among its operands, got {type(input).__name__} and "
                        f"{type(other).__name__}")
    # (the cast below would drop imaginary parts; PyTorch's logaddexp takes them)
    refuse_complex(name, input, other, torch_supports=name == "logaddexp")
    check_one_backend(name, input, other)
    # a number keeps its value (xlogy(uint8, -3) is NaN: -3 is not first wrapped into uint8's range, as for +)
    values = [float(v) if isinstance(v, numbers.Real) and not isinstance(v, bool) else v for v in (input, other)]
    if not any(isinstance(v, Tensor) and v.backend.xp.isdtype(v.array.dtype, "real floating") for v in values):
        # integer tensors, each cast to float from its own values: a 0-d int64 -3 beside uint8 is not first 253
        values = [v.astype(default_float()) if isinstance(v, Tensor) else v for v in values]
    a, b = _kinds_agree(None, *(_operand(tensor, v) for v in values))
    like = a if isinstance(a, Tensor) else b
    be = like.backend
    if not be.xp.isdtype(like.array.dtype, "real floating"):
        like = like.astype(default_float())

    def as_tensor(v: Any) -> Tensor:
        if isinstance(v, Tensor):
            return v if be.xp.isdtype(v.array.dtype, "real floating") else v.astype(like.array.dtype)
        return Tensor._make(be.xp.asarray(v, dtype=like.array.dtype, device=be.device), be, None, 0)

    a, b = as_tensor(a), as_tensor(b)
    if a.array.dtype != b.array.dtype:  # float16 beside float32: computed in float32, as PyTorch's
        common = be.xp.result_type(a.array.dtype, b.array.dtype)
        a, b = a.astype(common), b.astype(common)
    return a, b


def nextafter(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """The next representable float after ``input`` towards ``other`` (broadcast; ``torch.nextafter``): both
    tensors promoted to one real floating dtype (two integer or boolean tensors, or complex ones, refused, as
    PyTorch)."""
    for operand in (input, other):
        if not isinstance(operand, Tensor):
            raise TypeError(f"nextafter(): argument 'other' (position 2) must be Tensor, not "
                            f"{type(operand).__name__}" if operand is other else
                            f"nextafter(): argument 'input' (position 1) must be Tensor, not {type(operand).__name__}")
    floating = [operand.backend.xp.isdtype(operand.array.dtype, "real floating") for operand in (input, other)]
    for operand in (input, other):  # an integer beside a floating tensor is promoted to it, as in PyTorch
        if operand.is_complex() or not any(floating):
            raise RuntimeError(f"nextafter: not implemented for {dtype_name(operand.dtype)} tensors; the operands "
                               f"promote to a real floating dtype in PyTorch's kernel (got {dtype_name(input.dtype)} "
                               f"and {dtype_name(other.dtype)})")
    a, b = _kinds_agree(None, input, other)
    return NextafterFunction.apply(a, b)


def atan2(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The angle of the point ``(other, input)`` in ``(-pi, pi]`` (``torch.atan2``); two tensors, as PyTorch's."""
    refuse_numbers("atan2", input=input, other=other)
    return Atan2.apply(*_floating_pair("atan2", input, other))


def hypot(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``sqrt(input² + other²)`` (``torch.hypot``); two tensors, one of them floating, as PyTorch's kernel."""
    refuse_numbers("hypot", input=input, other=other)
    _refuse_integers_only("hypot", "hypot_cpu", input, other)
    return Hypot.apply(*_floating_pair("hypot", input, other))


def logaddexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``log(exp(input) + exp(other))`` (``torch.logaddexp``); complex operands too, as PyTorch; an operand must be
    floating or complex, as PyTorch's kernel; two tensors, as PyTorch's."""
    refuse_numbers("logaddexp", input=input, other=other)
    if any(isinstance(v, complex) or (isinstance(v, Tensor) and v.is_complex()) for v in (input, other)):
        return _complex_logaddexp(input, other)
    _refuse_integers_only("logaddexp", "logaddexp_cpu", input, other)
    return LogAddExp.apply(*_floating_pair("logaddexp", input, other))


def _refuse_integers_only(name: str, kernel: str, input: Any, other: Any) -> None:  # noqa: A002
    """PyTorch's refusal of ``name`` where neither operand is floating (integer or boolean tensors, ints): the pair's
    integer dtype reaches a ``kernel`` that has no integer implementation (anynn cast them to float32 before)."""
    if any(isinstance(v, float) or isinstance(v, Tensor) and is_floating(v.array) for v in (input, other)):
        return
    tensors = [v for v in (input, other) if isinstance(v, Tensor)]
    if tensors:
        names = " and ".join(dtype_name(t.dtype) for t in tensors)
        raise KernelNotImplementedError(f"{name}: \"{kernel}\" not implemented for integer or boolean operands "
                                        f"(got {names}), as in PyTorch; cast one first (x.float())")


def _complex_logaddexp(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``logaddexp`` of complex operands, composed so their gradients are the composition's: the operand of the
    larger real part factored out, ``big + log(1 + exp(small - big))``, so exp does not overflow."""
    from . import elementwise

    check_one_backend("logaddexp", input, other)
    a, b = _kinds_agree(None, input, other)
    a, b = (v if isinstance(v, Tensor) else (b if isinstance(b, Tensor) else a).new_full((), v) for v in (a, b))
    first = (a.real >= b.real).array
    big, small = elementwise.where(first, a, b), elementwise.where(first, b, a)
    return big + elementwise.log(1 + elementwise.exp(small - big))


@tensors_in_float32
def lerp(input: Any, end: Any, weight: Any) -> Tensor:  # noqa: A002
    """``input + weight * (end - input)`` (``torch.lerp``); ``weight`` a number or a tensor. Gradients flow to all.
    ``input`` floating or complex and ``end`` (and a weight tensor of one dimension or more) of its dtype, as
    PyTorch's kernel takes them."""
    refuse_numbers("lerp", input=input, end=end)
    check_one_backend("lerp", input, end, weight)  # (before the dtypes of two libraries are compared)
    if isinstance(input, Tensor) and not is_floating(input.array):
        raise KernelNotImplementedError(f"lerp: \"lerp_kernel\" not implemented for {dtype_name(input.dtype)} input, "
                                        f"as in PyTorch; cast it first (x.float())")
    if isinstance(input, Tensor) and isinstance(end, Tensor) and end.dtype != input.dtype:
        raise DTypeMismatchError(f"lerp: expected dtype {dtype_name(input.dtype)} for `end` but got dtype "
                                 f"{dtype_name(end.dtype)}, as in PyTorch; cast it first")
    if isinstance(weight, Tensor):
        if isinstance(input, Tensor) and weight.ndim and weight.dtype != input.dtype:  # (0-d: promoted as a number)
            raise DTypeMismatchError(f"lerp: expected dtype {dtype_name(input.dtype)} for `weight` but got dtype "
                                     f"{dtype_name(weight.dtype)}, as in PyTorch; cast it first")
        return input + weight * (end - input)
    from .elementwise import scaled

    return input + scaled(end - input, weight)  # (a number: saved as PyTorch's LerpBackward0 saves it, no tensor)


@tensors_in_float32
def floor_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``floor(input / other)`` (Python's ``//``, PyTorch's ``floor_divide`` since 1.13); not differentiable."""
    refuse_boolean_pair("floor_divide", "div_floor_cpu", input, other)
    be, arrays = _native_operands("floor_divide", input, other)
    check_integer_divisor("floor_divide", be, arrays[1], arrays[0])
    return Tensor._make(quietly(be, be.xp.floor_divide, *arrays), be, None, 0)  # x // 0.0 is inf, as PyTorch's


def _native_operands(name: str, input: Any, other: Any) -> tuple[Any, list[Any]]:  # noqa: A002
    """The backend and the two native arrays of the non-differentiable binary op ``name``: the operands' backends
    and kinds checked to agree, a Python number made an array of the tensor operand's dtype."""
    check_one_backend(name, input, other)
    tensor = input if isinstance(input, Tensor) else other
    a, b = _kinds_agree(None, _operand(tensor, input), _operand(tensor, other))
    xp, be = tensor.backend.xp, tensor.backend
    like = a if isinstance(a, Tensor) else b
    return be, [v.array if isinstance(v, Tensor) else xp.asarray(v, dtype=like.array.dtype, device=be.device)
                for v in (a, b)]


def true_divide(input: Any, other: Any) -> Tensor:  # noqa: A002
    """``input / other`` (integers give float32, as ``torch.true_divide``)."""
    return input / other if isinstance(input, Tensor) else other.__rtruediv__(input)


def logical_xor(input: Tensor, other: Any) -> Tensor:  # noqa: A002
    """Elementwise exclusive or of the truth values (nonzero is true); a boolean tensor. other: a tensor, as
    PyTorch's."""
    refuse_numbers("logical_xor", other=other)
    xp = input.backend.xp

    def truth(v: Any) -> Any:
        data = v.array if isinstance(v, Tensor) else xp.asarray(v, device=input.backend.device)
        return data if xp.isdtype(data.dtype, "bool") else data != 0

    return Tensor._make(xp.logical_xor(truth(input), truth(other)), input.backend, None, 0)


def _bitwise(name: str) -> Any:
    def function(input: Any, other: Any) -> Tensor:  # noqa: A002
        be, arrays = _native_operands(name, input, other)
        for data in arrays:
            _integral(name, data.dtype, be.xp)
        return Tensor._make(getattr(be.xp, name)(*arrays), be, None, 0)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"Elementwise ``{name}`` of integer or boolean tensors (``torch.{name}``; the operator "
                        f"form of ``&``, ``|``, ``^``); floating tensors are refused, as PyTorch does.")
    return function


def _integral(name: str, dtype: Any, xp: Any) -> None:
    if not xp.isdtype(dtype, ("integral", "bool")):
        raise KernelNotImplementedError(f"{name}: expected integer or boolean tensors, got dtype {dtype} (as "
                                        f"torch.{name})")


bitwise_and, bitwise_or, bitwise_xor = _bitwise("bitwise_and"), _bitwise("bitwise_or"), _bitwise("bitwise_xor")


def _shifted(xp: Namespace, name: str, a: Any, count: Any) -> Any:
    """``a`` shifted by ``count`` bits with PyTorch's results for counts outside [0, bits): 0 for a left shift, the
    sign (-1 or 0) for a right one (the standard leaves them undefined; array-api-strict refuses negative counts)."""
    dtype = xp.result_type(a, count)
    bits = xp.iinfo(dtype).bits
    a, count = xp.astype(a, dtype), xp.astype(count, dtype)
    outside = (count < 0) | (count >= bits)
    shifted = getattr(xp, name)(a, xp.where(outside, xp.zeros_like(count), count))
    if name == "bitwise_left_shift":
        return xp.where(outside, xp.zeros_like(shifted), shifted)
    sign = xp.where(a < 0, -xp.ones_like(a), xp.zeros_like(a)) if xp.isdtype(dtype, "signed integer") else \
        xp.zeros_like(a)
    return xp.where(outside, sign, shifted)


def _shift(name: str) -> Any:
    def function(input: Any, other: Any) -> Tensor:  # noqa: A002
        refuse_boolean_pair(name, "lshift_cpu" if "left" in name else "rshift_cpu", input, other)
        be, arrays = _native_operands(name, input, other)
        xp = be.xp
        for data in arrays:
            _integral(name, data.dtype, xp)
        # the standard shifts integers only: a boolean operand counts as PyTorch's integer 0/1 (int64 on its own)
        kinds = [a.dtype for a in arrays if not xp.isdtype(a.dtype, "bool")]
        arrays = [xp.astype(a, kinds[0] if kinds else xp.int64) if xp.isdtype(a.dtype, "bool") else a
                  for a in arrays]
        return Tensor._make(_shifted(xp, name, *arrays), be, None, 0)

    function.__name__ = function.__qualname__ = name
    function.__doc__ = (f"Elementwise ``{name}`` of integer tensors (``torch.{name}``; the operator form of "
                        f"``<<`` and ``>>``, the right shift arithmetic); floating tensors are refused, as PyTorch.")
    return function


bitwise_left_shift, bitwise_right_shift = _shift("bitwise_left_shift"), _shift("bitwise_right_shift")


def bitwise_not(input: Tensor) -> Tensor:  # noqa: A002
    """Elementwise ``~input``: bitwise for integers, logical for booleans (``torch.bitwise_not``)."""
    xp = input.backend.xp
    _integral("bitwise_not", input.dtype, xp)
    return Tensor._make(xp.bitwise_invert(input.array), input.backend, None, 0)


arctan2 = atan2

FUNCTIONS: dict[str, Any] = {"atan2": atan2, "arctan2": atan2, "hypot": hypot, "logaddexp": logaddexp,
                             "lerp": lerp, "floor_divide": floor_divide, "true_divide": true_divide,
                             "logical_xor": logical_xor, "bitwise_and": bitwise_and, "bitwise_or": bitwise_or,
                             "bitwise_xor": bitwise_xor, "bitwise_not": bitwise_not,
                             "bitwise_left_shift": bitwise_left_shift, "bitwise_right_shift": bitwise_right_shift,
                             "nextafter": nextafter}

__all__ = ["Atan2", "FUNCTIONS", "Hypot", "LogAddExp", "NextafterFunction", *FUNCTIONS]
