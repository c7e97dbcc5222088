"""The momentum that `CyclicLR` and `OneCycleLR` move against the rate: ``momentum`` or ``betas[0]``."""

from __future__ import annotations

from typing import Any

from ..optimizer import Optimizer
from .base import format_param


class CyclesMomentum:
    """Mixin: read and write the cycled momentum of a param group (SGD-style ``momentum``, Adam-style ``betas``)."""

    use_beta1: bool

    def _init_momentum(self, optimizer: Optimizer, base_momentum: float | list[float],
                       max_momentum: float | list[float], last_epoch: int) -> tuple[list[float], list[float]]:
        """``(base_momentums, max_momentums)`` per group; a fresh schedule (``last_epoch == -1``) starts every
        group at its maximum and records both bounds in the group, as PyTorch does."""
        if "momentum" not in optimizer.defaults and "betas" not in optimizer.defaults:
            raise ValueError(f"{type(self).__name__}: {type(optimizer).__name__} has neither momentum nor betas; "
                             "pass cycle_momentum=False")
        self.use_beta1 = "betas" in optimizer.defaults
        base_momentums = format_param("base_momentum", optimizer, base_momentum)
        max_momentums = format_param("max_momentum", optimizer, max_momentum)
        if last_epoch == -1:
            for high, low, group in zip(max_momentums, base_momentums, optimizer.param_groups):
                self._set_momentum(group, high)
                group["max_momentum"] = high
                group["base_momentum"] = low
        return base_momentums, max_momentums

    def _set_momentum(self, group: dict[str, Any], momentum: float) -> None:
        if self.use_beta1:
            group["betas"] = (momentum, *group["betas"][1:])
        else:
            group["momentum"] = momentum
