"""What schedulers made of schedulers share (`ChainedScheduler`, `SequentialLR`): checks and state."""

from __future__ import annotations

from typing import Any, Sequence

from ..optimizer import Optimizer
from .base import LRScheduler
from .plateau import ReduceLROnPlateau


def check_schedulers(name: str, schedulers: Sequence[Any], optimizer: Optimizer) -> None:
    """Raise unless every scheduler steps without a metric and belongs to ``optimizer``; errors name ``name``."""
    for i, scheduler in enumerate(schedulers):
        if not hasattr(scheduler, "optimizer"):
            raise TypeError(f"{name}: the scheduler at index {i} has no optimizer")
        if isinstance(scheduler, ReduceLROnPlateau):
            raise ValueError(f"{name} does not support ReduceLROnPlateau (index {i}): its step needs a metric")
        if scheduler.optimizer is not optimizer:
            raise ValueError(f"{name}: {type(scheduler).__name__} at index {i} belongs to another optimizer")


class CompositeScheduler(LRScheduler):
    """A scheduler over ``self._schedulers``: their states are saved and loaded inside its own."""

    _not_saved = ("optimizer", "_schedulers")
    _schedulers: list[LRScheduler]

    def state_dict(self) -> dict[str, Any]:
        state = super().state_dict()
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        super().load_state_dict(state_dict)
        for scheduler, saved in zip(self._schedulers, state_dict["_schedulers"]):
            scheduler.load_state_dict(saved)
