"""PyTorch's typed constructors (FloatTensor, LongTensor, ...) and empty(size=...), as gcn/gat use them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "LongTensor", "IntTensor", "ByteTensor",
                                  "BoolTensor", "ShortTensor", "CharTensor"])
def test_typed_constructors_as_torch(backend, name):
    anynn.set_default_backend(backend.key)
    try:
        data = np.array([[0, 1, 2], [3, 0, 1]], dtype=np.int32)
        got, ref = getattr(anynn, name)(data), getattr(torch, name)(data)
        assert got.backend == backend
        assert str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), ref.numpy())
        assert isinstance(got, getattr(anynn, name)) and isinstance(got, anynn.Tensor)
        assert tuple(getattr(anynn, name)(2, 3).shape) == tuple(getattr(torch, name)(2, 3).shape)
        assert tuple(getattr(anynn, name)([]).shape) == tuple(getattr(torch, name)([]).shape)
    finally:
        anynn.set_default_backend("numpy")


def test_floats_truncate_toward_zero_in_integer_types_and_isinstance_reads_the_dtype():
    assert anynn.LongTensor([1.7, -2.5]).tolist() == torch.LongTensor([1.7, -2.5]).tolist()
    assert not isinstance(anynn.zeros(2), anynn.LongTensor)
    assert isinstance(anynn.zeros(2), anynn.FloatTensor)
    assert anynn.FloatTensor(anynn.tensor([1, 2])).dtype == anynn.float32


def test_empty_takes_pytorchs_size_keyword(backend):
    out = anynn.empty(size=(2, 3), backend=backend)
    assert tuple(out.shape) == tuple(torch.empty(size=(2, 3)).shape) == (2, 3)
    with pytest.raises(TypeError, match="shape given twice"):
        anynn.empty(2, size=(2, 3))
