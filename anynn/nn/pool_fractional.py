"""`FractionalMaxPool2d`, `FractionalMaxPool3d`: max pooling over pseudo-random windows (PyTorch's arguments)."""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..functional.pool_fractional import fractional_max_pool2d, fractional_max_pool3d
from .conv import check_spatial_input
from .module import Module


class FractionalMaxPool2d(Module):
    """Fractional max pooling (Graham, 2014): (N, C, H, W) or (C, H, W) → (..., out_h, out_w), ``output_size``
    given or ``floor(size * output_ratio)`` (each ratio in (0, 1)); windows of ``kernel_size`` start at positions
    drawn anew on every call, or fixed by ``_random_samples`` (N, C, 2) (a buffer). With ``return_indices`` returns
    ``(out, indices)``, indices ``h * W + w`` (for `MaxUnpool2d`)."""

    _rank = 2

    def __init__(self, kernel_size: int | Sequence[int], output_size: int | Sequence[int] | None = None,
                 output_ratio: float | Sequence[float] | None = None, return_indices: bool = False,
                 _random_samples: Tensor | None = None) -> None:
        super().__init__()
        name, rank = type(self).__name__, self._rank
        self.kernel_size = _tuple(kernel_size, rank)
        self.return_indices = return_indices
        self.register_buffer("_random_samples", _random_samples)
        self.output_size = _tuple(output_size, rank) if output_size is not None else None
        self.output_ratio = _tuple(output_ratio, rank) if output_ratio is not None else None
        if output_size is None and output_ratio is None:
            raise ValueError(f"{name} requires specifying either an output size, or a pooling ratio")
        if output_size is not None and output_ratio is not None:
            raise ValueError("only one of output_size and output_ratio may be specified")
        if self.output_ratio is not None and not all(0 < r < 1 for r in self.output_ratio):
            raise ValueError(f"output_ratio must be between 0 and 1 (got {output_ratio})")

    def forward(self, input: Tensor) -> Any:  # noqa: A002 - PyTorch's name
        check_spatial_input(self, input, None, "H, W" if self._rank == 2 else "T, H, W")
        pool = fractional_max_pool2d if self._rank == 2 else fractional_max_pool3d
        return pool(input, self.kernel_size, self.output_size, self.output_ratio, self.return_indices,
                    _random_samples=self._random_samples)


class FractionalMaxPool3d(FractionalMaxPool2d):
    """Fractional max pooling over (T, H, W): (N, C, T, H, W) or (C, T, H, W) → (..., out_t, out_h, out_w);
    ``_random_samples`` (N, C, 3). With ``return_indices`` also the indices ``(t * H + h) * W + w``."""

    _rank = 3


def _tuple(value: Any, rank: int) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * rank
