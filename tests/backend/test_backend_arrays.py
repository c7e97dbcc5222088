"""`anynn.backend.arrays`: writes through an index (in place where allowed, a new array otherwise) and host checks
that skip traced arrays. The standard-only writes are compared with NumPy's in-place setitem on every backend."""

from __future__ import annotations

import numpy as np
import pytest

import anynn
import anynn.functional as F
from anynn.autograd.tensor import make_tensor
from anynn.backend import get_backend, portable
from anynn.backend.arrays import any_true, at_add, at_set, check, check_range, is_writeable

pytestmark = pytest.mark.jax

INDICES = [
    (Ellipsis, slice(1, 3), slice(0, 4)),
    (slice(None), slice(0, 4, 2), slice(1, None, 3)),
    (1, Ellipsis, slice(2, 3)),
    (0, 2, Ellipsis),
    (Ellipsis,),
    (slice(None), slice(2, 2), Ellipsis),  # empty
    (-1, slice(-3, None), Ellipsis),
    (slice(1, None), Ellipsis),
]  # the standard's rule: an index names every axis, or ends with '...'


@pytest.mark.parametrize("index", INDICES, ids=[str(i) for i in range(len(INDICES))])
def test_writes_match_numpy_setitem(backend, index):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 5)).astype(np.float32)
    value = rng.standard_normal(x[index].shape).astype(np.float32)
    expected_set, expected_add = x.copy(), x.copy()
    expected_set[index] = value
    expected_add[index] += value
    xp = backend.xp
    for write, expected in ((at_set, expected_set), (at_add, expected_add)):
        native = backend.asarray(x.copy())
        out = write(native, index, backend.asarray(value))
        np.testing.assert_allclose(backend.to_host(out), expected, rtol=0, atol=0)
        # the standard-only version, whatever the backend's fast path
        portable_write = portable.at_set if write is at_set else portable.at_add
        out = portable_write(xp, backend.asarray(x.copy()), index, backend.asarray(value))
        np.testing.assert_allclose(backend.to_host(out), expected, rtol=0, atol=0)
    # a number broadcasts to the block
    out = at_set(backend.asarray(x.copy()), index, 7.0)
    expected = x.copy()
    expected[index] = 7.0
    np.testing.assert_allclose(backend.to_host(out), expected, rtol=0, atol=0)


def test_writeable_arrays_are_written_in_place_and_immutable_ones_copied():
    x = np.zeros((3, 3))
    assert is_writeable(x) and at_add(x, (slice(1, 2),), 1.0) is x and x[1].tolist() == [1.0, 1.0, 1.0]
    frozen = np.zeros((3, 3))
    frozen.flags.writeable = False
    out = at_set(frozen, (0, 0), 5.0)
    assert out is not frozen and frozen[0, 0] == 0.0 and out[0, 0] == 5.0
    jnp = pytest.importorskip("jax.numpy")
    y = jnp.zeros((2, 3))
    assert not is_writeable(y)
    out = at_add(y, (Ellipsis, slice(1, None)), jnp.ones((2, 2)))
    assert float(y.sum()) == 0.0 and float(out.sum()) == 4.0


def test_the_standard_only_write_names_what_it_cannot_do():
    xp = get_backend("numpy").xp
    with pytest.raises(TypeError, match="fast path"):
        portable.at_set(xp, np.zeros(3), np.array([0, 1]), 1.0)


def test_checks_raise_on_concrete_arrays(backend):
    xp = backend.xp
    bad = backend.asarray(np.array([1.0, -2.0, 3.0])) < 0
    assert any_true(backend, bad) and not any_true(backend, xp.zeros((2,), dtype=xp.bool))
    with pytest.raises(ValueError, match="negative, got -2.0 at flat position 1"):
        check(backend, bad, "negative", values=backend.asarray(np.array([1.0, -2.0, 3.0])))
    with pytest.raises(IndexError, match="index 7 is out"):
        check_range(backend, backend.asarray(np.array([0, 7, 2])), 0, 5, "index {value} is out")
    with pytest.raises(IndexError, match="index -1 is out"):
        check_range(backend, backend.asarray(np.array([-1, 7, 2])), 0, 5, "index {value} is out")
    check_range(backend, backend.asarray(np.array([0, 4])), 0, 5, "never")


def test_checks_skip_traced_arrays_and_branches_take_the_general_path():
    jax = pytest.importorskip("jax")
    be = get_backend("jax")
    seen = {}

    def traced(a):
        check(be, a < 0, "never raised under tracing")
        check_range(be, be.xp.astype(a, be.xp.int64), 0, 1, "never raised under tracing")
        seen["branch"] = any_true(be, a < 0, if_traced=True)
        seen["check"] = any_true(be, a < 0)
        return a

    jax.jit(traced)(be.xp.asarray([-1.0, 2.0]))
    assert seen == {"branch": True, "check": False}


def test_functions_with_writes_and_checks_run_under_jit():
    jax = pytest.importorskip("jax")
    be = get_backend("jax")
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6)).astype(np.float32)
    x[0, 1, 2, 3] = np.nan

    def pooled(a):
        t = make_tensor(a, be, None, 0)
        return F.pad(F.max_pool2d(t, 3, stride=2, padding=1), (1, 2, 0, 1), value=0.5).array

    eager = anynn.tensor(x, backend="numpy")
    expected = F.pad(F.max_pool2d(eager, 3, stride=2, padding=1), (1, 2, 0, 1), value=0.5).numpy()
    np.testing.assert_allclose(np.asarray(jax.jit(pooled)(be.xp.asarray(x))), expected, rtol=1e-6)

    weight = anynn.tensor(np.eye(4, dtype=np.float32), backend="jax")
    out_of_range = anynn.tensor(np.array([0, 9]), backend="jax")
    with pytest.raises(IndexError, match="out of range"):
        F.embedding(out_of_range, weight)  # eager: checked

    def looked_up(indices):
        return F.embedding(make_tensor(indices, be, None, 0), weight).array

    assert jax.jit(looked_up)(out_of_range.array).shape == (2, 4)  # traced: not checked (the documented rule)
