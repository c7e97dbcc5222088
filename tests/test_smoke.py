import numpy as np
import pytest

import anynn
from anynn import nn, optim

from tests.helpers import check_gradients, compare_module_with_torch


def test_mlp_trains_on_every_backend(backend):
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3), backend=backend, seed=0)
    opt = optim.Adam(model.parameters(), lr=1e-2)
    rng = np.random.default_rng(0)
    x = anynn.tensor(rng.standard_normal((32, 8), dtype=np.float32), backend=backend)
    y = anynn.tensor(rng.integers(0, 3, 32), backend=backend)
    losses = []
    for _ in range(30):
        loss = nn.CrossEntropyLoss()(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.7


def test_linear_matches_torch(backend):
    import torch

    compare_module_with_torch(backend, nn.Linear(5, 4), torch.nn.Linear(5, 4),
                              np.random.default_rng(0).standard_normal((3, 5)))


def test_grad_check_linear(backend):
    rng = np.random.default_rng(0)
    check_gradients(backend, anynn.functional.linear, rng.standard_normal((3, 4)), rng.standard_normal((2, 4)),
                    rng.standard_normal(2))


@pytest.mark.parametrize("module", ["anynn", "anynn.nn", "anynn.functional", "anynn.optim", "anynn.io",
                                    "anynn.backend", "anynn.train", "anynn.data"])
def test_every_exported_name_exists(module):
    import importlib

    mod = importlib.import_module(module)
    missing = [name for name in getattr(mod, "__all__", []) if not hasattr(mod, name)]
    assert not missing, f"{module}.__all__ names what it does not define: {missing}"
