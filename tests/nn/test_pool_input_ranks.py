"""AdaptiveMaxPool1d/2d and LPPool1d/2d take (N, C, *spatial) or (C, *spatial) only, as PyTorch: an extra leading
dimension is refused naming the layer (they used to pool over any number of leading dimensions)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from tests.helpers import make

LAYERS = {
    "AdaptiveMaxPool1d": (lambda nn: nn.AdaptiveMaxPool1d(2), 1),
    "AdaptiveMaxPool2d": (lambda nn: nn.AdaptiveMaxPool2d(2), 2),
    "LPPool1d": (lambda nn: nn.LPPool1d(2, 2), 1),
    "LPPool2d": (lambda nn: nn.LPPool2d(2, 2), 2),
}


@pytest.mark.parametrize("name", LAYERS)
def test_an_extra_leading_dimension_is_refused_as_in_pytorch(backend, name):
    build, spatial = LAYERS[name]
    x = np.ones((1, 2, 3) + (4,) * spatial, np.float32)
    with pytest.raises(RuntimeError):
        build(torch.nn)(torch.tensor(x))
    with pytest.raises(ValueError, match=f"{name}: expected input of shape .*got {x.ndim}-D input"):
        build(anynn.nn)(make(backend, x))


@pytest.mark.parametrize("name", LAYERS)
@pytest.mark.parametrize("batched", [True, False])
def test_batched_and_unbatched_inputs_still_pool_as_pytorch(backend, name, batched):
    build, spatial = LAYERS[name]
    x = np.random.default_rng(0).random(((2,) if batched else ()) + (3,) + (4,) * spatial).astype(np.float32)
    got = build(anynn.nn)(make(backend, x))
    ref = build(torch.nn)(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)
