"""Embedding lookup: rows of a weight matrix picked by an integer index tensor of any shape.

The backward pass adds each output gradient into its row with the ``scatter_add`` fast path
(``numpy.add.at`` / ``torch.index_add_``; a one-hot matmul elsewhere), so repeated indices accumulate.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, dtype_name, op


class Embedding(Function):
    """``weight[indices]``: weight (num_embeddings, embedding_dim), indices (*) → (*, embedding_dim).

    Rows equal to ``padding_idx`` (if not None) receive no gradient.
    """

    padding_idx: int | None

    def forward(self, xp: Any, weight: Any, indices: Any) -> Any:
        self.num_embeddings = weight.shape[0]
        self.flat = xp.reshape(indices, (-1,))
        rows = xp.take(weight, self.flat, axis=0)
        return xp.reshape(rows, tuple(indices.shape) + (weight.shape[1],))

    def backward(self, xp: Any, g: Any) -> tuple[Any, None]:
        if not self.needs_input_grad[0]:
            return None, None
        flat_g = xp.reshape(g, (-1, g.shape[-1]))
        if self.padding_idx is not None:
            keep = xp.astype(self.flat != self.padding_idx, g.dtype)
            flat_g = flat_g * keep[:, None]
        grad = op(self.backend, "scatter_add")(self.flat, flat_g, self.num_embeddings)
        return grad, None


def check_indices(name: str, indices: Any, weight: Tensor) -> None:
    """Raise unless ``indices`` is an integer Tensor on the weight's backend with values in range.

    The range check reads two numbers (min and max) back from the device.
    """
    if not isinstance(indices, Tensor):
        raise TypeError(f"{name}: expected an integer anynn Tensor of indices, got "
                        f"{type(indices).__module__}.{type(indices).__name__}; wrap it with anynn.tensor(...)")
    if indices.backend != weight.backend:
        raise BackendMismatch(f"{name}: indices are on backend {indices.backend.key!r} but the weight is on "
                              f"{weight.backend.key!r}; move one with .to(...)")
    kind = dtype_name(indices.dtype)
    if not kind.startswith(("int", "uint")):
        raise TypeError(f"{name}: expected integer indices (int64 or int32), got dtype {kind}")
    if indices.size == 0:
        return
    xp, backend = indices.backend.xp, indices.backend
    low = int(backend.to_host(xp.min(indices.data)))
    high = int(backend.to_host(xp.max(indices.data)))
    rows = weight.shape[0]
    if low < 0 or high >= rows:
        bad = low if low < 0 else high
        raise IndexError(f"{name}: index {bad} is out of range for {rows} embeddings "
                         f"(expected 0 <= index < {rows}); indices of shape {indices.shape}")


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) at integer ``input`` (*).

    Returns (*, embedding_dim). The row ``padding_idx`` (negative counts from the end) gets no gradient.

    Raises
    ------
    IndexError
        An index is negative or not below ``num_embeddings``.
    """
    check_indices("embedding", input, weight)
    if padding_idx is not None and padding_idx < 0:
        padding_idx += weight.shape[0]
    return Embedding.apply(weight, input, padding_idx=padding_idx)
