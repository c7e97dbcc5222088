"""`Conv3d` and `ConvTranspose3d`: PyTorch's arguments, parameter shapes and initialisation over (D, H, W)."""

from __future__ import annotations

from ..functional.conv import conv_transpose3d
from ..functional.conv3d import conv3d
from .conv import _Conv, _ConvTranspose


class Conv3d(_Conv):
    """3-D convolution: x (N, C_in, D, H, W) or (C_in, D, H, W) → (N, C_out, D_out, H_out, W_out).

    ``weight`` is (out_channels, in_channels / groups, kd, kh, kw), ``bias`` (out_channels,); arguments and
    initialisation as `Conv2d`, with ints or 3-tuples.
    """

    spatial_dims = 3

    convolve = staticmethod(conv3d)


class ConvTranspose3d(_ConvTranspose):
    """3-D transposed convolution: x (N, C_in, D, H, W) or (C_in, D, H, W) → (N, C_out, D_out, H_out, W_out).

    ``weight`` is (in_channels, out_channels / groups, kd, kh, kw), ``bias`` (out_channels,); arguments,
    initialisation and ``forward(input, output_size=None)`` as `ConvTranspose2d`, with ints or 3-tuples.
    """

    spatial_dims = 3

    convolve = staticmethod(conv_transpose3d)
