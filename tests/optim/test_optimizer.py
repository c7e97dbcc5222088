"""The base `Optimizer.step` marks the parameters it changed once per step (`mark_all_modified`): versions,
the refusal of graphs recorded before the step, `.data` aliases, and an update that raises half-way."""

from __future__ import annotations

import importlib
from typing import Any

import numpy as np
import pytest

import anynn
from anynn import nn, optim
from anynn.autograd.tensor import mark_all_modified

tensor_module = importlib.import_module("anynn.autograd.tensor")  # (anynn.autograd.tensor is also a function)


def _model(backend: Any) -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), backend=backend, seed=0)


def _x(backend: Any) -> Any:
    return anynn.tensor(np.linspace(-1.0, 1.0, 12, dtype=np.float32).reshape(4, 3), backend=backend)


def test_each_step_bumps_every_stepped_parameter_once_and_skips_those_without_grad(backend):
    model = _model(backend)
    params = list(model.parameters())
    opt = optim.SGD(params, lr=0.1)
    start = [p._version for p in params]  # (initialisation writes in place too)
    for step in range(1, 4):
        opt.zero_grad()
        model(_x(backend)).sum().backward()
        params[-1].grad = None  # not stepped: its version stays
        opt.step()
        assert [p._version - v for p, v in zip(params, start)] == [step] * (len(params) - 1) + [0]


def test_a_graph_recorded_after_the_step_runs_one_recorded_before_refuses(backend):
    model = _model(backend)
    opt = optim.Adam(model.parameters(), lr=0.01)
    model(_x(backend)).sum().backward()
    before = model(_x(backend)).sum()
    opt.step()
    after = model(_x(backend)).sum()
    after.backward()  # recorded after the step: no refusal
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        before.backward()
    stamps = {p._modified_at for p in model.parameters()}
    assert len(stamps) == 1 and stamps.pop() == tensor_module.last_modification  # one stamp for the step


class _NewArraySGD(optim.Optimizer):
    """Plain SGD returning a new array (as on a library without in-place writes); raises at parameter ``fail``."""

    def __init__(self, params: Any, lr: float, fail: int | None = None) -> None:
        super().__init__(params, dict(lr=lr))
        self.fail, self.seen = fail, 0

    def update(self, param: Any, grad: Any, state: Any, group: Any, backend: Any) -> Any:
        self.seen += 1
        if self.seen == self.fail:
            raise FloatingPointError("update failed")
        return param - group["lr"] * grad


def test_an_update_that_raises_still_marks_the_parameters_changed_before_it_and_restores_grad_mode(backend):
    model = _model(backend)
    params = list(model.parameters())
    model(_x(backend)).sum().backward()
    before = model(_x(backend)).sum()
    opt = _NewArraySGD(params, lr=0.1, fail=3)
    start = [p._version for p in params]
    with pytest.raises(FloatingPointError):
        opt.step()
    assert [p._version - v for p, v in zip(params, start)] == [1, 1, 0, 0]
    assert anynn.is_grad_enabled()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        before.backward()


def test_a_data_alias_stepped_by_an_optimizer_hands_its_new_array_to_its_owner(backend):
    owner = anynn.tensor(np.array([1.0, 2.0], np.float32), backend=backend, requires_grad=True)
    alias = owner.data.requires_grad_()
    alias.grad = anynn.tensor(np.array([10.0, 20.0], np.float32), backend=backend)
    _NewArraySGD([alias], lr=0.1).step()  # the update returns a new array: the owner must see it too
    np.testing.assert_allclose(backend.to_host(owner.array), [0.0, 0.0], atol=1e-6)
    assert alias._version == 1 and owner._version == 0  # as PyTorch: changes through .data leave the owner's version


def test_mark_all_modified_is_mark_modified_of_each():
    a, b = anynn.tensor([1.0], requires_grad=True), nn.Parameter(np.ones(2, np.float32))
    loss = (a * b).sum()
    mark_all_modified([a, b])
    assert (a._version, b._version) == (1, 1)
    assert a._modified_at == b._modified_at == tensor_module.last_modification
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    later = (a * b).sum()
    later.backward()
    np.testing.assert_allclose(a.grad.numpy(), [2.0])
