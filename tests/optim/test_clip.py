"""Gradient clipping: clip_grad_norm_ (every norm type, single tensor, empty, non-finite) and clip_grad_value_
against torch.nn.utils on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import anynn
from anynn.nn.module import Parameter
from anynn.optim.clip import clip_grad_norm_, clip_grad_value_

from tests.optim.optim_oracle import our_params, tolerance


def _clip_setup(backend, dtype, scale=1.0, seed=5):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), (2, 2)]
    weights = [rng.standard_normal(s) for s in shapes]
    grads = [scale * rng.standard_normal(s) for s in shapes]
    ours = our_params(backend, weights, dtype)
    theirs = [torch.tensor(w, dtype=getattr(torch, dtype), requires_grad=True) for w in weights]
    for p, t, g in zip(ours, theirs, grads):
        p.grad = anynn.tensor(g, backend=backend, dtype=dtype)
        t.grad = torch.tensor(g, dtype=getattr(torch, dtype))
    # a parameter without a gradient is skipped by both
    ours.append(Parameter(np.ones(3), backend=backend, dtype=dtype))
    theirs.append(torch.ones(3, dtype=getattr(torch, dtype), requires_grad=True))
    return ours, theirs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, "inf", 3.0, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(backend, norm_type, max_norm, dtype):
    ours, theirs = _clip_setup(backend, dtype)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, anynn.Tensor) and total.backend == backend and total.shape == ()
    assert total.dtype == backend.dtype(dtype)
    tol = tolerance(dtype)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), **tol)
    for p, t in zip(ours[:-1], theirs[:-1]):
        assert p.grad.dtype == backend.dtype(dtype) and backend.is_native(p.grad.array)
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), **tol)
    assert ours[-1].grad is None


def test_clip_grad_norm_single_tensor_and_empty(backend):
    ours, theirs = _clip_setup(backend, "float64", scale=10.0)
    total = clip_grad_norm_(ours[0], 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs[0], 1.0)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-12)
    assert np.linalg.norm(ours[0].grad.numpy()) <= 1.0
    assert clip_grad_norm_([ours[-1]], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite(backend):
    ours, _ = _clip_setup(backend, "float64")
    ours[1].grad = anynn.tensor(np.array([1.0, np.nan, 0.0, 0.0, 0.0]), backend=backend, dtype="float64")
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_(ours, 1.0)
    assert math.isnan(total.item())
    assert np.isnan(ours[0].grad.numpy()).all()  # as PyTorch: everything is scaled by nan


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clip_grad_value_matches_torch(backend, dtype):
    ours, theirs = _clip_setup(backend, dtype, scale=2.0)
    assert clip_grad_value_(ours, 0.7) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, t in zip(ours[:-1], theirs[:-1]):
        assert p.grad.dtype == backend.dtype(dtype) and backend.is_native(p.grad.array)
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    assert np.abs(ours[0].grad.numpy()).max() == pytest.approx(0.7)
    clip_grad_value_(ours[0], 0.1)
    assert np.abs(ours[0].grad.numpy()).max() == pytest.approx(0.1)
