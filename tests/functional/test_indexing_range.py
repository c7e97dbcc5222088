"""A range indexes as a list of ints, as in PyTorch (mnist_forward_forward's x[range(n), y] = x.max())."""

from __future__ import annotations

import numpy as np
import torch

from tests.helpers import make


def test_range_index_get_and_set_as_torch(backend):
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = np.array([1, 0, 3])
    x, xt = make(backend, a), torch.tensor(a)
    np.testing.assert_array_equal(x[range(3), make(backend, y)].numpy(), xt[range(3), torch.tensor(y)].numpy())
    np.testing.assert_array_equal(x[range(1, 3)].numpy(), xt[range(1, 3)].numpy())
    x2, xt2 = x.clone(), xt.clone()
    x2[range(3), make(backend, y)] = x.max()
    xt2[range(3), torch.tensor(y)] = xt.max()
    np.testing.assert_array_equal(x2.numpy(), xt2.numpy())
