"""``torch.nn.utils.clip_grad``: PyTorch's module path of the gradient clipping functions (mmcv's optimizer hook
calls ``clip_grad.clip_grad_norm_``). They are `anynn.optim.clip`'s; ``clip_grad_norm`` is the deprecated spelling
and warns as PyTorch's."""

from __future__ import annotations

import warnings
from typing import Any

from ...optim.clip import clip_grad_norm_, clip_grad_value_, clip_grads_with_norm_, get_total_norm


def clip_grad_norm(parameters: Any, max_norm: float, norm_type: float = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Any:
    """``torch.nn.utils.clip_grad_norm`` (deprecated): `clip_grad_norm_`, with PyTorch's FutureWarning."""
    warnings.warn("`anynn.nn.utils.clip_grad_norm` is now deprecated in favor of `anynn.nn.utils.clip_grad_norm_`.",
                  FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


__all__ = ["clip_grad_norm", "clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]
