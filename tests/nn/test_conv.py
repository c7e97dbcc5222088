"""Convolutions: gradient checks, PyTorch as oracle (forward, input and weight gradients), init, errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import anynn
from anynn.functional.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from anynn.nn.conv import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d

from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make

# (x shape, weight shape, keyword arguments): tiny, so the numerical check stays fast
GRAD_CASES = {
    "conv2d-stride-pad": (conv2d, (1, 2, 4, 5), (2, 2, 2, 3), dict(stride=2, padding=1)),
    "conv2d-dilation-groups": (conv2d, (2, 2, 5, 4), (4, 1, 2, 2), dict(padding=(1, 0), dilation=(2, 1), groups=2)),
    "conv2d-same-even-kernel": (conv2d, (1, 1, 4, 3), (2, 1, 2, 2), dict(padding="same")),
    # more channels than output columns: the input gradient takes the channels-last col2im
    "conv2d-channels-last-groups": (conv2d, (1, 4, 3, 2), (4, 2, 2, 2), dict(padding=1, stride=(1, 2), groups=2)),
    "conv1d": (conv1d, (2, 2, 7), (2, 1, 3), dict(stride=2, padding=1, dilation=2, groups=2)),
    "conv_transpose2d": (conv_transpose2d, (1, 2, 3, 2), (2, 1, 2, 3),
                         dict(stride=(2, 1), padding=(1, 0), output_padding=(1, 0), groups=2, dilation=(1, 2))),
    "conv_transpose1d": (conv_transpose1d, (2, 2, 3), (2, 2, 3), dict(stride=2, padding=1, output_padding=1)),
    "conv_transpose2d-channels-last": (conv_transpose2d, (1, 2, 2, 1), (2, 2, 2, 2),
                                       dict(stride=2, padding=(1, 0), groups=2, dilation=(2, 1))),
}


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_grad_check(backend, case):
    fn, x_shape, w_shape, kwargs = GRAD_CASES[case]
    rng = np.random.default_rng(0)
    out_channels = w_shape[1] * kwargs.get("groups", 1) if fn in (conv_transpose1d, conv_transpose2d) \
        else w_shape[0]
    check_gradients(backend, lambda x, w, b: fn(x, w, b, **kwargs), rng.standard_normal(x_shape),
                    rng.standard_normal(w_shape), rng.standard_normal(out_channels))


def test_grad_check_without_bias_unbatched(backend):
    rng = np.random.default_rng(1)
    check_gradients(backend, lambda x, w: conv2d(x, w, stride=(1, 2)), rng.standard_normal((2, 3, 4)),
                    rng.standard_normal((2, 2, 2, 2)))


MODULE_CASES = {
    "conv2d": lambda: (Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 4, 3, padding=1), (2, 3, 5, 6)),
    "conv2d-strided-dilated": lambda: (Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 1), groups=2),
                                       torch.nn.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(2, 1), dilation=(2, 1),
                                                       groups=2), (2, 4, 7, 5)),
    "conv2d-same-depthwise": lambda: (Conv2d(3, 3, 4, padding="same", groups=3, bias=False),
                                      torch.nn.Conv2d(3, 3, 4, padding="same", groups=3, bias=False), (2, 3, 6, 5)),
    "conv2d-valid-1x1": lambda: (Conv2d(3, 5, 1, padding="valid"), torch.nn.Conv2d(3, 5, 1, padding="valid"),
                                 (2, 3, 4, 4)),
    "conv2d-channels-last": lambda: (Conv2d(8, 6, 3, stride=(1, 2), padding=1, groups=2),
                                     torch.nn.Conv2d(8, 6, 3, stride=(1, 2), padding=1, groups=2), (2, 8, 5, 4)),
    "conv1d": lambda: (Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2),
                       torch.nn.Conv1d(4, 6, 3, stride=2, padding=2, dilation=2, groups=2), (3, 4, 11)),
    "conv1d-same": lambda: (Conv1d(2, 3, 4, padding="same"), torch.nn.Conv1d(2, 3, 4, padding="same"), (2, 2, 7)),
    "conv_transpose2d": lambda: (ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                                 torch.nn.ConvTranspose2d(4, 6, 3, stride=2, padding=1, output_padding=1, groups=2),
                                 (2, 4, 3, 4)),
    "conv_transpose2d-dilated": lambda: (ConvTranspose2d(3, 2, (2, 3), stride=(1, 3), dilation=(2, 1), bias=False),
                                         torch.nn.ConvTranspose2d(3, 2, (2, 3), stride=(1, 3), dilation=(2, 1),
                                                                  bias=False), (2, 3, 4, 3)),
    "conv_transpose2d-channels-last": lambda: (ConvTranspose2d(4, 8, 3, stride=2, padding=1, groups=2),
                                               torch.nn.ConvTranspose2d(4, 8, 3, stride=2, padding=1, groups=2),
                                               (2, 4, 3, 2)),
    "conv_transpose1d": lambda: (ConvTranspose1d(3, 4, 3, stride=3, padding=1, output_padding=2),
                                 torch.nn.ConvTranspose1d(3, 4, 3, stride=3, padding=1, output_padding=2), (2, 3, 5)),
}


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # PyTorch's note on its own copy
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(MODULE_CASES))
def test_module_matches_torch(backend, case, dtype):
    torch.manual_seed(0)
    ours, theirs, shape = MODULE_CASES[case]()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float64" else dict(rtol=1e-4, atol=1e-4)
    compare_module_with_torch(backend, ours, theirs, x, **tol)


def test_unbatched_input_matches_torch(backend):
    rng = np.random.default_rng(2)
    x, w, b = rng.standard_normal((2, 5, 4)), rng.standard_normal((3, 2, 2, 3)), rng.standard_normal(3)
    compare_with_torch(backend, lambda x, w, b: conv2d(x, w, b, padding=(0, 1)),
                       lambda x, w, b: torch.nn.functional.conv2d(x, w, b, padding=(0, 1)), x, w, b)
    w_t = rng.standard_normal((2, 3, 2, 2))
    compare_with_torch(backend, lambda x, w: conv_transpose2d(x, w, stride=2),
                       lambda x, w: torch.nn.functional.conv_transpose2d(x, w, stride=2), x, w_t)


def test_frozen_weight_still_gives_input_gradient(backend):
    rng = np.random.default_rng(3)
    x = make(backend, rng.standard_normal((1, 2, 4, 4)), requires_grad=True)
    w = make(backend, rng.standard_normal((3, 2, 3, 3)))
    conv2d(x, w, padding=1).sum().backward()
    ref = torch.tensor(x.numpy(), requires_grad=True)
    torch.nn.functional.conv2d(ref, torch.tensor(w.numpy()), padding=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), ref.grad.numpy(), rtol=1e-10)


def test_default_init_matches_pytorch_bounds_and_is_seeded():
    layer = Conv2d(4, 6, (3, 2), groups=2, seed=3)
    assert layer.weight.shape == (6, 2, 3, 2) and layer.bias.shape == (6,)
    bound = 1 / math.sqrt(2 * 3 * 2)
    for p in (layer.weight, layer.bias):
        values = p.numpy()
        assert values.dtype == np.float32 and np.abs(values).max() <= bound and np.abs(values).max() > bound / 2
    again = Conv2d(4, 6, (3, 2), groups=2, seed=3, backend="torch")
    np.testing.assert_array_equal(again.weight.numpy(), layer.weight.numpy())
    transposed = ConvTranspose2d(4, 6, 3, groups=2, seed=0)
    assert transposed.weight.shape == (4, 3, 3, 3)
    assert np.abs(transposed.weight.numpy()).max() <= 1 / math.sqrt(3 * 9)


def test_conv_module_output_shapes():
    x = anynn.tensor(np.zeros((2, 3, 9, 8), np.float32))
    assert Conv2d(3, 5, 3, stride=2, padding=1)(x).shape == (2, 5, 5, 4)
    assert Conv2d(3, 5, 3, padding="same", dilation=2)(x).shape == (2, 5, 9, 8)
    assert ConvTranspose2d(3, 5, 3, stride=2, padding=1, output_padding=1)(x).shape == (2, 5, 18, 16)
    assert Conv1d(3, 2, 4)(anynn.tensor(np.zeros((3, 10), np.float32))).shape == (2, 7)
    assert "groups=3" in repr(Conv2d(3, 6, 3, groups=3))


def test_errors_name_layer_and_shapes():
    layer = Conv2d(3, 4, 3)
    with pytest.raises(ValueError, match=r"Conv2d: expected input of shape \(N, 3, H, W\).*\(2, 4, 8, 8\)"):
        layer(anynn.tensor(np.zeros((2, 4, 8, 8), np.float32)))
    with pytest.raises(ValueError, match=r"Conv2d: expected input of shape \(N, 3, H, W\).*2-D.*\(2, 3\)"):
        layer(anynn.tensor(np.zeros((2, 3), np.float32)))
    with pytest.raises(ValueError, match=r"Conv1d: expected input of shape \(N, 2, L\).*\(1, 2, 3, 4\)"):
        Conv1d(2, 2, 1)(anynn.tensor(np.zeros((1, 2, 3, 4), np.float32)))
    with pytest.raises(ValueError, match=r"ConvTranspose2d: .*\(N, 4, H, W\).*\(1, 2, 3, 3\)"):
        ConvTranspose2d(4, 2, 3)(anynn.tensor(np.zeros((1, 2, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="smaller than the dilated kernel"):
        layer(anynn.tensor(np.zeros((1, 3, 2, 8), np.float32)))
    with pytest.raises(ValueError, match="divisible by groups"):
        Conv2d(3, 4, 3, groups=2)
    with pytest.raises(ValueError, match="stride 1"):
        Conv2d(3, 4, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match=r"conv2d: weight of shape \(4, 2, 3, 3\) with groups=1 expects 2"):
        conv2d(anynn.tensor(np.zeros((1, 3, 5, 5), np.float32)), anynn.tensor(np.zeros((4, 2, 3, 3), np.float32)))
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose2d(anynn.tensor(np.zeros((1, 2, 3, 3), np.float32)),
                         anynn.tensor(np.zeros((2, 2, 3, 3), np.float32)), stride=2, output_padding=2)
