"""Embedding loss layers: `CosineEmbeddingLoss`, `TripletMarginLoss`, `TripletMarginWithDistanceLoss`."""

from __future__ import annotations

from typing import Any, Callable

from .. import functional as F
from ..autograd.tensor import Tensor
from .distance import PairwiseDistance
from .loss import _Loss
from .loss_legacy import LegacyReductionLoss


class CosineEmbeddingLoss(LegacyReductionLoss):
    """``1 - cos(x1, x2)`` for target 1, ``max(0, cos(x1, x2) - margin)`` for -1: inputs (N, D), target (N,)."""

    float_inputs, same_shape = (0, 1), (0, 1)
    promoted_inputs = ("i", "b")

    def __init__(self, margin: float = 0.0, size_average: bool | None = None, reduce: bool | None = None,
                 reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1: Tensor, input2: Tensor, target: Tensor) -> Tensor:
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(LegacyReductionLoss):
    """``max(0, margin + d(a, p) - d(a, n))`` with the p-norm distance: anchor, positive, negative (N, D) or (D,)."""

    float_inputs, same_shape = (0, 1, 2), (0, 1, 2)
    promoted_inputs = ("i",)

    def __init__(self, margin: float = 1.0, p: float = 2.0, eps: float = 1e-6, swap: bool = False,
                 size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginLoss: expected margin to be greater than 0, got {margin} instead")
        self.margin = margin
        self.p = p
        self.eps = eps
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """Triplet loss with any ``distance_function(x1, x2)`` (default: a `PairwiseDistance`); ``margin > 0``."""

    float_inputs, same_shape = (0, 1, 2), (0, 1, 2)
    promoted_inputs = ("i",)

    def __init__(self, *, distance_function: Callable[[Any, Any], Any] | None = None, margin: float = 1.0,
                 swap: bool = False, reduction: str = "mean") -> None:
        super().__init__(reduction)
        if margin <= 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: expected margin to be greater than 0, got {margin} "
                             "instead")
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.margin = margin
        self.swap = swap

    def forward(self, anchor: Tensor, positive: Tensor, negative: Tensor) -> Tensor:
        return F.triplet_margin_with_distance_loss(anchor, positive, negative,
                                                   distance_function=_fusable(self.distance_function),
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)


def _fusable(distance: Any) -> Any:
    """``None`` for the default distance (a p=2 `PairwiseDistance`): the functional form then runs the fused loss,
    which computes the distances in float32 for float16 inputs."""
    plain = type(distance) is PairwiseDistance and distance.norm == 2.0 and not distance.keepdim
    return None if plain and distance.eps == 1e-6 else distance
