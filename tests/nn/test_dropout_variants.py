"""Dropout2d/3d on every rank as PyTorch 2.13 treats it, AlphaDropout and FeatureAlphaDropout against PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

from anynn.functional.dropout import dropout2d, dropout3d
from anynn.functional.dropout_alpha import SELU_SATURATION, alpha_dropout, feature_alpha_dropout
from anynn.nn import AlphaDropout, Dropout2d, Dropout3d, FeatureAlphaDropout
from tests.helpers import check_gradients, make

F_TORCH = torch.nn.functional


def _shared_axes(values: np.ndarray) -> tuple[int, ...]:
    """The axes along which the mask is constant (a drop decision shared by all their entries)."""
    return tuple(ax for ax in range(values.ndim)
                 if values.shape[ax] > 1 and np.all(values == np.take(values, [0], axis=ax)))


SHAPES = [(40, 30), (20, 30, 4), (10, 12, 3, 3), (6, 8, 2, 2, 2), (30, 8, 2, 2, 1, 2), (30,), (30, 4, 2)]


@pytest.mark.parametrize("shape", SHAPES, ids=[f"{len(s)}d" for s in SHAPES])
@pytest.mark.parametrize("which", ["2d", "3d"])
def test_feature_dropout_ranks_match_torch(backend, shape, which):
    ours_fn, theirs_fn = (dropout2d, F_TORCH.dropout2d) if which == "2d" else (dropout3d, F_TORCH.dropout3d)
    x = np.ones(shape, np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            theirs = theirs_fn(torch.tensor(x), 0.5).numpy()
        except RuntimeError:
            with pytest.raises(ValueError, match=f"dropout{which}: feature dropout requires at least 2"):
                ours_fn(make(backend, x), 0.5, generator=0)
            return
        ours = ours_fn(make(backend, x), 0.5, generator=0).numpy()
    assert _shared_axes(ours) == _shared_axes(theirs)
    assert set(np.unique(ours)) == {0.0, 2.0}


def test_dropout2d_warns_as_torch(backend):
    for shape, text in [((3, 4), "2-D input"), ((2, 3, 4), r"\(N, C, L\)")]:
        with pytest.warns(UserWarning, match=text):
            Dropout2d(0.5)(make(backend, np.ones(shape, np.float32)))
        with pytest.warns(UserWarning, match=text):
            F_TORCH.dropout2d(torch.ones(shape), 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Dropout2d(0.5)(make(backend, np.ones((2, 3, 4, 4), np.float32)))
        Dropout3d(0.5)(make(backend, np.ones((2, 3, 4, 4), np.float32)))


def test_dropout3d_layer_and_gradients(backend, rng):
    x = make(backend, np.ones((4, 6, 2, 2, 2), np.float32), requires_grad=True)
    out = Dropout3d(0.5, seed=2)(x)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), out.numpy())
    assert _shared_axes(out.numpy()) == (2, 3, 4)
    check_gradients(backend, lambda t: dropout3d(t, 0.4, generator=3), rng.standard_normal((2, 3, 1, 2, 2)))
    layer = Dropout3d(0.5).eval()
    np.testing.assert_array_equal(layer(x).numpy(), 1.0)


def _alpha_constants(p: float) -> tuple[float, float]:
    a = 1.0 / np.sqrt((SELU_SATURATION ** 2 * p + 1) * (1 - p))
    return a, a * SELU_SATURATION * (p - 1)  # the scale of kept elements and the value of dropped ones


@pytest.mark.parametrize("feature", [False, True])
def test_alpha_dropout_matches_torch_formula(backend, rng, feature):
    """PyTorch's masks cannot be reproduced, so its output is split by its own mask and both sides are
    checked against one formula: kept ``a x + a alpha' p``, dropped ``a alpha' (p - 1)``, gradient ``a keep``."""
    p, shape = 0.3, (50, 20, 3)
    x = rng.standard_normal(shape)
    a, dropped = _alpha_constants(p)
    xt = torch.tensor(x, requires_grad=True)
    theirs_fn = F_TORCH.feature_alpha_dropout if feature else F_TORCH.alpha_dropout
    ref = theirs_fn(xt, p, True)
    ref.sum().backward()
    xa = make(backend, x, requires_grad=True)
    out = (feature_alpha_dropout if feature else alpha_dropout)(xa, p, True, generator=5)
    out.sum().backward()
    for values, grad in [(ref.detach().numpy(), xt.grad.numpy()), (out.numpy(), xa.grad.numpy())]:
        keep = grad != 0
        np.testing.assert_allclose(grad[keep], a)
        np.testing.assert_allclose(values[keep], a * x[keep] + a * SELU_SATURATION * p)
        np.testing.assert_allclose(values[~keep], dropped)
        assert abs(keep.mean() - (1 - p)) < 0.05
        if feature:
            assert np.all(keep == keep[:, :, :1])
    check_gradients(backend, lambda t: alpha_dropout(t, 0.4, True, generator=3), rng.standard_normal((3, 4)))


def test_alpha_dropout_layers(backend, rng):
    x = rng.standard_normal((2000,)).astype(np.float32)
    out = AlphaDropout(0.2, seed=1)(make(backend, x)).numpy()
    assert abs(out.mean()) < 0.1 and abs(out.std() - 1.0) < 0.1  # self-normalising
    for layer, theirs in [(AlphaDropout(0.2), torch.nn.AlphaDropout(0.2)),
                          (FeatureAlphaDropout(0.2), torch.nn.FeatureAlphaDropout(0.2))]:
        layer.eval()
        theirs.eval()
        np.testing.assert_array_equal(layer(make(backend, x.reshape(20, 100))).numpy(),
                                      theirs(torch.tensor(x.reshape(20, 100))).numpy())
    for p in (0.0, 1.0):
        xt = torch.tensor(x, requires_grad=True)
        np.testing.assert_array_equal(alpha_dropout(make(backend, x), p, True).numpy(),
                                      F_TORCH.alpha_dropout(xt, p, True).detach().numpy())
    assert np.array_equal(alpha_dropout(make(backend, x), 0.5).numpy(), x)  # training=False by default, as PyTorch
    with pytest.raises(ValueError, match="feature_alpha_dropout: feature dropout requires at least 2"):
        feature_alpha_dropout(make(backend, x), 0.5, True)
