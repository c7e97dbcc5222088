"""Reductions of the losses added after `loss.py`: PyTorch's deprecated ``size_average``/``reduce`` arguments
mapped to ``reduction`` as PyTorch maps them, and the shared argument checks these losses reuse."""

from __future__ import annotations

import warnings

from .loss_inputs import check_reduction, check_same_shape, data_of, option_array

__all__ = ["check_reduction", "check_same_shape", "data_of", "legacy_reduction", "option_array"]


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
