"""`LinearCrossEntropyLoss` (PyTorch 2.13): a `Linear` head and the cross entropy of its logits in one module, and
`LinearCrossEntropyOptions`, PyTorch's settings of its chunked kernel (checked as PyTorch checks them; anynn computes
the reference form, which gives the same loss: `anynn.functional.linear_cross_entropy`)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from .. import functional as F
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .linear import Linear
from .loss import _Loss

_ACC_POLICIES = ("auto", "accurate", "balanced", "compact")
_ACC_DTYPES = ("float16", "bfloat16", "float32", "float64")


@dataclasses.dataclass(slots=True, frozen=True)
class LinearCrossEntropyOptions:
    """PyTorch's options of the chunked ``linear_cross_entropy`` (batch rows per chunk, accumulation precision).

    anynn takes them, with PyTorch's checks, and computes the loss in one piece (the values are the same)."""

    allow_retain_graph: bool = False
    batch_chunk_size: int | None = None
    chunking_method: str | None = "auto"
    acc_policy: str = "auto"
    acc_dtype: Any = None

    def __post_init__(self) -> None:
        if self.acc_policy not in _ACC_POLICIES:
            raise ValueError(f"invalid acc_policy: {self.acc_policy!r}")
        if self.chunking_method is not None and self.chunking_method != "auto":
            name, sep, factor = self.chunking_method.partition(":")
            factor = factor if sep else "1"
            if not (name == "aspect_ratio" and factor.isdigit() and int(factor) > 0):
                raise ValueError(f"invalid chunking_method: {self.chunking_method!r}")
        chunk = self.batch_chunk_size
        if not (chunk is None or (isinstance(chunk, int) and chunk > 0)):
            raise ValueError(f"batch_chunk_size must be positive int or None, got {chunk!r}")
        if self.acc_dtype is not None and _dtype_name(self.acc_dtype) not in _ACC_DTYPES:
            raise ValueError(f"acc_dtype must be one of {{None, torch.float16, torch.bfloat16, torch.float32, "
                             f"torch.float64}}, got {self.acc_dtype!r}. Pass acc_dtype=None to let the op pick "
                             f"automatically.")


def _dtype_name(dtype: Any) -> str | None:
    try:
        return dtype_name(dtype)
    except (TypeError, ValueError, KeyError, AttributeError):
        return None


class LinearCrossEntropyLoss(_Loss):
    """``cross_entropy(linear(input), target)`` with the head's weight (C * prod(out_features), in_features) held
    flat in ``self.linear`` (and its bias (C * prod(out_features),) with ``bias=True``), as PyTorch's.

    input: (N, in_features) or (in_features,); target: class indices (N) / (N, d_1, ..., d_K) or probabilities of
    the logits' shape (N, C, d_1, ..., d_K)."""

    def __init__(self, in_features: int, num_classes: int, *, out_features: tuple[int, ...] = (), bias: bool = False,
                 backend: Any = None, dtype: Any = None, reduction: str = "mean", weight: Tensor | None = None,
                 ignore_index: int | None = None, label_smoothing: float = 0.0,
                 options: LinearCrossEntropyOptions | None = None) -> None:
        if weight is not None and tuple(weight.shape) != (num_classes,):
            raise RuntimeError(f"expected weight shape to be {(num_classes,)}, got {tuple(weight.shape)}")
        if label_smoothing < 0 or label_smoothing > 1.0:
            raise RuntimeError(f"expected label_smoothing to be in range [0, 1], got {label_smoothing}")
        super().__init__(reduction)
        self._weight_state("weight", weight)
        self.num_classes = num_classes
        self.out_features = out_features
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing
        self.linear = Linear(in_features, math.prod(out_features, start=num_classes), bias=bias, backend=backend,
                             dtype=dtype)  # (device= as PyTorch's: `anynn.nn.device_argument`)
        self.options = options

    def forward(self, input: Tensor, target: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
        linear_weight = self.linear.weight.reshape((self.num_classes, *self.out_features, self.linear.in_features))
        bias = self.linear.bias
        linear_bias = None if bias is None else bias.reshape((self.num_classes, *self.out_features))
        return F.linear_cross_entropy(input, linear_weight, target, linear_bias=linear_bias, weight=self.weight,
                                      reduction=self.reduction, ignore_index=self.ignore_index,
                                      label_smoothing=self.label_smoothing, options=self.options)


__all__ = ["LinearCrossEntropyLoss", "LinearCrossEntropyOptions"]
