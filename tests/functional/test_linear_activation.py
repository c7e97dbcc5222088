"""Linear + ReLU / tanh-GELU as one node (`LinearActivation`) and its use by `nn.Sequential`.

The fused epilogue itself (cuBLASLt through nvmath) needs a GPU (tests/backend/test_cudnn_cupy.py); here a fake
``linear_activation`` kernel on NumPy shows what `Sequential` fuses, what it leaves alone, and that a kernel
declining a call falls back to the Function's portable math.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn import nn
from anynn.backend.numpy_backend import NumpyBackend
from anynn.functional.linear_activation import fused_linear_available, linear_activation
from anynn.testing import grad_check

TORCH_ACT = {"relu": torch.relu, "gelu_tanh": lambda z: torch.nn.functional.gelu(z, approximate="tanh")}


@pytest.mark.parametrize("activation", ["relu", "gelu_tanh"])
def test_linear_activation_gradients(backend, activation):
    rng = np.random.default_rng(0)
    x, w, b = (anynn.tensor(rng.standard_normal(s) + (0.3 if len(s) == 1 else 0.0), backend=backend, dtype="float64",
                            requires_grad=True) for s in ((5, 4), (3, 4), (3,)))
    assert grad_check(lambda x, w, b: linear_activation(x, w, b, activation), x, w, b)


@pytest.mark.parametrize("activation", ["relu", "gelu_tanh"])
def test_linear_activation_matches_torch(backend, activation):
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((6, 5), (4, 5), (4,))]
    ours = [anynn.tensor(a, backend=backend, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    g = rng.standard_normal((6, 4)).astype(np.float32)
    y = linear_activation(*ours, activation)
    y.backward(anynn.tensor(g, backend=backend))
    t = TORCH_ACT[activation](torch.nn.functional.linear(*theirs))
    t.backward(torch.tensor(g))
    np.testing.assert_allclose(backend.to_host(y.array), t.detach().numpy(), rtol=1e-5, atol=1e-6)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(backend.to_host(a.grad.array), b.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_linear_activation_refuses_an_unknown_activation():
    x = anynn.tensor(np.ones((2, 2)))
    with pytest.raises(ValueError, match="linear_activation: activation must be 'relu' or 'gelu_tanh', got 'tanh'"):
        linear_activation(x, x, anynn.tensor(np.ones(2)), "tanh")


class FusingNumpy(NumpyBackend):
    """NumPy with a fake fused ``linear_activation`` kernel that records its calls (or declines them all)."""

    def __init__(self, decline: bool = False) -> None:
        super().__init__()
        self.calls: list[tuple[str, bool]] = []
        self.decline = decline

    def fast_path(self, name):
        if name == "linear_activation":
            return self._fused
        return super().fast_path(name)

    def _fused(self, x, weight, bias, activation, training):
        self.calls.append((activation, training))
        if self.decline:
            return NotImplemented
        pre = x @ weight.T + bias
        if activation == "relu":
            return np.maximum(pre, 0), None
        return torch.nn.functional.gelu(torch.from_numpy(pre), approximate="tanh").numpy(), (pre if training else None)


def _model(backend):
    return nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.GELU(approximate="tanh"), nn.Linear(8, 8),
                         nn.GELU(), nn.Linear(8, 3), backend=backend, seed=0)


def _train_step(model, backend):
    x = anynn.tensor(np.random.default_rng(2).standard_normal((5, 6), dtype=np.float32), backend=backend)
    y = model(x)
    (y * y).sum().backward()
    return [backend.to_host(y.array)] + [backend.to_host(p.grad.array) for p in model.parameters()]


@pytest.mark.parametrize("decline", [False, True])
def test_sequential_fuses_linear_and_activation_where_the_backend_has_the_kernel(decline):
    fusing = FusingNumpy(decline)
    assert fused_linear_available(fusing)
    got = _train_step(_model(fusing), fusing)
    want = _train_step(_model(anynn.get_backend("numpy")), anynn.get_backend("numpy"))
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-5, atol=1e-6)
    assert fusing.calls == [("relu", True), ("gelu_tanh", True)]  # the exact GELU (erf) is not cuBLASLt's: unfused


def test_sequential_leaves_hooked_layers_and_other_backends_alone():
    numpy = anynn.get_backend("numpy")
    assert not fused_linear_available(numpy)
    fusing = FusingNumpy()
    model = _model(fusing)
    seen = []
    model[1].register_forward_hook(lambda module, args, out: seen.append(out))
    with anynn.no_grad():
        model(anynn.tensor(np.ones((2, 6), dtype=np.float32), backend=fusing))
    assert fusing.calls == [("gelu_tanh", False)] and len(seen) == 1  # the hooked ReLU ran as a layer
    fusing.calls.clear()
    with anynn.no_grad():  # an input the Linear refuses keeps the Linear's own error
        with pytest.raises(ValueError, match="Linear"):
            model(anynn.tensor(np.ones((2, 5), dtype=np.float32), backend=fusing))
    assert fusing.calls == []
