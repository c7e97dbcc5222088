"""ChannelShuffle and LocalResponseNorm (layers and F.* forms) against PyTorch on every backend, with gradient
checks."""

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
    ("channel-shuffle", lambda: nn.ChannelShuffle(3), lambda: torch.nn.ChannelShuffle(3), (2, 6, 2, 2), False),
    ("lrn", lambda: nn.LocalResponseNorm(3, 1e-2, 0.75, 2.0), lambda: torch.nn.LocalResponseNorm(3, 1e-2, 0.75, 2.0),
     (2, 5, 4, 3), False),
    ("lrn-3d", lambda: nn.LocalResponseNorm(4), lambda: torch.nn.LocalResponseNorm(4), (2, 5, 4), False),
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
    ("local_response_norm", lambda f: lambda x: f.local_response_norm(x, 2, 0.1), (2, 3, 4)),
    ("channel_shuffle", lambda f: lambda x: f.channel_shuffle(x, 2), (2, 4, 3)),
]


@pytest.mark.parametrize("name, fn, shape", FUNCTIONS, ids=[c[0] for c in FUNCTIONS])
def test_function_matches_torch_and_gradient_check(backend, rng, name, fn, shape):
    x = rng.standard_normal(shape)
    compare_with_torch(backend, fn(F), fn(TF), x, rtol=1e-10, atol=1e-12)
    check_gradients(backend, fn(F), x)


def test_errors_name_the_function():
    x = make("numpy", np.ones((1, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="channel_shuffle: number of channels"):
        nn.ChannelShuffle(3)(x)
    with pytest.raises(ValueError, match="local_response_norm"):
        nn.LocalResponseNorm(2)(make("numpy", np.ones((2, 3), np.float32)))
