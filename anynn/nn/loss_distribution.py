"""Loss layers between distributions: `KLDivLoss`, `PoissonNLLLoss`, `GaussianNLLLoss`."""

from __future__ import annotations

from .. import functional as F
from ..autograd.tensor import Tensor
from ..functional.loss_reduction import legacy_reduction
from .loss import _Loss
from .loss_legacy import LegacyReductionLoss


class KLDivLoss(_Loss):
    """KL divergence of target from log-probabilities input (*); ``reduction="batchmean"`` is KL's definition."""

    float_inputs, same_shape = (0, 1), (0, 1)

    def __init__(self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean",
                 log_target: bool = False) -> None:
        reduction = legacy_reduction(size_average, reduce, reduction)
        super().__init__("mean" if reduction == "batchmean" else reduction)
        self.reduction = reduction
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class PoissonNLLLoss(LegacyReductionLoss):
    """Poisson negative log-likelihood of target counts (*) with log-rates (``log_input``) or rates (*)."""

    float_targets, same_shape = (1,), (0, 1)
    promoted_inputs = ("i",)

    def __init__(self, log_input: bool = True, full: bool = False, size_average: bool | None = None,
                 eps: float = 1e-8, reduce: bool | None = None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input = log_input
        self.full = full
        self.eps = eps

    def forward(self, log_input: Tensor, target: Tensor) -> Tensor:
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log-likelihood of target (*) given means input (*) and variances var (see
    `anynn.functional.gaussian_nll_loss` for var's shapes)."""

    float_inputs, float_targets, same_shape = (0, 2), (1,), (0, 1)
    promoted_inputs = promoted_targets = ("i",)  # (int64 means give float32, as PyTorch's; a bool is refused)

    def __init__(self, *, full: bool = False, eps: float = 1e-6, reduction: str = "mean") -> None:
        super().__init__(reduction)
        self.full = full
        self.eps = eps

    def forward(self, input: Tensor, target: Tensor, var: Tensor | float) -> Tensor:
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)
