"""Every activation: float64 gradient check on every backend, PyTorch comparison in float32 and
float64, float32 kept float32, and finite values and gradients for logits up to +-1e4."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from anynn.backend import dtype_name
from anynn.functional import activation as A

from tests.helpers import check_gradients, compare_with_torch, make

DTYPES = ["float32", "float64"]


def tolerances(dtype: str) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-5, "atol": 1e-7}


def sample(shape: tuple[int, ...], kinks: tuple[float, ...] = (), seed: int = 0) -> np.ndarray:
    """Values in about [-5, 5] (so saturating regions are visited), kept off the kinks."""
    x = np.random.default_rng(seed).uniform(-5.0, 5.0, shape)
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
    return x


# (name, ours, torch's, kinks of the function: finite differences must not straddle them)
ELEMENTWISE = [
    ("sigmoid", A.sigmoid, torch.sigmoid, ()),
    ("tanh", A.tanh, torch.tanh, ()),
    ("relu", A.relu, TF.relu, (0.0,)),
    ("leaky_relu", A.leaky_relu, TF.leaky_relu, (0.0,)),
    ("leaky_relu_0.2", lambda x: A.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), (0.0,)),
    ("elu", A.elu, TF.elu, (0.0,)),
    ("elu_alpha", lambda x: A.elu(x, alpha=0.5), lambda x: TF.elu(x, alpha=0.5), (0.0,)),
    ("selu", A.selu, TF.selu, (0.0,)),
    ("gelu", A.gelu, TF.gelu, ()),
    ("gelu_tanh", lambda x: A.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh"), ()),
    ("silu", A.silu, TF.silu, ()),
    ("softplus", A.softplus, TF.softplus, ()),
    ("softplus_beta", lambda x: A.softplus(x, beta=2.0), lambda x: TF.softplus(x, beta=2.0), ()),
    ("softplus_threshold", lambda x: A.softplus(x, beta=2.0, threshold=3.0),
     lambda x: TF.softplus(x, beta=2.0, threshold=3.0), (1.5,)),
    ("mish", A.mish, TF.mish, ()),
    ("hardtanh", A.hardtanh, TF.hardtanh, (-1.0, 1.0)),
    ("hardtanh_range", lambda x: A.hardtanh(x, -2.0, 0.5), lambda x: TF.hardtanh(x, -2.0, 0.5), (-2.0, 0.5)),
    ("relu6", A.relu6, TF.relu6, (0.0, 6.0)),
    ("hardswish", A.hardswish, TF.hardswish, (-3.0, 3.0)),
]
ELEMENTWISE_IDS = [e[0] for e in ELEMENTWISE]


@pytest.mark.parametrize("name,ours,theirs,kinks", ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_activation_gradients(backend, name, ours, theirs, kinks):
    check_gradients(backend, ours, sample((2, 5), kinks))


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours,theirs,kinks", ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_activation_matches_torch(backend, name, ours, theirs, kinks, dtype):
    x = sample((2, 3, 4), kinks).astype(dtype)
    x[0, 0, :2] = (7.0, -7.0)  # past relu6's and hardswish's clamps
    compare_with_torch(backend, ours, theirs, x, **tolerances(dtype))


@pytest.mark.parametrize("name,ours,theirs,kinks", ELEMENTWISE, ids=ELEMENTWISE_IDS)
def test_activation_keeps_float32(backend, name, ours, theirs, kinks):
    assert_float32_forward_and_backward(backend, ours, sample((2, 3), kinks).astype(np.float32))


def assert_float32_forward_and_backward(backend, fn, *arrays):
    tensors = [make(backend, a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(*tensors)
    assert dtype_name(out.dtype) == "float32"
    grads = out.grad_fn.backward(backend.xp, backend.xp.ones_like(out.array))  # before any cast back
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g is None or dtype_name(g.dtype) == "float32", f"{out.grad_fn.name} backward gives {g.dtype}"


# -- PReLU: a learnable slope, one or per channel -------------------------------------------------------
PRELU_CASES = [((2, 3), (1,)), ((2, 3, 4), (1,)), ((2, 3, 4), (3,)), ((2, 3, 2, 2), (3,)), ((2, 3), (3,)),
               ((4,), (1,))]


@pytest.mark.parametrize("x_shape,w_shape", PRELU_CASES, ids=str)
def test_prelu_gradients_and_torch(backend, x_shape, w_shape):
    x = sample(x_shape, (0.0,))
    w = np.random.default_rng(1).uniform(0.05, 0.5, w_shape)
    check_gradients(backend, A.prelu, x, w)
    for dtype in DTYPES:
        compare_with_torch(backend, A.prelu, TF.prelu, x.astype(dtype), w.astype(dtype), **tolerances(dtype))
    assert_float32_forward_and_backward(backend, A.prelu, x.astype(np.float32), w.astype(np.float32))


def test_prelu_refuses_a_weight_that_does_not_match_the_channels(backend):
    x = make(backend, sample((2, 3, 4)))
    with pytest.raises(ValueError, match=r"prelu.*3 channels, got \(4,\)"):
        A.prelu(x, make(backend, np.ones(4)))


# -- softmax, log_softmax, glu along different axes ----------------------------------------------------
AXIS_OPS = [
    ("softmax", A.softmax, lambda t, axis: TF.softmax(t, dim=axis)),
    ("log_softmax", A.log_softmax, lambda t, axis: TF.log_softmax(t, dim=axis)),
    ("glu", A.glu, lambda t, axis: TF.glu(t, dim=axis)),
    ("softmax_method", lambda x, axis: x.softmax(axis), lambda t, axis: t.softmax(axis)),
    ("log_softmax_method", lambda x, axis: x.log_softmax(axis), lambda t, axis: t.log_softmax(axis)),
]


@pytest.mark.parametrize("axis", [0, 1, -1])
@pytest.mark.parametrize("name,ours,theirs", AXIS_OPS, ids=[a[0] for a in AXIS_OPS])
def test_axis_activation_gradients_and_torch(backend, name, ours, theirs, axis):
    x = sample((2, 4, 2))

    def fn(t):
        return ours(t, axis)

    check_gradients(backend, fn, x)
    for dtype in DTYPES:
        compare_with_torch(backend, fn, lambda t: theirs(t, axis), x.astype(dtype), **tolerances(dtype))
    assert_float32_forward_and_backward(backend, fn, x.astype(np.float32))


def test_glu_refuses_an_odd_axis(backend):
    with pytest.raises(ValueError, match="even"):
        A.glu(make(backend, sample((2, 3))), axis=-1)


def test_gelu_refuses_an_unknown_approximation(backend):
    with pytest.raises(ValueError, match="approximate"):
        A.gelu(make(backend, sample((2,))), approximate="erf")


# -- numerical robustness: huge logits in float32 -------------------------------------------------------
HUGE = np.array([[-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4]], dtype=np.float32)
ROBUST = [
    ("sigmoid", A.sigmoid, torch.sigmoid),
    ("softplus", A.softplus, TF.softplus),
    # PyTorch overflows to inf here (log1p(exp(beta x)) without a shift); ours stays finite
    ("softplus_beta_no_threshold", lambda x: A.softplus(x, beta=0.5, threshold=1e9), None),
    ("log_softmax", A.log_softmax, lambda t: TF.log_softmax(t, dim=-1)),
    ("softmax", A.softmax, lambda t: TF.softmax(t, dim=-1)),
    ("silu", A.silu, TF.silu),
    ("mish", A.mish, TF.mish),
    ("tanh", A.tanh, torch.tanh),
    ("gelu", A.gelu, TF.gelu),
    ("gelu_tanh", lambda x: A.gelu(x, approximate="tanh"), lambda x: TF.gelu(x, approximate="tanh")),
    ("elu", A.elu, TF.elu),
    ("selu", A.selu, TF.selu),
]


@pytest.mark.parametrize("name,ours,theirs", ROBUST, ids=[r[0] for r in ROBUST])
def test_huge_float32_inputs_give_finite_values_and_gradients(backend, name, ours, theirs):
    x = make(backend, HUGE, requires_grad=True)
    out = ours(x)
    values = out.numpy()
    assert np.all(np.isfinite(values)), values
    out.sum().backward()
    grad = x.grad.numpy()
    assert np.all(np.isfinite(grad)), grad
    assert grad.dtype == np.float32
    if theirs is not None:
        compare_with_torch(backend, ours, theirs, HUGE, rtol=1e-4, atol=1e-5)
    else:
        np.testing.assert_allclose(values[0, -1], 1e4)


def test_sigmoid_saturates_exactly(backend):
    out = A.sigmoid(make(backend, HUGE)).numpy()
    assert out[0, 0] == 0.0 and out[0, -1] == 1.0 and out[0, 3] == 0.5
