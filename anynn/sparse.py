"""Sparse COO tensors, stored dense: ``sparse_coo_tensor``, ``spmm`` and ``anynn.sparse.mm`` (PyTorch's names).

The array API has no sparse layout, so anynn builds the dense tensor a COO tensor stands for (duplicate indices
add, as ``coalesce()`` does) and multiplies densely: the values, the shapes and the gradients (to ``values``) are
PyTorch's; the memory is that of the dense matrix. ``Tensor.to_sparse()`` / ``to_dense()`` / ``coalesce()`` hand
the tensor back and ``is_sparse`` is False. The legacy ``torch.sparse.FloatTensor(indices, values, size)`` (pygcn)
and its typed twins build the same. Graph programs (pytorch/examples gcn and gat build their normalised
adjacency matrix this way) run unchanged; the "Differences from PyTorch" page lists the layout.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from .autograd.tensor import Tensor
from .backend import dtype_name
from .factories import tensor as _tensor
from .factories import zeros


def sparse_coo_tensor(indices: Any, values: Any, size: Any = None, *, dtype: Any = None, device: Any = None,
                      requires_grad: bool = False, check_invariants: bool | None = None,
                      is_coalesced: bool | None = None) -> Tensor:
    """The dense tensor of shape ``size`` whose entries ``indices[:, k]`` hold ``values[k]`` (repeats add).

    Parameters
    ----------
    indices : (sparse_dim, nnz) integers: a Tensor, a NumPy array or nested lists.
    values : (nnz, *dense_dims) values; a Tensor keeps its backend and its graph (gradients reach it).
    size : the full shape, ``sparse sizes + dense_dims``; by default each sparse size is its largest index + 1.
    dtype : the result's dtype (default: that of ``values``).
    device, requires_grad, check_invariants, is_coalesced : as in PyTorch.
    """
    values = values if isinstance(values, Tensor) else _tensor(values, device=device)
    be = values.backend
    idx = (indices if isinstance(indices, Tensor) else _tensor(indices, backend=be)).long()
    if idx.backend != be:
        raise ValueError(f"sparse_coo_tensor: indices on backend {idx.backend.key!r}, values on {be.key!r}")
    if idx.ndim != 2:
        raise ValueError(f"sparse_coo_tensor: indices must be 2-D (sparse_dim, nnz), got shape {tuple(idx.shape)}")
    sparse_dim, nnz = int(idx.shape[0]), int(idx.shape[1])
    if values.ndim < 1 or int(values.shape[0]) != nnz:
        raise ValueError(f"sparse_coo_tensor: expected values of shape ({nnz}, ...) for {nnz} indices, "
                         f"got {tuple(values.shape)}")
    dense_dims = tuple(int(n) for n in values.shape[1:])
    if size is None:
        sparse_sizes = tuple(int(n) + 1 for n in idx.amax(1).tolist()) if nnz else (0,) * sparse_dim
    else:
        size = tuple(int(n) for n in size)
        if len(size) != sparse_dim + len(dense_dims) or size[sparse_dim:] != dense_dims:
            raise ValueError(f"sparse_coo_tensor: size {size} does not match {sparse_dim} sparse dims of indices "
                             f"and values of shape {tuple(values.shape)}")
        sparse_sizes = size[:sparse_dim]
        if nnz and any(int(top) >= n for top, n in zip(idx.amax(1).tolist(), sparse_sizes)):
            raise RuntimeError(f"sparse_coo_tensor: an index is out of range for size {size}")
    if nnz and int(idx.amin().item()) < 0:
        raise RuntimeError("sparse_coo_tensor: found a negative index")
    if dtype is not None:
        values = values.to(dtype)
    if values.requires_grad:  # recorded: gradients reach values
        flat = idx[0]
        for axis in range(1, sparse_dim):
            flat = flat * sparse_sizes[axis] + idx[axis]
        flat = flat.reshape((nnz,) + (1,) * len(dense_dims)).expand(nnz, *dense_dims)
        dense = zeros(math.prod(sparse_sizes), *dense_dims, dtype=values.dtype, backend=be)
        out = dense.scatter_add(0, flat, values).reshape(*sparse_sizes, *dense_dims)
    else:  # built on the host: the portable scatter-add is a one-hot matmul, (nnz x numel) in memory
        host_values = values.numpy()
        host = np.zeros(sparse_sizes + dense_dims, dtype=host_values.dtype)
        np.add.at(host, tuple(idx.numpy()), host_values)
        out = _tensor(host, backend=be, dtype=dtype_name(values.dtype))
    if requires_grad:
        out = out.detach().requires_grad_(True)
    out.__dict__["_coo"] = (idx, values.detach())  # what Tensor._indices() / _values() hand back, as given
    return out


def mm(mat1: Tensor, mat2: Tensor) -> Tensor:
    """``mat1 @ mat2`` for a (dense-stored) sparse ``mat1`` (``torch.sparse.mm``)."""
    return mat1.mm(mat2)


def spmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002 - PyTorch's name
    """``input @ mat2`` for a (dense-stored) sparse ``input`` (``torch.spmm``)."""
    return input.mm(mat2)


def sum(input: Tensor, dim: Any = None, dtype: Any = None) -> Tensor:  # noqa: A001,A002 - PyTorch's names
    """``torch.sparse.sum``: the (dense-stored) sparse ``input`` summed over ``dim`` (an int or a sequence of ints;
    every axis when None), in ``dtype`` if given. PyTorch returns a sparse tensor unless every axis is summed;
    anynn's is dense-stored as always, and ``.to_dense()`` hands it back (GCN code's degree vector
    ``torch.sparse.sum(adj, dim=1).to_dense()``)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"sparse.sum: input must be an anynn Tensor, got {type(input).__name__}")
    return input.sum(dtype=dtype) if dim is None else input.sum(dim=dim, dtype=dtype)


def _legacy(name: str, dtype: str) -> Any:
    def constructor(*args: Any, size: Any = None, device: Any = None) -> Tensor:
        if len(args) >= 2 and not isinstance(args[0], numbers.Integral):  # (indices, values[, size])
            return sparse_coo_tensor(args[0], args[1], args[2] if len(args) > 2 else size, device=device)
        sizes = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
        return zeros(*(size if size is not None else sizes), dtype=dtype, device=device)

    constructor.__name__ = constructor.__qualname__ = name
    constructor.__doc__ = (f"``torch.sparse.{name}``, PyTorch's legacy sparse constructor: ``(indices, values, "
                           f"size)`` is `sparse_coo_tensor` (stored dense; the values keep their dtype, as PyTorch's "
                           f"legacy constructor keeps it); sizes alone give zeros of {dtype}.")
    return constructor


FloatTensor, DoubleTensor = _legacy("FloatTensor", "float32"), _legacy("DoubleTensor", "float64")
HalfTensor, BFloat16Tensor = _legacy("HalfTensor", "float16"), _legacy("BFloat16Tensor", "bfloat16")
LongTensor, IntTensor = _legacy("LongTensor", "int64"), _legacy("IntTensor", "int32")
ShortTensor, CharTensor, ByteTensor = (_legacy("ShortTensor", "int16"), _legacy("CharTensor", "int8"),
                                       _legacy("ByteTensor", "uint8"))

__all__ = ["mm", "sparse_coo_tensor", "spmm", "sum"]
