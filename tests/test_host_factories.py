"""`anynn.host_factories` (torch.asarray, frombuffer, scalar_tensor, empty_strided, the signal windows) and the
top-level in-place twins (`anynn.functional.torch_inplace`), against PyTorch on every backend."""

from __future__ import annotations

import array

import numpy as np
import pytest
import torch

import anynn
from anynn.functional.torch_inplace import PYTORCH_NAMES, TWINS
from tests.helpers import make

WINDOWS = ["hann_window", "hamming_window", "blackman_window", "bartlett_window", "kaiser_window"]


@pytest.mark.parametrize("name", WINDOWS)
def test_windows_match_torch(backend, name):
    for length in (0, 1, 2, 7, 16):
        for periodic in (True, False):
            ours = getattr(anynn, name)(length, periodic, backend=backend)
            theirs = getattr(torch, name)(length, periodic)
            assert ours.backend == backend and ours.dtype == anynn.float32 and tuple(ours.shape) == (length,)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=2e-6, err_msg=f"{length} {periodic}")
    ours = getattr(anynn, name)(9, dtype=anynn.float64, backend=backend)
    np.testing.assert_allclose(ours.numpy(), getattr(torch, name)(9, dtype=torch.float64).numpy(), atol=1e-14)
    with pytest.raises(RuntimeError, match=f"{name} expects floating point dtypes"):
        getattr(anynn, name)(4, dtype=anynn.int64)
    with pytest.raises(RuntimeError, match="non-negative window length"):
        getattr(anynn, name)(-1)


def test_window_parameters_match_torch():
    np.testing.assert_allclose(anynn.hamming_window(8, False, 0.5, 0.5).numpy(),
                               torch.hamming_window(8, False, 0.5, 0.5).numpy(), atol=2e-7)
    np.testing.assert_allclose(anynn.kaiser_window(8, True, 5.0).numpy(), torch.kaiser_window(8, True, 5.0).numpy(),
                               atol=2e-6)
    assert anynn.hann_window(4, requires_grad=True).requires_grad


def test_asarray_shares_copies_and_converts_as_torch(backend):
    host = np.arange(3.0)
    for obj in ([1, 2], [1.0, 2.5], 3.0, 7, True, np.float64(2.0), host, np.arange(3, dtype=np.int32)):
        ours, theirs = anynn.asarray(obj, backend=backend), torch.asarray(obj)
        assert ours.numpy().dtype == theirs.numpy().dtype and ours.backend == backend, obj
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    shared = anynn.asarray(host)
    copied = anynn.asarray(host, copy=True)
    host[0] = 9.0
    assert shared.numpy()[0] == torch.asarray(host).numpy()[0] == 9.0 and copied.numpy()[0] == 0.0
    for lib in (anynn, torch):
        with pytest.raises((ValueError, RuntimeError), match="can't alias"):
            lib.asarray(host, dtype=lib.float32, copy=False)
    assert anynn.asarray(np.zeros(2), dtype=anynn.float32).dtype == anynn.float32
    x = make(backend, host, requires_grad=True)
    assert anynn.asarray(x) is x
    y = anynn.asarray(x, copy=True)
    assert y is not x and y.requires_grad and y.grad_fn is not None  # a clone in the graph, as torch
    (y * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    assert anynn.asarray(x, dtype=anynn.float32).dtype == anynn.float32
    assert anynn.asarray(x, requires_grad=False).requires_grad is False
    with pytest.raises(ValueError, match="can't alias tensor with dtype 'float64' into dtype 'float32'"):
        anynn.asarray(x, dtype=anynn.float32, copy=False)


def test_frombuffer_scalar_tensor_and_empty_strided_as_torch(backend):
    raw = bytearray(np.arange(6, dtype=np.int16).tobytes())
    for kwargs in ({}, {"count": 3}, {"offset": 4}, {"count": 2, "offset": 2}):
        ours = anynn.frombuffer(raw, dtype=anynn.int16, backend=backend, **kwargs)
        theirs = torch.frombuffer(raw, dtype=torch.int16, **kwargs)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == anynn.int16 and ours.backend == backend
    floats = array.array("f", [1.5, 2.5])
    np.testing.assert_array_equal(anynn.frombuffer(floats, dtype=anynn.float32).numpy(),
                                  torch.frombuffer(floats, dtype=torch.float32).numpy())
    shared = anynn.frombuffer(raw, dtype=anynn.int16)
    raw[0] = 7
    assert shared.numpy()[0] == 7  # the NumPy backend shares the buffer, as torch.frombuffer
    for value in (3, 2.5, True):
        ours, theirs = anynn.scalar_tensor(value, backend=backend), torch.scalar_tensor(value)
        assert ours.ndim == 0 and ours.numpy().dtype == theirs.numpy().dtype and ours.item() == theirs.item()
    assert anynn.scalar_tensor(2, dtype=anynn.int64).dtype == anynn.int64
    made = anynn.empty_strided((2, 3), (1, 2), dtype=anynn.float64, backend=backend)
    assert tuple(made.shape) == tuple(torch.empty_strided((2, 3), (1, 2)).shape) and made.dtype == anynn.float64
    with pytest.raises(RuntimeError, match="mismatch in length of strides and shape"):
        anynn.empty_strided((2, 3), (1,))
    made = anynn.empty_permuted((2, 3, 4), (0, 2, 1), backend=backend)
    assert tuple(made.shape) == tuple(torch.empty_permuted((2, 3, 4), (0, 2, 1)).shape) and made.backend == backend
    with pytest.raises(RuntimeError, match="not a permutation"):
        anynn.empty_permuted((2, 3), (0, 0))


@pytest.mark.filterwarnings("ignore:torch.range is deprecated")
def test_range_is_torchs_inclusive_range(backend):
    for args in ((0, 1, 0.25), (1, 4), (5, 1, -2), (0.5, 2.2, 0.5)):
        ours, theirs = anynn.range(*args, backend=backend), torch.range(*args)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())
        assert ours.dtype == anynn.float32 and ours.backend == backend
    assert anynn.range(0, 3, dtype=anynn.int64).dtype == anynn.int64
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        anynn.range(0, 1)
    for lib in (anynn, torch):
        with pytest.raises(RuntimeError, match="upper bound and lower bound inconsistent with step sign"):
            lib.range(0, 1, -1)


def test_inplace_twins_write_as_torch(backend):
    assert set(TWINS) <= set(PYTORCH_NAMES) and len(TWINS) >= len(PYTORCH_NAMES) - 2
    for name in PYTORCH_NAMES:
        assert hasattr(torch, name), name
    data = np.array([0.25, 0.5, 0.75])
    for name, args in (("exp_", ()), ("sqrt_", ()), ("clamp_", (0.3, 0.6)), ("zero_", ()), ("fill_", (2.0,)),
                       ("neg_", ()), ("logit_", ()), ("xlogy_", (2.0,)), ("nan_to_num_", ()), ("round_", ())):
        x, xt = make(backend, data.copy()), torch.tensor(data.copy())
        out = getattr(anynn, name)(x, *args)
        ref = getattr(torch, name)(xt, *args)
        assert out is x and ref is xt
        np.testing.assert_allclose(x.numpy(), xt.numpy(), rtol=1e-12, err_msg=name)
    with pytest.raises(TypeError, match="exp_\\(\\): argument 'input' must be Tensor"):
        anynn.exp_(3.0)
