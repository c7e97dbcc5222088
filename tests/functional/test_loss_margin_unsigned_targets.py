"""Class-list targets of an unsigned dtype in MultiLabelMarginLoss: a uint8 "-1" (255) is refused on every backend
(array_api_strict used to raise OverflowError comparing uint8 with -1), valid uint8 lists give PyTorch's loss."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from tests.helpers import make

X = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)


def test_a_uint8_minus_one_is_refused_as_out_of_range(backend):
    target = make(backend, np.array([[1, 0, -1, 0], [2, 3, -1, 0]]).astype(np.uint8))
    with pytest.raises(IndexError, match=r"multilabel_margin_loss: target holds an entry outside \[-1, 4\)"):
        anynn.nn.MultiLabelMarginLoss()(make(backend, X), target)
    with pytest.raises(RuntimeError):  # PyTorch refuses it too
        torch.nn.MultiLabelMarginLoss()(torch.tensor(X), torch.tensor([[1, 0, 255, 0], [2, 3, 255, 0]],
                                                                      dtype=torch.uint8))


def test_uint8_class_lists_give_the_int64_loss(backend):
    lists = np.array([[3, 1, 0, 2], [2, 0, 1, 3]])
    for dtype in (np.uint8, np.int64):
        got = anynn.nn.MultiLabelMarginLoss()(make(backend, X), make(backend, lists.astype(dtype)))
        ref = torch.nn.MultiLabelMarginLoss()(torch.tensor(X), torch.tensor(lists))
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6)
