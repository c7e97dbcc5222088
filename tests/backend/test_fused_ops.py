"""Fused elementwise ops (one CUDA kernel each on CuPy) agree with their portable versions on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest

from anynn.autograd.primitive import is_writeable
from anynn.backend import op, portable, use_fast_paths

UNARY_AND_BINARY = {
    "relu_grad": 2,
    "sigmoid": 1,
    "sigmoid_grad": 2,
    "tanh_grad": 2,
    "square_grad": 2,
}


def _run(backend, name, fast, *arrays):
    use_fast_paths(fast)
    try:
        return backend.to_host(op(backend, name)(*[backend.from_host(a) for a in arrays]))
    finally:
        use_fast_paths(True)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name", sorted(UNARY_AND_BINARY))
def test_fused_elementwise_matches_portable(backend, name, dtype, rng):
    arrays = [rng.standard_normal((33, 17)).astype(dtype) * 4 for _ in range(UNARY_AND_BINARY[name])]
    arrays[0][0, :4] = [0.0, -0.0, 80.0, -80.0]  # sigmoid's extremes; relu_grad's boundary at 0
    if UNARY_AND_BINARY[name] == 2:
        arrays[1][1, :3] = [0.0, 1.0, -1.0]
    fast = _run(backend, name, True, *arrays)
    slow = _run(backend, name, False, *arrays)
    expected = getattr(portable, name)(np, *arrays)
    tol = 1e-6 if dtype == "float32" else 1e-14
    assert fast.dtype == slow.dtype == np.dtype(dtype)
    np.testing.assert_allclose(fast, expected, rtol=tol, atol=tol)
    np.testing.assert_allclose(slow, expected, rtol=tol, atol=tol)
    assert np.all(np.isfinite(fast))


@pytest.mark.parametrize("shape", [(33, 17), (1,), (0, 3), ()])
def test_square_grad_of_a_broadcast_value_matches_portable(backend, shape):
    """A sum's gradient reaches ``a ** 2`` as one value broadcast: NumPy scales ``a`` by it in one pass."""
    xp = backend.xp
    a = backend.from_host(np.random.default_rng(0).standard_normal(shape).astype(np.float32))
    g = xp.broadcast_to(backend.from_host(np.asarray(3.0, np.float32)), shape)
    for fast in (True, False):
        use_fast_paths(fast)
        try:
            out = backend.to_host(op(backend, "square_grad")(g, a))
        finally:
            use_fast_paths(True)
        assert out.dtype == np.float32 and out.shape == shape
        np.testing.assert_array_equal(out, 6.0 * backend.to_host(a))


def test_sigmoid_is_finite_and_exact_at_the_extremes(backend):
    x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], np.float32)
    out = _run(backend, "sigmoid", True, x)
    assert np.all(np.isfinite(out))
    assert out[3] == 0.5 and out[-1] == 1.0 and out[0] == 0.0


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fused_adam_step_matches_portable(backend, dtype, rng):
    param, grad, m, v = (rng.standard_normal((40, 7)).astype(dtype) for _ in range(4))
    v = np.abs(v)
    if not is_writeable(backend.from_host(param)):  # (Adam takes adam_moments / adam_apply there)
        pytest.skip("adam_step updates its arrays in place: this library's arrays cannot be written (JAX)")
    scalars = (0.9, 0.999, 1e-3 / (1 - 0.9**3), math.sqrt(1 - 0.999**3), 1e-8)
    results = {}
    for fast in (True, False):
        arrays = [backend.from_host(a.copy()) for a in (param, grad, m, v)]
        use_fast_paths(fast)
        try:
            assert op(backend, "adam_step")(*arrays, *scalars) is None  # updates in place
        finally:
            use_fast_paths(True)
        results[fast] = [backend.to_host(a) for a in arrays]
    expected = [param.copy(), grad, m.copy(), v.copy()]
    portable.adam_step(np, expected[0], grad, expected[2], expected[3], *scalars)
    tol = 1e-6 if dtype == "float32" else 1e-14
    for fast in (True, False):
        for got, want, label in zip(results[fast], expected, ("param", "grad", "exp_avg", "exp_avg_sq")):
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=f"{label} (fast={fast})")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("with_state", [True, False])
def test_fused_lstm_step_and_backward_match_portable(backend, dtype, with_state, rng):
    hidden, batch = 5, 3
    pre = rng.standard_normal((4 * hidden, 2, batch)).astype(dtype) * 3  # a strided (4H, N) slice, as in the loop
    c = rng.standard_normal((batch, hidden)).astype(dtype)  # passed transposed: not contiguous
    dh, carry = (rng.standard_normal((hidden, batch)).astype(dtype) for _ in range(2))
    tol = 1e-6 if dtype == "float32" else 1e-13
    outs = {}
    for fast in (True, False):
        use_fast_paths(fast)
        try:
            pre_b = backend.from_host(pre)[:, 1, :]
            c_b = backend.from_host(c).mT if with_state else None
            forward = op(backend, "lstm_step")(pre_b, c_b, False, True)
            f, partners, through_h = forward[2:]
            grads = op(backend, "lstm_step_backward")(backend.from_host(dh), backend.from_host(carry) if with_state
                                                      else None, f, partners, through_h, False)
            outs[fast] = [backend.to_host(a) for a in forward + grads]
        finally:
            use_fast_paths(True)
    expected = list(portable.lstm_step(np, pre[:, 1, :], c.T if with_state else None, False, True))
    expected += list(portable.lstm_step_backward(np, dh, carry if with_state else None, *expected[2:], False))
    labels = ("h", "c_new", "f", "partners", "through_h", "d_pre", "carry")
    for fast in (True, False):
        for got, want, label in zip(outs[fast], expected, labels):
            assert got.shape == want.shape, label
            np.testing.assert_allclose(got, want, rtol=tol, atol=tol, err_msg=f"{label} (fast={fast})")


@pytest.mark.parametrize("shapes", [((3, 4), (4, 5)), ((2, 3, 4), (4, 5)), ((4,), (4, 2)), ((3, 4), (4,))])
def test_matmul_fast_path_matches_the_operator(backend, shapes, rng):
    a, b = (rng.standard_normal(s).astype("float32") for s in shapes)
    want = a @ b
    for fast in (True, False):
        got = _run(backend, "matmul", fast, a, b)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-6)
        assert got.shape == want.shape
