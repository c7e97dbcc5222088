"""A `DataLoader`'s place in its stream of batches, as JSON-able data, so a checkpoint can resume it.

The order of an epoch is a function of: the epoch number and the loader's seed (``shuffle=True``), the state of
the NumPy generator given as ``generator=`` (an `anynn.Generator` is one) or held by the sampler, and the
sampler's own epoch (a ``DistributedSampler``'s). A state holds all of these as they were when the epoch began,
plus the number of batches of it already handed out, which a restored loader skips (for a map-style dataset by
index, without fetching them). Samplers that draw from anynn's global generator need nothing here: checkpoints
restore that generator, which gives the same order at an epoch's start (not in the middle of one).
"""

from __future__ import annotations

from typing import Any

import numpy as np

_KEYS = ("epoch", "seed", "generator", "sampler", "batches")


def _generator_of(owner: Any) -> np.random.Generator | None:
    """The NumPy generator a loader or sampler draws from, if it holds one."""
    for attr in ("_rng", "generator"):
        rng = getattr(owner, attr, None)
        if isinstance(rng, np.random.Generator):
            return rng
    return None


def sampler_state(sampler: Any) -> dict[str, Any] | None:
    """The state that decides ``sampler``'s next order: its generator's, its epoch, its inner sampler's."""
    if sampler is None:
        return None
    state: dict[str, Any] = {}
    rng = _generator_of(sampler)
    if rng is not None:
        state["generator"] = rng.bit_generator.state
    epoch = getattr(sampler, "epoch", None)
    if callable(getattr(sampler, "set_epoch", None)) and isinstance(epoch, (int, np.integer)):
        state["epoch"] = int(epoch)
    inner = getattr(sampler, "sampler", None)  # a BatchSampler's
    if inner is not None and inner is not sampler:
        state["sampler"] = sampler_state(inner)
    return state


def restore_sampler(sampler: Any, state: dict[str, Any] | None, where: str) -> None:
    """Give ``sampler`` the state `sampler_state` took; a sampler that cannot hold it is a ValueError."""
    if state is None:
        return
    if sampler is None:
        raise ValueError(f"{where}: the state is of a loader with a sampler, this loader has none")
    if "generator" in state:
        rng = _generator_of(sampler)
        if rng is None:
            raise ValueError(f"{where}: the saved sampler drew from its own generator, but this "
                             f"{type(sampler).__name__} has none (give it generator=)")
        rng.bit_generator.state = state["generator"]
    if "epoch" in state:
        sampler.set_epoch(state["epoch"])
    if state.get("sampler") is not None:
        restore_sampler(getattr(sampler, "sampler", None), state["sampler"], where)


def capture(loader: Any) -> dict[str, Any]:
    """What decides the order of ``loader``'s next epoch, before it draws it."""
    rng = loader._rng
    return {"epoch": int(loader.epoch), "seed": loader.seed,
            "generator": None if rng is None else rng.bit_generator.state,
            "sampler": sampler_state(loader.sampler if loader.sampler is not None else loader.batch_sampler),
            "batches": 0}


def restore(loader: Any, state: Any) -> None:
    """Put ``state`` (from `capture`, with ``batches`` handed out) back into ``loader``."""
    where = "DataLoader.load_state_dict"
    if not isinstance(state, dict) or set(state) != set(_KEYS):
        got = sorted(state) if isinstance(state, dict) else type(state).__name__
        raise ValueError(f"{where}: expected a state with keys {list(_KEYS)}, got {got}")
    epoch, seed, batches = state["epoch"], state["seed"], state["batches"]
    for name, value in (("epoch", epoch), ("batches", batches)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
            raise ValueError(f"{where}: {name} must be a non-negative integer, got {value!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise ValueError(f"{where}: seed must be an integer or None, got {seed!r}")
    if state["generator"] is not None and loader._rng is None:
        raise ValueError(f"{where}: the saved loader shuffled with its own generator (generator=); give this one a "
                         "numpy.random.Generator or an anynn.Generator too")
    restore_sampler(loader.sampler if loader.sampler is not None else loader.batch_sampler, state["sampler"], where)
    if state["generator"] is not None:
        loader._rng.bit_generator.state = state["generator"]
    loader.epoch = int(epoch)
    loader.seed = None if seed is None else int(seed)
    loader._skip = int(batches)
    loader._epoch_state = None


__all__ = ["capture", "restore", "restore_sampler", "sampler_state"]
