"""Base of the loss modules that take PyTorch's deprecated ``size_average``/``reduce`` next to ``reduction``, and
PyTorch's deprecated `NLLLoss2d`."""

from __future__ import annotations

import warnings
from typing import Any

from ..functional.loss_reduction import legacy_reduction
from .loss import NLLLoss, _Loss


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


class NLLLoss2d(NLLLoss):
    """PyTorch's deprecated name for `NLLLoss` (which takes (N, C, H, W) input itself); warns as PyTorch does."""

    def __init__(self, weight: Any = None, size_average: bool | None = None, ignore_index: int = -100,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        warnings.warn("`NLLLoss2d` has been deprecated. Please use `NLLLoss` instead as a drop-in replacement and see "
                      "https://pytorch.org/docs/main/nn.html#torch.nn.NLLLoss for more details.", FutureWarning,
                      stacklevel=2)
        super().__init__(weight, size_average, ignore_index, reduce, reduction)
