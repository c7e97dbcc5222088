"""``device=`` on layer constructors means ``.to(device)`` right after construction (PyTorch's argument)."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import anynn
import anynn.nn as nn

LAYERS = [
    (nn.Linear, (4, 3)), (nn.Conv2d, (2, 3, 3)), (nn.BatchNorm1d, (3,)), (nn.LayerNorm, (4,)),
    (nn.Embedding, (5, 2)), (nn.LSTM, (4, 3, 2)), (nn.GRUCell, (4, 3)), (nn.PReLU, ()),
    (nn.MultiheadAttention, (4, 2)), (nn.TransformerEncoderLayer, (4, 2, 8)), (nn.Bilinear, (2, 3, 4)),
]


@pytest.mark.parametrize("cls, args", LAYERS, ids=[c.__name__ for c, _ in LAYERS])
def test_device_cpu_builds_the_same_layer(cls, args):
    plain = cls(*args, seed=0) if "seed" in inspect.signature(cls).parameters else cls(*args)
    placed = cls(*args, seed=0, device="cpu") if "seed" in inspect.signature(cls).parameters \
        else cls(*args, device="cpu")
    assert [k for k in plain.state_dict()] == [k for k in placed.state_dict()]
    if "seed" in inspect.signature(cls).parameters:
        for a, b in zip(plain.state_dict().values(), placed.state_dict().values()):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert placed.backend == plain.backend


def test_device_is_read_against_the_backend_argument():
    layer = nn.Linear(4, 3, backend="torch", device="cpu")
    assert layer.weight.backend.name == "torch" and layer.weight.array.device == torch.device("cpu")
    positional = nn.Linear(4, 3, True, "torch", "float64", device=anynn.device("cpu"))
    assert positional.weight.backend.name == "torch" and positional.weight.dtype == anynn.float64


def test_device_of_a_tensor_lands_on_its_exact_backend():
    x = anynn.tensor([1.0, 2.0], backend="array_api_strict:device1")
    layer = nn.Linear(2, 3, device=x.device)
    assert layer.weight.backend.key == "array_api_strict:device1"
    assert layer(x).backend.key == "array_api_strict:device1"


def test_device_equals_to_after_construction(backend):
    x = anynn.tensor(np.ones((2, 4), dtype=np.float32), backend=backend)
    built = nn.Linear(4, 3, seed=1, device=x.device)
    moved = nn.Linear(4, 3, seed=1).to(x.device)
    assert built.weight.backend == backend
    assert built.weight.backend == moved.weight.backend
    np.testing.assert_array_equal(built(x).numpy(), moved(x).numpy())


def test_cuda_without_a_gpu_says_so():
    if anynn.cuda.is_available():
        pytest.skip("a GPU is present")
    with pytest.raises(anynn.backend.BackendUnavailable):
        nn.Linear(4, 3, device="cuda")


def test_subclasses_pass_device_through():
    class Head(nn.Linear):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)

    head = Head(4, 2, backend="torch", device="cpu")
    assert head.weight.backend.name == "torch"
    assert "device" in inspect.signature(nn.Linear).parameters
    assert inspect.signature(nn.Linear).parameters["device"].kind == inspect.Parameter.KEYWORD_ONLY


def test_sequential_takes_no_device_as_pytorch():
    with pytest.raises(TypeError):
        nn.Sequential(nn.Linear(2, 2), device="cpu")
    with pytest.raises(TypeError):
        torch.nn.Sequential(torch.nn.Linear(2, 2), device="cpu")
