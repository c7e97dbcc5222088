"""Padding layers (PyTorch's names and arguments): ``ConstantPad``, ``ZeroPad``, ``ReflectionPad``,
``ReplicationPad`` and ``CircularPad``, each in 1-D, 2-D and 3-D.

``padding`` is an int (the same on every side) or a tuple of 2, 4 or 6 ints ordered from the last axis:
(left, right), (left, right, top, bottom), (left, right, top, bottom, front, back).
"""

from __future__ import annotations

from typing import Sequence

from ..autograd.tensor import Tensor
from ..functional.padding import pad
from ..functional.windows import ntuple
from .module import Module

IntOrTuple = int | Sequence[int]


class _PadNd(Module):
    """Shared constructor and forward: ``pad(x, self.padding, self.mode, self.value)``."""

    spatial_dims = 1
    mode = "constant"

    def __init__(self, padding: IntOrTuple, value: float = 0.0) -> None:
        super().__init__()
        n = 2 * self.spatial_dims
        self.padding = ntuple(padding, n, "padding", type(self).__name__, bools=False,
                              kind=f"a {n}-tuple")
        self.value = value

    def forward(self, input: Tensor) -> Tensor:
        return pad(input, self.padding, self.mode, self.value)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad1d(_PadNd):
    """Pad the last axis with ``value``: x (..., W) → (..., W + left + right); negative pads crop."""

    def __init__(self, padding: IntOrTuple, value: float) -> None:  # value required, as PyTorch's
        super().__init__(padding, value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad2d(ConstantPad1d):
    """Pad the last two axes with ``value``: x (..., H, W) → (..., H + top + bottom, W + left + right)."""

    spatial_dims = 2


class ConstantPad3d(ConstantPad1d):
    """Pad the last three axes with ``value``: x (..., D, H, W) → (..., D + front + back, H + ..., W + ...)."""

    spatial_dims = 3


class ZeroPad1d(ConstantPad1d):
    """Pad the last axis with zeros: x (..., W) → (..., W + left + right)."""

    def __init__(self, padding: IntOrTuple) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad2d(ZeroPad1d):
    """Pad the last two axes with zeros: x (..., H, W) → (..., H + top + bottom, W + left + right)."""

    spatial_dims = 2


class ZeroPad3d(ZeroPad1d):
    """Pad the last three axes with zeros: x (..., D, H, W) → (..., D + front + back, H + ..., W + ...)."""

    spatial_dims = 3


class ReflectionPad1d(_PadNd):
    """Mirror the last axis without repeating the edge: x (N, C, W) or (C, W); each pad < W."""

    mode = "reflect"

    def __init__(self, padding: IntOrTuple) -> None:
        super().__init__(padding)


class ReflectionPad2d(ReflectionPad1d):
    """Mirror the last two axes: x (N, C, H, W) or (C, H, W); each pad < the size of its axis."""

    spatial_dims = 2


class ReflectionPad3d(ReflectionPad1d):
    """Mirror the last three axes: x (N, C, D, H, W) or (C, D, H, W); each pad < the size of its axis."""

    spatial_dims = 3


class ReplicationPad1d(_PadNd):
    """Repeat the edge values of the last axis: x (N, C, W) or (C, W)."""

    mode = "replicate"

    def __init__(self, padding: IntOrTuple) -> None:
        super().__init__(padding)


class ReplicationPad2d(ReplicationPad1d):
    """Repeat the edge values of the last two axes: x (N, C, H, W) or (C, H, W)."""

    spatial_dims = 2


class ReplicationPad3d(ReplicationPad1d):
    """Repeat the edge values of the last three axes: x (N, C, D, H, W) or (C, D, H, W)."""

    spatial_dims = 3


class CircularPad1d(_PadNd):
    """Wrap the last axis around (periodic boundary): x (N, C, W) or (C, W); each pad <= W."""

    mode = "circular"

    def __init__(self, padding: IntOrTuple) -> None:
        super().__init__(padding)


class CircularPad2d(CircularPad1d):
    """Wrap the last two axes around: x (N, C, H, W) or (C, H, W); each pad <= the size of its axis."""

    spatial_dims = 2


class CircularPad3d(CircularPad1d):
    """Wrap the last three axes around: x (N, C, D, H, W) or (C, D, H, W); each pad <= the size of its axis."""

    spatial_dims = 3
