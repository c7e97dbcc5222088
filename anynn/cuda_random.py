"""PyTorch's ``torch.cuda.random`` names (also on ``torch.cuda``): the CUDA generators' states and seeds.

anynn draws device randomness from generators seeded from the host default generator (`anynn.random`; principle
5), so where a GPU is usable the CUDA state is that host state: ``get_rng_state`` returns it and ``set_rng_state``
restores it. Without a GPU these answer as PyTorch's CPU build does: ``get_rng_state`` and ``initial_seed`` raise
`CudaUnavailable` (an AssertionError), ``get_rng_state_all`` is ``[]``, and ``set_rng_state``, ``seed`` and their
``_all`` forms do nothing (PyTorch queues them for a CUDA start that never comes), so a checkpoint that saves and
restores ``torch.cuda.get_rng_state_all()`` runs on any machine.
"""

from __future__ import annotations

from typing import Any

from . import random as _random
from .backend import default_backend
from .backend.torch_names import cuda_available, cuda_device_count, need_cuda
from .init import manual_seed as _manual_seed


def manual_seed(seed: int) -> None:
    """Seed anynn's generator: initial weights and random tensors are drawn on the host, the same on every device."""
    _manual_seed(seed)


manual_seed_all = manual_seed


def get_rng_state(device: Any = "cuda") -> dict[str, Any]:
    """The state the CUDA device's draws come from (the host default generator's, see the module docstring); without
    a usable GPU `CudaUnavailable`, as PyTorch's CPU build raises."""
    need_cuda("torch.cuda.get_rng_state()", default_backend())
    return _random.get_rng_state()


def get_rng_state_all() -> list[dict[str, Any]]:
    """`get_rng_state` of every CUDA device (``[]`` without one, as PyTorch's CPU build)."""
    return [get_rng_state(index) for index in range(cuda_device_count(default_backend()))]


def set_rng_state(new_state: dict[str, Any], device: Any = "cuda") -> None:
    """Restore a state from `get_rng_state` where a GPU is usable; nothing without one (PyTorch's CPU build)."""
    if cuda_available(default_backend()):
        _random.set_rng_state(new_state)


def set_rng_state_all(new_states: Any) -> None:
    """`set_rng_state` of each device's state from `get_rng_state_all`."""
    for index, state in enumerate(new_states):
        set_rng_state(state, index)


def seed() -> None:
    """Reseed from fresh entropy where a GPU is usable (the host default generator); nothing without one."""
    if cuda_available(default_backend()):
        _random.seed()


seed_all = seed


def initial_seed() -> int:
    """The seed the CUDA draws were last started from; without a usable GPU `CudaUnavailable`, as PyTorch's CPU build
    raises."""
    need_cuda("torch.cuda.initial_seed()", default_backend())
    return _random.initial_seed()


__all__ = ["get_rng_state", "get_rng_state_all", "initial_seed", "manual_seed", "manual_seed_all", "seed", "seed_all",
           "set_rng_state", "set_rng_state_all"]
