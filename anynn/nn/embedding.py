"""`Embedding`: a lookup table of learned vectors indexed by integers."""

from __future__ import annotations

from typing import Any


from ..init import HostGenerator, host_generator
from .. import init
from ..autograd.tensor import Tensor
from ..functional.embedding import EmbeddingFunction
from ..functional.embedding import check_indices, embedding_renorm_
from .linear import _size, new_parameter
from .module import Module
from .validate import ArgumentAssertionError


def row_index(layer: str, padding_idx: int | None, num_embeddings: int) -> int | None:
    """``padding_idx`` in ``[-num_embeddings, num_embeddings)`` as a row number (negative counts from the end)."""
    if padding_idx is None:
        return None
    if not -num_embeddings <= padding_idx < num_embeddings:
        raise ArgumentAssertionError(f"{layer}: padding_idx must be within [-{num_embeddings}, {num_embeddings}), "
                                     f"got {padding_idx}")
    return padding_idx % num_embeddings


def reset_table(weight: Tensor, padding_idx: int | None, rng: HostGenerator | None) -> None:
    """PyTorch's initial table: N(0, 1), with the ``padding_idx`` row zero."""
    init.normal_(weight, 0.0, 1.0, generator=rng)
    if padding_idx is not None:
        xp, data = weight.backend.xp, weight.array
        rows = xp.arange(data.shape[0], device=weight.backend.device)
        weight.array = xp.where((rows == padding_idx)[:, None], xp.zeros_like(data), data)


def pretrained_table(layer: str, embeddings: Any) -> tuple[int, int, dict[str, Any]]:
    """``(V, D, where)`` of a (V, D) table given to ``from_pretrained``: ``where`` keeps a Tensor's backend and
    dtype for the new layer."""
    if len(embeddings.shape) != 2:
        raise ArgumentAssertionError(f"{layer}.from_pretrained: embeddings must be 2-D, got shape "
                                     f"{tuple(embeddings.shape)}")
    rows, dim = embeddings.shape
    where: dict[str, Any] = {}
    if isinstance(embeddings, Tensor):
        where = dict(backend=embeddings.backend, dtype=embeddings.dtype)
    return rows, dim, where


class Embedding(Module):
    """Rows of ``weight`` picked by integer indices: indices (*) → (*, embedding_dim).

    Parameters
    ----------
    num_embeddings : int
        Size of the table (valid indices are 0 .. num_embeddings - 1).
    embedding_dim : int
        Length of each vector.
    padding_idx : int or None
        A row that stays zero at initialisation and receives no gradient (negative counts from the end).
    max_norm : float or None
        Rows looked up whose ``norm_type``-norm exceeds it are rescaled to it, in place, at each call.
    norm_type : float
        The p of the p-norm for ``max_norm`` (``inf`` allowed).
    scale_grad_by_freq : bool
        Divide each row's gradient by how often its index occurs in the batch.
    sparse : bool
        PyTorch's sparse gradient of the rows looked up; anynn's gradient stays dense (zeros elsewhere), so the
        optimizers that take sparse gradients (`SparseAdam`, `SGD` without momentum, `Adagrad`) step as PyTorch's.
    backend, dtype, seed :
        Where the weight lives (default backend, float32) and the seed of its initial draw.

    Notes
    -----
    ``weight`` (num_embeddings, embedding_dim) is drawn from N(0, 1) as in PyTorch.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                 sparse: bool = False, backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        num_embeddings = _size("num_embeddings", num_embeddings, "Embedding")
        embedding_dim = _size("embedding_dim", embedding_dim, "Embedding")
        padding_idx = row_index("Embedding", padding_idx, num_embeddings)
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm, self.norm_type = max_norm, float(norm_type)
        self.scale_grad_by_freq, self.sparse = scale_grad_by_freq, sparse
        self.weight = new_parameter((num_embeddings, embedding_dim), backend, dtype)
        self._reset_own_parameters(host_generator(seed))

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        reset_table(self.weight, self.padding_idx, rng)

    def forward(self, input: Tensor) -> Tensor:
        """input: integer Tensor of indices (*) → (*, embedding_dim)."""
        check_indices("Embedding", input, self.weight)
        if self.max_norm is not None:
            embedding_renorm_(self.weight, input, float(self.max_norm), self.norm_type)
        return EmbeddingFunction.apply(self.weight, input, padding_idx=self.padding_idx,
                                       scale_grad_by_freq=bool(self.scale_grad_by_freq))

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        sparse: bool = False) -> "Embedding":
        """A table holding a copy of the given (V, D) ``embeddings`` (a Tensor keeps its backend and dtype; the
        ``padding_idx`` row is kept as given); ``freeze`` stops training (``weight.requires_grad`` False)."""
        rows, dim, kwargs = pretrained_table("Embedding", embeddings)
        table = cls(rows, dim, padding_idx, max_norm, norm_type, scale_grad_by_freq, sparse, **kwargs)
        table.load_state_dict({"weight": embeddings})
        table.weight.requires_grad_(not freeze)
        return table

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            text += f", max_norm={self.max_norm}"
        if self.norm_type != 2.0:
            text += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            text += ", scale_grad_by_freq=True"
        return text
