"""`CTCLoss`: connectionist temporal classification (see `anynn.functional.ctc_loss`)."""

from __future__ import annotations

from typing import Any

from .. import functional as F
from ..autograd.tensor import Tensor
from .loss import _Loss


class CTCLoss(_Loss):
    """CTC loss of log-probabilities (T, N, C) or (T, C) against targets (N, S) padded or concatenated (sum of
    target_lengths,); ``blank`` is the blank class, ``zero_infinity`` zeroes infinite losses and their gradients."""

    def __init__(self, blank: int = 0, reduction: str = "mean", zero_infinity: bool = False) -> None:
        super().__init__(reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs: Tensor, targets: Any, input_lengths: Any, target_lengths: Any) -> Tensor:
        return F.ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=self.blank,
                          reduction=self.reduction, zero_infinity=self.zero_infinity)
