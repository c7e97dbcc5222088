"""ChannelShuffle, LocalResponseNorm (layers and F.* forms) and CrossMapLRN2d against PyTorch on every backend, with
gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
import anynn.nn as nn
from tests.nn.oracle import function_case_matches_torch, layer_case_matches_torch
from tests.helpers import check_gradients, compare_with_torch, make

# (name, anynn layer, PyTorch layer, input shape, positive input)
LAYERS = [
    ("channel-shuffle", lambda: nn.ChannelShuffle(3), lambda: torch.nn.ChannelShuffle(3), (2, 6, 2, 2), False),
    ("lrn", lambda: nn.LocalResponseNorm(3, 1e-2, 0.75, 2.0), lambda: torch.nn.LocalResponseNorm(3, 1e-2, 0.75, 2.0),
     (2, 5, 4, 3), False),
    ("lrn-3d", lambda: nn.LocalResponseNorm(4), lambda: torch.nn.LocalResponseNorm(4), (2, 5, 4), False),
    # (the one kind of case where PyTorch's hand-written backward is the derivative of its forward: see below)
    ("cross-map-lrn", lambda: nn.CrossMapLRN2d(4, 0.5, 0.75, 2.0), lambda: torch.nn.CrossMapLRN2d(4, 0.5, 0.75, 2.0),
     (2, 2, 3, 3), False),
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
    with pytest.raises(ValueError, match="^local_response_norm: size .* must be positive, got 0$"):
        # (the error named avg_pool2d, the op local_response_norm runs on)
        nn.functional.local_response_norm(make("numpy", np.ones((2, 3, 4), np.float32)), 0)


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5])
def test_cross_map_lrn_values_as_torch_and_its_gradient_is_their_derivative(backend, size):
    """CrossMapLRN2d's values are PyTorch's, window quirk included (channel 0 stays in every sum from channel
    ``int((size - 1) / 2 + 1)`` on, so they differ from LocalResponseNorm's); the gradient is their derivative,
    checked by central differences (PyTorch's backward is not, see the differences page)."""
    x = np.random.default_rng(size).standard_normal((2, 7, 2, 3))
    compare_with_torch(backend, nn.CrossMapLRN2d(size, 0.5, 0.75, 1.5), torch.nn.CrossMapLRN2d(size, 0.5, 0.75, 1.5),
                       x, rtol=1e-10, atol=1e-12, differentiable=[False])
    check_gradients(backend, lambda x: nn.CrossMapLRN2d(size, 0.5, 0.75, 1.5)(x), x[:1, :, :1])
    lrn = torch.nn.LocalResponseNorm(size, 0.5, 0.75, 1.5)(torch.tensor(x)).numpy()
    reach = int((size - 1) / 2 + 1)
    ours = nn.CrossMapLRN2d(size, 0.5, 0.75, 1.5)(make(backend, x)).numpy()
    np.testing.assert_allclose(ours[:, :reach], lrn[:, :reach], rtol=1e-12)
    assert size == 1 or np.abs(ours[:, reach + 1:] - lrn[:, reach + 1:]).max() > 1e-3
    with pytest.raises(ValueError, match="CrossMapLRN2d: Expected input to be 4D, got 3D instead"):
        nn.CrossMapLRN2d(size)(make(backend, x[0]))


def test_native_channel_shuffle_is_channel_shuffle_as_torch():
    x = np.arange(16.0).reshape(1, 4, 2, 2)
    assert anynn.native_channel_shuffle(anynn.tensor(x), 2).tolist() == torch.native_channel_shuffle(
        torch.tensor(x), 2).tolist()
