"""``Tensor.view(dtype)`` (anynn/functional/dtype_view.py) against PyTorch's: the bytes read as another dtype (same
bits, shape, dtype), PyTorch's refusals, no gradient, memory shared where the library shares it; the backends that
cannot reinterpret bytes say so."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from tests.helpers import make

pytestmark = pytest.mark.jax

RNG = np.random.default_rng(22)
# (source dtype, shape, target dtype): equal, smaller and larger item sizes, complex both ways, bool, 0-d
CASES = [("float32", (2, 4), "int32"), ("float32", (2, 4), "float16"), ("int8", (3, 8), "int64"),
         ("complex64", (3,), "float32"), ("float64", (2, 4), "complex128"), ("uint8", (5,), "bool"),
         ("bool", (2, 2), "int16"), ("int16", (2, 6), "uint8"), ("float32", (), "int32"),
         ("complex64", (), "float64"), ("int64", (0, 4), "int8")]


def _array(name: str, shape: tuple[int, ...]) -> np.ndarray:
    if name == "bool":
        return RNG.random(shape) < 0.5
    if name == "uint8":
        return RNG.integers(0, 2, shape).astype(name)  # bytes read as bool must be 0 or 1
    if name.startswith("int"):
        return RNG.integers(-100, 100, shape).astype(name)
    values = RNG.standard_normal(shape) + (1j * RNG.standard_normal(shape) if name.startswith("complex") else 0)
    return np.asarray(values).astype(name)


def _can_reinterpret(backend) -> bool:
    return backend.name in ("numpy", "torch", "jax", "cupy")


@pytest.mark.parametrize("source, shape, target", CASES, ids=lambda v: str(v))
def test_view_dtype_reads_the_bytes_as_torch(backend, source, shape, target):
    a = _array(source, shape)
    expected = torch.from_numpy(a).clone(memory_format=torch.contiguous_format).view(getattr(torch, target)).numpy()
    x = make(backend, a)
    if not _can_reinterpret(backend):
        with pytest.raises((RuntimeError, TypeError), match="view\\(dtype\\).*cannot reinterpret|has no dtype"):
            x.view(getattr(anynn, target))
        return
    out = x.view(getattr(anynn, target))
    got = out.numpy()
    assert got.dtype == expected.dtype and got.shape == expected.shape
    if target != "bool":  # compare the bits (NaN payloads included)
        got, expected = np.atleast_1d(got).view(np.uint8), np.atleast_1d(expected).view(np.uint8)
    assert np.array_equal(got, expected)


def test_view_dtype_of_a_transposed_tensor_reads_its_row_major_values(backend):
    """anynn keeps no strides: the transpose's values in row-major order (PyTorch asks for .contiguous() first)."""
    if not _can_reinterpret(backend):
        pytest.skip("this backend cannot reinterpret bytes")
    a = _array("float32", (3, 4))
    got = make(backend, a).t().view(anynn.int16).numpy()
    assert np.array_equal(got, torch.from_numpy(a).t().contiguous().view(torch.int16).numpy())
    # the keyword spelling, as PyTorch's (TypeError 'unexpected keyword argument dtype' before)
    assert np.array_equal(make(backend, a).view(dtype=anynn.int32).numpy(), torch.from_numpy(a).view(dtype=torch.int32))
    # and torch.view_copy's (view_copy.dtype overload; TypeError before)
    assert np.array_equal(anynn.view_copy(make(backend, a), dtype=anynn.int32).numpy(),
                          torch.view_copy(torch.from_numpy(a), dtype=torch.int32))


@pytest.mark.parametrize("call", [lambda lib, x: x[0, 0].view(lib.float16),  # 0-d to another item size
                                  lambda lib, x: x[:, :3].view(lib.float64),  # size(-1) not divisible
                                  lambda lib, x: x.new_zeros((2, 0)).view(lib.complex64)],  # empty axis: stride 1
                         ids=["0-d", "last axis", "stride"])
def test_view_dtype_refusals_as_torch(backend, call):
    a = _array("float32", (2, 4))
    with pytest.raises(RuntimeError) as theirs:
        call(torch, torch.from_numpy(a))
    if not _can_reinterpret(backend):
        pytest.skip("this backend cannot reinterpret bytes")
    with pytest.raises(RuntimeError, match="view\\(dtype\\)") as ours:
        call(anynn, make(backend, a))
    assert str(theirs.value).split(" to view")[0] in str(ours.value)


def test_view_dtype_is_detached_and_shares_memory_as_torch(backend):
    if not _can_reinterpret(backend):
        pytest.skip("this backend cannot reinterpret bytes")
    x = make(backend, np.arange(4.0), requires_grad=True)
    y = (x * 2).view(anynn.int64)
    assert not y.requires_grad and not x.view(anynn.float64).requires_grad
    assert not torch.arange(4.0, requires_grad=True).view(torch.float32).requires_grad
    if backend.name in ("numpy", "torch"):  # their views share memory: a write reaches the source, as PyTorch's
        source = make(backend, np.arange(4.0, dtype=np.float32))
        source.view(anynn.int32).zero_()
        assert np.array_equal(source.numpy(), np.zeros(4, np.float32))


def test_view_dtype_names_a_dtype_the_backend_lacks():
    with pytest.raises(TypeError, match="bfloat16"):
        anynn.zeros(2, 4, backend="numpy").view(anynn.bfloat16)
    out = anynn.zeros(2, 4, backend="torch").view(anynn.bfloat16)
    assert out.shape == (2, 8) and out.dtype == torch.bfloat16
