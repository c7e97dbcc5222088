"""anynn.utils.swap_tensors and anynn.__future__'s conversion switches against PyTorch's on every backend, as
PyTorch's "Extension points in nn.Module for load_state_dict" recipe uses them: two Tensors exchange values,
class, gradient, autograd history and attributes while every reference to either object stays valid."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

from tests.helpers import make


def test_swap_exchanges_values_and_shapes(backend) -> None:
    ours = make(backend, np.arange(2)), make(backend, np.arange(3))
    theirs = torch.arange(2), torch.arange(3)
    anynn.utils.swap_tensors(*ours)
    torch.utils.swap_tensors(*theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.cpu().numpy(), b.numpy())


def test_swap_keeps_references_and_moves_class_grad_and_history(backend) -> None:
    results = []
    for lib, tensor in ((anynn, lambda a: make(backend, a)), (torch, torch.tensor)):
        p = lib.nn.Parameter(tensor(np.ones(2)))
        (p * 3).sum().backward()
        q = tensor(np.zeros(3))
        q.note = "q's attribute"
        optimizer = lib.optim.SGD([p], lr=0.5)
        x = tensor(np.array([1.0, 2.0])).requires_grad_()
        y, z = x * 2, tensor(np.full(2, 7.0))
        lib.utils.swap_tensors(p, q)
        lib.utils.swap_tensors(y, z)
        z.sum().backward()
        results.append((type(p).__name__, type(q).__name__, p.requires_grad, q.requires_grad, p.grad is None,
                        q.grad.cpu().numpy().tolist(), p.note, optimizer.param_groups[0]["params"][0] is p,
                        y.grad_fn is None, z.grad_fn is not None, x.grad.cpu().numpy().tolist()))
    assert results[0] == results[1]


def test_swap_refuses_other_slots_and_non_tensors(backend) -> None:
    with pytest.raises(TypeError, match="swap_tensors: expected t2 to be a Tensor, got list"):
        anynn.utils.swap_tensors(make(backend, np.zeros(2)), [0.0, 0.0])


def test_future_switches() -> None:
    assert anynn.__future__.get_swap_module_params_on_conversion() is False
    anynn.__future__.set_swap_module_params_on_conversion(True)
    try:
        layer = anynn.nn.Linear(3, 5)
        weight = layer.weight
        layer.double()
        assert layer.weight is weight and layer.weight.dtype == anynn.float64
        assert anynn.__future__.get_swap_module_params_on_conversion() is True
    finally:
        anynn.__future__.set_swap_module_params_on_conversion(False)
    assert anynn.__future__.get_overwrite_module_params_on_conversion() is False
    with pytest.raises(NotImplementedError, match="converts parameters in place"):
        anynn.__future__.set_overwrite_module_params_on_conversion(True)
