"""Reshaping layers: `Flatten` and `Unflatten`."""

from __future__ import annotations

from typing import Sequence

from ..autograd.tensor import Tensor
from ..functional.shape import flatten, reshape
from ..functional.value_checks import one_dim
from .module import Module
from .validate import ShapeMismatch


def _axis(layer: str, name: str, dim: int, ndim: int) -> int:
    """``dim`` as a non-negative axis of an ``ndim``-D input (a 0-D input has the one axis 0, as in PyTorch); one
    that is no int (a float, a bool) is PyTorch's TypeError (a float fell into the range check before)."""
    dim = one_dim(layer, dim, name)
    rank = max(ndim, 1)
    if not -rank <= dim < rank:
        raise IndexError(f"{layer}: {name}={dim} is out of range for a {ndim}-D input "
                         f"(expected {-rank} <= {name} < {rank})")
    return dim % rank


class Flatten(Module):
    """Merge axes ``start_dim..end_dim`` into one: (N, C, H, W) → (N, C*H*W) by default.

    A 0-D input becomes (1,); ``start_dim`` after ``end_dim`` or an axis out of range is an error.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        start = _axis("Flatten", "start_dim", self.start_dim, input.ndim)
        end = _axis("Flatten", "end_dim", self.end_dim, input.ndim)
        if start > end:
            raise ShapeMismatch(f"Flatten: start_dim={self.start_dim} comes after end_dim={self.end_dim} for a "
                                f"{input.ndim}-D input of shape {input.shape}")
        return flatten(input, start, end)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split axis ``dim`` into ``unflattened_size``: (N, 12) → (N, 3, 4). One size may be -1 (inferred)."""

    def __init__(self, dim: int, unflattened_size: Sequence[int]) -> None:
        super().__init__()
        sizes = tuple(unflattened_size)
        if not all(isinstance(n, int) and (n >= 0 or n == -1) for n in sizes) or sizes.count(-1) > 1:
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of non-negative ints with at most one "
                            f"-1, got {unflattened_size!r}")
        self.dim = dim
        self.unflattened_size = sizes

    def forward(self, input: Tensor) -> Tensor:
        dim = _axis("Unflatten", "dim", self.dim, input.ndim)
        sizes = self.unflattened_size
        known = 1
        for n in sizes:
            known *= n if n != -1 else 1
        length = input.shape[dim]
        if -1 in sizes:
            if known == 0 or length % known:
                raise ShapeMismatch(f"Unflatten: cannot split dimension {self.dim} of size {length} into {sizes}")
            sizes = tuple(length // known if n == -1 else n for n in sizes)
        elif known != length:
            raise ShapeMismatch(f"Unflatten: cannot split dimension {self.dim} of size {length} into {sizes} "
                             f"(they multiply to {known})")
        return reshape(input, tuple(input.shape[:dim]) + sizes + tuple(input.shape[dim + 1:]))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
