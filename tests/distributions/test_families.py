"""anynn.distributions' continuous and counting families beyond the first set (Laplace, Cauchy, Gumbel,
Exponential, Gamma, Chi2, Beta, Dirichlet, StudentT, HalfNormal, HalfCauchy, LogNormal, Poisson, Geometric,
Binomial, NegativeBinomial, Multinomial, the relaxed Bernoulli and one-hot categorical, MixtureSameFamily) and
their KL pairs, against torch.distributions: values and parameter gradients of log_prob/cdf/icdf/entropy/moments,
float64 gradient checks, sample laws and shapes, and the implicit reparameterization of Gamma draws."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import anynn
from anynn.distributions import kl_divergence
from anynn.functional.formulas.standard_gamma_grad import standard_gamma_grad
from tests.helpers import check_gradients, compare_with_torch, make

R = np.random.default_rng(11)
POS = R.random((2, 3)) + 0.5          # positive parameters (scales, rates, concentrations)
POS2 = R.random((2, 3)) + 1.5
LOC = R.standard_normal((2, 3))
REAL = R.standard_normal((2, 3))       # values on the real line
UNIT = R.random((2, 3)) * 0.8 + 0.1    # values and probabilities in (0, 1)
SIMPLEX = R.random((2, 4)) + 0.1
SIMPLEX /= SIMPLEX.sum(-1, keepdims=True)
COUNTS = np.array([[0.0, 1.0, 3.0], [2.0, 0.0, 5.0]])

# name: (build(D, *params), params, value for log_prob/cdf, probabilities for icdf or None, what to compare)
FAMILIES = {
    "Laplace": (lambda D, m, s: D.Laplace(m, s), [LOC, POS], REAL, UNIT,
                ["log_prob", "cdf", "icdf", "entropy", "mean", "variance", "stddev"]),
    "Cauchy": (lambda D, m, s: D.Cauchy(m, s), [LOC, POS], REAL, UNIT, ["log_prob", "cdf", "icdf", "entropy"]),
    "Gumbel": (lambda D, m, s: D.Gumbel(m, s), [LOC, POS], REAL, None,
               ["log_prob", "cdf", "entropy", "mean", "variance"]),
    "Exponential": (lambda D, r: D.Exponential(r), [POS], POS2, UNIT,
                    ["log_prob", "cdf", "icdf", "entropy", "mean", "variance"]),
    "Gamma": (lambda D, c, r: D.Gamma(c, r), [POS2, POS], POS, None,
              ["log_prob", "cdf", "entropy", "mean", "variance", "mode"]),
    "Chi2": (lambda D, k: D.Chi2(k), [POS2 * 2], POS2, None, ["log_prob", "entropy", "mean", "variance"]),
    "Beta": (lambda D, a, b: D.Beta(a, b), [POS2, POS], UNIT, None,
             ["log_prob", "entropy", "mean", "variance", "mode"]),
    "Dirichlet": (lambda D, c: D.Dirichlet(c), [SIMPLEX * 5 + 0.5], SIMPLEX, None,
                  ["log_prob", "entropy", "mean", "variance", "mode"]),
    "StudentT": (lambda D, k, m, s: D.StudentT(k, m, s), [POS2 * 2, LOC, POS], REAL, None,
                 ["log_prob", "entropy", "mean", "variance"]),
    "HalfNormal": (lambda D, s: D.HalfNormal(s, validate_args=False), [POS], np.abs(REAL) * (1 - 2 * (REAL < -1)),
                   UNIT,
                   ["log_prob", "cdf", "icdf", "entropy", "mean", "variance"]),
    "HalfCauchy": (lambda D, s: D.HalfCauchy(s), [POS], np.abs(REAL), UNIT, ["log_prob", "cdf", "icdf", "entropy"]),
    "LogNormal": (lambda D, m, s: D.LogNormal(m, s), [LOC, POS], POS, UNIT,
                  ["log_prob", "cdf", "icdf", "entropy", "mean", "variance", "mode"]),
    "Poisson": (lambda D, r: D.Poisson(r), [POS * 3], COUNTS, None, ["log_prob", "mean", "variance"]),
    "Geometric": (lambda D, p: D.Geometric(p), [UNIT], COUNTS, None, ["log_prob", "entropy", "mean", "variance"]),
    "Geometric(logits)": (lambda D, g: D.Geometric(logits=g), [LOC], COUNTS, None, ["log_prob", "entropy"]),
    "Binomial": (lambda D, p: D.Binomial(5, p), [UNIT], COUNTS, None,
                 ["log_prob", "entropy", "mean", "variance", "mode"]),
    "Binomial(logits)": (lambda D, g: D.Binomial(torch.tensor(6.0) if D is torch.distributions else 6, logits=g),
                         [LOC], COUNTS, None, ["log_prob", "mean"]),
    "NegativeBinomial": (lambda D, n, p: D.NegativeBinomial(n, p), [POS2 * 2, UNIT], COUNTS, None,
                         ["log_prob", "mean", "variance", "mode"]),
    "NegativeBinomial(logits)": (lambda D, g: D.NegativeBinomial(3.0, logits=g), [LOC], COUNTS, None,
                                 ["log_prob", "mean", "variance"]),
    "Multinomial": (lambda D, p: D.Multinomial(9, p), [SIMPLEX], np.array([[0.0, 2, 3, 4], [9, 0, 0, 0]]), None,
                    ["log_prob", "mean", "variance", "entropy"]),
    "Weibull": (lambda D, s, c: D.Weibull(s, c), [POS, POS2], POS, UNIT,
                ["log_prob", "cdf", "icdf", "entropy", "mean", "variance", "mode"]),
    "Pareto": (lambda D, s, a: D.Pareto(s, a), [POS, POS2 + 1], POS + 1.5, UNIT,
               ["log_prob", "cdf", "icdf", "entropy", "mean", "variance"]),
    "Kumaraswamy": (lambda D, a, b: D.Kumaraswamy(a, b), [POS2, POS], UNIT, UNIT,
                    ["log_prob", "cdf", "icdf", "entropy", "mean", "variance"]),
    "InverseGamma": (lambda D, c, r: D.InverseGamma(c, r), [POS2 + 1, POS], POS, None,
                     ["log_prob", "entropy", "mean", "variance", "mode"]),
    "FisherSnedecor": (lambda D, a, b: D.FisherSnedecor(a, b), [POS2 * 2, POS2 * 3], POS, None,
                       ["log_prob", "mean", "variance", "mode"]),
    # (PyTorch's log_prob and cdf refuse float64 here - an isclose of two dtypes - see the float32 test below)
    "GeneralizedPareto": (lambda D, m, s, c: D.GeneralizedPareto(m, s, c), [LOC, POS, REAL * 0.3], REAL, UNIT,
                          ["icdf", "entropy", "mean", "variance"]),
    "VonMises": (lambda D, m, k: D.VonMises(m, k), [LOC, POS * 3], REAL, None, ["log_prob", "mean", "variance"]),
    "ContinuousBernoulli": (lambda D, p: D.ContinuousBernoulli(p), [UNIT], UNIT, UNIT,
                            ["log_prob", "cdf", "icdf", "entropy", "mean", "variance"]),
    "ContinuousBernoulli(logits)": (lambda D, g: D.ContinuousBernoulli(logits=g), [LOC * 1e-3], UNIT, UNIT,
                                    ["log_prob", "cdf", "icdf", "entropy", "mean", "variance"]),
    "LogisticNormal": (lambda D, m, s: D.LogisticNormal(m, s), [LOC, POS], SIMPLEX, None, ["log_prob"]),
    "RelaxedBernoulli": (lambda D, g: D.RelaxedBernoulli(_temperature(D, g), logits=g), [LOC], UNIT, None,
                         ["log_prob"]),
    "RelaxedOneHotCategorical": (lambda D, g: D.RelaxedOneHotCategorical(_temperature(D, g), logits=g),
                                 [R.standard_normal((2, 4))], SIMPLEX, None, ["log_prob"]),
    "MixtureSameFamily": (lambda D, w, m, s: D.MixtureSameFamily(D.Categorical(logits=w), D.Normal(m, s)),
                          [REAL, LOC, POS], REAL[:, 0], None, ["log_prob", "cdf", "mean", "variance"]),
}


COUNTING = ("Poisson", "Geometric", "Binomial", "NegativeBinomial", "Multinomial")


def test_generalized_pareto_log_prob_and_cdf_as_torch_in_float32(backend):
    """Where PyTorch's GeneralizedPareto computes them (float32: its isclose with a float32 zero refuses float64),
    anynn's log_prob, cdf and log_survival_function agree, the exponential limit (|c| <= 1e-8) included."""
    c = np.array([[0.3, -0.2, 0.0], [0.6, -0.4, 1e-9]], np.float32)
    loc, scale = LOC.astype(np.float32), POS.astype(np.float32)
    value = loc + 0.3 * scale
    for what in ("log_prob", "cdf", "log_survival_function"):
        compare_with_torch(backend, lambda m, s, k, v, w=what: getattr(anynn.distributions.GeneralizedPareto(m, s, k),
                                                                        w)(v),
                           lambda m, s, k, v, w=what: getattr(torch.distributions.GeneralizedPareto(m, s, k), w)(v),
                           loc, scale, c, value, rtol=1e-5, atol=1e-6)


def test_exponential_families_as_torch(backend):
    """The classes PyTorch derives from ExponentialFamily derive from anynn's; its generic entropy (from the
    log-normalizer, differentiated by autograd, of detached natural parameters as PyTorch's) gives
    ContinuousBernoulli's closed-form entropy."""
    ours, theirs = anynn.distributions, torch.distributions
    for name in ("Bernoulli", "Beta", "ContinuousBernoulli", "Dirichlet", "Exponential", "Gamma", "Normal", "Poisson"):
        assert issubclass(getattr(ours, name), ours.ExponentialFamily) and issubclass(getattr(theirs, name),
                                                                                    theirs.ExponentialFamily)
    assert not issubclass(ours.Laplace, ours.ExponentialFamily)
    logits = np.array([-2.0, -1e-4, 0.3, 1.5])
    compare_with_torch(backend, lambda g: ours.ExponentialFamily.entropy(ours.ContinuousBernoulli(logits=g)),
                       lambda g: theirs.ContinuousBernoulli(logits=g).entropy(), logits, rtol=1e-9, atol=1e-12,
                       differentiable=[False])


def test_lkj_cholesky_as_torch(backend):
    """log_prob of PyTorch's samples and its gradients in the concentration and the value; our samples are
    Cholesky factors of correlation matrices whose off-diagonal correlations all have the law's variance
    (1 / (2 concentration + dim - 1): the LKJ law is exchangeable). PyTorch's sampler gives the entries of the third
    row a larger variance (a Beta(k - 1/2, .) draw where the onion method has Beta(k/2, .)): a differences row."""
    torch.manual_seed(0)
    concentration = np.array([0.5, 1.0, 3.0])
    value = torch.distributions.LKJCholesky(3, torch.tensor(concentration)).sample((2,)).numpy()
    compare_with_torch(backend, lambda c, v: anynn.distributions.LKJCholesky(3, c).log_prob(v),
                       lambda c, v: torch.distributions.LKJCholesky(3, c).log_prob(v), concentration, value,
                       rtol=1e-10, atol=1e-12)
    check_gradients(backend, lambda c, v: anynn.distributions.LKJCholesky(3, c).log_prob(v).sum(),
                    concentration[:1] + 0.5, value[0, 0])
    anynn.manual_seed(1)
    d = anynn.distributions.LKJCholesky(3, make(backend, concentration))
    draws = d.sample((3000,))
    assert tuple(draws.shape) == (3000, 3, 3, 3) and (d.batch_shape, d.event_shape) == ((3,), (3, 3))
    assert bool(anynn.distributions.constraints.corr_cholesky.check(draws).all())
    factors = draws.numpy()
    correlations = (factors @ np.swapaxes(factors, -1, -2))[..., [1, 2, 2], [0, 0, 1]]
    np.testing.assert_allclose(correlations.var(0), np.repeat(1 / (2 * concentration + 2), 3).reshape(3, 3),
                               rtol=0.12)
    with pytest.raises(ValueError, match="greater than or equal to 2. Found dim=1"):
        anynn.distributions.LKJCholesky(1)


def _temperature(D, like):
    return torch.tensor(0.7, dtype=like.dtype) if D is torch.distributions else 0.7


def _evaluate(D, build, params, value, probs, what):
    d = build(D, *params)
    if what in ("log_prob", "cdf"):
        return getattr(d, what)(value)
    if what == "icdf":
        return d.icdf(probs)
    if what == "entropy":
        return d.entropy()
    return getattr(d, what)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_family_as_torch(backend, name):
    """Each quantity's value and its gradient in every parameter (and in a continuous value) match PyTorch's;
    where PyTorch's quantity does not depend on a parameter, anynn's gradient is absent or zero."""
    build, params, value, probs, whats = FAMILIES[name]
    continuous = name.partition("(")[0] not in COUNTING
    for what in whats:
        ours = [make(backend, p, requires_grad=True) for p in params]
        theirs = [torch.tensor(p, requires_grad=True) for p in params]
        v_ours = make(backend, value, requires_grad=continuous)
        v_theirs = torch.tensor(value, requires_grad=continuous)
        p_ours, p_theirs = (make(backend, probs), torch.tensor(probs)) if probs is not None else (None, None)
        out = _evaluate(anynn.distributions, build, ours, v_ours, p_ours, what)
        ref = _evaluate(torch.distributions, build, theirs, v_theirs, p_theirs, what)
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-7, atol=1e-9, err_msg=f"{name}.{what}")
        weights = np.random.default_rng(1).standard_normal(ref.shape)
        try:
            (ref * torch.tensor(weights)).sum().backward()
        except NotImplementedError as error:  # Gamma.cdf in the concentration: both refuse
            with pytest.raises(NotImplementedError, match=str(error).split("'")[0]):
                (out * make(backend, weights)).sum().backward()
            continue
        (out * make(backend, weights)).sum().backward()
        for i, (a, t) in enumerate(zip(ours + [v_ours], theirs + [v_theirs])):
            if not t.requires_grad:
                continue
            expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            got = np.zeros(t.shape) if a.grad is None else a.grad.numpy()
            np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-8, err_msg=f"{name}.{what}: gradient {i}")


@pytest.mark.parametrize("name", ["Gumbel", "Gamma", "Beta", "Dirichlet", "StudentT", "LogNormal",
                                  "Geometric(logits)", "RelaxedOneHotCategorical", "MixtureSameFamily", "Weibull",
                                  "Kumaraswamy", "VonMises", "ContinuousBernoulli(logits)", "LogisticNormal"])
def test_family_gradients(backend, name):
    """float64 central differences of log_prob plus entropy (or mean) in every parameter, on a batch of one."""
    build, params, value, _, whats = FAMILIES[name]
    params, value = [p[:1] for p in params], value[:1]
    D = anynn.distributions

    def f(*xs):
        d = build(D, *xs)
        total = d.log_prob(make(backend, value)).sum()
        if "entropy" in whats:
            total = total + d.entropy().sum()
        return total + d.mean.sum() if "mean" in whats else total

    check_gradients(backend, f, *params)


# name: (build(D, *params), params, moments checked on the draws, draws)
SAMPLED = {
    "Laplace": (lambda D, m, s: D.Laplace(m, s), [LOC, POS]),
    "Cauchy": (lambda D, m, s: D.Cauchy(m, s), [LOC, POS]),
    "Gumbel": (lambda D, m, s: D.Gumbel(m, s), [LOC, POS]),
    "Exponential": (lambda D, r: D.Exponential(r), [POS]),
    "Gamma": (lambda D, c, r: D.Gamma(c, r), [UNIT, POS]),
    "Beta": (lambda D, a, b: D.Beta(a, b), [POS2, POS]),
    "Dirichlet": (lambda D, c: D.Dirichlet(c), [SIMPLEX * 5 + 0.5]),
    "StudentT": (lambda D, k, m, s: D.StudentT(k, m, s), [POS2 * 3, LOC, POS]),
    "HalfNormal": (lambda D, s: D.HalfNormal(s), [POS]),
    "LogNormal": (lambda D, m, s: D.LogNormal(m, s * 0.5), [LOC, POS]),
    "Poisson": (lambda D, r: D.Poisson(r), [POS * 3]),
    "Geometric": (lambda D, p: D.Geometric(p), [UNIT]),
    "Binomial": (lambda D, p: D.Binomial(5, p), [UNIT]),
    "NegativeBinomial": (lambda D, n, p: D.NegativeBinomial(n, p), [POS2, UNIT]),
    "Multinomial": (lambda D, p: D.Multinomial(7, p), [SIMPLEX]),
    "RelaxedBernoulli": (lambda D, g: D.RelaxedBernoulli(_temperature(D, g), logits=g), [LOC]),
    "MixtureSameFamily": (lambda D, w, m, s: D.MixtureSameFamily(D.Categorical(logits=w), D.Normal(m, s)),
                          [REAL, LOC, POS]),
    "Weibull": (lambda D, s, c: D.Weibull(s, c), [POS, POS2]),
    "Pareto": (lambda D, s, a: D.Pareto(s, a), [POS, POS2 + 1]),
    "Kumaraswamy": (lambda D, a, b: D.Kumaraswamy(a, b), [POS2, POS]),
    "InverseGamma": (lambda D, c, r: D.InverseGamma(c, r), [POS2 + 1, POS]),
    "FisherSnedecor": (lambda D, a, b: D.FisherSnedecor(a, b), [POS2 * 2, POS2 * 3]),
    "GeneralizedPareto": (lambda D, m, s, c: D.GeneralizedPareto(m, s, c), [LOC, POS, REAL * 0.3]),
    "VonMises": (lambda D, m, k: D.VonMises(m, k), [LOC, POS * 3]),
    "ContinuousBernoulli": (lambda D, p: D.ContinuousBernoulli(p), [UNIT]),
    "LogisticNormal": (lambda D, m, s: D.LogisticNormal(m, s), [LOC, POS]),
}


@pytest.mark.parametrize("name", list(SAMPLED))
def test_samples_follow_torchs_law(name):
    """Shapes and dtypes as PyTorch's; the draws' median and quartiles (and, where finite, mean) match the law;
    ``rsample`` where PyTorch has it, and its gradient estimates the gradient of the mean (or median)."""
    anynn.manual_seed(3)
    torch.manual_seed(3)
    build, params = SAMPLED[name]
    ours = build(anynn.distributions, *[anynn.tensor(p, requires_grad=True) for p in params])
    theirs = build(torch.distributions, *[torch.tensor(p) for p in params])
    assert ours.has_rsample == theirs.has_rsample
    assert tuple(ours.batch_shape) == tuple(theirs.batch_shape)
    assert tuple(ours.event_shape) == tuple(theirs.event_shape)
    n = 6000
    draws = ours.sample((n,))
    reference = theirs.sample((n,)).numpy()
    assert tuple(draws.shape) == reference.shape and not draws.requires_grad
    assert anynn.backend.dtype_name(draws.dtype) == str(reference.dtype)
    draws = draws.numpy()
    if name in COUNTING:  # counts: the mean within five standard errors
        mean, variance = theirs.mean.numpy(), theirs.variance.numpy()
        np.testing.assert_array_less(np.abs(draws.mean(0) - mean), 5 * np.sqrt(variance / n) + 1e-6, err_msg=name)
    for q in (0.25, 0.5, 0.75):  # quantiles of two samples of one law agree within a few standard errors
        spread = np.quantile(reference, 0.9, axis=0) - np.quantile(reference, 0.1, axis=0)
        np.testing.assert_array_less(np.abs(np.quantile(draws, q, axis=0) - np.quantile(reference, q, axis=0)),
                                     0.1 * spread + 0.05 + (name in COUNTING),
                                     err_msg=f"{name}: quantile {q}")
    if ours.has_rsample:
        draw = ours.rsample((2,))
        assert draw.requires_grad and tuple(draw.shape) == (2, *reference.shape[1:])


@pytest.mark.parametrize("name,build,params", [
    ("Gamma", lambda D, c, r: D.Gamma(c, r), [UNIT + 0.2, POS]),
    ("Beta", lambda D, a, b: D.Beta(a, b), [POS2, POS]),
    ("Dirichlet", lambda D, c: D.Dirichlet(c), [SIMPLEX * 3 + 0.3]),
    ("StudentT", lambda D, k, m, s: D.StudentT(k, m, s), [POS2 * 3, LOC, POS]),
    ("Weibull", lambda D, s, c: D.Weibull(s, c), [POS, POS2]),
])
def test_rsample_gradient_estimates_the_gradient_of_the_mean(name, build, params):
    """The average of many ``rsample`` draws, differentiated, approaches the gradient of PyTorch's exact mean
    (implicit reparameterization of the Gamma draws for the concentrations and degrees of freedom; the slope's
    formula runs on every backend in the test below)."""
    anynn.manual_seed(0)
    ours = [anynn.tensor(p, requires_grad=True) for p in params]
    theirs = [torch.tensor(p, requires_grad=True) for p in params]
    n = 20000
    weights = np.random.default_rng(2).standard_normal(build(torch.distributions, *theirs).mean.shape)
    (build(anynn.distributions, *ours).rsample((n,)).mean(0) * anynn.tensor(weights)).sum().backward()
    (build(torch.distributions, *theirs).mean * torch.tensor(weights)).sum().backward()
    for a, t in zip(ours, theirs):
        expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        assert np.all(np.abs(a.grad.numpy() - expected) <= 0.08 * (1 + np.abs(expected))), (name, a.grad, expected)


def test_standard_gamma_grad_as_torch_and_finite_differences(backend):
    """dx/da of a Gamma(a, 1) draw at fixed probability, on both expansions' sides: against PyTorch's
    ``_standard_gamma_grad`` (an approximation good to ~1e-3) and against central differences of anynn's own
    regularized incomplete gamma divided by the density (float64)."""
    a = np.array([0.05, 0.3, 1.0, 2.5, 7.0, 30.0, 200.0, 0.5, 3.0, 3.0, 10.0])
    x = np.array([0.01, 0.2, 1.3, 0.7, 12.0, 28.0, 215.0, 4.0, 0.001, 9.0, 3.0])
    xp = backend.xp
    got = backend.to_host(standard_gamma_grad(xp, make(backend, a).array, make(backend, x).array))
    np.testing.assert_allclose(got, torch._standard_gamma_grad(torch.tensor(a), torch.tensor(x)).numpy(), rtol=1e-3)
    h = 1e-6
    slope = anynn.special.gammainc(make(backend, a + h), make(backend, x)) - anynn.special.gammainc(
        make(backend, a - h), make(backend, x))
    density = ((make(backend, a) - 1) * make(backend, x).log() - make(backend, x) - make(backend, a).lgamma()).exp()
    np.testing.assert_allclose(got, (-slope / (2 * h) / density).numpy(), rtol=1e-6)


KL_PAIRS = {
    "Laplace": (lambda D, m, s: D.Laplace(m, s), [LOC, POS], [REAL, POS2]),
    "Cauchy": (lambda D, m, s: D.Cauchy(m, s), [LOC, POS], [REAL, POS2]),
    "Gumbel": (lambda D, m, s: D.Gumbel(m, s), [LOC, POS], [REAL, POS2]),
    "Exponential": (lambda D, r: D.Exponential(r), [POS], [POS2]),
    "Gamma": (lambda D, c, r: D.Gamma(c, r), [POS, POS2], [POS2, POS]),
    "Beta": (lambda D, a, b: D.Beta(a, b), [POS, POS2], [POS2, POS]),
    "Dirichlet": (lambda D, c: D.Dirichlet(c), [SIMPLEX + 0.5], [SIMPLEX * 3]),
    "Poisson": (lambda D, r: D.Poisson(r), [POS], [POS2]),
    "Geometric": (lambda D, p: D.Geometric(p), [UNIT], [UNIT[::-1].copy()]),
    "Binomial": (lambda D, n, p: D.Binomial(n, p), [COUNTS + 5, UNIT], [COUNTS * 0 + 5, UNIT[::-1].copy()]),
    "HalfNormal": (lambda D, s: D.HalfNormal(s), [POS], [POS2]),
    "LogNormal": (lambda D, m, s: D.LogNormal(m, s), [LOC, POS], [REAL, POS2]),
    "Uniform": (lambda D, lo, hi: D.Uniform(lo, hi), [LOC, LOC + POS], [LOC - POS, LOC + POS2 * (REAL > -1)]),
}


@pytest.mark.parametrize("name", list(KL_PAIRS))
def test_kl_divergence_of_one_family_as_torch(backend, name):
    build, p_params, q_params = KL_PAIRS[name]
    ours = [make(backend, a, requires_grad=True) for a in p_params + q_params]
    theirs = [torch.tensor(a, requires_grad=True) for a in p_params + q_params]
    k = len(p_params)
    out = kl_divergence(build(anynn.distributions, *ours[:k]), build(anynn.distributions, *ours[k:]))
    ref = torch.distributions.kl_divergence(build(torch.distributions, *theirs[:k]),
                                            build(torch.distributions, *theirs[k:]))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-7, atol=1e-9)
    finite = np.isfinite(ref.detach().numpy())
    (out.masked_fill(make(backend, ~finite), 0.0).sum()).backward()
    ref[torch.tensor(finite)].sum().backward()
    for a, t in zip(ours, theirs):
        if t.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-8, err_msg=name)


# one distribution of each family, for the pairs of two families: build(D, *params), params
CROSS = {
    "Bernoulli": (lambda D, p: D.Bernoulli(p), [UNIT[0]]), "Poisson": (lambda D, r: D.Poisson(r), [POS[0]]),
    "Binomial": (lambda D, p: D.Binomial(5, p), [UNIT[0]]),
    "Beta": (lambda D, a, b: D.Beta(a, b), [POS2[0], POS[0]]),
    "ContinuousBernoulli": (lambda D, p: D.ContinuousBernoulli(p), [UNIT[0]]),
    "Exponential": (lambda D, r: D.Exponential(r), [POS[0]]),
    "Gamma": (lambda D, c, r: D.Gamma(c, r), [POS2[0], POS[0]]),
    "Normal": (lambda D, m, s: D.Normal(m, s), [LOC[0], POS[0]]),
    "Pareto": (lambda D, s, a: D.Pareto(s, a), [POS[0], POS2[0] + 1]),
    "Uniform": (lambda D, lo, hi: D.Uniform(lo, hi), [UNIT[0] * 0.5, UNIT[0] * 0.5 + 0.3]),
    "Gumbel": (lambda D, m, s: D.Gumbel(m, s), [LOC[0], POS[0]]),
    "Laplace": (lambda D, m, s: D.Laplace(m, s), [LOC[0], POS[0]]),
}
CROSS_PAIRS = sorted((p.__name__, q.__name__) for p, q in torch.distributions.kl._KL_REGISTRY
                     if p.__name__ in CROSS and q.__name__ in CROSS and p is not q)


def test_kl_divergence_of_every_pair_of_two_families_as_torch():
    """Every pair of two families PyTorch registers: the same values (infinite where q's support misses p's)."""
    assert len(CROSS_PAIRS) >= 55
    for p_name, q_name in CROSS_PAIRS:
        values = []
        for lib, make_tensor in ((anynn, anynn.tensor), (torch, torch.tensor)):
            (p_build, p_params), (q_build, q_params) = CROSS[p_name], CROSS[q_name]
            values.append(lib.distributions.kl_divergence(p_build(lib.distributions, *map(make_tensor, p_params)),
                                                          q_build(lib.distributions, *map(make_tensor, q_params))))
        np.testing.assert_allclose(values[0].numpy(), values[1].detach().numpy(), rtol=1e-9,
                                   err_msg=f"KL({p_name} || {q_name})")


@pytest.mark.parametrize("pair", [("Beta", "Normal"), ("ContinuousBernoulli", "Normal"), ("Gamma", "Gumbel"),
                                  ("Normal", "Laplace"), ("Pareto", "Gamma"), ("Uniform", "Beta")])
def test_kl_divergence_of_two_families_gradients_as_torch(backend, pair):
    (p_build, p_params), (q_build, q_params) = CROSS[pair[0]], CROSS[pair[1]]
    k = len(p_params)
    compare_with_torch(backend, lambda *xs: kl_divergence(p_build(anynn.distributions, *xs[:k]),
                                                          q_build(anynn.distributions, *xs[k:])),
                       lambda *xs: torch.distributions.kl_divergence(p_build(torch.distributions, *xs[:k]),
                                                                     q_build(torch.distributions, *xs[k:])),
                       *p_params, *q_params, rtol=1e-8, atol=1e-10)


def test_kl_divergence_within_an_exponential_family_and_of_transformed_distributions():
    """A family without a KL of its own (Wishart, ContinuousBernoulli by the generic route) takes the Bregman
    divergence of its log-normalizer; two families are refused with PyTorch's message; two TransformedDistributions
    with equal transforms take their bases' KL (PyTorch's value comparison of transform parameters)."""
    D = anynn.distributions
    cov = np.eye(3) + 0.3
    ours = D.kl_divergence(D.Wishart(5.0, covariance_matrix=anynn.tensor(cov)),
                           D.Wishart(6.0, covariance_matrix=anynn.tensor(cov * 1.3)))
    theirs = torch.distributions.kl_divergence(
        torch.distributions.Wishart(torch.tensor(5.0, dtype=torch.float64), covariance_matrix=torch.tensor(cov)),
        torch.distributions.Wishart(torch.tensor(6.0, dtype=torch.float64), covariance_matrix=torch.tensor(cov * 1.3)))
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-9)
    p, q = D.ContinuousBernoulli(anynn.tensor(UNIT[0])), D.ContinuousBernoulli(anynn.tensor(UNIT[1]))
    generic = D.kl_cross._kl_exponential_family(p, q)
    np.testing.assert_allclose(generic.numpy(), D.kl_divergence(p, q).numpy(), rtol=1e-9)
    with pytest.raises(NotImplementedError, match="different exponential families"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(anynn.tensor(0.3)))
    same = [D.Weibull(anynn.tensor(POS[0]), anynn.tensor(POS2[0])) for _ in range(2)]
    np.testing.assert_array_equal(D.kl_divergence(*same).numpy(), np.zeros(3))
    with pytest.raises(NotImplementedError, match="equal transforms"):
        D.kl_divergence(same[0], D.Weibull(anynn.tensor(POS[1]), anynn.tensor(POS2[0])))


def test_constructors_refuse_what_torch_refuses():
    D = anynn.distributions
    for lib in (torch, anynn):  # what a distribution lacks: NotImplementedError (anynn: AttributeError)
        d = lib.distributions.LogisticNormal(lib.tensor([0.0, 1.0]), lib.tensor([1.0, 2.0]), validate_args=False)
        for call in (lambda d: d.cdf(d.loc), lambda d: d.icdf(d.loc), lambda d: d.mode, lambda d: d.entropy(),
                     lambda d: d.enumerate_support()):
            with pytest.raises(NotImplementedError):
                call(d)
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Geometric()
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        D.Binomial(3, probs=anynn.tensor([0.5]), logits=anynn.tensor([0.0]))
    with pytest.raises(ValueError, match="at least one-dimensional"):
        D.Dirichlet(anynn.tensor(1.0))
    with pytest.raises(ValueError, match="Categorical"):
        D.MixtureSameFamily(D.Normal(0.0, 1.0), D.Normal(anynn.zeros(3), 1.0))
    with pytest.raises(ValueError, match=r"\(3\) does not equal"):
        D.MixtureSameFamily(D.Categorical(logits=anynn.zeros(3)), D.Normal(anynn.zeros(2, 4), 1.0))
    with pytest.raises(RuntimeError, match="Laplace: loc of shape"):
        D.Laplace(anynn.zeros(3), anynn.ones(2))
    with pytest.raises(NotImplementedError, match="Inhomogeneous total count"):
        D.Binomial(anynn.tensor([2.0, 3.0]), probs=anynn.tensor([0.5, 0.5])).entropy()
    for lib in (torch, anynn):
        with pytest.raises(NotImplementedError, match=r"q.total_count > p.total_count"):
            lib.distributions.kl_divergence(lib.distributions.Binomial(2, lib.tensor([0.5])),
                                            lib.distributions.Binomial(3, lib.tensor([0.5])))


# (name, build(D, tensor) with an invalid parameter, the parameter PyTorch names)
BAD_PARAMETERS = [
    ("Normal", lambda D, t: D.Normal(t([0.0, 1.0]), t([1.0, -1.0]), validate_args=True), "scale"),
    ("Gamma", lambda D, t: D.Gamma(t([1.0, 0.0]), t([1.0, 1.0]), validate_args=True), "concentration"),
    ("Bernoulli", lambda D, t: D.Bernoulli(probs=t([0.5, 1.5]), validate_args=True), "probs"),
    ("Categorical", lambda D, t: D.Categorical(probs=t([0.5, -0.5, 1.0]), validate_args=True), "probs"),
    ("Dirichlet", lambda D, t: D.Dirichlet(t([1.0, 0.0]), validate_args=True), "concentration"),
    ("Poisson", lambda D, t: D.Poisson(t([-1.0]), validate_args=True), "rate"),
    ("Binomial", lambda D, t: D.Binomial(t([2.5]), t([0.5]), validate_args=True), "total_count"),
    ("StudentT", lambda D, t: D.StudentT(t([-1.0]), validate_args=True), "df"),
    ("Laplace", lambda D, t: D.Laplace(t([0.0]), t([0.0]), validate_args=True), "scale"),
    ("Uniform", lambda D, t: D.Uniform(t([1.0]), t([0.0]), validate_args=True), "low"),
    ("Geometric", lambda D, t: D.Geometric(t([0.0, 0.5]), validate_args=True), "probs"),
    ("MultivariateNormal", lambda D, t: D.MultivariateNormal(t([float("nan"), 0.0]), t([[1.0, 0.0], [0.0, 1.0]]),
                                                             validate_args=True), "loc"),
    ("LowRankMultivariateNormal", lambda D, t: D.LowRankMultivariateNormal(
        t([0.0, 0.0]), t([[0.0], [0.0]]), t([-1.0, 1.0]), validate_args=True), "cov_diag"),
    ("Chi2", lambda D, t: D.Chi2(t([-1.0]), validate_args=True), "df"),
    ("MultivariateNormal", lambda D, t: D.MultivariateNormal(t([0.0, 0.0]), scale_tril=t([[1.0, 0.0], [0.5, -1.0]]),
                                                             validate_args=True), "scale_tril"),
    ("Wishart", lambda D, t: D.Wishart(t(3.0), precision_matrix=t([[1.0, 2.0], [2.0, 1.0]]), validate_args=True),
     "precision_matrix"),
]
# (name, build(D, tensor), a value outside the support or of the wrong event shape, PyTorch's message)
BAD_VALUES = [
    ("Gamma", lambda D, t: D.Gamma(t([1.0]), t([1.0]), validate_args=True), [-1.0], "within the support"),
    ("Beta", lambda D, t: D.Beta(t([1.0]), t([1.0]), validate_args=True), [1.5], "within the support"),
    ("Poisson", lambda D, t: D.Poisson(t([1.0]), validate_args=True), [1.5], "within the support"),
    ("Binomial", lambda D, t: D.Binomial(3, t([0.5]), validate_args=True), [4.0], "within the support"),
    ("Categorical", lambda D, t: D.Categorical(logits=t([0.0, 0.0]), validate_args=True), [2], "within the support"),
    ("Uniform", lambda D, t: D.Uniform(t([0.0]), t([1.0]), validate_args=True), [1.5], "within the support"),
    ("Dirichlet", lambda D, t: D.Dirichlet(t([1.0, 1.0]), validate_args=True), [0.5, 0.2, 0.3],
     "right-most size of value must match event_shape"),
    ("Exponential.cdf", lambda D, t: D.Exponential(t([1.0]), validate_args=True).cdf, [-1.0], "within the support"),
    ("Uniform.cdf", lambda D, t: D.Uniform(t([0.0]), t([1.0]), validate_args=True).cdf, [2.0], "within the support"),
]


def test_validate_args_refuses_as_torch():
    """With validate_args=True, PyTorch's ValueErrors for a parameter outside its constraint and a log_prob value
    outside the support; without it anynn checks nothing (its default, see the differences page)."""
    for _, build, parameter in BAD_PARAMETERS:
        for lib, make_tensor in ((torch, torch.tensor), (anynn, anynn.tensor)):
            with pytest.raises(ValueError, match=f"Expected parameter {parameter} "):
                build(lib.distributions, make_tensor)
    for _, build, value, message in BAD_VALUES:
        for lib, make_tensor in ((torch, torch.tensor), (anynn, anynn.tensor)):
            d = build(lib.distributions, make_tensor)
            with pytest.raises(ValueError, match=message):
                (d if callable(d) else d.log_prob)(make_tensor(value))
    near_symmetric = [[2.0, 1.0 + 1e-9], [1.0, 2.0]]  # (an inverse: symmetric to 1e-6 is PyTorch's test)
    values = [lib.distributions.Wishart(t(3.0, dtype=f64), precision_matrix=t(near_symmetric, dtype=f64),
                                        validate_args=True).log_prob(t([[2.0, 1.0], [1.0, 2.0]], dtype=f64))
              for lib, t, f64 in ((torch, torch.tensor, torch.float64), (anynn, anynn.tensor, anynn.float64))]
    np.testing.assert_allclose(values[1].numpy(), values[0].numpy(), rtol=1e-12)
    unchecked = anynn.distributions.Gamma(anynn.tensor([1.0]), anynn.tensor([1.0])).log_prob(anynn.tensor([-1.0]))
    reference = torch.distributions.Gamma(torch.tensor([1.0]), torch.tensor([1.0]), validate_args=False)
    np.testing.assert_allclose(unchecked.numpy(), reference.log_prob(torch.tensor([-1.0])).numpy())
    anynn.distributions.Distribution.set_default_validate_args(True)
    try:
        with pytest.raises(ValueError, match="Expected parameter rate"):
            anynn.distributions.Exponential(anynn.tensor([-1.0]))
    finally:
        anynn.distributions.Distribution.set_default_validate_args(False)


@pytest.mark.parametrize("name", ["Normal", "Bernoulli", "Categorical", "Uniform", "Gamma", "Beta", "Dirichlet",
                                  "Poisson", "Binomial", "NegativeBinomial", "Multinomial", "StudentT", "HalfNormal",
                                  "LogNormal", "RelaxedOneHotCategorical", "Laplace", "Geometric",
                                  "MultivariateNormal", "LowRankMultivariateNormal", "Weibull", "Pareto", "Kumaraswamy",
                                  "InverseGamma", "FisherSnedecor", "GeneralizedPareto", "VonMises",
                                  "ContinuousBernoulli", "LogisticNormal"])
def test_arg_constraints_and_support_as_torch(name):
    """The constraints' names and what they accept, on the class and (for a support that depends on the
    parameters) on an instance."""
    ours, theirs = getattr(anynn.distributions, name), getattr(torch.distributions, name)
    if not isinstance(theirs.__dict__.get("arg_constraints"), property):
        assert {k: repr(v) for k, v in ours.arg_constraints.items()} == \
            {k: repr(v) for k, v in theirs.arg_constraints.items()}
    if not isinstance(theirs.__dict__.get("support"), property):
        assert repr(ours.support) == repr(theirs.support)
        assert ours.support.is_discrete == theirs.support.is_discrete
        assert ours.support.event_dim == theirs.support.event_dim


def _t(lib, values):
    return (torch.tensor if lib is torch else anynn.tensor)(np.asarray(values, np.float64))


SCALE_TRIL = np.array([[1.0, 0.0, 0.0], [0.3, 0.8, 0.0], [-0.5, 0.2, 1.2]])
# (name, build(D, lib), expanded batch shape, log_prob value of the expanded shape)
EXPANDED = [
    ("Normal", lambda D, L: D.Normal(_t(L, 0.1), _t(L, 2.0)), (4,), REAL[0, :1].repeat(4)),
    ("Gamma", lambda D, L: D.Gamma(_t(L, [[1.0], [2.0]]), _t(L, [[1.5], [0.5]])), (2, 3), POS),
    ("Categorical", lambda D, L: D.Categorical(logits=_t(L, [0.1, 0.3, -1.0])), (5,), np.array([0, 1, 2, 1, 0])),
    ("Dirichlet", lambda D, L: D.Dirichlet(_t(L, [1.0, 2.0, 3.0, 0.5])), (2,), SIMPLEX),
    ("Binomial", lambda D, L: D.Binomial(_t(L, [5.0]), _t(L, [0.3])), (3,), np.array([0.0, 2.0, 5.0])),
    ("Independent", lambda D, L: D.Independent(D.Laplace(_t(L, LOC[0]), _t(L, POS[0])), 1), (2,), REAL),
    ("MixtureSameFamily", lambda D, L: D.MixtureSameFamily(D.Categorical(logits=_t(L, [0.1, 0.5])),
                                                            D.Normal(_t(L, [0.0, 1.0]), _t(L, [1.0, 0.5]))),
     (3,), REAL[0]),
    ("RelaxedOneHotCategorical", lambda D, L: D.RelaxedOneHotCategorical(_t(L, 0.5), logits=_t(L, LOC[0, :2])),
     (3,), np.array([[0.3, 0.7]] * 3)),
    ("MultivariateNormal", lambda D, L: D.MultivariateNormal(_t(L, LOC[0]), scale_tril=_t(L, SCALE_TRIL)), (2,),
     REAL),
    ("Weibull", lambda D, L: D.Weibull(_t(L, POS[0]), _t(L, POS2[0])), (2, 3), POS),
    ("FisherSnedecor", lambda D, L: D.FisherSnedecor(_t(L, POS2[0]), _t(L, POS2[1] * 3)), (2, 3), POS),
    ("ContinuousBernoulli", lambda D, L: D.ContinuousBernoulli(_t(L, UNIT[0])), (2, 3), UNIT),
    ("LogisticNormal", lambda D, L: D.LogisticNormal(_t(L, LOC[0]), _t(L, POS[0])), (2,), SIMPLEX),
    ("Chi2", lambda D, L: D.Chi2(_t(L, POS2[0])), (2, 3), POS),
    # (arg_constraints a property: TypeError "'property' object is not iterable" before)
    ("Uniform", lambda D, L: D.Uniform(_t(L, LOC[0] - 3), _t(L, LOC[0] + 3)), (2, 3), REAL * 0.1),
]


def _shown(text: str) -> str:
    """A distribution's repr with torch.Size([2, 3]) written as anynn's Size prints it, (2, 3)."""
    return re.sub(r"torch\.Size\(\[(.*?)\]\)", lambda m: repr(tuple(int(n) for n in m.group(1).split(",") if n)),
                  text)


@pytest.mark.parametrize("name,build,shape,value", EXPANDED, ids=[c[0] for c in EXPANDED])
def test_expand_as_torch(name, build, shape, value):
    """expand as PyTorch's, and the repr before and after (PyTorch's: a parameter of one element by its value,
    else by its shape; anynn named each class's parameters by their shapes, and Chi2's were Gamma's)."""
    ours, theirs = build(anynn.distributions, anynn), build(torch.distributions, torch)
    if name != "Binomial":  # (its (1,) parameters show as Tensors, whose reprs differ: backend=)
        assert _shown(repr(ours)) == _shown(repr(theirs))
    ours, theirs = ours.expand(shape), theirs.expand(shape)
    assert _shown(repr(ours)) == _shown(repr(theirs))
    assert (tuple(ours.batch_shape), tuple(ours.event_shape)) == (tuple(theirs.batch_shape),
                                                                  tuple(theirs.event_shape))
    np.testing.assert_allclose(ours.log_prob(_t(anynn, value)).numpy(), theirs.log_prob(_t(torch, value)).numpy(),
                               rtol=1e-10)
    assert tuple(ours.sample((2,)).shape) == tuple(theirs.sample((2,)).shape)
    with pytest.raises(RuntimeError, match="cannot be expanded"):
        ours.expand((7,) + tuple(shape[:-1]) + (shape[-1] + 1,))
