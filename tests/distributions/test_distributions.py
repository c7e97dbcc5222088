"""anynn.distributions against torch.distributions: Categorical, Normal, Bernoulli, Independent and
kl_divergence (values, gradients, samples, shapes, argument errors)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

import anynn
from anynn.distributions import Bernoulli, Categorical, Independent, Normal, kl_divergence, register_kl
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


@pytest.mark.parametrize(("loc", "scale"), [((3,), (2,)), ((2, 3), (2,)), ((4, 1, 3), (2, 4))])
def test_normal_refuses_parameters_that_do_not_broadcast_as_torch(backend, loc, scale):
    for validate in (None, False):
        with pytest.raises(RuntimeError):
            torch.distributions.Normal(torch.zeros(loc), torch.ones(scale), validate_args=validate)
        with pytest.raises(RuntimeError, match=rf"^Normal: loc of shape {re.escape(str(loc))} and scale of shape "
                                               rf"{re.escape(str(scale))} do not broadcast"):
            Normal(make(backend, np.zeros(loc)), make(backend, np.ones(scale)), validate_args=validate)


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


BERNOULLI_LOGITS = RNG.standard_normal((2, 3)).astype(np.float64) * 3
BERNOULLI_VALUES = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0]])


def _bernoulli(lib, form, x):
    cls = anynn.distributions.Bernoulli if lib is anynn else torch.distributions.Bernoulli
    return cls(logits=x) if form == "logits" else cls(probs=x.sigmoid())


@pytest.mark.parametrize("form", ["logits", "probs"])
def test_bernoulli_as_torch(backend, form):
    for name in ("log_prob", "entropy", "mean", "variance", "logits", "probs"):
        def pick(lib, x, v, name=name):
            d = _bernoulli(lib, form, x)
            return d.log_prob(v) if name == "log_prob" else d.entropy() if name == "entropy" else getattr(d, name)

        compare_with_torch(backend, lambda x, v, pick=pick: pick(anynn, x, v),
                           lambda x, v, pick=pick: pick(torch, x, v), BERNOULLI_LOGITS, BERNOULLI_VALUES,
                           rtol=1e-9, atol=1e-10, differentiable=[True, False])
    check_gradients(backend, lambda x, v: (_bernoulli(anynn, form, x).log_prob(v)
                                           + _bernoulli(anynn, form, x).entropy()).sum(),
                    BERNOULLI_LOGITS, BERNOULLI_VALUES, differentiable=[True, False])


def test_bernoulli_samples_shapes_and_errors(backend):
    anynn.manual_seed(0)
    probs = np.array([0.0, 0.3, 1.0], dtype=np.float32)
    d = Bernoulli(probs=make(backend, probs))
    assert d.batch_shape == (3,) and d.event_shape == ()
    many = d.sample((4000,))
    assert tuple(many.shape) == (4000, 3) and many.dtype == anynn.float32 and not many.requires_grad
    np.testing.assert_allclose(many.numpy().mean(0), probs, atol=0.03)
    assert tuple(d.sample().shape) == (3,) and tuple(d.sample((2, 5)).shape) == (2, 5, 3)
    assert tuple(d.enumerate_support().shape) == (2, 3)
    scalar = Bernoulli(0.25)
    assert scalar.batch_shape == () and float(scalar.variance.numpy()) == pytest.approx(0.1875)
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Bernoulli()
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        Bernoulli(probs=0.5, logits=0.0)
    with pytest.raises(TypeError, match="Bernoulli: expected a Tensor or a number"):
        Bernoulli(probs="0.5")


def test_independent_shapes_log_prob_and_entropy_as_torch(backend):
    loc = RNG.standard_normal((4, 2, 3))
    scale = RNG.random((4, 2, 3)) + 0.5
    value = RNG.standard_normal((5, 4, 2, 3))
    for n in (0, 1, 2):
        ours = Independent(Normal(make(backend, loc), make(backend, scale)), n)
        theirs = torch.distributions.Independent(torch.distributions.Normal(torch.tensor(loc), torch.tensor(scale)), n)
        assert ours.batch_shape == tuple(theirs.batch_shape) and ours.event_shape == tuple(theirs.event_shape)
        assert tuple(ours.rsample((5,)).shape) == (5, 4, 2, 3) and ours.has_rsample
        compare_with_torch(backend, lambda m, s, v, n=n: Independent(Normal(m, s), n).log_prob(v),
                           lambda m, s, v, n=n: torch.distributions.Independent(
                               torch.distributions.Normal(m, s), n).log_prob(v), loc, scale, value, rtol=1e-9)
        compare_with_torch(backend, lambda m, s, n=n: Independent(Normal(m, s), n).entropy(),
                           lambda m, s, n=n: torch.distributions.Independent(
                               torch.distributions.Normal(m, s), n).entropy(), loc, scale, rtol=1e-9,
                           differentiable=[False, True])
    check_gradients(backend, lambda m, s, v: Independent(Normal(m, s), 2).log_prob(v).sum(), loc, scale, value)
    with pytest.raises(ValueError, match=r"reinterpreted_batch_ndims <= len\(base_distribution.batch_shape\), "
                                         "actual 4 vs 3"):
        Independent(Normal(make(backend, loc), make(backend, scale)), 4)



def test_independent_and_transformed_of_an_empty_batch(backend):
    # sum_rightmost reshaped to (*batch, -1), which nothing infers for a batch of 0 (PyTorch 2.13 fails so too):
    # the result is the batch's shape, and a non-empty row of the same kind matches the base's sum
    for rows in (0, 2):
        loc, value = make(backend, np.zeros((rows, 3))), make(backend, RNG.random((rows, 3)) + 0.5)
        base = Normal(loc, make(backend, np.ones((rows, 3))))
        exp = anynn.distributions.TransformedDistribution(Independent(base, 1),
                                                          [anynn.distributions.transforms.ExpTransform()])
        # log-density of exp(X) at v: the base's at log v less log |d exp/dx| = log v, per element
        for found, expected in ((Independent(base, 1).log_prob(value), base.log_prob(value)),
                                (exp.log_prob(value), base.log_prob(value.log()) - value.log())):
            assert tuple(found.shape) == (rows,)
            np.testing.assert_allclose(found.numpy(), expected.numpy().sum(-1), rtol=1e-12)
        assert tuple(Independent(base, 1).entropy().shape) == (rows,)


def _pair(lib, kind, a, b):
    """Two distributions of one kind built by ``lib`` (anynn or torch) from arrays/Tensors ``a`` and ``b``."""
    dist = anynn.distributions if lib is anynn else torch.distributions
    if kind == "normal":
        return dist.Normal(a[0], a[1].exp()), dist.Normal(b[0], b[1].exp())
    if kind == "categorical":
        return dist.Categorical(logits=a), dist.Categorical(probs=b.softmax(-1))
    if kind == "bernoulli":
        return dist.Bernoulli(logits=a), dist.Bernoulli(probs=b.sigmoid())
    p, q = _pair(lib, "normal", a, b)
    return dist.Independent(p, 1), dist.Independent(q, 1)


@pytest.mark.parametrize("kind", ["normal", "categorical", "bernoulli", "independent"])
def test_kl_divergence_as_torch(backend, kind):
    shape = (2, 3, 4) if kind in ("normal", "independent") else (3, 4)
    a, b = RNG.standard_normal(shape), RNG.standard_normal(shape)

    def ours(x, y):
        return kl_divergence(*_pair(anynn, kind, x, y))

    def theirs(x, y):
        return torch.distributions.kl_divergence(*_pair(torch, kind, x, y))

    compare_with_torch(backend, ours, theirs, a, b, rtol=1e-9, atol=1e-10)
    check_gradients(backend, lambda x, y: ours(x, y).sum(), a, b)


def test_kl_divergence_at_impossible_events_and_dispatch(backend):
    """Zero probabilities: KL is inf where q gives 0 to what p gives mass, 0-weighted terms vanish (as PyTorch)."""
    p = np.array([[0.5, 0.5, 0.0], [0.2, 0.0, 0.8], [0.6, 0.4, 0.0]])
    q = np.array([[0.5, 0.0, 0.5], [0.3, 0.3, 0.4], [0.5, 0.5, 0.0]])
    ours = kl_divergence(Categorical(probs=make(backend, p)), Categorical(probs=make(backend, q)))
    theirs = torch.distributions.kl_divergence(torch.distributions.Categorical(probs=torch.tensor(p)),
                                               torch.distributions.Categorical(probs=torch.tensor(q)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9)
    bp, bq = np.array([0.0, 1.0, 0.5, 0.3, 0.0, 1.0]), np.array([0.5, 0.5, 0.0, 1.0, 0.0, 1.0])
    ours = kl_divergence(Bernoulli(probs=make(backend, bp)), Bernoulli(probs=make(backend, bq)))
    theirs = torch.distributions.kl_divergence(torch.distributions.Bernoulli(probs=torch.tensor(bp)),
                                               torch.distributions.Bernoulli(probs=torch.tensor(bq)))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-9)
    for lib in (anynn, torch):  # two exponential families meet in PyTorch's Bregman fallback, which refuses them
        with pytest.raises(NotImplementedError, match="between different exponential families"):
            lib.distributions.kl_divergence(lib.distributions.Normal(0.0, 1.0), lib.distributions.Bernoulli(0.5))
    with pytest.raises(NotImplementedError, match="No KL.*Normal and q type Cauchy"):
        kl_divergence(Normal(0.0, 1.0), anynn.distributions.Cauchy(0.0, 1.0))
    with pytest.raises(NotImplementedError, match="same reinterpreted_batch_ndims, got 1 and 0"):
        loc = make(backend, np.zeros(3))
        kl_divergence(Independent(Normal(loc, 1.0), 1), Independent(Normal(loc, 1.0), 0))

    class Narrow(Normal):
        pass

    @register_kl(Narrow, Normal)
    def _half(p, q):
        return kl_divergence(Normal(p.loc, p.scale), q) * 0.5

    loc = make(backend, np.array([1.0, 2.0]))
    full = kl_divergence(Normal(loc, 1.0), Normal(loc * 0, 1.0))
    np.testing.assert_allclose(kl_divergence(Narrow(loc, 1.0), Normal(loc * 0, 1.0)).numpy(), full.numpy() * 0.5)
    np.testing.assert_allclose(kl_divergence(Normal(loc, 1.0), Narrow(loc * 0, 1.0)).numpy(), full.numpy())
    with pytest.raises(TypeError, match="Expected type_p to be a Distribution subclass"):
        register_kl(int, Normal)


ONE_HOT_VALUES = np.eye(5, dtype=np.float32)[[[0, 4, 2], [1, 1, 3]]]  # (2, 3, 5): broadcast against batch (3,)


@pytest.mark.parametrize("form", ["logits", "probs"])
@pytest.mark.parametrize("what", ["log_prob", "entropy", "mean", "variance", "mode", "probs", "logits"])
def test_one_hot_categorical_as_torch(backend, form, what):
    """OneHotCategorical (PyTorch-VAE's CategoricalVAE builds one): values, and gradients in the parameters."""
    def build(lib, x):
        return lib.distributions.OneHotCategorical(**({"logits": x} if form == "logits" else {"probs": x.softmax(-1)}))

    def ask(lib, x, v):
        d = build(lib, x)
        return d.log_prob(v) if what == "log_prob" else getattr(d, what)() if what == "entropy" else getattr(d, what)

    compare_with_torch(backend, lambda x, v: ask(anynn, x, v), lambda x, v: ask(torch, x, v), LOGITS, ONE_HOT_VALUES,
                       differentiable=[what != "mode", False])


def test_one_hot_categorical_samples_shapes_support_and_kl(backend):
    from anynn.distributions import OneHotCategorical, OneHotCategoricalStraightThrough

    anynn.manual_seed(0)
    probs = np.array([[0.1, 0.0, 0.6, 0.3], [1.0, 0.0, 0.0, 0.0]], dtype=np.float32)
    d, ref = OneHotCategorical(probs=make(backend, probs)), torch.distributions.OneHotCategorical(torch.tensor(probs))
    assert (d.batch_shape, d.event_shape) == (tuple(ref.batch_shape), tuple(ref.event_shape)) == ((2,), (4,))
    many = d.sample((4000,))
    assert many.dtype == anynn.float32 and many.backend == backend and tuple(many.shape) == (4000, 2, 4)
    many = many.numpy()
    assert (many.sum(-1) == 1).all() and (many[:, 1, 0] == 1).all()
    np.testing.assert_allclose(many[:, 0].mean(0), probs[0], atol=0.03)
    for expand in (True, False):
        np.testing.assert_array_equal(d.enumerate_support(expand).numpy(), ref.enumerate_support(expand).numpy())
    a, b = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    compare_with_torch(backend, lambda x, y: kl_divergence(OneHotCategorical(logits=x), OneHotCategorical(logits=y)),
                       lambda x, y: torch.distributions.kl_divergence(torch.distributions.OneHotCategorical(logits=x),
                                                                      torch.distributions.OneHotCategorical(logits=y)),
                       a, b, rtol=1e-9, atol=1e-10)
    # the straight-through sample is a one-hot forward whose gradient is the probabilities' gradient
    logits = make(backend, a, requires_grad=True)
    st = OneHotCategoricalStraightThrough(logits=logits)
    assert st.has_rsample
    sample = st.rsample((2,))
    assert sorted(np.unique(sample.detach().numpy()).tolist()) == [0.0, 1.0]
    (sample * make(backend, np.arange(4.0))).sum().backward()
    lt = torch.tensor(a, requires_grad=True)
    (torch.distributions.OneHotCategoricalStraightThrough(logits=lt).rsample((2,)) * torch.arange(4.0)).sum().backward()
    np.testing.assert_allclose(logits.grad.numpy(), lt.grad.numpy(), rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="Either `probs` or `logits`"):
        OneHotCategorical()


def test_pytorchs_submodule_paths_import():
    """Every ``torch.distributions.<file>`` path names what anynn has of that file (``from
    torch.distributions.studentT import StudentT``, ``...half_normal``, ``...constraint_registry``...)."""
    import importlib
    import inspect
    import pkgutil

    for info in pkgutil.iter_modules(torch.distributions.__path__):
        theirs = importlib.import_module(f"torch.distributions.{info.name}")
        names = [n for n, obj in vars(theirs).items() if not n.startswith("_") and getattr(obj, "__module__", None)
                 == theirs.__name__ and (inspect.isclass(obj) or inspect.isfunction(obj))
                 and not inspect.ismodule(getattr(anynn.distributions, n, inspect))]
        ours = importlib.import_module(f"anynn.distributions.{info.name}")
        assert [n for n in names if getattr(ours, n, None) is not getattr(anynn.distributions, n)] == [], info.name
    from anynn.distributions.half_normal import HalfNormal
    from anynn.distributions.studentT import StudentT

    assert HalfNormal is anynn.distributions.HalfNormal and StudentT is anynn.distributions.StudentT


CONSTRAINTS = ["real", "real_vector", "positive", "nonnegative", "greater_than(-2.0)", "less_than(3.0)",
               "unit_interval", "interval(-1.0, 2.0)", "half_open_interval(0.0, 3.0)", "simplex", "corr_cholesky",
               "lower_cholesky", "positive_definite", "independent(positive, 1)",
               "cat([positive, real], -1, [1, 2])", "stack([positive, unit_interval, real], -1)"]


@pytest.mark.parametrize("name", CONSTRAINTS)
def test_biject_to_and_transform_to_as_torch(name):
    """The transform each registry gives (its repr), and that it maps unconstrained values into the constraint with
    PyTorch's values, or refuses as PyTorch."""
    def lookup(lib, registry):
        C = lib.distributions.constraints
        constraint = eval(name, {}, {**vars(C), **{n: getattr(C, n) for n in C.__all__}})
        try:
            return constraint, getattr(lib.distributions, registry)(constraint)
        except NotImplementedError as error:
            return constraint, error

    x = np.random.default_rng(0).standard_normal((2, 3, 3) if "cholesky" in name and "corr" not in name
                                                 or "definite" in name else (2, 3))
    for registry in ("biject_to", "transform_to"):
        (c_ours, ours), (c_theirs, theirs) = lookup(anynn, registry), lookup(torch, registry)
        if isinstance(theirs, NotImplementedError):
            with pytest.raises(NotImplementedError, match=str(theirs)):
                raise ours if isinstance(ours, Exception) else AssertionError(f"{name}: {ours!r}")
            continue
        assert repr(ours) == repr(theirs)
        y_ours, y_theirs = ours(anynn.tensor(x)), theirs(torch.tensor(x))
        np.testing.assert_allclose(y_ours.numpy(), y_theirs.numpy(), rtol=1e-12, atol=1e-15, err_msg=registry)
        assert bool(c_ours.check(y_ours).all()) == bool(c_theirs.check(y_theirs).all())
