"""`distributions.MultivariateNormal` (and `LowRankMultivariateNormal`, at the end) against torch.distributions
in float64 on every backend: log_prob, entropy, KL and their gradients in the parameters for each of the three
parametrisations, the derived matrices, batch shapes, rsample's law and gradient, float64 gradient checks, and
PyTorch's refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn import distributions as D
from anynn.testing import grad_check

from tests.helpers import make

pytestmark = pytest.mark.jax

R = np.random.default_rng(3)
N = 3
LOC = R.standard_normal((2, N))
RAW = R.standard_normal((2, N, N))  # a matrix per batch element; parameters are built from it below
OTHER_LOC, OTHER_RAW = R.standard_normal(N), R.standard_normal((N, N))
VALUE = R.standard_normal((4, 1, N))  # (sample, 1, n): broadcast against the batch (2,)
FORMS = ["covariance_matrix", "precision_matrix", "scale_tril"]


def _build(lib, form, loc, raw):
    """A distribution whose ``form`` parameter is a differentiable function of ``raw`` (symmetric positive-definite,
    or lower triangular with a positive diagonal)."""
    eye = lib.ones_like(raw).tril().triu()
    if form == "scale_tril":
        matrix = raw.tril(-1) + eye * (raw.abs() + 0.5)
    else:
        matrix = raw @ raw.mT + eye
    return lib.distributions.MultivariateNormal(loc, **{form: matrix})


def _both(backend, arrays):
    ours = [make(backend, a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    return ours, theirs


def _compare(ours_out, theirs_out, ours_in, theirs_in):
    np.testing.assert_allclose(ours_out.numpy(), theirs_out.detach().numpy(), rtol=1e-9, atol=1e-11)
    assert tuple(ours_out.shape) == tuple(theirs_out.shape)
    weights = np.random.default_rng(1).standard_normal(tuple(theirs_out.shape))
    (ours_out * make(ours_in[0].backend, weights)).sum().backward()
    (theirs_out * torch.tensor(weights)).sum().backward()
    for i, (a, t) in enumerate(zip(ours_in, theirs_in)):
        if t.grad is None:  # not an input of this result (loc of the entropy)
            assert a.grad is None or not np.any(a.grad.numpy()), f"input {i}"
            continue
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-10, err_msg=f"input {i}")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance", "covariance_matrix", "precision_matrix",
                                  "scale_tril"])
def test_as_torch(backend, form, what):
    (loc, raw, value), (tloc, traw, tvalue) = _both(backend, [LOC, RAW, VALUE])
    ours, theirs = _build(anynn, form, loc, raw), _build(torch, form, tloc, traw)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    if what == "log_prob":
        _compare(ours.log_prob(value), theirs.log_prob(tvalue), [loc, raw, value], [tloc, traw, tvalue])
    elif what == "entropy":
        _compare(ours.entropy(), theirs.entropy(), [loc, raw], [tloc, traw])
    else:
        _compare(getattr(ours, what), getattr(theirs, what), [loc, raw], [tloc, traw])


@pytest.mark.parametrize("p_form, q_form", [("covariance_matrix", "scale_tril"), ("precision_matrix",
                                                                                  "covariance_matrix")])
def test_kl_divergence_as_torch(backend, p_form, q_form):
    arrays = [LOC, RAW, OTHER_LOC, OTHER_RAW]  # q has no batch dimensions: KL broadcasts to p's (2,)
    (a, b, c, d), (ta, tb, tc, td) = _both(backend, arrays)
    ours = D.kl_divergence(_build(anynn, p_form, a, b), _build(anynn, q_form, c, d))
    theirs = torch.distributions.kl_divergence(_build(torch, p_form, ta, tb), _build(torch, q_form, tc, td))
    _compare(ours, theirs, [a, b, c, d], [ta, tb, tc, td])


@pytest.mark.parametrize("form", FORMS)
def test_gradient_checks(backend, form):
    value = make(backend, VALUE)
    tensors = [make(backend, a, requires_grad=True) for a in (LOC, RAW)]
    assert grad_check(lambda loc, raw: _build(anynn, form, loc, raw).log_prob(value), *tensors)
    assert grad_check(lambda loc, raw: _build(anynn, form, loc, raw).entropy(), *tensors)
    other = [make(backend, a, requires_grad=True) for a in (OTHER_LOC, OTHER_RAW)]
    assert grad_check(lambda a, b, c, d: D.kl_divergence(_build(anynn, form, a, b), _build(anynn, "scale_tril", c, d)),
                      *tensors, *other)


def test_rsample_law_shape_and_gradient(backend):
    anynn.manual_seed(0)
    loc, raw = make(backend, LOC[0], requires_grad=True), make(backend, RAW[0], requires_grad=True)
    dist = _build(anynn, "covariance_matrix", loc, raw)
    draws = dist.rsample((20000,))
    assert tuple(draws.shape) == (20000, N) and draws.requires_grad
    host = draws.numpy()
    covariance = RAW[0] @ RAW[0].T + np.eye(N)
    np.testing.assert_allclose(host.mean(0), LOC[0], atol=0.1)
    np.testing.assert_allclose(np.cov(host.T), covariance, atol=0.15 * np.abs(covariance).max())
    draws.sum().backward()
    np.testing.assert_allclose(loc.grad.numpy(), np.full(N, 20000.0))
    assert not dist.sample((2,)).requires_grad
    batched = _build(anynn, "scale_tril", make(backend, LOC), make(backend, RAW))
    assert tuple(batched.sample((5,)).shape) == (5, 2, N)
    assert tuple(batched.sample().shape) == (2, N)


def test_broadcast_batch_shapes_as_torch(backend):
    loc, matrix = LOC[:, None, :], RAW @ np.swapaxes(RAW, -1, -2) + np.eye(N)  # (2, 1, n) and (2, n, n)
    ours = D.MultivariateNormal(make(backend, loc), covariance_matrix=make(backend, matrix))
    theirs = torch.distributions.MultivariateNormal(torch.tensor(loc), covariance_matrix=torch.tensor(matrix))
    assert ours.batch_shape == tuple(theirs.batch_shape) == (2, 2)
    for name in ("mean", "variance", "scale_tril", "covariance_matrix", "entropy"):
        got, want = getattr(ours, name), getattr(theirs, name)
        got, want = (got(), want()) if callable(got) else (got, want)
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-10, err_msg=name)
        assert tuple(got.shape) == tuple(want.shape), name


def test_refusals_as_torch(backend):
    loc, spd = make(backend, LOC[0]), make(backend, np.eye(N) * 2.0)
    for lib, l, m in [(torch.distributions, torch.tensor(LOC[0]), torch.tensor(np.eye(N) * 2.0)), (D, loc, spd)]:
        with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
            lib.MultivariateNormal(l)
        with pytest.raises(ValueError, match="Exactly one of"):
            lib.MultivariateNormal(l, covariance_matrix=m, scale_tril=m)
        with pytest.raises(ValueError, match="at least two-dimensional"):
            lib.MultivariateNormal(l, covariance_matrix=l)
        with pytest.raises(ValueError, match="PositiveDefinite"):
            lib.MultivariateNormal(l, covariance_matrix=-m)
        with pytest.raises(ValueError, match="LowerCholesky"):
            lib.MultivariateNormal(l, scale_tril=m + m.flip(-1))
        with pytest.raises(ValueError, match="The right-most size of value must match event_shape"):
            lib.MultivariateNormal(l, covariance_matrix=m).log_prob(l[:2])
    with pytest.raises(ValueError, match="different event shapes"):
        D.kl_divergence(D.MultivariateNormal(loc, covariance_matrix=spd),
                        D.MultivariateNormal(loc[:2], covariance_matrix=make(backend, np.eye(2))))


# -- LowRankMultivariateNormal: covariance W Wᵀ + diag(D) -----------------------------------------------------------
FACTOR, DIAG = R.standard_normal((2, N, 2)), R.uniform(0.5, 2.0, (1, N))  # D broadcast over the batch (2,)


def _low_rank(lib, loc, factor, raw_diag):
    return lib.distributions.LowRankMultivariateNormal(loc, factor, raw_diag * raw_diag)


@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance", "covariance_matrix", "precision_matrix",
                                  "scale_tril"])
def test_low_rank_as_torch(backend, what):
    (loc, factor, diag, value), (tloc, tfactor, tdiag, tvalue) = _both(backend, [LOC, FACTOR, DIAG, VALUE])
    ours, theirs = _low_rank(anynn, loc, factor, diag), _low_rank(torch, tloc, tfactor, tdiag)
    assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
    if what == "log_prob":
        _compare(ours.log_prob(value), theirs.log_prob(tvalue), [loc, factor, diag, value],
                 [tloc, tfactor, tdiag, tvalue])
    elif what == "entropy":
        _compare(ours.entropy(), theirs.entropy(), [loc, factor, diag], [tloc, tfactor, tdiag])
    else:
        _compare(getattr(ours, what), getattr(theirs, what), [loc, factor, diag], [tloc, tfactor, tdiag])


def test_low_rank_gradient_checks_samples_and_refusals(backend):
    value = make(backend, VALUE)
    tensors = [make(backend, a, requires_grad=True) for a in (LOC, FACTOR, DIAG)]
    assert grad_check(lambda *t: _low_rank(anynn, *t).log_prob(value), *tensors)
    assert grad_check(lambda *t: _low_rank(anynn, *t).entropy(), *tensors)
    dist = _low_rank(anynn, *tensors)
    draws = dist.rsample((3,))
    assert tuple(draws.shape) == (3, 2, N) and draws.requires_grad and not dist.sample().requires_grad
    loc, factor, diag = (make(backend, a) for a in (LOC, FACTOR, DIAG[0]))
    theirs = [torch.tensor(a) for a in (LOC, FACTOR, DIAG[0])]
    for lib, args in [(torch.distributions, theirs), (D, [loc, factor, diag])]:
        with pytest.raises(ValueError, match="loc must be at least one-dimensional"):
            lib.LowRankMultivariateNormal(args[0][0, 0], args[1], args[2])
        with pytest.raises(ValueError, match="cov_factor must be a batch of matrices with shape 3 x m"):
            lib.LowRankMultivariateNormal(args[0], args[1].mT, args[2])
        with pytest.raises(ValueError, match=r"cov_diag must be a batch of vectors with shape"):
            lib.LowRankMultivariateNormal(args[0], args[1], args[2][:2])


@pytest.mark.parametrize("p_kind, q_kind", [("low_rank", "low_rank"), ("full", "low_rank"), ("low_rank", "full")])
def test_low_rank_kl_divergence_as_torch(backend, p_kind, q_kind):
    arrays = [LOC, FACTOR, DIAG, OTHER_LOC, OTHER_RAW]

    def build(lib, kind, loc, factor, diag, raw):
        return _low_rank(lib, loc, factor, diag) if kind == "low_rank" else _build(lib, "scale_tril", loc, raw)

    def kl(lib, a, b, c, d, e):
        p = build(lib, p_kind, a, b, c, e[None].expand(2, N, N))
        q = build(lib, q_kind, d, b[0].flip(-1) + 0.5, c[0] + 0.25, e)
        return lib.distributions.kl_divergence(p, q)

    ours_in, theirs_in = _both(backend, arrays)
    _compare(kl(anynn, *ours_in), kl(torch, *theirs_in), ours_in, theirs_in)


WISHART_COV = RAW @ np.swapaxes(RAW, -1, -2) + np.eye(N)
WISHART_DF = np.array([4.5, 7.0])


@pytest.mark.jax(run=False)  # (eager JAX: ~30 s a case; the matrix family's jax coverage is MultivariateNormal's)
@pytest.mark.parametrize("form", FORMS)
def test_wishart_as_torch(backend, form):
    """log_prob (of PyTorch's samples), entropy and the moments, values and gradients in ``df`` and the matrix,
    for each way of giving it; the generic ExponentialFamily entropy agrees with the closed form. A scale_tril is
    passed through ``tril()``: PyTorch's cholesky_solve gives its unused upper triangle a gradient, anynn none."""
    from tests.helpers import compare_with_torch

    matrix = np.linalg.cholesky(WISHART_COV) if form == "scale_tril" else (
        np.linalg.inv(WISHART_COV) if form == "precision_matrix" else WISHART_COV)
    torch.manual_seed(0)
    value = torch.distributions.Wishart(torch.tensor(WISHART_DF), covariance_matrix=torch.tensor(WISHART_COV)).sample(
        (2,)).numpy()

    def build(lib, df, m):
        return lib.distributions.Wishart(df, **{form: m.tril() if form == "scale_tril" else m})

    compare_with_torch(backend, lambda df, m, v: build(anynn, df, m).log_prob(v),
                       lambda df, m, v: build(torch, df, m).log_prob(v), WISHART_DF, matrix, value, rtol=1e-9,
                       atol=1e-12, differentiable=[True, form != "precision_matrix", True])
    for what in ("entropy", "mean", "variance", "mode"):
        compare_with_torch(backend, lambda df, m, w=what: getattr(build(anynn, df, m), w)() if w == "entropy"
                           else getattr(build(anynn, df, m), w),
                           lambda df, m, w=what: getattr(build(torch, df, m), w)() if w == "entropy"
                           else getattr(build(torch, df, m), w), WISHART_DF, matrix, rtol=1e-9, atol=1e-12,
                           differentiable=[what != "mode", form != "precision_matrix"])
    ours = build(anynn, make(backend, WISHART_DF), make(backend, matrix))
    np.testing.assert_allclose(D.ExponentialFamily.entropy(ours).numpy(), ours.entropy().numpy(), rtol=1e-10)


def test_wishart_samples_and_refusals():
    """Bartlett samples: positive definite, the law's mean and variance, ``rsample`` differentiable; no warning
    for ordinary samples (PyTorch's rsample warns "Singular sample detected." for them: a differences row)."""
    import warnings

    anynn.manual_seed(0)
    df = anynn.tensor(WISHART_DF, requires_grad=True)
    d = D.Wishart(df, covariance_matrix=anynn.tensor(WISHART_COV))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        draws = d.rsample((4000,))
    assert tuple(draws.shape) == (4000, 2, N, N) and bool(d.support.check(draws).all())
    np.testing.assert_allclose(draws.detach().numpy().mean(0), d.mean.numpy(), atol=0.05 * np.abs(d.mean.numpy()).max())
    np.testing.assert_allclose(draws.detach().numpy().var(0), d.variance.numpy(), rtol=0.15)
    draws.mean(0).sum().backward()  # d E[X] / d df = sum of Σ's entries
    np.testing.assert_allclose(df.grad.numpy(), WISHART_COV.sum((-1, -2)), rtol=0.1)
    with pytest.raises(ValueError, match="expected to be greater than ndim - 1 = 2"):
        D.Wishart(2.0, covariance_matrix=anynn.tensor(WISHART_COV))
    with pytest.raises(ValueError, match="Exactly one of covariance_matrix or precision_matrix or scale_tril"):
        D.Wishart(4.0)
    with pytest.warns(UserWarning, match="Low df values detected"):
        D.Wishart(2.5, covariance_matrix=anynn.tensor(WISHART_COV))
