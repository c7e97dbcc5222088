"""Tensor layout queries and fills (anynn/functional/tensor_layout.py): stride, is_contiguous, element_size,
itemsize, nbytes, fill_diagonal_, renorm, bernoulli_, exponential_, against PyTorch on every backend (values,
gradients; the random fills by their law and their seeding)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

from tests.functional.samples import DTYPES
from tests.helpers import case_table_tests, make

RNG = np.random.default_rng(5)
M34, T324 = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 2, 4))


@pytest.mark.parametrize("shape", [(), (5,), (2, 1, 3), (0, 3), (4, 0, 2), (2, 3, 4, 5)], ids=str)
def test_layout_queries_match_a_contiguous_torch_tensor(backend, shape):
    for dtype in ("float32", "float64", "int64", "bool", "uint8", "int16"):
        ours, theirs = anynn.zeros(shape, dtype=dtype, backend=backend), torch.zeros(shape, dtype=getattr(torch, dtype))
        assert ours.stride() == theirs.stride() and ours.is_contiguous() and theirs.is_contiguous()
        assert [ours.stride(d) for d in range(-len(shape), len(shape))] == \
               [theirs.stride(d) for d in range(-len(shape), len(shape))]
        assert (ours.element_size(), ours.itemsize, ours.nbytes) == \
               (theirs.element_size(), theirs.itemsize, theirs.nbytes), dtype


def test_a_transposed_tensor_reports_its_own_row_major_layout(backend):
    t = make(backend, M34).t()
    assert t.stride() == (3, 1) and t.is_contiguous()
    copy = t.contiguous()  # a row-major copy of the transposed view, as PyTorch's (see test_threads_and_inplace)
    assert copy is not t and np.array_equal(copy.numpy(), M34.T)


# (name, function on (module, *tensors), inputs), one lambda for both libraries
CASES = [
    ("fill_diagonal_square", lambda m, a: (a * 1).fill_diagonal_(0.5), [M34[:, :3]]),
    ("fill_diagonal_wide", lambda m, a: (a * 1).fill_diagonal_(-2.0), [M34]),
    ("fill_diagonal_tall_wrap", lambda m, a: (a * 1).fill_diagonal_(3.0, wrap=True),
     [RNG.standard_normal((8, 2))]),
    ("fill_diagonal_tall", lambda m, a: (a * 1).fill_diagonal_(3.0), [RNG.standard_normal((8, 2))]),
    ("fill_diagonal_cube", lambda m, a: (a * 1).fill_diagonal_(1.0), [RNG.standard_normal((3, 3, 3))]),
    ("renorm_rows", lambda m, a: a.renorm(2, 0, 1.5), [M34]),
    ("renorm_p1_dim1", lambda m, a: a.renorm(1, 1, 2.0), [T324]),
    ("renorm_inf_last", lambda m, a: a.renorm(float("inf"), -1, 0.8), [T324]),
    ("renorm_in_place", lambda m, a: (a * 1).renorm_(2, 1, 0.7), [M34]),
]
test_gradients, test_matches_torch = case_table_tests(CASES, DTYPES)


def test_fill_diagonal_of_an_integer_tensor_and_its_errors(backend):
    ours = anynn.zeros((4, 3), dtype="int64", backend=backend).fill_diagonal_(7, wrap=True)
    np.testing.assert_array_equal(ours.numpy(), torch.zeros(4, 3, dtype=torch.int64).fill_diagonal_(7, True).numpy())
    with pytest.raises(RuntimeError, match="fill_diagonal_"):
        anynn.zeros(3, backend=backend).fill_diagonal_(1.0)
    with pytest.raises(RuntimeError, match="fill_diagonal_"):
        anynn.zeros((2, 3, 3), backend=backend).fill_diagonal_(1.0)
    with pytest.raises(RuntimeError, match="renorm"):
        make(backend, M34).renorm(0, 0, 1.0)
    for shape in ((), (4,)):  # PyTorch's renorm needs a second axis (anynn scaled a vector's entries one by one)
        with pytest.raises(RuntimeError, match="input needs at least 2 dimensions"):
            torch.ones(shape).renorm(2, 0, 1.0)
        with pytest.raises(RuntimeError, match=f"renorm: input needs at least 2 dimensions, got {len(shape)}"):
            anynn.ones(shape, backend=backend).renorm(2, 0, 1.0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_random_fills_follow_their_law_and_the_seed(backend, dtype):
    n = 20000
    anynn.manual_seed(0)
    coins = anynn.zeros(n, dtype=dtype, backend=backend).bernoulli_(0.3)
    assert set(np.unique(coins.numpy())) <= {0.0, 1.0} and abs(coins.numpy().mean() - 0.3) < 0.02
    waits = anynn.zeros(n, dtype=dtype, backend=backend).exponential_(4.0)
    assert waits.numpy().min() >= 0 and abs(waits.numpy().mean() - 0.25) < 0.01
    assert abs(np.median(waits.numpy()) - np.log(2) / 4) < 0.01  # the median of Exp(4)
    anynn.manual_seed(0)
    np.testing.assert_array_equal(anynn.zeros(n, dtype=dtype, backend=backend).bernoulli_(0.3).numpy(),
                                  coins.numpy())
    seeded = [anynn.zeros(5, dtype=dtype, backend=backend).exponential_(generator=anynn.Generator(seed=3)).numpy()
              for _ in range(2)]
    np.testing.assert_array_equal(*seeded)
    odds = make(backend, np.array([0.0, 1.0, 0.0, 1.0], dtype=dtype))
    np.testing.assert_array_equal(anynn.zeros(4, dtype=dtype, backend=backend).bernoulli_(odds).numpy(),
                                  torch.zeros(4).bernoulli_(torch.tensor([0.0, 1.0, 0.0, 1.0])).numpy())
    ints = anynn.zeros(50, dtype="int64", backend=backend).bernoulli_(0.5)
    assert ints.numpy().dtype == torch.zeros(50, dtype=torch.int64).bernoulli_(0.5).numpy().dtype
    with pytest.raises(RuntimeError, match="exponential_"):
        anynn.zeros(3, backend=backend).exponential_(0.0)
    with pytest.raises(RuntimeError, match="bernoulli_"):
        anynn.zeros(3, backend=backend).bernoulli_(1.5)
