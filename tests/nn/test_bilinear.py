"""Bilinear (layer and F.bilinear) against PyTorch on every backend, with gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anynn.functional.bilinear import bilinear
from anynn.nn import Bilinear
from tests.helpers import check_gradients, compare_with_torch, copy_torch_weights, make


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_gradients(backend, rng, bias):
    arrays = [rng.standard_normal((3, 2)), rng.standard_normal((3, 4)), rng.standard_normal((5, 2, 4))]
    if bias:
        arrays.append(rng.standard_normal(5))
    check_gradients(backend, bilinear, *arrays)


@pytest.mark.parametrize("lead", [(4,), (2, 3), ()])
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_bilinear_function_matches_torch(backend, rng, lead, dtype):
    arrays = [rng.standard_normal(lead + (3,)), rng.standard_normal(lead + (2,)), rng.standard_normal((4, 3, 2)),
              rng.standard_normal(4)]
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else {}
    compare_with_torch(backend, bilinear, torch.nn.functional.bilinear, *[a.astype(dtype) for a in arrays], **tol)


@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_layer_matches_torch(backend, rng, bias):
    theirs = torch.nn.Bilinear(3, 4, 5, bias=bias).double()
    ours = Bilinear(3, 4, 5, bias=bias, backend=backend, dtype="float64")
    assert list(ours.state_dict()) == list(theirs.state_dict())
    copy_torch_weights(ours, theirs)
    x1, x2 = rng.standard_normal((6, 3)), rng.standard_normal((6, 4))
    a1, a2 = make(backend, x1, requires_grad=True), make(backend, x2, requires_grad=True)
    t1, t2 = torch.tensor(x1, requires_grad=True), torch.tensor(x2, requires_grad=True)
    out, ref = ours(a1, a2), theirs(t1, t2)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10)
    weights = rng.standard_normal((6, 5))
    (out * make(backend, weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(a1.grad.numpy(), t1.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(a2.grad.numpy(), t2.grad.numpy(), rtol=1e-10)
    theirs_params = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs_params[name].grad.numpy(), rtol=1e-10, err_msg=name)


def test_bilinear_init_and_errors(backend, rng):
    layer = Bilinear(16, 3, 40, backend=backend, seed=0)
    bound = 1 / 4
    assert tuple(layer.weight.shape) == (40, 16, 3) and tuple(layer.bias.shape) == (40,)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.weight.numpy()).max() > 0.9 * bound
    np.testing.assert_array_equal(layer.weight.numpy(), Bilinear(16, 3, 40, backend=backend, seed=0).weight.numpy())
    with pytest.raises(ValueError, match=r"Bilinear: expected input with 3 features \(in2_features\)"):
        layer(make(backend, np.ones((2, 16), np.float32)), make(backend, np.ones((2, 4), np.float32)))
    with pytest.raises(ValueError, match="bilinear: input1 and input2 must have the same leading dimensions"):
        layer(make(backend, np.ones((2, 16), np.float32)), make(backend, np.ones((3, 3), np.float32)))
