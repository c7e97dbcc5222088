"""Resampling layers: `Upsample` (and PyTorch's `UpsamplingNearest2d`/`UpsamplingBilinear2d`), `PixelShuffle`,
`PixelUnshuffle`; no parameters."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..functional.resample import UnsupportedRankError, interpolate, pixel_shuffle, pixel_unshuffle
from .module import Module
from .validate import check_floating, check_input, check_not_bool


class Upsample(Module):
    """Resize x (N, C, L) / (N, C, H, W) / (N, C, D, H, W) with `anynn.functional.interpolate`.

    Parameters
    ----------
    size, scale_factor : int/float or tuple
        The output's spatial size, or its ratio to the input's (exactly one).
    mode : ``"nearest"`` (default), ``"nearest-exact"``, ``"linear"``, ``"bilinear"``, ``"bicubic"``,
        ``"trilinear"`` or ``"area"``
    align_corners, recompute_scale_factor : bool, optional
        As in `anynn.functional.interpolate`.
    """

    def __init__(self, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
                 align_corners: bool | None = None, recompute_scale_factor: bool | None = None) -> None:
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        self.scale_factor = (tuple(float(f) for f in scale_factor) if isinstance(scale_factor, (list, tuple))
                             else None if scale_factor is None else float(scale_factor))
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input, ndim=(3, 4, 5), shape_error=UnsupportedRankError)
        if self.mode == "nearest":
            check_not_bool(self, input)
        else:
            check_floating(self, input)
        return interpolate(input, self.size, self.scale_factor, self.mode, self.align_corners,
                           recompute_scale_factor=self.recompute_scale_factor)

    def extra_repr(self) -> str:
        which = f"scale_factor={self.scale_factor!r}" if self.scale_factor is not None else f"size={self.size!r}"
        return f"{which}, mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """`Upsample` with ``mode="nearest"`` on (N, C, H, W) (PyTorch's older name)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """`Upsample` with ``mode="bilinear", align_corners=True`` on (N, C, H, W) (PyTorch's older name)."""

    def __init__(self, size: Any = None, scale_factor: Any = None) -> None:
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """(*, C r^2, H, W) → (*, C, H r, W r) with r = ``upscale_factor``."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        return pixel_shuffle(input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """(*, C, H r, W r) → (*, C r^2, H, W) with r = ``downscale_factor``."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        return pixel_unshuffle(input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"
