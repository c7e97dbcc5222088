"""``F.linear_cross_entropy`` (PyTorch 2.13): the cross entropy of ``linear(input, linear_weight, linear_bias)``
against ``target``, with PyTorch's checks. PyTorch's ``options`` select a chunked kernel that saves memory and gives
the same loss; anynn accepts them and computes the reference form (one linear, one fused cross entropy).
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.tensor import Tensor
from .linalg import linear
from .loss import cross_entropy


def linear_cross_entropy(input: Tensor, linear_weight: Tensor, target: Tensor, *,  # noqa: A002
                         linear_bias: Tensor | None = None, weight: Tensor | None = None, reduction: str = "mean",
                         ignore_index: int | None = None, label_smoothing: float = 0.0, options: Any = None) -> Tensor:
    """``cross_entropy(linear(input, linear_weight, linear_bias), target, ...)``.

    input: (in_features,) or (N, in_features); linear_weight: (C, in_features), or (C, d_1, ..., d_K, in_features)
    for a K-dimensional loss over logits (N, C, d_1, ..., d_K) (batched input only); linear_bias: the weight's
    shape without in_features; target: class indices (), (N) or (N, d_1, ..., d_K), or probabilities of the
    logits' shape; ``ignore_index`` (default -100) only with class indices.
    """
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"linear_cross_entropy: expected input with dimensionality 1 or 2, got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"linear_cross_entropy: expected linear_weight with dimensionality at least 2, got "
                           f"{linear_weight.ndim}")
    batch, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"linear_cross_entropy: expected equal input and linear_weight last dimensions "
                           f"(in_features), got {in_features} and {linear_weight.shape[-1]}, respectively")
    classes, out_features = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out_features):
        raise RuntimeError(f"linear_cross_entropy: expected linear_bias shape {(classes, *out_features)}, got "
                           f"{tuple(linear_bias.shape)}")
    if out_features and not batch:
        raise RuntimeError(f"linear_cross_entropy: K-dimensional loss defined by linear_weight shape "
                           f"{tuple(linear_weight.shape)} requires batched input, (N, {in_features}), got unbatched "
                           f"input with shape {tuple(input.shape)}")
    logits_shape = (*batch, classes, *out_features)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("linear_cross_entropy: ignore_index cannot be specified when target contains "
                           "probabilities")
    if out_features:
        width = math.prod(out_features, start=classes)
        linear_weight = linear_weight.reshape(width, in_features)
        linear_bias = None if linear_bias is None else linear_bias.reshape(width)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, reduction=reduction,
                         ignore_index=-100 if ignore_index is None else ignore_index, label_smoothing=label_smoothing)


__all__ = ["linear_cross_entropy"]
