"""Unfold and Fold (layers and F.* forms) against PyTorch on every backend, with gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn.nn as nn
import anynn.nn.functional as F
from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make

# (name, anynn layer, PyTorch layer, input shape, positive input)
LAYERS = [
    ("unfold", lambda: nn.Unfold((2, 3), (1, 2), 1, (2, 1)), lambda: torch.nn.Unfold((2, 3), (1, 2), 1, (2, 1)),
     (2, 3, 5, 6), False),
    ("fold", lambda: nn.Fold((5, 6), 2, stride=(1, 2), padding=(1, 0)),
     lambda: torch.nn.Fold((5, 6), 2, stride=(1, 2), padding=(1, 0)), (2, 12, 18), False),
]


@pytest.mark.parametrize("name, ours, theirs, shape, positive", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(backend, rng, name, ours, theirs, shape, positive):
    x = rng.standard_normal(shape)
    x[..., 0] = x[..., 1]  # ties: the first maximum wins in both
    x = np.abs(x) + 0.1 if positive else x
    compare_module_with_torch(backend, ours(), theirs(), x, rtol=1e-10, atol=1e-12)
    compare_module_with_torch(backend, ours(), theirs(), x.astype(np.float32), rtol=1e-4, atol=1e-5)
    assert repr(ours()).split("(")[0] == repr(theirs()).split("(")[0]


FUNCTIONS = [
    ("unfold", lambda f: lambda x: f.unfold(x, 2, padding=1), (1, 2, 3, 4)),
    ("unfold-unbatched", lambda f: lambda x: f.unfold(x, (2, 1), stride=2), (2, 4, 3)),
    ("fold", lambda f: lambda x: f.fold(x, (3, 4), 2), (1, 8, 6)),
    ("fold-unbatched", lambda f: lambda x: f.fold(x, 4, 2, stride=2), (4, 4)),
]


@pytest.mark.parametrize("name, fn, shape", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_function_matches_torch_and_gradient_check(backend, rng, name, fn, shape):
    x = rng.standard_normal(shape)
    compare_with_torch(backend, fn(F), fn(TF), x, rtol=1e-10, atol=1e-12)
    check_gradients(backend, fn(F), x)


def test_errors_name_the_function():
    x = make("numpy", np.ones((1, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="unfold: the spatial size"):
        F.unfold(x, 5)
    with pytest.raises(ValueError, match="fold: expected input of shape"):
        F.fold(make("numpy", np.ones((1, 5, 4), np.float32)), 3, 2)
