"""Instance normalisation: each sample's channels normalised over their own spatial axes (PyTorch's rules)."""

from __future__ import annotations

import math

from ..autograd.tensor import Tensor
from .norm import batch_norm, check_running_stats, check_shapes, grouped_norm
from .value_checks import check_one_backend


def _update_running(x: Tensor, running_mean: Tensor, running_var: Tensor, momentum: float) -> None:
    """PyTorch's update: per-instance mean and unbiased variance, averaged over the batch, mixed in by momentum."""
    xp = x.backend.xp
    data = x.array
    axes = tuple(range(2, data.ndim))
    sizes = [data.shape[ax] for ax in axes]
    if None not in sizes and math.prod(sizes) == 0:  # no element per instance: PyTorch leaves the statistics
        return
    single = None not in sizes and math.prod(sizes) <= 1  # (None: a symbolic axis, taken as more than one element)
    mean = xp.mean(data, axis=axes)  # (N, C)
    var = xp.zeros_like(mean) if single else xp.var(data, axis=axes, correction=1)
    m = momentum
    running_mean.array = (1.0 - m) * running_mean.array + m * xp.astype(xp.mean(mean, axis=0), running_mean.array.dtype)
    running_var.array = (1.0 - m) * running_var.array + m * xp.astype(xp.mean(var, axis=0), running_var.array.dtype)


def instance_norm(input: Tensor, running_mean: Tensor | None = None, running_var: Tensor | None = None,
                  weight: Tensor | None = None, bias: Tensor | None = None, use_input_stats: bool = True,
                  momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Normalise input (N, C, *) per sample and channel over the trailing axes; weight and bias are (C,).

    ``use_input_stats`` (PyTorch's name): normalise with each instance's statistics and, where running
    statistics are given, update them (mean over the batch of the instances' mean and unbiased variance);
    otherwise normalise with the running statistics.
    """
    check_one_backend("instance_norm", input, running_mean, running_var, weight, bias)
    check_running_stats("instance_norm", running_mean, running_var)
    if input.ndim < 3:
        raise ValueError(f"instance_norm: expected input of shape (N, C, *) with at least one spatial axis, "
                         f"got shape {input.shape}")
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: running_mean and running_var are needed when use_input_stats=False")
        return batch_norm(input, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = input.shape[2:]  # (not .size: a recorded batch axis has no count; a recorded spatial axis, None, is
    if None not in spatial and math.prod(spatial) == 1:  # taken as not a single element; 0 passes, as PyTorch)
        raise ValueError(f"instance_norm: expected more than 1 spatial element when training, got input of shape "
                         f"{input.shape}")
    check_shapes("instance_norm", (input.shape[1],), "one per channel of input " + str(tuple(input.shape)),
                 running_mean=running_mean, running_var=running_var)
    if running_mean is not None and running_var is not None:
        _update_running(input, running_mean, running_var, float(momentum))
    if None not in spatial and math.prod(spatial) == 0:  # nothing to normalise (the statistics of no element warn)
        per_channel = (input.shape[1],) + (1,) * (input.ndim - 2)
        out = input * 1.0 if weight is None else input * weight.reshape(per_channel)
        return out if bias is None else out + bias.reshape(per_channel)
    return grouped_norm(input, input.shape[1], weight, bias, eps, per_channel=True)
