"""No silent upcasts: a float32 model stays float32 through forward, backward and the optimizer step."""

from __future__ import annotations

import numpy as np
import pytest

import anynn
from anynn.backend import dtype_name
from anynn.nn.activation import ELU, GELU, LeakyReLU, ReLU, Sigmoid, SiLU, Softplus, Tanh
from anynn.nn.container import Sequential
from anynn.nn.linear import Linear
from anynn.nn.loss import CrossEntropyLoss, MSELoss
from anynn.optim.adam import Adam
from anynn.optim.sgd import SGD


def _model(backend, dtype):
    return Sequential(Linear(6, 8), ReLU(), Linear(8, 8), GELU(), Linear(8, 8), Tanh(), Linear(8, 8), SiLU(),
                      Linear(8, 8), LeakyReLU(0.1), Linear(8, 8), ELU(), Linear(8, 8), Softplus(),
                      Linear(8, 8), GELU(approximate="tanh"), Linear(8, 8), Sigmoid(), Linear(8, 3),
                      backend=backend, dtype=dtype, seed=0)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mlp_keeps_its_dtype_everywhere(backend, dtype):
    rng = np.random.default_rng(0)
    model = _model(backend, dtype)
    x = anynn.tensor(rng.standard_normal((5, 6)), backend=backend, dtype=dtype, requires_grad=True)
    labels = anynn.tensor(rng.integers(0, 3, 5), backend=backend)
    targets = anynn.tensor(rng.standard_normal((5, 3)), backend=backend, dtype=dtype)

    activations = [x]
    h = x
    for layer in model:
        h = layer(h)
        h.retain_grad()
        activations.append(h)
    loss = CrossEntropyLoss()(h, labels) + MSELoss()(h, targets) * 0.5
    loss.retain_grad()
    activations.append(loss)
    loss.backward()

    for i, a in enumerate(activations):
        assert dtype_name(a.dtype) == dtype, f"activation {i} is {dtype_name(a.dtype)}"
        assert a.backend == backend and backend.is_native(a.array)
        assert a.grad is not None and dtype_name(a.grad.dtype) == dtype, f"gradient of activation {i}"
        assert backend.is_native(a.grad.array)
    for name, p in model.named_parameters():
        assert dtype_name(p.grad.dtype) == dtype, f"gradient of {name}"
        assert np.all(np.isfinite(p.grad.numpy())), name

    for opt in (Adam(model.parameters(), lr=1e-3, weight_decay=0.01, amsgrad=True),
                SGD(model.parameters(), lr=1e-2, momentum=0.9, nesterov=True, weight_decay=1e-4)):
        before = [p.numpy().copy() for p in model.parameters()]
        opt.step()
        opt.step()
        for (name, p), b in zip(model.named_parameters(), before):
            assert dtype_name(p.dtype) == dtype, f"{name} after {type(opt).__name__}.step"
            assert backend.is_native(p.array)
            assert not np.array_equal(p.numpy(), b), f"{name} did not move"
        for state in opt.state.values():
            for key, value in state.items():
                if not isinstance(value, (int, float)):
                    assert dtype_name(value.dtype) == dtype, f"{type(opt).__name__} state {key}"

    with anynn.no_grad():
        out = model(x)
    assert dtype_name(out.dtype) == dtype and out.grad_fn is None


def test_numpy_float64_input_keeps_its_dtype_and_a_float32_model_says_so(backend):
    model = Sequential(Linear(4, 2), backend=backend, seed=0)
    host = np.random.default_rng(0).standard_normal((3, 4))
    x = anynn.tensor(host, backend=backend)  # float64 on the host stays float64, as torch.tensor keeps it
    assert dtype_name(x.dtype) == "float64"
    with pytest.raises(RuntimeError, match="Linear: expected input dtype float32.*got float64"):
        model(x)
    assert dtype_name(model(anynn.tensor(host.astype(np.float32), backend=backend)).dtype) == "float32"
