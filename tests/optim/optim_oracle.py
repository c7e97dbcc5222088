"""Shared pieces of the optimizer tests: the same weights and gradients fed to anynn and torch.optim."""

from __future__ import annotations

import numpy as np
import torch

import anynn
from anynn.nn.module import Parameter

SHAPES = [(3, 4), (4,)]
STEPS = 20  # as the issue asks: 20 steps of every optimizer against torch.optim


def make_data(seed: int = 0, steps: int = STEPS) -> tuple[list, list]:
    """Initial weights and ``steps`` gradients for each of SHAPES (float64, on the host)."""
    rng = np.random.default_rng(seed)
    weights = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(steps)]
    # a gradient of exactly zero on one step exercises the state with nothing new coming in
    grads[2][1] = np.zeros(SHAPES[1])
    return weights, grads


def our_params(backend, weights, dtype):
    return [Parameter(w, backend=backend, dtype=dtype) for w in weights]


def take_step(opt, params, grads, dtype) -> None:
    for p, g in zip(params, grads):
        p.grad = anynn.tensor(g, backend=p.backend, dtype=dtype)
    opt.step()


def torch_history(torch_cls, options, weights, grads, dtype, groups=None) -> list:
    """Parameters after each step of ``torch_cls`` fed the same gradients."""
    params = [torch.tensor(w, dtype=getattr(torch, dtype), requires_grad=True) for w in weights]
    spec = params if groups is None else [{**g, "params": [params[i] for i in g["params"]]} for g in groups]
    opt = torch_cls(spec, **options)
    history = []
    for step_grads in grads:
        for p, g in zip(params, step_grads):
            p.grad = torch.tensor(g, dtype=getattr(torch, dtype))
        opt.step()
        history.append([p.detach().numpy().copy() for p in params])
    return history


def tolerance(dtype) -> dict:
    return dict(rtol=1e-6, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)


def check_run(backend, cls, options, dtype, expected) -> None:
    """Run ``cls`` on make_data()'s gradients and compare every parameter after every step with ``expected``."""
    weights, grads = make_data()
    params = our_params(backend, weights, dtype)
    opt = cls(params, **options)
    for step, step_grads in enumerate(grads):
        take_step(opt, params, step_grads, dtype)
        for i, (p, ref) in enumerate(zip(params, expected[step])):
            assert p.backend == backend and backend.is_native(p.array)
            assert p.dtype == backend.dtype(dtype), "the update keeps the parameter's dtype"
            np.testing.assert_allclose(p.numpy(), ref, err_msg=f"step {step}, parameter {i}", **tolerance(dtype))
