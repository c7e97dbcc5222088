"""The NumPy namespace's ``broadcast_to``: a 0-d array as a zero-stride view made directly, NumPy's result."""

from __future__ import annotations

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
