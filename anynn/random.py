"""PyTorch's ``torch.random``: the default generator's state (``get_rng_state`` / ``set_rng_state``), reseeding
(``manual_seed``, ``seed``, ``initial_seed``) and ``fork_rng``, a region whose draws leave the state as it was.

anynn's default generator is the host `anynn.Generator` that `anynn.manual_seed` seeds: initialisers and factories
draw from it, and device generators made without a seed (``F.dropout``, ``anynn.bernoulli``...) are seeded from
it. A layer that keeps its own generator (``nn.Dropout``, ``nn.RReLU``) seeds it once, at its first use on a
backend; restoring the default state does not rewind a generator made before.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from .init import default_generator, manual_seed


def get_rng_state() -> dict[str, Any]:
    """The default generator's state (NumPy's PCG64 state dict; PyTorch returns a byte tensor), for
    `set_rng_state`."""
    return default_generator().get_state()


def set_rng_state(new_state: dict[str, Any]) -> None:
    """Restore the default generator to a state from `get_rng_state`: the draws that followed it come again."""
    if not isinstance(new_state, dict) or "bit_generator" not in new_state:
        raise TypeError(f"set_rng_state: expected a state from anynn.get_rng_state() (a dict), got "
                        f"{type(new_state).__name__}")
    default_generator().set_state(new_state)


def seed() -> int:
    """Reseed the default generator from fresh entropy; returns the new seed."""
    return default_generator().seed()


def initial_seed() -> int:
    """The seed the default generator was last started from."""
    return default_generator().initial_seed()


@contextlib.contextmanager
def fork_rng(devices: Any = None, enabled: bool = True, _caller: str = "fork_rng",
             _devices_kw: str = "devices", device_type: str = "cuda") -> Iterator[None]:
    """A region whose random draws leave the default generator as it was: the state is saved on entry and restored
    on exit (also when the region raises). ``enabled=False`` makes it a plain region. ``devices`` and
    ``device_type`` are accepted for PyTorch's signature: device generators are seeded from the host one, so the
    host state is the whole state."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


__all__ = ["fork_rng", "get_rng_state", "initial_seed", "manual_seed", "seed", "set_rng_state"]
