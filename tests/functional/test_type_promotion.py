"""anynn.promote_types, anynn.can_cast and anynn.result_type (anynn/functional/type_promotion.py) against PyTorch's
answers for every pair of dtypes anynn has, and result_type for tensors of each rank and Python numbers on every
backend (the dtypes a backend cannot hold are left out there)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

import anynn

from tests.helpers import make

NAMES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16", "float32", "float64",
         "complex64", "complex128"]
PAIRS = list(itertools.product(NAMES, repeat=2))
NUMBERS = [True, 3, 2.5, 1j]


def torch_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


@pytest.mark.parametrize("a, b", PAIRS)
def test_promote_types_and_can_cast_as_torch(a, b):
    ours = anynn.promote_types(getattr(anynn, a), getattr(anynn, b))
    assert isinstance(ours, anynn.dtype)
    assert ours.name == torch_name(torch.promote_types(getattr(torch, a), getattr(torch, b)))
    assert anynn.can_cast(getattr(anynn, a), b) is torch.can_cast(getattr(torch, a), getattr(torch, b))


def _tensor_or_skip(backend, name: str, ndim: int) -> anynn.Tensor:
    if name == "bfloat16":
        pytest.skip("NumPy arrays cannot hold bfloat16 to build the operand")
    try:
        return make(backend, np.zeros((2,) * ndim, dtype=name))
    except (TypeError, ValueError) as error:
        pytest.skip(f"{name} on this backend: {error}")


def _answer(a, b) -> str:
    """PyTorch's result_type, or the name of the error kind it raises."""
    try:
        return torch_name(torch.result_type(a, b))
    except (TypeError, RuntimeError) as error:
        return type(error).__name__


@pytest.mark.parametrize("ndims", [(1, 1), (1, 0), (0, 1), (0, 0)], ids=["dim-dim", "dim-0d", "0d-dim", "0d-0d"])
@pytest.mark.parametrize("a, b", [p for p in PAIRS if "bfloat16" not in p])
def test_result_type_of_two_tensors_as_torch(backend, a, b, ndims):
    x, y = _tensor_or_skip(backend, a, ndims[0]), _tensor_or_skip(backend, b, ndims[1])
    expected = _answer(torch.zeros((2,) * ndims[0], dtype=getattr(torch, a)),
                       torch.zeros((2,) * ndims[1], dtype=getattr(torch, b)))
    if expected == "complex32":  # ComplexHalf: anynn has no such dtype and says so
        with pytest.raises(TypeError, match="half-precision complex"):
            anynn.result_type(x, y)
        return
    assert anynn.result_type(x, y).name == expected


@pytest.mark.parametrize("number", NUMBERS, ids=repr)
@pytest.mark.parametrize("ndim", [1, 0])
@pytest.mark.parametrize("name", [n for n in NAMES if n != "bfloat16"])
def test_result_type_with_a_number_as_torch(backend, name, ndim, number):
    x = _tensor_or_skip(backend, name, ndim)
    expected = _answer(torch.zeros((2,) * ndim, dtype=getattr(torch, name)), number)
    if expected == "complex32":
        with pytest.raises(TypeError, match="half-precision complex"):
            anynn.result_type(x, number)
        return
    assert anynn.result_type(x, number).name == expected
    assert anynn.result_type(number, x).name == _answer(number, torch.zeros((2,) * ndim,
                                                                            dtype=getattr(torch, name)))


@pytest.mark.parametrize("a, b", list(itertools.product(NUMBERS, repeat=2)), ids=repr)
def test_result_type_of_two_numbers_as_torch(a, b):
    assert anynn.result_type(a, b).name == _answer(a, b)


@pytest.mark.parametrize("b", NAMES + ["uint16", "uint32", "uint64"])
@pytest.mark.parametrize("a", ["uint16", "uint32", "uint64"])
def test_wide_unsigned_promotion_as_torch(a, b):
    """uint16/32/64 promote only to themselves and to floating types in PyTorch (anynn refused every question)."""
    for x, y in ((a, b), (b, a)):
        try:
            expected = torch_name(torch.promote_types(getattr(torch, x), getattr(torch, y)))
        except RuntimeError:
            with pytest.raises(RuntimeError, match="Promotion for uint16, uint32, uint64 types is not supported"):
                anynn.promote_types(getattr(anynn, x), getattr(anynn, y))
        else:
            assert anynn.promote_types(getattr(anynn, x), getattr(anynn, y)).name == expected
        assert anynn.can_cast(getattr(anynn, x), y) is torch.can_cast(getattr(torch, x), getattr(torch, y))


@pytest.mark.parametrize("number", NUMBERS, ids=repr)
@pytest.mark.parametrize("name", ["uint16", "uint32", "uint64"])
def test_wide_unsigned_result_type_with_a_number_as_torch(backend, name, number):
    x = _tensor_or_skip(backend, name, 1)
    assert anynn.result_type(x, number).name == _answer(torch.zeros(2, dtype=getattr(torch, name)), number)


def test_refusals():
    with pytest.raises(TypeError, match="result_type"):
        anynn.result_type(anynn.tensor([1.0]), "x")
    with pytest.raises(TypeError):
        torch.result_type(torch.tensor([1.0]), "x")
    with pytest.raises(TypeError, match="promote_types"):
        anynn.promote_types(anynn.float32, 3)
    with pytest.raises(TypeError):
        torch.promote_types(torch.float32, 3)
    with pytest.raises(TypeError, match="can_cast"):
        anynn.can_cast("float32", None)
    # add/sub's alpha as PyTorch checks it (an int tensor took alpha=0.5 and gave float32)
    for lib in (anynn, torch):
        with pytest.raises(RuntimeError, match="alpha must not be a floating point number"):
            lib.add(lib.tensor([1, 2]), lib.tensor([3, 4]), alpha=0.5)
        with pytest.raises(RuntimeError, match="alpha must not be a complex number"):
            lib.tensor([1.0]).sub(lib.tensor([2.0]), alpha=1j)


VALUES = {"float16": [0.5, 1.5, 2.25], "float32": [1.25, 0.75, 3.0], "float64": [-2.0], "int8": [4, -6, 9],
          "int64": [6], "uint8": [0, 2, 6], "bool": [True, False, True], "complex64": [0j, 1 + 1j, 2j]}
# (id, fn(lib, *tensors), operand dtypes, 0-d operands): each was computed in another dtype or precision before
OPS = [("copysign_0d_float64", lambda lib, a, b: lib.copysign(a, b), ("float16", "float64"), (False, True)),
       ("gcd_0d_int64", lambda lib, a, b: lib.gcd(a, b), ("int8", "int64"), (False, True)),
       ("lcm_0d_int64_unsigned", lambda lib, a, b: lib.lcm(a, b), ("uint8", "int64"), (False, True)),
       ("logaddexp2_int8_float16", lambda lib, a, b: lib.logaddexp2(a, b), ("int8", "float16"), (False, False)),
       ("logaddexp2_float16_float32", lambda lib, a, b: lib.logaddexp2(a, b), ("float16", "float32"), (False, False)),
       ("igamma_float16_float32", lambda lib, a, b: lib.igamma(a, b), ("float16", "float32"), (False, False)),
       ("xlogy_uint8_negative_number", lambda lib, a: lib.xlogy(a, -3), ("uint8",), (False,)),
       ("xlogy_int8_big_number", lambda lib, a: lib.xlogy(a, 300), ("int8",), (False,)),
       # and a 0-d int64 tensor beside them (a 0-d -6 was first uint8's 250: xlogy gave 11.0 for PyTorch's NaN)
       ("xlogy_uint8_0d_negative_int64", lambda lib, a, b: lib.xlogy(a, -b), ("uint8", "int64"), (False, True)),
       ("atan2_uint8_0d_negative_int64", lambda lib, a, b: lib.atan2(a, -b), ("uint8", "int64"), (False, True)),
       # addcmul computes in the dtype of its three tensors, value a number of that kind (int64 and float32 before)
       ("addcmul_0d_uint8_bools", lambda lib, a, b: lib.addcmul(a, b, b, value=2), ("uint8", "bool"), (True, True)),
       ("addcmul_int8_half_value", lambda lib, a: lib.addcmul(a, a, a, value=0.5), ("int8",), (False,)),
       ("any_uint8", lambda lib, a: a.any(), ("uint8",), (False,)),
       ("all_uint8_dim", lambda lib, a: lib.all(a, 0), ("uint8",), (False,)),
       ("any_complex", lambda lib, a: a.any(), ("complex64",), (False,)),
       ("all_complex_dim", lambda lib, a: a.all(-1, keepdim=True), ("complex64",), (False,)),
       ("sign_bool", lambda lib, a: a.sign(), ("bool",), (False,)),
       ("sgn_bool", lambda lib, a: lib.sgn(a), ("bool",), (False,)),
       # booleans and complex numbers where the standard takes neither (array-api-strict raised TypeError)
       ("isnan_bool", lambda lib, a: a.isnan(), ("bool",), (False,)),
       ("isfinite_bool", lambda lib, a: lib.isfinite(a), ("bool",), (False,)),
       ("isposinf_bool", lambda lib, a: lib.isposinf(a), ("bool",), (False,)),
       ("max_bool", lambda lib, a: a.max(), ("bool",), (False,)),
       ("amin_bool_dim", lambda lib, a: lib.amin(a, 0), ("bool",), (False,)),
       ("sort_bool", lambda lib, a: a.sort(descending=True, stable=True)[1], ("bool",), (False,)),
       ("msort_bool", lambda lib, a: lib.msort(a), ("bool",), (False,)),
       ("unique_bool_inverse", lambda lib, a: lib.unique(a, return_inverse=True)[1], ("bool",), (False,)),
       ("mode_bool", lambda lib, a: lib.mode(a).values, ("bool",), (False,)),
       ("float_of_complex", lambda lib, a: a.float(), ("complex64",), (False,)),
       ("long_of_complex", lambda lib, a: (a * 2).long(), ("complex64",), (False,)),
       ("bool_of_complex", lambda lib, a: a.bool(), ("complex64",), (False,)),
       ("bool_plus_bool", lambda lib, a, b: a + b, ("bool", "bool"), (False, False)),
       ("add_bools_alpha_2", lambda lib, a, b: lib.add(a, ~b, alpha=2), ("bool", "bool"), (False, False)),
       ("bool_times_0d_bool_in_place", lambda lib, a, b: a.clone().mul_(b), ("bool", "bool"), (False, True)),
       ("bool_less_than_0d_bool", lambda lib, a, b: a < b, ("bool", "bool"), (False, True)),
       ("bool_ge_bool", lambda lib, a, b: lib.ge(a, ~b), ("bool", "bool"), (False, False)),
       ("gcd_bool_uint8", lambda lib, a, b: lib.gcd(a, b), ("bool", "uint8"), (False, False)),
       ("lcm_uint8_bool", lambda lib, a, b: lib.lcm(a, b), ("uint8", "bool"), (False, False)),
       # a Python bool beside a number tensor is 1 or 0 (array-api-strict refused to promote it)
       ("uint8_plus_true", lambda lib, a: a + True, ("uint8",), (False,)),
       ("float32_times_false", lambda lib, a: a * False, ("float32",), (False,)),
       ("int8_equals_true", lambda lib, a: a == True, ("int8",), (False,)),  # noqa: E712
       ("bool_and_true", lambda lib, a: a & True, ("bool",), (False,)),
       # where with a Python number takes torch.result_type (complex64 with 1.5 was float32, dropping the
       # imaginary parts; bool with 2 was bool; uint8 with -1 raised NumPy's OverflowError)
       ("where_complex64_float_number", lambda lib, a: lib.where(a != 0, 1.5, a), ("complex64",), (False,)),
       ("where_bool_int_number", lambda lib, a: lib.where(a, a, 2), ("bool",), (False,)),
       ("where_uint8_negative_number", lambda lib, a: lib.where(a > 1, a, -1), ("uint8",), (False,)),
       ("where_int8_float_number", lambda lib, a: lib.where(a > 0, 2.5, a), ("int8",), (False,)),
       # div's rounding "trunc" takes the pair's dtype (int8 and 2.5 stayed int8; two 0-d integers took the first's)
       ("div_trunc_int8_float_number", lambda lib, a: lib.div(a, 2.5, rounding_mode="trunc"), ("int8",), (False,)),
       ("div_trunc_0d_uint8_0d_int64", lambda lib, a, b: lib.div(a, b, rounding_mode="trunc"), ("uint8", "int64"),
        (True, True)),
       # integers divide exactly (the quotient went through float32), the 0-d divisor cast to uint8 first
       ("div_trunc_int64_exact", lambda lib, a: lib.div(a * 16666668 - 1, -3, rounding_mode="trunc"), ("int64",),
        (False,)),
       ("div_trunc_uint8_0d_negative_int64", lambda lib, a, b: lib.div(a, -b, rounding_mode="trunc"),
        ("uint8", "int64"), (False, True)),
       # integers divided are each made float from their own values (a 0-d int64 -6 was first uint8's 250)
       ("true_divide_0d_negative_int64_by_uint8", lambda lib, a, b: (-b) / a, ("uint8", "int64"), (False, True)),
       # a bool tensor to a bool power is bool (NumPy's int8); a zero divisor of nothing divides nothing (refused)
       ("bool_to_the_power_true", lambda lib, a: a ** True, ("bool",), (False,)),
       ("bool_to_the_power_false_in_place", lambda lib, a: a.clone().pow_(False), ("bool",), (False,)),
       ("fmod_of_empty_int64_by_zero", lambda lib, a: lib.fmod(a[:0], 0), ("int64",), (False,)),
       # a bool number divides as 1.0 (array-api-strict refused the Python bool beside the float32 quotient)
       ("bool_divided_by_true", lambda lib, a: a / True, ("bool",), (False,)),
       # boolean tensor bounds are an or / an and (array-api-strict: 'Only real numeric dtypes are allowed')
       ("clamp_bool_min_bool", lambda lib, a, b: lib.clamp(a, min=b), ("bool", "bool"), (False, False)),
       ("clamp_bool_max_bool", lambda lib, a, b: a.clamp(max=~b), ("bool", "bool"), (False, False)),
       # integer matrices to a power n >= 0, exact, and booleans to 0 (refused: 'Expected a floating point tensor')
       ("matrix_power_int8", lambda lib, a: lib.linalg.matrix_power(lib.outer(a, a), 3), ("int8",), (False,)),
       ("matrix_power_bool_0", lambda lib, a: lib.linalg.matrix_power(lib.outer(a, a), 0), ("bool",), (False,))]


@pytest.mark.parametrize("name, fn, dtypes, zero_dim", OPS, ids=[op[0] for op in OPS])
def test_op_result_dtype_and_values_as_torch(backend, name, fn, dtypes, zero_dim):
    arrays = [np.array(VALUES[d][0] if z else VALUES[d], dtype=d) for d, z in zip(dtypes, zero_dim)]
    ours = [_tensor_of(backend, a) for a in arrays]
    expected = fn(torch, *[torch.tensor(a) for a in arrays])
    out = fn(anynn, *ours)
    assert anynn.backend.dtype_name(out.dtype) == torch_name(expected.dtype)
    assert tuple(out.shape) == tuple(expected.shape)
    tolerance = 1e-3 if out.dtype == anynn.float16 else 1e-6  # float16 operands beside float32 compute in float32
    np.testing.assert_allclose(out.numpy().astype(np.float64), expected.numpy().astype(np.float64), rtol=tolerance,
                               atol=tolerance)


def _tensor_of(backend, array: np.ndarray) -> anynn.Tensor:
    try:
        return make(backend, array)
    except (TypeError, ValueError) as error:
        pytest.skip(f"{array.dtype} on this backend: {error}")


@pytest.mark.parametrize("call", [lambda x: x @ 2, lambda x: 2.5 @ x, lambda x: x.__matmul__(True)])
def test_matmul_with_a_number_is_python_type_error_as_torch(backend, call):
    """``x @ 2`` raised AttributeError from inside the product; PyTorch's tensor declines a number (TypeError)."""
    for x in (make(backend, np.ones((2, 2), np.float32)), torch.ones(2, 2)):
        try:
            result = call(x)
        except TypeError:
            continue
        assert result is NotImplemented
