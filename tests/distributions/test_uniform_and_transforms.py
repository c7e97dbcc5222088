"""anynn.distributions' Uniform, the transforms (Exp, Sigmoid, Tanh, Affine, Compose, Abs, Power, Softplus, Softmax,
StickBreaking, LowerCholesky, PositiveDefinite, CorrCholesky, Reshape, Independent, Cat, Stack, CumulativeDistribution,
``.inv``) and TransformedDistribution against torch.distributions: values, log-densities, log-determinants, domains,
shapes, gradients."""

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
    ("abs", lambda lib, p: _lib(lib).transforms.AbsTransform(), R.standard_normal((4, 3))),
    ("power", lambda lib, p: _lib(lib).transforms.PowerTransform(p), R.random((4, 3)) + 0.2),
    ("softplus", lambda lib, p: _lib(lib).transforms.SoftplusTransform(), R.standard_normal((4, 3)) * 3),
    ("softmax", lambda lib, p: _lib(lib).transforms.SoftmaxTransform(), R.standard_normal((4, 3))),
    ("stick breaking", lambda lib, p: _lib(lib).transforms.StickBreakingTransform(), R.standard_normal((4, 3))),
    ("lower cholesky", lambda lib, p: _lib(lib).transforms.LowerCholeskyTransform(), R.standard_normal((2, 3, 3))),
    ("positive definite", lambda lib, p: _lib(lib).transforms.PositiveDefiniteTransform(),
     R.standard_normal((2, 3, 3))),
    ("corr cholesky", lambda lib, p: _lib(lib).transforms.CorrCholeskyTransform(), R.standard_normal((4, 3))),
    ("reshape", lambda lib, p: _lib(lib).transforms.ReshapeTransform((3,), (3, 1)), R.standard_normal((4, 3))),
    ("independent", lambda lib, p: _lib(lib).transforms.IndependentTransform(
        _lib(lib).transforms.AffineTransform(2.0, p), 1), R.standard_normal((4, 3))),
    ("cat", lambda lib, p: _lib(lib).transforms.CatTransform(
        [_lib(lib).transforms.ExpTransform(), _lib(lib).transforms.AffineTransform(p[1:], p[:2])], dim=-1,
        lengths=[1, 2]), R.standard_normal((4, 3))),
    ("stack", lambda lib, p: _lib(lib).transforms.StackTransform(
        [_lib(lib).transforms.ExpTransform(), _lib(lib).transforms.SoftplusTransform(),
         _lib(lib).transforms.PowerTransform(p[0])], dim=1), R.random((4, 3)) + 0.1),
    ("cdf", lambda lib, p: _lib(lib).transforms.CumulativeDistributionTransform(_lib(lib).Laplace(p, 2.0)),
     R.standard_normal((4, 3))),
]
PARAM = np.array([0.5, -1.5, 2.0])
USES_PARAM = {"affine", "affine event", "compose", "power", "independent", "cat", "stack", "cdf"}
NO_LOG_DET = {"abs", "softmax", "lower cholesky", "positive definite"}  # PyTorch's have none either
X_FREE_LOG_DET = {"affine", "affine event", "affine number", "reshape", "independent"}  # constant in x


@pytest.mark.parametrize("name, build, x", TRANSFORMS, ids=[t[0] for t in TRANSFORMS])
def test_transforms_as_torch(backend, name, build, x):
    def forward(lib):
        return lambda p, x: build(lib, p)(x)

    def inverse(lib):
        return lambda p, x: build(lib, p).inv(build(lib, p)(x))

    def log_det(lib):
        return lambda p, x: build(lib, p).log_abs_det_jacobian(x, build(lib, p)(x))

    uses_param = name in USES_PARAM
    for make_fn in (forward, inverse) + (() if name in NO_LOG_DET else (log_det,)):
        compare_with_torch(backend, make_fn(anynn), make_fn(torch), PARAM, x, rtol=1e-9, atol=1e-12,
                           differentiable=[uses_param and make_fn is not inverse,
                                           make_fn is not log_det or name not in X_FREE_LOG_DET])
    ours, theirs = build(anynn, make(backend, PARAM)), build(torch, torch.tensor(PARAM))
    assert (repr(ours.domain), repr(ours.codomain)) == (repr(theirs.domain), repr(theirs.codomain))
    assert (ours.domain.event_dim, ours.codomain.event_dim) == (theirs.domain.event_dim, theirs.codomain.event_dim)
    assert ours.bijective == theirs.bijective
    assert ours.forward_shape(x.shape) == tuple(theirs.forward_shape(torch.Size(x.shape)))
    assert ours.inverse_shape(ours.forward_shape(x.shape)) == x.shape
    if name in NO_LOG_DET:
        with pytest.raises(NotImplementedError):
            log_det(anynn)(make(backend, PARAM), make(backend, x))
    total = forward(anynn) if name in NO_LOG_DET else lambda p, x: log_det(anynn)(p, x).sum() + forward(anynn)(p, x)
    check_gradients(backend, lambda p, x: total(p, x).sum(), PARAM, x, differentiable=[uses_param, True])


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
    ("stick breaking", lambda lib, a, b: _lib(lib).TransformedDistribution(
        _lib(lib).Normal(a, b.exp()), _lib(lib).transforms.StickBreakingTransform()), R.dirichlet(np.ones(3), 5)),
    ("reshape", lambda lib, a, b: _lib(lib).TransformedDistribution(
        _lib(lib).Normal(a, b.exp()), [_lib(lib).transforms.ReshapeTransform((2,), (1, 2)),
                                       _lib(lib).transforms.ExpTransform()]), R.random((5, 1, 2)) + 0.1),
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
    assert type(ours.base_dist).__name__ == type(theirs.base_dist).__name__
    assert repr(ours.support) == repr(theirs.support)
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


MATRICES = np.array([[[1.0, 0.0], [0.3, 2.0]], [[1.0, 2.0], [2.0, 1.0]], [[0.6, 0.0], [0.8, -0.1]],
                     [[1.0, 0.0], [0.6, 0.8]]])


@pytest.mark.parametrize("name", ["lower_triangular", "corr_cholesky", "square", "symmetric", "positive_semidefinite",
                                  "less_than", "cat", "stack"])
def test_new_constraints_as_torch(backend, name):
    """What each accepts, its event rank and its name, as PyTorch's (the batch of matrices mixes the cases)."""
    def build(C):
        return {"less_than": lambda: C.less_than(0.5), "cat": lambda: C.cat([C.positive, C.real], -1, [1, 1]),
                "stack": lambda: C.stack([C.positive, C.unit_interval], -1)}.get(name, lambda: getattr(C, name))()

    ours, theirs = build(anynn.distributions.constraints), build(torch.distributions.constraints)
    values = MATRICES[1:] if name == "positive_semidefinite" else MATRICES  # (PyTorch: symmetric or else)
    np.testing.assert_array_equal(ours.check(make(backend, values)).numpy(), theirs.check(torch.tensor(values)))
    assert (repr(ours), ours.event_dim, ours.is_discrete) == (repr(theirs), theirs.event_dim, theirs.is_discrete)


def test_utils_as_torch(backend):
    from anynn.distributions import utils as ours
    from torch.distributions import utils as theirs

    vec = R.standard_normal((2, 6))
    for diag in (0, -1):
        size = 6 if diag == 0 else 3
        compare_with_torch(backend, lambda v, d=diag: ours.vec_to_tril_matrix(v, d),
                           lambda v, d=diag: theirs.vec_to_tril_matrix(v, d), vec[:, :size], rtol=1e-15)
    compare_with_torch(backend, lambda m: ours.tril_matrix_to_vec(m, -1), lambda m: theirs.tril_matrix_to_vec(m, -1),
                       R.standard_normal((2, 4, 4)), rtol=1e-15)
    p = R.random((2, 3)) * 0.9 + 0.05
    for binary in (False, True):
        compare_with_torch(backend, lambda q, b=binary: ours.probs_to_logits(q, b),
                           lambda q, b=binary: theirs.probs_to_logits(q, b), p, rtol=1e-12)
        compare_with_torch(backend, lambda q, b=binary: ours.logits_to_probs(q, b),
                           lambda q, b=binary: theirs.logits_to_probs(q, b), p, rtol=1e-12)
    a, b = ours.broadcast_all(make(backend, p[0]), 2.0)
    assert tuple(b.shape) == (3,) and b.dtype == a.dtype and ours.euler_constant == theirs.euler_constant
    with pytest.raises(ValueError, match="cannot be expressed as the lower triangular part"):
        ours.vec_to_tril_matrix(make(backend, vec[:, :5]))
