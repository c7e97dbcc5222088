"""ChannelShuffle and LocalResponseNorm (layers and F.* forms) against PyTorch on every backend, with gradient
checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn.nn as nn
from tests.nn.oracle import function_case_matches_torch, layer_case_matches_torch
from tests.helpers import make

# (name, anynn layer, PyTorch layer, input shape, positive input)
LAYERS = [
    ("channel-shuffle", lambda: nn.ChannelShuffle(3), lambda: torch.nn.ChannelShuffle(3), (2, 6, 2, 2), False),
    ("lrn", lambda: nn.LocalResponseNorm(3, 1e-2, 0.75, 2.0), lambda: torch.nn.LocalResponseNorm(3, 1e-2, 0.75, 2.0),
     (2, 5, 4, 3), False),
    ("lrn-3d", lambda: nn.LocalResponseNorm(4), lambda: torch.nn.LocalResponseNorm(4), (2, 5, 4), False),
]


@pytest.mark.parametrize("name, ours, theirs, shape, positive", LAYERS, ids=[c[0] for c in LAYERS])
def test_layer_matches_torch(backend, rng, name, ours, theirs, shape, positive):
    layer_case_matches_torch(backend, rng, ours, theirs, shape, positive)


FUNCTIONS = [
    ("local_response_norm", lambda f: lambda x: f.local_response_norm(x, 2, 0.1), (2, 3, 4)),
    ("channel_shuffle", lambda f: lambda x: f.channel_shuffle(x, 2), (2, 4, 3)),
]


@pytest.mark.parametrize("name, fn, shape", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_function_matches_torch_and_gradient_check(backend, rng, name, fn, shape):
    function_case_matches_torch(backend, rng, fn, shape)


def test_errors_name_the_function():
    x = make("numpy", np.ones((1, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="channel_shuffle: number of channels"):
        nn.ChannelShuffle(3)(x)
    with pytest.raises(ValueError, match="local_response_norm"):
        nn.LocalResponseNorm(2)(make("numpy", np.ones((2, 3), np.float32)))
