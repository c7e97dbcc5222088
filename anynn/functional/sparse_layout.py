"""Tensor methods of PyTorch's sparse layout, for anynn's dense-stored sparse tensors (see `anynn.sparse`).

``to_sparse()``, ``to_dense()`` and ``coalesce()`` return the tensor itself (its values are those PyTorch's sparse
tensor stands for); ``is_sparse`` is False and ``layout``-free code paths run unchanged. ``_indices()`` and
``_values()`` hand back the COO parts ``sparse_coo_tensor`` was given (any other tensor: its nonzero entries in
row-major order, what PyTorch's ``to_sparse()`` keeps).
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor


def _same(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    return self


def _to_dense(self: Tensor, dtype: Any = None, *, masked_grad: Any = None) -> Tensor:
    """``Tensor.to_dense``: the tensor itself (stored dense already), in ``dtype`` when given, as PyTorch's."""
    return self if dtype is None else self.to(dtype)


def _coo(self: Tensor) -> tuple[Tensor, Tensor]:
    made = self.__dict__.get("_coo")
    if made is not None:
        return made
    positions = self.detach().nonzero()  # (nnz, ndim), row-major order as PyTorch's coalesced layout
    return positions.t(), self.detach()[tuple(positions.t())]


def _indices(self: Tensor) -> Tensor:
    """``Tensor._indices()``: the (sparse_dim, nnz) int64 indices, as given to `anynn.sparse_coo_tensor`."""
    return _coo(self)[0]


def _values(self: Tensor) -> Tensor:
    """``Tensor._values()``: the (nnz, ...) values, as given to `anynn.sparse_coo_tensor`, outside the graph."""
    return _coo(self)[1]


def _strided() -> Any:
    """``Tensor.layout``: `anynn.strided` for every tensor (a sparse COO tensor is stored dense, see is_sparse)."""
    from ..layout import strided

    return strided


METHODS: dict[str, Any] = {
    "to_sparse": _same, "to_sparse_coo": _same, "to_dense": _to_dense, "coalesce": _same,
    "is_sparse": property(lambda self: False),
    # other storage kinds PyTorch programs test for (MultiheadAttention's query.is_nested, a quantized model's
    # param.is_quantized): never an anynn tensor
    **{name: property(lambda self: False) for name in ("is_sparse_csr", "is_quantized", "is_nested", "is_mkldnn")},
    "layout": property(lambda self: _strided()),
    "is_coalesced": lambda self: True,
    "_indices": _indices, "_values": _values,
}
