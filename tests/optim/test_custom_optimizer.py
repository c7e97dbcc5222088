"""Optimizers written against PyTorch's `Optimizer` base, as second-order programs write them, run unchanged on
anynn: ``self.state[p]`` indexed by the parameter (PyTorch's ``defaultdict(dict)``: a new parameter starts with an
empty dict), attributes hung on parameters (``p.hess``), and a Hutchinson Hessian-diagonal estimate from
``autograd.grad(grads, params, grad_outputs=zs)`` after ``backward(create_graph=True)`` (AdaHessian's step).
Each is compared with the same class run on PyTorch from the same weights."""

from __future__ import annotations

import types

import numpy as np
import pytest
import torch

import anynn

pytestmark = pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")


def hutchinson_optimizer(lib: types.ModuleType, directions: list) -> type:
    """AdaHessian's update in library ``lib`` (``torch`` or ``anynn``); ``directions`` are the Rademacher vectors,
    drawn on the host so both libraries use the same ones."""

    class Hutchinson(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1, betas=(0.9, 0.999), eps=1e-8):
            super().__init__(params, dict(lr=lr, betas=betas, eps=eps))
            for p in self.params():
                p.hess = 0.0
                self.state[p]["hessian step"] = 0

        def params(self):
            return [p for group in self.param_groups for p in group["params"]]

        @lib.no_grad()
        def step(self, closure=None):
            params = [p for p in self.params() if p.grad is not None]
            step_directions = directions.pop(0)
            zs = [lib.tensor(z, dtype=p.dtype, device=p.device) for z, p in zip(step_directions, params)]
            h_zs = lib.autograd.grad([p.grad for p in params], params, grad_outputs=zs, only_inputs=True)
            for h_z, z, p in zip(h_zs, zs, params):
                p.hess = h_z * z
                self.state[p]["hessian step"] += 1
            for group in self.param_groups:
                beta1, beta2 = group["betas"]
                for p in group["params"]:
                    state = self.state[p]
                    if len(state) == 1:
                        state["step"] = 0
                        state["exp_avg"] = lib.zeros_like(p.data)
                        state["exp_hessian_diag_sq"] = lib.zeros_like(p.data)
                    state["step"] += 1
                    state["exp_avg"].mul_(beta1).add_(p.grad, alpha=1 - beta1)
                    state["exp_hessian_diag_sq"].mul_(beta2).addcmul_(p.hess, p.hess, value=1 - beta2)
                    denom = (state["exp_hessian_diag_sq"] / (1 - beta2 ** state["step"])).sqrt_().add_(group["eps"])
                    p.addcdiv_(state["exp_avg"], denom, value=-group["lr"] / (1 - beta1 ** state["step"]))

    return Hutchinson


def _train(lib: types.ModuleType, weights: dict, backend=None, steps: int = 3):
    rng = np.random.default_rng(5)
    x, y = rng.standard_normal((6, 3)), rng.standard_normal((6, 1))
    directions = [[rng.integers(0, 2, w.shape) * 2.0 - 1.0 for w in weights.values()] for _ in range(steps)]
    where = {} if backend is None else {"backend": backend}
    model = lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 1)).double()
    if backend is not None:
        model = model.to(backend)
    model.load_state_dict({k: lib.tensor(v, **where) for k, v in weights.items()})
    opt = hutchinson_optimizer(lib, directions)(model.parameters(), lr=0.05)
    xs, ys = lib.tensor(x, dtype=lib.float64, **where), lib.tensor(y, dtype=lib.float64, **where)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = ((model(xs) - ys) ** 2).mean()
        loss.backward(create_graph=True)
        opt.step()
        losses.append(loss.item())
    return model, opt, losses


def test_a_pytorch_style_second_order_optimizer_matches_torch(backend):
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 1)).double()
    weights = {k: v.detach().numpy().copy() for k, v in reference.state_dict().items()}
    t_model, t_opt, t_losses = _train(torch, weights)
    a_model, a_opt, a_losses = _train(anynn, weights, backend)
    np.testing.assert_allclose(a_losses, t_losses, rtol=1e-12)
    for (name, t), a in zip(t_model.named_parameters(), a_model.parameters()):
        np.testing.assert_allclose(a.detach().numpy(), t.detach().numpy(), rtol=1e-10, atol=1e-14, err_msg=name)
        np.testing.assert_allclose(np.asarray(a.hess.numpy()), t.hess.numpy(), rtol=1e-10, atol=1e-14)
    for t, a in zip(t_model.parameters(), a_model.parameters()):
        assert a in a_opt.state and a_opt.state.get(a) is a_opt.state[a]
        assert a_opt.state[a]["hessian step"] == t_opt.state[t]["hessian step"] == 3
        assert a_opt.state[a]["step"] == 3
        np.testing.assert_allclose(a_opt.state[a]["exp_avg"].numpy(), t_opt.state[t]["exp_avg"].numpy(), rtol=1e-10)
    ours, theirs = a_opt.state_dict()["state"], t_opt.state_dict()["state"]  # Tensor entries too (checkpoints)
    assert sorted(ours) == sorted(theirs) and all(sorted(ours[i]) == sorted(theirs[i]) for i in theirs)
    for i in theirs:
        np.testing.assert_allclose(ours[i]["exp_hessian_diag_sq"].numpy(), theirs[i]["exp_hessian_diag_sq"].numpy(),
                                   rtol=1e-10)
        assert ours[i]["exp_avg"] is not a_opt.state[list(a_model.parameters())[i]]["exp_avg"]


def test_the_state_table_takes_parameters_and_ids_alike():
    params = [anynn.nn.Parameter(anynn.zeros(2)), anynn.nn.Parameter(anynn.ones(3))]
    opt = anynn.optim.SGD(params, lr=0.1)
    p, q = params
    assert p not in opt.state and opt.state.get(p) is None
    opt.state[p]["count"] = 1  # a parameter seen for the first time starts empty, as PyTorch's defaultdict(dict)
    assert opt.state[id(p)] == {"count": 1} and p in opt.state and id(p) in opt.state
    opt.state[q] = {"count": 2}
    assert opt.state.setdefault(q, {}) == {"count": 2}
    assert opt.state.pop(q) == {"count": 2} and q not in opt.state and opt.state.pop(q, None) is None
    del opt.state[p]
    assert len(opt.state) == 0
    with pytest.raises(KeyError):
        opt.state[id(p)]  # an id is a plain key: only a parameter makes its entry


def test_required_defaults_as_pytorchs():
    """timm's SGDP (and older PyTorch SGD) declare ``lr=required`` from torch.optim.optimizer: a group that leaves
    it out is refused with PyTorch's message, one that gives it runs."""
    from anynn.optim.optimizer import ParamsT, required  # noqa: F401 - timm/optim/_types.py imports ParamsT
    from torch.optim.optimizer import required as torch_required

    for lib, req in ((anynn, required), (torch, torch_required)):
        class Plain(lib.optim.Optimizer):
            def __init__(self, params, lr=req):
                super().__init__(params, dict(lr=lr))

        with pytest.raises(ValueError, match="didn't specify a value of required optimization parameter lr"):
            Plain([lib.nn.Parameter(lib.zeros(2))])
        opt = Plain([{"params": [lib.nn.Parameter(lib.zeros(2))], "lr": 0.5}])
        assert opt.param_groups[0]["lr"] == 0.5
    assert repr(required) == repr(torch_required) == "<required parameter>"


def shampoo_like_optimizer(lib: types.ModuleType) -> type:
    """A PyTorch-style optimizer whose state holds a Tensor, a list of Tensors (Shampoo's preconditioners), a dict,
    a string and a 0-d Tensor step counter."""

    class ListState(lib.optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        @lib.no_grad()
        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    state = self.state[p]
                    if not state:
                        state.update(step=lib.zeros_like(p).sum(), momentum=lib.zeros_like(p), stage="warmup",
                                     factors=[lib.zeros_like(p), lib.ones_like(p)],
                                     options={"scale": lib.ones_like(p)[:1]})
                    state["step"] += 1
                    state["momentum"].mul_(0.5).add_(p.grad)
                    state["factors"][0].add_(p.grad * p.grad)
                    state["stage"] = "run"
                    scale = state["options"]["scale"] * state["step"].item()
                    p.sub_(group["lr"] * scale * state["momentum"] / (state["factors"][0] + state["factors"][1]))

    return ListState


def test_a_pytorch_style_optimizer_resumes_from_its_state_dict_as_torch(backend):
    """load_state_dict gave such an optimizer native arrays where it had kept Tensors ('numpy.ndarray' object has
    no attribute 'add_') and refused lists ('not an array of a known backend: list'); PyTorch keeps their kinds."""
    results = []
    for lib, where in ((torch, {}), (anynn, {"backend": backend})):
        weight = lib.nn.Parameter(lib.tensor(np.array([1.0, -2.0, 3.0]), **where))
        first, resumed = shampoo_like_optimizer(lib)([weight]), shampoo_like_optimizer(lib)([weight])
        weight.grad = lib.tensor(np.array([0.5, 1.0, -1.0]), **where)
        first.step()
        resumed.load_state_dict(first.state_dict())
        weight.grad = lib.tensor(np.array([0.5, 2.0, -1.0]), **where)
        resumed.step()
        state = resumed.state[weight]
        assert state["stage"] == "run" and isinstance(state["factors"], list)
        assert all(isinstance(v, lib.Tensor) for v in (state["step"], state["momentum"], *state["factors"]))
        results.append(weight.detach().numpy())
    np.testing.assert_allclose(results[1], results[0], rtol=1e-12)
