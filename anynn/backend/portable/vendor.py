"""Vendor-library kernels (cuDNN convolution and attention, cuBLASLt epilogues): no standard-only version.

A backend that has such a kernel offers it under these names (`anynn.backend.cudnn`, `anynn.backend.epilogue`);
elsewhere these portable versions answer ``NotImplemented`` and the calling Function runs its own portable math
(im2col + matmul for convolution, matmuls around a softmax for attention, matmul + bias + activation for a fused
linear layer). A vendor kernel answers ``NotImplemented`` too for a call it cannot take (dtype, shape).
"""

from __future__ import annotations

from typing import Any

from ..typing import Namespace


def conv_forward(xp: Namespace, *args: Any) -> Any:
    """x (N, C, H, W), weight, out_shape, stride, padding, dilation → (N, K, Ho, Wo), or NotImplemented."""
    return NotImplemented


def conv_backward_data(xp: Namespace, *args: Any) -> Any:
    """grad (N, K, Ho, Wo), weight, x_shape, stride, padding, dilation → the input's gradient, or NotImplemented."""
    return NotImplemented


def conv_backward_weight(xp: Namespace, *args: Any) -> Any:
    """x, grad (N, K, Ho, Wo), w_shape, stride, padding, dilation → the weight's gradient, or NotImplemented."""
    return NotImplemented


def attention_forward(xp: Namespace, *args: Any) -> Any:
    """q, k, v (B, H, S, D), scale, causal, training → (out, stats), or NotImplemented."""
    return NotImplemented


def attention_backward(xp: Namespace, *args: Any) -> Any:
    """q, k, v, out, stats, grad_out, scale, causal → (dq, dk, dv), or NotImplemented."""
    return NotImplemented


def linear_activation(xp: Namespace, *args: Any) -> Any:
    """x (N, in), weight (out, in), bias (out,), activation, training → (y, aux), or NotImplemented."""
    return NotImplemented
