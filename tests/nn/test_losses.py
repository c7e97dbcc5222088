# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Every loss from ONE table (`LOSSES`: one row per loss and setting, run with every reduction): a float64 gradient
check on every backend, PyTorch as the oracle in float32 and float64 (values and the gradients of every
differentiable input, target too where PyTorch has it), float32 kept float32. Then the settings a row cannot hold
(class weights cast per dtype, a custom distance), saturation and finite results for +-1e4 logits, seeded settings
(every option of cross-entropy/NLL, weights and pos_weight of the binary losses) against PyTorch on every backend,
and the layers: against torch.nn's, their state_dict, constructor/forward signatures and deprecated arguments.
Misuse and impossible inputs are in test_loss_inputs.py, distances in test_distance.py."""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional as F
from anynn.backend import dtype_name
from anynn.functional import activation as A
from anynn.nn import loss as NL

from tests.helpers import check_gradients, compare_with_torch, make, torch_oracle
from tests.nn.loss_oracle import (
    DTYPES, check_all, class_lists, class_probabilities, counts, distribution, labels, log_distribution,
    log_probabilities, logits, probabilities, regression_pair, rng, signs, triplet, tolerances,
)

REDUCTIONS = ("mean", "sum", "none")
pytestmark = pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")


# -- ONE table: every loss and setting ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Loss:
    """``ours(*arrays, reduction=r, **kwargs)`` against ``theirs`` (same call) for every reduction in
    ``reductions``; ``differentiable``: the arrays that get (and are compared) gradients; ``jax``: in the jax
    subset."""

    id: str
    ours: Callable[..., Any]
    theirs: Callable[..., Any]
    kwargs: dict[str, Any]
    arrays: list[np.ndarray]
    differentiable: list[bool]
    reductions: tuple[str, ...] = tuple(REDUCTIONS)
    jax: bool = False


def keyword_extras(fn: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    """``fn(x, y, *extras)`` with the extras passed by keyword (``pos_weight`` has no position)."""
    return lambda x, y, *extra, **kwargs: fn(x, y, **dict(zip(names, extra)), **kwargs)


def class_target(fn: Callable[..., Any], target_shape: tuple[int, ...]) -> Callable[..., Any]:
    """``fn`` with the target in ``target_shape``: anynn.tensor of a 0-d array is (1,) on torch and
    array_api_strict (np.ascontiguousarray in from_host)."""
    def call(x, target, *extra, **kwargs):
        return fn(x, target.reshape(target_shape) if target.shape != target_shape else target, *extra, **kwargs)
    return call


def regression(id: str, fn: str, kinks: tuple[float, ...], **kwargs: Any) -> Loss:
    return Loss(id, getattr(F, fn), getattr(TF, fn), kwargs, regression_pair(kinks), [True, True])


def bce(weight_shape: tuple[int, ...] | None) -> Loss:
    arrays = [probabilities(), probabilities(seed=1)]
    if weight_shape is not None:
        arrays.append(probabilities(weight_shape, seed=2) * 2.0)
    return Loss(f"bce-weight{weight_shape}", F.binary_cross_entropy, TF.binary_cross_entropy, {}, arrays,
                [True, True, False][: len(arrays)], jax=True)


def bce_logits(weight_shape: tuple[int, ...] | None, pos_weight_shape: tuple[int, ...] | None) -> Loss:
    r = np.random.default_rng(0)
    arrays, names = [r.standard_normal((2, 3)) * 3.0, probabilities(seed=1)], []
    for name, shape in (("weight", weight_shape), ("pos_weight", pos_weight_shape)):
        if shape is not None:
            arrays.append(r.uniform(0.5, 3.0, shape))
            names.append(name)
    return Loss(f"bce_logits-weight{weight_shape}-pos_weight{pos_weight_shape}",
                keyword_extras(F.binary_cross_entropy_with_logits, names),
                keyword_extras(TF.binary_cross_entropy_with_logits, names), {}, arrays,
                [True, True] + [False] * len(names))


def class_loss(id: str, fn: str, shape: tuple[int, ...], target: np.ndarray, weight: bool = False,
               jax: bool = False, **kwargs: Any) -> Loss:
    """cross_entropy / nll_loss: logits (log-probabilities for nll) of ``shape``, a (C,) class weight if asked."""
    arrays = [(log_probabilities if fn == "nll_loss" else logits)(shape), target]
    if weight:
        arrays.append(np.random.default_rng(5).uniform(0.5, 2.0, shape[1] if len(shape) > 1 else shape[0]))
    return Loss(id, class_target(getattr(F, fn), target.shape), getattr(TF, fn), kwargs, arrays,
                [True, False] + [False] * weight, jax=jax)


# (id, input shape, target, class weight?, keyword arguments): cross_entropy's cases; nll_loss takes the ones
# with class-index targets and no label smoothing
CLASS_CASES = [
    ("labels", (3, 4), labels(3), False, {}),
    ("labels_weight", (3, 4), labels(3), True, {}),
    ("labels_ignore", (3, 4), labels(3, ignore=-100), False, {}),
    ("labels_ignore_class", (4, 4), labels(4), False, {"ignore_index": 1}),
    ("labels_smoothing", (3, 4), labels(3), False, {"label_smoothing": 0.1}),
    ("labels_all", (4, 4), labels(4, ignore=-100), True, {"label_smoothing": 0.2}),
    ("labels_2d", (2, 4, 2, 2), labels((2, 2, 2)), False, {}),
    ("labels_2d_all", (2, 4, 2, 1), labels((2, 2, 1), ignore=-100), True, {"label_smoothing": 0.1}),
    ("labels_1d_input", (4,), np.array(2, dtype=np.int64), False, {}),
    ("labels_1d_input_weight", (4,), np.array(1, dtype=np.int64), True, {"label_smoothing": 0.1}),
    ("probs", (3, 4), class_probabilities((3, 4)), False, {}),
    ("probs_weight_smoothing", (3, 4), class_probabilities((3, 4)), True, {"label_smoothing": 0.3}),
    ("probs_2d", (2, 4, 2, 1), class_probabilities((2, 4, 2, 1)), True, {}),
    ("probs_1d_input", (4,), class_probabilities((4,)), False, {}),
]

LOSSES = [
    # regression: both input and target get gradients
    regression("mse", "mse_loss", (0.0,)),
    regression("l1", "l1_loss", (0.0,)),
    regression("huber", "huber_loss", (0.0, 1.0)),
    regression("huber_delta", "huber_loss", (0.0, 0.5), delta=0.5),
    regression("smooth_l1", "smooth_l1_loss", (0.0, 1.0)),
    regression("smooth_l1_beta", "smooth_l1_loss", (0.0, 0.5), beta=0.5),
    regression("smooth_l1_beta0", "smooth_l1_loss", (0.0,), beta=0.0),
    # binary cross-entropy on probabilities and on logits
    *[bce(shape) for shape in (None, (2, 3), (3,))],
    *[bce_logits(w, pw) for w, pw in [(None, None), ((2, 3), None), (None, (3,)), ((3,), (3,)), ((2, 3), (2, 3))]],
    # cross-entropy and NLL
    *[class_loss(f"cross_entropy-{name}", "cross_entropy", shape, target, weight, **kw)
      for name, shape, target, weight, kw in CLASS_CASES],
    *[class_loss(f"nll-{name}", "nll_loss", shape, target, weight, jax=True, **kw)
      for name, shape, target, weight, kw in CLASS_CASES if name.startswith("labels") and "label_smoothing" not in kw],
    # distributions
    Loss("kl_div", F.kl_div, TF.kl_div, {}, [log_distribution((3, 4)), distribution((3, 4))], [True, True],
         REDUCTIONS + ("batchmean",)),
    Loss("kl_div_log_target", F.kl_div, TF.kl_div, {"log_target": True},
         [log_distribution((3, 4)), log_distribution((3, 4), 5)], [True, True], REDUCTIONS + ("batchmean",)),
    Loss("kl_div_broadcast_target", F.kl_div, TF.kl_div, {}, [log_distribution((3, 4)), distribution((4,))],
         [True, True], REDUCTIONS + ("batchmean",)),
    Loss("kl_div_3d", F.kl_div, TF.kl_div, {}, [log_distribution((2, 3, 4)), distribution((2, 3, 4))], [True, False],
         REDUCTIONS + ("batchmean",)),
    Loss("poisson", F.poisson_nll_loss, TF.poisson_nll_loss, {}, [rng().normal(size=(3, 4)), counts((3, 4))],
         [True, True]),
    Loss("poisson_full", F.poisson_nll_loss, TF.poisson_nll_loss, {"full": True},
         [rng().normal(size=(3, 4)), counts((3, 4))], [True, True]),
    Loss("poisson_rates", F.poisson_nll_loss, TF.poisson_nll_loss, {"log_input": False, "eps": 1e-3},
         [rng().uniform(0.1, 3.0, (3, 4)), counts((3, 4))], [True, True]),
    Loss("poisson_rates_full", F.poisson_nll_loss, TF.poisson_nll_loss, {"log_input": False, "full": True},
         [rng().uniform(0.1, 3.0, (5,)), counts((5,))], [True, True]),
    Loss("gaussian", F.gaussian_nll_loss, TF.gaussian_nll_loss, {},
         [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 4))], [True] * 3),
    Loss("gaussian_full", F.gaussian_nll_loss, TF.gaussian_nll_loss, {"full": True},
         [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 4))], [True] * 3),
    Loss("gaussian_var_per_row", F.gaussian_nll_loss, TF.gaussian_nll_loss, {},
         [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3,))], [True] * 3),
    Loss("gaussian_var_column", F.gaussian_nll_loss, TF.gaussian_nll_loss, {"eps": 1e-3},
         [rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 1))], [True] * 3),
    Loss("gaussian_var_channel", F.gaussian_nll_loss, TF.gaussian_nll_loss, {},
         [rng().normal(size=(2, 3, 4)), rng(1).normal(size=(2, 3, 4)), rng(2).uniform(0.1, 2.0, (2, 1, 4))],
         [True] * 3),
    Loss("gaussian_broadcast_target", F.gaussian_nll_loss, TF.gaussian_nll_loss, {},
         [rng().normal(size=(3, 4)), rng(1).normal(size=(4,)), rng(2).uniform(0.1, 2.0, (3, 4))], [True] * 3),
    # margins
    Loss("margin_ranking", F.margin_ranking_loss, TF.margin_ranking_loss, {},
         [rng().normal(size=(6,)), rng(1).normal(size=(6,)), signs((6,))], [True, True, True]),
    Loss("margin_ranking_margin", F.margin_ranking_loss, TF.margin_ranking_loss, {"margin": 0.5},
         [rng().normal(size=(2, 6)), rng(1).normal(size=(2, 6)), signs((2, 6))], [True, True, True]),
    Loss("margin_ranking_broadcast", F.margin_ranking_loss, TF.margin_ranking_loss, {"margin": 0.3},
         [rng().normal(size=(2, 6)), rng(1).normal(size=(1, 6)), signs((2, 1))], [True, True, True]),
    Loss("hinge_embedding", F.hinge_embedding_loss, TF.hinge_embedding_loss, {},
         [rng().normal(size=(3, 4)) * 2, signs((3, 4))], [True, False]),
    Loss("hinge_embedding_other_targets", F.hinge_embedding_loss, TF.hinge_embedding_loss, {"margin": 0.5},
         [rng().normal(size=(3, 4)) * 2, rng(5).choice([-1.0, 0.0, 1.0, 2.0], (3, 4))], [True, False]),
    Loss("soft_margin", F.soft_margin_loss, TF.soft_margin_loss, {},
         [rng().normal(size=(3, 4)) * 3, signs((3, 4))], [True, False]),  # PyTorch refuses a target gradient
    Loss("multilabel_soft_margin", F.multilabel_soft_margin_loss, TF.multilabel_soft_margin_loss, {},
         [rng().normal(size=(3, 4)) * 3, rng(6).integers(0, 2, (3, 4)).astype(np.float64)], [True, True]),
    Loss("multilabel_soft_margin_1d", F.multilabel_soft_margin_loss, TF.multilabel_soft_margin_loss, {},
         [rng().normal(size=(5,)) * 3, rng(6).integers(0, 2, (5,)).astype(np.float64)], [True, True]),
    Loss("multi_margin", F.multi_margin_loss, TF.multi_margin_loss, {},
         [rng().normal(size=(5, 4)), rng(7).integers(0, 4, (5,))], [True, False]),
    Loss("multi_margin_p2", F.multi_margin_loss, TF.multi_margin_loss, {"p": 2, "margin": 0.7},
         [rng().normal(size=(5, 4)), rng(7).integers(0, 4, (5,))], [True, False]),
    Loss("multi_margin_1d", F.multi_margin_loss, TF.multi_margin_loss, {},
         [rng().normal(size=(4,)), np.array(2)], [True, False]),
    Loss("multilabel_margin", F.multilabel_margin_loss, TF.multilabel_margin_loss, {},
         [rng().normal(size=(4, 5)), class_lists((4, 5))], [True, False]),
    Loss("multilabel_margin_1d", F.multilabel_margin_loss, TF.multilabel_margin_loss, {},
         [rng().normal(size=(5,)), np.array([3, 0, -1, 1, 4])], [True, False]),
    # embeddings
    Loss("cosine_embedding", F.cosine_embedding_loss, TF.cosine_embedding_loss, {},
         [rng().normal(size=(6, 3)), rng(1).normal(size=(6, 3)), signs((6,))], [True, True, False]),
    Loss("cosine_embedding_margin", F.cosine_embedding_loss, TF.cosine_embedding_loss, {"margin": -0.2},
         [rng().normal(size=(6, 3)), rng(1).normal(size=(6, 3)), rng(2).choice([-1.0, 0.0, 1.0], (6,))],
         [True, True, False]),
    Loss("cosine_embedding_1d", F.cosine_embedding_loss, TF.cosine_embedding_loss, {"margin": -0.5},
         [rng().normal(size=(3,)), rng(1).normal(size=(3,)), np.array(-1.0)], [True, True, False]),
    Loss("triplet", F.triplet_margin_loss, TF.triplet_margin_loss, {}, triplet(), [True] * 3),
    Loss("triplet_swap", F.triplet_margin_loss, TF.triplet_margin_loss, {"swap": True, "margin": 2.0}, triplet(),
         [True] * 3),
    Loss("triplet_p1", F.triplet_margin_loss, TF.triplet_margin_loss, {"p": 1, "margin": 2.0}, triplet(), [True] * 3),
    Loss("triplet_p3_swap", F.triplet_margin_loss, TF.triplet_margin_loss, {"p": 3, "swap": True, "eps": 1e-3},
         triplet(), [True] * 3),
    Loss("triplet_pinf", F.triplet_margin_loss, TF.triplet_margin_loss, {"p": math.inf}, triplet(), [True] * 3),
    Loss("triplet_1d", F.triplet_margin_loss, TF.triplet_margin_loss, {"margin": 3.0}, triplet((4,)), [True] * 3),
    Loss("triplet_distance", F.triplet_margin_with_distance_loss, TF.triplet_margin_with_distance_loss, {},
         triplet(), [True] * 3),
    Loss("triplet_distance_swap", F.triplet_margin_with_distance_loss, TF.triplet_margin_with_distance_loss,
         {"swap": True, "margin": 2.0}, triplet(), [True] * 3),
    # linear_cross_entropy (PyTorch 2.13): the features, the linear weight (4 classes) and bias all get gradients
    Loss("linear_cross_entropy", F.linear_cross_entropy, TF.linear_cross_entropy, {},
         [logits((5, 3)), logits((4, 3), 1), labels(5, ignore=-100)], [True, True, False]),
    Loss("linear_cross_entropy_bias_weight", lambda x, w, t, b, c, **kw: F.linear_cross_entropy(
        x, w, t, linear_bias=b, weight=c, **kw), lambda x, w, t, b, c, **kw: TF.linear_cross_entropy(
        x, w, t, linear_bias=b, weight=c, **kw), {"label_smoothing": 0.1, "ignore_index": 2},
         [logits((5, 3)), logits((4, 3), 1), labels(5), logits((4,), 2), rng(3).uniform(0.5, 2.0, 4)],
         [True, True, False, True, False]),
    Loss("linear_cross_entropy_k_dims_probabilities", lambda x, w, t, b, **kw: F.linear_cross_entropy(
        x, w, t, linear_bias=b, **kw), lambda x, w, t, b, **kw: TF.linear_cross_entropy(
        x, w, t, linear_bias=b, **kw), {}, [logits((3, 2)), logits((4, 2, 2), 1), class_probabilities((3, 4, 2)),
                                            logits((4, 2), 2)], [True, True, False, True]),
]
CASES = [pytest.param(loss, reduction, id=f"{loss.id}-{reduction}", marks=[pytest.mark.jax] if loss.jax else [])
         for loss in LOSSES for reduction in loss.reductions]


@pytest.mark.parametrize("loss,reduction", CASES)
def test_loss(backend, loss, reduction):
    check_all(backend, lambda *a: loss.ours(*a, reduction=reduction, **loss.kwargs),
              lambda *a: loss.theirs(*a, reduction=reduction, **loss.kwargs), loss.arrays, loss.differentiable)


# -- what a row cannot hold ---------------------------------------------------------------------------------------
def test_bce_with_logits_is_exact_where_bce_on_probabilities_saturates(backend):
    # sigmoid(49.8) rounds to 1: BCE on the probability can only give PyTorch's clamp, 100
    x = make(backend, np.array([49.8]), requires_grad=True)
    y = make(backend, np.array([0.0]))
    loss = F.binary_cross_entropy_with_logits(x, y)
    np.testing.assert_allclose(loss.item(), 49.8, rtol=1e-12)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0])
    p = A.sigmoid(make(backend, np.array([49.8], dtype=np.float32)))
    saturated = F.binary_cross_entropy(p, make(backend, np.array([0.0], dtype=np.float32)))
    expected = TF.binary_cross_entropy(torch.sigmoid(torch.tensor([49.8])), torch.tensor([0.0]))
    assert saturated.item() == pytest.approx(100.0) == pytest.approx(expected.item())


@pytest.mark.parametrize("dtype", DTYPES)
def test_bce_of_saturated_probabilities_matches_torch_clamp(backend, dtype):
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], dtype=dtype)
    y = np.array([0.0, 0.0, 1.0, 1.0, 0.3], dtype=dtype)
    compare_with_torch(backend, F.binary_cross_entropy, TF.binary_cross_entropy, p, y, differentiable=[True, False],
                       **tolerances(dtype))
    loss = F.binary_cross_entropy(make(backend, p), make(backend, y), reduction="none").numpy()
    np.testing.assert_allclose(loss[:4], [0.0, 100.0, 100.0, 0.0])


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_mean_over_only_ignored_targets_gives_nan_and_zero_gradient(backend, loss, smoothing):
    # PyTorch: the mean over no target is 0 / 0 (NaN), and the ignored rows' gradient stays exactly 0
    x, y = logits((3, 4)), np.array([-100, -100, -100])
    kwargs = {"label_smoothing": smoothing} if loss == "cross_entropy" else {}
    ours, theirs = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, ref = getattr(F, loss)(ours, make(backend, y), **kwargs), getattr(TF, loss)(theirs, torch.tensor(y), **kwargs)
    assert np.isnan(out.item()) and np.isnan(ref.item())
    out.backward()
    ref.backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), np.zeros((3, 4)))


def test_nll_of_log_softmax_is_cross_entropy(backend):
    x = make(backend, logits((3, 4)))
    y = make(backend, labels(3))
    np.testing.assert_allclose(F.nll_loss(A.log_softmax(x, axis=1), y).item(), F.cross_entropy(x, y).item(),
                               rtol=1e-12)


def test_kl_div_mean_warns_as_torch(backend):
    x, t = make(backend, log_distribution((2, 3))), make(backend, distribution((2, 3)))
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)


INTEGER_INPUT_LOSSES = [  # (layer, arrays): PyTorch promotes their integer inputs to float32 (bool only for cosine)
    ("MarginRankingLoss", [[1, 2, 3], [2, 2, 1], [1, -1, 1]], ("int64", "int32")),
    ("PoissonNLLLoss", [[[1, 2, 3], [4, 5, 6]], [[2, 2, 1], [0, 5, 9]]], ("int64", "int32")),
    ("TripletMarginLoss", [[[1, 2, 3], [4, 5, 6]], [[2, 2, 1], [0, 5, 9]], [[0, 1, 1], [3, 3, 3]]], ("int64", "int32")),
    ("TripletMarginWithDistanceLoss", [[[1, 2, 3], [4, 5, 6]], [[2, 2, 1], [0, 5, 9]], [[0, 1, 1], [3, 3, 3]]],
     ("int64", "int32")),
    ("CosineEmbeddingLoss", [[[1, 2, 3], [4, 5, 6]], [[2, 2, 1], [0, 5, 9]], [1, -1]], ("int64", "int32", "bool")),
]


@pytest.mark.parametrize("name,arrays,dtypes", INTEGER_INPUT_LOSSES, ids=[r[0] for r in INTEGER_INPUT_LOSSES])
def test_loss_layers_take_integer_inputs_as_torch(backend, name, arrays, dtypes):
    # the functions promoted them already; the layers' input check refused them
    for dtype in ("int64", "int32", "bool"):
        inputs = [np.array(a) for a in arrays]
        cast = len(inputs) if name.startswith("Triplet") else 2  # (a target stays as it is)
        inputs = [(a > 0 if dtype == "bool" else a.astype(dtype)) if i < cast else a for i, a in enumerate(inputs)]
        mine = [make(backend, a) for a in inputs]
        if dtype not in dtypes:  # PyTorch: "Subtraction, the `-` operator, with a bool tensor is not supported"
            with pytest.raises(TypeError, match=f"{name}: expected a floating-point input"):
                getattr(anynn.nn, name)()(*mine)
            continue
        out = getattr(anynn.nn, name)()(*mine)
        ref = getattr(torch.nn, name)()(*[torch.tensor(a) for a in inputs])
        assert str(out.dtype).endswith("float32") and ref.dtype == torch.float32
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


def test_kl_div_batchmean_of_an_empty_batch_is_nan_as_torch(backend):
    x = np.zeros((0, 4), np.float32)
    out = F.kl_div(make(backend, x), make(backend, x), reduction="batchmean")
    assert np.isnan(out.numpy()) and torch.isnan(TF.kl_div(torch.tensor(x), torch.tensor(x), reduction="batchmean"))


@pytest.mark.parametrize("input_shape,target_shape", [((4,), (2, 4)), ((2, 1), (2, 4)), ((2, 4), (4,)),
                                                      ((2, 4), (2, 1)), ((1, 2, 4), (2, 4))], ids=str)
def test_soft_margin_target_must_broadcast_to_the_input_as_torch(backend, input_shape, target_shape):
    x, y = np.ones(input_shape, np.float32), np.ones(target_shape, np.float32)
    try:
        ref = TF.soft_margin_loss(torch.tensor(x), torch.tensor(y), reduction="none")
    except RuntimeError:
        with pytest.raises(ValueError, match=r"soft_margin_loss: target of shape .* does not broadcast"):
            F.soft_margin_loss(make(backend, x), make(backend, y))
        return
    out = F.soft_margin_loss(make(backend, x), make(backend, y), reduction="none")
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


def test_kl_div_zero_target_counts_nothing(backend):
    x, t = log_distribution((2, 3)), distribution((2, 3))
    t[0, 1] = 0.0
    compare_with_torch(backend, lambda a, b: F.kl_div(a, b, reduction="none"),
                       lambda a, b: TF.kl_div(a, b, reduction="none"), x, t, differentiable=[True, False])


def test_gaussian_nll_clamps_tiny_variances_like_torch(backend):
    x, y, var = rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4)), rng(2).uniform(0.1, 2.0, (3, 4))
    var[0, :2] = (1e-9, 0.0)
    compare_with_torch(backend, F.gaussian_nll_loss, TF.gaussian_nll_loss, x, y, var, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("log_input", [True, False])
def test_poisson_nll_full_at_zero_counts_as_torch(backend, log_input):
    """Zero counts, Poisson's commonest target: the values as PyTorch's, and the target's gradient NaN there with
    ``full`` (PyTorch masks Stirling's term after taking log(0): the mask's zero times an infinite slope)."""
    x, t = rng().uniform(0.1, 3.0, (3, 4)), np.floor(counts((3, 4)))
    t[0, :3] = (0.0, 1.0, 0.5)
    compare_with_torch(backend, lambda a, b: F.poisson_nll_loss(a, b, log_input=log_input, full=True, reduction="none"),
                       lambda a, b: TF.poisson_nll_loss(a, b, log_input=log_input, full=True, reduction="none"), x, t,
                       rtol=1e-10, atol=1e-12)


def test_gaussian_nll_takes_a_float_variance(backend):
    x, y = rng().normal(size=(3, 4)), rng(1).normal(size=(3, 4))
    compare_with_torch(backend, lambda a, b: F.gaussian_nll_loss(a, b, 0.5),
                       lambda a, b: TF.gaussian_nll_loss(a, b, 0.5), x, y)


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


@pytest.mark.parametrize("weight_shape", [(4,), (3, 4), (1, 4)])
def test_multilabel_soft_margin_weight_gets_its_gradient(backend, weight_shape):
    """PyTorch's multilabel_soft_margin_loss is a composite, so a weight that requires grad gets its gradient
    (binary_cross_entropy's and multi_margin_loss's weights refuse one there)."""
    x, y = rng().normal(size=(3, 4)), rng(6).integers(0, 2, (3, 4)).astype(np.float64)
    w = rng(8).uniform(0.5, 2, weight_shape)
    check_all(backend, lambda a, b, c: F.multilabel_soft_margin_loss(a, b, weight=c),
              lambda a, b, c: TF.multilabel_soft_margin_loss(a, b, weight=c), [x, y, w], [True, True, True])


def test_triplet_with_a_custom_distance(backend):
    def cosine_distance(a, b, cos=F.cosine_similarity):
        return 1.0 - cos(a, b)

    def torch_cosine_distance(a, b):
        return 1.0 - TF.cosine_similarity(a, b)

    check_all(backend, lambda *a: F.triplet_margin_with_distance_loss(*a, distance_function=cosine_distance),
              lambda *a: TF.triplet_margin_with_distance_loss(*a, distance_function=torch_cosine_distance),
              triplet(), [True] * 3)


# -- huge logits in float32: finite losses and gradients, PyTorch's values where it stays finite ------------------
HUGE = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [3e3, 3e3, -1e4]], dtype=np.float32)
HUGE_ROW = np.array([[-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4]], dtype=np.float32)
# (id, ours, PyTorch's or None (not compared), logits, target or None (the logits again))
HUGE_LOSSES = [
    ("cross_entropy", lambda x, y: F.cross_entropy(x, y), lambda x, y: TF.cross_entropy(x, y), HUGE,
     np.array([1, 2, 0])),
    ("cross_entropy_probs", lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1),
     lambda x, y: TF.cross_entropy(x, y, label_smoothing=0.1), HUGE, np.full((3, 3), 1.0 / 3.0, dtype=np.float32)),
    ("bce_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=y + 1.0),
     lambda x, y: TF.binary_cross_entropy_with_logits(x, y, pos_weight=y + 1.0), HUGE,
     np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=np.float32)),
    ("soft_margin", F.soft_margin_loss, None, HUGE_ROW, np.array([[1.0, -1, 1, -1, 1, -1, 1]], np.float32)),
    ("multilabel_soft_margin", F.multilabel_soft_margin_loss, None, HUGE_ROW,
     np.array([[1.0, 0, 1, 0, 1, 0, 0]], np.float32)),
    ("hinge_embedding", F.hinge_embedding_loss, None, HUGE_ROW, np.array([[1.0, -1, 1, -1, 1, -1, 1]], np.float32)),
    ("kl_div", lambda x, t: F.kl_div(x, t, reduction="batchmean"), None, HUGE_ROW, np.full((1, 7), 1 / 7, np.float32)),
    ("cosine_embedding", lambda x, y: F.cosine_embedding_loss(x, x * 0.5 + 1.0, y), None, HUGE_ROW,
     np.array([1.0], np.float32)),
    ("triplet", lambda x, y: F.triplet_margin_loss(x, x * 0.5, x * 0.25), None, HUGE_ROW, None),
]


@pytest.mark.parametrize("name,ours,theirs,logits,target", HUGE_LOSSES, ids=[h[0] for h in HUGE_LOSSES])
def test_huge_float32_logits_give_finite_losses_and_gradients(backend, name, ours, theirs, logits, target):
    target = logits if target is None else target
    x = make(backend, logits, requires_grad=True)
    loss = ours(x, make(backend, target))
    assert np.all(np.isfinite(loss.numpy())), loss.numpy()
    loss.sum().backward()
    assert x.grad.numpy().dtype == np.float32
    assert np.all(np.isfinite(x.grad.numpy())), x.grad.numpy()
    if theirs is not None:
        compare_with_torch(backend, ours, theirs, logits, target, differentiable=[True, False], rtol=1e-4, atol=1e-4)


NAN = np.nan
NAN_HINGES = [  # (name, arrays): a NaN where the hinge max(0, .) is taken, next to active and inactive rows
    ("margin_ranking_loss", [[NAN, 1.0, 2.0], [0.0, 0.0, 5.0], [1.0, -1.0, -1.0]]),
    ("hinge_embedding_loss", [[NAN, 0.5, 3.0], [-1.0, -1.0, 1.0]]),
    ("cosine_embedding_loss", [[[NAN, 1.0], [1.0, 2.0]], [[1.0, 1.0], [2.0, 1.0]], [-1.0, -1.0]]),
    ("triplet_margin_loss", [[[NAN, 1.0], [1.0, 2.0]], [[1.0, 1.0], [2.0, 1.0]], [[0.0, 1.0], [2.0, 3.0]]]),
]


@pytest.mark.parametrize("name,arrays", NAN_HINGES, ids=[n for n, _ in NAN_HINGES])
def test_a_nan_through_a_hinge_stays_nan_with_pytorchs_gradient(backend, name, arrays):
    # max(0, NaN) is NaN in PyTorch (clamp_min), and its gradient 0: a mask "z > 0" turned the loss into 0
    arrays = [np.array(a, np.float32) for a in arrays]
    ours = lambda *t: getattr(F, name)(*t, reduction="none")  # noqa: E731
    theirs = lambda *t: getattr(TF, name)(*t, reduction="none")  # noqa: E731
    grads = [True] * (len(arrays) - 1) + [name == "triplet_margin_loss"]
    mine = [make(backend, a, requires_grad=g) for a, g in zip(arrays, grads)]
    ref_in = [torch.tensor(a, requires_grad=g) for a, g in zip(arrays, grads)]
    out, ref = ours(*mine), theirs(*ref_in)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)
    assert np.isnan(out.numpy()).any()
    out.sum().backward()
    ref.sum().backward()
    for a, r in zip(mine, ref_in):
        if r.requires_grad:
            np.testing.assert_allclose(a.grad.numpy(), r.grad.numpy(), rtol=1e-5, atol=1e-6, equal_nan=True)


def test_multi_margin_losses_of_non_finite_scores_as_pytorchs_kernels(backend):
    """PyTorch's multi_margin / multilabel_margin kernels count a term where z > 0 (a NaN term is skipped) and read
    the target's score alone: anynn multiplied by 0/1 masks, so an inf or NaN anywhere in a row made its loss and
    gradient NaN."""
    x = np.array([[0.5, NAN, 1.0, -1.0], [np.inf, 0.2, 0.1, 0.3], [-np.inf, 1, 2, 3], [1, 2, -np.inf, 3]])
    labels, lists = np.array([0, 0, 0, 1]), np.array([[0, 2, -1, 0]] * 4)
    calls = [(lambda F, t, y, p=p: F.multi_margin_loss(t, y[0], p=p, reduction="none")) for p in (1, 2)]
    calls.append(lambda F, t, y: F.multilabel_margin_loss(t, y[1], reduction="none"))
    for call in calls:
        mine, ref = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
        out = call(F, mine, (make(backend, labels), make(backend, lists)))
        expected = call(TF, ref, (torch.tensor(labels), torch.tensor(lists)))
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-12, equal_nan=True)
        np.testing.assert_allclose(mine.grad.numpy(), ref.grad.numpy(), rtol=1e-12, equal_nan=True)


def test_soft_margin_is_the_margin_violation_for_huge_logits(backend):
    out = F.soft_margin_loss(make(backend, HUGE_ROW), make(backend, -np.ones_like(HUGE_ROW)), reduction="none").numpy()
    assert out[0, -1] == np.float32(1e4) and out[0, 0] == 0.0  # PyTorch's log1p(exp(1e4)) gives inf here


# -- seeded settings against PyTorch on every backend (values, shapes, dtypes, gradients) --------------
def _reg_oracle(backend, dtype, ours, theirs, shape, rng, what, positive=False):
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.standard_normal(shape).astype(dtype)
    if positive:
        x = rng.uniform(0.02, 0.98, shape).astype(dtype)
        y = rng.uniform(0, 1, shape).astype(dtype)
    x.flat[0] = y.flat[0]  # a zero difference (sign/abs kink)
    torch_oracle(backend, ours, theirs, [x, y], dtype, what=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_seeded(backend, dtype, reduction):
    rng = np.random.default_rng(10)
    for shape in [(), (5,), (2, 3, 2)]:
        cases = [
            ("mse", lambda a, b: F.mse_loss(a, b, reduction=reduction),
             lambda a, b: TF.mse_loss(a, b, reduction=reduction)),
            ("l1", lambda a, b: F.l1_loss(a, b, reduction=reduction),
             lambda a, b: TF.l1_loss(a, b, reduction=reduction)),
        ]
        for delta in (1.0, 0.3, 2.0):
            cases.append((f"huber{delta}", lambda a, b, d=delta: F.huber_loss(a, b, reduction, d),
                          lambda a, b, d=delta: TF.huber_loss(a, b, reduction=reduction, delta=d)))
        for beta in (1.0, 0.0, 0.4, 2.0):
            cases.append((f"smoothl1{beta}", lambda a, b, d=beta: F.smooth_l1_loss(a, b, reduction=reduction, beta=d),
                          lambda a, b, d=beta: TF.smooth_l1_loss(a, b, reduction=reduction, beta=d)))
        cases += [
            ("MSELoss", NL.MSELoss(reduction=reduction), torch.nn.MSELoss(reduction=reduction)),
            ("HuberLoss", NL.HuberLoss(reduction, 0.5), torch.nn.HuberLoss(reduction=reduction, delta=0.5)),
            ("SmoothL1Loss", NL.SmoothL1Loss(reduction=reduction, beta=0.0),
             torch.nn.SmoothL1Loss(reduction=reduction, beta=0.0)),
        ]
        for name, ours, theirs in cases:
            _reg_oracle(backend, dtype, ours, theirs, shape, rng, f"{name} {shape} {reduction}")


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses_seeded(backend, dtype, reduction):
    rng = np.random.default_rng(11)
    for shape, wshape, pwshape in [((4, 3), None, (3,)), ((4, 3), (3,), (3,)), ((4, 3), (4, 3), (4, 3)),
                                   ((5,), (5,), None), ((2, 3, 4), (3, 1), (4,)), ((), None, None),
                                   ((4, 3), (4, 1), (1,))]:
        x = rng.standard_normal(shape).astype(dtype) * 3
        p = rng.uniform(0.02, 0.98, shape).astype(dtype)
        y = rng.uniform(0, 1, shape).astype(dtype)
        w = None if wshape is None else rng.uniform(0.2, 2, wshape).astype(dtype)
        pw = None if pwshape is None else rng.uniform(0.2, 3, pwshape).astype(dtype)
        tw = None if w is None else torch.tensor(w)
        tpw = None if pw is None else torch.tensor(pw)
        bw = None if w is None else make(backend, w)
        bpw = None if pw is None else make(backend, pw)
        what = f"{shape} w={wshape} pw={pwshape} {reduction}"
        torch_oracle(backend,
                     lambda a, b: F.binary_cross_entropy_with_logits(a, b, bw, reduction=reduction, pos_weight=bpw),
                     lambda a, b: TF.binary_cross_entropy_with_logits(a, b, tw, reduction=reduction, pos_weight=tpw),
                     [x, y], dtype, what="bce_logits " + what)
        torch_oracle(backend, NL.BCEWithLogitsLoss(bw, reduction=reduction, pos_weight=bpw),
                     torch.nn.BCEWithLogitsLoss(tw, reduction=reduction, pos_weight=tpw), [x, y], dtype,
                     what="BCEWithLogitsLoss " + what)
        torch_oracle(backend, lambda a, b: F.binary_cross_entropy(a, b, bw, reduction=reduction),
                     lambda a, b: TF.binary_cross_entropy(a, b, tw, reduction=reduction), [p, y], dtype,
                     what="bce " + what)
        torch_oracle(backend, NL.BCELoss(bw, reduction=reduction), torch.nn.BCELoss(tw, reduction=reduction), [p, y],
                     dtype, what="BCELoss " + what)


CLASS_SHAPES = [((5, 4), (5,)), ((2, 3, 2, 2), (2, 2, 2)), ((3, 4, 3), (3, 3)), ((4,), ())]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_cross_entropy_and_nll_every_option(backend, dtype, reduction):
    rng = np.random.default_rng(12)
    for in_shape, t_shape in CLASS_SHAPES:
        C = in_shape[0] if len(in_shape) == 1 else in_shape[1]
        x = (rng.standard_normal(in_shape) * 2).astype(dtype)
        labels = rng.integers(0, C, t_shape).astype(np.int64)
        for use_weight in (False, True):
            w = rng.uniform(0.2, 2.0, C).astype(dtype) if use_weight else None
            tw = None if w is None else torch.tensor(w)
            bw = None if w is None else make(backend, w)
            for ignore in (-100, 1):
                for smoothing in (0.0, 0.15):
                    what = f"{in_shape} w={use_weight} ignore={ignore} ls={smoothing} {reduction}"
                    lab = labels.copy()
                    torch_oracle(backend,
                                 lambda a, t: F.cross_entropy(a, t, bw, ignore_index=ignore, reduction=reduction,
                                                              label_smoothing=smoothing),
                                 lambda a, t: TF.cross_entropy(a, t, tw, ignore_index=ignore, reduction=reduction,
                                                               label_smoothing=smoothing),
                                 [x, lab], dtype, what="cross_entropy " + what)
                    torch_oracle(backend, NL.CrossEntropyLoss(bw, ignore_index=ignore, reduction=reduction,
                                                              label_smoothing=smoothing),
                                 torch.nn.CrossEntropyLoss(tw, ignore_index=ignore, reduction=reduction,
                                                           label_smoothing=smoothing),
                                 [x, lab], dtype, what="CrossEntropyLoss " + what)
                torch_oracle(backend, lambda a, t: F.nll_loss(a, t, bw, ignore_index=ignore, reduction=reduction),
                             lambda a, t: TF.nll_loss(a, t, tw, ignore_index=ignore, reduction=reduction),
                             [x, labels], dtype, what="nll " + f"{in_shape} w={use_weight} ignore={ignore}")
                torch_oracle(backend, NL.NLLLoss(bw, ignore_index=ignore, reduction=reduction),
                             torch.nn.NLLLoss(tw, ignore_index=ignore, reduction=reduction),
                             [x, labels], dtype, what="NLLLoss")
            # class probabilities as targets (with weight and label smoothing)
            probs = rng.uniform(0, 1, in_shape).astype(dtype)
            probs = probs / probs.sum(axis=0 if len(in_shape) == 1 else 1, keepdims=True)
            for smoothing in (0.0, 0.2):
                torch_oracle(backend,
                             lambda a, t: F.cross_entropy(a, t, bw, reduction=reduction, label_smoothing=smoothing),
                             lambda a, t: TF.cross_entropy(a, t, tw, reduction=reduction, label_smoothing=smoothing),
                             [x, probs], dtype, grads=[True, False],
                             what=f"ce probs {in_shape} w={use_weight} ls={smoothing}")


def test_cross_entropy_all_ignored_and_label_gradient(backend):
    x = np.random.default_rng(13).standard_normal((3, 4))
    lab = np.full(3, 2, dtype=np.int64)
    for reduction in ("mean", "sum", "none"):
        torch_oracle(backend, lambda a, t: F.cross_entropy(a, t, ignore_index=2, reduction=reduction),
                     lambda a, t: TF.cross_entropy(a, t, ignore_index=2, reduction=reduction),
                     [x, lab], "float64", what=f"all ignored {reduction}") if reduction != "mean" else None
    out = F.cross_entropy(make(backend, x, True), make(backend, lab), ignore_index=2)
    ref = TF.cross_entropy(torch.tensor(x), torch.tensor(lab), ignore_index=2)
    assert np.isnan(out.numpy()) and torch.isnan(ref)


def test_cross_entropy_builds_its_one_hot_targets_only_for_a_backward(monkeypatch):
    """Class-index targets without smoothing or weights: the loss gathers each row's log-probability (the values of the
    dense sum over an (N, C) one-hot, to the bit); the one-hot is made only where the gradient needs it."""
    from anynn.functional import loss as loss_module

    made: list[int] = []
    device_of = loss_module._device
    monkeypatch.setattr(loss_module, "_device", lambda a: made.append(1) or device_of(a))  # (asked for the one-hot)
    x = np.array([[2.0, -1.0, 0.5], [-np.inf, 1.0, 3.0], [0.0, 0.0, 0.0]])
    scores, labels = anynn.tensor(x, requires_grad=True), anynn.tensor(np.array([0, 2, -100]))
    with anynn.no_grad():
        none = F.cross_entropy(scores, labels, reduction="none").numpy()
        mean = F.cross_entropy(scores, labels).numpy()
    assert made == []
    want = TF.cross_entropy(torch.tensor(x), torch.tensor([0, 2, -100]), reduction="none").numpy()
    np.testing.assert_allclose(none, want, rtol=1e-12)
    np.testing.assert_allclose(mean, want[:2].mean(), rtol=1e-12)
    F.cross_entropy(scores, labels).backward()
    assert made == [1] and scores.grad.numpy()[2].tolist() == [0.0, 0.0, 0.0]


def test_probability_targets_get_gradients(backend):
    rng = np.random.default_rng(14)
    x, t = rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))
    torch_oracle(backend, lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1),
                 lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.1), [x, t], "float64", what="target grad")
    torch_oracle(backend, lambda a, b: F.binary_cross_entropy(a, b), lambda a, b: TF.binary_cross_entropy(a, b),
                 [rng.uniform(0.1, 0.9, 4), rng.uniform(0, 1, 4)], "float64", what="bce target grad")
    torch_oracle(backend,
                 lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=make(backend, np.array([2.0]))),
                 lambda a, b: TF.binary_cross_entropy_with_logits(a, b,
                                                                  pos_weight=torch.tensor([2.0], dtype=torch.float64)),
                 [rng.standard_normal(4), rng.uniform(0, 1, 4)], "float64", what="bcel target grad")
    torch_oracle(backend, lambda a, b: F.mse_loss(a, b), lambda a, b: TF.mse_loss(a, b),
                 [rng.standard_normal(4), rng.standard_normal(4)], "float64", what="mse target grad")
    torch_oracle(backend, lambda a, b: F.smooth_l1_loss(a, b, beta=0.5),
                 lambda a, b: TF.smooth_l1_loss(a, b, beta=0.5),
                 [rng.standard_normal(4), rng.standard_normal(4)], "float64", what="smooth target grad")


def test_host_weights_of_another_dtype_and_lists_refused(backend):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, 4))
    labels = np.array([0, 3, 1])
    w = rng.uniform(0.5, 2, 4)
    torch_oracle(backend, lambda t, y: F.cross_entropy(t, y, weight=w.astype(np.float32)),  # host weight, other dtype
                 lambda t, y: TF.cross_entropy(t, y, weight=torch.tensor(w.astype(np.float32)).double()),
                 [x, labels], "float64", grads=[True, False])
    # a list is refused, as PyTorch's TypeError (anynn took it): functions and loss modules alike
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        TF.binary_cross_entropy_with_logits(torch.zeros(3, 4), torch.zeros(3, 4), pos_weight=list(w))
    with pytest.raises(TypeError, match=r"binary_cross_entropy_with_logits\(\): argument 'pos_weight' must be Tensor, "
                       r"not list"):
        F.binary_cross_entropy_with_logits(make(backend, x), make(backend, x), pos_weight=list(w))
    for module in (torch.nn, anynn.nn):
        with pytest.raises(TypeError, match="cannot assign 'tuple' object to buffer 'weight'"):
            module.CrossEntropyLoss(weight=tuple(w))


def test_probability_targets_k_dim_get_gradients(backend):
    rng = np.random.default_rng(17)
    x, t = rng.standard_normal((2, 3, 2)), rng.uniform(0, 1, (2, 3, 2))
    w = rng.uniform(0.5, 2, 3)
    for reduction in ("mean", "sum", "none"):
        torch_oracle(backend,
                     lambda a, b: F.cross_entropy(a, b, make(backend, w), reduction=reduction, label_smoothing=0.3),
                     lambda a, b: TF.cross_entropy(a, b, torch.tensor(w), reduction=reduction, label_smoothing=0.3),
                     [x, t], "float64", what=reduction)


# -- layers: against PyTorch's, state_dict, signatures, deprecated arguments -------------------------------------------
LAYERS = [
    ("KLDivLoss", {"reduction": "batchmean"}, [log_distribution((3, 4)), distribution((3, 4))]),
    ("KLDivLoss", {"log_target": True, "reduction": "sum"}, [log_distribution((3, 4)), log_distribution((3, 4), 5)]),
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
]


@pytest.mark.parametrize("name,kwargs,arrays", LAYERS, ids=[f"{r[0]}-{i}" for i, r in enumerate(LAYERS)])
def test_layers_match_torch(backend, name, kwargs, arrays):
    ours, theirs = getattr(anynn.nn, name)(**kwargs), getattr(torch.nn, name)(**kwargs)
    differentiable = [a.dtype.kind == "f" and i == 0 for i, a in enumerate(arrays)]
    compare_with_torch(backend, ours, theirs, *arrays, differentiable=differentiable, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name, keys", [("MultiMarginLoss", ["weight"]), ("MultiLabelSoftMarginLoss", ["weight"]),
                                        ("CrossEntropyLoss", ["weight"]), ("NLLLoss", ["weight"]),
                                        ("BCELoss", ["weight"]), ("BCEWithLogitsLoss", ["weight", "pos_weight"])])
def test_class_weight_is_a_buffer_in_the_state_dict(backend, name, keys):
    w = rng(8).uniform(0.5, 2.0, 4)
    ours = getattr(anynn.nn, name)(**{k: make(backend, w) for k in keys})
    theirs = getattr(torch.nn, name)(**{k: torch.tensor(w) for k in keys})
    assert list(ours.state_dict()) == list(theirs.state_dict()) == keys
    np.testing.assert_array_equal(np.asarray(anynn.tensor(ours.state_dict()["weight"]).numpy()), w)
    assert list(getattr(anynn.nn, name)().state_dict()) == list(getattr(torch.nn, name)().state_dict())
    # a PyTorch loss's state loads into its twin (as a model holding one would), and is the weight used
    ours.load_state_dict({k: v.numpy() * 2 for k, v in theirs.state_dict().items()})
    for k in keys:
        np.testing.assert_array_equal(getattr(ours, k).numpy(), w * 2)


NAMES = ["KLDivLoss", "PoissonNLLLoss", "GaussianNLLLoss", "TripletMarginLoss", "TripletMarginWithDistanceLoss",
         "MarginRankingLoss", "SoftMarginLoss", "MultiLabelSoftMarginLoss", "CosineEmbeddingLoss", "HingeEmbeddingLoss",
         "MultiMarginLoss", "MultiLabelMarginLoss"]


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


# the losses of loss.py with PyTorch's deprecated pair: (name, input maker, target maker) on a (3, 4) sample
LEGACY_PAIR_LOSSES = [
    ("mse_loss", "normal", "normal"), ("l1_loss", "normal", "normal"), ("smooth_l1_loss", "normal", "normal"),
    ("binary_cross_entropy", "probability", "probability"),
    ("binary_cross_entropy_with_logits", "normal", "probability"),
    ("cross_entropy", "normal", "label"), ("nll_loss", "log_probability", "label"),
]


def _legacy_pair_sample(kind: str) -> np.ndarray:
    generator = rng()
    if kind == "label":
        return generator.integers(0, 4, 3)
    if kind == "probability":
        return generator.uniform(0.05, 0.95, (3, 4))
    x = generator.normal(size=(3, 4))
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True)) if kind == "log_probability" else x


@pytest.mark.parametrize("size_average,reduce,expected", [(None, False, "none"), (False, None, "sum"),
                                                          (True, None, "mean")])
@pytest.mark.parametrize("name,input_kind,target_kind", LEGACY_PAIR_LOSSES, ids=[c[0] for c in LEGACY_PAIR_LOSSES])
def test_functional_losses_take_the_deprecated_pair_as_torch(backend, name, input_kind, target_kind, size_average,
                                                             reduce, expected):
    x, y = _legacy_pair_sample(input_kind), _legacy_pair_sample(target_kind)
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        theirs = getattr(TF, name)(torch.tensor(x), torch.tensor(y), size_average=size_average, reduce=reduce)
    with pytest.warns(UserWarning, match=f"please use reduction='{expected}' instead"):
        ours = getattr(F, name)(make(backend, x), make(backend, y), size_average=size_average, reduce=reduce)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_regression_loss_weight_as_torch(backend, name, reduction):
    generator = rng()
    x, y, w = generator.normal(size=(3, 4)), generator.normal(size=(3, 4)), generator.uniform(0.1, 2.0, (3, 4))
    compare_with_torch(backend, lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c),
                       lambda a, b, c: getattr(TF, name)(a, b, reduction=reduction, weight=c), x, y, w,
                       rtol=1e-10, atol=1e-12)
    check_gradients(backend, lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c), x, y + 0.5, w)
    with pytest.raises(ValueError, match="Weights and input must have the same size"):
        getattr(TF, name)(torch.tensor(x), torch.tensor(y), weight=torch.tensor(w[0]))
    with pytest.raises(ValueError, match=f"{name}: weight must have the input's shape"):
        getattr(F, name)(make(backend, x), make(backend, y), weight=make(backend, w[0]))


def test_nll_loss_2d_is_the_deprecated_name_of_nll_loss():
    x = np.log(np.random.default_rng(0).dirichlet(np.ones(3), (2, 2, 2)).transpose(0, 3, 1, 2))
    target = np.array([[[0, 2], [1, 1]], [[2, 0], [0, 1]]])
    with pytest.warns(FutureWarning, match="NLLLoss2d. has been deprecated"):
        ours = anynn.nn.NLLLoss2d(reduction="sum")
    theirs = torch.nn.NLLLoss2d(reduction="sum")
    assert isinstance(ours, anynn.nn.NLLLoss)
    np.testing.assert_allclose(ours(anynn.tensor(x), anynn.tensor(target)).numpy(),
                               theirs(torch.tensor(x), torch.tensor(target)).numpy(), rtol=1e-12)


@pytest.mark.parametrize("call", [
    lambda lib, t: lib.nn.functional.linear_cross_entropy(t(np.ones((2, 2, 3))), t(np.ones((4, 3))), t(labels(2))),
    lambda lib, t: lib.nn.functional.linear_cross_entropy(t(np.ones((2, 3))), t(np.ones((4, 2))), t(labels(2))),
    lambda lib, t: lib.nn.functional.linear_cross_entropy(t(np.ones(3)), t(np.ones((4, 2, 3))), t(labels(()))),
    lambda lib, t: lib.nn.functional.linear_cross_entropy(t(np.ones((2, 3))), t(np.ones((4, 3))), t(labels(2)),
                                                         linear_bias=t(np.ones(3))),
    lambda lib, t: lib.nn.functional.linear_cross_entropy(t(np.ones((2, 3))), t(np.ones((4, 3))),
                                                         t(class_probabilities((2, 4))), ignore_index=1)],
    ids=["input_3d", "in_features", "k_dims_unbatched", "bias_shape", "ignore_index_with_probabilities"])
def test_linear_cross_entropy_refusals_as_torch(backend, call):
    with pytest.raises(RuntimeError) as theirs:
        call(torch, torch.tensor)
    with pytest.raises(RuntimeError) as ours:
        call(anynn, lambda a: make(backend, a))
    assert str(theirs.value).split(",")[0] in str(ours.value)


@pytest.mark.jax  # (tests/backend/test_jax_backend.py counts it: a head with its own weight)
def test_linear_cross_entropy_loss_module_as_torch(backend):
    """nn.LinearCrossEntropyLoss (PyTorch 2.13; missing before): the flat head in ``linear`` (state_dict keys), the
    loss of a K-dimensional head with bias vs torch's, and the constructor's and LinearCrossEntropyOptions' checks."""
    kwargs = {"out_features": (2,), "bias": True, "reduction": "sum", "label_smoothing": 0.1, "ignore_index": 1}
    theirs = torch.nn.LinearCrossEntropyLoss(3, 4, dtype=torch.float64, **kwargs)
    ours = anynn.nn.LinearCrossEntropyLoss(3, 4, dtype=anynn.float64, **kwargs).to(backend)
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    assert sorted(ours.state_dict()) == sorted(theirs.state_dict())
    x, target = logits((5, 3)), labels((5, 2))
    expected = theirs(torch.tensor(x), torch.tensor(target)).item()
    assert ours(make(backend, x), make(backend, target)).item() == pytest.approx(expected, rel=1e-12)
    for lib in (torch, anynn):
        with pytest.raises(RuntimeError, match=r"expected weight shape to be \(4,\), got \(3,\)"):
            lib.nn.LinearCrossEntropyLoss(3, 4, weight=lib.ones(3))
        with pytest.raises(ValueError, match="invalid chunking_method"):
            lib.nn.LinearCrossEntropyOptions(chunking_method="aspect_ratio:0")
        assert lib.nn.modules.loss.LinearCrossEntropyLoss is lib.nn.LinearCrossEntropyLoss
