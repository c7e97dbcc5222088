"""PyTorch's remaining activations (shrinkage, squashing, rectifier variants, Softmin, Softmax2d): float64
gradient checks on every backend, PyTorch as the oracle for values and gradients (functions and layers),
finite results for float32 inputs of +-1e4, RReLU's random slopes, and constructor signatures."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional as F
from anynn.backend import dtype_name

from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make

DTYPES = ["float32", "float64"]


def tolerances(dtype: str) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-6, "atol": 1e-8}


def sample(shape: tuple[int, ...], kinks: tuple[float, ...] = (), seed: int = 0) -> np.ndarray:
    """Values in about [-5, 5], kept off the kinks (finite differences must not straddle one)."""
    x = np.random.default_rng(seed).uniform(-5.0, 5.0, shape)
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
    return x


# (name, ours, torch's, kinks)
ELEMENTWISE = [
    ("logsigmoid", F.logsigmoid, TF.logsigmoid, ()),
    ("softsign", F.softsign, TF.softsign, (0.0,)),
    ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, (-3.0, 3.0)),
    ("celu", F.celu, TF.celu, (0.0,)),
    ("celu_alpha", lambda x: F.celu(x, alpha=0.5), lambda x: TF.celu(x, alpha=0.5), (0.0,)),
    ("celu_alpha_2", lambda x: F.celu(x, 2.0), lambda x: TF.celu(x, 2.0), (0.0,)),
    ("threshold", lambda x: F.threshold(x, 0.5, -2.0), lambda x: TF.threshold(x, 0.5, -2.0), (0.5,)),
    ("threshold_neg", lambda x: F.threshold(x, -1.0, 7.0), lambda x: TF.threshold(x, -1.0, 7.0), (-1.0,)),
    ("hardshrink", F.hardshrink, TF.hardshrink, (-0.5, 0.5)),
    ("hardshrink_lambd", lambda x: F.hardshrink(x, 2.0), lambda x: TF.hardshrink(x, 2.0), (-2.0, 2.0)),
    ("hardshrink_negative", lambda x: F.hardshrink(x, -1.0), lambda x: TF.hardshrink(x, -1.0), ()),
    ("softshrink", F.softshrink, TF.softshrink, (-0.5, 0.5)),
    ("softshrink_lambd", lambda x: F.softshrink(x, 1.5), lambda x: TF.softshrink(x, 1.5), (-1.5, 1.5)),
    ("softshrink_zero", lambda x: F.softshrink(x, 0.0), lambda x: TF.softshrink(x, 0.0), (0.0,)),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink, ()),
    ("rrelu_eval", F.rrelu, TF.rrelu, (0.0,)),
    ("rrelu_eval_range", lambda x: F.rrelu(x, 0.1, 0.9), lambda x: TF.rrelu(x, 0.1, 0.9), (0.0,)),
    ("hardshrink_method", lambda x: x.hardshrink(), lambda x: x.hardshrink(), (-0.5, 0.5)),
    ("hardshrink_method_lambd", lambda x: x.hardshrink(1.0), lambda x: x.hardshrink(1.0), (-1.0, 1.0)),
]
IDS = [e[0] for e in ELEMENTWISE]


@pytest.mark.parametrize("name,ours,theirs,kinks", ELEMENTWISE, ids=IDS)
def test_gradients(backend, name, ours, theirs, kinks):
    check_gradients(backend, ours, sample((2, 5), kinks))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours,theirs,kinks", ELEMENTWISE, ids=IDS)
def test_matches_torch(backend, name, ours, theirs, kinks, dtype):
    x = sample((2, 3, 4), kinks).astype(dtype)
    x[0, 0, :2] = (7.0, -7.0)  # past the clamps
    compare_with_torch(backend, ours, theirs, x, **tolerances(dtype))


@pytest.mark.parametrize("name,ours,theirs,kinks", ELEMENTWISE, ids=IDS)
def test_keeps_float32(backend, name, ours, theirs, kinks):
    x = make(backend, sample((2, 3), kinks).astype(np.float32), requires_grad=True)
    out = ours(x)
    assert dtype_name(out.dtype) == "float32"
    grad = out.grad_fn.backward(backend.xp, backend.xp.ones_like(out.array))
    assert dtype_name(grad.dtype) == "float32"


HUGE = np.array([[-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4]], dtype=np.float32)


@pytest.mark.parametrize("name,ours,theirs,kinks", ELEMENTWISE, ids=IDS)
def test_huge_float32_inputs_give_finite_values_and_gradients(backend, name, ours, theirs, kinks):
    x = make(backend, HUGE, requires_grad=True)
    out = ours(x)
    assert np.all(np.isfinite(out.numpy())), out.numpy()
    out.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy())), x.grad.numpy()
    compare_with_torch(backend, ours, theirs, HUGE, rtol=1e-5, atol=1e-6)


def test_logsigmoid_far_below_zero_is_the_input(backend):
    assert F.logsigmoid(make(backend, HUGE)).numpy()[0, 0] == np.float32(-1e4)


# -- softmin along a dim, and its implicit dim -----------------------------------------------------------
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmin_gradients_and_torch(backend, dim):
    x = sample((2, 4, 3))
    check_gradients(backend, lambda t: F.softmin(t, dim), x)
    for dtype in DTYPES:
        compare_with_torch(backend, lambda t: F.softmin(t, dim), lambda t: TF.softmin(t, dim), x.astype(dtype),
                           **tolerances(dtype))


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (2, 3, 2, 2)], ids=str)
def test_softmin_implicit_dim_warns_and_matches_torch(backend, shape):
    x = sample(shape)
    with pytest.warns(UserWarning, match="Implicit dimension"):
        ours = F.softmin(make(backend, x)).numpy()
    with pytest.warns(UserWarning, match="Implicit dimension"):
        theirs = TF.softmin(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14)


def test_softmin_dtype_argument_casts_first(backend):
    out = F.softmin(make(backend, sample((2, 3)).astype(np.float32)), dim=1, dtype="float64")
    assert dtype_name(out.dtype) == "float64"


# -- layers against PyTorch's ------------------------------------------------------------------------
LAYERS = [
    ("LogSigmoid", (), {}), ("Softsign", (), {}), ("Tanhshrink", (), {}), ("Hardsigmoid", (), {}),
    ("CELU", (), {}), ("CELU", (0.7,), {}), ("Threshold", (0.1, 20.0), {}), ("Hardshrink", (), {"lambd": 1.0}),
    ("Softshrink", (), {}), ("Softmin", (), {"dim": 1}), ("Softmin", (-1,), {}), ("Softmax2d", (), {}),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,args,kwargs", LAYERS, ids=[f"{n}{a}{k}" for n, a, k in LAYERS])
def test_layers_match_torch(backend, name, args, kwargs, dtype):
    x = sample((2, 3, 2, 2), (-1.0, -0.5, 0.0, 0.1, 0.5, 1.0)).astype(dtype)
    compare_module_with_torch(backend, getattr(anynn.nn, name)(*args, **kwargs),
                              getattr(torch.nn, name)(*args, **kwargs), x, **tolerances(dtype))


def test_softmax2d_refuses_2d_input(backend):
    with pytest.raises(ValueError, match=r"Softmax2d: expected 3-D or 4-D input"):
        anynn.nn.Softmax2d()(make(backend, sample((2, 3))))


def test_refusals(backend):
    x = make(backend, sample((2, 3)))
    with pytest.raises(ValueError, match="celu: alpha cannot be 0"):
        F.celu(x, alpha=0.0)
    with pytest.raises(ValueError, match="softshrink: lambd must be >= 0"):
        F.softshrink(x, -0.5)
    with pytest.raises(ValueError, match="rrelu: lower bound 0.5 .* upper bound 0.1"):
        F.rrelu(x, 0.5, 0.1, training=True)
    with pytest.raises(ValueError, match="RReLU: lower bound"):
        anynn.nn.RReLU(0.5, 0.1)


# -- RReLU in training: random slopes from the backend generator ----------------------------------------------
def test_rrelu_training_draws_slopes_in_range_and_differentiates_through_them(backend):
    x_host = sample((4, 50), (0.0,))
    x = make(backend, x_host, requires_grad=True)
    out = F.rrelu(x, 0.2, 0.6, training=True, generator=3)
    values = out.numpy()
    positive = x_host >= 0
    np.testing.assert_array_equal(values[positive], x_host[positive])
    slopes = values[~positive] / x_host[~positive]
    assert slopes.min() >= 0.2 - 1e-12 and slopes.max() < 0.6
    assert slopes.std() > 0.05  # drawn per element, not one slope
    weights = np.random.default_rng(1).standard_normal(x_host.shape)
    (out * make(backend, weights)).sum().backward()
    expected = np.where(positive, 1.0, values / np.where(positive, 1.0, x_host)) * weights
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    # the same seed gives the same slopes
    again = F.rrelu(make(backend, x_host), 0.2, 0.6, training=True, generator=3).numpy()
    np.testing.assert_array_equal(again, values)


def test_rrelu_layer_is_random_in_training_and_fixed_in_eval(backend):
    x_host = -np.abs(sample((3, 40))) - 0.1
    layer = anynn.nn.RReLU(seed=5)
    x = make(backend, x_host)
    first, second = layer(x).numpy(), layer(x).numpy()
    assert not np.array_equal(first, second)  # the generator moves on
    again = anynn.nn.RReLU(seed=5)(x).numpy()
    np.testing.assert_array_equal(again, first)
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), TF.rrelu(torch.tensor(x_host)).numpy(), rtol=1e-12)
    with torch.no_grad():
        np.testing.assert_allclose(layer(x).numpy(), torch.nn.RReLU().eval()(torch.tensor(x_host)).numpy())


def test_rrelu_layer_without_a_seed_follows_manual_seed_as_dropout_does(backend):
    x = make(backend, -np.abs(sample((3, 40))) - 0.1)
    anynn.manual_seed(11)
    first = anynn.nn.RReLU()(x).numpy()
    anynn.manual_seed(11)
    np.testing.assert_array_equal(anynn.nn.RReLU()(x).numpy(), first)
    anynn.manual_seed(12)
    assert not np.array_equal(anynn.nn.RReLU()(x).numpy(), first)


# -- constructor signatures and defaults -----------------------------------------------------------------------
NAMES = ["LogSigmoid", "Softsign", "Tanhshrink", "Hardsigmoid", "CELU", "Threshold", "Hardshrink", "Softshrink",
         "Softmin", "Softmax2d", "RReLU"]
EXTRA = {"RReLU": {"seed"}}  # anynn's own: the generator's seed, as Dropout's


@pytest.mark.parametrize("name", NAMES)
def test_constructor_signature_matches_torch(name):
    ours = dict(inspect.signature(getattr(anynn.nn, name).__init__).parameters)
    theirs = dict(inspect.signature(getattr(torch.nn, name).__init__).parameters)
    theirs = {k: v for k, v in theirs.items() if v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)}
    ours = {k: v for k, v in ours.items() if v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD)}
    for extra in EXTRA.get(name, ()):
        ours.pop(extra)
    assert list(ours) == list(theirs)
    for key, p in theirs.items():
        assert ours[key].default == p.default, f"{name}({key}=...): {ours[key].default} != {p.default}"
        assert ours[key].kind == p.kind
