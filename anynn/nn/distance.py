"""Distance layers: `CosineSimilarity` and `PairwiseDistance` (PyTorch's arguments and attribute names)."""

from __future__ import annotations

from .. import functional as F
from ..autograd.tensor import Tensor
from .module import Module
from .validate import check_floating, check_same_backend, dtype_kind


class CosineSimilarity(Module):
    """Cosine similarity of x1 and x2 along ``dim``: (*, D, *) each (broadcast) → the shape without ``dim``."""

    def __init__(self, dim: int = 1, eps: float = 1e-8) -> None:
        super().__init__()
        self.dim = dim
        self.eps = eps

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        check_same_backend(self, (x1, x2))
        # (dtypes as the function takes them, as PyTorch's: an integer or bool operand beside a floating one takes
        # its dtype, two of them are refused)
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """p-norm of ``x1 - x2 + eps`` along the last axis: (N, D) or (D,) → (N,) or () (``keepdim`` keeps it)."""

    def __init__(self, p: float = 2.0, eps: float = 1e-6, keepdim: bool = False) -> None:
        super().__init__()
        self.norm = p
        self.eps = eps
        self.keepdim = keepdim

    def forward(self, x1: Tensor, x2: Tensor) -> Tensor:
        check_same_backend(self, (x1, x2))
        for x in (x1, x2):  # integers promoted to float32 by the function, as PyTorch's; bool refused as there
            if not (isinstance(x, Tensor) and dtype_kind(x.array.dtype) == "i"):
                check_floating(self, x)
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
