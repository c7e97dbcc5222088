"""`EmbeddingBag`: sums, means or maxima of bags of embedding vectors (PyTorch's arguments and ``weight``)."""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..functional.embedding_bag import MODES, embedding_bag
from ..init import HostGenerator, host_generator
from .embedding import pretrained_table, reset_table, row_index
from .linear import new_parameter
from .module import Module


class EmbeddingBag(Module):
    """Bags of rows of ``weight`` reduced to one vector each: → (B, embedding_dim).

    Parameters
    ----------
    num_embeddings, embedding_dim : int
        Size of the table (V) and length of each vector (D); ``weight`` is (V, D), drawn from N(0, 1).
    max_norm, norm_type, scale_grad_by_freq, sparse :
        As in `Embedding` (``sparse=True``: a dense gradient; ``scale_grad_by_freq`` not with ``"max"``).
    mode : str
        ``"sum"``, ``"mean"`` (default) or ``"max"``.
    include_last_offset : bool
        ``offsets`` has B + 1 entries, the last one the end of the last bag.
    padding_idx : int or None
        Entries equal to it are left out of their bag; its row starts at zero and gets no gradient.
    backend, dtype, seed :
        Where the weight lives (default backend, float32) and the seed of its initial draw.

    Notes
    -----
    Call as ``bag(input, offsets=None, per_sample_weights=None)``: input (B, L) with no offsets, or (N,)
    with offsets (B,); ``per_sample_weights`` (input's shape) only with ``mode="sum"``.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean", sparse: bool = False,
                 _weight: Any = None, include_last_offset: bool = False, padding_idx: int | None = None,
                 backend: Any = None, dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        if mode not in MODES:
            raise ValueError(f"EmbeddingBag: mode has to be one of sum, mean or max, got {mode!r}")
        padding_idx = row_index("EmbeddingBag", padding_idx, num_embeddings)
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.max_norm, self.norm_type = max_norm, float(norm_type)
        self.scale_grad_by_freq, self.mode, self.sparse = scale_grad_by_freq, mode, sparse
        self.include_last_offset, self.padding_idx = include_last_offset, padding_idx
        self.weight = new_parameter((num_embeddings, embedding_dim), backend, dtype)
        if _weight is None:
            self._reset_own_parameters(host_generator(seed))
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(f"EmbeddingBag: _weight must be ({num_embeddings}, {embedding_dim}), got "
                                 f"{tuple(_weight.shape)}")
            self.load_state_dict({"weight": _weight})

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        reset_table(self.weight, self.padding_idx, rng)

    def forward(self, input: Tensor, offsets: Tensor | None = None,
                per_sample_weights: Tensor | None = None) -> Tensor:
        """input (B, L), or (N,) with offsets (B,) [(B + 1,) with include_last_offset] → (B, embedding_dim)."""
        return embedding_bag(input, self.weight, offsets, self.max_norm, self.norm_type, self.scale_grad_by_freq,
                             self.mode, self.sparse, per_sample_weights, self.include_last_offset, self.padding_idx)

    @classmethod
    def from_pretrained(cls, embeddings: Any, freeze: bool = True, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                        sparse: bool = False, include_last_offset: bool = False,
                        padding_idx: int | None = None) -> "EmbeddingBag":
        """A bag over the given (V, D) table (a Tensor keeps its backend and dtype); ``freeze`` stops training."""
        rows, dim, kwargs = pretrained_table("EmbeddingBag", embeddings)
        bag = cls(rows, dim, max_norm, norm_type, scale_grad_by_freq, mode, sparse, embeddings,
                  include_last_offset, padding_idx, **kwargs)
        bag.weight.requires_grad_(not freeze)
        return bag

    def extra_repr(self) -> str:
        text = f"{self.num_embeddings}, {self.embedding_dim}, mode='{self.mode}'"
        if self.padding_idx is not None:
            text += f", padding_idx={self.padding_idx}"
        return text

