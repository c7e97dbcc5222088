"""RMSprop, Adagrad, Adadelta, Adamax, NAdam against torch.optim, Lion against its published rule in
NumPy, on the same weights and gradients on every backend; state round trips; gradient clipping."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import backend_of, get_backend
from anynn.nn.module import Parameter

from tests.optim.optim_oracle import check_run, make_data, our_params, take_step, tolerance, torch_history
from anynn.optim.adadelta import Adadelta
from anynn.optim.adagrad import Adagrad
from anynn.optim.adamax import Adamax
from anynn.optim.clip import clip_grad_norm_, clip_grad_value_
from anynn.optim.lion import Lion
from anynn.optim.nadam import NAdam
from anynn.optim.rmsprop import RMSprop


CONFIGS = [
    (RMSprop, dict(lr=0.01)),
    (RMSprop, dict(lr=0.01, alpha=0.9, eps=1e-6)),
    (RMSprop, dict(lr=0.01, centered=True)),
    (RMSprop, dict(lr=0.01, momentum=0.9)),
    (RMSprop, dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1)),
    (RMSprop, dict(lr=0.01, maximize=True, weight_decay=0.05)),
    (Adagrad, dict(lr=0.1)),
    (Adagrad, dict(lr=0.1, lr_decay=0.1)),
    (Adagrad, dict(lr=0.1, initial_accumulator_value=0.5, weight_decay=0.1, eps=1e-6)),
    (Adagrad, dict(lr=0.1, maximize=True, lr_decay=0.01)),
    (Adadelta, dict()),
    (Adadelta, dict(lr=0.5, rho=0.5, eps=1e-4, weight_decay=0.1)),
    (Adadelta, dict(lr=1.0, maximize=True)),
    (Adamax, dict(lr=0.01)),
    (Adamax, dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    (Adamax, dict(lr=0.01, maximize=True)),
    (NAdam, dict(lr=0.01)),
    (NAdam, dict(lr=0.01, betas=(0.8, 0.9), momentum_decay=0.01, weight_decay=0.1)),
    (NAdam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    (NAdam, dict(lr=0.01, maximize=True)),
]
TORCH = {RMSprop: torch.optim.RMSprop, Adagrad: torch.optim.Adagrad, Adadelta: torch.optim.Adadelta,
         Adamax: torch.optim.Adamax, NAdam: torch.optim.NAdam}
LION_CONFIGS = [dict(lr=0.01), dict(lr=0.01, betas=(0.8, 0.95), weight_decay=0.5), dict(lr=0.02, maximize=True)]


def _config_id(config):
    cls, options = config
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in options.items() if k != "lr")










def _lion_reference(options, weights, grads):
    """Chen et al. (2023), Algorithm 2, in float64 NumPy."""
    lr, wd = options["lr"], options.get("weight_decay", 0.0)
    beta1, beta2 = options.get("betas", (0.9, 0.99))
    sign = -1.0 if options.get("maximize") else 1.0
    params = [w.copy() for w in weights]
    moments = [np.zeros_like(w) for w in weights]
    history = []
    for step_grads in grads:
        for i, g in enumerate(step_grads):
            g = sign * g
            update = np.sign(beta1 * moments[i] + (1 - beta1) * g)
            params[i] = params[i] * (1 - lr * wd) - lr * update
            moments[i] = beta2 * moments[i] + (1 - beta2) * g
        history.append([p.copy() for p in params])
    return history




@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_matches_torch_optim(backend, config, dtype):
    cls, options = config
    weights, grads = make_data()
    check_run(backend, cls, options, dtype, torch_history(TORCH[cls], options, weights, grads, dtype))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("options", LION_CONFIGS, ids=str)
def test_lion_matches_published_rule(backend, options, dtype):
    weights, grads = make_data()
    expected = _lion_reference(options, weights, grads)
    if dtype == "float32":  # the reference is float64: a sign flip near 0 would be a real difference
        expected = _lion_reference(options, [w.astype(np.float32).astype(np.float64) for w in weights],
                                   [[g.astype(np.float32).astype(np.float64) for g in s] for s in grads])
    check_run(backend, Lion, options, dtype, expected)


def _host_state(state_dict):
    """The optimizer state as plain NumPy / Python values, as a checkpoint on disk would hold it."""
    state = {k: {name: (v if isinstance(v, (int, float)) else np.asarray(backend_of(v).to_host(v)))
                 for name, v in s.items()} for k, s in state_dict["state"].items()}
    return {"state": state, "param_groups": [dict(g) for g in state_dict["param_groups"]]}


@pytest.mark.parametrize("cls, options", [
    (RMSprop, dict(lr=0.01, centered=True, momentum=0.9)), (Adagrad, dict(lr=0.1, lr_decay=0.1)),
    (Adadelta, dict(lr=0.5)), (Adamax, dict(lr=0.01)), (NAdam, dict(lr=0.01, weight_decay=0.1)),
    (Lion, dict(lr=0.01, weight_decay=0.1)),
], ids=lambda v: v.__name__ if isinstance(v, type) else "")
@pytest.mark.parametrize("target, via", [("same", "native"), ("numpy", "host"), ("array_api_strict:device1", "native"),
                                         ("torch", "host")])
def test_state_dict_round_trip_continues_identically(backend, cls, options, target, via):
    weights, grads = make_data(seed=2)
    params = our_params(backend, weights, "float64")
    opt = cls(params, **options)
    for step_grads in grads[:3]:
        take_step(opt, params, step_grads, "float64")
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1]
    where = backend if target == "same" else get_backend(target)
    clones = our_params(where, [p.numpy() for p in params], "float64")
    resumed = cls(clones, lr=123.0)  # options come back from the state dict
    resumed.load_state_dict(saved if via == "native" else _host_state(saved))
    assert resumed.param_groups[0]["lr"] == options["lr"]
    for step_grads in grads[3:]:
        take_step(opt, params, step_grads, "float64")
        take_step(resumed, clones, step_grads, "float64")
    for p, q in zip(params, clones):
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("cls, options, match", [
    (RMSprop, dict(alpha=-0.1), "invalid"), (Adagrad, dict(lr_decay=-1.0), "invalid"),
    (Adadelta, dict(rho=1.5), "invalid"), (Adamax, dict(betas=(1.0, 0.9)), "betas"),
    (NAdam, dict(momentum_decay=-1.0), "momentum_decay"), (Lion, dict(lr=-1.0), "invalid lr"),
])
def test_bad_options(cls, options, match):
    with pytest.raises(ValueError, match=match):
        cls(our_params("numpy", make_data()[0], "float64"), **options)


# -- gradient clipping -------------------------------------------------------------------------------

def _clip_setup(backend, dtype, scale=1.0, seed=5):
    rng = np.random.default_rng(seed)
    shapes = [(3, 4), (5,), (2, 2)]
    weights = [rng.standard_normal(s) for s in shapes]
    grads = [scale * rng.standard_normal(s) for s in shapes]
    ours = our_params(backend, weights, dtype)
    theirs = [torch.tensor(w, dtype=getattr(torch, dtype), requires_grad=True) for w in weights]
    for p, t, g in zip(ours, theirs, grads):
        p.grad = anynn.tensor(g, backend=backend, dtype=dtype)
        t.grad = torch.tensor(g, dtype=getattr(torch, dtype))
    # a parameter without a gradient is skipped by both
    ours.append(Parameter(np.ones(3), backend=backend, dtype=dtype))
    theirs.append(torch.ones(3, dtype=getattr(torch, dtype), requires_grad=True))
    return ours, theirs


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, math.inf, "inf", 3.0, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(backend, norm_type, max_norm, dtype):
    ours, theirs = _clip_setup(backend, dtype)
    total = clip_grad_norm_(ours, max_norm, norm_type=norm_type)
    expected = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type=norm_type)
    assert isinstance(total, anynn.Tensor) and total.backend == backend and total.shape == ()
    assert total.dtype == backend.dtype(dtype)
    tol = tolerance(dtype)
    np.testing.assert_allclose(total.numpy(), expected.numpy(), **tol)
    for p, t in zip(ours[:-1], theirs[:-1]):
        assert p.grad.dtype == backend.dtype(dtype) and backend.is_native(p.grad.array)
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), **tol)
    assert ours[-1].grad is None


def test_clip_grad_norm_single_tensor_and_empty(backend):
    ours, theirs = _clip_setup(backend, "float64", scale=10.0)
    total = clip_grad_norm_(ours[0], 1.0)
    expected = torch.nn.utils.clip_grad_norm_(theirs[0], 1.0)
    np.testing.assert_allclose(total.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours[0].grad.numpy(), theirs[0].grad.numpy(), rtol=1e-12)
    assert np.linalg.norm(ours[0].grad.numpy()) <= 1.0
    assert clip_grad_norm_([ours[-1]], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite(backend):
    ours, _ = _clip_setup(backend, "float64")
    ours[1].grad = anynn.tensor(np.array([1.0, np.nan, 0.0, 0.0, 0.0]), backend=backend, dtype="float64")
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    total = clip_grad_norm_(ours, 1.0)
    assert math.isnan(total.item())
    assert np.isnan(ours[0].grad.numpy()).all()  # as PyTorch: everything is scaled by nan


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_clip_grad_value_matches_torch(backend, dtype):
    ours, theirs = _clip_setup(backend, dtype, scale=2.0)
    assert clip_grad_value_(ours, 0.7) is None
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for p, t in zip(ours[:-1], theirs[:-1]):
        assert p.grad.dtype == backend.dtype(dtype) and backend.is_native(p.grad.array)
        np.testing.assert_array_equal(p.grad.numpy(), t.grad.numpy())
    assert np.abs(ours[0].grad.numpy()).max() == pytest.approx(0.7)
    clip_grad_value_(ours[0], 0.1)
    assert np.abs(ours[0].grad.numpy()).max() == pytest.approx(0.1)
