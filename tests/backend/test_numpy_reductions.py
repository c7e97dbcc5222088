"""The NumPy backend's last-axis reductions (`anynn.backend.numpy_reductions`) against NumPy's own."""

from __future__ import annotations

import numpy as np
import pytest

from anynn.backend.numpy_backend import np_xp as xp

SHAPES = [(128, 10), (4, 5, 7), (3, 1), (1, 8), (2, 4096), (2, 4097), (0, 5), (5, 0), (6,), (2, 600)]
DTYPES = [np.float32, np.float64, np.int64, np.float16, np.bool_]


def _axes(ndim: int) -> list:
    return [-1, ndim - 1, (ndim - 1,), 0, None]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: np.dtype(d).name)
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reductions_match_numpy(shape, dtype, name) -> None:
    x = (np.random.default_rng(0).standard_normal(shape) * 10).astype(dtype)
    ours, theirs = getattr(xp, name), getattr(np, name)
    for axis in _axes(len(shape)):
        for keepdims in (False, True):
            with np.errstate(all="ignore"):
                try:
                    expected = theirs(x, axis=axis, keepdims=keepdims)
                except ValueError:  # max of an empty axis
                    with pytest.raises(ValueError):
                        ours(x, axis=axis, keepdims=keepdims)
                    continue
                got = ours(x, axis=axis, keepdims=keepdims)
            assert np.shape(got) == np.shape(expected) and np.asarray(got).dtype == np.asarray(expected).dtype
            if name in ("max", "min") or dtype in (np.int64, np.bool_):
                np.testing.assert_array_equal(got, expected)  # selections and integer sums are exact
            else:
                tolerance = 1e-2 if dtype == np.float16 else 1e-5 if dtype == np.float32 else 1e-12
                np.testing.assert_allclose(got, expected, rtol=tolerance, atol=tolerance)


def test_non_finite_rows() -> None:
    x = np.array([[1.0, np.nan, 3.0], [np.inf, -np.inf, 0.0], [np.inf, 1.0, 2.0], [-1.0, -2.0, -np.inf]], np.float32)
    with np.errstate(all="ignore"):
        for name in ("sum", "mean", "max", "min"):
            np.testing.assert_array_equal(getattr(xp, name)(x, axis=-1), getattr(np, name)(x, axis=-1))


def test_numpy_call_forms_still_work() -> None:
    """Positional axis, out= and where= (NumPy's signature, which anynn's code and users may call) reach NumPy."""
    x = np.arange(12.0).reshape(3, 4)
    np.testing.assert_array_equal(xp.max(x, 1), x.max(1))
    np.testing.assert_array_equal(xp.mean(x, 1), x.mean(1))
    out = np.empty(3)
    assert xp.max(x, -1, out=out) is out and (out == x.max(-1)).all()
    np.testing.assert_array_equal(xp.min(x, axis=-1, initial=5.0), np.min(x, axis=-1, initial=5.0))
    np.testing.assert_array_equal(xp.mean(x, axis=-1, where=x > 2), np.mean(x, axis=-1, where=x > 2))


def test_views_and_results_are_independent() -> None:
    """A transposed (non-contiguous) input takes NumPy's path; results are fresh writeable arrays."""
    x = np.random.default_rng(1).standard_normal((10, 128)).astype(np.float32)
    np.testing.assert_allclose(xp.sum(x.T, axis=-1), x.T.sum(-1), rtol=1e-5)
    s = xp.sum(x, axis=-1)
    m = xp.max(x, axis=-1, keepdims=True)
    s += 1
    m += 1
    assert s.flags.writeable and m.flags.writeable and not np.shares_memory(m, x)


def test_mean_over_other_axes_is_numpys_to_the_bit() -> None:
    """Means over axes other than the last alone (batch norm's (0, 2, 3)) take NumPy's own steps without its wrappers:
    the same bits and types (a NumPy scalar where every axis is reduced), NumPy's errors."""
    x = (np.random.default_rng(2).standard_normal((3, 4, 5, 6)) * 100).astype(np.float32)
    for axis in [(0, 2, 3), 0, (1,), (0, 1, 2, 3), (-4, -2)]:
        for keepdims in (False, True):
            got, expected = xp.mean(x, axis=axis, keepdims=keepdims), np.mean(x, axis=axis, keepdims=keepdims)
            assert type(got) is type(expected) and got.dtype == expected.dtype and got.shape == expected.shape
            np.testing.assert_array_equal(got, expected)
    with pytest.raises(np.exceptions.AxisError):
        xp.mean(x, axis=(0, 4))
