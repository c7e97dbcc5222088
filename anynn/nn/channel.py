"""`ChannelShuffle` and `LocalResponseNorm`: layers that mix neighbouring channels (PyTorch's arguments)."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..functional.pool_composite import channel_shuffle, local_response_norm
from .module import Module
from .validate import check_not_bool


class ChannelShuffle(Module):
    """Interleave ``groups`` groups of channels (ShuffleNet): (N, C, *) → (N, C, *)."""

    def __init__(self, groups: int) -> None:
        super().__init__()
        self.groups = groups

    def forward(self, x: Tensor) -> Tensor:
        return channel_shuffle(x, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class LocalResponseNorm(Module):
    """``x / (k + alpha * mean of x^2 over size neighbouring channels)^beta`` (AlexNet): (N, C, *) → same."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75, k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, x: Tensor) -> Tensor:
        check_not_bool(self, x)
        return local_response_norm(x, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
