"""SequentialLR: hand the schedule from one scheduler to the next at given milestones (e.g. warm-up, decay)."""

from __future__ import annotations

from bisect import bisect_right
from typing import Any

from ..optimizer import Optimizer
from .base import LRScheduler, set_group_value
from .composite import CompositeScheduler, check_schedulers


class SequentialLR(CompositeScheduler):
    """Run ``schedulers[i]`` between ``milestones[i-1]`` and ``milestones[i]``.

    As in PyTorch, construction resets every group's rate to ``initial_lr``, undoes the first step the
    sub-schedulers took when they were built, and performs the first step of ``schedulers[0]`` only;
    at a milestone the next scheduler restarts from its epoch 0 (its closed form where it has one).
    """

    def __init__(self, optimizer: Optimizer, schedulers: list[LRScheduler], milestones: list[int],
                 last_epoch: int = -1) -> None:
        if not schedulers:
            raise ValueError("SequentialLR expects at least one scheduler")
        check_schedulers("SequentialLR", schedulers, optimizer)
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR expects one milestone fewer than schedulers, got {len(schedulers)} "
                             f"schedulers and {len(milestones)} milestones")
        self._schedulers = list(schedulers)
        self._milestones = list(milestones)
        self.last_epoch = last_epoch + 1
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            set_group_value(group, "lr", group["initial_lr"])
        self._recursive_undo(self)
        index = bisect_right(self._milestones, 0)
        self._schedulers[index]._initial_step()
        self._last_lr = self._schedulers[index].get_last_lr()

    def _recursive_undo(self, scheduler: Any) -> None:
        if hasattr(scheduler, "_schedulers"):  # a SequentialLR (this one included): undo inside it
            for sub in scheduler._schedulers:
                self._recursive_undo(sub)
        elif hasattr(scheduler, "last_epoch"):
            scheduler.last_epoch -= 1

    def step(self) -> None:  # type: ignore[override]
        """Advance one epoch on the scheduler in charge of it."""
        self.last_epoch += 1
        index = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[index]
        if index > 0 and self._milestones[index - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()
