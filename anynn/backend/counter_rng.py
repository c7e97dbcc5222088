"""A counter-based random generator whose whole state is two integers.

Device generators such as cuRAND's keep their state in device memory that cannot be saved, so a
checkpoint could not resume them. Here every draw is a pure function of ``(seed, counter, index)``:

    key     = mix64(seed_word ^ mix64(counter))          one 64-bit key per draw (host, Python ints)
    bits[i] = mix64(key + GOLDEN * (i + 1))              one 64-bit word per element (device)

``mix64`` is SplitMix64's finaliser, a bijection that passes BigCrush on consecutive inputs; the
counter then advances by one per draw. Saving ``{"seed", "counter"}`` and restoring it therefore
continues the stream exactly, on any machine. `reference_bits` and friends compute the same numbers
with NumPy on the host: they are the specification the device kernels are tested against.
"""

from __future__ import annotations

import secrets
from typing import Any

import numpy as np

MASK64 = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB


def mix64(z: int) -> int:
    """SplitMix64's finaliser on a Python int (taken modulo 2**64)."""
    z &= MASK64
    z = ((z ^ (z >> 30)) * MIX1) & MASK64
    z = ((z ^ (z >> 27)) * MIX2) & MASK64
    return z ^ (z >> 31)


def draw_key(seed: int, counter: int) -> int:
    """The 64-bit key of draw number ``counter`` of the stream ``seed``."""
    return mix64((seed & MASK64) ^ mix64(counter + GOLDEN))


def reference_bits(key: int, n: int) -> np.ndarray:
    """The ``n`` 64-bit words of one draw, ``(n,)`` uint64, computed on the host with NumPy."""
    z = np.arange(1, n + 1, dtype=np.uint64) * np.uint64(GOLDEN) + np.uint64(key)  # wraps modulo 2**64
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


# significand bits per float dtype: a uniform draw keeps that many top bits, so it is exact and below 1
SIGNIFICAND_BITS = {"float16": 11, "float32": 24, "float64": 53}


def uniform_bits(dtype: str) -> int:
    try:
        return SIGNIFICAND_BITS[dtype]
    except KeyError:
        raise TypeError(f"the counter-based generator draws float16/32/64 values, not {dtype}") from None


def reference_uniform(key: int, n: int, dtype: str) -> np.ndarray:
    """Uniform ``[0, 1)`` values: the top 11/24/53 bits (float16/32/64) of each word, exactly."""
    bits = uniform_bits(dtype)
    words = reference_bits(key, n) >> np.uint64(64 - bits)
    return (words.astype(np.float64) * 2.0**-bits).astype(dtype)


def reference_normal(key: int, n: int, dtype: str) -> np.ndarray:
    """Standard normal values by Box-Muller on words ``2i`` (radius, in (0, 1]) and ``2i+1`` (angle)."""
    bits = reference_bits(key, 2 * n)
    u1 = ((bits[0::2] >> np.uint64(11)).astype(np.float64) + 1.0) * 2.0**-53
    u2 = (bits[1::2] >> np.uint64(11)).astype(np.float64) * 2.0**-53
    uniform_bits(dtype)
    return (np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)).astype(dtype)


def reference_permutation(key: int, n: int) -> np.ndarray:
    """A permutation of ``range(n)``: the order that sorts the draw's ``n`` words, ``(n,)`` int64."""
    return np.argsort(reference_bits(key, n), kind="stable").astype(np.int64)


class CounterStream:
    """The host-side half of a counter-based generator: the seed, the draw counter and their state."""

    def __init__(self, seed: int | None) -> None:
        self.seed = secrets.randbits(63) if seed is None else int(seed) & MASK64
        self.counter = 0

    def next_key(self) -> int:
        key = draw_key(self.seed, self.counter)
        self.counter += 1
        return key

    def state(self) -> dict[str, Any]:
        return {"algorithm": "splitmix64-counter", "seed": self.seed, "counter": self.counter}

    def set_state(self, state: dict[str, Any]) -> None:
        if state.get("algorithm") != "splitmix64-counter":
            raise ValueError(f"not the state of a counter-based generator: {state!r}")
        self.seed, self.counter = int(state["seed"]), int(state["counter"])
