"""``tril`` / ``triu``: keep the lower / upper triangle of the last two axes, zeros elsewhere."""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .value_checks import refuse_float_ints


def _outside(xp: Namespace, a: Any, diagonal: int, lower: bool, device: Any) -> Any:
    """A bool (rows, cols) array, True where the triangle does not reach (built from two ``arange``); a (*, R, C)
    one from the array library's triangle where an axis is symbolic (an ONNX export)."""
    rows, cols = a.shape[-2], a.shape[-1]
    if rows is None or cols is None:
        inside = xp.ones_like(a, dtype=xp.bool)
        return xp.logical_not(xp.tril(inside, k=diagonal) if lower else xp.triu(inside, k=diagonal))
    r = xp.arange(rows, dtype=xp.int64, device=device)[:, None]
    c = xp.arange(cols, dtype=xp.int64, device=device)[None, :]
    return (c - r > diagonal) if lower else (c - r < diagonal)


class Triangle(Function):
    """a (*, R, C) with zeros outside the triangle on and below (``lower``) or above the ``diagonal``-th diagonal.

    Saves no array (the mask is rebuilt from the gradient's shape), as PyTorch's TrilBackward / TriuBackward save
    only the diagonal: a backward without retain_graph leaves the node, and a second one runs through it."""

    diagonal: int
    lower: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        return xp.where(_outside(xp, a, self.diagonal, self.lower, self.backend.device), xp.zeros_like(a), a)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.where(_outside(xp, g, self.diagonal, self.lower, self.backend.device), xp.zeros_like(g), g)


def _triangle(name: str, input: Tensor, diagonal: int, lower: bool) -> Tensor:  # noqa: A002
    refuse_float_ints(name, diagonal=diagonal)
    if input.ndim < 2:
        raise RuntimeError(f"{name}: expected a tensor with at least 2 dimensions, got shape {input.shape}")
    return Triangle.apply(input, diagonal=int(diagonal), lower=lower)


def tril(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002 - PyTorch's name
    """Entries on and below the ``diagonal``-th diagonal of the last two axes (``torch.tril``); input (*, R, C)."""
    return _triangle("tril", input, diagonal, True)


def triu(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """Entries on and above the ``diagonal``-th diagonal of the last two axes (``torch.triu``); input (*, R, C)."""
    return _triangle("triu", input, diagonal, False)
