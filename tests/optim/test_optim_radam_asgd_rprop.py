"""RAdam, ASGD and Rprop against torch.optim: the same weights and gradients on every backend, every
option, parameter groups, state round trips, and PyTorch's implementation switches accepted."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anynn.backend import backend_of, get_backend
from anynn.optim import ASGD, RAdam, Rprop

from tests.optim.optim_oracle import check_run, make_data, our_params, take_step, torch_history

CONFIGS = [
    (RAdam, dict()),
    (RAdam, dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6)),
    (RAdam, dict(lr=0.01, weight_decay=0.1)),
    (RAdam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True)),
    (RAdam, dict(lr=0.01, maximize=True, foreach=False)),
    (RAdam, dict(lr=0.02, betas=(0.9, 0.5))),  # rho_t > 5 from step 6: both branches of the rectification
    (ASGD, dict()),
    (ASGD, dict(lr=0.05, lambd=0.01, alpha=0.5, t0=5)),  # averaging starts within the 20 steps
    (ASGD, dict(lr=0.05, t0=0, weight_decay=0.1)),
    (ASGD, dict(lr=0.05, lambd=0.1, t0=3, maximize=True, foreach=None)),
    (Rprop, dict()),
    (Rprop, dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    (Rprop, dict(lr=0.01, maximize=True, foreach=False)),
]
TORCH = {RAdam: torch.optim.RAdam, ASGD: torch.optim.ASGD, Rprop: torch.optim.Rprop}


def _config_id(config):
    cls, options = config
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in options.items())


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_matches_torch_optim(backend, config, dtype):
    cls, options = config
    weights, grads = make_data()
    expected = torch_history(TORCH[cls], options, weights, grads, dtype)
    check_run(backend, cls, options, dtype, expected)
    if dtype == "float64":  # tighter than the shared tolerance: the same formulas in the same order
        params = our_params(backend, weights, dtype)
        opt = cls(params, **options)
        for step_grads in grads:
            take_step(opt, params, step_grads, dtype)
        for p, ref in zip(params, expected[-1]):
            np.testing.assert_allclose(p.numpy(), ref, rtol=1e-10, atol=1e-13)


@pytest.mark.parametrize("cls", [RAdam, ASGD, Rprop], ids=lambda c: c.__name__)
def test_param_groups_match_torch(backend, cls):
    weights, grads = make_data(seed=3)
    groups = [{"params": [0]}, {"params": [1], "lr": 0.003, "maximize": True}]
    expected = torch_history(TORCH[cls], dict(lr=0.02), weights, grads, "float64", groups=groups)
    params = our_params(backend, weights, "float64")
    opt = cls([{**g, "params": [params[i] for i in g["params"]]} for g in groups], lr=0.02)
    for step, step_grads in enumerate(grads):
        take_step(opt, params, step_grads, "float64")
        for p, ref in zip(params, expected[step]):
            np.testing.assert_allclose(p.numpy(), ref, rtol=1e-10, atol=1e-13, err_msg=f"step {step}")


def _host_state(state_dict):
    state = {k: {name: (v if isinstance(v, (int, float)) else np.asarray(backend_of(v).to_host(v)))
                 for name, v in s.items()} for k, s in state_dict["state"].items()}
    return {"state": state, "param_groups": [dict(g) for g in state_dict["param_groups"]]}


@pytest.mark.parametrize("cls, options", [
    (RAdam, dict(lr=0.01, weight_decay=0.1)), (ASGD, dict(lr=0.05, t0=2, lambd=0.01)),
    (Rprop, dict(lr=0.05)),
], ids=lambda v: v.__name__ if isinstance(v, type) else "")
@pytest.mark.parametrize("target, via", [("same", "native"), ("numpy", "host"), ("torch", "host")])
def test_state_dict_round_trip_continues_identically(backend, cls, options, target, via):
    weights, grads = make_data(seed=2)
    params = our_params(backend, weights, "float64")
    opt = cls(params, **options)
    for step_grads in grads[:5]:
        take_step(opt, params, step_grads, "float64")
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1]
    where = backend if target == "same" else get_backend(target)
    clones = our_params(where, [p.numpy() for p in params], "float64")
    resumed = cls(clones, lr=123.0)
    resumed.load_state_dict(saved if via == "native" else _host_state(saved))
    assert resumed.param_groups[0]["lr"] == options["lr"]
    for step_grads in grads[5:]:
        take_step(opt, params, step_grads, "float64")
        take_step(resumed, clones, step_grads, "float64")
    for p, q in zip(params, clones):
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-12, atol=1e-14)


def test_torch_implementation_switches():
    params = our_params("numpy", make_data()[0], "float64")
    for cls in (RAdam, ASGD, Rprop):
        opt = cls(params, foreach=True, capturable=True)
        torch_opt = TORCH[cls]([torch.zeros(1, requires_grad=True)])
        assert set(opt.param_groups[0]) == set(torch_opt.param_groups[0])
        with pytest.raises(NotImplementedError, match="differentiable"):
            cls(params, differentiable=True)


@pytest.mark.parametrize("cls, options, match", [
    (RAdam, dict(betas=(1.0, 0.9)), "betas"), (ASGD, dict(lr=-1.0), "invalid lr"),
    (Rprop, dict(etas=(1.5, 1.2)), "etas"),
])
def test_bad_options(cls, options, match):
    with pytest.raises(ValueError, match=match):
        cls(our_params("numpy", make_data()[0], "float64"), **options)
