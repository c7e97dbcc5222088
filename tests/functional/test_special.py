"""The special functions (``erfinv``, ``lgamma``, ``digamma``, ``sinc``, ``xlogy``; anynn.functional.special and
its formulas; the modified Bessel functions ``i0``, ``i0e``, ``i1``, ``i1e``) against PyTorch in float64 over wide
ranges (to 1e-12 relative; an absolute floor of 1e-13 where a function crosses zero), their values at the poles, at
+-1, +-inf and NaN as PyTorch's, dtypes, the ``anynn.special`` aliases, second derivatives and refusals. First-order
gradients against PyTorch are rows of tests/autograd/test_tensor_math_torch.py; second order against PyTorch's are
rows of the double-backward sweep."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import dtype_name
from anynn.testing import gradgrad_check

from tests.helpers import check_gradients, make

pytestmark = pytest.mark.jax

R = np.random.default_rng(41)
EDGES = [0.0, -0.0, np.inf, -np.inf, np.nan]
# near 1 (where erfinv goes to inf) with 1 - |x| down to 1e-16, tiny values, the bulk of (-1, 1)
ERFINV_POINTS = np.concatenate([R.uniform(-1, 1, 2000), 1 - 10.0 ** -R.uniform(0, 16, 500),
                                -(1 - 10.0 ** -R.uniform(0, 16, 500)), 10.0 ** -R.uniform(1, 300, 200),
                                [1.0, -1.0, 1.5, -3.0, *EDGES]])
# the negative axis up to -1e15 (between the poles), |x| from 1e-300 to 1e300, the poles themselves
GAMMA_POINTS = np.concatenate([R.uniform(-40, 40, 2000), 10.0 ** R.uniform(-300, 300, 500),
                               -(np.floor(10.0 ** R.uniform(0, 15, 300)) + R.uniform(0.05, 0.95, 300)),
                               -(10.0 ** -R.uniform(0, 300, 200)), np.arange(-6.0, 7.0), EDGES])
SINC_POINTS = np.concatenate([R.uniform(-50, 50, 2000), 10.0 ** R.uniform(-300, 300, 300), np.arange(-5.0, 6.0),
                              EDGES])
CASES = [("erfinv", ERFINV_POINTS), ("lgamma", GAMMA_POINTS), ("digamma", GAMMA_POINTS), ("sinc", SINC_POINTS)]


def _assert_matches(ours: np.ndarray, theirs: np.ndarray, points: np.ndarray, rtol: float, floor: float) -> None:
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(ours[~finite], theirs[~finite], err_msg=f"non-finite at {points[~finite]}")
    error = np.abs(ours[finite] - theirs[finite]) / np.maximum(np.abs(theirs[finite]), floor / rtol)
    worst = int(np.argmax(error))
    assert error[worst] <= rtol, f"at {points[finite][worst]}: {ours[finite][worst]} vs {theirs[finite][worst]}"


@pytest.mark.parametrize("name, points", CASES, ids=[c[0] for c in CASES])
def test_float64_values_match_torch_over_wide_ranges(backend, name, points):
    if name == "digamma":
        # PyTorch's reflection forms tan(pi * x), whose rounding of pi * x costs it ~1e-10 near the poles at
        # large |x|; compared where that product is exact enough (anynn reduces x by round(x) first)
        points = points[(np.abs(points) < 40) | ~np.isfinite(points) | (points > 0)]
    with np.errstate(all="ignore"):
        ours = getattr(anynn, name)(make(backend, points)).numpy()
    theirs = getattr(torch, name)(torch.tensor(points)).numpy()
    _assert_matches(ours, theirs, points, rtol=1e-12, floor=1e-13)


def test_digamma_derivative_matches_torch_trigamma(backend):
    points = GAMMA_POINTS[np.isfinite(GAMMA_POINTS) & (np.abs(GAMMA_POINTS) < 40)
                          & (np.abs(GAMMA_POINTS - np.round(GAMMA_POINTS)) > 1e-3)]
    x = make(backend, points, requires_grad=True)
    anynn.digamma(x).sum().backward()
    # PyTorch's trigamma is off by up to ~5e-10 relative (e.g. at 1.13: mpmath agrees with anynn's to 1e-15),
    # hence the tolerance, and why digamma is not a row of test_tensor_math_torch.py's 1e-10 table
    np.testing.assert_allclose(x.grad.numpy(), torch.polygamma(1, torch.tensor(points)).numpy(), rtol=1e-9)
    check_gradients(backend, lambda a: anynn.digamma(a), np.array([-2.7, -0.6, 0.4, 1.46, 9.5, 30.0]))


@pytest.mark.parametrize("name", ["erfinv", "lgamma", "digamma", "sinc"])
def test_dtypes_and_aliases_as_torch(backend, name):
    ints = make(backend, np.array([[0, 1], [2, 3]]))
    out = getattr(anynn, name)(ints)
    reference = getattr(torch, name)(torch.tensor([[0, 1], [2, 3]]))
    assert dtype_name(out.dtype) == "float32"
    np.testing.assert_allclose(out.numpy(), reference.numpy(), rtol=1e-5)
    x = make(backend, np.array([0.25, 0.5, 0.75], dtype=np.float32))
    assert dtype_name(getattr(x, name)().dtype) == "float32"
    np.testing.assert_allclose(getattr(x, name)().numpy(), getattr(torch, name)(torch.tensor(x.numpy())).numpy(),
                               rtol=2e-6)
    special_name = {"lgamma": "gammaln"}.get(name, name)
    np.testing.assert_array_equal(getattr(anynn.special, special_name)(x).numpy(), getattr(x, name)().numpy())
    if name == "digamma":
        np.testing.assert_array_equal(anynn.special.psi(x).numpy(), x.digamma().numpy())


def test_xlogy_zeros_nans_numbers_and_gradients_as_torch(backend):
    x_host = np.array([[0.0, 0.0, 1.5, -2.0, 0.0], [0.0, 3.0, 0.5, 0.0, 2.0]])
    y_host = np.array([[0.0, np.nan, 2.0, 0.5, -1.0], [1.5, -1.0, np.inf, 2.5, np.nan]])
    x, y = make(backend, x_host, requires_grad=True), make(backend, y_host, requires_grad=True)
    tx, ty = torch.tensor(x_host, requires_grad=True), torch.tensor(y_host, requires_grad=True)
    with np.errstate(all="ignore"):
        out = anynn.xlogy(x, y)
        reference = torch.xlogy(tx, ty)
        np.testing.assert_array_equal(out.numpy(), reference.detach().numpy())
        out.sum().backward()
        reference.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), tx.grad.numpy())
        np.testing.assert_array_equal(y.grad.numpy(), ty.grad.numpy())
    row = make(backend, np.array([0.5, 2.0]))
    np.testing.assert_allclose(anynn.special.xlogy(3.0, row).numpy(),
                               torch.special.xlogy(3.0, torch.tensor([0.5, 2.0])).numpy())
    np.testing.assert_allclose(row.xlogy(4).numpy(), torch.tensor([0.5, 2.0]).xlogy(4).numpy())
    ints = anynn.xlogy(make(backend, np.array([0, 2])), make(backend, np.array([0, 3])))
    assert dtype_name(ints.dtype) == "float32"
    np.testing.assert_allclose(ints.numpy(), [0.0, 2 * np.log(3.0)], rtol=1e-6)


# the modified Bessel functions: both regimes of the formulas (|x| <= 20 and above), tiny values, overflow, edges
BESSEL_POINTS = np.concatenate([R.uniform(-30, 30, 2000), 10.0 ** R.uniform(-300, 3, 400),
                                -(10.0 ** R.uniform(-10, 3, 200)), np.arange(-25.0, 26.0),
                                [19.999, 20.0, 20.001, 709.0, 710.0, 1e300, *EDGES]])
BESSEL = ["i0", "i0e", "i1", "i1e"]


@pytest.mark.parametrize("name", BESSEL)
def test_bessel_functions_match_torch_values_and_gradients(backend, name):
    with np.errstate(all="ignore"):
        ours = getattr(anynn.special, name)(make(backend, BESSEL_POINTS)).numpy()
    theirs = getattr(torch.special, name)(torch.tensor(BESSEL_POINTS)).numpy()
    _assert_matches(ours, theirs, BESSEL_POINTS, rtol=1e-13, floor=1e-300)
    points = BESSEL_POINTS[np.isfinite(BESSEL_POINTS) & (np.abs(BESSEL_POINTS) < 700)]
    x, t = make(backend, points, requires_grad=True), torch.tensor(points, requires_grad=True)
    getattr(anynn.special, name)(x).sum().backward()
    getattr(torch.special, name)(t).sum().backward()
    _assert_matches(x.grad.numpy(), t.grad.numpy(), points, rtol=1e-12, floor=1e-300)
    # each point of the expansion regime alone: I0(21) ~ 2e8 would drown the central differences of the small ones
    for points in (np.array([-4.0, -0.3, 0.0, 0.7, 6.0]), np.array([-23.5]), np.array([21.0])):
        check_gradients(backend, getattr(anynn.special, name), points)


def test_bessel_dtypes_methods_and_names_as_torch(backend):
    ints = make(backend, np.array([[0, 1], [-2, 3]]))
    for name in BESSEL:
        out = getattr(anynn.special, name)(ints)
        assert dtype_name(out.dtype) == "float32"
        np.testing.assert_allclose(out.numpy(), getattr(torch.special, name)(torch.tensor([[0, 1], [-2, 3]])).numpy(),
                                   rtol=1e-6)
    x = make(backend, np.array([0.25, -1.5, 30.0], dtype=np.float32))
    assert dtype_name(x.i0().dtype) == "float32"
    np.testing.assert_allclose(x.i0().numpy(), torch.tensor(x.numpy()).i0().numpy(), rtol=1e-6)
    np.testing.assert_array_equal(anynn.i0(x).numpy(), anynn.special.i0(x).numpy())
    y = x.clone()
    assert y.i0_() is y
    np.testing.assert_array_equal(y.numpy(), x.i0().numpy())


NOT_ON_JAX = pytest.mark.jax(run=False)  # JAX compiles the formula's hundreds of operations per shape
SECOND_ORDER = [
    ("i0", lambda x: anynn.i0(x), np.array([-1.5, 0.0, 0.4, 3.0])),
    ("i0-expansion", lambda x: anynn.i0(x), np.array([25.0])),
    ("i0e", lambda x: anynn.special.i0e(x), np.array([-22.0, -1.5, -0.2, 0.4, 3.0, 25.0])),
    ("i1", lambda x: anynn.special.i1(x), np.array([-1.5, 0.0, 0.4, 3.0])),
    ("i1-expansion", lambda x: anynn.special.i1(x), np.array([-22.0])),
    ("i1e", lambda x: anynn.special.i1e(x), np.array([-22.0, -1.5, -0.2, 0.4, 3.0, 25.0])),
    ("erfinv", lambda x: anynn.erfinv(x), np.array([-0.9, -0.3, 0.2, 0.7, 0.95])),
    ("lgamma", lambda x: anynn.lgamma(x), np.array([-2.5, -0.4, 0.3, 1.7, 12.5])),
    ("digamma", lambda x: anynn.digamma(x), np.array([-1.5, -0.4, 0.6, 3.3, 15.0])),
    ("sinc", lambda x: anynn.sinc(x), np.array([-1.3, -0.2, 0.0, 0.4, 2.2])),
    ("erfcx", lambda x: anynn.special.erfcx(x), np.array([-2.0, -0.3, 0.2, 0.7, 5.0])),
    ("ndtr", lambda x: anynn.special.ndtr(x), np.array([-2.0, -0.3, 0.7])),
    ("log_ndtr", lambda x: anynn.special.log_ndtr(x), np.array([-30.0, -2.0, -0.3, 0.7, 4.0])),
    pytest.param("ndtri", lambda x: anynn.special.ndtri(x), np.array([1e-12, 0.8]), marks=NOT_ON_JAX),
    ("entr", lambda x: anynn.special.entr(x), np.array([0.2, 0.7, 3.0])),
    pytest.param("zeta_q", lambda q: anynn.special.zeta(2.5, q), np.array([0.4, 6.0]), marks=NOT_ON_JAX),
]


@pytest.mark.parametrize("name, fn, points", SECOND_ORDER, ids=[c.values[0] if hasattr(c, "values") else c[0]
                                                                for c in SECOND_ORDER])
def test_second_derivatives(backend, name, fn, points):
    assert gradgrad_check(fn, make(backend, points, requires_grad=True))


@pytest.mark.parametrize("name", ["xlogy", "xlog1py"])
def test_xlogy_second_derivatives(backend, name):
    x = make(backend, np.array([[0.5, -1.2], [2.0, 0.3]]), requires_grad=True)
    y = make(backend, np.array([0.7, 1.9]), requires_grad=True)
    assert gradgrad_check(lambda a, b: getattr(anynn.special, name)(a, b), x, y)


def test_refusals_name_the_op():
    with pytest.raises(TypeError, match="xlogy needs a Tensor"):
        anynn.xlogy(2.0, 3.0)


COMPLEX_REFUSED = {  # PyTorch has no complex kernels for these; anynn computed the real part's value, imaginary dropped
    "igamma": lambda lib, z: lib.igamma(z, z), "special.gammaincc": lambda lib, z: lib.special.gammaincc(z, z),
    "lgamma": lambda lib, z: lib.lgamma(z), "digamma": lambda lib, z: lib.digamma(z),
    "erfinv": lambda lib, z: lib.erfinv(z), "special.gammaln": lambda lib, z: lib.special.gammaln(z),
    "special.psi": lambda lib, z: lib.special.psi(z), "polygamma": lambda lib, z: lib.polygamma(2, z),
    "i0": lambda lib, z: lib.i0(z), "special.i0e": lambda lib, z: lib.special.i0e(z),
    "special.i1": lambda lib, z: lib.special.i1(z), "special.i1e": lambda lib, z: lib.special.i1e(z),
    **{f"special.{name}": lambda lib, z, name=name: getattr(lib.special, name)(z)
       for name in ("erfcx", "ndtr", "log_ndtr", "ndtri", "entr", "spherical_bessel_j0", "modified_bessel_i0")},
}


@pytest.mark.parametrize("name", list(COMPLEX_REFUSED))
def test_complex_input_is_refused_as_torch(backend, name):
    values = np.array([1 + 1j, 2 - 0.5j])
    with pytest.raises((NotImplementedError, RuntimeError)):
        COMPLEX_REFUSED[name](torch, torch.tensor(values))
    with pytest.raises(TypeError, match="not supported for complex tensors"):
        COMPLEX_REFUSED[name](anynn, make(backend, values))


# the incomplete gamma functions: a from 1e-3 to 20 (PyTorch's series and continued fraction, to 1e-12), x from 0 to
# well past a in both expansions' regions; for a > 20 PyTorch switches to an asymptotic expansion good to ~1e-9 only
# (at a = x = 30: 0.5242830135558 where mpmath and SciPy give 0.5242830138937, as anynn does)
IGAMMA_A = np.concatenate([10.0 ** R.uniform(-3, np.log10(20), 300), [0.5, 1.0, 2.0, 20.0]])
IGAMMA_X = np.concatenate([10.0 ** R.uniform(-4, 2, 300), [0.5, 1.0, 2.0, 20.0]])
IGAMMA_EDGES = (np.array([0.0, 0.0, -1.0, 1.0, np.inf, np.inf, 2.0, np.nan, 1.0, 3.0]),
                np.array([0.0, 1.0, 1.0, -1.0, 1.0, np.inf, np.inf, 1.0, np.nan, 0.0]))


@pytest.mark.parametrize("name", ["igamma", "igammac"])
def test_incomplete_gamma_values_edges_and_x_gradient_match_torch(backend, name):
    if backend.name == "jax":  # the formula is the same on every backend; JAX compiles its ~100 operations per shape
        pytest.skip("values checked on the other backends; JAX runs the gradient checks below")
    a, x = np.concatenate([IGAMMA_A, IGAMMA_EDGES[0]]), np.concatenate([IGAMMA_X, IGAMMA_EDGES[1]])
    x_ours = make(backend, x, requires_grad=True)
    ours = getattr(anynn, name)(make(backend, a), x_ours)
    x_theirs = torch.tensor(x, requires_grad=True)
    theirs = getattr(torch, name)(torch.tensor(a), x_theirs)
    _assert_matches(ours.detach().numpy(), theirs.detach().numpy(), np.stack([a, x], 1), rtol=1e-12, floor=1e-13)
    plain = np.isfinite(a) & np.isfinite(x) & (a > 0) & (x > 0)  # the slope where both define it
    (ours * make(backend, plain * 1.0)).sum().backward()
    (theirs * torch.tensor(plain * 1.0)).sum().backward()
    np.testing.assert_allclose(x_ours.grad.numpy()[plain], x_theirs.grad.numpy()[plain], rtol=1e-11, atol=1e-300)
    larger = make(backend, np.array([30.0, 100.0, 500.0])), torch.tensor([30.0, 100.0, 500.0], dtype=torch.float64)
    np.testing.assert_allclose(getattr(anynn, name)(larger[0], larger[0] * 1.05).numpy(),
                               getattr(torch, name)(larger[1], larger[1] * 1.05).numpy(), rtol=1e-8)


def test_incomplete_gamma_names_dtypes_gradient_checks_and_refused_a_gradient_as_torch(backend):
    # one point in the series' region and one in the continued fraction's (each forward runs both: a few thousand
    # array operations, so the numerical checks stay small)
    a, x = make(backend, np.array([4.0, 1.5])), make(backend, np.array([2.5, 3.0]))
    check_gradients(backend, lambda a_, x_: anynn.igamma(a_, x_), a.numpy(), x.numpy(), differentiable=[False, True])
    check_gradients(backend, lambda a_, x_: anynn.igammac(a_, x_), a.numpy()[:1], x.numpy()[:1],
                    differentiable=[False, True])
    assert gradgrad_check(lambda x_: anynn.igammac(a, x_), make(backend, x.numpy(), requires_grad=True))
    np.testing.assert_array_equal(anynn.special.gammainc(a, x).numpy(), a.igamma(x).numpy())
    np.testing.assert_array_equal(anynn.special.gammaincc(a, x).numpy(), a.igammac(x).numpy())
    single = make(backend, np.array([0.5, 2.0], dtype=np.float32))
    ours, theirs = single.igamma(single.new_tensor(2.0)), torch.tensor([0.5, 2.0]).igamma(torch.tensor(2.0))
    assert dtype_name(ours.dtype) == "float32"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5)
    twin = make(backend, np.array([0.5, 2.0], dtype=np.float32))
    assert twin.igammac_(single) is twin
    np.testing.assert_allclose(twin.numpy(), torch.tensor([0.5, 2.0]).igammac(torch.tensor([0.5, 2.0])).numpy(),
                               rtol=1e-5)
    for lib, wrap in ((torch, torch.tensor), (anynn, lambda v: make(backend, v))):
        shape = wrap(np.array([1.5, 2.0]))
        shape.requires_grad_(True)
        with pytest.raises(NotImplementedError, match="the derivative for 'igamma: input' is not implemented"):
            lib.igamma(shape, wrap(np.array([1.0, 3.0]))).sum().backward()


# the formulas are the same on every backend and JAX compiles their hundreds of operations per shape: the value
# tables below run on the other backends, JAX runs the gradient checks (SECOND_ORDER)
JAX_SKIPPED = pytest.mark.jax(run=False)

# the normal distribution's functions, erfc and entr: both tails (erfcx overflows below -26.6, ndtr underflows below
# -38, log_ndtr stays finite, erfc is tiny past 5, not 1 - erf), tiny and huge magnitudes, edges; ndtri down to
# 1e-300 (JAX flushes subnormals) and up to 1 - 1e-16
N = np.random.default_rng(43)
NORMAL_POINTS = np.concatenate([N.uniform(-40, 40, 1000), 10.0 ** N.uniform(-300, 300, 200),
                                -(10.0 ** N.uniform(-300, 300, 200)), [-26.5, -26.7, -38.5, 0.5, -0.5, *EDGES]])
QUANTILE_POINTS = np.concatenate([N.uniform(0, 1, 1000), 10.0 ** -N.uniform(0, 300, 300),
                                  1 - 10.0 ** -N.uniform(0, 16, 200), [0.125, 0.5, 0.875, 1.0, 1.5, -0.5, *EDGES]])
ENTR_POINTS = np.concatenate([10.0 ** N.uniform(-300, 300, 300), N.uniform(-3, 3, 100), EDGES])
NORMAL = [("erfcx", NORMAL_POINTS, 1e-13), ("log_ndtr", NORMAL_POINTS, 1e-13), ("ndtri", QUANTILE_POINTS, 1e-13),
          ("entr", ENTR_POINTS, 1e-15), ("ndtr", NORMAL_POINTS, 1e-15), ("erfc", NORMAL_POINTS, 1e-13)]


@JAX_SKIPPED
@pytest.mark.parametrize("name, points, rtol", NORMAL, ids=[c[0] for c in NORMAL])
def test_normal_functions_match_torch_over_wide_ranges(backend, name, points, rtol):
    with np.errstate(all="ignore"):
        ours = getattr(anynn.special, name)(make(backend, points)).numpy()
        theirs = getattr(torch.special, name)(torch.tensor(points)).numpy()
    # PyTorch's ndtr is (1 + erf(x / sqrt 2)) / 2, 0 below -8.4 where the true value is below 1e-17: ours keeps the
    # left tail's relative accuracy, so the two differ there by less than float64's epsilon of 1
    _assert_matches(ours, theirs, points, rtol=rtol, floor=2.3e-16 if name == "ndtr" else 1e-300)
    # first derivatives against PyTorch's where both are finite (second ones: SECOND_ORDER's numerical checks)
    inner = points[np.isfinite(points) & (np.abs(points) < 30)][:300]
    x, t = make(backend, inner, requires_grad=True), torch.tensor(inner, requires_grad=True)
    with np.errstate(all="ignore"):
        getattr(anynn.special, name)(x).sum().backward()
        getattr(torch.special, name)(t).sum().backward()
    # (exp(-x^2 / 2) and the like: their rounding of x^2 costs both libraries up to ~1e-13 relative at |x| = 30)
    _assert_matches(x.grad.numpy(), t.grad.numpy(), inner, rtol=1e-12, floor=1e-300)
    single = make(backend, points[:200].astype(np.float32))
    out = getattr(anynn.special, name)(single)
    assert dtype_name(out.dtype) == "float32"
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(out.numpy(), getattr(torch.special, name)(torch.tensor(single.numpy())).numpy(),
                                   rtol=1e-5, atol=1e-7 if name == "ndtr" else 1e-30)  # PyTorch's is float32 math


@JAX_SKIPPED
def test_normal_functions_tail_values_and_integer_inputs(backend):
    far = make(backend, np.array([-40.0, -1e10, 40.0]))
    np.testing.assert_allclose(anynn.special.log_ndtr(far).numpy(), [-804.60844201, -5e19, -3.655893540915e-350],
                               rtol=1e-9)
    np.testing.assert_allclose(anynn.special.ndtr(far).numpy(), [3.655893540915e-350, 0.0, 1.0], rtol=1e-9)
    ints = make(backend, np.array([[0, 1], [-2, 3]]))
    for name in ("erfcx", "ndtr", "log_ndtr", "entr"):
        out = getattr(anynn.special, name)(ints)
        assert dtype_name(out.dtype) == "float32", name
        with np.errstate(all="ignore"):
            np.testing.assert_allclose(out.numpy(), getattr(torch.special, name)(torch.tensor([[0, 1], [-2, 3]])),
                                       rtol=1e-6)


@JAX_SKIPPED
def test_xlog1py_and_entr_edges_and_gradients_as_torch(backend):
    x_host = np.array([[0.0, 0.0, 1.5, -2.0, 0.0], [0.0, 3.0, 0.5, 0.0, 2.0]])
    y_host = np.array([[-1.0, np.nan, 2.0, -0.5, -2.0], [0.5, -1.0, np.inf, 1.5, np.nan]])
    x, y = make(backend, x_host, requires_grad=True), make(backend, y_host, requires_grad=True)
    tx, ty = torch.tensor(x_host, requires_grad=True), torch.tensor(y_host, requires_grad=True)
    with np.errstate(all="ignore"):
        out, reference = anynn.special.xlog1py(x, y), torch.special.xlog1py(tx, ty)
        np.testing.assert_allclose(out.numpy(), reference.detach().numpy(), rtol=1e-15)
        out.sum().backward()
        reference.sum().backward()
        np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy(), rtol=1e-15)
        # PyTorch's vectorised kernel gives NaN at (0, -1) where its one-element path gives 0, as xlogy's does
        np.testing.assert_allclose(x.grad.numpy()[1:], tx.grad.numpy()[1:], rtol=1e-15)
        np.testing.assert_allclose(x.grad.numpy()[0, 1:], tx.grad.numpy()[0, 1:], rtol=1e-15)
    np.testing.assert_allclose(anynn.special.xlog1py(2.0, make(backend, np.array([0.5, 3.0]))).numpy(),
                               torch.special.xlog1py(2.0, torch.tensor([0.5, 3.0])).numpy())
    e = make(backend, np.array([0.0, 0.5, -1.0, np.inf]), requires_grad=True)
    te = torch.tensor([0.0, 0.5, -1.0, np.inf], dtype=torch.float64, requires_grad=True)
    with np.errstate(all="ignore"):
        np.testing.assert_allclose(anynn.special.entr(e).numpy(), torch.special.entr(te).detach().numpy(), rtol=1e-15)
        anynn.special.entr(e).sum().backward()
        torch.special.entr(te).sum().backward()
    np.testing.assert_allclose(e.grad.numpy()[:2], te.grad.numpy()[:2], rtol=1e-15)  # +inf at 0, as PyTorch


# zeta: q over six decades, x from 1 to 30, negative q (PyTorch sums those directly: defined at integer x only),
# the poles and edges
ZETA_X = np.concatenate([N.uniform(1, 30, 600), [2.0, 1.0, 0.5, -1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 100.0, 1.0001,
                                                 np.inf, np.nan, 2.0, 2.0, 1e10]])
ZETA_Q = np.concatenate([10.0 ** N.uniform(-3, 3, 600), [1.0, 1.0, 1.0, 1.0, 0.0, -1.0, -1.5, -2.5, -30.5, 0.5, 1.0,
                                                        1.0, 1.0, np.inf, np.nan, 0.9]])


@JAX_SKIPPED
def test_zeta_values_numbers_and_gradients_as_torch(backend):
    with np.errstate(all="ignore"):
        ours = anynn.special.zeta(make(backend, ZETA_X), make(backend, ZETA_Q)).numpy()
    _assert_matches(ours, torch.special.zeta(torch.tensor(ZETA_X), torch.tensor(ZETA_Q)).numpy(),
                    np.stack([ZETA_X, ZETA_Q], 1), rtol=1e-14, floor=1e-300)
    q = make(backend, np.array([[0.5], [2.0]]))
    np.testing.assert_allclose(anynn.special.zeta(2.0, q).numpy(), torch.special.zeta(2.0, torch.tensor(
        [[0.5], [2.0]])).numpy(), rtol=1e-6)
    np.testing.assert_allclose(q.zeta(3.0).numpy() if hasattr(q, "zeta") else anynn.special.zeta(q, 3.0).numpy(),
                               torch.special.zeta(torch.tensor([[0.5], [2.0]]), 3.0).numpy(), rtol=1e-6)
    assert dtype_name(anynn.special.zeta(make(backend, np.array([2, 3])), 1).dtype) == "float32"
    x = make(backend, np.array([2.5, 4.0]))
    check_gradients(backend, lambda q_: anynn.special.zeta(x, q_), np.array([[0.7, 1.5], [3.0, 0.2]]))
    q_ours = make(backend, ZETA_Q[:300], requires_grad=True)
    q_theirs = torch.tensor(ZETA_Q[:300], requires_grad=True)
    anynn.special.zeta(make(backend, ZETA_X[:300]), q_ours).sum().backward()
    torch.special.zeta(torch.tensor(ZETA_X[:300]), q_theirs).sum().backward()
    _assert_matches(q_ours.grad.numpy(), q_theirs.grad.numpy(), ZETA_Q[:300], rtol=1e-13, floor=1e-300)
    for lib, wrap in ((torch, torch.tensor), (anynn, lambda v: make(backend, v))):
        shape = wrap(np.array([2.5, 3.0]))
        shape.requires_grad_(True)
        with pytest.raises(NotImplementedError, match="the derivative for 'zeta' is not implemented"):
            lib.special.zeta(shape, wrap(np.array([1.0, 3.0]))).sum().backward()


# the orthogonal polynomials: degrees below 0, the recurrences' and PyTorch's trigonometric forms, |x| = 1, outside
# [-1, 1]; degrees as numbers and as (fractional, truncated) float tensors
POLY_X = np.concatenate([N.uniform(-1.3, 1.3, 60), [1.0, -1.0, 0.0, 0.5, np.nan, 3.0, -2.5]])
POLY_N = np.floor(N.uniform(-2, 16, POLY_X.size)) + 0.6
POLYNOMIALS = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v", "chebyshev_polynomial_w",
               "shifted_chebyshev_polynomial_t", "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
               "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
               "laguerre_polynomial_l", "legendre_polynomial_p"]


@JAX_SKIPPED
@pytest.mark.parametrize("name", POLYNOMIALS)
def test_orthogonal_polynomials_match_torch_and_record_nothing(backend, name):
    ours_fn, theirs_fn = getattr(anynn.special, name), getattr(torch.special, name)
    x = make(backend, POLY_X, requires_grad=True)
    for n in (-1, 0, 1, 2, 7, 12, make(backend, POLY_N)):
        with np.errstate(all="ignore"):
            out = ours_fn(x, n)
        theirs = theirs_fn(torch.tensor(POLY_X), torch.tensor(POLY_N) if isinstance(n, anynn.Tensor) else n)
        assert not out.requires_grad  # PyTorch records no derivative for these
        # at x = NaN PyTorch's loop stops before its first step and returns an unset value (often the previous
        # element's): NaN here
        degree = np.trunc(POLY_N) if isinstance(n, anynn.Tensor) else np.full(POLY_X.shape, n)
        assert np.isnan(out.numpy()[np.isnan(POLY_X) & (degree >= 1)]).all()
        # the recurrences and the trigonometric forms round differently: compared on the polynomials' scale
        scale = np.maximum(np.abs(theirs.numpy()), 1.0)
        finite = np.isfinite(theirs.numpy()) & ~np.isnan(POLY_X)
        np.testing.assert_array_equal(out.numpy()[~finite & ~np.isnan(POLY_X)],
                                      theirs.numpy()[~finite & ~np.isnan(POLY_X)])
        np.testing.assert_allclose(out.numpy()[finite] / scale[finite], theirs.numpy()[finite] / scale[finite],
                                   rtol=0, atol=1e-12, err_msg=f"{name}, n={n}")
    ints = ours_fn(make(backend, np.array([0, 1, 2])), 3)
    assert dtype_name(ints.dtype) == "float32"
    np.testing.assert_allclose(ints.numpy(), theirs_fn(torch.tensor([0, 1, 2]), 3).numpy(), rtol=1e-6)


@JAX_SKIPPED
def test_values_only_functions_match_torch(backend):
    # K's three regimes (series to 2, quadrature to 20, expansion above) and its underflow past ~705
    points = np.concatenate([N.uniform(-30, 30, 200), 10.0 ** N.uniform(-300, 2.9, 100),
                             [0.0, 1e-3, 0.49, 0.5, 2.0, 20.0, 100.0, 710.0, np.inf, -np.inf, np.nan]])
    x = make(backend, points, requires_grad=True)
    for name in ("spherical_bessel_j0", "modified_bessel_i0", "modified_bessel_i1", "modified_bessel_k0",
                 "modified_bessel_k1", "scaled_modified_bessel_k0", "scaled_modified_bessel_k1"):
        out = getattr(anynn.special, name)(x)
        assert not out.requires_grad, name
        _assert_matches(out.numpy(), getattr(torch.special, name)(torch.tensor(points)).numpy(), points,
                        rtol=1e-13, floor=1e-16)
        ints = getattr(anynn.special, name)(make(backend, np.array([0, 2])))
        assert dtype_name(ints.dtype) == "float32"


@JAX_SKIPPED
def test_bessel_j_and_y_match_torch_and_their_wronskian(backend):
    """J0, J1, Y0, Y1 in their three regimes (series below 2, recurrence to 25, expansion above). PyTorch 2.13's
    values are off by up to 9e-7 between 5 and 8 (and 1e-8 elsewhere below 25; mpmath agrees with anynn's to 2e-16):
    compared with them to 1e-6 there and 1e-13 (absolute 1e-14: their phase x - pi/4 rounds) above 25, and, to
    1e-14, with the Wronskian ``J1 Y0 - J0 Y1 = 2 / (pi x)``, which ties all four together."""
    points = np.concatenate([N.uniform(0, 40, 400), -N.uniform(0, 40, 50), 10.0 ** N.uniform(-300, 4, 100),
                             [0.0, 1.999, 2.0, 2.001, 24.999, 25.0, 25.001, np.inf, -np.inf, np.nan]])
    x = make(backend, points, requires_grad=True)
    ours = {name: getattr(anynn.special, name)(x) for name in ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1")}
    with np.errstate(all="ignore"):
        for name, out in ours.items():
            assert not out.requires_grad
            theirs = getattr(torch.special, name)(torch.tensor(points)).numpy()
            finite = np.isfinite(theirs)
            np.testing.assert_array_equal(out.numpy()[~finite], theirs[~finite], err_msg=name)
            far = finite & (np.abs(points) > 25)
            np.testing.assert_allclose(out.numpy()[finite], theirs[finite], rtol=1e-6, atol=1e-6, err_msg=name)
            np.testing.assert_allclose(out.numpy()[far], theirs[far], rtol=1e-13, atol=1e-14, err_msg=name)
        inside = (points > 0) & (points < 1e3)
        j0, j1, y0, y1 = (ours[name].numpy()[inside] for name in ("bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1"))
        wronskian = (j1 * y0 - j0 * y1) * (np.pi * points[inside] / 2.0)
    np.testing.assert_allclose(wronskian, 1.0, rtol=1e-14)
    ints = anynn.special.bessel_y0(make(backend, np.array([1, 2])))
    assert dtype_name(ints.dtype) == "float32"


@JAX_SKIPPED
def test_airy_ai_matches_torch(backend):
    """Ai in its regimes (oscillating expansion below -8, series to 2, K_{1/3} above); PyTorch 2.13's values are off
    by up to 3e-6 between -8 and -2 (anynn's within 2e-11 of mpmath's there), so compared loosely there only."""
    points = np.concatenate([N.uniform(-40, 40, 400), [-8.0, -7.9, -2.0, 0.0, 2.0, 1.999, 60.0, np.inf, -np.inf,
                                                       np.nan]])
    out = anynn.special.airy_ai(make(backend, points, requires_grad=True))
    assert not out.requires_grad
    theirs = torch.special.airy_ai(torch.tensor(points)).numpy()
    finite = np.isfinite(theirs)
    np.testing.assert_array_equal(out.numpy()[~finite], theirs[~finite])
    np.testing.assert_allclose(out.numpy()[finite], theirs[finite], atol=5e-6)
    tight = finite & ((points < -8) | (points > -2))
    np.testing.assert_allclose(out.numpy()[tight], theirs[tight], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(out.numpy()[points == 0.0], 0.355028053887817239, rtol=1e-15)


@JAX_SKIPPED
def test_torch_special_aliases(backend):
    x = make(backend, np.array([[0.2, -1.3, 2.5], [0.7, 0.1, -0.4]]))
    t = torch.tensor(x.numpy())
    for name, call in {"expit": lambda m, a: m.special.expit(a), "logit": lambda m, a: m.special.logit(a.abs(), 1e-3),
                       "log1p": lambda m, a: m.special.log1p(a.abs()), "expm1": lambda m, a: m.special.expm1(a),
                       "exp2": lambda m, a: m.special.exp2(a), "round": lambda m, a: m.special.round(a, decimals=1),
                       "logsumexp": lambda m, a: m.special.logsumexp(a, 1),
                       "softmax": lambda m, a: m.special.softmax(a, 0),
                       "log_softmax": lambda m, a: m.special.log_softmax(a, 1),
                       "multigammaln": lambda m, a: m.special.multigammaln(a.abs() + 2, 2)}.items():
        np.testing.assert_allclose(call(anynn, x).numpy(), call(torch, t).numpy(), rtol=1e-12, err_msg=name)
    assert {n for n in dir(torch.special) if not n.startswith("_")} - set(dir(anynn.special)) <= {
        "Tensor", "torch", "common_args", "multi_dim_common"}
