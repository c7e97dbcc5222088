"""Folding an eval-mode batch norm into the convolution or linear layer before it (``torch.nn.utils.fusion``).

In eval mode a batch norm is an affine map per channel, ``y = (x - mean) * scale + shift`` with
``scale = weight / sqrt(running_var + eps)``, so the layer before it can absorb it: its weights are multiplied by
``scale`` along the output channels, and its bias becomes ``(bias - mean) * scale + shift``. The fused layer is a
copy; the originals are left as they were.
"""

from __future__ import annotations

import copy
from typing import Any, TypeVar

from ...autograd.mode import no_grad
from ...autograd.tensor import Tensor
from ..module import Module, Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval", "fuse_linear_bn_weights"]

ConvT = TypeVar("ConvT", bound=Module)
LinearT = TypeVar("LinearT", bound=Module)


def _scale_and_bias(bias: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float, bn_w: Tensor | None,
                    bn_b: Tensor | None) -> tuple[Tensor, Tensor]:
    """The batch norm's per-channel ``scale`` and the fused bias (C_out,); missing pieces as the identity's."""
    scale = (bn_rv + bn_eps).rsqrt()
    if bn_w is not None:
        scale = scale * bn_w
    shifted = -bn_rm if bias is None else bias - bn_rm
    fused = shifted * scale
    return scale, fused if bn_b is None else fused + bn_b


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                         bn_w: Tensor | None, bn_b: Tensor | None,
                         transpose: bool = False) -> tuple[Parameter, Parameter]:
    """The weight and bias of a convolution followed by an eval-mode batch norm, as one convolution.

    ``conv_w``: (C_out, C_in / groups, *k), or (C_in, C_out / groups, *k) with ``transpose`` (a transposed
    convolution); the batch norm's running mean/var, weight and bias: (C_out,). Returns two Parameters in the
    convolution's dtypes; each requires grad where the convolution's weight (bias) did (a missing bias: not).
    """
    with no_grad():
        scale, bias = _scale_and_bias(conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)
        shape = ((1, -1) if transpose else (-1, 1)) + (1,) * (conv_w.ndim - 2)
        weight = (conv_w * scale.reshape(shape)).to(conv_w.dtype)
        bias = bias.to(conv_w.dtype if conv_b is None else conv_b.dtype)
    bias_grad = False if conv_b is None else conv_b.requires_grad
    return Parameter(weight, requires_grad=conv_w.requires_grad), Parameter(bias, requires_grad=bias_grad)


def fuse_linear_bn_weights(linear_w: Tensor, linear_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor, bn_eps: float,
                           bn_w: Tensor, bn_b: Tensor) -> tuple[Parameter, Parameter]:
    """The weight (out, in) and bias (out,) of a linear layer followed by an eval-mode batch norm over its
    ``out`` features (or over one feature, broadcast), as one linear layer; Parameters as `fuse_conv_bn_weights`'s."""
    with no_grad():
        scale, bias = _scale_and_bias(linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b)
        weight = (linear_w * scale.unsqueeze(-1)).to(linear_w.dtype)
        bias = bias.to(linear_w.dtype if linear_b is None else linear_b.dtype)
    bias_grad = False if linear_b is None else linear_b.requires_grad
    return Parameter(weight, requires_grad=linear_w.requires_grad), Parameter(bias, requires_grad=bias_grad)


def _check_eval(fn: str, layer: Module, bn: Any) -> None:
    if layer.training or bn.training:
        raise AssertionError(f"{fn}: Fusion only for eval! (call .eval() on {type(layer).__name__} and "
                             f"{type(bn).__name__} first)")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError(f"{fn}: the batch norm has no running statistics (track_running_stats=False)")


def fuse_conv_bn_eval(conv: ConvT, bn: Any, transpose: bool = False) -> ConvT:
    """A copy of ``conv`` (eval mode) with the eval-mode batch norm ``bn`` after it folded in (`fuse_conv_bn_weights`);
    ``transpose`` for a transposed convolution."""
    _check_eval("fuse_conv_bn_eval", conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                    bn.eps, bn.weight, bn.bias, transpose)
    return fused


def fuse_linear_bn_eval(linear: LinearT, bn: Any) -> LinearT:
    """A copy of ``linear`` (eval mode) with the eval-mode batch norm ``bn`` after it folded in; ``bn`` normalises
    the linear layer's ``out_features`` (or one feature)."""
    _check_eval("fuse_linear_bn_eval", linear, bn)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or bn.num_features == 1 (got "
                             f"{linear.out_features} and {bn.num_features})")
    fused = copy.deepcopy(linear)
    fused.weight, fused.bias = fuse_linear_bn_weights(fused.weight, fused.bias, bn.running_mean, bn.running_var,
                                                      bn.eps, bn.weight, bn.bias)
    return fused
