"""AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool1d/2d, LPPool1d/2d, Fold/Unfold, ChannelShuffle and
LocalResponseNorm (layers and F.* forms) against PyTorch on every backend, with gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.nn as nn
import anynn.nn.functional as F
from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make

# (name, anynn layer, PyTorch layer, input shape, positive input)
LAYERS = [
    ("avg3d", lambda: nn.AvgPool3d(2), lambda: torch.nn.AvgPool3d(2), (2, 3, 4, 5, 6), False),
    ("avg3d-options", lambda: nn.AvgPool3d((3, 2, 3), (2, 1, 2), 1, True, False),
     lambda: torch.nn.AvgPool3d((3, 2, 3), (2, 1, 2), 1, True, False), (2, 3, 5, 5, 6), False),
    ("avg3d-divisor", lambda: nn.AvgPool3d((3, 2, 2), 1, 1, divisor_override=5),
     lambda: torch.nn.AvgPool3d((3, 2, 2), 1, 1, divisor_override=5), (3, 5, 4, 6), False),
    ("adaptive-avg3d", lambda: nn.AdaptiveAvgPool3d((2, None, 3)), lambda: torch.nn.AdaptiveAvgPool3d((2, None, 3)),
     (2, 3, 5, 4, 7), False),
    ("adaptive-max1d", lambda: nn.AdaptiveMaxPool1d(3), lambda: torch.nn.AdaptiveMaxPool1d(3), (2, 3, 7), False),
    ("adaptive-max2d", lambda: nn.AdaptiveMaxPool2d((3, 2)), lambda: torch.nn.AdaptiveMaxPool2d((3, 2)),
     (2, 3, 7, 5), False),
    ("adaptive-max2d-up", lambda: nn.AdaptiveMaxPool2d((5, None)), lambda: torch.nn.AdaptiveMaxPool2d((5, None)),
     (3, 3, 4), False),
    ("lp1d", lambda: nn.LPPool1d(2, 3, 2), lambda: torch.nn.LPPool1d(2, 3, 2), (2, 3, 8), True),
    ("lp2d", lambda: nn.LPPool2d(3, (2, 3), ceil_mode=True), lambda: torch.nn.LPPool2d(3, (2, 3), ceil_mode=True),
     (2, 3, 5, 7), True),
    ("unfold", lambda: nn.Unfold((2, 3), (1, 2), 1, (2, 1)), lambda: torch.nn.Unfold((2, 3), (1, 2), 1, (2, 1)),
     (2, 3, 5, 6), False),
    ("fold", lambda: nn.Fold((5, 6), 2, stride=(1, 2), padding=(1, 0)),
     lambda: torch.nn.Fold((5, 6), 2, stride=(1, 2), padding=(1, 0)), (2, 12, 18), False),
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


@pytest.mark.parametrize("dims", [1, 2])
def test_adaptive_max_pool_indices(backend, rng, dims):
    shape, size = ((2, 3, 9), 4) if dims == 1 else ((2, 3, 7, 6), (3, 4))
    x = rng.standard_normal(shape)
    out, indices = getattr(nn, f"AdaptiveMaxPool{dims}d")(size, return_indices=True)(make(backend, x))
    ref, ref_indices = getattr(torch.nn, f"AdaptiveMaxPool{dims}d")(size, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())
    assert indices.dtype == anynn.int64 and not indices.requires_grad


FUNCTIONS = [
    ("unfold", lambda f: lambda x: f.unfold(x, 2, padding=1), (1, 2, 3, 4)),
    ("unfold-unbatched", lambda f: lambda x: f.unfold(x, (2, 1), stride=2), (2, 4, 3)),
    ("fold", lambda f: lambda x: f.fold(x, (3, 4), 2), (1, 8, 6)),
    ("fold-unbatched", lambda f: lambda x: f.fold(x, 4, 2, stride=2), (4, 4)),
    ("avg_pool3d", lambda f: lambda x: f.avg_pool3d(x, 2, 1, 1, False, False), (1, 2, 3, 3, 3)),
    ("adaptive_avg_pool3d", lambda f: lambda x: f.adaptive_avg_pool3d(x, 2), (1, 2, 3, 4, 3)),
    ("adaptive_max_pool2d", lambda f: lambda x: f.adaptive_max_pool2d(x, (2, 3)), (1, 2, 5, 4)),
    ("adaptive_max_pool1d", lambda f: lambda x: f.adaptive_max_pool1d(x, 2), (2, 5)),
    ("lp_pool2d", lambda f: lambda x: f.lp_pool2d(x * x + 0.5, 2.5, 2), (1, 2, 4, 4)),
    ("lp_pool1d", lambda f: lambda x: f.lp_pool1d(x * x + 0.5, 1.5, 2, 1), (1, 2, 5)),
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
    with pytest.raises(ValueError, match="unfold: the spatial size"):
        F.unfold(x, 5)
    with pytest.raises(ValueError, match="fold: expected input of shape"):
        F.fold(make("numpy", np.ones((1, 5, 4), np.float32)), 3, 2)
    with pytest.raises(ValueError, match="channel_shuffle: number of channels"):
        nn.ChannelShuffle(3)(x)
    with pytest.raises(ValueError, match="local_response_norm"):
        nn.LocalResponseNorm(2)(make("numpy", np.ones((2, 3), np.float32)))
    with pytest.raises(ValueError, match="avg_pool3d"):
        nn.AvgPool3d(2)(x[0])
    with pytest.raises(TypeError, match="adaptive_max_pool2d"):
        nn.AdaptiveMaxPool2d(2)(make("numpy", np.ones((1, 3, 3), np.int64)))
