"""Distances (cosine similarity, pairwise distance): a float64 gradient check on every backend, PyTorch as the
oracle in float32 and float64 (values and both inputs' gradients), float32 kept float32; zero vectors and p = 0; the
layers against torch.nn's, and their constructor and forward signatures."""

from __future__ import annotations

import inspect
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional as F
from anynn.backend import dtype_name

from tests.helpers import compare_with_torch, make
from tests.nn.loss_oracle import check_all, rng


DISTANCE = [
    ("cosine", lambda a, b: F.cosine_similarity(a, b), lambda a, b: TF.cosine_similarity(a, b), (4, 3), (4, 3)),
    ("cosine_dim0", lambda a, b: F.cosine_similarity(a, b, dim=0), lambda a, b: TF.cosine_similarity(a, b, dim=0),
     (4, 3), (4, 3)),
    ("cosine_last_3d", lambda a, b: F.cosine_similarity(a, b, -1), lambda a, b: TF.cosine_similarity(a, b, -1),
     (2, 3, 4), (2, 3, 4)),
    ("cosine_broadcast", lambda a, b: F.cosine_similarity(a, b, dim=-1),
     lambda a, b: TF.cosine_similarity(a, b, dim=-1), (4, 3), (1, 3)),
    ("cosine_broadcast_rank", lambda a, b: F.cosine_similarity(a, b, dim=-1),
     lambda a, b: TF.cosine_similarity(a, b, dim=-1), (2, 4, 3), (3,)),
    ("pairwise", F.pairwise_distance, TF.pairwise_distance, (4, 3), (4, 3)),
    ("pairwise_keepdim", lambda a, b: F.pairwise_distance(a, b, keepdim=True),
     lambda a, b: TF.pairwise_distance(a, b, keepdim=True), (4, 3), (4, 3)),
    ("pairwise_p1", lambda a, b: F.pairwise_distance(a, b, 1.0), lambda a, b: TF.pairwise_distance(a, b, 1.0),
     (4, 3), (4, 3)),
    ("pairwise_p3", lambda a, b: F.pairwise_distance(a, b, 3.0), lambda a, b: TF.pairwise_distance(a, b, 3.0),
     (4, 3), (4, 3)),
    ("pairwise_p_half", lambda a, b: F.pairwise_distance(a, b, 0.5), lambda a, b: TF.pairwise_distance(a, b, 0.5),
     (4, 3), (4, 3)),
    ("pairwise_pinf", lambda a, b: F.pairwise_distance(a, b, math.inf),
     lambda a, b: TF.pairwise_distance(a, b, math.inf), (4, 3), (4, 3)),
    ("pairwise_broadcast", F.pairwise_distance, TF.pairwise_distance, (4, 3), (3,)),
    ("pairwise_1d", F.pairwise_distance, TF.pairwise_distance, (3,), (3,)),
    ("pairwise_3d", lambda a, b: F.pairwise_distance(a, b, eps=0.0), lambda a, b: TF.pairwise_distance(a, b, eps=0.0),
     (2, 4, 3), (2, 1, 3)),
]


@pytest.mark.parametrize("name,ours,theirs,shape1,shape2", DISTANCE, ids=[r[0] for r in DISTANCE])
def test_distances(backend, name, ours, theirs, shape1, shape2):
    check_all(backend, ours, theirs, [rng().normal(size=shape1), rng(1).normal(size=shape2)], [True, True])


def test_pairwise_p0_counts_differences(backend):
    a, b = rng().normal(size=(4, 3)), rng(1).normal(size=(4, 3))
    b[0, :2] = a[0, :2]
    compare_with_torch(backend, lambda x, y: F.pairwise_distance(x, y, 0.0, eps=0.0),
                       lambda x, y: TF.pairwise_distance(x, y, 0.0, eps=0.0), a, b, differentiable=[False, False])
    x = make(backend, a, requires_grad=True)
    F.pairwise_distance(x, make(backend, b), 0.0).sum().backward()  # a count: no gradient, x.grad None as PyTorch's
    assert x.grad is None
    for swap in (False, True):  # the triplet loss over such counts: none either (zeros before)
        F.triplet_margin_loss(x, make(backend, b), make(backend, b + 1.0), p=0, swap=swap).backward()
        assert x.grad is None


def test_cosine_similarity_of_zero_vectors_is_zero_with_finite_gradients(backend):
    a, b = rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4))
    a[0] = 0.0
    compare_with_torch(backend, F.cosine_similarity, TF.cosine_similarity, a, b, rtol=1e-6, atol=1e-9)


LAYERS = [
    ("CosineSimilarity", {"dim": 0}, [rng().normal(size=(4, 3)), rng(1).normal(size=(4, 3))]),
    ("PairwiseDistance", {"p": 3.0, "keepdim": True}, [rng().normal(size=(4, 3)), rng(1).normal(size=(4, 3))]),
]


@pytest.mark.parametrize("name,kwargs,arrays", LAYERS, ids=[r[0] for r in LAYERS])
def test_layers_match_torch(backend, name, kwargs, arrays):
    ours, theirs = getattr(anynn.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    differentiable = [a.dtype.kind == "f" and i == 0 for i, a in enumerate(arrays)]
    compare_with_torch(backend, ours, theirs, *arrays, differentiable=differentiable, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["CosineSimilarity", "PairwiseDistance"])
def test_constructor_and_forward_signatures_match_torch(name):
    for method in ("__init__", "forward"):
        ours = inspect.signature(getattr(getattr(anynn.nn, name), method)).parameters
        theirs = inspect.signature(getattr(getattr(torch.nn, name), method)).parameters
        assert list(ours) == list(theirs), f"{name}.{method}"
        for key, p in theirs.items():
            assert ours[key].default == p.default, f"{name}.{method}({key}=...)"
            assert ours[key].kind == p.kind, f"{name}.{method}({key})"


def test_cosine_similarity_second_derivative_where_eps_clamps_the_norms(backend):
    """Norms below eps: the gradient is PyTorch's, and its derivative (d sum(g1 * v) / d(x1, x2)) PyTorch's gradient
    differenced element by element; PyTorch 2.13's own double backward is off there (the differences page)."""
    r = np.random.default_rng(7)
    a, b = 0.3 * r.standard_normal((3, 2)), 0.3 * r.standard_normal((3, 2))  # norms 0.09 .. 0.40, eps 0.5
    w, v = r.standard_normal(3), r.standard_normal((3, 2))

    def torch_g1v(a_: np.ndarray, b_: np.ndarray) -> float:
        x, y = torch.tensor(a_, requires_grad=True), torch.tensor(b_)
        (g1,) = torch.autograd.grad((TF.cosine_similarity(x, y, eps=0.5) * torch.tensor(w)).sum(), x)
        return float((g1 * torch.tensor(v)).sum())

    x, y = make(backend, a, requires_grad=True), make(backend, b, requires_grad=True)
    g1, _ = anynn.autograd.grad((F.cosine_similarity(x, y, eps=0.5) * make(backend, w)).sum(), (x, y),
                                create_graph=True)
    ours = anynn.autograd.grad((g1 * make(backend, v)).sum(), (x, y))
    for which, (arr, got) in enumerate(zip((a, b), ours)):
        expected = np.zeros_like(arr)
        for idx in np.ndindex(arr.shape):
            up, down = [a.copy(), b.copy()], [a.copy(), b.copy()]
            up[which][idx] += 1e-6
            down[which][idx] -= 1e-6
            expected[idx] = (torch_g1v(*up) - torch_g1v(*down)) / 2e-6
        np.testing.assert_allclose(got.numpy(), expected, rtol=1e-6, atol=1e-8)


def test_integer_inputs_as_torch(backend):
    # pairwise_distance computes integers in float32; cosine_similarity refuses two integer inputs
    a, b = np.array([[1, 2, 3], [0, -1, 4]]), np.array([[2, 2, 0], [1, 1, 1]])
    expected = TF.pairwise_distance(torch.tensor(a), torch.tensor(b))
    out = F.pairwise_distance(make(backend, a), make(backend, b))
    assert str(out.dtype).endswith("float32") and expected.dtype == torch.float32
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)
    with pytest.raises(RuntimeError):
        TF.cosine_similarity(torch.tensor(a), torch.tensor(b))
    with pytest.raises(TypeError, match=r"cosine_similarity\(\): expected a floating point"):
        F.cosine_similarity(make(backend, a), make(backend, b))
    # the layers as their functions (PairwiseDistance refused integers the function takes)
    layer_out = anynn.nn.PairwiseDistance()(make(backend, a), make(backend, b))
    np.testing.assert_allclose(layer_out.numpy(), torch.nn.PairwiseDistance()(torch.tensor(a), torch.tensor(b)).numpy(),
                               rtol=1e-6)
    with pytest.raises(TypeError, match="PairwiseDistance: expected a floating-point input, got bool"):
        anynn.nn.PairwiseDistance()(make(backend, a > 0), make(backend, b > 0))  # PyTorch: bool subtraction raises
    with pytest.raises(TypeError, match="CosineSimilarity"):
        anynn.nn.CosineSimilarity()(make(backend, a), make(backend, b))
    # an integer beside a float operand: the float's dtype, the layer as its function (the layer refused it); a bool
    # operand of pairwise_distance is PyTorch's subtraction RuntimeError (the function computed it)
    floats = b.astype(np.float32)
    layer_out = anynn.nn.CosineSimilarity()(make(backend, a), make(backend, floats))
    np.testing.assert_allclose(layer_out.numpy(), TF.cosine_similarity(torch.tensor(a), torch.tensor(floats)).numpy(),
                               rtol=1e-6)
    for lib, tensor in ((torch, torch.tensor), (anynn, lambda v: make(backend, v))):
        with pytest.raises(RuntimeError):
            lib.nn.functional.pairwise_distance(tensor(a > 0), tensor(floats))


def test_float16_beside_float32_computes_in_float32_as_torch():
    """cosine_similarity(float16, float32) is float32 in PyTorch (the wider precision); anynn gave float16. (PyTorch
    divides the float16 operand by its norm in float16 first: values to float16's precision.)"""
    a, b = np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]], np.float16), np.array([[2.0, 2.0, 0.1], [1.0, 1.0, 1.0]])
    for f in (F.cosine_similarity, F.pairwise_distance):
        tf = getattr(TF, f.__name__)
        expected = tf(torch.tensor(a), torch.tensor(b, dtype=torch.float32))
        out = f(make("numpy", a), make("numpy", b.astype(np.float32)))
        assert dtype_name(out.dtype) == "float32" == str(expected.dtype).split(".")[-1]
        np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-3)
    # an integer operand takes the float16 one's dtype (it was float32, as_floating's)
    ints = np.array([[1, 0, 2], [0, 1, 1]])
    out = F.pairwise_distance(make("numpy", a), make("numpy", ints))
    expected = TF.pairwise_distance(torch.tensor(a), torch.tensor(ints))
    assert dtype_name(out.dtype) == "float16" == str(expected.dtype).split(".")[-1]
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=2e-3)
