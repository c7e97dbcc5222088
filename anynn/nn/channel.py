"""`ChannelShuffle`, `LocalResponseNorm` and `CrossMapLRN2d`: layers that mix neighbouring channels (PyTorch's
arguments)."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..factories import arange
from ..functional.pool_composite import channel_shuffle, local_response_norm
from ..functional.value_checks import KernelNotImplementedError
from .module import Module
from .validate import check_input, check_not_bool


class ChannelShuffle(Module):
    """Interleave ``groups`` groups of channels (ShuffleNet): (N, C, *) → (N, C, *)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, input: Tensor) -> Tensor:
        return channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class LocalResponseNorm(Module):
    """``x / (k + alpha * mean of x^2 over size neighbouring channels)^beta`` (AlexNet): (N, C, *) → same."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        check_not_bool(self, input)
        return local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class CrossMapLRN2d(Module):
    """PyTorch's legacy (Lua Torch) cross-channel normalisation of a 4-D input (N, C, H, W) → same shape:
    ``x / (k + alpha / size * s)^beta``, ``s`` the sum of ``x^2`` over a window of channels.

    The window is PyTorch's: channels ``c - p + 1 .. c + p - 1`` with ``p = int((size - 1) / 2 + 1)`` (``size``
    channels for odd ``size``, ``size - 1`` for even) and, from channel ``p`` on, channel 0 as well (its running
    sum never drops it). So values differ from `LocalResponseNorm` past channel ``p - 1``, as PyTorch's do; the
    gradient is the derivative of these values (see the differences page)."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        check_not_bool(self, input)
        if input.ndim != 4:
            raise ValueError(f"CrossMapLRN2d: Expected input to be 4D, got {input.ndim}D instead.")
        if not input.is_floating_point():
            raise KernelNotImplementedError(f"CrossMapLRN2d: expected a floating-point input, got {input.dtype}")
        channels = input.shape[1]
        reach = int((self.size - 1) / 2 + 1)
        c = arange(channels, backend=input.backend).reshape(channels, 1)
        j = arange(channels, backend=input.backend).reshape(1, channels)
        window = ((j <= c + reach - 1) & ((j == 0) | (j > c - reach))).astype(input.dtype)  # (C_out, C_in)
        sums = ((input * input).permute(0, 2, 3, 1) @ window.mT).permute(0, 3, 1, 2)
        return input * (self.k + self.alpha / self.size * sums) ** -self.beta

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
