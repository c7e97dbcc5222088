"""`anynn.nn.validate.dtype_kind`: the kind of any library's dtype, answered from a cache keyed by the dtype's
identity (equal dtypes that are distinct objects, dtypes made on the fly, and many of them answer right)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anynn.nn import validate
from anynn.nn.validate import dtype_kind


@pytest.mark.parametrize("dtype, kind", [(np.dtype("float32"), "f"), (np.dtype("float16"), "f"),
                                         (np.dtype("complex64"), "f"), (np.dtype("int8"), "i"),
                                         (np.dtype("uint64"), "i"), (np.dtype("bool"), "b"), (torch.float32, "f"),
                                         (torch.bfloat16, "f"), (torch.int64, "i"), (torch.bool, "b")])
def test_kinds_of_numpy_and_torch_dtypes(dtype, kind):
    assert dtype_kind(dtype) == kind
    assert dtype_kind(dtype) == kind  # answered from the cache


def test_the_kind_of_every_backend_dtype(backend):
    for name, kind in [("float32", "f"), ("float64", "f"), ("int32", "i"), ("int64", "i"), ("uint8", "i"),
                       ("bool", "b")]:
        assert dtype_kind(backend.dtype(name)) == kind, name


def test_dtypes_made_on_the_fly_and_more_than_the_cache_holds():
    made = [np.dtype(np.float32).newbyteorder(">") for _ in range(3)] + [np.dtype(f"int{b}") for b in (8, 16, 32, 64)]
    for _ in range(3):
        for d in made:
            assert dtype_kind(d) == ("f" if d.kind == "f" else "i")
    structured = [np.dtype([("a", np.float32), (f"b{i}", np.int8)]) for i in range(600)]  # new objects each
    assert {dtype_kind(d) for d in structured} == {"i"}  # (a structured dtype is neither floating nor bool)
    assert len(validate._KINDS) <= 256
    assert dtype_kind(np.dtype("float64")) == "f" and dtype_kind(np.dtype("bool")) == "b"
