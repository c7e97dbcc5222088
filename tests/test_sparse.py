"""anynn.sparse_coo_tensor / spmm / anynn.sparse.mm (sparse tensors stored dense) against PyTorch's sparse ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import dtype_name
from tests.helpers import check_gradients, make

INDICES = np.array([[0, 1, 1, 2, 1], [1, 0, 1, 1, 0]], dtype=np.int32)  # (1, 0) twice: the values add


def test_sparse_coo_tensor_is_the_dense_matrix_pytorch_stands_for(backend):
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0], np.float32)
    got = anynn.sparse_coo_tensor(INDICES, make(backend, values), (3, 4))
    ref = torch.sparse_coo_tensor(torch.tensor(INDICES), torch.tensor(values), (3, 4)).to_dense()
    assert got.backend == backend and got.dtype == anynn.float32
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    ints = anynn.sparse_coo_tensor(make(backend, INDICES.astype(np.int64)), make(backend, np.ones(5, np.float32)),
                                   (3, 3), dtype=anynn.int64)
    assert ints.dtype == anynn.int64
    adjacency = anynn.eye(3, backend=backend) + ints  # gcn's self loops: float32 + int64 -> float32
    ref_adj = torch.eye(3) + torch.sparse_coo_tensor(torch.tensor(INDICES), torch.ones(5), (3, 3), dtype=torch.int64)
    assert adjacency.dtype == anynn.float32
    np.testing.assert_array_equal(adjacency.numpy(), ref_adj.to_dense().numpy())


def test_the_size_defaults_to_the_largest_index_and_dense_dims_follow_values(backend):
    values = np.arange(10, dtype=np.float32).reshape(5, 2)
    got = anynn.sparse_coo_tensor(INDICES, make(backend, values))
    ref = torch.sparse_coo_tensor(torch.tensor(INDICES), torch.tensor(values)).to_dense()
    assert tuple(got.shape) == tuple(ref.shape) == (3, 2, 2)
    np.testing.assert_array_equal(got.numpy(), ref.numpy())


def test_gradients_reach_the_values(backend):
    values = np.random.default_rng(0).standard_normal(5)
    weights = np.random.default_rng(1).standard_normal((3, 2))
    check_gradients(backend, lambda v, w: anynn.spmm(anynn.sparse_coo_tensor(INDICES, v, (3, 3)), w), values, weights)


def test_spmm_and_the_layout_methods(backend):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 3)).astype(np.float32), rng.standard_normal((3, 2)).astype(np.float32)
    x = make(backend, a)
    sparse = x.to_sparse()
    assert sparse is x and x.to_dense() is x and x.coalesce() is x and not x.is_sparse and x.is_coalesced()
    assert dtype_name(x.to_dense(anynn.float64).dtype) == "float64"  # (its dtype was ignored)
    # storage kinds PyTorch programs test for, False as for a dense torch tensor (AttributeError before)
    kinds = ("is_sparse_csr", "is_quantized", "is_nested", "is_mkldnn")
    assert [getattr(x, k) for k in kinds] == [getattr(torch.ones(1), k) for k in kinds] == [False] * 4
    assert x.dim_order() == torch.ones(3, 3).dim_order() == (0, 1)  # (AttributeError before)
    assert x[0][1:]._base is x and x._base is None and (x * 2)._base is None and x[0]._is_view()  # (as PyTorch's)
    ref = torch.sparse.mm(torch.tensor(a).to_sparse(), torch.tensor(b)).numpy()
    np.testing.assert_allclose(anynn.spmm(sparse, make(backend, b)).numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(anynn.sparse.mm(sparse, make(backend, b)).numpy(), ref, rtol=1e-6)
    values = a[:, :2].reshape(-1)[:5]  # torch.sparse.sum of a COO tensor (duplicate (1, 0) entries add)
    coo = torch.sparse_coo_tensor(torch.tensor(INDICES), torch.tensor(values), (3, 2))
    ours = anynn.sparse_coo_tensor(INDICES, make(backend, values), (3, 2))
    for dim, dtype in ((1, None), ((0, 1), None), (None, "float64"), ([0], "float64")):
        kwargs = {} if dim is None else {"dim": dim}
        theirs = torch.sparse.sum(coo, dtype=getattr(torch, dtype) if dtype else None, **kwargs)
        got = anynn.sparse.sum(ours, dtype=dtype, **kwargs).to_dense()
        assert dtype_name(got.dtype) == str(theirs.dtype).split(".")[-1]
        np.testing.assert_allclose(got.numpy(), theirs.to_dense().numpy(), rtol=1e-6)


def test_refusals_name_the_function():
    with pytest.raises(ValueError, match="sparse_coo_tensor: indices must be 2-D"):
        anynn.sparse_coo_tensor([0, 1], anynn.ones(2))
    with pytest.raises(ValueError, match="expected values of shape \\(5, ...\\)"):
        anynn.sparse_coo_tensor(INDICES, anynn.ones(4), (3, 3))
    with pytest.raises(RuntimeError, match="out of range"):
        anynn.sparse_coo_tensor(INDICES, anynn.ones(5), (2, 2))
    with pytest.raises(RuntimeError, match="negative index"):
        anynn.sparse_coo_tensor([[0, -1]], anynn.ones(2), (3,))


def test_legacy_sparse_constructors_as_torch(backend):
    """pygcn's sparse_mx_to_torch_sparse_tensor: ``torch.sparse.FloatTensor(indices, values, torch.Size(shape))``.
    The values keep their dtype (as PyTorch's legacy constructor); sizes alone give zeros of the constructor's dtype."""
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    for name, data in (("FloatTensor", values.astype(np.float32)), ("DoubleTensor", values.astype(np.float32)),
                       ("FloatTensor", values)):
        indices = INDICES.astype(np.int64)
        got = getattr(anynn.sparse, name)(make(backend, indices), make(backend, data), anynn.Size([3, 4]))
        ref = getattr(torch.sparse, name)(torch.tensor(indices), torch.tensor(data), torch.Size([3, 4]))
        assert got.backend == backend and str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        np.testing.assert_array_equal(got.numpy(), ref.to_dense().numpy())
        inferred = getattr(anynn.sparse, name)(make(backend, indices), make(backend, data))
        assert tuple(inferred.shape) == tuple(getattr(torch.sparse, name)(torch.tensor(indices),
                                                                           torch.tensor(data)).shape)
    for name in ("FloatTensor", "DoubleTensor", "LongTensor"):
        got, ref = getattr(anynn.sparse, name)(2, 3), getattr(torch.sparse, name)(2, 3).to_dense()
        assert tuple(got.shape) == (2, 3) and str(got.dtype).split(".")[-1] == str(ref.dtype).split(".")[-1]
        assert not got.numpy().any()


def test_raw_indices_and_values_as_torch(backend):
    """pyGAT's SpecialSpmmFunction reads ``a._indices()`` of the sparse matrix it saved, to pick the gradient of each
    edge's value; ``_values()`` is detached, as PyTorch's."""
    indices = INDICES.astype(np.int64)
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    got = anynn.sparse_coo_tensor(make(backend, indices), make(backend, values, requires_grad=True), (3, 4))
    ref = torch.sparse_coo_tensor(torch.tensor(indices), torch.tensor(values, requires_grad=True), (3, 4))
    np.testing.assert_array_equal(got._indices().numpy(), ref._indices().numpy())
    np.testing.assert_array_equal(got._values().numpy(), ref._values().numpy())
    assert got._indices().backend == backend and not got._values().requires_grad
    dense = np.array([[0.0, 2.0], [3.0, 0.0]])  # to_sparse() of a dense tensor: its nonzero entries, row-major
    np.testing.assert_array_equal(make(backend, dense).to_sparse()._indices().numpy(),
                                  torch.tensor(dense).to_sparse()._indices().numpy())
    np.testing.assert_array_equal(make(backend, dense).to_sparse()._values().numpy(),
                                  torch.tensor(dense).to_sparse()._values().numpy())
