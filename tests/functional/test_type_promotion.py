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
