"""Initialisers: statistics and bounds, orthogonality, seeding, and PyTorch's fans and gains."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import anynn
from anynn import init

SHAPE = (400, 500)  # 200 000 draws: sample std within ~0.3% of the truth


def _blank(backend, shape=SHAPE, dtype="float32"):
    return anynn.zeros(shape, backend=backend, dtype=dtype)


@pytest.mark.parametrize("shape", [(3, 4), (7, 2), (8, 3, 5, 5), (2, 3, 4), (16, 4, 3, 3, 3), (1, 1)])
def test_fans_match_pytorch(shape):
    assert init.calculate_fan_in_and_fan_out(shape) == torch.nn.init._calculate_fan_in_and_fan_out(
        torch.empty(shape))


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.calculate_fan_in_and_fan_out((5,))


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("leaky_relu", math.sqrt(5)), ("selu", None),
])
def test_gains_match_pytorch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_unknown_gain():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'swish'"):
        init.calculate_gain("swish")


def test_constant_fills_keep_backend_and_dtype(backend):
    for dtype in ("float32", "float64"):
        t = _blank(backend, (2, 3), dtype)
        assert init.ones_(t) is t
        assert t.backend == backend and backend.is_native(t.array) and t.dtype == backend.dtype(dtype)
        np.testing.assert_array_equal(t.numpy(), np.ones((2, 3)))
        np.testing.assert_array_equal(init.constant_(t, 0.25).numpy(), np.full((2, 3), 0.25))
        np.testing.assert_array_equal(init.zeros_(t).numpy(), np.zeros((2, 3)))


def _check_uniform(values, bound):
    assert values.min() >= -bound and values.max() <= bound
    assert values.min() < -0.99 * bound and values.max() > 0.99 * bound
    assert abs(values.mean()) < 0.01 * bound
    assert values.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)


def _check_normal(values, std, mean=0.0):
    assert values.mean() == pytest.approx(mean, abs=0.01 * std)
    assert values.std() == pytest.approx(std, rel=0.01)
    assert np.abs(values - mean).max() > 3.5 * std, "a Gaussian, not a bounded distribution"


def test_uniform_and_normal(backend):
    values = init.uniform_(_blank(backend), -2.0, 3.0, generator=0).numpy()
    assert values.min() >= -2.0 and values.max() <= 3.0 and values.mean() == pytest.approx(0.5, abs=0.02)
    _check_normal(init.normal_(_blank(backend), 1.5, 0.2, generator=0).numpy(), 0.2, mean=1.5)


BAD_DRAWS = [("uniform_", dict(a=1.0, b=0.0)), ("uniform_", dict(a=float("nan"), b=1.0)),
             ("normal_", dict(std=-1.0)), ("normal_", dict(std=float("nan"))),
             ("trunc_normal_", dict(a=2.0, b=-2.0)), ("trunc_normal_", dict(a=float("nan")))]


@pytest.mark.parametrize("name,options", BAD_DRAWS, ids=str)
def test_draws_from_no_distribution_are_refused_naming_the_initialiser_as_torch(name, options):
    """NumPy said 'high - low < 0' or 'scale < 0'; trunc_normal_ with a > b filled clipped values silently."""
    with pytest.raises(RuntimeError):
        getattr(torch.nn.init, name)(torch.empty(3), **options)
    blank = anynn.zeros(3)
    with pytest.raises(RuntimeError, match=f"^{name}: expect"):
        getattr(anynn.nn.init, name)(blank, **options)
    np.testing.assert_array_equal(blank.numpy(), np.zeros(3))
    if name == "trunc_normal_":  # infinite bounds are a truncation to one side, as PyTorch's
        assert np.isfinite(anynn.nn.init.trunc_normal_(blank, a=-math.inf, b=2.0).numpy()).all()


RANDOM_INITIALISERS = ["uniform_", "normal_", "trunc_normal_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
                       "kaiming_normal_", "orthogonal_", "sparse_"]


@pytest.mark.parametrize("name", RANDOM_INITIALISERS)
def test_random_initialisers_refuse_integer_tensors_as_torch(name):
    """torch's kernels refuse to draw into int64/bool ('normal_kernel_cpu not implemented for Long'); anynn drew
    floats and truncated them into the tensor."""
    args = (0.5,) if name == "sparse_" else ()
    with pytest.raises(RuntimeError, match="not implemented for 'Long'"):
        getattr(torch.nn.init, name)(torch.zeros(3, 3, dtype=torch.int64), *args)
    for dtype in ("int64", "bool"):
        blank = anynn.zeros(3, 3, dtype=dtype)
        with pytest.raises(RuntimeError, match=f"^nn.init.{name}: .*{dtype}"):
            getattr(anynn.nn.init, name)(blank, *args)
        assert not blank.numpy().any()
    if name == "xavier_normal_":  # a negative gain is a negative std, refused by name as torch refuses it
        with pytest.raises(RuntimeError, match="std >= 0"):
            torch.nn.init.xavier_normal_(torch.zeros(3, 3), gain=-1.0)
        with pytest.raises(RuntimeError, match="^xavier_normal_: expects std >= 0"):
            anynn.nn.init.xavier_normal_(anynn.zeros(3, 3), gain=-1.0)


@pytest.mark.parametrize("method,args", [("uniform_", (1.0, 0.0)), ("uniform_", (0.0, math.inf)),
                                         ("normal_", (0.0, -1.0))], ids=str)
def test_tensor_random_fills_from_no_distribution_are_refused_by_name_as_torch(backend, method, args):
    with pytest.raises(RuntimeError):
        getattr(torch.empty(3), method)(*args)
    blank = anynn.zeros(3, backend=backend)
    with pytest.raises(RuntimeError, match=f"^{method}: expect"):
        getattr(blank, method)(*args)
    np.testing.assert_array_equal(blank.numpy(), np.zeros(3))


def test_xavier(backend):
    fan_in, fan_out = SHAPE[1], SHAPE[0]
    t = init.xavier_uniform_(_blank(backend), gain=2.0, generator=1)
    _check_uniform(t.numpy(), 2.0 * math.sqrt(6.0 / (fan_in + fan_out)))
    t = init.xavier_normal_(_blank(backend), generator=1)
    _check_normal(t.numpy(), math.sqrt(2.0 / (fan_in + fan_out)))
    assert init.glorot_uniform is init.xavier_uniform_


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming(backend, mode):
    fan = SHAPE[1] if mode == "fan_in" else SHAPE[0]
    std = math.sqrt(2.0) / math.sqrt(fan)
    t = init.kaiming_uniform_(_blank(backend), mode=mode, nonlinearity="relu", generator=2)
    _check_uniform(t.numpy(), math.sqrt(3.0) * std)
    t = init.kaiming_normal_(_blank(backend), mode=mode, nonlinearity="relu", generator=2)
    _check_normal(t.numpy(), std)
    with pytest.raises(ValueError, match="mode"):
        init.kaiming_uniform_(_blank(backend, (2, 2)), mode="fan_avg")


def test_kaiming_uniform_default_matches_pytorch_linear_bound():
    # PyTorch's Linear: kaiming_uniform_(a=sqrt(5)) = U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    values = init.kaiming_uniform_(_blank("numpy"), a=math.sqrt(5), generator=3).numpy()
    _check_uniform(values, 1.0 / math.sqrt(SHAPE[1]))


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (5, 5), (3, 2, 2, 2), (1, 7)])
def test_orthogonal(backend, shape):
    t = init.orthogonal_(_blank(backend, shape, "float64"), gain=1.5, generator=4)
    assert t.shape == shape and t.backend == backend
    flat = t.numpy().reshape(shape[0], -1) / 1.5
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, np.eye(min(rows, cols)), atol=1e-12)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.orthogonal_(_blank(backend, (3,)))


def test_orthogonal_float32():
    flat = init.orthogonal_(_blank("torch", (8, 8)), generator=0).numpy()
    assert flat.dtype == np.float32
    np.testing.assert_allclose(flat @ flat.T, np.eye(8), atol=1e-6)


INITIALISERS = [
    lambda t, g: init.uniform_(t, generator=g),
    lambda t, g: init.normal_(t, generator=g),
    lambda t, g: init.xavier_uniform_(t, generator=g),
    lambda t, g: init.xavier_normal_(t, generator=g),
    lambda t, g: init.kaiming_uniform_(t, generator=g),
    lambda t, g: init.kaiming_normal_(t, generator=g),
    lambda t, g: init.orthogonal_(t, generator=g),
]


@pytest.mark.parametrize("fill", INITIALISERS)
def test_seeded_reproducibility_across_backends(fill):
    reference = fill(_blank("numpy", (5, 4)), 42).numpy()
    for name in ("torch", "array_api_strict", "array_api_strict:device1"):
        np.testing.assert_array_equal(fill(_blank(name, (5, 4)), 42).numpy(), reference)
        np.testing.assert_array_equal(fill(_blank(name, (5, 4)), np.random.default_rng(42)).numpy(), reference)
    assert not np.array_equal(fill(_blank("numpy", (5, 4)), 43).numpy(), reference)
    # the default generator is seeded by manual_seed
    anynn.manual_seed(7)
    first = fill(_blank("numpy", (5, 4)), None).numpy()
    anynn.manual_seed(7)
    np.testing.assert_array_equal(fill(_blank("torch", (5, 4)), None).numpy(), first)
    assert init.default_generator() is init.default_generator()


def test_float32_draw_is_the_rounded_float64_draw():
    wide = init.normal_(_blank("numpy", (3, 3), "float64"), generator=5).numpy()
    narrow = init.normal_(_blank("numpy", (3, 3), "float32"), generator=5).numpy()
    np.testing.assert_array_equal(narrow, wide.astype(np.float32))


def test_initialisers_on_views_fill_the_tensor_viewed(backend):
    """``nn.init.orthogonal_(w[:h])`` per gate, ``init.constant_(bias[h:2 * h], 1.0)``: the slices of a parameter
    (recorded views of a leaf that requires grad) pass the values on to it, as PyTorch's views of its storage do
    (the parameter stayed as it was)."""
    def fill(lib, w, q):
        lib.nn.init.constant_(w[0:2], 1.0)
        lib.nn.init.eye_(w[2:5])
        lib.nn.init.zeros_(w[5:])
        lib.nn.init.ones_(w[5, :1])
        lib.nn.init.orthogonal_(q[:2])
        lib.nn.init.normal_(q.t()[1])
        return w.detach().numpy(), q.detach().numpy() != 0

    ours = fill(anynn, anynn.nn.Parameter(_blank(backend, (6, 3))), anynn.nn.Parameter(_blank(backend, (4, 2))))
    theirs = fill(torch, torch.nn.Parameter(torch.zeros(6, 3)), torch.nn.Parameter(torch.zeros(4, 2)))
    for got, expected in zip(ours, theirs):
        np.testing.assert_array_equal(got, expected)


def test_spellings_without_underscore_warn_as_torch_and_fill():
    # old DCGAN / RL code calls nn.init.xavier_uniform(w): PyTorch fills and warns (anynn was silent)
    for name in ("uniform", "normal", "constant", "eye", "dirac", "xavier_uniform", "xavier_normal",
                 "kaiming_uniform", "kaiming_normal", "orthogonal", "sparse"):
        args = {"constant": (0.5,), "sparse": (0.5,)}.get(name, ())
        for lib in (torch, anynn):
            shape = (2, 3, 3) if name == "dirac" else (2, 3)
            message = rf"^`nn.init.{name}` is now deprecated in favor of `nn.init.{name}_`"
            with pytest.warns(FutureWarning, match=message):
                out = getattr(lib.nn.init, name)(lib.ones(shape), *args)
            assert tuple(out.shape) == shape and getattr(lib.nn.init, name).__name__ == name
