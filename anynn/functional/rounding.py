"""Piecewise elementwise functions under PyTorch's names: ``floor``, ``ceil``, ``trunc``, ``round`` (with
``decimals``), ``frac``, ``sign``/``sgn``, ``nan_to_num``, and the remainders ``fmod`` / ``remainder``.

Rounding steps have zero gradient almost everywhere (PyTorch's choice too); ``frac`` passes it through;
``nan_to_num`` passes it where the input is finite. Integer inputs stay integers, as in PyTorch.
"""

from __future__ import annotations

import functools
from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.typing import Namespace
from . import complex_numbers
from .operands import kinds_agree as _kinds_agree
from .operands import operand as _operand
from .unary import unary
from .value_checks import (KernelNotImplementedError, check_integer_divisor,
                           refuse_boolean_pair, refuse_complex, refuse_kernel, refuse_numbers)


def _one(xp: Namespace, a: Any, out: Any) -> Any:
    return xp.ones_like(out)


def _round(fn: Any, xp: Namespace, a: Any) -> Any:
    # PyTorch's formula: round half to even after scaling by 10**|decimals| (divide for negative decimals)
    decimals = getattr(fn, "decimals", 0)
    if decimals == 0 or not xp.isdtype(a.dtype, "real floating"):
        return xp.round(a)
    scale = 10.0 ** abs(decimals)
    return xp.round(a * scale) / scale if decimals > 0 else xp.round(a / scale) * scale


def _nan_to_num(fn: Any, xp: Namespace, a: Any) -> Any:
    if not xp.isdtype(a.dtype, "real floating"):
        return a
    info = xp.finfo(a.dtype)
    posinf = info.max if fn.posinf is None else fn.posinf
    neginf = -info.max if fn.neginf is None else fn.neginf  # PyTorch: the lowest finite value
    out = xp.where(xp.isnan(a), xp.full_like(a, fn.nan), a)
    out = xp.where(a == xp.inf, xp.full_like(a, posinf), out)
    return xp.where(a == -xp.inf, xp.full_like(a, neginf), out)


def _numbers_only(name: str, function: Any, integers: bool = True) -> Any:
    """``function`` refusing a boolean Tensor (and, unless ``integers``, an integer one) as PyTorch's kernels do
    ("floor_vml_cpu" not implemented for 'Bool'): the array libraries cast booleans to integers or float16."""

    def checked(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
        if isinstance(input, Tensor):
            kind = dtype_name(input.dtype)
            if kind == "bool" or not integers and input.backend.xp.isdtype(input.array.dtype, "integral"):
                raise KernelNotImplementedError(f"{name} is not implemented for {kind} tensors, as in PyTorch; "
                                                f"cast first (x.float())")
        return function(input, *args, **kwargs)

    return functools.wraps(function)(checked)  # (its signature is the function's)


floor = _numbers_only("floor", unary("floor", lambda fn, xp, a: xp.floor(a), None, floating=False))
ceil = _numbers_only("ceil", unary("ceil", lambda fn, xp, a: xp.ceil(a), None, floating=False))
trunc = _numbers_only("trunc", unary("trunc", lambda fn, xp, a: xp.trunc(a), None, floating=False))
fix = trunc
frac = _numbers_only("frac", unary("frac", lambda fn, xp, a: a - xp.trunc(a), _one, floating=False,
                                   ties_constant_gradient=False, unit_derivative=True), integers=False)


def _sign(fn: Any, xp: Namespace, a: Any) -> Any:
    # PyTorch's (0 < a) - (a < 0): NaN has sign 0 there (the array libraries' sign keeps NaN)
    signs = xp.sign(a)
    return xp.where(xp.isnan(a), xp.zeros_like(a), signs) if xp.isdtype(a.dtype, "real floating") else signs


_sign_function = unary("sign", _sign, None, floating=False)


def sign(input: Any) -> Any:  # noqa: A002 - PyTorch's name
    """-1, 0 or 1 by the sign of each element (``torch.sign``); complex tensors are refused, as PyTorch's."""
    if _is_complex(input):
        raise RuntimeError("Unlike NumPy, torch.sign is not intended to support complex numbers. Please use "
                           "torch.sgn instead (anynn.sgn: z / |z|).")
    if isinstance(input, Tensor) and dtype_name(input.dtype) == "bool":
        return input.clone()  # the sign of a boolean is itself, a boolean, as PyTorch's
    return _sign_function(input)


def sgn(input: Any) -> Any:  # noqa: A002
    """``sign`` of a real tensor; ``z / |z|`` (0 at 0) of a complex one, with PyTorch's gradient (``torch.sgn``)."""
    return complex_numbers.sgn(input) if _is_complex(input) else sign(input)


def _is_complex(x: Any) -> bool:
    return isinstance(x, Tensor) and complex_numbers.is_complex(x)
_round_function = unary("round", _round, None, floating=False)
_nan_to_num_function = unary("nan_to_num", _nan_to_num,
                             lambda xp, a, out: xp.astype(xp.isfinite(a), out.dtype), floating=False,
                             ties_constant_gradient=False)


def round(input: Any, *, decimals: int = 0) -> Any:  # noqa: A001,A002 - PyTorch's names
    """Round half to even (``torch.round``), to ``decimals`` places (negative: tens, hundreds...)."""
    if isinstance(input, Tensor) and dtype_name(input.dtype) == "bool":
        raise KernelNotImplementedError("round is not implemented for bool tensors, as in PyTorch; cast first "
                                        "(x.float())")
    refuse_kernel("round", "round_cpu" if decimals else "round_vml_cpu", ("complex floating",), input)
    if decimals:  # (integers round to themselves, but PyTorch's kernel with decimals has no integer version)
        refuse_kernel("round", "round_cpu", ("integral",), input)
    return _round_function.function_class.apply(input, decimals=int(decimals))  # type: ignore[attr-defined]


def nan_to_num(input: Any, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None) -> Any:
    """NaN → ``nan``, +inf → ``posinf``, -inf → ``neginf`` (default: the dtype's largest / lowest finite values)."""
    return _nan_to_num_function.function_class.apply(  # type: ignore[attr-defined]
        input, nan=float(nan), posinf=None if posinf is None else float(posinf),
        neginf=None if neginf is None else float(neginf))


def _shape(a: Any) -> tuple[int, ...]:
    return tuple(getattr(a, "shape", ()))


class Remainder(Function):
    """``a - b * floor(a / b)`` (``truncated=False``: the sign of ``b``, Python's ``%``) or ``a - b * trunc(a / b)``
    (``truncated=True``: C's ``fmod``, the sign of ``a``); ``a`` and ``b`` broadcast.

    Gradients as PyTorch's: 1 for ``a``, ``-floor(a / b)`` (or ``-trunc(a / b)``) for ``b``.
    """

    truncated: bool
    # PyTorch's gradient in a is g itself: a constant unless g is (its gradient in b reads a / b, see backward)
    ties_constant_gradient = False

    def forward(self, xp: Namespace, a: Any, b: Any) -> Any:
        self.a, self.b = a, b
        if not self.truncated:
            result = xp.remainder(a, b)
            if not xp.isdtype(result.dtype, "real floating"):
                return result
            # a zero takes a's sign, as PyTorch's fmod-based kernel (-2. % 2. is -0.0; NumPy gives b's sign, 0.0);
            # a * 0 is that signed zero wherever the result is 0 (a is finite there)
            return xp.where(result == 0, a * 0, result)
        if not xp.isdtype(xp.result_type(a, b), "real floating"):
            # integers: the floored remainder moved to a's side (|INT_MIN| wraps to INT_MIN, so |a| mod |b| gave
            # fmod(-128, 3) = -1 in int8 where C's is -2)
            floored = xp.remainder(a, b)
            return xp.where((floored != 0) & ((a < 0) != (b < 0)), floored - b, floored)
        # fmod(a, b) = sign(a) * (|a| mod |b|): exact, since mod of non-negatives is C's fmod
        magnitude = xp.remainder(xp.abs(a), xp.abs(b))
        return xp.where(a < 0, -magnitude, magnitude)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        ga, gb = self.needs_input_grad
        grad_b = None
        if gb:
            quotient = self.a / self.b
            steps = xp.trunc(quotient) if self.truncated else xp.floor(quotient)
            if isinstance(steps, Tensor):  # recorded: PyTorch's div(a, b, rounding_mode=...), zero derivatives
                steps = Steps.apply(steps.array, self.a, self.b)
            grad_b = sum_to_shape(xp, -g * steps, _shape(self.b))
        return (sum_to_shape(xp, g, _shape(self.a)) if ga else None), grad_b


class Steps(Function):
    """Values computed apart (a rounded quotient) that depend on the other inputs through steps only: the
    gradient of every input is zero, as PyTorch's ``div(..., rounding_mode=...)`` gives.

    ``values``: the result array, any shape; ``inputs``: the Tensors (or numbers) it was computed from."""

    def forward(self, xp: Namespace, values: Any, *inputs: Any) -> Any:
        self.shapes = tuple(_shape(a) for a in inputs)
        return values

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, ...]:
        from ..backend.arrays import device_of

        return (None,) + tuple(xp.zeros(shape, dtype=g.dtype, device=device_of(g)) if needed else None
                               for shape, needed in zip(self.shapes, self.needs_input_grad[1:]))


def _operands(name: str, input: Any, other: Any) -> tuple[Any, Any]:
    for number in (input, other):  # (NumPy's asarray below dropped its imaginary part: fmod(x, 1j) gave zeros)
        if isinstance(number, complex):
            raise KernelNotImplementedError(f"{name}: \"{name}_cpu\" not implemented for 'ComplexFloat' (the "
                                            f"complex number {number!r} makes the result complex), as in PyTorch")
    tensor = input if isinstance(input, Tensor) else other
    a, b = _kinds_agree(None, _operand(tensor, input), _operand(tensor, other))
    like = a if isinstance(a, Tensor) else b
    xp = like.backend.xp

    def as_tensor(v: Any) -> Any:  # a number becomes a 0-d array of the tensor's dtype (strict libraries want arrays)
        if isinstance(v, Tensor):
            return v
        return Tensor._make(xp.asarray(v, dtype=like.array.dtype, device=like.backend.device), like.backend, None, 0)

    return as_tensor(a), as_tensor(b)


def remainder(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """Python's modulus ``input % other``: the result has the sign of ``other`` (``torch.remainder``)."""
    refuse_complex("remainder", input, other)
    refuse_boolean_pair("remainder", "remainder_cpu", input, other)
    a, b = _operands("remainder", input, other)
    check_integer_divisor("remainder", b.backend, b.array, a.array)
    return Remainder.apply(a, b, truncated=False)


def fmod(input: Any, other: Any) -> Any:  # noqa: A002 - PyTorch's name
    """C's ``fmod``: the remainder of truncated division, with the sign of ``input`` (``torch.fmod``); input: a tensor,
    as PyTorch's (other may be a number)."""
    refuse_numbers("fmod", input=input)
    refuse_complex("fmod", input, other)
    refuse_boolean_pair("fmod", "fmod_cpu", input, other)
    a, b = _operands("fmod", input, other)
    check_integer_divisor("fmod", b.backend, b.array, a.array)
    return Remainder.apply(a, b, truncated=True)


FUNCTIONS: dict[str, Any] = {"floor": floor, "ceil": ceil, "trunc": trunc, "fix": fix, "frac": frac, "sign": sign,
                             "sgn": sgn, "round": round, "nan_to_num": nan_to_num, "remainder": remainder,
                             "fmod": fmod}

__all__ = ["FUNCTIONS", "Remainder", *FUNCTIONS]
