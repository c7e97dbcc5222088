"""Pooling layers (PyTorch's arguments): `MaxPool1d/2d/3d`, `MaxUnpool1d/2d/3d`, `AvgPool1d/2d`,
`AdaptiveAvgPool1d/2d`."""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..functional.pool import (adaptive_avg_pool1d, adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d,
                               max_pool2d, max_pool3d)
from ..functional.pool import check_adaptive_avg_rank, check_floating, is_int64
from ..functional.unpool import max_unpool1d, max_unpool2d, max_unpool3d
from .conv import check_spatial_input
from .module import Module
from .validate import ShapeMismatch, check_input, check_not_bool

IntOrTuple = int | Sequence[int]


class _Pool(Module):
    spatial = "H, W"
    averages = False  # a mean needs floating-point input
    int64_means = False  # ... or int64, for the average pools (PyTorch's integer division)

    def _check(self, x: Tensor, indices: Any = None) -> None:
        check_spatial_input(self, x, None, self.spatial)
        if self.averages and not (self.int64_means and is_int64(x)):
            check_floating(type(self).__name__, x)
        else:
            check_not_bool(self, x)
        if indices is not None and isinstance(indices, Tensor) and tuple(indices.shape) != tuple(x.shape):
            raise ShapeMismatch(f"{type(self).__name__}: expected indices of the input's shape {x.shape}, got indices "
                                f"of shape {indices.shape}")


class MaxPool1d(_Pool):
    """Max over windows of the last axis: x (N, C, L) or (C, L) → (..., L_out).

    ``stride`` defaults to ``kernel_size``; padding counts as -inf and is at most half the kernel;
    ``L_out = (L + 2 padding - dilation (kernel_size - 1) - 1) / stride + 1``, rounded down (up with
    ``ceil_mode``). The gradient goes to the first maximum of each window. With ``return_indices`` the
    layer returns ``(out, indices)``: int64 positions of the maxima in each input plane, for `MaxUnpool1d`.
    """

    spatial = "L"

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 dilation: IntOrTuple = 1, return_indices: bool = False, ceil_mode: bool = False) -> None:
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.dilation, self.ceil_mode, self.return_indices = dilation, ceil_mode, return_indices

    def forward(self, input: Tensor) -> Any:
        self._check(input)
        return max_pool1d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)

    def extra_repr(self) -> str:
        indices = ", return_indices=True" if self.return_indices else ""
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}{indices}")


class MaxPool2d(MaxPool1d):
    """Max over (kh, kw) windows: x (N, C, H, W) or (C, H, W) → (..., H_out, W_out).

    Arguments as `MaxPool1d`, each an int or an (int, int) pair; indices are ``h * W + w``.
    """

    spatial = "H, W"

    def forward(self, input: Tensor) -> Any:
        self._check(input)
        return max_pool2d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


class MaxPool3d(MaxPool1d):
    """Max over (kd, kh, kw) windows: x (N, C, D, H, W) or (C, D, H, W) → (..., D_out, H_out, W_out).

    Arguments as `MaxPool1d`, each an int or a 3-tuple; indices are ``(d * H + h) * W + w``.
    """

    spatial = "D, H, W"

    def forward(self, input: Tensor) -> Any:
        self._check(input)
        return max_pool3d(input, self.kernel_size, self.stride, self.padding, self.dilation, self.ceil_mode,
                          self.return_indices)


class MaxUnpool1d(_Pool):
    """Partial inverse of `MaxPool1d`: ``layer(x, indices, output_size=None)``, x (N, C, L) or (C, L) →
    zeros (..., L_out) holding x at ``indices`` (what ``MaxPool1d(..., return_indices=True)`` returned).

    ``L_out = (L - 1) stride - 2 padding + kernel_size`` unless ``output_size`` is given (it may differ
    from that by less than a stride); ``stride`` defaults to ``kernel_size``.
    """

    spatial = "L"

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0) -> None:
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size

    def forward(self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        self._check(input, indices)
        return max_unpool1d(input, indices, self.kernel_size, self.stride, self.padding, output_size)

    def extra_repr(self) -> str:
        return _tuples_repr(self, self.spatial.count(",") + 1)


class MaxUnpool2d(MaxUnpool1d):
    """Partial inverse of `MaxPool2d`: x (N, C, H, W) or (C, H, W) → (..., H_out, W_out); as `MaxUnpool1d`."""

    spatial = "H, W"

    def forward(self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        self._check(input, indices)
        return max_unpool2d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class MaxUnpool3d(MaxUnpool1d):
    """Partial inverse of `MaxPool3d`: x (N, C, D, H, W) or (C, D, H, W) → (..., D_out, H_out, W_out)."""

    spatial = "D, H, W"

    def forward(self, input: Tensor, indices: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        self._check(input, indices)
        return max_unpool3d(input, indices, self.kernel_size, self.stride, self.padding, output_size)


class AvgPool1d(_Pool):
    """Mean over windows of the last axis: x (N, C, L) or (C, L) → (..., L_out).

    ``count_include_pad`` (default True) counts the zero padding in the divisor, as PyTorch does.
    """

    spatial = "L"
    averages = True
    int64_means = True

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True) -> None:
        super().__init__()
        self.kernel_size, self.padding = kernel_size, padding
        self.stride = stride if stride is not None else kernel_size
        self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad

    def forward(self, input: Tensor) -> Tensor:
        self._check(input)
        return avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad)

    def extra_repr(self) -> str:
        if self.spatial != "L":  # AvgPool2d keeps its sizes as given (as PyTorch)
            return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        return _tuples_repr(self, 1)


def _tuples_repr(layer: Module, n: int) -> str:
    """PyTorch's repr of a layer that keeps its sizes as n-tuples (AvgPool1d, MaxUnpool*): ``kernel_size=(3,)``."""
    def as_tuple(value: Any) -> tuple[int, ...]:
        return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n

    return (f"kernel_size={as_tuple(layer.kernel_size)}, stride={as_tuple(layer.stride)}, "
            f"padding={as_tuple(layer.padding)}")


class AvgPool2d(AvgPool1d):
    """Mean over (kh, kw) windows: x (N, C, H, W) or (C, H, W) → (..., H_out, W_out).

    Arguments as `AvgPool1d`, plus ``divisor_override`` (replaces the window size as divisor).
    """

    spatial = "H, W"

    def __init__(self, kernel_size: IntOrTuple, stride: IntOrTuple | None = None, padding: IntOrTuple = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> None:
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        self._check(input)
        return avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode, self.count_include_pad,
                          self.divisor_override)


class AdaptiveAvgPool1d(_Pool):
    """Average into ``output_size`` bins along the last axis: x (N, C, L) or (C, L) → (..., output_size).

    Bin ``i`` covers ``[floor(i L / out), ceil((i + 1) L / out))``, as in PyTorch.
    """

    spatial = "L"
    averages = True

    def __init__(self, output_size: int | Sequence[int]) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        self._check(input)
        return adaptive_avg_pool1d(input, self.output_size)

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

    def forward(self, input: Tensor) -> Tensor:
        if self.output_size == 1 or (not isinstance(self.output_size, int) and self.output_size is not None
                                     and all(s == 1 for s in self.output_size)):
            # PyTorch's global average (its mean path) takes any leading dimensions: the function's ranks
            check_input(self, input)
            check_floating(type(self).__name__, input)
            check_adaptive_avg_rank(type(self).__name__, input, self.output_size, 2)
        else:
            self._check(input)
        return adaptive_avg_pool2d(input, self.output_size)
