"""Tensor methods of PyTorch's sparse layout, for anynn's dense-stored sparse tensors (see `anynn.sparse`).

``to_sparse()``, ``to_dense()`` and ``coalesce()`` return the tensor itself (its values are those PyTorch's sparse
tensor stands for); ``is_sparse`` is False and ``layout``-free code paths run unchanged.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor


def _same(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    return self


METHODS: dict[str, Any] = {
    "to_sparse": _same, "to_sparse_coo": _same, "to_dense": _same, "coalesce": _same,
    "is_sparse": property(lambda self: False),
    "is_coalesced": lambda self: True,
}
