"""Reading ``.grad`` of a non-leaf Tensor warns as PyTorch does (its gradient is not kept)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from tests.helpers import make


def _warned(read):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = read()
    return value, [w for w in caught if "not a leaf Tensor" in str(w.message)]


def test_non_leaf_grad_warns_like_pytorch(backend):
    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    y = x * 3.0
    y.sum().backward()
    value, warned = _warned(lambda: y.grad)
    assert value is None
    assert len(warned) == 1 and warned[0].category is UserWarning
    assert "retain_grad()" in str(warned[0].message)
    # PyTorch, the oracle, warns the same way
    xt = torch.tensor([1.0, 2.0], requires_grad=True)
    yt = xt * 3.0
    _, torch_warned = _warned(lambda: yt.grad)
    assert len(torch_warned) == 1


def test_no_warning_where_pytorch_gives_none_or_a_gradient_silently(backend):
    x = make(backend, np.array([1.0, 2.0]), requires_grad=True)
    plain = make(backend, np.array([1.0, 2.0]))
    y = x * 3.0
    y.retain_grad()
    (y * y).sum().backward()
    for read in (lambda: x.grad, lambda: plain.grad, lambda: y.grad, lambda: y.detach().grad):
        _, warned = _warned(read)
        assert not warned
    np.testing.assert_allclose(y.grad.numpy(), [6.0, 12.0])


def test_the_warning_points_at_the_caller(backend):
    y = make(backend, np.array([1.0]), requires_grad=True) * 2.0
    with pytest.warns(UserWarning, match="not a leaf Tensor") as record:
        y.grad  # noqa: B018
    assert record[0].filename == __file__
