"""``tril`` / ``triu``: keep the lower / upper triangle of the last two axes, zeros elsewhere."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .elementwise import MaskedFill


def _outside(x: Tensor, diagonal: int, lower: bool) -> Any:
    """A bool (rows, cols) array, True where the triangle does not reach (built from two ``arange``)."""
    if x.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: expected a tensor with at least 2 dimensions, got "
                           f"shape {x.shape}")
    xp, rows, cols = x.backend.xp, x.shape[-2], x.shape[-1]
    if rows is None or cols is None:  # a symbolic axis (ONNX export): the array library's triangle of x's shape
        inside = xp.ones_like(x.array, dtype=xp.bool)
        return xp.logical_not(xp.tril(inside, k=diagonal) if lower else xp.triu(inside, k=diagonal))
    r = xp.arange(rows, dtype=xp.int64, device=x.backend.device)[:, None]
    c = xp.arange(cols, dtype=xp.int64, device=x.backend.device)[None, :]
    return (c - r > diagonal) if lower else (c - r < diagonal)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002 - PyTorch's name
    """Entries on and below the ``diagonal``-th diagonal of the last two axes (``torch.tril``); input (*, R, C)."""
    zero = False if input.backend.xp.isdtype(input.array.dtype, "bool") else 0
    return MaskedFill.apply(input, _outside(input, int(diagonal), True), value=zero)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """Entries on and above the ``diagonal``-th diagonal of the last two axes (``torch.triu``); input (*, R, C)."""
    zero = False if input.backend.xp.isdtype(input.array.dtype, "bool") else 0
    return MaskedFill.apply(input, _outside(input, int(diagonal), False), value=zero)
