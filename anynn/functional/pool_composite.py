"""Pools and channel operations built from other primitives, in PyTorch's own formulas.

- ``avg_pool3d`` and ``adaptive_avg_pool3d``: a box average is separable (PyTorch's divisor, with padding,
  ``count_include_pad`` and ceil mode, is a product of per-axis counts), so D is pooled by the 1-D pool and
  (H, W) by the 2-D one: two graph nodes.
- ``lp_pool1d/2d/3d``: ``(sum over the window of x^p)^(1/p)`` via the average pool, as PyTorch computes it.
- ``local_response_norm``: PyTorch's formula, the channel window averaged by a 2-D pool.
- ``channel_shuffle``: a reshape, a transpose and a reshape.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.tensor import Tensor
from .activation import relu
from .padding import pad
from .value_checks import python_ints, require_tensor
from .value_checks import InvalidValueError, ShapeMismatchError
from .pool import (adaptive_avg_pool_nd, avg_pool1d, avg_pool2d, avg_pool_nd, check_adaptive_avg_rank, check_rank,
                   check_windows, int64_mean, is_int64, max_pool1d, max_pool2d, max_pool3d)
from .windows import ntuple

IntOrTriple = int | Sequence[int]


def _depth_last(x: Tensor) -> Tensor:
    """(..., D, H, W) → (..., H, W, D)."""
    n = x.ndim
    return x.permute(*range(n - 3), n - 2, n - 1, n - 3)


def _depth_back(x: Tensor) -> Tensor:
    """(..., H, W, D) → (..., D, H, W)."""
    n = x.ndim
    return x.permute(*range(n - 3), n - 1, n - 3, n - 2)


def avg_pool3d(input: Tensor, kernel_size: IntOrTriple, stride: IntOrTriple | None = None,
               padding: IntOrTriple = 0, ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None) -> Tensor:
    """Mean over (kd, kh, kw) windows: (N, C, D, H, W) or (C, D, H, W) → (..., D_out, H_out, W_out)."""
    check_rank("avg_pool3d", input, 3)
    if is_int64(input):
        return int64_mean(lambda x: avg_pool3d(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                               divisor_override), input)
    kernel = ntuple(kernel_size, 3, "kernel_size", "avg_pool3d", one=True)
    steps = kernel if stride is None or (not isinstance(stride, int) and len(tuple(stride)) == 0) \
        else ntuple(stride, 3, "stride", "avg_pool3d", one=True)
    pads = ntuple(padding, 3, "padding", "avg_pool3d", one=True)
    if divisor_override is not None and divisor_override <= 0:
        raise InvalidValueError(f"avg_pool3d: divisor_override must be positive, got {divisor_override}")
    if any(size is not None and size < k for size, k in zip(input.shape[-3:], kernel)):  # (None: symbolic)
        # PyTorch's 3-D average pool (alone among the pools) checks the unpadded input against the kernel
        raise ShapeMismatchError(f"avg_pool3d: input of spatial size {tuple(input.shape[-3:])} is smaller than the "
                                 f"kernel size {kernel}")
    if None in input.shape[-3:]:  # symbolic sizes (an ONNX export): one 3-D pool, ONNX's AveragePool
        return avg_pool_nd("avg_pool3d", input, kernel, steps, pads, ceil_mode, count_include_pad, divisor_override,
                           3)
    # with divisor_override each pass sums its window (divisor 1), and the total is divided once
    per_axis = None if divisor_override is None else 1
    deep = avg_pool_nd("avg_pool3d", _depth_last(input), kernel[0], steps[0], pads[0], ceil_mode, count_include_pad,
                       per_axis, 1)
    out = avg_pool_nd("avg_pool3d", _depth_back(deep), kernel[1:], steps[1:], pads[1:], ceil_mode, count_include_pad,
                      per_axis, 2)
    return out if divisor_override is None else out / divisor_override


def adaptive_avg_pool3d(input: Tensor, output_size: int | Sequence[int | None]) -> Tensor:
    """Average into (out_d, out_h, out_w) bins (``None`` keeps that size): (N, C, D, H, W) or (C, D, H, W) →
    (..., out_d, out_h, out_w); to size 1 (or (1, 1, 1)) any leading axes, as PyTorch."""
    check_adaptive_avg_rank("adaptive_avg_pool3d", input, output_size, 3)
    sizes = (output_size,) * 3 if output_size is None or isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != 3:
        raise ValueError(f"adaptive_avg_pool3d: output_size must be an int or a 3-tuple, got {output_size!r}")
    check_windows("adaptive_avg_pool3d", input, sizes)  # here: the two passes below see the axes moved
    if sizes[0] is None:  # the depth kept: one bin per element, no pass (a symbolic depth has no int size)
        return adaptive_avg_pool_nd("adaptive_avg_pool3d", input, sizes[1:], 2)
    deep = adaptive_avg_pool_nd("adaptive_avg_pool3d", _depth_last(input), sizes[0], 1)
    return adaptive_avg_pool_nd("adaptive_avg_pool3d", _depth_back(deep), sizes[1:], 2)


def _lp_pool_infinite(max_pool: Any, input: Tensor, norm_type: float, kernel_size: Any, stride: Any,
                      ceil_mode: bool) -> Tensor:
    """The limits p → ±inf: max (min) of ``|x|`` over each window (``x^p`` would overflow to inf or 0)."""
    if norm_type > 0:
        return max_pool(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    return -max_pool(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)


def lp_pool1d(input: Tensor, norm_type: float, kernel_size: int, stride: int | None = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling ``(sum_window x^p)^(1/p)`` over the last axis: (N, C, L) → (N, C, L_out).

    ``norm_type=inf`` is the max of ``|x|`` over the window, ``-inf`` the min (PyTorch's special cases)."""
    check_rank("lp_pool1d", input, 1)
    if norm_type in (float("inf"), -float("inf")):
        return _lp_pool_infinite(max_pool1d, input, norm_type, kernel_size, stride, ceil_mode)
    out = avg_pool1d(input ** norm_type, kernel_size, stride, 0, ceil_mode)
    kernel_size = python_ints(kernel_size)
    size = kernel_size if isinstance(kernel_size, int) else tuple(kernel_size)[0]
    return ((out.sign() * relu(out.abs())) * size) ** (1.0 / norm_type)


def lp_pool2d(input: Tensor, norm_type: float, kernel_size: int | Sequence[int], stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (kh, kw) windows: (N, C, H, W) or (C, H, W) → (..., H_out, W_out)."""
    check_rank("lp_pool2d", input, 2)
    if norm_type in (float("inf"), -float("inf")):
        return _lp_pool_infinite(max_pool2d, input, norm_type, kernel_size, stride, ceil_mode)
    kernel_size = python_ints(kernel_size)
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else tuple(kernel_size)
    out = avg_pool2d(input ** norm_type, (kh, kw), stride, 0, ceil_mode)
    return ((out.sign() * relu(out.abs())) * (kh * kw)) ** (1.0 / norm_type)


def lp_pool3d(input: Tensor, norm_type: float, kernel_size: int | Sequence[int], stride: Any = None,
              ceil_mode: bool = False) -> Tensor:
    """Power-average pooling over (kd, kh, kw) windows: (N, C, D, H, W) or (C, D, H, W) → (..., D_out, H_out, W_out)."""
    check_rank("lp_pool3d", input, 3)
    if norm_type in (float("inf"), -float("inf")):
        return _lp_pool_infinite(max_pool3d, input, norm_type, kernel_size, stride, ceil_mode)
    kernel = ntuple(kernel_size, 3, "kernel_size", "lp_pool3d")
    out = avg_pool3d(input ** norm_type, kernel, stride, 0, ceil_mode)
    return ((out.sign() * relu(out.abs())) * (kernel[0] * kernel[1] * kernel[2])) ** (1.0 / norm_type)


def local_response_norm(input: Tensor, size: int, alpha: float = 1e-4, beta: float = 0.75,
                        k: float = 1.0) -> Tensor:
    """``x / (k + alpha * mean of x^2 over ``size`` neighbouring channels)^beta``: (N, C, *) → same shape."""
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3D or higher dimensionality input (got {input.ndim} "
                         f"dimensions)")
    if size < 1:
        raise ValueError(f"local_response_norm: size (the number of neighbouring channels) must be positive, got "
                         f"{size}")
    if 0 in input.shape:
        return input
    shape = tuple(input.shape)
    if None in shape:  # symbolic sizes (an ONNX export): the reshapes below need them
        return input / (_channel_window_mean(input * input, size) * alpha + k) ** beta
    square = (input * input).reshape(shape[0], 1, shape[1], -1)  # (N, 1, C, rest)
    square = pad(square, (0, 0, size // 2, (size - 1) // 2))
    div = avg_pool2d(square, (size, 1), stride=1).reshape(*shape)
    return input / (div * alpha + k) ** beta


def _channel_window_mean(square: Tensor, size: int) -> Tensor:
    """The mean of ``square`` (N, C, *) over ``size`` neighbouring channels, zeros past the ends (PyTorch's windows:
    ``size // 2`` before, ``(size - 1) // 2`` after): a sum of shifted slices, whatever the other sizes."""
    padded = pad(square, (0, 0) * (square.ndim - 2) + (size // 2, (size - 1) // 2))
    channels = square.shape[1]
    total = padded[:, :channels]
    for shift in range(1, size):
        total = total + padded[:, shift:shift + channels]
    return total / size


def channel_shuffle(input: Tensor, groups: int) -> Tensor:
    """Interleave ``groups`` groups of channels: (N, C, *) → (N, C, *); channel g * (C / groups) + i goes to
    i * groups + g."""
    require_tensor("channel_shuffle", input)
    if input.ndim < 3:
        raise ShapeMismatchError(f"channel_shuffle: expected input of at least 3 dimensions (N, C, *), got shape "
                                 f"{input.shape}")
    channels = input.shape[1]
    if groups < 1 or channels % groups:
        raise ShapeMismatchError(f"channel_shuffle: number of channels ({channels}) must be divisible by groups "
                                 f"({groups})")
    shape = tuple(input.shape)
    grouped = input.reshape(shape[0], groups, channels // groups, *shape[2:])
    return grouped.transpose(1, 2).reshape(*shape)
