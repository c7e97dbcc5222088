"""Unfold and Fold (layers and F.* forms) against PyTorch on every backend, with gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn.nn as nn
import anynn.nn.functional as F
from tests.nn.oracle import function_case_matches_torch, layer_case_matches_torch
from tests.helpers import make

# (name, anynn layer, PyTorch layer, input shape, positive input)
LAYERS = [
    ("unfold", lambda: nn.Unfold((2, 3), (1, 2), 1, (2, 1)), lambda: torch.nn.Unfold((2, 3), (1, 2), 1, (2, 1)),
     (2, 3, 5, 6), False),
    ("fold", lambda: nn.Fold((5, 6), 2, stride=(1, 2), padding=(1, 0)),
     lambda: torch.nn.Fold((5, 6), 2, stride=(1, 2), padding=(1, 0)), (2, 12, 18), False),
]


@pytest.mark.parametrize("name, ours, theirs, shape, positive", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(backend, rng, name, ours, theirs, shape, positive):
    layer_case_matches_torch(backend, rng, ours, theirs, shape, positive)


FUNCTIONS = [
    ("unfold", lambda f: lambda x: f.unfold(x, 2, padding=1), (1, 2, 3, 4)),
    ("unfold-unbatched", lambda f: lambda x: f.unfold(x, (2, 1), stride=2), (2, 4, 3)),
    ("fold", lambda f: lambda x: f.fold(x, (3, 4), 2), (1, 8, 6)),
    ("fold-unbatched", lambda f: lambda x: f.fold(x, 4, 2, stride=2), (4, 4)),
]


@pytest.mark.parametrize("name, fn, shape", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_function_matches_torch_and_gradient_check(backend, rng, name, fn, shape):
    function_case_matches_torch(backend, rng, fn, shape)


def test_errors_name_the_function():
    x = make("numpy", np.ones((1, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="unfold: the spatial size"):
        F.unfold(x, 5)
    with pytest.raises(ValueError, match="fold: expected input of shape"):
        F.fold(make("numpy", np.ones((1, 5, 4), np.float32)), 3, 2)
    with pytest.raises(TypeError):  # PyTorch: "unfold(): argument 'input' must be Tensor"; anynn's AttributeError
        torch.nn.functional.unfold(np.ones((1, 2, 3, 3), np.float32), 2)
    with pytest.raises(TypeError, match=r"^unfold\(\): argument 'input' must be Tensor, not numpy.ndarray"):
        F.unfold(np.ones((1, 2, 3, 3), np.float32), 2)
