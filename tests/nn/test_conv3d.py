"""Conv3d and F.conv3d against PyTorch on every backend, with gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from anynn.functional.conv3d import conv3d
from anynn.nn.conv3d import Conv3d
from tests.helpers import check_gradients, compare_module_with_torch, make

CASES = [  # (in, out, kernel, options, input shape)
    (2, 3, 2, dict(), (2, 2, 3, 4, 3)),
    (4, 6, (2, 3, 2), dict(stride=(1, 2, 1), padding=(1, 0, 1), dilation=(1, 1, 2), groups=2), (2, 4, 4, 5, 6)),
    (2, 2, 3, dict(padding="same", bias=False), (1, 2, 3, 3, 4)),
    (2, 3, (1, 2, 2), dict(padding="valid", stride=2), (2, 2, 3, 5, 4)),
    (2, 3, 2, dict(padding=1, padding_mode="reflect"), (1, 2, 3, 3, 3)),
    (2, 3, 2, dict(padding=(1, 0, 1), padding_mode="circular"), (1, 2, 3, 3, 3)),
    (2, 3, 2, dict(padding=1), (2, 3, 3, 2)),  # unbatched
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", CASES, ids=[str(i) for i in range(len(CASES))])
def test_conv3d_matches_torch(backend, rng, case, dtype):
    cin, cout, kernel, options, shape = case
    x = rng.standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-4, atol=1e-5) if dtype == "float32" else dict(rtol=1e-10, atol=1e-12)
    ours, theirs = Conv3d(cin, cout, kernel, **options), torch.nn.Conv3d(cin, cout, kernel, **options)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert tuple(ours.weight.shape) == tuple(theirs.weight.shape)
    compare_module_with_torch(backend, ours, theirs, x, **tol)


@pytest.mark.parametrize("options", [dict(), dict(stride=(2, 1, 1), padding=1, dilation=(1, 2, 1)),
                                     dict(groups=2, padding="same")])
def test_conv3d_gradients(backend, rng, options):
    x = rng.standard_normal((1, 2, 3, 4, 3))
    w = rng.standard_normal((2, 2 // options.get("groups", 1), 2, 2, 2))
    check_gradients(backend, lambda a, b, c: conv3d(a, b, c, **options), x, w, rng.standard_normal(2))


def test_conv3d_init_and_errors(backend, rng):
    layer = Conv3d(2, 4, 3, backend=backend, seed=0)
    bound = 1 / np.sqrt(2 * 27)
    assert np.abs(layer.weight.numpy()).max() <= bound and np.abs(layer.bias.numpy()).max() <= bound
    with pytest.raises(ValueError, match=r"Conv3d: expected input of shape \(N, 2, D, H, W\)"):
        layer(make(backend, np.ones((1, 3, 4, 4, 4), np.float32)))
    with pytest.raises(ValueError, match="conv3d: input of shape .* is smaller than the dilated kernel"):
        layer(make(backend, np.ones((1, 2, 2, 4, 4), np.float32)))
    with pytest.raises(ValueError, match="padding='same' needs stride 1"):
        Conv3d(2, 4, 3, stride=2, padding="same")
