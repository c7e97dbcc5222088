"""ParameterList and ParameterDict: PyTorch's names in state dicts, tensors made Parameters, optimizers see them."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import anynn
import anynn.nn as nn


def test_parameter_list_names_and_state_dict_match_torch(backend):
    ours = nn.ParameterList([anynn.ones(2, backend=backend), anynn.zeros(3, backend=backend)])
    ours.append(anynn.ones(1, backend=backend))
    theirs = torch.nn.ParameterList([torch.ones(2), torch.zeros(3)])
    theirs.append(torch.ones(1))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0", "1", "2"]
    assert all(isinstance(p, nn.Parameter) and p.requires_grad for p in ours)
    assert len(ours) == 3 and ours[-1].shape == (1,) and len(ours[1:]) == 2
    ours.load_state_dict({k: v.numpy() + 1 for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours[1].numpy(), np.ones(3, np.float32))
    with pytest.raises(IndexError, match="ParameterList"):
        ours[3]


def test_parameter_dict_names_and_methods_match_torch(backend):
    ours = nn.ParameterDict({"b": anynn.ones(2, backend=backend)})
    ours["a"] = anynn.zeros(1, backend=backend)
    theirs = torch.nn.ParameterDict({"b": torch.ones(2)})
    theirs["a"] = torch.zeros(1)
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["b", "a"]
    assert ours.keys() == list(theirs.keys()) and "a" in ours and len(ours) == 2
    assert ours.pop("b").shape == (2,) and list(ours) == ["a"]
    assert ours.get("missing") is None
    ours.update([("c", anynn.ones(3, backend=backend))])
    assert [k for k, _ in ours.items()] == ["a", "c"]
    with pytest.raises(KeyError):
        ours["b"]


def test_parameters_in_containers_train_and_copy():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.scales = nn.ParameterList([anynn.ones(2, dtype="float64") for _ in range(2)])
            self.shifts = nn.ParameterDict({"x": anynn.zeros(2, dtype="float64")})

        def forward(self, x):
            return x * self.scales[0] * self.scales[1] + self.shifts["x"]

    model = Model()
    assert [n for n, _ in model.named_parameters()] == ["scales.0", "scales.1", "shifts.x"]
    opt = anynn.optim.SGD(model.parameters(), lr=0.1)
    model(anynn.tensor([1.0, 2.0], dtype="float64")).sum().backward()
    opt.step()
    np.testing.assert_allclose(model.shifts["x"].numpy(), [-0.1, -0.1])
    twin = copy.deepcopy(model)
    assert list(twin.state_dict()) == list(model.state_dict())
    assert twin.scales[0] is not model.scales[0]


def test_modules_in_parameter_containers_are_children_as_in_torch():
    # vit-pytorch's normalized_vit keeps a ParameterList of ParameterLists: their entries were left out of the state
    ours = nn.ParameterList([nn.ParameterList([anynn.ones(2)]), nn.Linear(1, 1), 3.0])
    theirs = torch.nn.ParameterList([torch.nn.ParameterList([torch.ones(2)]), torch.nn.Linear(1, 1), 3.0])
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["0.0", "1.weight", "1.bias"]
    assert len(list(ours.parameters())) == 3 and isinstance(ours[1], nn.Linear)
    assert repr(ours) == repr(theirs).replace("torch.float32", "float32")
    ours[1] = anynn.ones(3)
    assert list(ours.state_dict()) == ["1", "0.0"]
    with pytest.raises(TypeError):
        ours[1] = nn.Linear(1, 1)  # a Module in a Parameter's place
    mixed = nn.ParameterDict({"a": anynn.ones(2), "b": nn.Linear(1, 1)})
    assert repr(mixed) == repr(torch.nn.ParameterDict({"a": torch.ones(2), "b": torch.nn.Linear(1, 1)}))
