"""The counter-based generator behind the CuPy backend: its host reference and, on a GPU, the kernels."""

from __future__ import annotations

import json

import numpy as np
import pytest

from anynn.backend import BackendUnavailable, get_backend
from anynn.backend.counter_rng import (GOLDEN, CounterStream, draw_key, mix64, reference_bits, reference_normal,
                                       reference_permutation, reference_uniform)


def test_mix64_is_splitmix64():
    # SplitMix64 seeded with 0 (Vigna's reference implementation) begins with these three outputs
    assert [mix64(k * GOLDEN) for k in (1, 2, 3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]
    assert reference_bits(0, 3).tolist() == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4, 0x06C45D188009454F]


def test_reference_bits_match_the_scalar_definition():
    key = draw_key(12345, 7)
    assert reference_bits(key, 50).tolist() == [mix64(key + GOLDEN * (i + 1)) for i in range(50)]


@pytest.mark.parametrize("dtype, bits", [("float16", 11), ("float32", 24), ("float64", 53)])
def test_uniform_is_exact_and_in_the_unit_interval(dtype, bits):
    u = reference_uniform(draw_key(1, 0), 200_000, dtype)
    assert u.dtype == np.dtype(dtype)
    assert u.min() >= 0.0 and u.max() < 1.0
    scaled = u.astype(np.float64) * 2.0**bits
    np.testing.assert_array_equal(scaled, np.floor(scaled))  # multiples of 2**-bits: no rounding up to 1
    assert abs(u.astype(np.float64).mean() - 0.5) < 0.005
    assert abs(u.astype(np.float64).var() - 1 / 12) < 0.002
    counts = np.histogram(u.astype(np.float64), bins=20, range=(0, 1))[0]
    expected = len(u) / 20
    assert ((counts - expected) ** 2 / expected).sum() < 50  # chi-square, 19 dof: 50 is p < 1e-4


def test_normal_moments_and_tails():
    z = reference_normal(draw_key(2, 0), 400_000, "float64")
    assert np.all(np.isfinite(z))
    assert abs(z.mean()) < 0.01 and abs(z.var() - 1) < 0.01
    assert abs(np.mean(np.abs(z) > 2) - 0.0455) < 0.002
    assert abs(np.mean(z**3)) < 0.03 and abs(np.mean(z**4) - 3) < 0.05


def test_permutation_is_a_permutation():
    p = reference_permutation(draw_key(3, 0), 1000)
    assert p.dtype == np.int64 and sorted(p.tolist()) == list(range(1000))
    assert not np.array_equal(p, np.arange(1000))


def test_draws_are_independent_across_counters_and_seeds():
    a = reference_uniform(draw_key(5, 0), 100_000, "float64")
    b = reference_uniform(draw_key(5, 1), 100_000, "float64")
    c = reference_uniform(draw_key(6, 0), 100_000, "float64")
    for x, y in ((a, b), (a, c), (b, c)):
        assert abs(np.corrcoef(x, y)[0, 1]) < 0.02
    assert draw_key(5, 0) != draw_key(5, 1) != draw_key(6, 0)


def test_stream_state_round_trips_through_json():
    stream = CounterStream(99)
    first = [stream.next_key() for _ in range(3)]
    saved = json.loads(json.dumps(stream.state()))
    later = [stream.next_key() for _ in range(3)]
    again = CounterStream(0)
    again.set_state(saved)
    assert [again.next_key() for _ in range(3)] == later
    assert first[0] == draw_key(99, 0)
    with pytest.raises(ValueError, match="counter-based"):
        again.set_state({"bit_generator": "PCG64"})


def test_unseeded_streams_differ():
    assert CounterStream(None).seed != CounterStream(None).seed


# -- the CUDA kernels against the reference (run where a GPU is present) ---------------------------
@pytest.fixture
def cupy_backend():
    try:
        return get_backend("cupy")
    except BackendUnavailable as exc:
        pytest.skip(str(exc))


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_cupy_uniform_equals_the_reference_bit_for_bit(cupy_backend, dtype):
    rng = cupy_backend.rng(2024)
    for counter, shape in enumerate([(1000,), (3, 7, 5), ()]):
        got = cupy_backend.to_host(rng.uniform(shape, dtype))
        want = reference_uniform(draw_key(2024, counter), int(np.prod(shape)), dtype).reshape(shape)
        assert got.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("dtype, tol", [("float32", 1e-6), ("float64", 1e-13)])
def test_cupy_normal_matches_the_reference(cupy_backend, dtype, tol):
    rng = cupy_backend.rng(7)
    got = cupy_backend.to_host(rng.normal((501,), dtype))
    want = reference_normal(draw_key(7, 0), 501, dtype)
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)


def test_cupy_permutation_equals_the_reference(cupy_backend):
    got = cupy_backend.to_host(cupy_backend.rng(11).permutation(777))
    np.testing.assert_array_equal(got, reference_permutation(draw_key(11, 0), 777))


def test_cupy_generator_state_resumes_exactly(cupy_backend):
    rng = cupy_backend.rng(5)
    rng.uniform((10,), "float32")
    saved = json.loads(json.dumps(rng.state()))
    expected = [cupy_backend.to_host(rng.uniform((64,), "float32")), cupy_backend.to_host(rng.permutation(50))]
    other = cupy_backend.rng(0)
    other.set_state(saved)
    np.testing.assert_array_equal(cupy_backend.to_host(other.uniform((64,), "float32")), expected[0])
    np.testing.assert_array_equal(cupy_backend.to_host(other.permutation(50)), expected[1])
