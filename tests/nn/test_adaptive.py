"""AdaptiveLogSoftmaxWithLoss against PyTorch with the same weights on every backend: the (output, loss) pair of
forward (batched, unbatched, empty), log_prob and predict, input and parameter gradients; a float64 gradient check;
PyTorch's refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn import nn
from tests.helpers import check_gradients, copy_torch_weights, make

R = np.random.default_rng(4)
X = R.standard_normal((7, 8))
TARGET = np.array([0, 4, 11, 2, 7, 5, 9])  # shortlist [0, 3), clusters [3, 7) and [7, 12); two rows in each


def _pair(backend, head_bias):
    torch.manual_seed(0)
    theirs = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0, head_bias=head_bias).double()
    ours = nn.AdaptiveLogSoftmaxWithLoss(8, 12, (3, 7), div_value=2.0, head_bias=head_bias, dtype="float64")
    ours.to(backend)
    copy_torch_weights(ours, theirs)
    return ours, theirs


@pytest.mark.parametrize("head_bias", [False, True])
def test_as_torch(backend, head_bias):
    ours, theirs = _pair(backend, head_bias)
    assert repr(ours) == repr(theirs)
    xa, xt = make(backend, X, requires_grad=True), torch.tensor(X, requires_grad=True)
    out, ref = ours(xa, make(backend, TARGET)), theirs(xt, torch.tensor(TARGET))
    assert out._fields == ("output", "loss")
    np.testing.assert_allclose(out.output.numpy(), ref.output.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(out.loss.numpy(), ref.loss.detach().numpy(), rtol=1e-12)
    weights = R.standard_normal(7)
    (out.loss + (out.output * make(backend, weights)).sum()).backward()
    (ref.loss + (ref.output * torch.tensor(weights)).sum()).backward()
    np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-10, atol=1e-14)
    grads = {name: p.grad for name, p in theirs.named_parameters()}
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name].numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
    np.testing.assert_allclose(ours.log_prob(make(backend, X)).numpy(), theirs.log_prob(torch.tensor(X)).detach(),
                               rtol=1e-12)
    np.testing.assert_array_equal(ours.predict(make(backend, X)).numpy(), theirs.predict(torch.tensor(X)).numpy())
    one, one_ref = ours(make(backend, X[1]), make(backend, TARGET[1])), theirs(torch.tensor(X[1]),
                                                                                torch.tensor(TARGET[1]))
    assert tuple(one.output.shape) == () and tuple(one.loss.shape) == ()
    np.testing.assert_allclose(one.output.numpy(), one_ref.output.detach().numpy(), rtol=1e-12)
    empty = ours(make(backend, X[:0]), make(backend, TARGET[:0]))
    assert tuple(empty.output.shape) == (0,) and np.isnan(empty.loss.numpy())


def test_gradients(backend):
    layer = nn.AdaptiveLogSoftmaxWithLoss(4, 6, [2, 4], div_value=2.0, head_bias=True, dtype="float64", seed=1)
    layer.to(backend)
    target = make(backend, np.array([5, 0, 3, 2]))
    check_gradients(backend, lambda x: layer(x, target).loss + layer.log_prob(x).sum(), R.standard_normal((4, 4)))


def test_refuses_as_torch():
    D = nn.AdaptiveLogSoftmaxWithLoss
    with pytest.raises(ValueError, match="cutoffs should be a sequence of length larger than 0"):
        D(4, 6, [])
    for cutoffs in ([4, 2], [0, 3], [2, 6], [2, 2]):
        with pytest.raises(ValueError, match="cutoffs should be a sequence of unique, positive integers"):
            D(4, 6, cutoffs)
    layer = D(4, 6, [2, 4])
    x = anynn.randn(3, 4)
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 5\], but values in range \[0, 6\]"):
        layer(x, anynn.tensor([0, 6, 1]))
    with pytest.raises(RuntimeError, match="same size in the batch dimension"):
        layer(x, anynn.tensor([0, 1]))
    with pytest.raises(RuntimeError, match="multi-target not supported"):
        layer(x, anynn.tensor([[0, 1, 2]]))
