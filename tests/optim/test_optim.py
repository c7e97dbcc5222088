"""Optimizers against torch.optim on the same weights and gradients; state round trips; zero_grad."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import backend_of, get_backend

from tests.optim.optim_oracle import check_run, make_data, our_params, take_step, tolerance, torch_history
from anynn.optim.adam import Adam, AdamW
from anynn.optim.sgd import SGD

pytestmark = pytest.mark.jax  # the whole module runs on the jax backend too


CONFIGS = [
    (SGD, dict(lr=0.1)),
    (SGD, dict(lr=0.1, momentum=0.9)),
    (SGD, dict(lr=0.1, momentum=0.9, dampening=0.5)),
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True)),
    (SGD, dict(lr=0.1, weight_decay=0.1)),
    (SGD, dict(lr=0.1, momentum=0.5, weight_decay=0.05, nesterov=True, maximize=True)),
    (Adam, dict(lr=0.01)),
    (Adam, dict(lr=0.01, betas=(0.8, 0.9), eps=1e-6, weight_decay=0.1)),
    (Adam, dict(lr=0.01, amsgrad=True)),
    (Adam, dict(lr=0.01, maximize=True, weight_decay=0.01)),
    (Adam, dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True, foreach=False, fused=None)),
    (AdamW, dict(lr=0.01)),
    (AdamW, dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
]
TORCH = {SGD: torch.optim.SGD, Adam: torch.optim.Adam, AdamW: torch.optim.AdamW}


def _config_id(config):
    cls, options = config
    return cls.__name__ + "-" + "-".join(f"{k}={v}" for k, v in options.items() if k != "lr")












@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("config", CONFIGS, ids=_config_id)
def test_matches_torch_optim(backend, config, dtype):
    cls, options = config
    weights, grads = make_data()
    check_run(backend, cls, options, dtype, torch_history(TORCH[cls], options, weights, grads, dtype))


@pytest.mark.parametrize("cls, options", [(SGD, dict(lr=0.01, momentum=0.9)), (Adam, dict(lr=0.001))])
def test_parameter_groups_with_different_lr(backend, cls, options):
    weights, grads = make_data(seed=1)
    groups = [{"params": [0], "lr": 0.1}, {"params": [1]}]
    expected = torch_history(TORCH[cls], options, weights, grads, "float64", groups)
    params = our_params(backend, weights, "float64")
    opt = cls([{"params": [params[0]], "lr": 0.1}, {"params": [params[1]]}], **options)
    assert [g["lr"] for g in opt.param_groups] == [0.1, options["lr"]]
    for step, step_grads in enumerate(grads):
        take_step(opt, params, step_grads, "float64")
        for p, ref in zip(params, expected[step]):
            np.testing.assert_allclose(p.numpy(), ref, **tolerance("float64"))


def _host_state(state_dict):
    """The optimizer state as plain NumPy / Python values, as a checkpoint on disk would hold it."""
    state = {k: {name: (v if isinstance(v, (int, float)) else np.asarray(backend_of(v).to_host(v)))
                 for name, v in s.items()} for k, s in state_dict["state"].items()}
    return {"state": state, "param_groups": [dict(g) for g in state_dict["param_groups"]]}


@pytest.mark.parametrize("cls, options", [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True)), (Adam, dict(lr=0.01, amsgrad=True)),
    (AdamW, dict(lr=0.01, weight_decay=0.1)),
])
@pytest.mark.parametrize("target, via", [("same", "native"), ("numpy", "host"), ("torch", "host"),
                                         ("array_api_strict:device1", "native"), ("torch", "native")])
def test_state_dict_round_trip_continues_identically(backend, cls, options, target, via):
    weights, grads = make_data(seed=2)
    params = our_params(backend, weights, "float64")
    opt = cls(params, **options)
    for step_grads in grads[:3]:
        take_step(opt, params, step_grads, "float64")
    saved = opt.state_dict()
    assert sorted(saved["state"]) == [0, 1]
    assert saved["param_groups"][0]["params"] == [0, 1]

    where = backend if target == "same" else get_backend(target)
    clones = our_params(where, [p.numpy() for p in params], "float64")
    resumed = cls(clones, lr=123.0)  # options come back from the state dict
    resumed.load_state_dict(saved if via == "native" else _host_state(saved))
    assert resumed.param_groups[0]["lr"] == options["lr"]
    for s in resumed.state.values():
        for v in s.values():
            assert isinstance(v, (int, float)) or where.is_native(v)
    for step_grads in grads[3:]:
        take_step(opt, params, step_grads, "float64")
        take_step(resumed, clones, step_grads, "float64")
    for p, q in zip(params, clones):
        if target == "same":
            np.testing.assert_array_equal(q.numpy(), p.numpy())
        else:
            np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-12, atol=1e-14)


def test_load_state_dict_rejects_other_groups():
    params = our_params("numpy", make_data()[0], "float64")
    saved = SGD(params, lr=0.1).state_dict()
    with pytest.raises(ValueError, match="parameter groups do not match"):
        SGD(params[:1], lr=0.1).load_state_dict(saved)


def test_zero_grad(backend):
    params = our_params(backend, make_data()[0], "float32")
    opt = SGD(params, lr=0.1)
    (params[0].sum() + params[1].sum()).backward()
    assert all(p.grad is not None for p in params)
    opt.zero_grad(set_to_none=False)
    for p in params:
        assert p.grad is not None and p.grad.shape == p.shape
        np.testing.assert_array_equal(p.grad.numpy(), np.zeros(p.shape))
    opt.zero_grad()
    assert all(p.grad is None for p in params)
    before = [p.numpy().copy() for p in params]
    opt.step()  # no gradients: nothing moves
    for p, b in zip(params, before):
        np.testing.assert_array_equal(p.numpy(), b)


def test_step_with_closure_and_no_graph():
    params = our_params("numpy", make_data()[0], "float64")
    opt = SGD(params, lr=0.5)

    def closure():
        opt.zero_grad()
        loss = (params[0] * params[0]).sum()
        loss.backward()
        return loss

    before = params[0].numpy().copy()
    loss = opt.step(closure)
    assert loss.item() == pytest.approx((before ** 2).sum())
    np.testing.assert_allclose(params[0].numpy(), before - 0.5 * 2 * before)
    assert params[0].is_leaf and params[0].grad_fn is None


def test_bad_options_and_parameters():
    params = our_params("numpy", make_data()[0], "float64")
    with pytest.raises(ValueError, match="invalid lr"):
        SGD(params, lr=-1.0)
    with pytest.raises(ValueError, match="Nesterov"):
        SGD(params, lr=0.1, nesterov=True)
    with pytest.raises(ValueError, match="betas"):
        Adam(params, betas=(1.0, 0.999))
    with pytest.raises(ValueError, match="empty parameter list"):
        Adam([])
    with pytest.raises(ValueError, match="more than one parameter group|two groups"):
        SGD([{"params": params}, {"params": params[:1]}], lr=0.1)
    with pytest.raises(TypeError, match="unknown options"):
        SGD([{"params": params, "momentun": 0.9}], lr=0.1)
    with pytest.raises(TypeError, match="require grad"):
        SGD([anynn.tensor([1.0])], lr=0.1)


@pytest.mark.parametrize("cls, options", [(SGD, dict(lr=0.1, momentum=0.9)), (Adam, dict(lr=0.01, amsgrad=True))])
def test_state_follows_parameters_moved_by_module_to(cls, options):
    from anynn.nn.module import Module

    weights, grads = make_data(seed=3)
    reference = our_params("numpy", weights, "float64")
    ref_opt = cls(reference, **options)
    layer = Module()
    layer.a, layer.b = our_params("numpy", weights, "float64")
    params = [layer.a, layer.b]
    opt = cls(params, **options)
    for step, step_grads in enumerate(grads):
        if step == 2:
            layer.to("torch")
        if step == 3:
            layer.to("array_api_strict:device1")
        take_step(ref_opt, reference, step_grads, "float64")
        take_step(opt, params, step_grads, "float64")
        for s in opt.state.values():
            assert all(isinstance(v, (int, float)) or params[0].backend.is_native(v) for v in s.values())
    for p, q in zip(params, reference):
        np.testing.assert_allclose(p.numpy(), q.numpy(), rtol=1e-12, atol=1e-14)
    layer.to(dtype="float32")
    take_step(opt, params, grads[0], "float32")
    assert all(v.dtype == params[0].dtype for s in opt.state.values() for v in s.values()
               if not isinstance(v, (int, float)))
