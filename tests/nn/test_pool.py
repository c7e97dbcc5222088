"""Pooling: gradient checks, PyTorch as oracle (forward and input gradient), ties, NaN, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.functional.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d,
                                   max_pool2d)
from anynn.nn.pool import AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d

from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make

GRAD_CASES = {
    "max2d-overlap-pad": (lambda x: max_pool2d(x, 3, stride=2, padding=1), (1, 2, 5, 4)),
    "max2d-dilation-ceil": (lambda x: max_pool2d(x, 2, stride=(2, 1), dilation=(1, 2), ceil_mode=True), (1, 1, 5, 5)),
    "max1d": (lambda x: max_pool1d(x, 3, stride=2, padding=1, ceil_mode=True), (2, 2, 6)),
    "avg2d-exclude-pad-ceil": (lambda x: avg_pool2d(x, (3, 2), stride=2, padding=1, ceil_mode=True,
                                                    count_include_pad=False), (1, 2, 5, 4)),
    "avg2d-divisor": (lambda x: avg_pool2d(x, 2, stride=1, divisor_override=3), (1, 1, 3, 4)),
    "avg1d": (lambda x: avg_pool1d(x, 2, padding=1), (2, 1, 5)),
    "adaptive2d": (lambda x: adaptive_avg_pool2d(x, (2, 3)), (1, 2, 5, 4)),
    "adaptive1d": (lambda x: adaptive_avg_pool1d(x, 4), (2, 1, 7)),
}


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("case", list(GRAD_CASES))
def test_grad_check(backend, case):
    fn, shape = GRAD_CASES[case]
    # a permutation keeps all values apart, so no window has a near-tie for the numerical derivative
    x = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) * 0.1
    check_gradients(backend, fn, x.astype(np.float64))


MODULE_CASES = {
    "max2d": lambda: (MaxPool2d(2), torch.nn.MaxPool2d(2), (2, 3, 6, 4)),
    "max2d-odd": lambda: (MaxPool2d((3, 2), stride=(2, 1), padding=(1, 1)),
                          torch.nn.MaxPool2d((3, 2), stride=(2, 1), padding=(1, 1)), (2, 2, 7, 5)),
    "max2d-dilation-ceil": lambda: (MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
                                    torch.nn.MaxPool2d(3, stride=2, padding=1, dilation=2, ceil_mode=True),
                                    (1, 2, 8, 9)),
    "max1d": lambda: (MaxPool1d(3, stride=2, ceil_mode=True), torch.nn.MaxPool1d(3, stride=2, ceil_mode=True),
                      (2, 3, 8)),
    "avg2d": lambda: (AvgPool2d(2), torch.nn.AvgPool2d(2), (2, 3, 5, 4)),
    "avg2d-pad": lambda: (AvgPool2d(3, stride=2, padding=1), torch.nn.AvgPool2d(3, stride=2, padding=1), (2, 2, 6, 5)),
    "avg2d-exclude-pad-ceil": lambda: (AvgPool2d((3, 2), stride=2, padding=1, ceil_mode=True, count_include_pad=False),
                                       torch.nn.AvgPool2d((3, 2), stride=2, padding=1, ceil_mode=True,
                                                          count_include_pad=False), (2, 2, 6, 5)),
    "avg2d-include-pad-ceil": lambda: (AvgPool2d(3, stride=2, padding=1, ceil_mode=True),
                                       torch.nn.AvgPool2d(3, stride=2, padding=1, ceil_mode=True), (1, 2, 6, 6)),
    "avg2d-divisor": lambda: (AvgPool2d(2, divisor_override=3), torch.nn.AvgPool2d(2, divisor_override=3),
                              (1, 2, 4, 4)),
    "avg1d": lambda: (AvgPool1d(4, stride=3, padding=2, ceil_mode=True, count_include_pad=False),
                      torch.nn.AvgPool1d(4, stride=3, padding=2, ceil_mode=True, count_include_pad=False), (2, 2, 9)),
    "adaptive2d-global": lambda: (AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1), (2, 3, 5, 4)),
    "adaptive2d-uneven": lambda: (AdaptiveAvgPool2d((3, 2)), torch.nn.AdaptiveAvgPool2d((3, 2)), (2, 2, 7, 5)),
    "adaptive2d-none": lambda: (AdaptiveAvgPool2d((None, 2)), torch.nn.AdaptiveAvgPool2d((None, 2)), (2, 2, 3, 4)),
    "adaptive2d-upsample": lambda: (AdaptiveAvgPool2d(4), torch.nn.AdaptiveAvgPool2d(4), (1, 1, 3, 2)),
    "adaptive1d": lambda: (AdaptiveAvgPool1d(3), torch.nn.AdaptiveAvgPool1d(3), (2, 3, 8)),
}


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", list(MODULE_CASES))
def test_module_matches_torch(backend, case, dtype):
    ours, theirs, shape = MODULE_CASES[case]()
    x = np.random.default_rng(0).standard_normal(shape).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    compare_module_with_torch(backend, ours, theirs, x, **tol)


def test_max_pool_ties_send_gradient_to_first_maximum(backend):
    x = np.array([[[[1.0, 1.0, 0.0], [1.0, 1.0, 2.0], [2.0, 0.0, 2.0]]]])
    compare_with_torch(backend, lambda t: max_pool2d(t, 2, stride=1),
                       lambda t: torch.nn.functional.max_pool2d(t, 2, stride=1), x)


def test_unbatched_input(backend):
    x = np.random.default_rng(1).standard_normal((3, 5, 4))
    compare_with_torch(backend, lambda t: max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2), x)
    compare_with_torch(backend, lambda t: avg_pool1d(t, 2), lambda t: torch.nn.functional.avg_pool1d(t, 2), x[0])


def test_max_pool_propagates_nan(backend):
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    out = max_pool2d(make(backend, x), 2).numpy()
    assert np.isnan(out[0, 0, 0, 0]) and not np.isnan(out[0, 0, 1, 1])


def test_pool_keeps_float32(backend):
    x = make(backend, np.ones((1, 1, 4, 4), np.float32), requires_grad=True)
    for fn in (lambda t: max_pool2d(t, 2), lambda t: avg_pool2d(t, 3, padding=1), lambda t: adaptive_avg_pool2d(t, 3)):
        out = fn(x)
        out.sum().backward()
        assert out.numpy().dtype == np.float32 and x.grad.numpy().dtype == np.float32


def test_errors_name_layer_and_shapes():
    with pytest.raises(ValueError, match=r"MaxPool2d: expected input of shape \(N, C, H, W\).*\(4, 4\)"):
        MaxPool2d(2)(anynn.tensor(np.zeros((4, 4), np.float32)))
    with pytest.raises(ValueError, match=r"AvgPool1d: expected input of shape \(N, C, L\).*\(1, 2, 3, 4\)"):
        AvgPool1d(2)(anynn.tensor(np.zeros((1, 2, 3, 4), np.float32)))
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool2d: .*\(5,\)"):
        AdaptiveAvgPool2d(1)(anynn.tensor(np.zeros((5,), np.float32)))
    with pytest.raises(ValueError, match="at most half the kernel"):
        MaxPool2d(2, padding=2)(anynn.tensor(np.zeros((1, 1, 4, 4), np.float32)))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        max_pool2d(anynn.tensor(np.zeros((1, 1, 2, 4), np.float32)), 3)
