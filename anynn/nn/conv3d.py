"""`Conv3d`: PyTorch's arguments, parameter shapes and initialisation over (D, H, W)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..functional.conv3d import conv3d
from .conv import IntOrTuple, _Conv, check_spatial_input


class Conv3d(_Conv):
    """3-D convolution: x (N, C_in, D, H, W) or (C_in, D, H, W) → (N, C_out, D_out, H_out, W_out).

    ``weight`` is (out_channels, in_channels / groups, kd, kh, kw), ``bias`` (out_channels,); arguments and
    initialisation as `Conv2d`, with ints or 3-tuples.
    """

    spatial_dims = 3

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                 padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", backend: Any = None, dtype: Any = None,
                 seed: int | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, backend, dtype, seed)

    convolve = staticmethod(conv3d)

    def _check(self, x: Tensor) -> None:
        check_spatial_input(self, x, self.in_channels, "D, H, W")
