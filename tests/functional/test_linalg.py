# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Matrix products and linear: a float64 gradient check on every backend, forward + input gradients against
PyTorch in float32 and float64, and batched/broadcast matmul shapes and linear of any rank against PyTorch on
every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from anynn.functional import linalg as L
from anynn.nn.linear import Linear

from tests.functional.samples import DTYPES, sample, tolerances
from tests.helpers import check_gradients, compare_with_torch, make, torch_oracle


# -- matrix products ----------------------------------------------------------------------------------
# (shape of a, shape of b): vectors, matrices, batched and broadcast stacks
MATMUL_SHAPES = [
    ((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 2)), ((2, 1, 3, 4), (3, 4, 2)),
    ((3, 4), (2, 4, 1)),
    ((3,), (3,)), ((3,), (3, 2)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((4, 2, 3), (3, 2)), ((3,), (4, 3, 2)),
    ((4, 2, 3), (3,)), ((2, 1, 2, 3), (3, 3, 4)), ((1, 2, 3), (4, 3, 2)), ((2, 3, 2, 3), (2, 1, 3, 2)),
    ((5, 1, 3), (1, 3, 2)), ((2, 1, 1, 3), (1, 2, 3, 1)), ((1, 3), (3, 1)),
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradients(backend, shapes):
    a, b = (sample("any", s, seed=i) for i, s in enumerate(shapes))
    check_gradients(backend, L.matmul, a, b)
    check_gradients(backend, lambda x, y: x @ y, a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes, dtype):
    a, b = (sample("any", s, seed=i).astype(dtype) for i, s in enumerate(shapes))
    compare_with_torch("numpy", L.matmul, torch.matmul, a, b, **tolerances(dtype))


def test_rmatmul_with_native_array(backend):
    x = make(backend, sample("any", (4, 2)), requires_grad=True)
    a = sample("any", (3, 4), seed=3)
    y = x.__rmatmul__(backend.from_host(a))  # native @ Tensor: array_api_strict refuses to defer
    np.testing.assert_allclose(y.numpy(), a @ x.numpy(), rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), a.sum(axis=0)[:, None] * np.ones((1, 2)), rtol=1e-12)


LINEAR_SHAPES = [((3, 4), True), ((3, 4), False), ((2, 3, 4), True), ((4,), True)]


@pytest.mark.parametrize("x_shape,bias", LINEAR_SHAPES, ids=str)
def test_linear_gradients_and_torch(backend, x_shape, bias):
    arrays = [sample("any", x_shape), sample("any", (2, 4), seed=1)] + ([sample("any", (2,), seed=2)] if bias else [])
    check_gradients(backend, L.linear, *arrays)
    for dtype in DTYPES:
        compare_with_torch(backend, L.linear, torch.nn.functional.linear, *(a.astype(dtype) for a in arrays),
                           **tolerances(dtype))


# a 1-D weight (in_features,): PyTorch's vector product input @ weight, a bias only beside a vector input
LINEAR_VECTOR_WEIGHT = [((3, 4), None), ((2, 3, 4), None), ((4,), None), ((4,), ())]


@pytest.mark.parametrize("x_shape,bias_shape", LINEAR_VECTOR_WEIGHT, ids=str)
def test_linear_with_a_vector_weight_as_torch(backend, x_shape, bias_shape):
    arrays = [sample("any", x_shape), sample("any", (4,), seed=1)]
    arrays += [] if bias_shape is None else [sample("any", bias_shape, seed=2)]
    check_gradients(backend, L.linear, *arrays)
    for dtype in DTYPES:
        compare_with_torch(backend, L.linear, TF.linear, *(a.astype(dtype) for a in arrays), **tolerances(dtype))


@pytest.mark.parametrize("x_shape,w_shape,b_shape,message", [
    ((3, 4), (2, 2, 4), None, "linear: weight must be"), ((3, 4), (2, 2, 4), (2,), "linear: weight must be"),
    ((3, 4), (), None, "at least 1-D"), ((3, 4), (4,), (3,), "no bias"), ((3, 4), (4,), (), "no bias"),
    ((3, 4), (5,), None, "in_features"),
], ids=str)
def test_linear_refuses_what_torch_refuses(backend, x_shape, w_shape, b_shape, message):
    arrays = [sample("any", x_shape), np.asarray(sample("any", w_shape, seed=1))]
    arrays += [] if b_shape is None else [np.asarray(sample("any", b_shape, seed=2))]
    with pytest.raises(RuntimeError):
        TF.linear(*(torch.from_numpy(np.asarray(a)) for a in arrays))
    with pytest.raises(RuntimeError, match=message):
        L.linear(*(make(backend, a) for a in arrays))


# -- batched and broadcast shapes against PyTorch on every backend --------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_matmul_batched_broadcast(backend, dtype):
    rng = np.random.default_rng(3)
    for sa, sb in MATMUL_SHAPES:
        a, b = rng.standard_normal(sa).astype(dtype), rng.standard_normal(sb).astype(dtype)
        torch_oracle(backend, lambda x, y: x @ y, lambda x, y: x @ y, [a, b], dtype, what=f"{sa}@{sb}")
        torch_oracle(backend, L.matmul, torch.matmul, [a, b], dtype, grads=[True, False], what=f"{sa}@{sb} a only")


@pytest.mark.parametrize("dtype", DTYPES)
def test_linear_layer_any_rank(backend, dtype):
    rng = np.random.default_rng(4)
    for shape, bias in [((3,), True), ((2, 3), False), ((2, 4, 3), True), ((2, 1, 2, 3), True)]:
        x = rng.standard_normal(shape).astype(dtype)
        w = rng.standard_normal((5, 3)).astype(dtype)
        arrays = [x, w] + ([rng.standard_normal(5).astype(dtype)] if bias else [])
        torch_oracle(backend, L.linear, TF.linear, arrays, dtype, what=f"linear {shape}")
    layer = Linear(3, 2, backend=backend, dtype=dtype)
    tlayer = torch.nn.Linear(3, 2).to(getattr(torch, dtype))
    layer.load_state_dict({k: v.detach().numpy() for k, v in tlayer.state_dict().items()})
    x = rng.standard_normal((2, 2, 3)).astype(dtype)
    torch_oracle(backend, layer, tlayer, [x], dtype, what="Linear module")


# -- torch.linalg's product spellings: multi_dot (vector ends, chains whose best order is not left to right),
# vecdot (broadcast), matmul and diagonal
MULTI_DOT_SHAPES = [[(3,), (3, 4)], [(2, 3), (3,)], [(3,), (3,)], [(2, 5), (5, 1), (1, 4), (4, 3)],
                    [(4,), (4, 2), (2, 6), (6,)], [(3, 2), (2, 3), (3, 2), (2, 3), (3, 2)]]


@pytest.mark.parametrize("shapes", MULTI_DOT_SHAPES, ids=str)
def test_multi_dot_as_torch(backend, shapes):
    import anynn

    arrays = [sample("any", s, seed=i) for i, s in enumerate(shapes)]
    torch_oracle(backend, lambda *ts: anynn.linalg.multi_dot(ts), lambda *ts: torch.linalg.multi_dot(ts), arrays,
                 "float64", what=f"multi_dot {shapes}")
    check_gradients(backend, lambda *ts: anynn.linalg.multi_dot(ts), *arrays)


def test_linalg_product_spellings_as_torch(backend):
    import anynn

    x, y, z = sample("any", (2, 3), seed=1), sample("any", (3,), seed=2), sample("any", (2, 3, 4), seed=3)
    torch_oracle(backend, anynn.linalg.vecdot, torch.linalg.vecdot, [x, y], "float64", what="vecdot")
    torch_oracle(backend, lambda a: anynn.linalg.diagonal(a, offset=1), lambda a: torch.linalg.diagonal(a, offset=1),
                 [z], "float64", what="diagonal")
    torch_oracle(backend, anynn.linalg.matmul, torch.linalg.matmul, [z, sample("any", (4, 2), seed=4)], "float64",
                 what="matmul")
    for bad in [[(3,)], [(3,), (2,)], [(2, 2, 2), (2, 2)], [(2, 3), (3,), (3, 2)]]:
        with pytest.raises(RuntimeError) as theirs:
            torch.linalg.multi_dot([torch.ones(s, dtype=torch.float64) for s in bad])
        with pytest.raises(RuntimeError) as ours:
            anynn.linalg.multi_dot([make(backend, np.ones(s)) for s in bad])
        assert str(ours.value).split(" with shapes")[0] == str(theirs.value).split(" with shapes")[0]
