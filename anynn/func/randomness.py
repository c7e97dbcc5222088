"""``randomness=`` of `anynn.func.vmap` and ``jacfwd``: what a random draw inside the mapped function does.

The watch is on anynn's default generator (`anynn.manual_seed`'s), which ``anynn.rand``/``randn``/``bernoulli``,
``F.dropout`` without a ``generator`` and a random layer's first use draw from. A draw from a generator the
caller made, or from a layer's own generator after its first use (``nn.Dropout``), is not seen.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from ..functional.value_checks import InvalidValueError
from ..random import get_rng_state, set_rng_state

CHOICES = ("error", "different", "same")


class RandomnessGuard:
    """Checks or replays the default generator around each call of a mapped function."""

    def __init__(self, randomness: str, what: str) -> None:
        if randomness not in CHOICES:
            raise InvalidValueError(f"{what}: Only allowed values for randomness are 'error', 'different', or 'same'. "
                             f"Got {randomness!r}")
        self.randomness = randomness
        self.what = what
        self.start: dict[str, Any] | None = None

    @contextlib.contextmanager
    def watch(self) -> Iterator[None]:
        """One call of the function: ``"error"`` raises if it drew; ``"same"`` starts every call from the state the
        first call started from; ``"different"`` lets the draws follow one another."""
        if self.randomness == "different":
            yield
            return
        state = get_rng_state()
        if self.randomness == "same":
            if self.start is None:
                self.start = state
            else:
                set_rng_state(self.start)
            yield
            return
        yield
        if get_rng_state() != state:
            set_rng_state(state)
            raise RuntimeError(f"{self.what}: called random operation while in randomness error mode. Please either "
                               f"use the 'same' or 'different' randomness flags on {self.what} or perform the "
                               f"randomness operation out of {self.what}")


__all__ = ["CHOICES", "RandomnessGuard"]
