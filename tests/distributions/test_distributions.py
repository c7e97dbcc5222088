"""anynn.distributions against torch.distributions: Categorical and Normal (values, gradients, samples)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.distributions import Categorical, Normal
from tests.helpers import check_gradients, compare_with_torch, make

RNG = np.random.default_rng(0)
LOGITS = RNG.standard_normal((3, 5)).astype(np.float32)
VALUES = np.array([0, 4, 2], dtype=np.int64)


@pytest.mark.parametrize("form", ["logits", "probs"])
def test_categorical_log_prob_and_entropy_as_torch(backend, form):
    def build(lib, x):
        return (anynn.distributions.Categorical if lib is anynn else torch.distributions.Categorical)(
            **({"logits": x} if form == "logits" else {"probs": x.softmax(-1)}))

    compare_with_torch(backend, lambda x, v: build(anynn, x).log_prob(v), lambda x, v: build(torch, x).log_prob(v),
                       LOGITS, VALUES)
    compare_with_torch(backend, lambda x: build(anynn, x).entropy(), lambda x: build(torch, x).entropy(), LOGITS)
    compare_with_torch(backend, lambda x: build(anynn, x).probs, lambda x: build(torch, x).probs, LOGITS)
    compare_with_torch(backend, lambda x: build(anynn, x).logits, lambda x: build(torch, x).logits, LOGITS)


def test_categorical_log_prob_broadcasts_values_against_the_batch(backend):
    """value (4, 3) against batch (3,): PyTorch's broadcast gives (4, 3); one value (1,) against batch (1,)."""
    values = RNG.integers(0, 5, (4, 3))
    compare_with_torch(backend, lambda x, v: Categorical(logits=x).log_prob(v),
                       lambda x, v: torch.distributions.Categorical(logits=x).log_prob(v), LOGITS, values)
    one = LOGITS[:1]
    compare_with_torch(backend, lambda x, v: Categorical(probs=x.softmax(-1)).log_prob(v),
                       lambda x, v: torch.distributions.Categorical(probs=x.softmax(-1)).log_prob(v),
                       one, np.array([3]))


@pytest.mark.parametrize("form", ["logits", "probs"])
def test_categorical_gradients(backend, form):
    def f(x, v):
        d = Categorical(logits=x) if form == "logits" else Categorical(probs=x.softmax(-1))
        return d.log_prob(v).sum() + d.entropy().sum()

    check_gradients(backend, f, LOGITS, VALUES)


def test_categorical_samples(backend):
    anynn.manual_seed(0)
    probs = np.array([[0.1, 0.0, 0.6, 0.3], [1.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    d = Categorical(probs=make(backend, probs))
    assert d.batch_shape == (2,) and d.event_shape == ()
    one = d.sample()
    assert tuple(one.shape) == (2,) and one.dtype == anynn.int64 and one.backend == backend
    many = d.sample((4000,)).numpy()
    assert many.shape == (4000, 2)
    assert (many[:, 1] == 0).all()
    counts = np.bincount(many[:, 0], minlength=4) / 4000
    np.testing.assert_allclose(counts, probs[0], atol=0.03)
    assert tuple(d.sample((2, 3)).shape) == (2, 3, 2)
    assert d.mode.numpy().tolist() == [2, 0]
    support = d.enumerate_support()
    assert tuple(support.shape) == (4, 2) and support.numpy()[:, 0].tolist() == [0, 1, 2, 3]


def test_categorical_refuses_what_torch_refuses():
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Categorical()
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Categorical(probs=anynn.ones(2), logits=anynn.ones(2))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        Categorical(logits=anynn.tensor(1.0))


def test_normal_as_torch(backend):
    loc = RNG.standard_normal((2, 3)).astype(np.float32)
    scale = (RNG.random((2, 3)) + 0.5).astype(np.float32)
    value = RNG.standard_normal((2, 3)).astype(np.float32)
    compare_with_torch(backend, lambda m, s, v: Normal(m, s).log_prob(v),
                       lambda m, s, v: torch.distributions.Normal(m, s).log_prob(v), loc, scale, value)
    compare_with_torch(backend, lambda m, s: Normal(m, s).entropy(),
                       lambda m, s: torch.distributions.Normal(m, s).entropy(), loc, scale,
                       differentiable=[False, True])  # the entropy does not depend on loc
    compare_with_torch(backend, lambda m, s, v: Normal(m, s).cdf(v),
                       lambda m, s, v: torch.distributions.Normal(m, s).cdf(v), loc, scale, value)
    probabilities = np.array([[0.05, 0.5, 0.9], [0.3, 0.999, 0.01]], dtype=np.float32)  # icdf: through erfinv
    compare_with_torch(backend, lambda m, s, p: Normal(m, s).icdf(p),
                       lambda m, s, p: torch.distributions.Normal(m, s).icdf(p), loc, scale, probabilities)
    compare_with_torch(backend, lambda m: Normal(m, 2.0).log_prob(m * 0.5),
                       lambda m: torch.distributions.Normal(m, 2.0).log_prob(m * 0.5), loc)
    check_gradients(backend, lambda m, s, v: Normal(m, s).log_prob(v).sum() + Normal(m, s).entropy().sum(),
                    loc, scale, value)


def test_normal_rsample_is_differentiable_and_sample_is_not(backend):
    anynn.manual_seed(0)
    loc = make(backend, np.zeros(3, np.float32), requires_grad=True)
    scale = make(backend, np.full(3, 2.0, np.float32), requires_grad=True)
    d = Normal(loc, scale)
    draw = d.rsample((5000,))
    assert tuple(draw.shape) == (5000, 3) and draw.requires_grad
    draw.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), 5000.0)
    assert abs(float(draw.detach().numpy().std()) - 2.0) < 0.1
    assert not d.sample((2,)).requires_grad
    assert d.mean is loc and d.stddev is scale
