"""Dropout: mask statistics and scaling, gradients, eval identity, seeded reproducibility, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anynn.functional.dropout import dropout, dropout2d
from anynn.nn.dropout import Dropout, Dropout2d

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
