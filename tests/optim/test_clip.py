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
    # a 0-d tensor max_norm, as PyTorch takes it (anynn: TypeError from astype of a Tensor coefficient)
    clip_grad_norm_(ours[1], anynn.tensor(1.0, backend=backend, dtype="float64"))
    torch.nn.utils.clip_grad_norm_(theirs[1], torch.tensor(1.0, dtype=torch.float64))
    np.testing.assert_allclose(ours[1].grad.numpy(), theirs[1].grad.numpy(), rtol=1e-12)


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
    clip_grad_value_(ours, -0.2)  # clamp(min=0.2, max=-0.2): every entry -0.2, as PyTorch (array_api_strict refused)
    torch.nn.utils.clip_grad_value_(theirs, -0.2)
    for p, t in zip(ours[:-1], theirs[:-1]):
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())


def test_total_norm_and_clipping_in_two_steps_match_torch(backend):
    """get_total_norm and clip_grads_with_norm_ (PyTorch's two halves of clip_grad_norm_), and foreach accepted."""
    ours, theirs = _clip_setup(backend, "float64", scale=3.0)
    total = anynn.nn.utils.get_total_norm([p.grad for p in ours[:-1]], norm_type=3.0, foreach=True)
    expected = torch.nn.utils.get_total_norm([t.grad for t in theirs[:-1]], norm_type=3.0, foreach=True)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    anynn.nn.utils.clip_grads_with_norm_(ours, 2.0, total, foreach=False)
    torch.nn.utils.clip_grads_with_norm_(theirs, 2.0, expected, foreach=False)
    for p, t in zip(ours[:-1], theirs[:-1]):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    assert anynn.nn.utils.get_total_norm([]).item() == torch.nn.utils.get_total_norm([]).item() == 0.0
    ours, theirs = _clip_setup(backend, "float32")
    total = clip_grad_norm_(ours, 0.5, foreach=True)
    np.testing.assert_allclose(total.numpy(), torch.nn.utils.clip_grad_norm_(theirs, 0.5, foreach=True).numpy(),
                               rtol=1e-6)
    clip_grad_value_(ours, 0.1, foreach=False)
    torch.nn.utils.clip_grad_value_(theirs, 0.1, foreach=False)
    np.testing.assert_array_equal(ours[0].grad.numpy(), theirs[0].grad.numpy())
    from anynn.nn.utils import clip_grad  # mmcv's spelling: clip_grad.clip_grad_norm_(params, **grad_clip)

    ours, theirs = _clip_setup(backend, "float64")
    with pytest.warns(FutureWarning, match="deprecated in favor of `anynn.nn.utils.clip_grad_norm_`"):
        total = clip_grad.clip_grad_norm(ours, 0.5)
    with pytest.warns(FutureWarning):
        expected = torch.nn.utils.clip_grad.clip_grad_norm(theirs, 0.5)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    assert clip_grad.clip_grad_value_ is clip_grad_value_ and anynn.nn.utils.clip_grad_norm is clip_grad.clip_grad_norm


@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf])
def test_complex_gradients_as_torch(backend, norm_type):
    """A complex gradient counts by its absolute values (a real total norm; anynn's was complex, its sum of
    squares), and clip_grad_value_ refuses it as PyTorch's clamp does."""
    rng = np.random.default_rng(2)
    grads = [rng.standard_normal((2, 3)) + 1j * rng.standard_normal((2, 3)), rng.standard_normal(4)]
    ours = [Parameter(np.zeros_like(g), backend=backend) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.tensor(g).dtype, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads):
        p.grad, t.grad = anynn.tensor(g, backend=backend), torch.tensor(g)
    total = clip_grad_norm_(ours, 1.0, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, 1.0, norm_type=norm_type)
    assert total.dtype == backend.dtype("float64")
    np.testing.assert_allclose(total.numpy(), expected.numpy(), rtol=1e-12)
    for p, t in zip(ours, theirs):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)
    with pytest.raises(NotImplementedError):
        torch.nn.utils.clip_grad_value_(theirs, 0.1)
    with pytest.raises(NotImplementedError, match="clip_grad_value_: clamp is not supported for complex"):
        clip_grad_value_(ours, 0.1)
