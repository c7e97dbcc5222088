"""Pooling layers: `MaxPool1d/2d`, `AvgPool1d/2d`, `AdaptiveAvgPool1d/2d` (PyTorch's arguments)."""

from __future__ import annotations

from typing import Sequence

from ..autograd.tensor import Tensor
from ..functional.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d,
                               max_pool2d)
from .conv import check_spatial_input
from .module import Module

IntOrTuple = int | Sequence[int]


class _Pool(Module):
    spatial = "H, W"

    def _check(self, x: Tensor) -> None:
        check_spatial_input(self, x, None, self.spatial)


class MaxPool1d(_Pool):
    """Max over windows of the last axis: x (N, C, L) or (C, L) → (..., L_out).

    ``stride`` defaults to ``kernel_size``; padding counts as -inf and is at most half the kernel;
    ``L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) / stride + 1``, rounded down (up with
    ``ceil_mode``). The gradient goes to the first maximum of each window.
    """

    spatial = "L"

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 dilation: IntOrTuple = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        if return_indices:
            raise NotImplementedError(f"{type(self).__name__}: return_indices=True is not supported")
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.dilation, self.ceil_mode, self.return_indices = dilation, ceil_mode, return_indices

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return max_pool1d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(MaxPool1d):
    """Max over (kh, kw) windows: x (N, C, H, W) or (C, H, W) → (..., H_out, W_out).

    Arguments as `MaxPool1d`, each an int or an (int, int) pair.
    """

    spatial = "H, W"

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode)


class AvgPool1d(_Pool):
    """Mean over windows of the last axis: x (N, C, L) or (C, L) → (..., L_out).

    ``count_include_pad`` (default True) counts the zero padding in the divisor, as PyTorch does.
    """

    spatial = "L"

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return avg_pool1d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(AvgPool1d):
    """Mean over (kh, kw) windows: x (N, C, H, W) or (C, H, W) → (..., H_out, W_out).

    Arguments as `AvgPool1d`, plus ``divisor_override`` (replaces the window size as divisor).
    """

    spatial = "H, W"

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return avg_pool2d(x, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)


class AdaptiveAvgPool1d(_Pool):
    """Average into ``output_size`` bins along the last axis: x (N, C, L) or (C, L) → (..., output_size).

    Bin ``i`` covers ``[floor(i L / out), ceil((i + 1) L / out))``, as in PyTorch.
    """

    spatial = "L"

    def __init__(self, output_size: int | Sequence[int]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return adaptive_avg_pool1d(x, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool2d(AdaptiveAvgPool1d):
    """Average into (out_h, out_w) bins: x (N, C, H, W) or (C, H, W) → (..., out_h, out_w).

    ``output_size`` is an int, a pair, or a pair with ``None`` (keep that input size);
    ``AdaptiveAvgPool2d(1)`` is global average pooling.
    """

    spatial = "H, W"

    def __init__(self, output_size: int | Sequence[int | None]) -> None:
        super().__init__(output_size)  # type: ignore[arg-type]

    def forward(self, x: Tensor) -> Tensor:
        self._check(x)
        return adaptive_avg_pool2d(x, self.output_size)
