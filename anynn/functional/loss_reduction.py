"""Reductions of the losses added after `loss.py`: PyTorch's deprecated ``size_average``/``reduce`` arguments
mapped to ``reduction`` as PyTorch maps them, and the shared argument checks these losses reuse."""

from __future__ import annotations

import warnings

from typing import Any

from ..autograd.tensor import Tensor, make_tensor
from .loss_inputs import as_operand, check_reduction, check_same_shape, data_of, option_array

__all__ = ["check_reduction", "check_same_shape", "data_of", "legacy_reduction", "option_array", "weighted"]


def legacy_reduction(size_average: bool | None, reduce: bool | None, reduction: str) -> str:
    """``reduction``, or the one the deprecated pair asks for (with PyTorch's deprecation warning).

    Either flag left at ``None`` counts as True: both True → ``"mean"``, only ``reduce`` → ``"sum"``,
    ``reduce=False`` → ``"none"``.
    """
    if size_average is None and reduce is None:
        return reduction
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    legacy = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(f"size_average and reduce args will be deprecated, please use reduction='{legacy}' instead.",
                  UserWarning, stacklevel=3)
    return legacy


def weighted(name: str, losses: Tensor, weight: Any, input: Tensor, reduction: str, mean_by_weight: bool) -> Tensor:
    """PyTorch's ``weight=`` of the regression losses: the unreduced ``losses`` (input's shape) times ``weight``
    (input's shape exactly, ValueError otherwise), then reduced.

    ``"mean"`` divides the weighted sum by the sum of the weights when ``mean_by_weight`` (``mse_loss``,
    ``l1_loss``) and by the element count otherwise (``huber_loss``), as PyTorch 2.13 does.
    """
    weight = as_operand(name, "weight", weight, input)
    if not isinstance(weight, Tensor):
        weight = make_tensor(weight, input.backend, None, 0)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{name}: weight must have the input's shape {tuple(input.shape)}, got "
                         f"{tuple(weight.shape)} (Weights and input must have the same size)")
    out = losses * weight
    if reduction == "none":
        return out
    if reduction == "sum":
        return out.sum()
    return out.sum() / weight.sum() if mean_by_weight else out.mean()
