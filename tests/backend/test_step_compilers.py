"""The backend capabilities `anynn.compile` and `anynn.testing.jax_grad` stand on (`anynn.backend.step_compilers`).

Every library call of a compiled step is the backend's: eager libraries offer no step compiler, JAX a
`StepTracer` (``jax.jit`` with donation, unread inputs from the jaxpr, strong types for state leaving a program),
CuPy a `GraphCapture` (checked where a CUDA device works: tests/compile/test_compile.py's cupy tests).
"""

from __future__ import annotations

import numpy as np
import pytest

from anynn.backend import BackendUnavailable, get_backend
from anynn.backend.step_compilers import GraphCapture, StepTracer


def test_eager_libraries_offer_no_step_compiler_and_no_derivative(backend):
    if backend.step_compiler() is not None:
        pytest.skip(f"{backend.key} compiles steps (checked below)")
    with pytest.raises(BackendUnavailable, match=backend.key):
        backend.derivative(lambda x: x, 0)


def _jax():
    pytest.importorskip("jax")
    return get_backend("jax")


def test_jax_offers_a_step_tracer_named_by_its_compile_mode():
    be = _jax()
    tracer = be.step_compiler()
    assert isinstance(tracer, StepTracer) and not isinstance(tracer, GraphCapture)
    assert tracer.mode == "jax" and tracer.backend is be and tracer.host_read_errors


def test_jax_tracer_compiles_once_and_donates_the_first_argument():
    be = _jax()
    tracer = be.step_compiler()
    calls = []

    def step(state, lrs, args):
        calls.append(1)
        return [s - lr * a for s, lr, a in zip(state, lrs, args)], [lrs[0] * 2]

    compiled = tracer.jit(step, donate=True)
    state = [be.xp.ones(3, dtype=be.xp.float32)]
    with tracer.compiling():
        new, out = compiled(state, [tracer.weak(0.5)], [be.xp.ones(3, dtype=be.xp.float32)])
    np.testing.assert_array_equal(np.asarray(new[0]), np.full(3, 0.5, np.float32))
    assert new[0].dtype == be.xp.float32  # a weakly typed learning rate keeps the state's dtype
    assert state[0].is_deleted()  # donated: XLA took the buffer
    compiled([new[0]], [tracer.weak(0.25)], [be.xp.ones(3, dtype=be.xp.float32)])
    assert len(calls) == 1  # a new number in the same place is an input, not a new trace
    kept = tracer.jit(step, donate=False)
    state = [be.xp.ones(3, dtype=be.xp.float32)]
    kept(state, [tracer.weak(0.5)], [be.xp.ones(3, dtype=be.xp.float32)])
    assert not state[0].is_deleted()


def test_jax_tracer_finds_inputs_the_program_never_reads():
    tracer = _jax().step_compiler()
    xp = tracer.backend.xp

    def step(state, lrs, args):
        return [state[0] * lrs[0] + args[0]], []

    used = tracer.input_use(step, [xp.ones(2), xp.ones(2)], [xp.asarray(0.1)], [xp.ones(2)])
    assert used == [True, False, True, True]


def test_jax_tracer_gives_numbers_and_weak_arrays_a_dtype_of_their_own():
    tracer = _jax().step_compiler()
    xp = tracer.backend.xp
    assert tracer.strong(3).dtype == xp.int64 and tracer.strong(0.5).dtype == xp.float64
    assert tracer.strong(None) is None and tracer.strong(True) is True
    weak = tracer.weak(0.5)
    assert weak.weak_type and not tracer.strong(weak).weak_type and tracer.strong(weak).dtype == weak.dtype
    typed = xp.ones(2, dtype=xp.float32)
    assert tracer.strong(typed) is typed


def test_jax_derivative_is_jax_grad_to_any_order():
    be = _jax()
    xp = be.xp
    x = xp.asarray([0.3, -1.2], dtype=xp.float64)
    first = be.derivative(lambda a: (a ** 3).sum())
    np.testing.assert_allclose(np.asarray(first(x)), 3 * np.asarray(x) ** 2, rtol=1e-12)
    second = be.derivative(lambda a: first(a).sum())
    np.testing.assert_allclose(np.asarray(second(x)), 6 * np.asarray(x), rtol=1e-12)
