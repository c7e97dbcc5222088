"""anynn.distributions' Uniform, the transforms (Exp, Sigmoid, Tanh, Affine, Compose, ``.inv``) and
TransformedDistribution against torch.distributions: values, log-densities, log-determinants, gradients, shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.distributions import Independent, Normal, TransformedDistribution, Uniform, transforms
from tests.helpers import check_gradients, compare_with_torch, make

R = np.random.default_rng(5)
LOW = R.standard_normal((2, 3))
HIGH = LOW + R.random((2, 3)) + 0.5
# inside the support except [0, 0] (below low) and [1, 2] (at high: outside, as the interval is half-open)
VALUE = LOW + (HIGH - LOW) * R.random((2, 3))
VALUE[0, 0], VALUE[1, 2] = LOW[0, 0] - 0.1, HIGH[1, 2]


def _lib(lib):
    return anynn.distributions if lib is anynn else torch.distributions


def test_uniform_as_torch(backend):
    for what in ("log_prob", "cdf"):
        compare_with_torch(backend, lambda lo, hi, v, w=what: getattr(Uniform(lo, hi), w)(v),
                           lambda lo, hi, v, w=what: getattr(torch.distributions.Uniform(lo, hi, False), w)(v),
                           LOW, HIGH, VALUE, rtol=1e-12, differentiable=[True, True, False])
    for what in ("mean", "variance", "stddev"):
        compare_with_torch(backend, lambda lo, hi, w=what: getattr(Uniform(lo, hi), w),
                           lambda lo, hi, w=what: getattr(torch.distributions.Uniform(lo, hi), w), LOW, HIGH,
                           rtol=1e-12)
    compare_with_torch(backend, lambda lo, hi: Uniform(lo, hi).entropy(),
                       lambda lo, hi: torch.distributions.Uniform(lo, hi).entropy(), LOW, HIGH, rtol=1e-12)
    p = R.random((2, 3))
    compare_with_torch(backend, lambda lo, hi, q: Uniform(lo, hi).icdf(q),
                       lambda lo, hi, q: torch.distributions.Uniform(lo, hi).icdf(q), LOW, HIGH, p, rtol=1e-12)
    compare_with_torch(backend, lambda hi: Uniform(-3.0, hi).log_prob(hi - 0.5),
                       lambda hi: torch.distributions.Uniform(-3.0, hi).log_prob(hi - 0.5), HIGH + 3.0, rtol=1e-12)


def test_uniform_rsample_law_shape_and_gradient(backend):
    anynn.manual_seed(0)
    low, high = make(backend, LOW, requires_grad=True), make(backend, HIGH, requires_grad=True)
    d = Uniform(low, high)
    draw = d.rsample((4000,))
    assert tuple(draw.shape) == (4000, 2, 3) and draw.requires_grad and d.batch_shape == (2, 3)
    values = draw.detach().numpy()
    assert np.all(values >= LOW) and np.all(values < HIGH)
    np.testing.assert_allclose(values.mean(0), (LOW + HIGH) / 2, atol=0.05 * (HIGH - LOW).max())
    draw.sum().backward()  # d draw / d low = 1 - u, d draw / d high = u: they add to the number of draws
    np.testing.assert_allclose(low.grad.numpy() + high.grad.numpy(), 4000.0, rtol=1e-9)
    assert not d.sample((2,)).requires_grad
    check_gradients(backend, lambda lo, hi: Uniform(lo, hi).entropy().sum() + Uniform(lo, hi).variance.sum(),
                    LOW, HIGH)


# (name, build(lib, param) -> transform, x values in the domain): param is a Tensor of shape (3,)
TRANSFORMS = [
    ("exp", lambda lib, p: _lib(lib).transforms.ExpTransform(), R.standard_normal((4, 3))),
    ("sigmoid", lambda lib, p: _lib(lib).transforms.SigmoidTransform(), R.standard_normal((4, 3)) * 3),
    ("tanh", lambda lib, p: _lib(lib).transforms.TanhTransform(), R.standard_normal((4, 3))),
    ("affine", lambda lib, p: _lib(lib).transforms.AffineTransform(p, p - 2.0), R.standard_normal((4, 3))),
    ("affine event", lambda lib, p: _lib(lib).transforms.AffineTransform(0.5, p, event_dim=1),
     R.standard_normal((4, 3))),
    ("affine number", lambda lib, p: _lib(lib).transforms.AffineTransform(1.0, -3.0), R.standard_normal((4, 3))),
    ("compose", lambda lib, p: _lib(lib).transforms.ComposeTransform(
        [_lib(lib).transforms.AffineTransform(p, 2.0), _lib(lib).transforms.TanhTransform()]),
     R.standard_normal((4, 3)) * 0.3),
    ("sigmoid inv", lambda lib, p: _lib(lib).transforms.SigmoidTransform().inv, R.random((4, 3)) * 0.9 + 0.05),
]
PARAM = np.array([0.5, -1.5, 2.0])


@pytest.mark.parametrize("name, build, x", TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transforms_as_torch(backend, name, build, x):
    def forward(lib):
        return lambda p, x: build(lib, p)(x)

    def inverse(lib):
        return lambda p, x: build(lib, p).inv(build(lib, p)(x))

    def log_det(lib):
        return lambda p, x: build(lib, p).log_abs_det_jacobian(x, build(lib, p)(x))

    uses_param = name.startswith("affine") and name != "affine number" or name == "compose"
    for make_fn in (forward, inverse, log_det):
        compare_with_torch(backend, make_fn(anynn), make_fn(torch), PARAM, x, rtol=1e-9, atol=1e-12,
                           differentiable=[uses_param and make_fn is not inverse,
                                           make_fn is not log_det or not name.startswith("affine")])
    check_gradients(backend, lambda p, x: log_det(anynn)(p, x).sum() + forward(anynn)(p, x).sum(), PARAM, x,
                    differentiable=[uses_param, True])


# (name, build(lib, a, b) -> distribution, value): a (2,) and b (2,) are parameters
DISTRIBUTIONS = [
    ("logistic", lambda lib, a, b: _lib(lib).TransformedDistribution(
        _lib(lib).Uniform(a * 0.0, a * 0.0 + 1.0), _lib(lib).SigmoidTransform().inv), R.standard_normal((5, 2))),
    ("tanh normal", lambda lib, a, b: _lib(lib).TransformedDistribution(
        _lib(lib).Normal(a, b.exp()), [_lib(lib).transforms.TanhTransform()]), R.random((5, 2)) * 1.6 - 0.8),
    ("log normal", lambda lib, a, b: _lib(lib).TransformedDistribution(
        _lib(lib).Normal(a, b.exp()), _lib(lib).transforms.ExpTransform()), R.random((5, 2)) + 0.1),
    ("independent affine", lambda lib, a, b: _lib(lib).Independent(_lib(lib).TransformedDistribution(
        _lib(lib).Normal(a, 1.0), _lib(lib).transforms.AffineTransform(b, 3.0)), 1), R.standard_normal((5, 2))),
    ("event affine", lambda lib, a, b: _lib(lib).TransformedDistribution(
        _lib(lib).Normal(a, 1.0), _lib(lib).transforms.AffineTransform(b, b.exp(), event_dim=1)),
     R.standard_normal((5, 2))),
]


@pytest.mark.parametrize("name, build, value", DISTRIBUTIONS, ids=[d[0] for d in DISTRIBUTIONS])
def test_transformed_distribution_as_torch(backend, name, build, value):
    a, b = R.standard_normal(2), R.standard_normal(2) * 0.3
    uses = [name != "logistic", name != "logistic", True]
    compare_with_torch(backend, lambda a, b, v: build(anynn, a, b).log_prob(v),
                       lambda a, b, v: build(torch, a, b).log_prob(v), a, b, value, rtol=1e-9, atol=1e-12,
                       differentiable=uses)
    ours, theirs = build(anynn, make(backend, a), make(backend, b)), build(torch, torch.tensor(a), torch.tensor(b))
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    assert ours.has_rsample == theirs.has_rsample
    assert tuple(ours.sample((4,)).shape) == tuple(theirs.sample((4,)).shape)
    check_gradients(backend, lambda a, b, v: build(anynn, a, b).log_prob(v).sum(), a, b, value, differentiable=uses)


def test_tanh_normal_rsample_stays_in_the_interval_and_is_differentiable(backend):
    anynn.manual_seed(1)
    mu = make(backend, np.array([0.3, -2.0]), requires_grad=True)
    d = TransformedDistribution(Normal(mu, 1.0), transforms.TanhTransform())
    y = d.rsample((100,))
    assert y.requires_grad and np.all(np.abs(y.detach().numpy()) <= 1.0)
    (y.sum() + d.log_prob(y.detach().clamp(-0.999, 0.999)).sum()).backward()
    assert mu.grad is not None and np.all(np.isfinite(mu.grad.numpy()))
    assert isinstance(Independent(d, 1).log_prob(y.detach().clamp(-0.99, 0.99)), anynn.Tensor)


def test_transformed_distribution_refuses_what_is_not_a_transform():
    with pytest.raises(ValueError, match="TransformedDistribution: transforms must be a Transform"):
        TransformedDistribution(Normal(0.0, 1.0), [lambda x: x])
