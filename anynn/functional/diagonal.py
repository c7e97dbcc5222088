"""Diagonals: ``diagonal`` (read one), ``diag_embed`` (write one into zeros), ``diag`` (either, by rank) and
``trace``.

`Diagonal` and `DiagEmbed` work on the last two axes and are each other's adjoint: reading a diagonal
scatters its gradient back by embedding, and embedding reads the gradient's diagonal. Both use only
``take``/``where`` (no item assignment), so they also run on arrays that cannot be written.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .rearrange import movedim
from .value_checks import IndexingError, checked_dim, refuse_float_ints, refuse_kernel


def _length(rows: int, cols: int, offset: int) -> int:
    return max(0, min(rows, cols - offset) if offset >= 0 else min(rows + offset, cols))


def read_diagonal(xp: Namespace, a: Any, offset: int) -> Any:
    """``a[..., i, i + offset]`` for every valid ``i``: shape ``(..., L)``."""
    from ..backend.arrays import device_of as device

    rows, cols = a.shape[-2], a.shape[-1]
    length = _length(rows, cols, offset)
    first = -offset if offset < 0 else 0
    steps = xp.arange(length, dtype=xp.int64, device=device(a))
    positions = (steps + first) * cols + (steps + first + offset)
    flat = xp.reshape(a, tuple(a.shape[:-2]) + (rows * cols,))
    return xp.take(flat, positions, axis=flat.ndim - 1)


def embed_diagonal(xp: Namespace, d: Any, offset: int, rows: int, cols: int) -> Any:
    """Zeros of shape ``(..., rows, cols)`` with ``d`` (``(..., L)``) on diagonal ``offset``."""
    from ..backend.arrays import device_of as device

    length = d.shape[-1]
    i = xp.arange(rows, device=device(d))[:, None]
    j = xp.arange(cols, device=device(d))[None, :]
    on = (j - i) == offset
    fill = max(rows, cols) - length + 1
    if None in d.shape:  # a symbolic axis (ONNX export): zeros broadcast over d's own leading axes
        zeros = xp.zeros_like(d[..., :1]) + xp.zeros((fill,), dtype=d.dtype, device=device(d))
    else:
        zeros = xp.zeros(tuple(d.shape[:-1]) + (fill,), dtype=d.dtype, device=device(d))
    padded = xp.concat([d, zeros], axis=-1)  # long enough to index by row or by column
    if offset >= 0:  # row i holds d[i]
        values = padded[..., :rows][..., :, None]
    else:  # column j holds d[j]
        values = padded[..., :cols][..., None, :]
    return xp.where(on, values, xp.zeros_like(values))


_SYMBOLIC = ("{name}: the {what} is a symbolic axis (an ONNX export with it in dynamic_axes): the diagonal's length "
             "would be known only when the graph runs; export with a static size there")


class Diagonal(Function):
    """Diagonal ``offset`` of the last two axes: ``(..., N, M)`` → ``(..., L)``. PyTorch's diagonal is a view: a
    change of it reaches the matrix (`anynn.functional.inplace.write_back_to_base`)."""

    makes_view = True
    view_is_copy = True
    offset: int

    def forward(self, xp: Namespace, a: Any) -> Any:
        if a.shape[-2] is None or a.shape[-1] is None:
            raise NotImplementedError(_SYMBOLIC.format(name="diagonal", what="size of the matrices (the two axes)"))
        self.rows, self.cols = a.shape[-2], a.shape[-1]
        return read_diagonal(xp, a, self.offset)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return embed_diagonal(xp, g, self.offset, self.rows, self.cols)

    def view_again(self, source: Any, index: int) -> Any:
        """The diagonal read again from ``source`` (changed in place since): None where its matrices' shape
        changed."""
        if tuple(source.shape[-2:]) != (self.rows, self.cols):
            return None
        return Diagonal.apply(source, offset=self.offset)

    def write_back(self, base: Tensor, view: Tensor) -> None:
        """After an in-place change of the diagonal ``view`` read from ``base``: ``base`` takes it (recorded where
        the change was)."""
        if tuple(base.shape[-2:]) == (self.rows, self.cols):
            from .torch_scatter_views import diagonal_scatter

            base.copy_(diagonal_scatter(base, view, self.offset, -2, -1))


class DiagEmbed(Function):
    """``(..., L)`` placed on diagonal ``offset`` of zeros of shape ``(..., L + |offset|, L + |offset|)``."""

    offset: int

    def forward(self, xp: Namespace, d: Any) -> Any:
        if d.shape[-1] is None:
            raise NotImplementedError(_SYMBOLIC.format(name="diag_embed", what="length of the diagonals (last axis)"))
        size = d.shape[-1] + abs(self.offset)
        return embed_diagonal(xp, d, self.offset, size, size)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return read_diagonal(xp, g, self.offset)


def diagonal(input: Tensor, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002 - PyTorch's name
    """Diagonal ``offset`` of the matrices spanned by ``dim1`` and ``dim2``, as a new last axis (``torch.diagonal``)."""
    refuse_float_ints("diagonal", offset=offset, dim1=dim1, dim2=dim2)
    if input.ndim < 2:
        raise IndexingError(f"diagonal: Dimension out of range: expected a tensor with at least 2 dimensions, got "
                            f"shape {tuple(input.shape)}")  # (PyTorch's IndexError, dim2 out of range)
    if checked_dim("diagonal", input, dim1) == checked_dim("diagonal", input, dim2):  # (IndexError out of range)
        raise RuntimeError(f"diagonal: dim1 and dim2 cannot be the same dimension ({dim1}, {dim2})")
    moved = movedim(input, (dim1, dim2), (-2, -1))
    return Diagonal.apply(moved, offset=int(offset))


def diag_embed(input: Tensor, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Matrices with the last axis of ``input`` on diagonal ``offset`` (``torch.diag_embed``)."""
    out = DiagEmbed.apply(input, offset=int(offset))
    return movedim(out, (-2, -1), (dim1, dim2))


def diag(input: Tensor, diagonal: int = 0) -> Tensor:  # noqa: A002
    """A 1-D tensor → the square matrix with it on diagonal ``diagonal``; a matrix → that diagonal (``torch.diag``)."""
    if input.ndim == 1:
        return DiagEmbed.apply(input, offset=int(diagonal))
    if input.ndim == 2:
        return Diagonal.apply(input, offset=int(diagonal))
    raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got shape {tuple(input.shape)}")


def trace(input: Tensor) -> Tensor:  # noqa: A002
    """Sum of the main diagonal of a matrix (``torch.trace``)."""
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, got shape {tuple(input.shape)}")
    refuse_kernel("trace", "trace", ("bool",), input)
    return Diagonal.apply(input, offset=0).sum()


FUNCTIONS: dict[str, Any] = {"diagonal": diagonal, "diag_embed": diag_embed, "diag": diag, "trace": trace}

__all__ = ["DiagEmbed", "Diagonal", "FUNCTIONS", "embed_diagonal", "read_diagonal", *FUNCTIONS]
