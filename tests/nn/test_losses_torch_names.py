"""PyTorch's remaining losses and distances (KL, Poisson and Gaussian NLL, margin, soft-margin, embedding and
triplet losses, cosine similarity, pairwise distance): one table per family, each row run with every
reduction through a float64 gradient check on every backend, PyTorch as the oracle (values and gradients of
every differentiable input, float32 and float64), float32 kept float32; then the layers, their constructor
signatures, deprecated arguments, finite results for +-1e4 logits, and clear errors."""

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

from tests.helpers import check_gradients, compare_with_torch, make

DTYPES = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")


def tolerances(dtype: str) -> dict[str, float]:
    return {"rtol": 2e-4, "atol": 2e-5} if dtype == "float32" else {"rtol": 1e-6, "atol": 1e-9}


def check_all(backend, ours, theirs, arrays, differentiable):
    """Gradient check in float64, PyTorch in float32 and float64, float32 stays float32."""
    check_gradients(backend, ours, *arrays, differentiable=differentiable)
    for dtype in DTYPES:
        cast = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
        compare_with_torch(backend, ours, theirs, *cast, differentiable=differentiable, **tolerances(dtype))
    tensors = [make(backend, a.astype(np.float32) if a.dtype.kind == "f" else a, requires_grad=d)
               for a, d in zip(arrays, differentiable)]
    out = ours(*tensors)
    assert dtype_name(out.dtype) == "float32"
    out.sum().backward()
    for t in tensors:
        if t.requires_grad:
            assert dtype_name(t.grad.dtype) == "float32"


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def signs(shape, seed=1):
    return rng(seed).choice([-1.0, 1.0], shape)


def probabilities(shape, seed=2):
    p = rng(seed).uniform(0.05, 1.0, shape)
    return p / p.sum(-1, keepdims=True)


# -- distributions: (id, ours, torch's, kwargs, arrays, differentiable) ---------------------------------------
def log_probabilities(shape, seed=0):
    return np.log(probabilities(shape, seed))


def counts(shape, seed=3):
    return rng(seed).integers(0, 6, shape).astype(np.float64) + rng(seed + 1).uniform(0.1, 0.9, shape)


DISTRIBUTION = [
    ("kl_div", F.kl_div, TF.kl_div, {}, [log_probabilities((3, 4)), probabilities((3, 4))], [True, True]),
    ("kl_div_log_target", F.kl_div, TF.kl_div, {"log_target": True},
     [log_probabilities((3, 4)), log_probabilities((3, 4), 5)], [True, True]),
    ("kl_div_broadcast_target", F.kl_div, TF.kl_div, {}, [log_probabilities((3, 4)), probabilities((4,))],
     [True, True]),
    ("kl_div_3d", F.kl_div, TF.kl_div, {}, [log_probabilities((2, 3, 4)), probabilities((2, 3, 4))], [True, False]),
    ("poisson", F.poisson_nll_loss, TF.poisson_nll_loss, {}, [rng().normal(size=(3, 4)), counts((3, 4))],
     [True, True]),
    ("poisson_full", F.poisson_nll_loss, TF.poisson_nll_loss, {"full": True},
     [rng().normal(size=(3, 4)), counts((3, 4))], [True, True]),
    ("poisson_rates", F.poisson_nll_loss, TF.poisson_nll_loss, {"log_input": False, "eps": 1e-3},
     [rng().uniform(0.1, 3.0, (3, 4)), counts((3, 4))], [True, True]),
    ("poisson_rates_full", F.poisson_nll_loss, TF.poisson_nll_loss, {"log_input": False, "full": True},
     [rng().uniform(0.1, 3.0, (5,)), counts((5,))], [True, True]),
    ("gaussian", F.gaussian_nll_loss, TF.gaussian_nll_loss, {},
     [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 4))], [True, True, True]),
    ("gaussian_full", F.gaussian_nll_loss, TF.gaussian_nll_loss, {"full": True},
     [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 4))], [True, True, True]),
    ("gaussian_var_per_row", F.gaussian_nll_loss, TF.gaussian_nll_loss, {},
     [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3,))], [True, True, True]),
    ("gaussian_var_column", F.gaussian_nll_loss, TF.gaussian_nll_loss, {"eps": 1e-3},
     [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 1))], [True, True, True]),
    ("gaussian_var_channel", F.gaussian_nll_loss, TF.gaussian_nll_loss, {},
     [rng().normal(size=(2, 3, 4)), rng(1).normal(size=(2, 3, 4)), rng(2).uniform(0.1, 2.0, (2, 1, 4))],
     [True, True, True]),
    ("gaussian_broadcast_target", F.gaussian_nll_loss, TF.gaussian_nll_loss, {},
     [rng().normal(size=(3, 4)), rng(1).normal(size=(4,)), rng(2).uniform(0.1, 2.0, (3, 4))], [True, True, True]),
]


@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("name,ours,theirs,kwargs,arrays,differentiable", DISTRIBUTION,
                         ids=[r[0] for r in DISTRIBUTION])
def test_distribution_losses(backend, name, ours, theirs, kwargs, arrays, differentiable, reduction):
    if reduction == "batchmean" and not name.startswith("kl"):
        pytest.skip("batchmean is KL's own")
    check_all(backend, lambda *a: ours(*a, reduction=reduction, **kwargs),
              lambda *a: theirs(*a, reduction=reduction, **kwargs), arrays, differentiable)


def test_kl_div_mean_warns_as_torch(backend):
    x, t = make(backend, log_probabilities((2, 3))), make(backend, probabilities((2, 3)))
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)


def test_kl_div_zero_target_counts_nothing(backend):
    x, t = log_probabilities((2, 3)), probabilities((2, 3))
    t[0, 1] = 0.0
    compare_with_torch(backend, lambda a, b: F.kl_div(a, b, reduction="none"),
                       lambda a, b: TF.kl_div(a, b, reduction="none"), x, t, differentiable=[True, False])


def test_gaussian_nll_clamps_tiny_variances_like_torch(backend):
    x, y, var = rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 4))
    var[0, :2] = (1e-9, 0.0)
    compare_with_torch(backend, F.gaussian_nll_loss, TF.gaussian_nll_loss, x, y, var, rtol=1e-6, atol=1e-9)


def test_gaussian_nll_takes_a_float_variance(backend):
    x, y = rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4))
    compare_with_torch(backend, lambda a, b: F.gaussian_nll_loss(a, b, 0.5),
                       lambda a, b: TF.gaussian_nll_loss(a, b, 0.5), x, y)


def test_gaussian_nll_refuses_negative_or_misshapen_variances(backend):
    x = make(backend, rng().normal(size=(3, 4)))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, make(backend, -np.ones((3, 4))))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, -1.0)
    with pytest.raises(ValueError, match=r"var is of incorrect size \(4,\)"):
        F.gaussian_nll_loss(x, x, make(backend, np.ones(4)))


# -- margins ---------------------------------------------------------------------------------------------------------
def class_lists(shape, seed=4):
    """Target class lists for multilabel_margin_loss: each row some classes, then -1 and anything."""
    n, c = shape
    out = rng(seed).integers(0, c, shape)
    for i in range(n):
        out[i, min(i + 1, c - 1)] = -1
    out[0, 0] = out[1, 0]  # a class listed twice in one row counts twice
    return out.reshape(shape)


MARGIN = [
    ("margin_ranking", F.margin_ranking_loss, TF.margin_ranking_loss, {},
     [rng().normal(size=(6,)), rng(1).normal(size=(6,)), signs((6,))], [True, True, True]),
    ("margin_ranking_margin", F.margin_ranking_loss, TF.margin_ranking_loss, {"margin": 0.5},
     [rng().normal(size=(2, 6)), rng(1).normal(size=(2, 6)), signs((2, 6))], [True, True, True]),
    ("margin_ranking_broadcast", F.margin_ranking_loss, TF.margin_ranking_loss, {"margin": 0.3},
     [rng().normal(size=(2, 6)), rng(1).normal(size=(1, 6)), signs((2, 1))], [True, True, True]),
    ("hinge_embedding", F.hinge_embedding_loss, TF.hinge_embedding_loss, {},
     [rng().normal(size=(3, 4)) * 2, signs((3, 4))], [True, False]),
    ("hinge_embedding_other_targets", F.hinge_embedding_loss, TF.hinge_embedding_loss, {"margin": 0.5},
     [rng().normal(size=(3, 4)) * 2, rng(5).choice([-1.0, 0.0, 1.0, 2.0], (3, 4))], [True, False]),
    ("soft_margin", F.soft_margin_loss, TF.soft_margin_loss, {},
     [rng().normal(size=(3, 4)) * 3, signs((3, 4))], [True, False]),  # PyTorch refuses a target gradient
    ("multilabel_soft_margin", F.multilabel_soft_margin_loss, TF.multilabel_soft_margin_loss, {},
     [rng().normal(size=(3, 4)) * 3, rng(6).integers(0, 2, (3, 4)).astype(np.float64)], [True, True]),
    ("multilabel_soft_margin_1d", F.multilabel_soft_margin_loss, TF.multilabel_soft_margin_loss, {},
     [rng().normal(size=(5,)) * 3, rng(6).integers(0, 2, (5,)).astype(np.float64)], [True, True]),
    ("multi_margin", F.multi_margin_loss, TF.multi_margin_loss, {},
     [rng().normal(size=(5, 4)), rng(7).integers(0, 4, (5,))], [True, False]),
    ("multi_margin_p2", F.multi_margin_loss, TF.multi_margin_loss, {"p": 2, "margin": 0.7},
     [rng().normal(size=(5, 4)), rng(7).integers(0, 4, (5,))], [True, False]),
    ("multi_margin_1d", F.multi_margin_loss, TF.multi_margin_loss, {},
     [rng().normal(size=(4,)), np.array(2)], [True, False]),
    ("multilabel_margin", F.multilabel_margin_loss, TF.multilabel_margin_loss, {},
     [rng().normal(size=(4, 5)), class_lists((4, 5))], [True, False]),
    ("multilabel_margin_1d", F.multilabel_margin_loss, TF.multilabel_margin_loss, {},
     [rng().normal(size=(5,)), np.array([3, 0, -1, 1, 4])], [True, False]),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,ours,theirs,kwargs,arrays,differentiable", MARGIN, ids=[r[0] for r in MARGIN])
def test_margin_losses(backend, name, ours, theirs, kwargs, arrays, differentiable, reduction):
    check_all(backend, lambda *a: ours(*a, reduction=reduction, **kwargs),
              lambda *a: theirs(*a, reduction=reduction, **kwargs), arrays, differentiable)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [1, 2])
def test_multi_margin_with_class_weights(backend, reduction, p):
    x, y, w = rng().normal(size=(5, 4)), rng(7).integers(0, 4, (5,)), rng(8).uniform(0.5, 2.0, (4,))

    def ours(a, b):
        return F.multi_margin_loss(a, b, p=p, weight=make(backend, w.astype(dtype_name(a.dtype))),
                                   reduction=reduction)

    def theirs(a, b):
        return TF.multi_margin_loss(a, b, p=p, weight=torch.tensor(w).to(a.dtype), reduction=reduction)

    check_all(backend, ours, theirs, [x, y], [True, False])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_soft_margin_with_class_weights(backend, reduction):
    x, y, w = rng().normal(size=(3, 4)), rng(6).integers(0, 2, (3, 4)).astype(np.float64), rng(8).uniform(0.5, 2, 4)

    def ours(a, b):
        return F.multilabel_soft_margin_loss(a, b, weight=w.astype(dtype_name(a.dtype)), reduction=reduction)

    def theirs(a, b):
        return TF.multilabel_soft_margin_loss(a, b, weight=torch.tensor(w).to(a.dtype), reduction=reduction)

    check_all(backend, ours, theirs, [x, y], [True, True])


def test_margin_losses_refuse_bad_targets(backend):
    x = make(backend, rng().normal(size=(3, 4)))
    with pytest.raises(IndexError, match=r"multi_margin_loss: target holds a class index outside \[0, 4\)"):
        F.multi_margin_loss(x, make(backend, np.array([0, 4, 1])))
    with pytest.raises(ValueError, match=r"multi_margin_loss: target must have shape \(3,\)"):
        F.multi_margin_loss(x, make(backend, np.array([0, 1])))
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        F.multi_margin_loss(x, make(backend, np.array([0, 1, 2])), p=3)
    with pytest.raises(TypeError, match="integer class indices"):
        F.multilabel_margin_loss(x, make(backend, np.zeros((3, 4))))
    with pytest.raises(IndexError, match="multilabel_margin_loss"):
        F.multilabel_margin_loss(x, make(backend, np.array([[0, 1, -1, 7]] * 3)))
    with pytest.raises(ValueError, match="same number of dimensions"):
        F.margin_ranking_loss(x, x, make(backend, np.ones(4)))


# -- embeddings and distances -----------------------------------------------------------------------------------------
def triplet(shape=(5, 4)):
    return [rng(s).normal(size=shape) for s in (0, 1, 2)]


EMBEDDING = [
    ("cosine_embedding", F.cosine_embedding_loss, TF.cosine_embedding_loss, {},
     [rng().normal(size=(6, 3)), rng(1).normal(size=(6, 3)), signs((6,))], [True, True, False]),
    ("cosine_embedding_margin", F.cosine_embedding_loss, TF.cosine_embedding_loss, {"margin": -0.2},
     [rng().normal(size=(6, 3)), rng(1).normal(size=(6, 3)), rng(2).choice([-1.0, 0.0, 1.0], (6,))],
     [True, True, False]),
    ("cosine_embedding_1d", F.cosine_embedding_loss, TF.cosine_embedding_loss, {"margin": -0.5},
     [rng().normal(size=(3,)), rng(1).normal(size=(3,)), np.array(-1.0)], [True, True, False]),
    ("triplet", F.triplet_margin_loss, TF.triplet_margin_loss, {}, triplet(), [True] * 3),
    ("triplet_swap", F.triplet_margin_loss, TF.triplet_margin_loss, {"swap": True, "margin": 2.0}, triplet(),
     [True] * 3),
    ("triplet_p1", F.triplet_margin_loss, TF.triplet_margin_loss, {"p": 1, "margin": 2.0}, triplet(), [True] * 3),
    ("triplet_p3_swap", F.triplet_margin_loss, TF.triplet_margin_loss, {"p": 3, "swap": True, "eps": 1e-3},
     triplet(), [True] * 3),
    ("triplet_pinf", F.triplet_margin_loss, TF.triplet_margin_loss, {"p": math.inf}, triplet(), [True] * 3),
    ("triplet_1d", F.triplet_margin_loss, TF.triplet_margin_loss, {"margin": 3.0}, triplet((4,)), [True] * 3),
    ("triplet_distance", F.triplet_margin_with_distance_loss, TF.triplet_margin_with_distance_loss, {}, triplet(),
     [True] * 3),
    ("triplet_distance_swap", F.triplet_margin_with_distance_loss, TF.triplet_margin_with_distance_loss,
     {"swap": True, "margin": 2.0}, triplet(), [True] * 3),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,ours,theirs,kwargs,arrays,differentiable", EMBEDDING, ids=[r[0] for r in EMBEDDING])
def test_embedding_losses(backend, name, ours, theirs, kwargs, arrays, differentiable, reduction):
    check_all(backend, lambda *a: ours(*a, reduction=reduction, **kwargs),
              lambda *a: theirs(*a, reduction=reduction, **kwargs), arrays, differentiable)


def test_triplet_with_a_custom_distance(backend):
    def cosine_distance(a, b, cos=F.cosine_similarity):
        return 1.0 - cos(a, b)

    def torch_cosine_distance(a, b):
        return 1.0 - TF.cosine_similarity(a, b)

    check_all(backend, lambda *a: F.triplet_margin_with_distance_loss(*a, distance_function=cosine_distance),
              lambda *a: TF.triplet_margin_with_distance_loss(*a, distance_function=torch_cosine_distance),
              triplet(), [True] * 3)


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
    F.pairwise_distance(x, make(backend, b), 0.0).sum().backward()  # a count: no slope (PyTorch: no gradient)
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros_like(a))


def test_cosine_similarity_of_zero_vectors_is_zero_with_finite_gradients(backend):
    a, b = rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4))
    a[0] = 0.0
    compare_with_torch(backend, F.cosine_similarity, TF.cosine_similarity, a, b, rtol=1e-6, atol=1e-9)


# -- huge logits stay finite ------------------------------------------------------------------------------------------
HUGE = np.array([[-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4]], dtype=np.float32)
ROBUST = [
    ("soft_margin", F.soft_margin_loss, np.array([[1.0, -1, 1, -1, 1, -1, 1]], np.float32)),
    ("multilabel_soft_margin", F.multilabel_soft_margin_loss, np.array([[1.0, 0, 1, 0, 1, 0, 0]], np.float32)),
    ("hinge_embedding", F.hinge_embedding_loss, np.array([[1.0, -1, 1, -1, 1, -1, 1]], np.float32)),
    ("kl_div", lambda x, t: F.kl_div(x, t, reduction="batchmean"), np.full((1, 7), 1 / 7, np.float32)),
    ("cosine_embedding", lambda x, y: F.cosine_embedding_loss(x, x * 0.5 + 1.0, y), np.array([1.0], np.float32)),
    ("triplet", lambda x, y: F.triplet_margin_loss(x, x * 0.5, x * 0.25), None),
]


@pytest.mark.parametrize("name,ours,target", ROBUST, ids=[r[0] for r in ROBUST])
def test_huge_float32_logits_give_finite_values_and_gradients(backend, name, ours, target):
    x = make(backend, HUGE, requires_grad=True)
    out = ours(x, make(backend, target if target is not None else HUGE))
    assert np.all(np.isfinite(out.numpy())), out.numpy()
    out.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy())), x.grad.numpy()


def test_soft_margin_is_the_margin_violation_for_huge_logits(backend):
    out = F.soft_margin_loss(make(backend, HUGE), make(backend, -np.ones_like(HUGE)), reduction="none").numpy()
    assert out[0, -1] == np.float32(1e4) and out[0, 0] == 0.0  # PyTorch's log1p(exp(1e4)) gives inf here


# -- layers: against PyTorch's, state_dict, signatures, deprecated arguments -------------------------------------------
LAYERS = [
    ("KLDivLoss", {"reduction": "batchmean"}, [log_probabilities((3, 4)), probabilities((3, 4))]),
    ("KLDivLoss", {"log_target": True, "reduction": "sum"}, [log_probabilities((3, 4)), log_probabilities((3, 4), 5)]),
    ("PoissonNLLLoss", {"full": True}, [rng().normal(size=(3, 4)), counts((3, 4))]),
    ("PoissonNLLLoss", {"log_input": False, "eps": 1e-4}, [rng().uniform(0.1, 3, (3, 4)), counts((3, 4))]),
    ("GaussianNLLLoss", {"full": True, "eps": 1e-3},
     [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 1))]),
    ("MarginRankingLoss", {"margin": 0.2}, [rng().normal(size=(6,)), rng(1).normal(size=(6,)), signs((6,))]),
    ("HingeEmbeddingLoss", {"margin": 2.0}, [rng().normal(size=(3, 4)), signs((3, 4))]),
    ("SoftMarginLoss", {"reduction": "sum"}, [rng().normal(size=(3, 4)), signs((3, 4))]),
    ("MultiLabelSoftMarginLoss", {}, [rng().normal(size=(3, 4)), rng(6).integers(0, 2, (3, 4)).astype(float)]),
    ("MultiMarginLoss", {"p": 2, "margin": 0.5}, [rng().normal(size=(5, 4)), rng(7).integers(0, 4, (5,))]),
    ("MultiLabelMarginLoss", {}, [rng().normal(size=(4, 5)), class_lists((4, 5))]),
    ("CosineEmbeddingLoss", {"margin": 0.1}, [rng().normal(size=(6, 3)), rng(1).normal(size=(6, 3)), signs((6,))]),
    ("TripletMarginLoss", {"margin": 2.0, "p": 1.0, "swap": True}, triplet()),
    ("TripletMarginWithDistanceLoss", {"margin": 2.0, "swap": True}, triplet()),
    ("CosineSimilarity", {"dim": 0}, [rng().normal(size=(4, 3)), rng(1).normal(size=(4, 3))]),
    ("PairwiseDistance", {"p": 3.0, "keepdim": True}, [rng().normal(size=(4, 3)), rng(1).normal(size=(4, 3))]),
]


@pytest.mark.parametrize("name,kwargs,arrays", LAYERS, ids=[f"{r[0]}-{i}" for i, r in enumerate(LAYERS)])
def test_layers_match_torch(backend, name, kwargs, arrays):
    ours, theirs = getattr(anynn.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    differentiable = [a.dtype.kind == "f" and i == 0 for i, a in enumerate(arrays)]
    compare_with_torch(backend, ours, theirs, *arrays, differentiable=differentiable, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", ["MultiMarginLoss", "MultiLabelSoftMarginLoss"])
def test_class_weight_is_a_buffer_in_the_state_dict(backend, name):
    w = rng(8).uniform(0.5, 2.0, 4)
    ours = getattr(anynn.nn, name)(weight=make(backend, w))
    theirs = getattr(torch.nn, name)(weight=torch.tensor(w))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight"]
    np.testing.assert_array_equal(np.asarray(anynn.tensor(ours.state_dict()["weight"]).numpy()), w)
    assert list(getattr(anynn.nn, name)().state_dict()) == list(getattr(torch.nn, name)().state_dict())


NAMES = ["KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "CosineSimilarity", "PairwiseDistance",
         "TripletMarginLoss", "TripletMarginWithDistanceLoss", "MarginRankingLoss", "SoftMarginLoss",
         "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss", "MultiMarginLoss",
         "MultiLabelMarginLoss"]


@pytest.mark.parametrize("name", NAMES)
def test_constructor_and_forward_signatures_match_torch(name):
    for method in ("__init__", "forward"):
        ours = inspect.signature(getattr(getattr(anynn.nn, name), method)).parameters
        theirs = inspect.signature(getattr(getattr(torch.nn, name), method)).parameters
        assert list(ours) == list(theirs), f"{name}.{method}"
        for key, p in theirs.items():
            assert ours[key].default == p.default, f"{name}.{method}({key}=...)"
            assert ours[key].kind == p.kind, f"{name}.{method}({key})"


FUNCTIONS = ["kl_div", "poisson_nll_loss", "gaussian_nll_loss", "triplet_margin_loss",
             "triplet_margin_with_distance_loss", "margin_ranking_loss", "soft_margin_loss",
             "multilabel_soft_margin_loss", "cosine_embedding_loss", "hinge_embedding_loss", "multi_margin_loss",
             "multilabel_margin_loss"]


@pytest.mark.parametrize("name", FUNCTIONS)
def test_functional_signatures_match_torch(name):
    ours = inspect.signature(getattr(F, name)).parameters
    theirs = inspect.signature(getattr(TF, name)).parameters
    assert list(ours) == list(theirs)
    for key, p in theirs.items():
        assert ours[key].default == p.default, f"{name}({key}=...)"


@pytest.mark.parametrize("size_average,reduce,expected", [(None, False, "none"), (False, None, "sum"),
                                                          (True, True, "mean"), (False, False, "none")])
def test_deprecated_size_average_and_reduce_map_as_in_torch(size_average, reduce, expected):
    with pytest.warns(UserWarning, match=f"reduction='{expected}'"):
        ours = anynn.nn.SoftMarginLoss(size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning):
        theirs = torch.nn.SoftMarginLoss(size_average=size_average, reduce=reduce)
    assert ours.reduction == theirs.reduction == expected
    x, y = rng().normal(size=(3, 4)), signs((3, 4))
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(
            F.hinge_embedding_loss(anynn.tensor(x, dtype="float64"), anynn.tensor(y, dtype="float64"),
                                   size_average=size_average, reduce=reduce).numpy(),
            TF.hinge_embedding_loss(torch.tensor(x), torch.tensor(y), size_average=size_average,
                                    reduce=reduce).numpy())


def test_layers_refuse_bad_options():
    with pytest.raises(ValueError, match="reduction"):
        anynn.nn.KLDivLoss(reduction="average")
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        anynn.nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss"):
        anynn.nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        anynn.nn.MultiMarginLoss(p=3)
