"""NumPy's float16 products run in float32 and round once (NumPy has no float16 BLAS), as PyTorch's CPU matmul."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
import anynn.functional as F
from anynn.backend import get_backend, op


@pytest.mark.parametrize("shapes", [((64, 48), (48, 32)), ((3, 17, 40), (40, 9)), ((2, 1, 8, 16), (3, 16, 5))])
def test_numpy_float16_matmul_is_torchs(shapes):
    rng = np.random.default_rng(0)
    a, b = (rng.standard_normal(s).astype(np.float16) for s in shapes)
    got = op(get_backend("numpy"), "matmul")(a, b)
    want = (torch.from_numpy(a) @ torch.from_numpy(b)).numpy()
    assert got.dtype == np.float16
    np.testing.assert_array_equal(got, want)  # float32 accumulation, one rounding: the same bits


def test_numpy_float16_linear_and_conv_follow_torch():
    rng = np.random.default_rng(1)
    x, w, b = (rng.standard_normal(s).astype(np.float16) for s in ((8, 32), (16, 32), (16,)))
    y = F.linear(*(anynn.tensor(a, dtype="float16") for a in (x, w, b)))
    want = torch.nn.functional.linear(*(torch.from_numpy(a).float() for a in (x, w, b))).half().numpy()
    np.testing.assert_allclose(y.array.astype(np.float32), want.astype(np.float32), rtol=2e-3, atol=2e-3)
    xi, wi = rng.standard_normal((2, 4, 9, 9)).astype(np.float16), rng.standard_normal((6, 4, 3, 3)).astype(np.float16)
    y = F.conv2d(anynn.tensor(xi, dtype="float16"), anynn.tensor(wi, dtype="float16"), padding=1)
    want = torch.nn.functional.conv2d(torch.from_numpy(xi).float(), torch.from_numpy(wi).float(), padding=1)
    assert y.array.dtype == np.float16
    np.testing.assert_allclose(y.array.astype(np.float32), want.numpy(), rtol=5e-3, atol=5e-3)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m, k, n", [(4, 2, 8), (128, 784, 512), (32, 256, 10), (784, 128, 512)])
def test_numpy_matmul_fast_path_gives_the_bits_of_matmul(m, k, n, dtype):
    # small results go through ndarray.dot, large ones through @: every layout Linear uses must agree bit for bit
    rng = np.random.default_rng(2)
    x, w, g = (rng.standard_normal(s).astype(dtype) for s in ((m, k), (n, k), (m, n)))
    matmul = op(get_backend("numpy"), "matmul")
    for a, b in ((x, w.T), (g, w), (g.T, x)):
        got = matmul(a, b)
        assert got.dtype == dtype and got.flags.c_contiguous
        np.testing.assert_array_equal(got, np.matmul(a, b))


@pytest.mark.parametrize("a_shape, b_shape", [((8, 16, 32), (32, 24)), ((2, 3, 4, 5), (5, 6)), ((0, 3, 4), (4, 5)),
                                              ((2, 0, 4), (4, 5)), ((2, 3, 0), (0, 5)), ((1, 1, 7), (7, 1))])
def test_numpy_stacked_times_matrix_is_one_product_of_rows(a_shape, b_shape):
    # (..., n, k) @ (k, m) runs as one (N, k) @ (k, m) product: NumPy's values, shape, dtype and layout, also for a
    # transposed weight (Linear's x @ W.T), a non-contiguous stack and empty sizes
    rng = np.random.default_rng(3)
    a = rng.standard_normal(a_shape).astype(np.float32)
    b = rng.standard_normal(b_shape[::-1]).astype(np.float32).T
    matmul = op(get_backend("numpy"), "matmul")
    for left in (a, np.swapaxes(a, 0, -2)):
        right = b if left.shape[-1] == b.shape[0] else b[: left.shape[-1]]
        got = matmul(left, right)
        want = np.matmul(left, right)
        assert got.shape == want.shape and got.dtype == want.dtype
        assert got.flags.c_contiguous or left is not a
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
