"""Reshaping layers: `Flatten` and `Unflatten`."""

from __future__ import annotations

from ..autograd.tensor import Tensor
from ..functional.shape import flatten, reshape
from .module import Module


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` into one: (N, C, H, W) → (N, C*H*W) by default."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x: Tensor) -> Tensor:
        return flatten(x, self.start_dim, self.end_dim)


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``: (N, 12) → (N, 3, 4)."""

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, x: Tensor) -> Tensor:
        dim = self.dim % x.ndim
        size = 1
        for n in self.unflattened_size:
            size *= n
        if size != x.shape[dim] and -1 not in self.unflattened_size:
            raise ValueError(f"Unflatten: cannot split dimension {self.dim} of size {x.shape[dim]} into "
                             f"{self.unflattened_size}")
        return reshape(x, tuple(x.shape[:dim]) + self.unflattened_size + tuple(x.shape[dim + 1:]))
