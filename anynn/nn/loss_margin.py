"""Margin loss layers: `MarginRankingLoss`, `HingeEmbeddingLoss`, `SoftMarginLoss`, `MultiLabelSoftMarginLoss`,
`MultiMarginLoss`, `MultiLabelMarginLoss` (PyTorch's arguments, including the deprecated ones)."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..autograd.tensor import Tensor
from .loss_legacy import LegacyReductionLoss, WeightedLegacyLoss


class MarginRankingLoss(LegacyReductionLoss):
    """``max(0, -target * (input1 - input2) + margin)``: input1, input2, target (N,) or () with target +-1."""

    float_inputs, float_targets, same_shape = (0, 1), (2,), (0, 1, 2)
    promoted_inputs = ("i",)

    def __init__(self, margin: float = 0.0, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(LegacyReductionLoss):
    """``input`` where target is 1, ``max(0, margin - input)`` where it is -1; input and target (*)."""

    float_targets, same_shape = (1,), (0, 1)

    def __init__(self, margin: float = 1.0, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(LegacyReductionLoss):
    """``log(1 + exp(-target * input))`` on input and target (*), target +-1."""

    float_targets, same_shape = (1,), (0, 1)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class MultiLabelSoftMarginLoss(WeightedLegacyLoss):
    """Per-class logistic loss of logits (N, C) against 0/1 targets (N, C), averaged over the classes."""

    float_targets, same_shape = (1,), (0, 1)
    promoted_targets = ("i",)  # (a bool target: PyTorch's 1 - target refuses it)

    def __init__(self, weight: Any = None, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class MultiMarginLoss(WeightedLegacyLoss):
    """Multi-class hinge loss of scores (N, C) or (C,) against class indices (N,) or (); ``p`` is 1 or 2."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight: Any = None, size_average: bool | None = None,
                 reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(weight, size_average, reduce, reduction)
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p == 1 and p == 2 supported, got {p}")
        self.p = p
        self.margin = margin

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


class MultiLabelMarginLoss(LegacyReductionLoss):
    """Multi-label hinge loss of scores (N, C) or (C,) against target class lists of the same shape (ending at
    the first -1)."""

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)
