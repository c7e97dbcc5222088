"""Embedding lookup: rows of a weight matrix picked by an integer index tensor of any shape.

The backward pass adds each output gradient into its row with the ``scatter_add`` fast path
(``numpy.add.at`` / ``torch.index_add_``; a one-hot matmul elsewhere), so repeated indices accumulate.
"""

from __future__ import annotations

from typing import Any

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import op
from ..backend.typing import Namespace
from . import value_checks
from .value_checks import ShapeMismatchError


class EmbeddingFunction(Function):
    """``weight[indices]``: weight (num_embeddings, embedding_dim), indices (*) → (*, embedding_dim).

    Rows equal to ``padding_idx`` (if not None) receive no gradient; with ``scale_grad_by_freq`` each
    row's gradient is divided by how often its index occurs in ``indices``, as in PyTorch.
    """

    padding_idx: int | None
    scale_grad_by_freq: bool = False

    def forward(self, xp: Namespace, weight: Any, indices: Any) -> Any:
        self.num_embeddings = weight.shape[0]
        self.flat = xp.reshape(indices, (-1,))
        rows = xp.take(weight, self.flat, axis=0)
        return xp.reshape(rows, tuple(indices.shape) + (weight.shape[1],))

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, None]:
        if not self.needs_input_grad[0]:
            return None, None
        flat_g = xp.reshape(g, (self.flat.shape[0], g.shape[-1]))  # no -1: embedding_dim may be 0
        if self.padding_idx is not None:
            keep = xp.astype(self.flat != self.padding_idx, g.dtype)
            flat_g = flat_g * keep[:, None]
        scatter_add = op(self.backend, "scatter_add")
        grad = scatter_add(self.flat, flat_g, self.num_embeddings)
        if self.scale_grad_by_freq:
            ones = xp.ones((self.flat.shape[0], 1), dtype=g.dtype, device=device(g))
            counts = scatter_add(self.flat, ones, self.num_embeddings)  # (num_embeddings, 1)
            grad = grad / xp.maximum(counts, xp.ones_like(counts))
        return grad, None


def embedding_renorm_(weight: Tensor, indices: Tensor, max_norm: float, norm_type: float = 2.0) -> None:
    """Rescale, in place and outside the graph, the rows of ``weight`` that ``indices`` look up and whose
    ``norm_type``-norm exceeds ``max_norm`` to norm ``max_norm`` (PyTorch's ``embedding_renorm_``)."""
    xp, data = weight.backend.xp, weight.array
    flat = xp.reshape(indices.array, (-1,))
    ones = xp.ones_like(flat[:, None], dtype=data.dtype)  # (flat's size read as the graph runs, in ONNX export)
    looked_up = op(weight.backend, "scatter_add")(flat, ones, data.shape[0]) > 0  # (num_embeddings, 1)
    magnitude = xp.abs(data)
    if norm_type == float("inf"):
        norms = xp.max(magnitude, axis=1, keepdims=True)
    elif norm_type == 2.0:
        norms = xp.sqrt(xp.sum(data * data, axis=1, keepdims=True))
    else:
        norms = xp.sum(magnitude ** norm_type, axis=1, keepdims=True) ** (1.0 / norm_type)
    scale = max_norm / (norms + 1e-7)  # PyTorch's guard against a zero norm
    weight.array = xp.where(looked_up & (norms > max_norm), data * scale, data)


def check_indices(name: str, indices: Any, weight: Tensor) -> None:
    """Raise unless ``indices`` is an integer Tensor on the weight's backend with values in range."""
    rows = weight.shape[0]
    value_checks.check_indices(name, indices, weight, "weight", "int64 or int32", rows, f"{rows} embeddings",
                               suffix=f"; indices of shape {indices.shape}" if isinstance(indices, Tensor) else "",
                               dtypes=("int64", "int32"))


def embedding(input: Tensor, weight: Tensor, padding_idx: int | None = None, max_norm: float | None = None,
              norm_type: float = 2.0, scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` (num_embeddings, embedding_dim) at integer ``input`` (*).

    Returns (*, embedding_dim). The row ``padding_idx`` (negative counts from the end) gets no gradient.
    ``max_norm`` first rescales, in place, the looked-up rows whose ``norm_type``-norm exceeds it;
    ``scale_grad_by_freq`` divides each row's gradient by its index's count in ``input``. ``sparse=True``: the
    gradient stays dense (see `anynn.nn.Embedding`).

    Raises
    ------
    IndexError
        An index is negative or not below ``num_embeddings``.
    """
    if not isinstance(weight, Tensor):
        raise TypeError(f"embedding(): argument 'weight' must be Tensor, not {type(weight).__name__}; wrap it with "
                        f"anynn.tensor(...)")
    if weight.ndim != 2:
        raise ShapeMismatchError(f"embedding: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape "
                                 f"{tuple(weight.shape)}")
    check_indices("embedding", input, weight)
    if padding_idx is not None:
        if not -weight.shape[0] <= padding_idx < weight.shape[0]:
            raise ValueError(f"embedding: padding_idx must be within num_embeddings = {weight.shape[0]}, "
                             f"got {padding_idx}")
        padding_idx %= weight.shape[0]
    if max_norm is not None:
        embedding_renorm_(weight, input, float(max_norm), float(norm_type))
    return EmbeddingFunction.apply(weight, input, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))
