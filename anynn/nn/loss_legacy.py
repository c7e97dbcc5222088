"""Base of the loss modules that take PyTorch's deprecated ``size_average``/``reduce`` next to ``reduction``."""

from __future__ import annotations

from typing import Any

from ..functional.loss_reduction import legacy_reduction
from .loss import _Loss


class LegacyReductionLoss(_Loss):
    """``_Loss`` whose reduction may come from ``size_average``/``reduce`` (with PyTorch's warning)."""

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(legacy_reduction(size_average, reduce, reduction))


class WeightedLegacyLoss(LegacyReductionLoss):
    """A loss with a class ``weight``: a Tensor weight is a buffer (in ``state_dict``, moved by ``.to()``), as in
    PyTorch."""

    def __init__(self, weight: Any = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self._weight_state("weight", weight)
