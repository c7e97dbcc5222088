"""ChainedScheduler: step several schedulers of one optimizer together (their factors compound)."""

from __future__ import annotations

from typing import Sequence

from ..optimizer import Optimizer
from .base import LRScheduler, group_values
from .composite import CompositeScheduler, check_schedulers


class ChainedScheduler(CompositeScheduler):
    """Call ``step()`` on every scheduler in order, each from the rate the previous one set."""

    def __init__(self, schedulers: Sequence[LRScheduler], optimizer: Optimizer | None = None) -> None:
        if len(schedulers) < 1:
            raise ValueError("ChainedScheduler expects at least one scheduler to be chained")
        optimizer = optimizer or schedulers[0].optimizer
        check_schedulers("ChainedScheduler", schedulers, optimizer)
        self._schedulers = list(schedulers)
        self.optimizer = optimizer
        self._last_lr = group_values(self._schedulers[-1].optimizer, "lr")

    def step(self) -> None:  # type: ignore[override]
        """Step every scheduler once."""
        for scheduler in self._schedulers:
            scheduler.step()
        self._last_lr = group_values(self._schedulers[-1].optimizer, "lr")
