"""Numerical robustness at extreme inputs: no NaN/Inf where the math is finite.

Adds what tests/nn/test_activations.py and tests/nn/test_losses.py do not cover: float16 (on the backends
that have it), the piecewise activations, regression losses at |x| = 1e4, softmax edge cases, BCE's
log-of-zero clamp in float16 and BatchNorm2d with one value per channel.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn.functional as F
from anynn.functional import activation as A
from anynn.nn import BatchNorm2d
from tests.helpers import make

EXTREME = np.array([[-1e4, -100.0, -30.0, -1.0, 0.0, 0.5, 30.0, 100.0, 1e4]])
FLOAT16_BACKENDS = ("numpy", "torch", "cupy")


@pytest.fixture(autouse=True)
def _quiet():
    # NumPy may warn about an overflowing intermediate that the result does not use; results are checked
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def dtypes_of(backend):
    return ["float32", "float16"] if backend.name in FLOAT16_BACKENDS else ["float32"]


def for_dtype(backend, dtype):
    if dtype not in dtypes_of(backend):
        pytest.skip(f"{backend.key} has no {dtype}")


ACTIVATIONS = [
    ("sigmoid", A.sigmoid, torch.sigmoid), ("softplus", A.softplus, TF.softplus), ("tanh", A.tanh, torch.tanh),
    ("log_softmax", A.log_softmax, lambda t: TF.log_softmax(t, dim=-1)),
    ("softmax", A.softmax, lambda t: TF.softmax(t, dim=-1)), ("silu", A.silu, TF.silu), ("mish", A.mish, TF.mish),
    ("gelu", A.gelu, TF.gelu), ("gelu_tanh", lambda x: A.gelu(x, approximate="tanh"),
                                lambda t: TF.gelu(t, approximate="tanh")),
    ("elu", A.elu, TF.elu), ("selu", A.selu, TF.selu), ("relu", A.relu, TF.relu), ("relu6", A.relu6, TF.relu6),
    ("leaky_relu", A.leaky_relu, TF.leaky_relu), ("hardswish", A.hardswish, TF.hardswish),
    ("hardtanh", A.hardtanh, TF.hardtanh),
]


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name,ours,theirs", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_at_extreme_inputs(backend, dtype, name, ours, theirs):
    for_dtype(backend, dtype)
    check_activation(backend, dtype, ours, theirs)


def check_activation(backend, dtype, ours, theirs):
    x = make(backend, EXTREME.astype(dtype), requires_grad=True)
    out = ours(x)
    out.sum().backward()
    values, grad = out.numpy(), x.grad.numpy()
    assert values.dtype == grad.dtype == np.dtype(dtype)
    assert np.isfinite(values).all(), values
    assert np.isfinite(grad).all(), grad
    # the oracle runs in float32 on the same (rounded) inputs
    xt = torch.tensor(EXTREME.astype(dtype).astype(np.float32), requires_grad=True)
    ref = theirs(xt)
    ref.sum().backward()
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-2, atol=1e-2)
    np.testing.assert_allclose(values.astype(np.float32), ref.detach().numpy(), **tol, err_msg="forward")
    np.testing.assert_allclose(grad.astype(np.float32), xt.grad.numpy(), **tol, err_msg="gradient")


REGRESSION = [("mse", F.mse_loss, TF.mse_loss), ("l1", F.l1_loss, TF.l1_loss),
              ("huber", F.huber_loss, TF.huber_loss), ("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss)]


@pytest.mark.parametrize("dtype", ["float32", "float16"])
@pytest.mark.parametrize("name,ours,theirs", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_losses_at_extreme_inputs(backend, dtype, name, ours, theirs):
    for_dtype(backend, dtype)
    if name == "mse" and dtype == "float16":
        pytest.skip("(1e4)^2 = 1e8 is beyond float16's largest value, 65504: the math itself overflows")
    prediction = EXTREME.astype(dtype)
    target = np.flip(EXTREME, axis=1).astype(dtype) * 0.5
    x = make(backend, prediction, requires_grad=True)
    loss = ours(x, make(backend, target))
    loss.backward()
    assert np.isfinite(loss.item()) and np.isfinite(x.grad.numpy()).all()
    xt = torch.tensor(prediction.astype(np.float32), requires_grad=True)
    ref = theirs(xt, torch.tensor(target.astype(np.float32)))
    ref.backward()
    tol = dict(rtol=1e-5) if dtype == "float32" else dict(rtol=2e-2, atol=1e-3)
    np.testing.assert_allclose(loss.item(), ref.item(), **tol)
    np.testing.assert_allclose(x.grad.numpy().astype(np.float32), xt.grad.numpy(), **tol)


CLASSIFICATION_LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [3e3, 3e3, -1e4]])


def test_classification_losses_in_float16(backend):
    for_dtype(backend, "float16")
    logits = CLASSIFICATION_LOGITS.astype(np.float16)
    labels = np.array([1, 2, 0])
    targets = np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], np.float16)
    cases = [(lambda x: F.cross_entropy(x, make(backend, labels)),
              lambda t: TF.cross_entropy(t, torch.tensor(labels))),
             (lambda x: F.binary_cross_entropy_with_logits(x, make(backend, targets)),
              lambda t: TF.binary_cross_entropy_with_logits(t, torch.tensor(targets.astype(np.float32))))]
    for ours, theirs in cases:
        x = make(backend, logits, requires_grad=True)
        loss = ours(x)
        loss.backward()
        assert loss.numpy().dtype == np.float16 and np.isfinite(loss.item())
        assert np.isfinite(x.grad.numpy()).all()
        xt = torch.tensor(logits.astype(np.float32), requires_grad=True)
        ref = theirs(xt)
        ref.backward()
        np.testing.assert_allclose(loss.item(), ref.item(), rtol=1e-2)
        np.testing.assert_allclose(x.grad.numpy().astype(np.float32), xt.grad.numpy(), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_softmax_of_huge_and_infinite_logits(backend, dtype):
    for_dtype(backend, dtype)
    big = 6e4 if dtype == "float16" else 3e38
    logits = np.array([[big, big, -big], [1e4, -np.inf, 0.0], [-1e4, -1e4, -1e4]], dtype=dtype)
    x = make(backend, logits, requires_grad=True)
    probabilities = A.softmax(x, dim=-1)
    (probabilities * make(backend, np.arange(9, dtype=dtype).reshape(3, 3))).sum().backward()
    p = probabilities.numpy().astype(np.float64)
    assert np.isfinite(p).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-3)
    np.testing.assert_allclose(p, [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-3, atol=1e-6)
    log_p = A.log_softmax(make(backend, logits), dim=-1).numpy().astype(np.float64)
    assert log_p[1, 1] == -np.inf  # log(0) where the logit is -inf: the exact answer
    # (log_p[0, 2] = -2 big is below the dtype's range: -inf is the rounded exact answer there)
    np.testing.assert_allclose(log_p[0, :2], -np.log(2.0), rtol=1e-3)
    np.testing.assert_allclose(log_p[1], [0.0, -np.inf, -1e4], rtol=1e-3)  # finite where softmax underflows to 0
    np.testing.assert_allclose(log_p[2], -np.log(3.0), rtol=1e-3)


def test_bce_on_zero_and_one_probabilities_clamps_the_log_in_float16(backend):
    for_dtype(backend, "float16")
    p = make(backend, np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float16))
    y = make(backend, np.array([0.0, 0.0, 1.0, 1.0, 0.3], np.float16))
    loss = F.binary_cross_entropy(p, y, reduction="none").numpy()
    assert loss.dtype == np.float16
    np.testing.assert_allclose(loss[:4].astype(np.float32), [0.0, 100.0, 100.0, 0.0])


def test_bce_gradient_through_a_saturated_sigmoid_in_float16():
    x = make("numpy", np.array([-30.0, 30.0], np.float16), requires_grad=True)
    F.binary_cross_entropy(A.sigmoid(x), make("numpy", np.array([0.0, 1.0], np.float16))).backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_batch_norm_2d_with_one_value_per_channel(backend):
    bn = BatchNorm2d(3, backend=backend)
    with pytest.raises(ValueError, match=r"BatchNorm2d: expected more than 1 value per channel.*\(1, 3, 1, 1\)"):
        bn(make(backend, np.ones((1, 3, 1, 1), np.float32)))
    one_image = bn(make(backend, np.random.default_rng(0).standard_normal((1, 3, 2, 2)).astype(np.float32)))
    assert np.isfinite(one_image.numpy()).all()
    bn.eval()
    assert np.isfinite(bn(make(backend, np.ones((1, 3, 1, 1), np.float32))).numpy()).all()


def test_batch_norm_of_a_constant_batch_is_finite(backend):
    bn = BatchNorm2d(2, backend=backend)
    x = make(backend, np.full((4, 2, 3, 3), 1e4, np.float32), requires_grad=True)
    out = bn(x)
    out.sum().backward()
    assert np.isfinite(out.numpy()).all() and np.isfinite(x.grad.numpy()).all()
    np.testing.assert_allclose(out.numpy(), 0.0, atol=1e-3)
