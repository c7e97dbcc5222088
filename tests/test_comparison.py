"""`anynn.testing.assert_close` (anynn/comparison.py) against ``torch.testing.assert_close``: the same verdict and
the same message (up to the library's names for sizes, dtypes and classes) for tensors on every backend, NumPy
arrays, numbers, sequences and mappings."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

from tests.helpers import make

NAN, INF = float("nan"), float("inf")


def _t(values, dtype="float32"):
    return np.asarray(values, dtype=dtype)


# (name, actual, expected, keyword arguments): host values, made tensors of both libraries by the test
CASES = [
    ("close", _t([1.0, 2.0]), _t([1.0, 2.000001]), {}),
    ("float32_mismatch", _t([1.0, 2.0, 3.0]), _t([1.0, 2.5, 3.0]), {}),
    ("float32_just_outside", _t([1.0, 2.0]), _t([1.0, 2.0001]), {}),
    ("float64_default", _t([1.0, 2.0], "float64"), _t([1.0, 2.0000001], "float64"), {}),
    ("float16", _t([1.0, 2.0], "float16"), _t([1.0, 2.01], "float16"), {}),
    ("int_not_equal", _t([1, 2], "int64"), _t([1, 3], "int64"), {}),
    ("int_atol", _t([1, 2], "int64"), _t([1, 3], "int64"), {"rtol": 0, "atol": 1}),
    ("bool", _t([True, False], "bool"), _t([True, True], "bool"), {}),
    ("two_d_index", _t([[1.0, 2.0], [3.0, 4.0]]), _t([[1.0, 2.0], [3.0, 5.0]]), {}),
    ("zero_expected", _t([0.0, 1.0]), _t([1.0, 1.0]), {}),
    ("nan", _t([NAN, 1.0]), _t([NAN, 1.0]), {}),
    ("nan_equal", _t([NAN, 1.0]), _t([NAN, 1.0]), {"equal_nan": True}),
    ("inf_same", _t([INF, -INF]), _t([INF, -INF]), {}),
    ("inf_opposite", _t([INF]), _t([-INF]), {}),
    ("scalar_0d", _t(1.0), _t(2.0), {}),
    ("given_tolerances", _t([1.0, 2.0]), _t([1.1, 2.2]), {"rtol": 0.1, "atol": 0.0}),
    ("dtype_differs", _t([1.0]), _t([1.0], "float64"), {}),
    ("dtype_unchecked", _t([1.0]), _t([1.0001], "float64"), {"check_dtype": False}),
    ("shape", _t([1.0]), _t([1.0, 2.0]), {}),
    ("message", _t([1.0]), _t([2.0]), {"msg": "boom"}),
    ("message_callable", _t([1.0]), _t([2.0]), {"msg": lambda text: "prefix " + text[:12]}),
    ("one_tolerance", _t([1.0]), _t([1.0]), {"rtol": 1.0}),
]


def _both(value, backend):
    """(anynn, torch) versions of a host value, tensors kept in their dtype, containers rebuilt."""
    if isinstance(value, np.ndarray):
        return make(backend, value), torch.tensor(value)
    if isinstance(value, (list, tuple)):
        pairs = [_both(v, backend) for v in value]
        return type(value)(p[0] for p in pairs), type(value)(p[1] for p in pairs)
    if isinstance(value, dict):
        pairs = {k: _both(v, backend) for k, v in value.items()}
        return {k: p[0] for k, p in pairs.items()}, {k: p[1] for k, p in pairs.items()}
    return value, value


def _outcome(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except (AssertionError, TypeError, ValueError) as error:
        text = str(error).replace("torch.Size", "anynn.Size").replace("torch.", "")
        return type(error).__name__, text.replace("anynn.autograd.tensor.Tensor", "Tensor")
    return "passed", ""


def _same_as_torch(actual, expected, backend, **kwargs):
    mine_a, theirs_a = _both(actual, backend)
    mine_e, theirs_e = _both(expected, backend)
    ours = _outcome(anynn.testing.assert_close, mine_a, mine_e, **kwargs)
    theirs = _outcome(torch.testing.assert_close, theirs_a, theirs_e, **kwargs)
    assert ours == theirs
    return ours


@pytest.mark.parametrize("name, actual, expected, kwargs", CASES, ids=[c[0] for c in CASES])
def test_tensors_like_torch(backend, name, actual, expected, kwargs):
    if "float16" in name and backend.name == "array_api_strict":
        pytest.skip("array_api_strict has no float16")
    _same_as_torch(actual, expected, backend, **kwargs)


@pytest.mark.parametrize("actual, expected, kwargs", [
    (1.0, 1.5, {}), (1, 1, {}), (1, 2, {}), (1, 1.0, {}), (1, 1.0, {"check_dtype": False}), (2.0, 2.0 + 1e-9, {}),
    ([_t([1.0]), _t([2.0])], [_t([1.0]), _t([2.5])], {}), ([1, 2], [1, 2, 3], {}),
    ({"a": _t(1.0), "b": [_t([1.0, 2.0])]}, {"a": _t(1.0), "b": [_t([1.0, 3.0])]}, {}),
    ({"a": 1}, {"b": 1}, {}), ((_t([1.0]),), [_t([1.0])], {}), (_t([1.0]), 1.0, {}),
], ids=str)
def test_numbers_and_containers_like_torch(actual, expected, kwargs):
    _same_as_torch(actual, expected, "numpy", **kwargs)


def test_numpy_arrays_compare_but_do_not_pair_with_tensors():
    anynn.testing.assert_close(np.ones(2), np.ones(2))
    with pytest.raises(AssertionError, match="not close"):
        anynn.testing.assert_close(np.ones(2), np.array([1.0, 2.0]))
    with pytest.raises(TypeError, match="No comparison pair"):
        anynn.testing.assert_close(anynn.ones(2), np.ones(2))


def test_backends_are_devices(backend):
    other = "torch" if backend.name != "torch" else "numpy"
    a, b = make(backend, _t([1.0])), anynn.tensor(_t([1.0]), backend=other)
    with pytest.raises(AssertionError, match="attribute 'device'"):
        anynn.testing.assert_close(a, b)
    anynn.testing.assert_close(a, b, check_device=False)


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "complex64", "int64", "uint8", "int8", "bool"])
def test_make_tensor_as_torchs(dtype):
    """``torch.testing.make_tensor`` (missing before): dtype, shape, PyTorch's default ranges and options; the
    values are anynn's own draws."""
    import torch

    from anynn.testing import make_tensor

    ours = make_tensor(3, 4, dtype=getattr(anynn, dtype), device="cpu")
    theirs = torch.testing.make_tensor(3, 4, dtype=getattr(torch, dtype), device="cpu")
    assert ours.shape == tuple(theirs.shape) and ours.dtype == getattr(anynn, dtype)
    values = ours.numpy()
    parts = np.abs(np.concatenate([values.real.ravel(), values.imag.ravel()]) if dtype == "complex64" else values)
    assert parts.max() <= (1 if dtype == "bool" else 9) and (dtype != "uint8" or values.min() >= 0)
    if dtype in ("float32", "float64"):
        t = make_tensor((2, 5), dtype=getattr(anynn, dtype), device="cpu", low=0.5, high=1.0, noncontiguous=True,
                        requires_grad=True)
        assert t.shape == (2, 5) and t.requires_grad and t.is_leaf and 0.5 <= t.detach().numpy().min()
    for bad in (dict(low=2, high=1), dict(low=float("nan")), dict(requires_grad=dtype in ("int64", "bool"))):
        if bad.get("requires_grad") is False:
            continue
        with pytest.raises(ValueError):
            torch.testing.make_tensor(2, dtype=getattr(torch, dtype), device="cpu", **bad)
        with pytest.raises(ValueError):
            make_tensor(2, dtype=getattr(anynn, dtype), device="cpu", **bad)
