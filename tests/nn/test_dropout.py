"""Dropout (Dropout, Dropout1d/2d/3d on every rank as PyTorch 2.13 treats them, AlphaDropout,
FeatureAlphaDropout): mask statistics and scaling, gradients, eval identity, seeded reproducibility, PyTorch as
oracle, errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.functional.dropout import dropout, dropout2d, dropout3d
from anynn.functional.dropout_alpha import SELU_SATURATION, alpha_dropout, feature_alpha_dropout
from anynn.nn import AlphaDropout, Dropout3d, FeatureAlphaDropout
from anynn.nn.dropout import Dropout, Dropout1d, Dropout2d

from tests.helpers import check_gradients, make

pytestmark = pytest.mark.jax  # the whole module runs on the jax backend too


@pytest.mark.parametrize("p", [0.2, 0.5])
def test_mask_statistics_and_scaling(backend, p):
    x = make(backend, np.ones((100, 100), np.float32), requires_grad=True)
    out = Dropout(p, seed=0)(x)
    values = out.numpy()
    assert values.dtype == np.float32
    kept = values != 0
    assert abs(kept.mean() - (1 - p)) < 0.02
    np.testing.assert_allclose(values[kept], 1 / (1 - p), rtol=1e-6)
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), values)  # the gradient reuses the forward's mask


def test_dropout2d_drops_whole_channels(backend):
    p = 0.5
    x = make(backend, np.ones((40, 50, 2, 2), np.float32), requires_grad=True)
    values = Dropout2d(p, seed=1)(x).numpy()
    per_channel = values.reshape(40, 50, 4)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))
    assert abs((per_channel[..., 0] != 0).mean() - (1 - p)) < 0.05
    assert set(np.unique(values)) <= {0.0, 2.0}
    with pytest.warns(UserWarning, match="interpreted as shape \\(N, C, L\\)"):  # PyTorch 2.13: (N, C, L)
        three_d = Dropout2d(p, seed=1)(make(backend, np.ones((6, 2, 2), np.float32))).numpy()
    assert np.all(three_d.min(axis=2) == three_d.max(axis=2))


def test_grad_check(backend, rng):
    # an int generator seeds a fresh generator per call, so every forward of the check draws the same mask
    check_gradients(backend, lambda x: dropout(x, 0.4, generator=3), rng.standard_normal((3, 4)))
    check_gradients(backend, lambda x: dropout2d(x, 0.4, generator=3), rng.standard_normal((2, 3, 1, 2)))


def test_eval_is_identity_and_matches_torch(backend, rng):
    array = rng.standard_normal((3, 4, 2, 2)).astype(np.float32)
    for ours, theirs in [(Dropout(0.5), torch.nn.Dropout(0.5)), (Dropout2d(0.5), torch.nn.Dropout2d(0.5))]:
        ours.eval()
        theirs.eval()
        x = make(backend, array, requires_grad=True)
        out = ours(x)
        assert out is x
        np.testing.assert_array_equal(out.numpy(), theirs(torch.tensor(array)).numpy())
    assert dropout(x, 0.5, training=False) is x


def test_p_zero_and_one_match_torch(backend, rng):
    array = rng.standard_normal((4, 3)).astype(np.float32)
    x = make(backend, array, requires_grad=True)
    assert Dropout(0.0)(x) is x
    out = Dropout(1.0)(x)
    np.testing.assert_array_equal(out.numpy(), torch.nn.Dropout(1.0)(torch.tensor(array)).numpy())
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(array))
    np.testing.assert_array_equal(Dropout2d(1.0)(make(backend, np.ones((1, 2, 2, 2)))).numpy(), 0.0)


def test_seeded_reproducibility(backend):
    x = make(backend, np.ones((8, 16), np.float32))
    a, b, c = Dropout(0.5, seed=7), Dropout(0.5, seed=7), Dropout(0.5, seed=8)
    first_a, first_b, first_c = a(x).numpy(), b(x).numpy(), c(x).numpy()
    np.testing.assert_array_equal(first_a, first_b)
    assert not np.array_equal(first_a, first_c)
    second_a = a(x).numpy()
    assert not np.array_equal(first_a, second_a)  # the generator advances between calls
    np.testing.assert_array_equal(second_a, b(x).numpy())
    d2a, d2b = Dropout2d(0.5, seed=2), Dropout2d(0.5, seed=2)
    y = make(backend, np.ones((4, 8, 2, 2), np.float32))
    np.testing.assert_array_equal(d2a(y).numpy(), d2b(y).numpy())


def test_generator_follows_the_input_backend():
    layer = Dropout(0.5, seed=0)
    layer(make("numpy", np.ones((2, 3), np.float32)))
    assert layer.generator(make("torch", np.ones(1)).backend) is not None
    out = layer(make("torch", np.ones((2, 3), np.float32)))
    assert type(out.array).__module__.startswith("torch")


def test_errors():
    with pytest.raises(ValueError, match="Dropout: dropout probability has to be between 0 and 1, got 1.5"):
        Dropout(1.5)
    with pytest.raises(ValueError, match="Dropout2d: dropout probability has to be between 0 and 1, got -0.1"):
        Dropout2d(-0.1)
    with pytest.raises(ValueError, match=r"Dropout2d: feature dropout requires at least 2 dimensions.*\(3,\)"):
        Dropout2d(0.5)(make("numpy", np.ones(3, np.float32)))
    with pytest.raises(ValueError, match=r"dropout2d: feature dropout requires at least 2 dimensions"):
        dropout2d(make("numpy", np.ones(3, np.float32)))
    with pytest.raises(ValueError, match="dropout: dropout probability"):
        dropout(make("numpy", np.ones(3, np.float32)), 2.0)
    with pytest.raises(TypeError, match="Dropout: expected an anynn Tensor"):
        Dropout(0.5)(np.ones(3))
    with pytest.raises(TypeError, match=r"^dropout\(\): argument 'input' must be Tensor, not numpy.ndarray"):
        dropout(np.ones(3, np.float32))


@pytest.mark.parametrize("dtype", ["int64", "bool", "complex64"])
@pytest.mark.parametrize("name", ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
                                  "feature_alpha_dropout"])
def test_a_mask_of_a_non_real_floating_input_is_refused_as_by_torch(backend, name, dtype):
    # PyTorch: "result type Float can't be cast to the desired output type Long"; no Bernoulli kernel for complex
    x = np.ones((2, 3, 4), dtype)
    with pytest.raises(RuntimeError):
        getattr(F_TORCH, name)(torch.tensor(x), 0.5, True)
    with pytest.raises(TypeError, match=rf"^{name}\(\): expected a real floating point input, got dtype {dtype}"):
        getattr(anynn.nn.functional, name)(make(backend, x), 0.5, True)
    np.testing.assert_array_equal(getattr(anynn.nn.functional, name)(make(backend, x), 0.5, False).numpy(), x)


@pytest.mark.parametrize("name", ["Dropout2d", "FeatureAlphaDropout"])
@pytest.mark.parametrize("p, training", [(0.5, False), (0.0, True)])
def test_feature_dropout_of_1d_input_when_it_drops_nothing(backend, name, p, training):
    """PyTorch refuses a 1-D input to feature dropout only when it would draw a mask: in eval mode or with p=0 the
    input passes through (Dropout2d with its deprecation warning), from the layer and from the function."""
    x = np.arange(3.0, dtype=np.float32)
    ours_layer, theirs_layer = getattr(anynn.nn, name)(p), getattr(torch.nn, name)(p)
    ours_layer.train(training)
    theirs_layer.train(training)
    function = "dropout2d" if name == "Dropout2d" else "feature_alpha_dropout"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = theirs_layer(torch.tensor(x)).numpy()
        np.testing.assert_array_equal(ours_layer(make(backend, x)).numpy(), expected)
        np.testing.assert_array_equal(getattr(anynn.nn.functional, function)(make(backend, x), p, training).numpy(),
                                      getattr(F_TORCH, function)(torch.tensor(x), p, training).numpy())
    ours_layer.train(True)
    theirs_layer.train(True)
    if p > 0:
        with pytest.raises(RuntimeError, match="at least 2"):
            theirs_layer(torch.tensor(x))
        with pytest.raises(ValueError, match=f"{name}: .*feature dropout requires at least 2 dimensions"):
            ours_layer(make(backend, x))


def test_functional_dropout_honours_manual_seed(backend):
    """``F.dropout`` without a generator draws from a generator seeded by ``anynn.manual_seed``, as attention
    dropout does (and as ``torch.manual_seed`` seeds PyTorch's): the same seed gives the same mask."""
    import anynn

    x = make(backend, np.ones((64, 64), np.float32))
    anynn.manual_seed(123)
    first = dropout(x, 0.5).numpy()
    second = dropout(x, 0.5).numpy()
    anynn.manual_seed(123)
    np.testing.assert_array_equal(dropout(x, 0.5).numpy(), first)
    np.testing.assert_array_equal(dropout(x, 0.5).numpy(), second)
    assert not np.array_equal(first, second)  # the stream moves on between calls
    anynn.manual_seed(124)
    assert not np.array_equal(dropout(x, 0.5).numpy(), first)


def test_dropout_layer_without_seed_honours_manual_seed(backend):
    import anynn

    x = make(backend, np.ones((64, 64), np.float32))
    masks = []
    for _ in range(2):
        anynn.manual_seed(7)
        layer = Dropout(0.5)
        masks.append([layer(x).numpy() for _ in range(2)])
    np.testing.assert_array_equal(masks[0][0], masks[1][0])
    np.testing.assert_array_equal(masks[0][1], masks[1][1])
    assert not np.array_equal(masks[0][0], masks[0][1])


# -- masks of Dropout, Dropout1d and Dropout2d --------------------------------------------------------


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
@pytest.mark.parametrize("p", [0.0, 0.25, 0.5, 1.0])
@pytest.mark.parametrize("cls, shape", [(Dropout, (4, 50)), (Dropout1d, (3, 40, 5)), (Dropout1d, (60, 4)),
                                        (Dropout2d, (3, 40, 2, 3)), (Dropout2d, (40, 2, 3))])
def test_dropout_masks(backend, cls, shape, p):
    """Kept values are scaled by 1 / (1 - p), Dropout1d/2d drop whole channels, eval is the identity."""
    x = np.random.default_rng(0).uniform(1.0, 2.0, shape)
    layer = cls(p, seed=3)
    xa = make(backend, x, requires_grad=True)
    out = layer(xa)
    out.sum().backward()
    y, grad = out.numpy(), xa.grad.numpy()
    kept = y != 0
    scale = 0.0 if p == 1.0 else 1.0 / (1.0 - p)
    np.testing.assert_allclose(y[kept], x[kept] * scale, rtol=1e-12)
    np.testing.assert_allclose(grad, kept * scale, rtol=1e-12)
    spatial = {Dropout: 0, Dropout1d: 1, Dropout2d: 2}[cls]
    if cls is Dropout2d and len(shape) == 3:  # PyTorch 2.13 reads 3-D input of Dropout2d as (N, C, L)
        spatial = 1
    if spatial:
        planes = kept.reshape(shape[:-spatial] + (-1,))
        assert (planes.all(axis=-1) | ~planes.any(axis=-1)).all(), "a channel was partly dropped"
    if 0.0 < p < 1.0:
        units = kept.size // math.prod(shape[len(shape) - spatial:])
        frac = (kept.sum() / kept.size)
        assert abs(frac - (1 - p)) < 4 * math.sqrt(p * (1 - p) / units) + 1e-9
    layer.eval()
    np.testing.assert_array_equal(layer(make(backend, x)).numpy(), x)


# -- Dropout2d/3d on every rank, AlphaDropout and FeatureAlphaDropout against PyTorch -----------------


F_TORCH = torch.nn.functional


def _shared_axes(values: np.ndarray) -> tuple[int, ...]:
    """The axes along which the mask is constant (a drop decision shared by all their entries)."""
    return tuple(ax for ax in range(values.ndim)
                 if values.shape[ax] > 1 and np.all(values == np.take(values, [0], axis=ax)))


SHAPES = [(40, 30), (20, 30, 4), (10, 12, 3, 3), (6, 8, 2, 2, 2), (30, 8, 2, 2, 1, 2), (30,), (30, 4, 2), ()]


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
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


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
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


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
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


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
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


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
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
