"""The NumPy namespace's overrides (`anynn.backend.numpy_backend._namespace`) against the calls they stand for:
``broadcast_to`` (a 0-d array as a zero-stride view made directly) and the shape, ``astype`` and ``asarray`` calls
that skip NumPy's or array-api-compat's wrappers."""

from __future__ import annotations

import re

import array_api_compat.numpy as compat_numpy
import numpy as np
import pytest

from anynn.backend.numpy_backend import np_xp


@pytest.mark.parametrize("x,shape", [
    (np.array(2.5, dtype=np.float32), (256, 64)),
    (np.array(-1.0), ()),
    (np.array(3, dtype=np.int64), (2, 0, 3)),
    (np.array(True), (4,)),
    (np.arange(3.0), (2, 3)),           # not 0-d: NumPy's general path
    (np.array(1.0), [2, 3]),            # a list shape: NumPy's path
    (np.array(1.0), 5),                 # an int shape: NumPy's path
])
def test_broadcast_to_as_numpy(x, shape):
    got, want = np_xp.broadcast_to(x, shape), np.broadcast_to(x, shape)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)
    assert not got.flags.writeable  # a view with zero strides is never written through
    assert np.shares_memory(got, x) or got.size == 0


def test_broadcast_to_refuses_what_numpy_refuses():
    with pytest.raises(ValueError):
        np_xp.broadcast_to(np.ones(3), (2, 4))
    with pytest.raises(ValueError):
        np_xp.broadcast_to(np.array(1.0), (-1, 2))


@pytest.mark.parametrize("name,args,kwargs", [
    ("reshape", ((6, 4),), {}), ("reshape", ((-1,),), {}), ("reshape", (24,), {}),
    ("reshape", ((4, 6),), {"copy": True}), ("reshape", ((5, 5),), {}),
    ("permute_dims", ((2, 0, 1),), {}), ("permute_dims", ((0, 1),), {}),
    ("matrix_transpose", (), {}),
    ("astype", (np.float32,), {}), ("astype", (np.float64,), {}), ("astype", (np.float64,), {"copy": False}),
    ("astype", (np.float32,), {"device": "cpu"}), ("asarray", (), {}), ("asarray", (), {"copy": True}),
    ("asarray", (), {"copy": False}), ("asarray", (), {"dtype": np.float32}), ("asarray", (), {"device": "cpu"}),
])
@pytest.mark.parametrize("x", [np.arange(24.0).reshape(2, 3, 4), np.arange(24.0).reshape(4, 3, 2).T, np.arange(3.0)],
                         ids=["contiguous", "transposed", "1d"])
def test_shape_calls_as_the_standard_wrappers(name, args, kwargs, x):
    try:
        want = getattr(compat_numpy, name)(x, *args, **kwargs)
    except ValueError as error:
        with pytest.raises(type(error), match=re.escape(str(error))):
            getattr(np_xp, name)(x, *args, **kwargs)
        return
    got = getattr(np_xp, name)(x, *args, **kwargs)
    assert type(got) is type(want) and got.shape == want.shape and got.strides == want.strides
    assert np.shares_memory(got, x) == np.shares_memory(want, x) and (got is x) == (want is x)
    assert got.dtype == want.dtype and got.flags.c_contiguous == want.flags.c_contiguous
    np.testing.assert_array_equal(got, want)


def test_isdtype_as_numpys():
    """The cached ``isdtype``: NumPy's answers (asked twice: the second from the cache), NumPy's errors."""
    kinds = ["real floating", ("real floating", "complex floating"), "integral", "bool", "numeric", (np.float32,)]
    for dtype in [np.dtype("f4"), np.dtype(">f4"), np.dtype("i8"), np.dtype("c8"), np.dtype("?"), np.float32]:
        for kind in kinds:
            assert np_xp.isdtype(dtype, kind) is np_xp.isdtype(dtype, kind) is np.isdtype(dtype, kind)
    for dtype, kind, error in [("float32", "bool", TypeError), (np.dtype("f4"), "bogus", ValueError),
                               (np.dtype("f4"), ["bool"], TypeError), (np.dtype("f4"), ("bool", ["bool"]), TypeError)]:
        with pytest.raises(error):
            np_xp.isdtype(dtype, kind)


def test_a_float_to_integer_cast_of_nan_inf_or_huge_values_is_silent_as_torch():
    """x.to(torch.int64) of NaN, inf or 1e20 gives PyTorch's values without a warning (NumPy warned 'invalid value
    encountered in cast', an error under -W error)."""
    import warnings

    torch = pytest.importorskip("torch")
    import anynn

    values = [float("nan"), float("inf"), -float("inf"), 1e20, 2.5]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for dtype in ("int64", "int32"):
            got = anynn.tensor(values).to(getattr(anynn, dtype)).tolist()
            assert got == torch.tensor(values).to(getattr(torch, dtype)).tolist()
        anynn.tensor(values).to(anynn.uint8)  # (its values are the platform's: C leaves them undefined)
