"""`AvgPool3d`, `AdaptiveAvgPool3d`, `LPPool1d`, `LPPool2d`, `LPPool3d` (PyTorch's arguments), over
`anynn.functional.pool_composite`."""

from __future__ import annotations

from typing import Sequence

from ..autograd.tensor import Tensor
from ..functional.pool_composite import adaptive_avg_pool3d, avg_pool3d, lp_pool1d, lp_pool2d, lp_pool3d
from .conv import check_spatial_input
from .module import Module
from .validate import check_not_bool

IntOrTuple = int | Sequence[int]


class AvgPool3d(Module):
    """Mean over (kd, kh, kw) windows: (N, C, D, H, W) or (C, D, H, W) → (..., D_out, H_out, W_out).

    Arguments as `AvgPool2d`, each an int or a 3-tuple; ``stride`` defaults to ``kernel_size``.
    """

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad, self.divisor_override = ceil_mode, count_include_pad, divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return avg_pool3d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool3d(Module):
    """Average into ``output_size`` (an int or a 3-tuple, ``None`` keeps that size) bins: → (..., Do, Ho, Wo)."""

    def __init__(self, output_size: int | Sequence[int | None] | None) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return adaptive_avg_pool3d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class LPPool1d(Module):
    """Power-average pooling ``(sum_window x^p)^(1/p)``: (N, C, L) or (C, L) → (..., L_out).

    ``norm_type`` is p (1: sum pooling; large p approaches max pooling); ``stride`` defaults to ``kernel_size``.
    """

    def __init__(self, norm_type: float, kernel_size: IntOrTuple, stride: IntOrTuple | None = None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type, self.kernel_size, self.stride, self.ceil_mode = norm_type, kernel_size, stride, ceil_mode

    def forward(self, input: Tensor) -> Tensor:
        check_not_bool(self, input)
        check_spatial_input(self, input, None, "L")  # PyTorch refuses extra leading dimensions
        return lp_pool1d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, stride={self.stride}, "
                f"ceil_mode={self.ceil_mode}")


class LPPool2d(LPPool1d):
    """Power-average pooling over (kh, kw) windows: (N, C, H, W) or (C, H, W) → (..., H_out, W_out)."""

    def forward(self, input: Tensor) -> Tensor:
        check_not_bool(self, input)
        check_spatial_input(self, input, None, "H, W")
        return lp_pool2d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)



class LPPool3d(LPPool1d):
    """Power-average pooling over (kd, kh, kw) windows: (N, C, D, H, W) or (C, D, H, W) → (..., D_out, H_out, W_out)."""

    def forward(self, input: Tensor) -> Tensor:
        check_not_bool(self, input)
        check_spatial_input(self, input, None, "D, H, W")
        return lp_pool3d(input, float(self.norm_type), self.kernel_size, self.stride, self.ceil_mode)


__all__ = ["AdaptiveAvgPool3d", "AvgPool3d", "LPPool1d", "LPPool2d", "LPPool3d"]
