"""PyTorch's NumPy-style functions (anynn/functional/array_style_ops.py): tensordot, take_along_dim, tensor_split
and diff, as functions and Tensor methods: a float64 gradient check on every backend and values, shapes, dtypes
and gradients against PyTorch in float32 and float64 on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

from tests.functional.samples import DTYPES
from tests.helpers import case_table_tests, make

RNG = np.random.default_rng(7)
A, B = RNG.standard_normal((2, 3, 4)), RNG.standard_normal((4, 3, 5))
ALONG_1 = RNG.integers(0, 3, (2, 5, 4))          # same shape outside dim 1
ALONG_BROADCAST = RNG.integers(0, 3, (1, 2, 4))  # broadcasts against A outside dim 1
FLAT = RNG.integers(0, 24, (7,))


def _cat(parts):
    return anynn.cat(parts, 2) if isinstance(parts[0], anynn.Tensor) else torch.cat(parts, 2)


# (name, function on (module, *tensors), inputs); module is anynn or torch, so one lambda serves both libraries
CASES = [
    ("tensordot_1", lambda m, a, b: m.tensordot(a, b, 1), [A, B]),
    ("tensordot_pairs", lambda m, a, b: m.tensordot(a, b, ([1, 2], [1, 0])), [A, B]),
    ("tensordot_0", lambda m, a, b: m.tensordot(a[0], b[0], 0), [A, B]),
    ("tensordot_2", lambda m, a, b: m.tensordot(a, b.permute(1, 0, 2), 2), [A, B]),
    # a contracted size 1 against size 4 (PyTorch's OpInfo sample): the other side summed first
    ("tensordot_size_one", lambda m, a, b: m.tensordot(a[:1, :, :1], b, ([0, 1], [0, 1])), [A, B]),
    ("take_along_dim", lambda m, a, i: m.take_along_dim(a, i, 1), [A, ALONG_1]),
    ("take_along_dim_broadcast", lambda m, a, i: m.take_along_dim(a, i, dim=1), [A, ALONG_BROADCAST]),
    ("take_along_dim_flat", lambda m, a, i: m.take_along_dim(a, i), [A, FLAT]),
    ("method_take_along_dim", lambda m, a, i: a.take_along_dim(i, -1), [A, RNG.integers(0, 4, (2, 3, 6))]),
    ("tensor_split_3", lambda m, a: _cat([p * (k + 1) for k, p in enumerate(m.tensor_split(a, 3, 2))]), [A]),
    ("tensor_split_indices", lambda m, a: _cat([p * (k + 1) for k, p in enumerate(a.tensor_split([1, 3], 2))]), [A]),
    ("tensor_split_past_end", lambda m, a: _cat([p * (k + 1) for k, p in enumerate(a.tensor_split((3, 1, 9), -1))]),
     [A]),
    ("diff", lambda m, a: m.diff(a), [A]),
    ("diff_2_dim1", lambda m, a: m.diff(a, 2, 1), [A]),
    ("diff_prepend_append", lambda m, a, b: a.diff(n=2, dim=2, prepend=b[:2, :, :2].transpose(0, 0),
                                                     append=b[:2, :, :1]), [A, B]),
]
test_gradients, test_matches_torch = case_table_tests(CASES, DTYPES)


@pytest.mark.parametrize("sections", [1, 2, 3, 5, 7, [0], [2, 2], [4, 1, 3], (5,), [-1, 3, -9]], ids=str)
def test_tensor_split_shapes_match_torch(backend, sections):
    ours = anynn.tensor_split(make(backend, A), sections, dim=2)
    theirs = torch.tensor_split(torch.tensor(A), sections, dim=2)
    assert [tuple(p.shape) for p in ours] == [tuple(p.shape) for p in theirs]
    for p, q in zip(ours, theirs):
        np.testing.assert_array_equal(p.numpy(), q.numpy())


def test_errors_name_the_function(backend):
    a = make(backend, A)
    with pytest.raises(RuntimeError, match="tensordot: contracted dimensions need to match"):
        anynn.tensordot(a, a, 1)
    with pytest.raises(IndexError, match="diff: dim 3 is out of range"):
        anynn.diff(a, dim=3)
    with pytest.raises(RuntimeError, match="take_along_dim: input .3-d. and indices .1-d."):
        anynn.take_along_dim(a, make(backend, FLAT), 0)
    with pytest.raises(RuntimeError, match="tensor_split: number of sections must be larger than 0"):
        a.tensor_split(0)
