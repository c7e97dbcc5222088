"""`AdaptiveMaxPool1d`, `AdaptiveMaxPool2d`, `AdaptiveMaxPool3d` (PyTorch's arguments, ``return_indices`` too)."""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..functional.pool_adaptive_max import adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d
from .conv import check_spatial_input
from .module import Module


class AdaptiveMaxPool1d(Module):
    """Maximum of each adaptive bin along L: (N, C, L) or (C, L) → (..., output_size).

    With ``return_indices`` returns ``(out, indices)``, int64 positions of the maxima along L.
    """

    def __init__(self, output_size: int | Sequence[int | None] | None, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input: Tensor) -> Any:
        check_spatial_input(self, input, None, "L")  # PyTorch refuses extra leading dimensions
        return adaptive_max_pool1d(input, self.output_size, self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(AdaptiveMaxPool1d):
    """Maximum of each adaptive (H, W) bin: (N, C, H, W) or (C, H, W) → (..., out_h, out_w); ``None`` in
    ``output_size`` keeps that size. With ``return_indices`` also the indices ``h * W + w`` (for `MaxUnpool2d`)."""

    def forward(self, input: Tensor) -> Any:
        check_spatial_input(self, input, None, "H, W")
        return adaptive_max_pool2d(input, self.output_size, self.return_indices)


class AdaptiveMaxPool3d(AdaptiveMaxPool1d):
    """Maximum of each adaptive (D, H, W) bin: (N, C, D, H, W) or (C, D, H, W) → (..., out_d, out_h, out_w);
    ``None`` in ``output_size`` keeps that size. With ``return_indices`` also the indices ``(d * H + h) * W + w``
    (for `MaxUnpool3d`)."""

    def forward(self, input: Tensor) -> Any:
        check_spatial_input(self, input, None, "D, H, W")
        return adaptive_max_pool3d(input, self.output_size, self.return_indices)
