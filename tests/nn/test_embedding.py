"""Embedding: lookup and scatter-add backward (duplicates, padding) against PyTorch; init; errors."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from anynn.autograd.tensor import Tensor
from anynn.functional.embedding import embedding
from anynn.nn.embedding import Embedding

from tests.helpers import check_gradients, make
from tests.nn.oracle import copy_weights, oracle_settings, tolerance, torch_dtype

pytestmark = pytest.mark.jax  # the whole module runs on the jax backend too

def _indices(backend, array: np.ndarray) -> Tensor:
    """An index Tensor; 0-d ones are built natively (a host round trip makes them 1-d, see report)."""
    array = np.asarray(array)
    if array.ndim:
        return make(backend, array)
    return Tensor._make(backend.xp.asarray(int(array), device=backend.device), backend, None, 0)


INDICES = np.array([[1, 2, 1], [4, 1, 0]])  # 1 repeats: its gradient rows must add up


def test_grad_check_with_duplicates(backend, rng):
    check_gradients(backend, lambda w, i: embedding(i, w), rng.standard_normal((5, 2)), INDICES)
    # (padding_idx is left out here on purpose: its row's zero gradient is a rule, not a derivative)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("padding_idx", [None, 1, -1])
@pytest.mark.parametrize("index_shape", [(), (7,), (2, 3, 4)])
def test_matches_torch(backend, rng, dtype, padding_idx, index_shape):
    tol = dict(rtol=1e-5, atol=1e-7) if dtype == "float64" else dict(rtol=1e-4, atol=1e-5)
    theirs = torch.nn.Embedding(6, 3, padding_idx=padding_idx).to(getattr(torch, dtype))
    ours = Embedding(6, 3, padding_idx=padding_idx, backend=backend, dtype=dtype)
    ours.load_state_dict({"weight": theirs.weight.detach().numpy()})
    indices = rng.integers(0, 6, index_shape)
    out = ours(_indices(backend, indices))
    ref = theirs(torch.tensor(indices))
    assert out.shape == tuple(ref.shape) == index_shape + (3,)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **tol)
    weights = rng.standard_normal(index_shape + (3,)).astype(dtype)
    (out * make(backend, weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), **tol)


def test_repeated_indices_accumulate(backend):
    layer = Embedding(3, 2, backend=backend)
    out = layer(make(backend, np.array([2, 2, 2, 0])))
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[1, 1], [0, 0], [3, 3]])


@pytest.mark.jax(run=False)  # a reshape's sizes: the same on every backend, and eager JAX is slow
def test_zero_width_embedding_backward_as_torch(backend):
    # the backward's reshape of the gradient to rows named their count -1, which nothing infers when the width is 0
    layer, reference = Embedding(4, 0, backend=backend), torch.nn.Embedding(4, 0)
    indices = np.array([[3, 0, 3], [1, 1, 2]])
    out, expected = layer(make(backend, indices)), reference(torch.tensor(indices))
    out.sum().backward(), expected.sum().backward()
    assert tuple(out.shape) == tuple(expected.shape)
    assert tuple(layer.weight.grad.shape) == tuple(reference.weight.grad.shape)


def test_int32_indices(backend):
    layer = Embedding(4, 2, backend=backend)
    out = layer(make(backend, np.array([3, 0, 3], np.int32)))
    np.testing.assert_array_equal(out.numpy(), layer.weight.numpy()[[3, 0, 3]])
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy()[:, 0], [1, 0, 0, 2])


def test_init_is_standard_normal_with_zero_padding_row(backend):
    layer = Embedding(400, 50, padding_idx=3, backend=backend, seed=0)
    weight = layer.weight.numpy()
    np.testing.assert_array_equal(weight[3], 0.0)
    assert abs(weight.mean()) < 0.02 and abs(weight.std() - 1.0) < 0.02
    same = Embedding(400, 50, padding_idx=3, backend="numpy", seed=0).weight.numpy()
    np.testing.assert_array_equal(weight, same)  # one seed, one start, on every backend
    assert list(layer.state_dict()) == list(torch.nn.Embedding(4, 2).state_dict()) == ["weight"]


def test_padding_row_gets_no_gradient(backend):
    layer = Embedding(4, 2, padding_idx=0, backend=backend)
    layer(make(backend, np.array([[0, 1], [0, 0]]))).sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.numpy(), [[0, 0], [1, 1], [0, 0], [0, 0]])


@pytest.mark.parametrize("freeze", [True, False])
def test_from_pretrained_matches_torch(backend, rng, freeze):
    table = rng.standard_normal((5, 3))  # the padding row keeps its pretrained values, as in PyTorch
    ours = Embedding.from_pretrained(make(backend, table), freeze=freeze, padding_idx=1, max_norm=2.0)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(table), freeze=freeze, padding_idx=1, max_norm=2.0)
    assert ours.weight.dtype == make(backend, table).dtype and ours.weight.requires_grad == (not freeze)
    out, ref = ours(make(backend, INDICES)), theirs(torch.tensor(INDICES))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)  # renormed rows
    if not freeze:
        weights = rng.standard_normal(tuple(ref.shape))
        (out * make(backend, weights)).sum().backward()
        (ref * torch.tensor(weights)).sum().backward()
        np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="Embedding.from_pretrained: embeddings must be 2-D"):
        Embedding.from_pretrained(make(backend, table[0]))


@pytest.mark.parametrize("index_dtype", ["uint8", "int16", "int32", "int64"])
def test_index_dtypes_are_pytorchs(backend, index_dtype):
    """PyTorch's embedding takes int32 and int64 indices only; uint8 and int16 are refused, as there."""
    weight = np.arange(6.0, dtype=np.float32).reshape(3, 2)
    indices = np.array([2, 0])
    try:
        torch.nn.functional.embedding(torch.from_numpy(indices.astype(index_dtype)), torch.from_numpy(weight))
        torch_accepts = True
    except RuntimeError:
        torch_accepts = False
    layer = Embedding.from_pretrained(make(backend, weight))
    ours = make(backend, indices.astype(index_dtype))
    if torch_accepts:
        np.testing.assert_array_equal(embedding(ours, layer.weight).numpy(), weight[indices])
        np.testing.assert_array_equal(layer(ours).numpy(), weight[indices])
    else:
        expected = rf"embedding: expected integer indices \(int64 or int32\), got dtype {index_dtype}"
        with pytest.raises(TypeError, match=expected):
            embedding(ours, layer.weight)
        with pytest.raises(TypeError, match=rf"Embedding: expected integer indices .* got dtype {index_dtype}"):
            layer(ours)


@pytest.mark.parametrize("bad", [5, -1])
def test_out_of_range_index_raises(backend, bad):
    layer = Embedding(5, 2, backend=backend)
    with pytest.raises(IndexError, match=rf"Embedding: index {bad} is out of range for 5 embeddings"):
        layer(make(backend, np.array([[0, bad]])))
    with pytest.raises(IndexError, match=rf"embedding: index {bad} is out of range"):
        embedding(make(backend, np.array([bad, 1])), layer.weight)


def test_other_errors():
    layer = Embedding(5, 2)
    with pytest.raises(TypeError, match="Embedding: expected integer indices .* got dtype float32"):
        layer(make("numpy", np.array([1.0], np.float32)))
    with pytest.raises(TypeError, match="Embedding: expected an integer anynn Tensor"):
        layer(np.array([1]))
    with pytest.raises(ValueError, match="Embedding: padding_idx must be within"):
        Embedding(5, 2, padding_idx=5)
    with pytest.raises(ValueError, match="BackendMismatch|backend"):
        layer(make("torch", np.array([1])))
    assert layer(make("numpy", np.zeros((0, 3), np.int64))).shape == (0, 3, 2)


# -- configurations drawn by hypothesis, against torch.nn ---------------------------------------------


@st.composite
def embedding_configs(draw: Any) -> dict[str, Any]:
    num = draw(st.integers(1, 8))
    return dict(num=num, dim=draw(st.integers(1, 4)), padding_idx=draw(st.sampled_from([None, 0, num - 1, -1])),
                shape=tuple(draw(st.integers(1, 3)) for _ in range(draw(st.integers(0, 3)))),
                dtype=draw(st.sampled_from(["float64", "float32"])),
                index_dtype=draw(st.sampled_from(["int64", "int32"])), seed=draw(st.integers(0, 2 ** 16)),
                extra=dict(max_norm=draw(st.sampled_from([None, None, 0.5, 1.5])),
                           norm_type=draw(st.sampled_from([2.0, 1.0, 3.0, math.inf])),
                           scale_grad_by_freq=draw(st.booleans())))


@pytest.mark.jax(run=False)  # moved here from a file outside the jax subset (eager JAX is slow)
@oracle_settings(40)
@given(cfg=embedding_configs())
def test_embedding_matches_torch(backend, cfg):
    """Any index shape (0-D to 3-D), the largest index, padding_idx (negative too), repeated indices,
    max_norm (rows rescaled in place) with several norms, scale_grad_by_freq."""
    num, dtype = cfg["num"], cfg["dtype"]
    g = np.random.default_rng(cfg["seed"])
    indices = g.integers(0, num, size=cfg["shape"])
    indices.reshape(-1)[:1] = num - 1  # always look up the last row
    indices = indices.astype(cfg["index_dtype"])
    theirs = torch.nn.Embedding(num, cfg["dim"], padding_idx=cfg["padding_idx"], **cfg["extra"])
    theirs = theirs.to(torch_dtype(dtype))
    ours = Embedding(num, cfg["dim"], padding_idx=cfg["padding_idx"], **cfg["extra"])
    copy_weights(ours, theirs, backend, dtype)
    out, ref = ours(make(backend, indices)), theirs(torch.tensor(indices))
    tol = tolerance(dtype)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **tol)
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), err_msg="renormed weight", **tol)
    weights = g.standard_normal(tuple(ref.shape)).astype(dtype)
    (out * make(backend, weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), **tol)
    with pytest.raises(IndexError, match="out of range"):
        ours(make(backend, np.array([0, num])))
