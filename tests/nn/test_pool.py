"""Pooling and unpooling (max, average, adaptive, LP; 1-D to 3-D): gradient checks, PyTorch as oracle (forward
and input gradient; fixed cases, hypothesis-drawn layer configurations, seeded fuzzing of max pooling with
indices and unpooling), indices, ties, NaN, errors."""

from __future__ import annotations

import itertools
import re
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from hypothesis import example, given
from hypothesis import strategies as st

import anynn
import anynn.nn as nn
from anynn.functional.pool import (MaxPool, adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d,
                                   max_pool1d, max_pool2d, max_pool3d)
from anynn.functional.unpool import max_unpool1d, max_unpool2d, max_unpool3d
from anynn.nn import pool as pool_layers
from anynn.nn.pool import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d,
                           MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d)

from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make
from tests.nn.oracle import (FUZZ_TOL, build_and_call, check_layer, compare_grads, function_case_matches_torch,
                             fuzz_count, int_or_tuple, layer_case_matches_torch, oracle_settings, project, run_both)

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


@pytest.mark.parametrize("fn, torch_fn, shape", [
    (lambda t: max_pool2d(t, 2), lambda t: TF.max_pool2d(t, 2), (2, 3, 6, 8)),
    (lambda t: max_pool2d(t, (2, 3), padding=1), lambda t: TF.max_pool2d(t, (2, 3), padding=1), (1, 2, 5, 7)),
    (lambda t: max_pool2d(t, 2, ceil_mode=True), lambda t: TF.max_pool2d(t, 2, ceil_mode=True), (2, 1, 5, 7)),
    (lambda t: max_pool1d(t, 3), lambda t: TF.max_pool1d(t, 3), (2, 2, 10)),
    (lambda t: max_pool3d(t, (2, 1, 2)), lambda t: TF.max_pool3d(t, (2, 1, 2)), (1, 2, 4, 3, 5)),
], ids=["2d", "2d-pad", "2d-ceil", "1d", "3d"])
@pytest.mark.parametrize("kind", ["ties", "nan"])
def test_tiling_windows_route_ties_and_nan_as_torch(backend, fn, torch_fn, shape, kind):
    # stride = kernel: the windows tile the input and are read as one contiguous plane per kernel offset
    x = np.random.default_rng(5).integers(0, 3, shape).astype(np.float64)  # three values: most windows tie
    if kind == "nan":
        x.reshape(-1)[::7] = np.nan
    compare_with_torch(backend, fn, torch_fn, x)


def test_unbatched_input(backend):
    x = np.random.default_rng(1).standard_normal((3, 5, 4))
    compare_with_torch(backend, lambda t: max_pool2d(t, 2), lambda t: torch.nn.functional.max_pool2d(t, 2), x)
    compare_with_torch(backend, lambda t: avg_pool1d(t, 2), lambda t: torch.nn.functional.avg_pool1d(t, 2), x[0])


def test_max_pool_propagates_nan(backend):
    x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan
    out = max_pool2d(make(backend, x), 2).numpy()
    assert np.isnan(out[0, 0, 0, 0]) and not np.isnan(out[0, 0, 1, 1])


def test_max_pool_without_a_gradient_takes_the_maxima_only(monkeypatch):
    """Under no_grad (inference) the forward builds none of the masks that route the gradient (most of its passes)."""
    calls: list[int] = []
    first_maxima = MaxPool._first_maxima
    monkeypatch.setattr(MaxPool, "_first_maxima", lambda self, *args: calls.append(1) or first_maxima(self, *args))
    x = anynn.tensor(np.arange(16.0).reshape(1, 1, 4, 4), requires_grad=True)
    with anynn.no_grad():
        np.testing.assert_array_equal(max_pool2d(x, 2).numpy(), [[[[5.0, 7.0], [13.0, 15.0]]]])
    assert calls == []
    max_pool2d(x, 2).sum().backward()
    assert calls == [1] and x.grad.numpy().sum() == 4.0


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


# -- configurations drawn by hypothesis, against torch.nn ---------------------------------------------


@st.composite
def pool_configs(draw: Any) -> dict[str, Any]:
    nd = draw(st.sampled_from([1, 2]))
    kind = draw(st.sampled_from(["Max", "Avg", "AdaptiveAvg"]))
    kwargs: dict[str, Any] = {}
    if kind == "AdaptiveAvg":
        out = tuple(draw(st.integers(1, 6)) for _ in range(nd))
        args: tuple = (int_or_tuple(draw, out),)
        if nd == 2 and draw(st.integers(0, 4)) == 0:
            args = ((None, out[1]),)
    else:
        kernel = tuple(draw(st.integers(1, 4)) for _ in range(nd))
        args = (int_or_tuple(draw, kernel),)
        if draw(st.integers(0, 3)):
            kwargs["stride"] = int_or_tuple(draw, tuple(draw(st.integers(1, 3)) for _ in range(nd)))
        # mostly legal padding (at most half the kernel); now and then more, which both must reject
        limit = [k // 2 + (1 if draw(st.integers(0, 5)) == 0 else 0) for k in kernel]
        kwargs["padding"] = int_or_tuple(draw, tuple(draw(st.integers(0, lim)) for lim in limit))
        kwargs["ceil_mode"] = draw(st.booleans())
        if kind == "Max":
            kwargs["dilation"] = int_or_tuple(draw, tuple(draw(st.integers(1, 3)) for _ in range(nd)))
        else:
            kwargs["count_include_pad"] = draw(st.booleans())
            if nd == 2 and draw(st.integers(0, 2)) == 0:
                kwargs["divisor_override"] = draw(st.integers(1, 5))
    batch = draw(st.sampled_from([(), (1,), (2,)]))
    shape = batch + (draw(st.integers(1, 3)),) + tuple(draw(st.integers(1, 8)) for _ in range(nd))
    return dict(name=f"{kind}Pool{nd}d", args=args, kwargs=kwargs, shape=shape,
                dtype=draw(st.sampled_from(["float64", "float32"])), seed=draw(st.integers(0, 2 ** 16)),
                ties=kind == "Max" and draw(st.booleans()))


def _pool(name: str, args: tuple, shape: tuple[int, ...], **kwargs: Any) -> dict[str, Any]:
    return dict(name=name, args=args, kwargs=kwargs, shape=shape, dtype="float64", seed=3, ties=False)


@oracle_settings(120)
@given(cfg=pool_configs())
@example(cfg=_pool("MaxPool1d", (2,), (1, 1, 1), ceil_mode=True))  # input smaller than the kernel, ceil mode
@example(cfg=_pool("AvgPool2d", (4,), (2, 1, 8, 3), ceil_mode=True, count_include_pad=False, divisor_override=4))
@example(cfg=_pool("MaxPool2d", (3,), (1, 2, 1, 4), stride=3, padding=1, ceil_mode=True, dilation=2))
@example(cfg=_pool("AvgPool1d", (4,), (2, 2), stride=3, ceil_mode=True))
@example(cfg=_pool("MaxPool2d", (2,), (1, 1, 4, 4), padding=2))  # padding > kernel / 2: rejected by both
@example(cfg=_pool("AvgPool2d", (3,), (1, 1, 1, 1)))  # empty output: rejected by both
@example(cfg=_pool("AdaptiveAvgPool2d", ((3, 5),), (2, 2, 7, 4)))  # bins overlap and upsample
@example(cfg=_pool("AdaptiveAvgPool1d", (4,), (3, 11)))
def test_pool_layers_match_torch(backend, cfg):
    check_layer(backend, cfg)


@pytest.mark.parametrize("fn, kwargs, shape", [
    (max_pool2d, dict(kernel_size=2, padding=2), (1, 1, 6, 6)),
    (max_pool1d, dict(kernel_size=3, padding=2), (1, 1, 6)),
    (avg_pool2d, dict(kernel_size=(4, 1), padding=(1, 1)), (1, 1, 6, 6)),
])
def test_pool_padding_over_half_kernel_is_a_clear_error(backend, fn, kwargs, shape):
    with pytest.raises(ValueError, match="padding.*half the kernel"):
        fn(make(backend, np.zeros(shape)), **kwargs)


# -- max pooling with indices and max unpooling -------------------------------------------------------


POOLS = {1: (max_pool1d, TF.max_pool1d), 2: (max_pool2d, TF.max_pool2d), 3: (max_pool3d, TF.max_pool3d)}
UNPOOLS = {1: (max_unpool1d, TF.max_unpool1d), 2: (max_unpool2d, TF.max_unpool2d), 3: (max_unpool3d, TF.max_unpool3d)}

# (spatial dims, pooling arguments, input shape)
INDEX_CASES = {
    "1d": (1, dict(kernel_size=2), (2, 3, 8)),
    "1d-pad-ceil": (1, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (2, 2, 8)),
    "1d-dilation": (1, dict(kernel_size=3, stride=1, padding=1, dilation=2), (1, 2, 9)),
    "2d": (2, dict(kernel_size=2), (2, 3, 6, 4)),
    "2d-odd": (2, dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 1)), (2, 2, 7, 5)),
    "2d-dilation-ceil": (2, dict(kernel_size=3, stride=2, padding=1, dilation=2, ceil_mode=True), (1, 2, 8, 9)),
    "2d-overlap-ceil": (2, dict(kernel_size=3, stride=2, ceil_mode=True), (2, 1, 6, 7)),
    "2d-unbatched": (2, dict(kernel_size=2, stride=1), (3, 4, 5)),
    "3d": (3, dict(kernel_size=2), (2, 2, 4, 6, 4)),
    "3d-pad-ceil": (3, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), (1, 2, 5, 6, 5)),
    "3d-mixed": (3, dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), padding=(1, 1, 0), dilation=(2, 1, 1)),
                 (1, 2, 5, 7, 4)),
}


def _inputs(kind: str, shape: tuple[int, ...], dtype: str) -> np.ndarray:
    rng = np.random.default_rng(7)
    if kind == "random":
        return rng.standard_normal(shape).astype(dtype)
    if kind == "ties":  # three values only: most windows hold several maxima
        return rng.integers(0, 3, shape).astype(dtype)
    return np.full(shape, -np.inf, dtype)  # every window ties at -inf, padding included


def _check_indices(backend, dims, kwargs, x):
    ours, theirs = POOLS[dims]
    out, indices = ours(make(backend, x), return_indices=True, **kwargs)
    ref, ref_indices = theirs(torch.tensor(x), return_indices=True, **kwargs)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    assert indices.numpy().dtype == np.int64 and not indices.requires_grad
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())


@pytest.mark.parametrize("kind", ["random", "ties", "all-inf"])
@pytest.mark.parametrize("case", list(INDEX_CASES))
def test_indices_match_torch(backend, case, kind):
    dims, kwargs, shape = INDEX_CASES[case]
    _check_indices(backend, dims, kwargs, _inputs(kind, shape, "float64" if kind == "random" else "float32"))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_indices_with_nan_match_torch(backend, dims):
    # PyTorch points a window holding NaN at its last NaN
    x = np.random.default_rng(3).integers(0, 3, (1, 2) + (6,) * dims).astype(np.float32)
    x.reshape(-1)[::5] = np.nan
    x.reshape(-1)[1::7] = np.nan
    _check_indices(backend, dims, dict(kernel_size=3, stride=2, padding=1, ceil_mode=True), x)


@pytest.mark.parametrize("case", ["1d-pad-ceil", "2d-dilation-ceil", "2d-overlap-ceil", "3d-mixed"])
def test_values_and_gradient_with_indices(backend, case):
    dims, kwargs, shape = INDEX_CASES[case]
    ours, theirs = POOLS[dims]
    x = np.random.default_rng(0).permutation(int(np.prod(shape))).reshape(shape) * 0.1  # no near-ties
    check_gradients(backend, lambda t: ours(t, return_indices=True, **kwargs)[0], x)
    compare_with_torch(backend, lambda t: ours(t, return_indices=True, **kwargs)[0],
                       lambda t: theirs(t, return_indices=True, **kwargs)[0], x)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_pool_modules_return_indices(backend, dims):
    layer, torch_layer = {1: (MaxPool1d, torch.nn.MaxPool1d), 2: (MaxPool2d, torch.nn.MaxPool2d),
                          3: (MaxPool3d, torch.nn.MaxPool3d)}[dims]
    x = np.random.default_rng(1).integers(0, 4, (2, 2) + (7,) * dims).astype(np.float32)
    out, indices = layer(3, stride=2, padding=1, return_indices=True)(make(backend, x))
    ref, ref_indices = torch_layer(3, stride=2, padding=1, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())
    assert "return_indices=True" in repr(layer(2, return_indices=True))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_max_pool3d_module_matches_torch(backend, dtype):
    x = np.random.default_rng(0).standard_normal((2, 2, 5, 6, 5)).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    compare_module_with_torch(backend, MaxPool3d((3, 2, 3), stride=(2, 1, 2), padding=1, ceil_mode=True),
                              torch.nn.MaxPool3d((3, 2, 3), stride=(2, 1, 2), padding=1, ceil_mode=True), x, **tol)


# (spatial dims, unpooling arguments, pooled input shape, output_size or None); the indices come from a
# PyTorch max pool with the same kernel, stride and padding over an input of the unpooled size
UNPOOL_CASES = {
    "1d": (1, dict(kernel_size=2), (2, 3, 4), None),
    "1d-pad-size": (1, dict(kernel_size=3, stride=2, padding=1), (2, 2, 4), (8,)),
    "2d": (2, dict(kernel_size=2), (2, 3, 3, 2), None),
    "2d-pad": (2, dict(kernel_size=3, stride=2, padding=1), (1, 2, 3, 4), None),
    "2d-full-size": (2, dict(kernel_size=(2, 3), stride=(2, 3)), (2, 1, 3, 2), (2, 1, 7, 7)),
    "2d-unbatched": (2, dict(kernel_size=2), (3, 2, 3), None),
    "3d": (3, dict(kernel_size=2), (1, 2, 2, 3, 2), None),
    "3d-pad-size": (3, dict(kernel_size=(3, 2, 3), stride=(2, 2, 1), padding=(1, 0, 1)), (1, 2, 3, 2, 4),
                    (6, 5, 4)),
}


def _unpool_inputs(dims, kwargs, shape, output_size):
    """Values (float64) and valid int64 indices for ``shape``, taken from a PyTorch max pool."""
    _, unpool = UNPOOLS[dims]
    rng = np.random.default_rng(5)
    size = unpool(torch.zeros(shape), torch.zeros(shape, dtype=torch.int64), output_size=output_size,
                  **kwargs).shape
    source = torch.tensor(rng.standard_normal(tuple(size)))
    _, indices = POOLS[dims][1](source, return_indices=True, **kwargs)
    assert tuple(indices.shape) == shape
    return rng.standard_normal(shape), indices.numpy()


@pytest.mark.parametrize("case", list(UNPOOL_CASES))
def test_unpool_matches_torch(backend, case):
    dims, kwargs, shape, output_size = UNPOOL_CASES[case]
    ours, theirs = UNPOOLS[dims]
    values, indices = _unpool_inputs(dims, kwargs, shape, output_size)
    compare_with_torch(backend, lambda v, i: ours(v, i, output_size=output_size, **kwargs),
                       lambda v, i: theirs(v, i, output_size=output_size, **kwargs), values, indices,
                       differentiable=[True, False])


@pytest.mark.parametrize("case", ["1d", "2d-full-size", "3d"])  # disjoint windows: no repeated index
def test_unpool_grad_check(backend, case):
    dims, kwargs, shape, output_size = UNPOOL_CASES[case]
    values, indices = _unpool_inputs(dims, kwargs, shape, output_size)
    check_gradients(backend, lambda v, i: UNPOOLS[dims][0](v, i, output_size=output_size, **kwargs), values,
                    indices)


def test_unpool_repeated_indices_last_value_wins(backend):
    values = np.arange(1.0, 9.0).reshape(2, 1, 4)
    indices = np.array([[[2, 2, 0, 2]], [[1, 3, 3, 0]]], dtype=np.int64)
    out = max_unpool1d(make(backend, values), make(backend, indices), 2).numpy()
    ref = TF.max_unpool1d(torch.tensor(values), torch.tensor(indices), 2).numpy()
    np.testing.assert_array_equal(out, ref)
    np.testing.assert_array_equal(out[0, 0, :4], [3.0, 0.0, 4.0, 0.0])


@pytest.mark.parametrize("case", ["1d-pad-ceil", "2d-overlap-ceil", "2d-odd", "3d-pad-ceil"])
def test_round_trip_pool_unpool(backend, case):
    # ties and overlapping windows: the same maximum lands on one position from several windows
    dims, kwargs, shape = INDEX_CASES[case]
    x = np.random.default_rng(2).integers(0, 3, shape).astype(np.float64)
    unpool_kwargs = {k: kwargs[k] for k in ("kernel_size", "stride", "padding") if k in kwargs}
    size = shape[-dims:]

    def ours(t):
        out, indices = POOLS[dims][0](t, return_indices=True, **kwargs)
        return UNPOOLS[dims][0](out, indices, output_size=size, **unpool_kwargs)

    def theirs(t):
        out, indices = POOLS[dims][1](t, return_indices=True, **kwargs)
        return UNPOOLS[dims][1](out, indices, output_size=size, **unpool_kwargs)

    compare_with_torch(backend, ours, theirs, x)
    kept = ours(make(backend, x)).numpy()
    assert np.all((kept == 0) | (kept == x))


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_unpool_modules_match_torch(backend, dims):
    pool, unpool, torch_pool, torch_unpool = {
        1: (MaxPool1d, MaxUnpool1d, torch.nn.MaxPool1d, torch.nn.MaxUnpool1d),
        2: (MaxPool2d, MaxUnpool2d, torch.nn.MaxPool2d, torch.nn.MaxUnpool2d),
        3: (MaxPool3d, MaxUnpool3d, torch.nn.MaxPool3d, torch.nn.MaxUnpool3d)}[dims]
    for side, output_size in ((5, (2, 3) + (5,) * dims), (4, None)):  # odd sizes need output_size
        x = np.random.default_rng(4).standard_normal((2, 3) + (side,) * dims)
        out, indices = pool(2, return_indices=True)(make(backend, x))
        ref, ref_indices = torch_pool(2, return_indices=True)(torch.tensor(x))
        np.testing.assert_array_equal(unpool(2)(out, indices, output_size=output_size).numpy(),
                                      torch_unpool(2)(ref, ref_indices, output_size=output_size).numpy())
    assert repr(unpool(2)) == repr(torch_unpool(2))  # kernel_size=(2, 2), ... as PyTorch keeps tuples


def test_unpool_errors():
    x = anynn.tensor(np.ones((1, 1, 2, 2), np.float32))
    good = anynn.tensor(np.zeros((1, 1, 2, 2), np.int64))
    with pytest.raises(ValueError, match=r"max_unpool2d: expected indices of the input's shape \(1, 1, 2, 2\), "
                                         r"got indices of shape \(1, 1, 2, 1\)"):
        max_unpool2d(x, anynn.tensor(np.zeros((1, 1, 2, 1), np.int64)), 2)
    with pytest.raises(ValueError, match=r"MaxUnpool2d: expected indices of the input's shape .*\(4,\)"):
        MaxUnpool2d(2)(x, anynn.tensor(np.zeros(4, np.int64)))
    with pytest.raises(TypeError, match="max_unpool2d: expected integer indices.*float32"):
        max_unpool2d(x, anynn.tensor(np.zeros((1, 1, 2, 2), np.float32)), 2)
    with pytest.raises(TypeError, match="max_unpool1d: expected anynn Tensors.*numpy.ndarray"):
        max_unpool1d(anynn.tensor(np.ones((1, 2), np.float32)), np.zeros((1, 2), np.int64), 2)
    with pytest.raises(IndexError, match=r"max_unpool2d: index 16 is out of range for output planes of shape "
                                         r"\(4, 4\) \(expected 0 <= index < 16\)"):
        max_unpool2d(x, anynn.tensor(np.array([[[[0, 1], [2, 16]]]], np.int64)), 2)
    with pytest.raises(IndexError, match="index -1 is out of range"):
        max_unpool2d(x, anynn.tensor(np.full((1, 1, 2, 2), -1, np.int64)), 2)
    with pytest.raises(ValueError, match=r"max_unpool2d: invalid output_size \(6, 4\): size 0 must be between 2 "
                                         r"and 6"):
        max_unpool2d(x, good, 2, output_size=(6, 4))
    with pytest.raises(ValueError, match="max_unpool2d: output_size must hold 2 \\(or 4\\) sizes"):
        max_unpool2d(x, good, 2, output_size=(4, 4, 4))
    with pytest.raises(ValueError, match="MaxUnpool3d: expected input of shape"):
        MaxUnpool3d(2)(x[0], good[0])
    with pytest.raises(ValueError, match="max_unpool3d: expected an input with at least 4 dimensions"):
        max_unpool3d(x[0, 0], good[0, 0], 2)
    with pytest.raises(ValueError, match="max_unpool2d: kernel_size must be an int or a pair of ints"):
        max_unpool2d(x, good, (2, 2, 2))


def test_max_pool3d_errors():
    x = anynn.tensor(np.zeros((1, 1, 4, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"MaxPool3d: expected input of shape \(N, C, D, H, W\)"):
        MaxPool3d(2)(anynn.tensor(np.zeros((4, 4, 4), np.float32)))
    with pytest.raises(ValueError, match="max_pool3d: kernel_size must be an int or a 3-tuple of ints"):
        max_pool3d(x, (2, 2))
    with pytest.raises(ValueError, match="at most half the kernel"):
        max_pool3d(x, 2, padding=(0, 2, 0))
    with pytest.raises(ValueError, match="smaller than the kernel"):
        max_pool3d(x, (5, 2, 2))


# -- max pooling with indices and unpooling, seeded fuzzing -------------------------------------------


FUZZ_POOLS = {1: (pool_layers.MaxPool1d, torch.nn.MaxPool1d, pool_layers.MaxUnpool1d, torch.nn.MaxUnpool1d),
         2: (pool_layers.MaxPool2d, torch.nn.MaxPool2d, pool_layers.MaxUnpool2d, torch.nn.MaxUnpool2d),
         3: (pool_layers.MaxPool3d, torch.nn.MaxPool3d, pool_layers.MaxUnpool3d, torch.nn.MaxUnpool3d)}


def _pool_config(rng: np.random.Generator, dims: int) -> tuple[Any, dict[str, Any], tuple[int, ...]]:
    def spatial(low: int, high: int) -> Any:
        v = tuple(int(rng.integers(low, high)) for _ in range(dims))
        return v[0] if rng.random() < 0.3 else v

    kernel = spatial(1, 4)
    kwargs = dict(stride=None if rng.random() < 0.2 else spatial(1, 4), padding=spatial(0, 2),
                  dilation=spatial(1, 3), ceil_mode=bool(rng.random() < 0.5))
    shape = ((2,) if rng.random() < 0.7 else ()) + (int(rng.integers(1, 3)),) + tuple(
        int(rng.integers(1, 7)) for _ in range(dims))
    return kernel, kwargs, shape


def _single_writer_positions(index: np.ndarray, out_shape: tuple[int, ...], dims: int) -> np.ndarray:
    """A boolean mask of the unpooled output: True where at most one pooled value points."""
    plane = int(np.prod(out_shape[-dims:]))
    flat = index.reshape(-1, int(np.prod(index.shape[-dims:])))
    counts = np.stack([np.bincount(row, minlength=plane)[:plane] for row in flat]) if flat.size else \
        np.zeros((flat.shape[0], plane), np.int64)
    return counts.reshape(out_shape) <= 1


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_pool_indices_and_unpool_fuzz(backend, dims):
    pool_ours, pool_theirs, unpool_ours, unpool_theirs = FUZZ_POOLS[dims]
    rng = np.random.default_rng(10 + dims)
    for i in range(fuzz_count(backend, 60)):
        kernel, kwargs, shape = _pool_config(rng, dims)
        dtype = "float32" if i % 5 == 4 else "float64"
        # integers make ties (first maximum wins); a NaN now and then (its window points at its last NaN)
        x = (rng.integers(-2, 3, size=shape) if i % 3 == 0 else rng.standard_normal(shape)).astype(dtype)
        if i % 7 == 0:
            x.reshape(-1)[int(rng.integers(0, x.size))] = np.nan
        what = (dims, kernel, kwargs, shape, dtype)
        xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
        got = run_both(partial(build_and_call, pool_ours, kernel, dict(kwargs, return_indices=True), xa),
                    partial(build_and_call, pool_theirs, kernel, dict(kwargs, return_indices=True), xt), what)
        if got is None:
            continue
        (out, index), (ref, ref_index) = got
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), err_msg=str(what), **FUZZ_TOL[dtype])
        np.testing.assert_array_equal(index.numpy(), ref_index.numpy(), err_msg=f"{what}: indices")
        if np.isneginf(ref.detach().numpy()).any():
            continue  # a window all in the padding: PyTorch's backward writes outside the input there
        w = rng.standard_normal(tuple(ref.shape)).astype(dtype)
        project(out, w, backend).backward()
        (ref * torch.tensor(w)).sum().backward()
        compare_grads([(xa, xt)], dtype, what)
        # unpool what was pooled, at the default size or at the pooled input's (spatial or full) size
        unpool_kwargs = dict(stride=kwargs["stride"], padding=kwargs["padding"])
        size = [None, list(shape[-dims:]), list(shape)][i % 3]
        y = rng.standard_normal(tuple(ref.shape)).astype(dtype)
        ya, yt = make(backend, y, requires_grad=True), torch.tensor(y, requires_grad=True)
        got = run_both(partial(build_and_call, unpool_ours, kernel, unpool_kwargs, ya, index, output_size=size),
                    partial(build_and_call, unpool_theirs, kernel, unpool_kwargs, yt, ref_index, output_size=size),
                    what, torch_empty_ok=True)
        if got is None:
            continue
        out, ref = got
        # where several pooled values share an index, PyTorch's CPU kernel writes them from several threads, so
        # which one lands depends on the thread count: compare the positions with at most one writer
        single = _single_writer_positions(ref_index.numpy(), tuple(ref.shape), dims)
        np.testing.assert_array_equal(out.numpy()[single], ref.detach().numpy()[single],
                                      err_msg=f"{what}: unpool {size}")
        w = rng.standard_normal(tuple(ref.shape)).astype(dtype)
        project(out, w, backend).backward()
        (ref * torch.tensor(w)).sum().backward()
        compare_grads([(ya, yt)], dtype, f"{what}: unpool {size}")


@pytest.mark.parametrize("fn, tfn, shape, kwargs", [
    (max_pool1d, torch.nn.functional.max_pool1d, (2, 1), dict(kernel_size=2, stride=3, padding=1, dilation=2,
                                                              ceil_mode=True)),
    (max_pool2d, torch.nn.functional.max_pool2d, (2, 1, 1, 4), dict(kernel_size=2, stride=(2, 3), padding=1,
                                                                    dilation=2)),
    (max_pool2d, torch.nn.functional.max_pool2d, (2, 1, 5, 1), dict(kernel_size=2, padding=1, dilation=(1, 2),
                                                                    ceil_mode=True)),
    (max_pool3d, torch.nn.functional.max_pool3d, (2, 5, 1, 3), dict(kernel_size=2, padding=(0, 1, 1), dilation=2)),
])
def test_max_pool_index_of_window_all_in_padding(backend, fn, tfn, shape, kwargs):
    # dilation lets a window hold padding only: -inf, and PyTorch's index is the window's first position
    # at or past 0 on each axis (which may lie past the input's end)
    x = np.random.default_rng(0).standard_normal(shape)
    out, index = fn(make(backend, x), return_indices=True, **kwargs)
    ref, ref_index = tfn(torch.tensor(x), return_indices=True, **kwargs)
    assert np.isneginf(ref.numpy()).any()
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(index.numpy(), ref_index.numpy())


@pytest.mark.parametrize("return_indices", [False, True])
def test_max_pool_gradient_goes_to_last_nan(backend, return_indices):
    x = np.array([[[1.0, np.nan, 0.5, 2.0, -1.0, np.nan, np.nan, 3.0]]])
    xa, xt = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out = max_pool1d(xa, 3, 1, 1, return_indices=return_indices)
    ref = torch.nn.functional.max_pool1d(xt, 3, 1, 1, return_indices=return_indices)
    out, ref = (out[0], ref[0]) if return_indices else (out, ref)
    np.testing.assert_array_equal(out.numpy(), ref.detach().numpy())
    w = np.arange(1.0, 1.0 + ref.shape[-1])[None, None]
    project(out, w, backend).backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_array_equal(xa.grad.numpy(), xt.grad.numpy())


# -- AvgPool3d, AdaptiveAvgPool3d, AdaptiveMaxPool1d/2d, LPPool1d/2d ----------------------------------


# (name, anynn layer, PyTorch layer, input shape, positive input)
LAYER_CASES = [
    ("avg3d", lambda: nn.AvgPool3d(2), lambda: torch.nn.AvgPool3d(2), (2, 3, 4, 5, 6), False),
    ("avg3d-options", lambda: nn.AvgPool3d((3, 2, 3), (2, 1, 2), 1, True, False),
     lambda: torch.nn.AvgPool3d((3, 2, 3), (2, 1, 2), 1, True, False), (2, 3, 5, 5, 6), False),
    ("avg3d-divisor", lambda: nn.AvgPool3d((3, 2, 2), 1, 1, divisor_override=5),
     lambda: torch.nn.AvgPool3d((3, 2, 2), 1, 1, divisor_override=5), (3, 5, 4, 6), False),
    # divisor_override with ceil mode (a window clipped at the end) and with count_include_pad=False
    ("avg3d-divisor-ceil", lambda: nn.AvgPool3d(2, 2, 1, True, True, 3),
     lambda: torch.nn.AvgPool3d(2, 2, 1, True, True, 3), (1, 2, 4, 5, 3), False),
    ("avg3d-divisor-exclude-pad", lambda: nn.AvgPool3d((2, 3, 2), 1, (1, 1, 0), False, False, 4),
     lambda: torch.nn.AvgPool3d((2, 3, 2), 1, (1, 1, 0), False, False, 4), (2, 3, 4, 2), False),
    ("adaptive-avg3d", lambda: nn.AdaptiveAvgPool3d((2, None, 3)), lambda: torch.nn.AdaptiveAvgPool3d((2, None, 3)),
     (2, 3, 5, 4, 7), False),
    ("adaptive-max1d", lambda: nn.AdaptiveMaxPool1d(3), lambda: torch.nn.AdaptiveMaxPool1d(3), (2, 3, 7), False),
    ("adaptive-max2d", lambda: nn.AdaptiveMaxPool2d((3, 2)), lambda: torch.nn.AdaptiveMaxPool2d((3, 2)),
     (2, 3, 7, 5), False),
    ("adaptive-max2d-up", lambda: nn.AdaptiveMaxPool2d((5, None)), lambda: torch.nn.AdaptiveMaxPool2d((5, None)),
     (3, 3, 4), False),
    ("adaptive-max3d", lambda: nn.AdaptiveMaxPool3d((2, None, 3)), lambda: torch.nn.AdaptiveMaxPool3d((2, None, 3)),
     (2, 3, 5, 4, 7), False),
    ("adaptive-max3d-up", lambda: nn.AdaptiveMaxPool3d((3, 2, 4)), lambda: torch.nn.AdaptiveMaxPool3d((3, 2, 4)),
     (2, 2, 3, 3), False),
    ("lp1d", lambda: nn.LPPool1d(2, 3, 2), lambda: torch.nn.LPPool1d(2, 3, 2), (2, 3, 8), True),
    ("lp2d", lambda: nn.LPPool2d(3, (2, 3), ceil_mode=True), lambda: torch.nn.LPPool2d(3, (2, 3), ceil_mode=True),
     (2, 3, 5, 7), True),
    # p = ±inf: PyTorch max-pools |x| (x^inf would give 1 or 0 through the power average)
    ("lp1d-inf", lambda: nn.LPPool1d(float("inf"), 3, 2), lambda: torch.nn.LPPool1d(float("inf"), 3, 2),
     (2, 3, 8), False),
    ("lp2d-minus-inf", lambda: nn.LPPool2d(-float("inf"), 2, ceil_mode=True),
     lambda: torch.nn.LPPool2d(-float("inf"), 2, ceil_mode=True), (2, 3, 5, 7), False),
    ("lp3d", lambda: nn.LPPool3d(2, (2, 3, 2), (1, 2, 2)), lambda: torch.nn.LPPool3d(2, (2, 3, 2), (1, 2, 2)),
     (2, 2, 3, 5, 4), True),
    ("lp3d-ceil-unbatched", lambda: nn.LPPool3d(1.5, 2, ceil_mode=True),
     lambda: torch.nn.LPPool3d(1.5, 2, ceil_mode=True), (2, 3, 5, 3), True),
    ("lp3d-inf", lambda: nn.LPPool3d(float("inf"), 2, 1), lambda: torch.nn.LPPool3d(float("inf"), 2, 1),
     (1, 2, 3, 3, 3), False),
]


@pytest.mark.parametrize("name, ours, theirs, shape, positive", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_layer_matches_torch(backend, rng, name, ours, theirs, shape, positive):
    layer_case_matches_torch(backend, rng, ours, theirs, shape, positive)


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_adaptive_max_pool_indices(backend, rng, dims):
    shape, size = {1: ((2, 3, 9), 4), 2: ((2, 3, 7, 6), (3, 4)), 3: ((2, 2, 5, 3, 6), (2, 4, 3))}[dims]
    x = rng.standard_normal(shape)
    out, indices = getattr(nn, f"AdaptiveMaxPool{dims}d")(size, return_indices=True)(make(backend, x))
    ref, ref_indices = getattr(torch.nn, f"AdaptiveMaxPool{dims}d")(size, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())
    assert indices.dtype == anynn.int64 and not indices.requires_grad


@pytest.mark.parametrize("dims", [1, 2, 3])
def test_max_pool_of_booleans_is_their_any_on_every_backend(backend, dims):
    """Boolean input is computed (a documented difference: PyTorch has no bool kernel): each window's any(), with
    the indices PyTorch gives the same values as floats. array_api_strict refused ("Only real numeric dtypes are
    allowed in maximum")."""
    shape = (1, 2) + (5,) * dims
    values = np.random.default_rng(dims).random(shape) > 0.7
    pool = getattr(anynn.functional, f"max_pool{dims}d")
    out, indices = pool(make(backend, values), 2, return_indices=True)
    ref, ref_indices = getattr(TF, f"max_pool{dims}d")(torch.tensor(values).float(), 2, return_indices=True)
    assert out.dtype == anynn.bool
    np.testing.assert_array_equal(out.numpy(), ref.bool().numpy())
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())


@pytest.mark.parametrize("shape", [(2, 3, 0, 5), (2, 0, 4, 4), (3, 0, 4), (0, 3, 4, 4)], ids=str)
def test_adaptive_max_pool_of_an_empty_window_is_refused_as_torch(backend, shape):
    """An empty non-batch axis has no maximum: PyTorch's error (NumPy's "cannot reshape array of size 0" before);
    an empty batch gives an empty result."""
    try:
        expected = torch.nn.functional.adaptive_max_pool2d(torch.zeros(shape), 2)
    except RuntimeError as error:
        with pytest.raises(ValueError, match=f"^{re.escape(str(error))}$"):
            anynn.functional.adaptive_max_pool2d(make(backend, np.zeros(shape)), 2)
    else:
        assert anynn.functional.adaptive_max_pool2d(make(backend, np.zeros(shape)), 2).shape == expected.shape


@pytest.mark.parametrize("name,output_size,shape", [
    ("adaptive_avg_pool2d", (0, 2), (1, 2, 4, 4)), ("adaptive_max_pool1d", 0, (1, 2, 4)),
    ("adaptive_avg_pool3d", (2, 0, 2), (1, 2, 4, 4, 4)), ("adaptive_avg_pool2d", 1, (1, 2, 0, 4)),
    ("adaptive_avg_pool2d", 2, (2, 0, 4)), ("adaptive_avg_pool3d", 2, (1, 2, 0, 4, 4)),
], ids=str)
def test_adaptive_pools_to_size_0_or_of_an_empty_window_as_torch(backend, name, output_size, shape):
    """An output size of 0 gives an empty result and an empty window to size 1 the mean of nothing (NaN), as
    PyTorch's (anynn refused 0, and an empty axis raised NumPy's IndexError); other empty windows are PyTorch's
    RuntimeError."""
    try:
        ref = getattr(TF, name)(torch.zeros(shape), output_size)
    except RuntimeError as error:
        with pytest.raises(RuntimeError, match=re.escape(str(error).split(", but")[0])):
            getattr(anynn.functional, name)(make(backend, np.zeros(shape, np.float32)), output_size)
        return
    x = make(backend, np.zeros(shape, np.float32), requires_grad=True)
    got = getattr(anynn.functional, name)(x, output_size)
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    got.sum().backward()  # (PyTorch's backward refuses these; anynn's gives zeros)
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(shape, np.float32))


WITH_INDICES = [  # PyTorch's *_with_indices spellings: (name, positional arguments after the input, input shape)
    ("max_pool1d_with_indices", (3, 2, 1), (2, 3, 9)),
    ("max_pool2d_with_indices", ((2, 3), 1, (1, 0), 1, True), (1, 2, 5, 6)),
    ("max_pool3d_with_indices", (2,), (1, 2, 4, 4, 4)),
    ("adaptive_max_pool1d_with_indices", (4,), (2, 3, 9)),
    ("adaptive_max_pool2d_with_indices", ((3, 4),), (2, 3, 7, 6)),
    ("adaptive_max_pool3d_with_indices", ((2, 3, 2),), (1, 2, 5, 4, 3)),
]


@pytest.mark.parametrize("name, args, shape", WITH_INDICES, ids=[c[0] for c in WITH_INDICES])
def test_with_indices_spellings_match_torch(backend, name, args, shape):
    """Always ``(out, indices)``, even with ``return_indices=False`` (as PyTorch's); gradients through ``out``."""
    x = np.random.default_rng(5).permutation(int(np.prod(shape))).reshape(shape) * 0.1  # no near-ties
    ours, theirs = getattr(anynn.nn.functional, name), getattr(TF, name)
    out, indices = ours(make(backend, x), *args, return_indices=False)
    ref, ref_indices = theirs(torch.tensor(x), *args, return_indices=False)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())
    assert indices.dtype == anynn.int64 and not indices.requires_grad
    compare_with_torch(backend, lambda t: ours(t, *args)[0], lambda t: theirs(t, *args)[0], x)
    check_gradients(backend, lambda t: ours(t, *args)[0], x)


FUNCTION_CASES = [
    # [2] is (2, 2, 2) as PyTorch expands a 1-sequence (EfficientNet's blocks spell stride=[1])
    ("avg_pool3d", lambda f: lambda x: f.avg_pool3d(x, [2], 1, [1], False, False), (1, 2, 3, 3, 3)),
    ("adaptive_avg_pool3d", lambda f: lambda x: f.adaptive_avg_pool3d(x, 2), (1, 2, 3, 4, 3)),
    ("adaptive_max_pool2d", lambda f: lambda x: f.adaptive_max_pool2d(x, (2, 3)), (1, 2, 5, 4)),
    ("adaptive_max_pool1d", lambda f: lambda x: f.adaptive_max_pool1d(x, 2), (2, 5)),
    ("lp_pool2d", lambda f: lambda x: f.lp_pool2d(x * x + 0.5, 2.5, 2), (1, 2, 4, 4)),
    ("lp_pool1d", lambda f: lambda x: f.lp_pool1d(x * x + 0.5, 1.5, 2, 1), (1, 2, 5)),
    ("max_pool2d-one-sequences", lambda f: lambda x: f.max_pool2d(x, [2], [1], [1]), (1, 2, 4, 3)),
    ("adaptive_max_pool3d", lambda f: lambda x: f.adaptive_max_pool3d(x, (2, 3, 2)), (1, 2, 3, 4, 3)),
    ("adaptive_max_pool3d-unbatched", lambda f: lambda x: f.adaptive_max_pool3d(x, (1, None, 2)), (2, 2, 3, 3)),
    ("lp_pool3d", lambda f: lambda x: f.lp_pool3d(x * x + 0.5, 2.5, (2, 1, 2), 1), (1, 2, 3, 2, 3)),
]


@pytest.mark.parametrize("name, fn, shape", FUNCTION_CASES, ids=[c[0] for c in FUNCTION_CASES])
def test_function_matches_torch_and_gradient_check(backend, rng, name, fn, shape):
    function_case_matches_torch(backend, rng, fn, shape)


# -- FractionalMaxPool2d / 3d: PyTorch's windows for the same _random_samples ---------------------------------
# (name, F function, input shape, kernel_size, output_size, output_ratio)
FRACTIONAL_CASES = [
    ("2d", "fractional_max_pool2d", (2, 3, 9, 8), (2, 3), (5, 4), None),
    ("2d-ratio", "fractional_max_pool2d", (2, 2, 10, 7), 2, None, (0.5, 0.7)),
    ("2d-unbatched", "fractional_max_pool2d", (3, 7, 6), 3, 4, None),
    ("2d-one-window", "fractional_max_pool2d", (1, 2, 5, 4), 2, 1, None),
    ("2d-dense", "fractional_max_pool2d", (1, 2, 6, 6), 2, 5, None),
    ("3d", "fractional_max_pool3d", (2, 2, 7, 6, 5), (2, 3, 2), (4, 3, 3), None),
    ("3d-unbatched-ratio", "fractional_max_pool3d", (2, 6, 5, 8), 2, None, 0.5),
    ("3d-small", "fractional_max_pool3d", (1, 2, 4, 4, 5), 2, (2, 2, 3), None),
    ("2d-empty-output", "fractional_max_pool2d", (2, 3, 5, 1), (2, 1), None, (0.46, 0.36)),  # width 1 -> 0
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("case", FRACTIONAL_CASES, ids=[c[0] for c in FRACTIONAL_CASES])
def test_fractional_max_pool_matches_torch(backend, rng, case, dtype):
    _, name, shape, kernel, size, ratio = case
    rank = int(name[-2])
    x = rng.standard_normal(shape).astype(dtype)
    u = rng.uniform(0.0, 1.0, (shape[0] if len(shape) == rank + 2 else 1, shape[-rank - 1], rank)).astype(dtype)

    def pool(lib):
        return lambda t, s: getattr(lib, name)(t, kernel, size, ratio, _random_samples=s)

    tol = dict(rtol=1e-10, atol=1e-12) if dtype == "float64" else dict(rtol=1e-5, atol=1e-6)
    compare_with_torch(backend, pool(anynn.nn.functional), pool(TF), x, u, differentiable=[True, False], **tol)
    out, indices = getattr(anynn.nn.functional, name)(make(backend, x), kernel, size, ratio, True,
                                                      _random_samples=make(backend, u))
    ref, ref_indices = getattr(TF, name)(torch.tensor(x), kernel, size, ratio, True, _random_samples=torch.tensor(u))
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())
    assert indices.dtype == anynn.int64 and not indices.requires_grad
    # F.fractional_max_pool*d_with_indices: the pair whatever return_indices says (it was missing)
    out, indices = getattr(anynn.nn.functional, f"{name}_with_indices")(make(backend, x), kernel, size, ratio,
                                                                        _random_samples=make(backend, u))
    ref, ref_indices = getattr(TF, f"{name}_with_indices")(torch.tensor(x), kernel, size, ratio,
                                                           _random_samples=torch.tensor(u))
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    np.testing.assert_array_equal(indices.numpy(), ref_indices.numpy())
    if dtype == "float64" and x.size <= 200:  # central differences: one pair of calls per element
        check_gradients(backend, pool(anynn.nn.functional), x, u, differentiable=[True, False])


@pytest.mark.parametrize("rank", [2, 3])
def test_fractional_max_pool_layers_match_torch(backend, rng, rank):
    shape = (2, 3, 8, 7) if rank == 2 else (2, 3, 6, 7, 5)
    x = rng.standard_normal(shape)
    u = rng.uniform(0.0, 1.0, (2, 3, rank))
    ours = getattr(nn, f"FractionalMaxPool{rank}d")(2, output_ratio=0.6, _random_samples=make(backend, u))
    theirs = getattr(torch.nn, f"FractionalMaxPool{rank}d")(2, output_ratio=0.6, _random_samples=torch.tensor(u))
    compare_with_torch(backend, ours, theirs, x, rtol=1e-10, atol=1e-12)
    assert repr(ours) == repr(theirs)
    # without fixed samples: windows drawn anew on each call; every output is the maximum of some kernel window
    free = getattr(nn, f"FractionalMaxPool{rank}d")(2, output_size=3, return_indices=True)
    out, indices = free(make(backend, x))
    assert tuple(out.shape) == shape[:2] + (3,) * rank
    planes = x.reshape(6, -1)
    np.testing.assert_array_equal(out.numpy().reshape(6, -1), np.take_along_axis(planes, indices.numpy().reshape(6, -1),
                                                                                 axis=1))


@pytest.mark.parametrize("call", [
    lambda F, x, u: F.fractional_max_pool2d(x, 3, (6, 5)),  # window 3 at 6 positions needs 8 rows
    lambda F, x, u: F.fractional_max_pool2d(x, 8, 2),
    lambda F, x, u: F.fractional_max_pool2d(x, 2, 3, _random_samples=u[..., :1]),
    lambda F, x, u: F.fractional_max_pool2d(x, 2, 3, _random_samples=u[:1]),
    lambda F, x, u: F.fractional_max_pool2d(x, 2, 3, _random_samples=u.double()),
    lambda F, x, u: F.fractional_max_pool3d(x[None], (2, 1, 1), (2, 1, 1)),  # 3-D: out + k - 1 must stay below
], ids=["window-too-large", "kernel-too-large", "samples-columns", "samples-batch", "samples-dtype", "3d-strict"])
def test_fractional_max_pool_refuses_as_torch(call):
    x, u = np.ones((2, 3, 7, 6), np.float32), np.full((2, 3, 2), 0.5, np.float32)
    with pytest.raises(RuntimeError):
        call(TF, torch.tensor(x), torch.tensor(u))
    with pytest.raises(RuntimeError, match=r"fractional_max_pool[23]d"):
        call(anynn.nn.functional, make("numpy", x), make("numpy", u))


def test_fractional_max_pool_layer_arguments_refused_as_torch():
    for kwargs, message in [(dict(), "requires specifying either an output size, or a pooling ratio"),
                            (dict(output_size=2, output_ratio=0.5), "only one of output_size and output_ratio"),
                            (dict(output_ratio=1.5), "output_ratio must be between 0 and 1")]:
        for lib in (torch.nn, nn):
            with pytest.raises(ValueError, match=message):
                lib.FractionalMaxPool2d(2, **kwargs)


def test_errors_name_the_function():
    x = make("numpy", np.ones((1, 2, 3, 3), np.float32))
    with pytest.raises(ValueError, match="avg_pool3d"):
        nn.AvgPool3d(2)(x[0])
    with pytest.raises(TypeError, match="adaptive_max_pool2d"):
        nn.AdaptiveMaxPool2d(2)(make("numpy", np.ones((1, 3, 3), np.int64)))
    with pytest.raises(ValueError, match=r"AdaptiveMaxPool3d: expected input of shape \(N, C, D, H, W\) or "
                                         r"\(C, D, H, W\), got 3-D input of shape \(2, 3, 3\)"):
        nn.AdaptiveMaxPool3d(2)(x[0])
    with pytest.raises(ValueError, match=r"adaptive_max_pool3d: output_size must be an int or a 3-tuple, got \(2, 2\)"):
        nn.AdaptiveMaxPool3d((2, 2))(x[None])
    for name, size in itertools.product(("adaptive_avg_pool1d", "adaptive_max_pool1d"), (None, (None,))):
        with pytest.raises(TypeError):  # (a None size keeps the input's in 2-D and 3-D only)
            getattr(torch.nn.functional, name)(torch.ones(1, 2, 3), size)
        with pytest.raises(TypeError, match=rf"{name}\(\): argument 'output_size' must be an int or a tuple of ints"):
            getattr(anynn.nn.functional, name)(x[0], size)
    with pytest.raises(ValueError, match=r"LPPool3d: expected input of shape \(N, C, D, H, W\) or "
                                         r"\(C, D, H, W\), got 6-D input of shape \(1, 1, 1, 2, 3, 3\)"):
        nn.LPPool3d(2, 2)(x[None, None])
    with pytest.raises(ValueError, match=r"lp_pool3d: kernel_size must be an int or a 3-tuple of ints, got \(2, 2\)"):
        nn.LPPool3d(2, (2, 2))(x)


@pytest.mark.parametrize("name, args, kwargs", [("AvgPool3d", (3,), dict(padding=1)),
                                                 ("AvgPool3d", ((1, 2, 4),), dict(ceil_mode=True)),
                                                 ("LPPool3d", (2, (1, 2, 4)), dict(ceil_mode=True))])
def test_avg_pool3d_refuses_input_smaller_than_kernel_as_pytorch(name, args, kwargs):
    # PyTorch's avg_pool3d (and lp_pool3d over it) checks the unpadded input against the kernel, where padding or
    # ceil mode would otherwise give a non-empty output
    x = np.ones((1, 2, 3, 3), np.float64)
    with pytest.raises(RuntimeError, match="smaller than kernel size"):
        getattr(torch.nn, name)(*args, **kwargs)(torch.tensor(x))
    with pytest.raises(ValueError, match=r"avg_pool3d: input of spatial size \(2, 3, 3\) is smaller than the kernel"):
        getattr(nn, name)(*args, **kwargs)(make("numpy", x))


# -- input ranks: (N, C, *spatial) or (C, *spatial) only, as PyTorch -----------------------------------
RANK_LAYERS = {
    "AdaptiveMaxPool1d": (lambda lib: lib.AdaptiveMaxPool1d(2), 1),
    "AdaptiveMaxPool2d": (lambda lib: lib.AdaptiveMaxPool2d(2), 2),
    "LPPool1d": (lambda lib: lib.LPPool1d(2, 2), 1),
    "LPPool2d": (lambda lib: lib.LPPool2d(2, 2), 2),
    "AdaptiveMaxPool3d": (lambda lib: lib.AdaptiveMaxPool3d(2), 3),
    "LPPool3d": (lambda lib: lib.LPPool3d(2, 2), 3),
}


@pytest.mark.parametrize("name", RANK_LAYERS)
def test_an_extra_leading_dimension_is_refused_as_in_pytorch(backend, name):
    build, spatial = RANK_LAYERS[name]
    x = np.ones((1, 2, 3) + (4,) * spatial, np.float32)
    with pytest.raises(RuntimeError):
        build(torch.nn)(torch.tensor(x))
    with pytest.raises(ValueError, match=f"{name}: expected input of shape .*got {x.ndim}-D input"):
        build(anynn.nn)(make(backend, x))


@pytest.mark.parametrize("name", RANK_LAYERS)
@pytest.mark.parametrize("batched", [True, False])
def test_batched_and_unbatched_inputs_still_pool_as_pytorch(backend, name, batched):
    build, spatial = RANK_LAYERS[name]
    x = np.random.default_rng(0).random(((2,) if batched else ()) + (3,) + (4,) * spatial).astype(np.float32)
    got = build(anynn.nn)(make(backend, x))
    ref = build(torch.nn)(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


# -- the functions' ranks as PyTorch's: what it refuses is refused (naming the function), what it takes matches ------
RANK_FUNCTIONS = [  # (label, function name, arguments after the input)
    ("avg_pool1d", "avg_pool1d", (2,)), ("avg_pool2d", "avg_pool2d", (2,)), ("avg_pool3d", "avg_pool3d", (2,)),
    ("max_pool1d", "max_pool1d", (2,)), ("max_pool2d", "max_pool2d", (2,)), ("max_pool3d", "max_pool3d", (2,)),
    ("adaptive_max_pool1d", "adaptive_max_pool1d", (2,)), ("adaptive_max_pool2d", "adaptive_max_pool2d", (2,)),
    ("adaptive_avg_pool1d", "adaptive_avg_pool1d", (2,)), ("adaptive_avg_pool1d to 1", "adaptive_avg_pool1d", (1,)),
    ("adaptive_avg_pool2d", "adaptive_avg_pool2d", (2,)), ("adaptive_avg_pool2d to (None, 1)", "adaptive_avg_pool2d",
                                                           ((None, 1),)),
    ("adaptive_avg_pool2d to 1", "adaptive_avg_pool2d", (1,)),  # PyTorch's mean path: any rank from 2
    ("adaptive_avg_pool2d to (1, 1)", "adaptive_avg_pool2d", ((1, 1),)),  # ... from 3
    ("adaptive_avg_pool3d", "adaptive_avg_pool3d", (2,)), ("adaptive_avg_pool3d to 1", "adaptive_avg_pool3d", (1,)),
    ("adaptive_avg_pool3d to (1, 1, 1)", "adaptive_avg_pool3d", ((1, 1, 1),)),
    ("lp_pool1d", "lp_pool1d", (2, 2)), ("lp_pool2d", "lp_pool2d", (2, 2)), ("lp_pool3d", "lp_pool3d", (2, 2)),
    ("adaptive_max_pool3d", "adaptive_max_pool3d", (2,)),
]


@pytest.mark.parametrize("label,name,args", RANK_FUNCTIONS, ids=[r[0] for r in RANK_FUNCTIONS])
@pytest.mark.parametrize("ndim", [1, 2, 3, 4, 5, 6])
def test_functions_take_and_refuse_the_ranks_pytorch_does(backend, label, name, args, ndim):
    x = np.random.default_rng(ndim).random((3,) * ndim).astype(np.float32) + 0.5
    ref_input = torch.tensor(x, requires_grad=True)
    try:
        ref = getattr(torch.nn.functional, name)(ref_input, *args)
    except (RuntimeError, IndexError, ValueError):
        shape = re.escape(str(x.shape))
        with pytest.raises(ValueError, match=rf"{name}: expected .*got a {ndim}-D input of shape {shape}"):
            getattr(anynn.nn.functional, name)(make(backend, x), *args)
        return
    ours = make(backend, x, requires_grad=True)
    got = getattr(anynn.nn.functional, name)(ours, *args)
    np.testing.assert_allclose(got.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    weights = np.random.default_rng(0).random(tuple(ref.shape)).astype(np.float32)
    (ref * torch.tensor(weights)).sum().backward()
    (got * make(backend, weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), ref_input.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("output_size", [1, (1, 1), 2])
@pytest.mark.parametrize("ndim", [2, 3, 4, 5])
def test_adaptive_avg_pool2d_layer_takes_the_ranks_pytorch_does(backend, output_size, ndim):
    x = np.random.default_rng(0).random((3,) * ndim).astype(np.float32)
    try:
        ref = torch.nn.AdaptiveAvgPool2d(output_size)(torch.tensor(x))
    except (RuntimeError, IndexError, ValueError):
        with pytest.raises(ValueError, match="AdaptiveAvgPool2d: expected"):
            anynn.nn.AdaptiveAvgPool2d(output_size)(make(backend, x))
        return
    got = anynn.nn.AdaptiveAvgPool2d(output_size)(make(backend, x))
    np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name,output_size,shape", [
    ("adaptive_avg_pool1d", 3, (2, 3, 7)), ("adaptive_avg_pool1d", 9, (1, 2, 4)),
    ("adaptive_avg_pool2d", (2, 3), (1, 2, 5, 7)), ("adaptive_avg_pool3d", (2, 3, 2), (1, 2, 5, 4, 3)),
    ("adaptive_avg_pool2d", (3, 1), (1, 2, 6, 4)), ("adaptive_avg_pool3d", 1, (2, 2, 3, 4))  # equal windows
], ids=str)
def test_adaptive_avg_pool_keeps_an_inf_or_nan_in_its_window_as_torch(backend, name, output_size, shape):
    # averaging by matrix products spread it over the whole row (0 * inf = NaN); PyTorch's stays in its window
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    x.flat[1], x.flat[x.size // 2], x.flat[-2] = np.inf, np.nan, -np.inf
    got = getattr(anynn.nn.functional, name)(make(backend, x), output_size).numpy()
    ref = getattr(torch.nn.functional, name)(torch.tensor(x), output_size).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-5, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("name,shape,kwargs", [
    ("avg_pool1d", (1, 2, 7), dict(kernel_size=2)), ("avg_pool1d", (1, 2, 7), dict(kernel_size=3, stride=1, padding=1)),
    ("avg_pool1d", (2, 7), dict(kernel_size=3, padding=1, count_include_pad=False, ceil_mode=True)),
    ("avg_pool2d", (1, 2, 5, 5), dict(kernel_size=2, divisor_override=3)),
    ("avg_pool2d", (2, 5, 5), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ("avg_pool3d", (1, 2, 4, 5, 5), dict(kernel_size=2)),
    ("avg_pool3d", (1, 2, 4, 5, 5), dict(kernel_size=2, divisor_override=3)),
], ids=str)
def test_average_pools_of_int64_divide_toward_zero_as_torch(backend, name, shape, kwargs):
    # PyTorch pools int64 (alone among the integer dtypes) with integer division; the layers take it too
    x = np.random.default_rng(0).integers(-20, 20, shape)
    got = getattr(anynn.nn.functional, name)(make(backend, x), **kwargs)
    ref = getattr(torch.nn.functional, name)(torch.tensor(x), **kwargs)
    assert anynn.backend.dtype_name(got.dtype) == "int64" and ref.dtype == torch.int64
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    layer = {"avg_pool1d": "AvgPool1d", "avg_pool2d": "AvgPool2d", "avg_pool3d": "AvgPool3d"}[name]
    np.testing.assert_array_equal(getattr(anynn.nn, layer)(**kwargs)(make(backend, x)).numpy(),
                                  getattr(torch.nn, layer)(**kwargs)(torch.tensor(x)).numpy())
    with pytest.raises(TypeError, match=f"{name}: expected a floating-point input, got int32"):
        getattr(anynn.nn.functional, name)(make(backend, x.astype(np.int32)), **kwargs)  # PyTorch: not implemented
