"""The same seeded model trained on the same data gives the same losses on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.nn.activation import ReLU
from anynn.nn.container import Sequential
from anynn.nn.linear import Linear
from anynn.nn.loss import CrossEntropyLoss
from anynn.optim.adam import Adam

pytestmark = pytest.mark.jax  # the whole module runs on the jax backend too

STEPS = 20


def _data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((32, 64)).astype(np.float32)
    y = rng.integers(0, 10, 32)
    return x, y


def _train(backend):
    x, y = _data()
    model = Sequential(Linear(64, 32), ReLU(), Linear(32, 10), backend=backend, seed=0)
    opt = Adam(model.parameters(), lr=1e-2)
    loss_fn = CrossEntropyLoss()
    xs, ys = anynn.tensor(x, backend=backend), anynn.tensor(y, backend=backend)
    losses = []
    for _ in range(STEPS):
        loss = loss_fn(model(xs), ys)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return np.array(losses), {k: v.numpy() for k, v in model.state_dict().items()}


@pytest.fixture(scope="module")
def reference():
    return _train("numpy")


def test_same_losses_on_every_backend(backend, reference):
    ref_losses, ref_state = reference
    assert ref_losses[-1] < 0.5 * ref_losses[0], "the reference run learns"
    losses, state = _train(backend)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-5)
    for name, value in state.items():
        assert value.dtype == np.float32
        np.testing.assert_allclose(value, ref_state[name], rtol=1e-4, atol=1e-5, err_msg=name)


def test_same_losses_as_pytorch(reference):
    ref_losses, _ = reference
    x, y = _data()
    seeded = Sequential(Linear(64, 32), ReLU(), Linear(32, 10), seed=0)
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    model.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in seeded.state_dict().items()})
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(STEPS):
        loss = torch.nn.functional.cross_entropy(model(torch.from_numpy(x)), torch.from_numpy(y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    np.testing.assert_allclose(ref_losses, losses, rtol=1e-4)
