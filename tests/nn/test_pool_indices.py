"""Max pooling with indices and max unpooling: indices, values and gradients against PyTorch, ties, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.functional.pool import max_pool1d, max_pool2d, max_pool3d
from anynn.functional.unpool import max_unpool1d, max_unpool2d, max_unpool3d
from anynn.nn.pool import MaxPool1d, MaxPool2d, MaxPool3d, MaxUnpool1d, MaxUnpool2d, MaxUnpool3d

from tests.helpers import check_gradients, compare_module_with_torch, compare_with_torch, make

TF = torch.nn.functional
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
    assert repr(unpool(2)) == f"MaxUnpool{dims}d(kernel_size=2, stride=2, padding=0)"


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
