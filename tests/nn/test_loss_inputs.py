"""Losses on masked and impossible inputs, with PyTorch as the oracle.

Masked classes (-inf logits), probabilities outside [0, 1] or NaN in BCE, targets of the wrong kind
(lists, host NumPy arrays, another backend's Tensors), integer targets of every width (unsigned class lists too),
and the error each misuse raises (naming the loss, the expected and the given shape): out-of-range classes,
mismatched shapes, bad variances, margins' targets and the layers' options; and the loss layers' inline
input checks give the outcome of the full checks.
"""

from __future__ import annotations

import inspect
import itertools
import re
import warnings
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional as F
from anynn import nn
from anynn.autograd.tensor import Tensor
from anynn.backend import BackendMismatch, dtype_name
from anynn.functional.value_checks import InvalidValueError
from anynn.nn.loss import _as_input_dtype, _Loss
from anynn.nn.module import Module
from anynn.nn.validate import check_broadcast, check_floating, check_same_backend, dtype_kind
from tests.helpers import compare_with_torch, make
from tests.nn.loss_oracle import class_probabilities, labels, logits, probabilities, rng

INF = np.inf
MASKED = np.array([[1.0, -INF, 2.0, 0.5], [0.5, 0.1, -INF, -INF], [-INF, 3.0, 0.0, 1.0]])
LABELS = np.array([0, 1, 3])


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def other_backend(backend) -> str:
    return "torch" if backend.name != "torch" else "numpy"


def run_both(backend, ours_fn, theirs_fn, x: np.ndarray, target: np.ndarray, dtype: str = "float32"):
    """Loss and input gradient of ours and PyTorch's (PyTorch in float64 on the same rounded values)."""
    xa = make(backend, x.astype(dtype), requires_grad=True)
    ta = make(backend, target.astype(dtype) if target.dtype.kind == "f" else target)
    out = ours_fn(xa, ta)
    out.backward(make(backend, np.ones(out.shape, dtype)))
    xt = torch.tensor(x.astype(dtype).astype(np.float64), requires_grad=True)
    tt = torch.tensor(target.astype(dtype).astype(np.float64) if target.dtype.kind == "f" else target)
    ref = theirs_fn(xt, tt)
    ref.backward(torch.ones_like(ref))
    return out.numpy().astype(np.float64), xa.grad.numpy().astype(np.float64), ref.detach().numpy(), xt.grad.numpy()


# -- masking a class with -inf ---------------------------------------------------------------------------
MASK_CASES = [
    ("labels", {}),
    ("labels_weight", {"weight": np.array([1.0, 2.0, 0.5, 3.0])}),
    ("labels_ignore", {"ignore_index": 1}),
    ("labels_smoothing", {"label_smoothing": 0.1}),  # mass on a class of probability 0: inf, as PyTorch
]


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("name,kwargs", MASK_CASES, ids=[c[0] for c in MASK_CASES])
def test_cross_entropy_with_a_masked_class_matches_torch(backend, name, kwargs, reduction):
    def ours(x, t):
        weight = kwargs.get("weight")
        rest = {k: v for k, v in kwargs.items() if k != "weight"}
        return F.cross_entropy(x, t, weight=None if weight is None else make(backend, weight.astype(np.float32)),
                               reduction=reduction, **rest)

    def theirs(x, t):
        weight = kwargs.get("weight")
        rest = {k: v for k, v in kwargs.items() if k != "weight"}
        return TF.cross_entropy(x, t, weight=None if weight is None else torch.tensor(weight), reduction=reduction,
                                **rest)

    out, grad, ref, ref_grad = run_both(backend, ours, theirs, MASKED, LABELS)
    np.testing.assert_allclose(out, ref, rtol=1e-5)  # finite, or inf where PyTorch's is (never NaN)
    assert not np.isnan(out).any()
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("dtype", ["float32", "float16"])
def test_cross_entropy_with_masked_classes_in_nchw_layout(backend, dtype):
    if dtype == "float16" and backend.name == "array_api_strict":
        pytest.skip("array_api_strict has no float16")
    x = np.moveaxis(MASKED.reshape(1, 3, 4), 2, 1)  # (N=1, C=4, d=3)
    out, grad, ref, ref_grad = run_both(backend, F.cross_entropy, TF.cross_entropy, x, LABELS.reshape(1, 3), dtype)
    tol = dict(rtol=1e-5, atol=1e-7) if dtype == "float32" else dict(rtol=1e-2, atol=1e-3)
    np.testing.assert_allclose(out, ref, **tol)
    np.testing.assert_allclose(grad, ref_grad, **tol)


def test_nll_loss_of_log_probabilities_with_masked_classes(backend):
    logp = torch.log_softmax(torch.tensor(MASKED), dim=1).numpy()
    out, grad, ref, ref_grad = run_both(backend, F.nll_loss, TF.nll_loss, logp, LABELS)
    np.testing.assert_allclose(out, ref, rtol=1e-5)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_probability_target_zero_on_masked_classes(backend, reduction, smoothing):
    """``0 * log 0 = 0``: finite where the target puts no mass on a masked class (PyTorch gives NaN there, a
    listed difference); inf with label smoothing, which puts mass there (as PyTorch). Gradients as PyTorch."""
    probs = np.where(np.isinf(MASKED), 0.0, np.abs(MASKED) + 0.5)
    probs = probs / probs.sum(axis=1, keepdims=True)

    def ours(x, t):
        return F.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing)

    def theirs(x, t):
        return TF.cross_entropy(x, t, reduction=reduction, label_smoothing=smoothing)

    out, grad, ref, ref_grad = run_both(backend, ours, theirs, MASKED, probs)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-5, atol=1e-7)
    logp = torch.log_softmax(torch.tensor(MASKED.astype(np.float32).astype(np.float64)), dim=1).numpy()
    q = probs.astype(np.float32).astype(np.float64) * (1 - smoothing) + smoothing / 4
    rows = -np.where(q > 0, q * np.where(q > 0, logp, 0.0), 0.0).sum(axis=1)
    expected = rows if reduction == "none" else rows.sum() / (3 if reduction == "mean" else 1)
    np.testing.assert_allclose(out, expected, rtol=1e-5)
    if smoothing:
        assert np.isposinf(out).all() and np.isposinf(ref).all()
    else:
        assert np.isfinite(out).all()


# -- BCE on impossible probabilities ---------------------------------------------------------------------
@pytest.mark.parametrize("bad", [1.5, -0.1, np.nan, np.inf])
@pytest.mark.parametrize("where", ["input", "target"])
def test_bce_outside_zero_one_raises_as_torch(backend, bad, where):
    p = np.array([0.2, 0.9, 0.5], np.float32)
    y = np.array([0.0, 1.0, 1.0], np.float32)
    (p if where == "input" else y)[1] = bad
    with pytest.raises(RuntimeError, match=f"all elements of {where} should be between 0 and 1"):
        TF.binary_cross_entropy(torch.tensor(p), torch.tensor(y))
    message = rf"binary_cross_entropy: all elements of {where} should be between 0 and 1.*position 1"
    for call in (lambda a, b: F.binary_cross_entropy(a, b), lambda a, b: nn.BCELoss()(a, b)):
        with pytest.raises(RuntimeError, match=message) as caught:
            call(make(backend, p), make(backend, y))
        assert isinstance(caught.value, ValueError) and isinstance(caught.value, InvalidValueError)


def test_bce_on_a_model_whose_weights_went_nan_raises(backend):
    model = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid()).to(backend)
    model[0].weight.data = model[0].weight.data * float("nan")
    x = make(backend, np.ones((4, 3), np.float32))
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        nn.BCELoss()(model(x), make(backend, np.ones((4, 1), np.float32)))


# -- targets of the wrong kind -----------------------------------------------------------------------------
def _losses(backend):
    x = make(backend, np.random.default_rng(0).uniform(0.1, 0.9, (3, 4)).astype(np.float32))
    return x, [
        ("cross_entropy", F.cross_entropy, [0, 1, 3]),
        ("nll_loss", F.nll_loss, [0, 1, 3]),
        ("mse_loss", F.mse_loss, np.zeros((3, 4)).tolist()),
        ("l1_loss", F.l1_loss, np.zeros((3, 4)).tolist()),
        ("huber_loss", F.huber_loss, np.zeros((3, 4)).tolist()),
        ("smooth_l1_loss", F.smooth_l1_loss, np.zeros((3, 4)).tolist()),
        ("binary_cross_entropy", F.binary_cross_entropy, np.zeros((3, 4)).tolist()),
        ("binary_cross_entropy_with_logits", F.binary_cross_entropy_with_logits, np.zeros((3, 4)).tolist()),
    ]


def test_targets_as_lists_raise_type_error_as_torch(backend):
    with pytest.raises(TypeError, match="must be Tensor, not list"):
        TF.cross_entropy(torch.zeros(3, 4), [0, 1, 3])
    x, losses = _losses(backend)
    for name, fn, target in losses:
        with pytest.raises(TypeError, match=rf"{name}\(\): argument 'target' must be Tensor, not list"):
            fn(x, target)
    # a weight as a number too (anynn took it): PyTorch's TypeError, and its buffer's in a loss module
    with pytest.raises(TypeError, match=r"cross_entropy\(\): argument 'weight' must be Tensor, not float"):
        F.cross_entropy(x, make(backend, np.array([0, 1, 3])), weight=2.0)
    with pytest.raises(TypeError, match=r"logits\(\): argument 'pos_weight' must be Tensor, not float"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=2.0)
    with pytest.raises(TypeError, match="cannot assign 'float' object to buffer 'pos_weight'"):
        nn.BCEWithLogitsLoss(pos_weight=2.0)
    # a number target: PyTorch's TypeError for the margin losses (AttributeError before), its value for every
    # label in multilabel_soft_margin_loss, whose Python formula takes it (AttributeError before)
    for name in ("soft_margin_loss", "multi_margin_loss", "multilabel_margin_loss", "multilabel_soft_margin_loss"):
        target = 1 if name == "multilabel_soft_margin_loss" else 0
        if name != "multilabel_soft_margin_loss":
            # (PyTorch's wording has "(position 2)"; soft_margin_loss's check gives it, the kernels' path not yet)
            pattern = rf"{name}\(\): argument 'target' (\(position 2\) )?must be Tensor, not int"
            with pytest.raises(TypeError, match=pattern):
                getattr(F, name)(x, target)
        with pytest.raises(TypeError, match="must be Tensor, not list"):
            getattr(F, name)(x, [[target] * 4] * 3)
    expected = TF.multilabel_soft_margin_loss(torch.tensor(x.numpy()), 1).item()
    assert F.multilabel_soft_margin_loss(x, 1).item() == pytest.approx(expected, rel=1e-6)


def test_targets_as_host_numpy_arrays(backend):
    """A NumPy array is NumPy's native array (accepted there); on other backends a TypeError, as PyTorch."""
    x, losses = _losses(backend)
    for name, fn, target in losses:
        host = np.array(target, dtype=np.int64 if name in ("cross_entropy", "nll_loss") else np.float32)
        if backend.name == "numpy":
            reference = fn(x, make(backend, host)).numpy()
            np.testing.assert_allclose(fn(x, host).numpy(), reference)
        else:
            with pytest.raises(TypeError, match=rf"{name}\(\): argument 'target' must be Tensor, not numpy.ndarray"):
                fn(x, host)


def test_target_on_another_backend_raises_backend_mismatch(backend):
    other = other_backend(backend)
    x, losses = _losses(backend)
    for name, fn, target in losses:
        host = np.array(target, dtype=np.int64 if name in ("cross_entropy", "nll_loss") else np.float32)
        foreign = anynn.tensor(host, backend=other)
        with pytest.raises(BackendMismatch, match=rf"{name}: target is on backend '{other}'.*'{backend.key}'"):
            fn(x, foreign)
        # a native array of another library (not host NumPy data): torch's, or array_api_strict's on torch
        library = "torch" if backend.name != "torch" else "array_api_strict"
        with pytest.raises(BackendMismatch, match=rf"{name}: target is an array of backend '{library}'"):
            fn(x, anynn.tensor(host, backend=library).array)


def test_input_must_be_a_tensor(backend):
    with pytest.raises(TypeError, match=r"cross_entropy\(\): argument 'input' must be Tensor, not list"):
        F.cross_entropy([[0.0, 1.0]], make(backend, np.array([1])))
    with pytest.raises(TypeError, match=r"mse_loss\(\): argument 'input' must be Tensor, not list"):
        F.mse_loss([0.0, 1.0], make(backend, np.zeros(2, np.float32)))


# loss -> (call with a NumPy array in the first argument, that argument's name); these ran on the array (kl_div,
# poisson_nll_loss, hinge_embedding_loss, the triplet losses) or raised AttributeError ('no attribute backend')
HOST_FIRST = {
    "kl_div": (lambda a, t: F.kl_div(a, t, reduction="batchmean"), "input"),
    "poisson_nll_loss": (lambda a, t: F.poisson_nll_loss(a, t), "input"),
    "gaussian_nll_loss": (lambda a, t: F.gaussian_nll_loss(a, t, t), "input"),
    "hinge_embedding_loss": (lambda a, t: F.hinge_embedding_loss(a, t), "input"),
    "soft_margin_loss": (lambda a, t: F.soft_margin_loss(a, t), "input"),
    "multilabel_soft_margin_loss": (lambda a, t: F.multilabel_soft_margin_loss(a, t), "input"),
    "margin_ranking_loss": (lambda a, t: F.margin_ranking_loss(a, t, t), "input1"),
    "cosine_embedding_loss": (lambda a, t: F.cosine_embedding_loss(a, t, t[:, 0]), "input1"),
    "triplet_margin_loss": (lambda a, t: F.triplet_margin_loss(a, t, t), "anchor"),
    "triplet_margin_with_distance_loss": (lambda a, t: F.triplet_margin_with_distance_loss(a, t, t), "anchor"),
}


@pytest.mark.parametrize("name", sorted(HOST_FIRST))
def test_a_numpy_array_as_the_first_argument_is_a_type_error_as_torch(backend, name):
    call, what = HOST_FIRST[name]
    host = np.full((2, 3), 0.5, np.float32)
    with pytest.raises(TypeError, match=r"must be Tensor"):
        call(host, torch.tensor(host))
    with pytest.raises(TypeError, match=rf"^{name}\(\): argument '{what}' must be Tensor, not numpy.ndarray"):
        call(host, make(backend, host))


@pytest.mark.parametrize("label_dtype", ["uint8", "int8", "int16", "int32", "int64"])
def test_class_indices_of_every_integer_dtype(backend, label_dtype):
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    expected = TF.cross_entropy(torch.tensor(x), torch.tensor(LABELS), ignore_index=255).item()
    labels = make(backend, LABELS.astype(label_dtype))
    got = F.cross_entropy(make(backend, x), labels, ignore_index=255 if label_dtype == "uint8" else -100)
    np.testing.assert_allclose(got.item(), expected, rtol=1e-6)
    np.testing.assert_allclose(nn.NLLLoss()(make(backend, x), labels).item(),
                               TF.nll_loss(torch.tensor(x), torch.tensor(LABELS)).item(), rtol=1e-6)
    bad = make(backend, np.array([0, 4, 1], label_dtype))
    with pytest.raises(IndexError, match=r"cross_entropy: target holds class 4 at flat position 1"):
        F.cross_entropy(make(backend, x), bad)


def test_sum_of_booleans_and_small_integers_is_int64(backend):
    for values, expected in ((np.array([[True, False], [True, True]]), 3), (np.array([200, 100], np.uint8), 300)):
        total = make(backend, values).sum()
        assert dtype_name(total.dtype) == "int64" and int(total.item()) == expected
        assert dtype_name(torch.tensor(values).sum().dtype) == "int64"
    rows = make(backend, np.array([[True, False], [True, True]])).sum(dim=1)
    np.testing.assert_array_equal(rows.numpy(), [1, 2])


def test_regression_losses_promote_integer_targets_as_torch(backend):
    x = np.array([[0.5, 2.0], [3.0, -1.0]], np.float32)
    y = np.array([[1, 2], [0, -1]], np.int64)
    for ours, theirs in ((F.mse_loss, TF.mse_loss), (F.l1_loss, TF.l1_loss), (F.huber_loss, TF.huber_loss),
                         (F.smooth_l1_loss, TF.smooth_l1_loss)):
        xa = make(backend, x, requires_grad=True)
        out = ours(xa, make(backend, y))
        out.backward()
        assert dtype_name(out.dtype) == "float32" and dtype_name(xa.grad.dtype) == "float32"
        xt = torch.tensor(x, requires_grad=True)
        np.testing.assert_allclose(out.item(), theirs(xt, torch.tensor(y)).item(), rtol=1e-6)
        ref = theirs(xt, torch.tensor(y, dtype=torch.float32))  # PyTorch's backward refuses the int64 target
        ref.backward()
        np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-6)
        np.testing.assert_allclose(xa.grad.numpy(), xt.grad.numpy(), rtol=1e-6)
    # a float64 target: the dtype PyTorch's kernel writes into (huber, hinge: the input's; BCE with logits: the
    # target's), where anynn promoted to float64
    for name, target in (("huber_loss", y), ("hinge_embedding_loss", np.sign(y)), ("mse_loss", y),
                         ("binary_cross_entropy_with_logits", y.clip(0, 1))):
        for first, second in ((np.float32, np.float64), (np.float64, np.float32)):
            got = getattr(F, name)(make(backend, x.astype(first)), make(backend, target.astype(second)))
            want = getattr(TF, name)(torch.tensor(x.astype(first)), torch.tensor(target.astype(second)))
            assert dtype_name(got.dtype) == dtype_name(want.dtype), name


def test_margin_losses_take_integer_targets_as_torch(backend):
    # +-1 / 0-1 integer targets are PyTorch's usual ones: the loss and its gradient stay in the input's dtype
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(5).astype(np.float32), rng.standard_normal(5).astype(np.float32)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    signs, bits = np.array([1, -1, 1, -1, 1]), np.array([[1, 0, 0, 1], [0, 1, 1, 1], [0, 0, 1, 0]])
    for name, inputs, target in (("margin_ranking_loss", (a, b), signs), ("soft_margin_loss", (x,), 2 * bits - 1),
                                 ("multilabel_soft_margin_loss", (x,), bits),
                                 ("hinge_embedding_loss", (x,), 2 * bits - 1)):
        ours = [make(backend, v, requires_grad=True) for v in inputs]
        out = getattr(F, name)(*ours, make(backend, target))
        out.backward()
        theirs = [torch.tensor(v, requires_grad=True) for v in inputs]
        ref = getattr(TF, name)(*theirs, torch.tensor(target))
        ref.backward()
        assert dtype_name(out.dtype) == "float32" and dtype_name(ours[0].grad.dtype) == "float32", name
        np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-6, err_msg=name)
        for o, t in zip(ours, theirs):
            np.testing.assert_allclose(o.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-7, err_msg=name)


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "soft_margin_loss", "kl_div"])
@pytest.mark.parametrize("which", ["input", "both"])
def test_integer_input_of_the_losses_as_torch(backend, name, which):
    # refused where PyTorch's kernel is (integers against integers; huber, soft margin and kl_div always), else
    # computed in the target's dtype
    x = np.array([[1, 2], [0, -1]], np.int64)
    y = x if which == "both" else x.astype(np.float32) + 0.25
    try:
        expected = getattr(TF, name)(torch.tensor(x), torch.tensor(y))
    except (RuntimeError, NotImplementedError):
        with pytest.raises(TypeError, match=rf"{name}\(?\)?: input must be floating|{name}\(\): expected a floating"):
            getattr(F, name)(make(backend, x), make(backend, y))
        return
    out = getattr(F, name)(make(backend, x), make(backend, y))
    assert dtype_name(out.dtype) == "float32"
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


_A, _B = np.array([[1, 2, 3], [4, 0, 6]]), np.array([[2, 1, 0], [1, 1, 1]])
_SIGNS, _SIGNS3 = np.array([1, -1]), np.array([1, -1, 1])
MIXED_KIND_CASES = [  # (name, call(F, tensor maker, dtype 1, dtype 2)): integer operands beside floating ones
    ("cosine_similarity", lambda M, t, d1, d2: M.cosine_similarity(t(_A, d1), t(_B, d2))),
    ("cosine_embedding_loss", lambda M, t, d1, d2: M.cosine_embedding_loss(t(_A, d1), t(_B, d1), t(_SIGNS, d2))),
    ("cosine_embedding_loss_mixed", lambda M, t, d1, d2: M.cosine_embedding_loss(t(_A, d1), t(_B, d2),
                                                                                t(_SIGNS, "int64"))),
    ("margin_ranking_loss", lambda M, t, d1, d2: M.margin_ranking_loss(t(_A[0], d1), t(_B[0], d1), t(_SIGNS3, d2))),
    ("margin_ranking_loss_mixed", lambda M, t, d1, d2: M.margin_ranking_loss(t(_A[0], d1), t(_B[0], d2),
                                                                            t(_SIGNS3, "int64"))),
    ("triplet_margin_loss", lambda M, t, d1, d2: M.triplet_margin_loss(t(_A, d1), t(_B, d2), t(_A + 1, d1))),
    ("poisson_nll_loss", lambda M, t, d1, d2: M.poisson_nll_loss(t(_A, d1), t(_B, d2))),
    ("poisson_nll_loss_rates", lambda M, t, d1, d2: M.poisson_nll_loss(t(_A, d1), t(_B, d2), log_input=False)),
    ("gaussian_nll_loss", lambda M, t, d1, d2: M.gaussian_nll_loss(t(_A, d1), t(_B, d2), t(_A * 0 + 2, "float32"))),
    ("gaussian_nll_loss_var", lambda M, t, d1, d2: M.gaussian_nll_loss(t(_A, d1), t(_B, d1), t(_A * 0 + 2, d2))),
]
DTYPE_PAIRS = [("int64", "int64"), ("float32", "int64"), ("int64", "float32"), ("int32", "float64"),
               ("float32", "float64"), ("float64", "int32")]


@pytest.mark.parametrize("d1, d2", DTYPE_PAIRS)
@pytest.mark.parametrize("name, call", MIXED_KIND_CASES, ids=[c[0] for c in MIXED_KIND_CASES])
def test_integer_operands_of_the_distance_losses_promote_as_torch(backend, name, call, d1, d2):
    """Integers beside floats take the floats' dtype (float32 when all are integers), as PyTorch's; where PyTorch
    refuses (cosine similarity of integers, an integer variance clamped in place) anynn refuses too."""
    def ours_tensor(values, dtype):
        return make(backend, values.astype(dtype))

    def torch_tensor(values, dtype):
        return torch.tensor(values.astype(dtype))

    try:
        expected = call(TF, torch_tensor, d1, d2)
    except RuntimeError:
        with pytest.raises(RuntimeError, match=name.split("_loss")[0]):
            call(F, ours_tensor, d1, d2)
        return
    out = call(F, ours_tensor, d1, d2)
    assert dtype_name(out.dtype) == str(expected.dtype).split(".")[-1]
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


FLOAT_PAIR_CASES = [  # (name, call(F, input, target)): floating operands of two precisions (float64 soft labels)
    ("cross_entropy_probabilities", lambda M, x, y: M.cross_entropy(x, y)),
    ("cross_entropy_smoothed", lambda M, x, y: M.cross_entropy(x, y, label_smoothing=0.2, reduction="none")),
    ("soft_margin_loss", lambda M, x, y: M.soft_margin_loss(x, 2 * y - 1)),  # PyTorch's: in the input's dtype
    ("pairwise_distance", lambda M, x, y: M.pairwise_distance(x, y)),
]


@pytest.mark.parametrize("d1, d2", [("float32", "float64"), ("float64", "float32")])
@pytest.mark.parametrize("name, call", FLOAT_PAIR_CASES, ids=[c[0] for c in FLOAT_PAIR_CASES])
def test_floating_operands_of_two_precisions_as_torch(backend, name, call, d1, d2):
    """The result's dtype, value and input gradient as PyTorch's (anynn refused the probability target and gave
    the soft margin loss and the distance in the other dtype)."""
    x, y = logits((3, 4)), class_probabilities((3, 4))
    ours = make(backend, x, requires_grad=True, dtype=d1)
    out = call(F, ours, make(backend, y, dtype=d2))
    out.sum().backward()
    theirs = torch.tensor(x, dtype=getattr(torch, d1), requires_grad=True)
    expected = call(TF, theirs, torch.tensor(y, dtype=getattr(torch, d2)))
    expected.sum().backward()
    assert (dtype_name(out.dtype), dtype_name(ours.grad.dtype)) == (str(expected.dtype)[6:], str(theirs.grad.dtype)[6:])
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-5)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-7)


# (loss, input dtype, target dtype): each as PyTorch's, the module and the function. The modules refused an integer
# or bool input PyTorch promotes (MSELoss, L1Loss, SmoothL1Loss, GaussianNLLLoss) and cast a bool target PyTorch's
# subtraction refuses (L1Loss, GaussianNLLLoss, MultiLabelSoftMarginLoss) or an integer one its kernel refuses
# (BCEWithLogitsLoss); hinge_embedding and multilabel_soft_margin of integers gave float64, BCE of float32 and
# float64 promoted (PyTorch: 'Found dtype Double but expected Float')
LOSS_DTYPE_ROWS = [("MSELoss", "int64", "float32"), ("MSELoss", "bool", "float32"), ("L1Loss", "int64", "float32"),
                   ("L1Loss", "bool", "float32"), ("L1Loss", "float32", "bool"), ("SmoothL1Loss", "bool", "float32"),
                   ("GaussianNLLLoss", "int64", "float32"), ("GaussianNLLLoss", "float32", "bool"),
                   ("BCEWithLogitsLoss", "float32", "int64"),
                   ("HingeEmbeddingLoss", "int64", "float32"), ("MultiLabelSoftMarginLoss", "int64", "float32"),
                   ("MultiLabelSoftMarginLoss", "float32", "bool"), ("BCELoss", "float32", "float64")]


def test_loss_modules_and_functions_take_the_dtypes_pytorch_takes():
    functions = {"MSELoss": "mse_loss", "L1Loss": "l1_loss", "SmoothL1Loss": "smooth_l1_loss",
                 "GaussianNLLLoss": "gaussian_nll_loss",
                 "BCEWithLogitsLoss": "binary_cross_entropy_with_logits", "HingeEmbeddingLoss": "hinge_embedding_loss",
                 "MultiLabelSoftMarginLoss": "multilabel_soft_margin_loss", "BCELoss": "binary_cross_entropy"}
    x, y = np.array([[1.0, 0.0], [0.25, 0.5]]), np.array([[1.0, 1.0], [1.0, 0.0]])
    for name, dx, dy in LOSS_DTYPE_ROWS:
        for lib_of in (lambda lib, name=name: getattr(lib.nn, name)(),
                       lambda lib, name=name: getattr(lib.nn.functional, functions[name])):
            outcomes = []
            for lib in (torch, anynn):
                args = [lib.tensor(x).to(getattr(lib, dx)), lib.tensor(y).to(getattr(lib, dy))]
                args += [lib.ones(2, 2)] if name == "GaussianNLLLoss" else []
                try:
                    out = lib_of(lib)(*args)
                    outcomes.append((str(out.dtype).split(".")[-1], round(float(out), 5)))
                except (RuntimeError, TypeError, NotImplementedError) as error:
                    outcomes.append(error)
            theirs, ours = outcomes
            if isinstance(theirs, Exception):
                assert isinstance(ours, type(theirs)), (name, dx, dy, theirs, ours)
            else:
                assert ours == theirs, (name, dx, dy)


def test_binary_losses_refuse_integer_targets_as_torch(backend):
    x = make(backend, np.array([0.2, 0.7], np.float32))
    y = make(backend, np.array([0, 1], np.int64))
    for fn in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        with pytest.raises(TypeError, match=rf"{fn.__name__}: target must be floating-point, got dtype int64"):
            fn(x, y)
    with pytest.raises(RuntimeError):
        TF.binary_cross_entropy(torch.tensor([0.2, 0.7]), torch.tensor([0, 1]))


def test_weights_that_do_not_broadcast_name_the_loss(backend):
    x = make(backend, np.full((2, 3), 0.5, np.float32))
    for fn in (F.binary_cross_entropy, F.binary_cross_entropy_with_logits):
        for shape in ((2,), (1, 3, 1)):
            with pytest.raises(ValueError, match=rf"{fn.__name__}: weight of shape {re.escape(str(shape))} does not"):
                fn(x, x, weight=make(backend, np.ones(shape, np.float32)))
    with pytest.raises(ValueError, match=r"binary_cross_entropy_with_logits: pos_weight of shape \(2,\)"):
        F.binary_cross_entropy_with_logits(x, x, pos_weight=make(backend, np.ones(2, np.float32)))


def test_shape_mismatches_and_bad_options_name_the_loss(backend):
    x = make(backend, np.full((2, 3), 0.5, np.float32))
    for fn in (F.mse_loss, F.l1_loss, F.huber_loss, F.smooth_l1_loss, F.binary_cross_entropy,
               F.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=rf"{fn.__name__}: input and target shapes differ"):
            fn(x, make(backend, np.full((3, 2), 0.5, np.float32)))
        with pytest.raises(ValueError, match=rf"{fn.__name__}: reduction must be one of"):
            fn(x, x, reduction="avg")
    with pytest.raises(RuntimeError, match="huber_loss: delta must be positive"):
        F.huber_loss(x, x, delta=0.0)
    with pytest.raises(RuntimeError, match="smooth_l1_loss: beta must be non-negative"):
        F.smooth_l1_loss(x, x, beta=-1.0)
    with pytest.raises(ValueError, match=r"cross_entropy: class-index target must have shape \(2,\)"):
        F.cross_entropy(x, make(backend, np.array([0, 1, 2])))
    with pytest.raises(TypeError, match="cross_entropy: input must be floating-point"):
        F.cross_entropy(make(backend, np.array([[1, 2]])), make(backend, np.array([0])))


# -- errors that name the loss, the expected and the given shape ----------------------------------------
@pytest.mark.parametrize("bad", [4, 7, -1, -101])
def test_cross_entropy_labels_out_of_range_raise(backend, bad):
    y = labels(3)
    y[1] = bad
    x = make(backend, logits((3, 4)))
    with pytest.raises(IndexError, match=rf"class {bad} .*\[0, 4\)"):
        F.cross_entropy(x, make(backend, y))
    with pytest.raises(IndexError, match=rf"class {bad}"):
        F.nll_loss(x, make(backend, y))


SHAPE_ERRORS = [
    ("mse", lambda x: F.mse_loss(x, x.reshape(3, 2)), r"mse_loss: .*input \(2, 3\), target \(3, 2\)"),
    ("l1", lambda x: F.l1_loss(x, x[0]), r"l1_loss: .*\(2, 3\).*\(3,\)"),
    ("huber", lambda x: F.huber_loss(x, x[:, :2]), r"huber_loss: .*\(2, 3\).*\(2, 2\)"),
    ("smooth_l1", lambda x: F.smooth_l1_loss(x, x.T), r"smooth_l1_loss: .*\(2, 3\).*\(3, 2\)"),
    ("bce", lambda x: F.binary_cross_entropy(x, x[:1]), r"binary_cross_entropy: .*\(2, 3\).*\(1, 3\)"),
    ("bce_logits", lambda x: F.binary_cross_entropy_with_logits(x, x[0]), r"with_logits: .*\(2, 3\).*\(3,\)"),
    ("ce_labels", lambda x: F.cross_entropy(x, make(x.backend, np.zeros(3, dtype=np.int64))),
     r"cross_entropy: class-index target must have shape \(2,\) for input \(2, 3\), got \(3,\)"),
    ("ce_probs", lambda x: F.cross_entropy(x, x.T), r"cross_entropy: probability target .*\(2, 3\), got \(3, 2\)"),
    ("ce_weight", lambda x: F.cross_entropy(x, make(x.backend, np.zeros(2, dtype=np.int64)), weight=x[0, :2]),
     r"cross_entropy: weight must have shape \(3,\), got \(2,\)"),
    ("ce_scalar", lambda x: F.cross_entropy(x[0, 0], make(x.backend, np.zeros((), dtype=np.int64))),
     r"cross_entropy: input must have a class dimension"),
    ("nll_probs", lambda x: F.nll_loss(x, x), r"nll_loss: target must hold integer class indices"),
    ("reduction", lambda x: F.mse_loss(x, x, reduction="avg"), r"mse_loss: reduction must be one of"),
    ("smoothing", lambda x: F.cross_entropy(x, x, label_smoothing=1.5), r"label_smoothing must be in \[0, 1\]"),
    ("ce_probs_ignore", lambda x: F.cross_entropy(x, x, ignore_index=1),  # PyTorch refuses it too
     r"cross_entropy: ignore_index is not supported for probability targets"),
]


@pytest.mark.parametrize("name,call,message", SHAPE_ERRORS, ids=[e[0] for e in SHAPE_ERRORS])
def test_errors_name_the_loss_and_the_shapes(backend, name, call, message):
    x = make(backend, probabilities())
    with pytest.raises((ValueError, TypeError), match=message) as info:
        call(x)
    assert name == "reduction" or isinstance(info.value, RuntimeError), type(info.value)  # PyTorch's class too


def test_gaussian_nll_refuses_negative_or_misshapen_variances(backend):
    x = make(backend, rng().normal(size=(3, 4)))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, make(backend, -np.ones((3, 4))))
    with pytest.raises(ValueError, match="var has negative"):
        F.gaussian_nll_loss(x, x, -1.0)
    with pytest.raises(ValueError, match=r"var is of incorrect size \(4,\)"):
        F.gaussian_nll_loss(x, x, make(backend, np.ones(4)))


def test_margin_losses_refuse_bad_targets(backend):
    x = make(backend, rng().normal(size=(3, 4)))
    with pytest.raises(IndexError, match=r"multi_margin_loss: target holds a class index outside \[0, 4\)"):
        F.multi_margin_loss(x, make(backend, np.array([0, 4, 1])))
    for negative in (-1, -100):  # (PyTorch: "target out of range"; a negative class was skipped, a loss came back)
        with pytest.raises(IndexError, match=r"multi_margin_loss: target holds a class index outside \[0, 4\)"):
            F.multi_margin_loss(x, make(backend, np.array([0, negative, 1])))
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
    with pytest.raises(ValueError, match="margin must be greater than 0, got 0.0"):  # (torch.triplet_margin_loss
        F.triplet_margin_loss(x, x, x, margin=0.0)                                    # takes it: no check there)
    assert float(anynn.triplet_margin_loss(x, x, x, 0.0, 2.0, 1e-6, False, 1)) == 0.0


def test_layers_refuse_bad_options():
    with pytest.raises(ValueError, match="reduction"):
        anynn.nn.KLDivLoss(reduction="average")
    with pytest.raises(ValueError, match="TripletMarginLoss: expected margin to be greater than 0"):
        anynn.nn.TripletMarginLoss(margin=0.0)
    with pytest.raises(ValueError, match="TripletMarginWithDistanceLoss"):
        anynn.nn.TripletMarginWithDistanceLoss(margin=-1.0)
    with pytest.raises(ValueError, match="only p == 1 and p == 2"):
        anynn.nn.MultiMarginLoss(p=3)


# -- unsigned class lists in MultiLabelMarginLoss --------------------------------------------------------
UNSIGNED_X = np.random.default_rng(0).standard_normal((2, 4)).astype(np.float32)


def test_a_uint8_minus_one_is_refused_as_out_of_range(backend):
    target = make(backend, np.array([[1, 0, -1, 0], [2, 3, -1, 0]]).astype(np.uint8))
    with pytest.raises(IndexError, match=r"multilabel_margin_loss: target holds an entry outside \[-1, 4\)"):
        anynn.nn.MultiLabelMarginLoss()(make(backend, UNSIGNED_X), target)
    with pytest.raises(RuntimeError):  # PyTorch refuses it too
        torch.nn.MultiLabelMarginLoss()(torch.tensor(UNSIGNED_X), torch.tensor([[1, 0, 255, 0], [2, 3, 255, 0]],
                                                                      dtype=torch.uint8))


def test_uint8_class_lists_give_the_int64_loss(backend):
    lists = np.array([[3, 1, 0, 2], [2, 0, 1, 3]])
    for dtype in (np.uint8, np.int64):
        got = anynn.nn.MultiLabelMarginLoss()(make(backend, UNSIGNED_X), make(backend, lists.astype(dtype)))
        ref = torch.nn.MultiLabelMarginLoss()(torch.tensor(UNSIGNED_X), torch.tensor(lists))
        np.testing.assert_allclose(got.numpy(), ref.numpy(), rtol=1e-6)


# -- `_Loss.__call__` checks the common case inline (two Tensors, one backend, floating where the loss needs it, equal
# shapes where they must match) and runs the full checks otherwise: over every loss module and a grid of dtypes and
# shapes, the outcome (value or error) is the outcome of the full checks
def _full_checks_then_call(loss: _Loss, *args: Any) -> Any:
    """The oracle: `_Loss.__call__`'s full checks, always (no inline common case)."""
    check_same_backend(loss, args)
    for i in loss.float_inputs:
        if i < len(args) and not (isinstance(args[i], Tensor) and dtype_kind(args[i].dtype) in loss.promoted_inputs):
            check_floating(loss, args[i], what=f"input (argument {i + 1})")
    if loss.float_targets and args and isinstance(args[0], Tensor):
        args = tuple(_as_input_dtype(a, args[0], loss.promoted_targets) if i in loss.float_targets else a
                     for i, a in enumerate(args))
    if loss.same_shape:
        check_broadcast(loss, tuple(f"argument {i + 1}" for i in loss.same_shape),
                        tuple(args[i] for i in loss.same_shape if i < len(args)))
    return Module.__call__(loss, *args)


def _loss_classes() -> list[type]:
    found, todo = set(), [_Loss]
    while todo:
        for sub in todo.pop().__subclasses__():
            found.add(sub)
            todo.append(sub)
    return sorted((c for c in found if "Legacy" not in c.__name__ and c.__module__.startswith("anynn.nn")
                   and not _needs_arguments(c)), key=lambda c: c.__name__)


def _needs_arguments(cls: type) -> bool:
    """A loss built with arguments (LinearCrossEntropyLoss: a head of its own; tests/nn/layer_recipes.py has it)."""
    return any(p.default is inspect.Parameter.empty and p.kind is p.POSITIONAL_OR_KEYWORD
               for p in inspect.signature(cls).parameters.values())


def _outcome(call: Any, *args: Any) -> tuple[str, Any]:
    try:
        out = call(*args)
    except Exception as error:  # noqa: BLE001 - the error itself is the outcome compared
        return type(error).__name__, str(error)
    return "value", np.asarray(out.numpy() if isinstance(out, Tensor) else out, dtype=np.float64)


_DTYPES = ("float32", "float64", "int64", "bool")
_SHAPES = (((4, 3), (4, 3)), ((4, 3), (4, 1)), ((4, 3), (3, 4)), ((4, 3), (4,)))


@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides the total loss:UserWarning")  # KLDivLoss's
@pytest.mark.parametrize("cls", _loss_classes(), ids=lambda c: c.__name__)
def test_the_inline_common_case_changes_no_outcome(backend, cls):
    loss = cls()
    rng = np.random.default_rng(0)
    for (a_dtype, b_dtype), (a_shape, b_shape) in itertools.product(itertools.product(_DTYPES, _DTYPES), _SHAPES):
        host_a = rng.uniform(0.1, 0.9, a_shape)
        host_b = rng.integers(0, 2, b_shape) if b_dtype in ("int64", "bool") else rng.uniform(0.1, 0.9, b_shape)
        a = anynn.tensor(host_a.astype(a_dtype), backend=backend)
        b = anynn.tensor(host_b.astype(b_dtype), backend=backend)
        got, want = _outcome(loss, a, b), _outcome(_full_checks_then_call, loss, a, b)
        case = f"{cls.__name__}({a_dtype}{a_shape}, {b_dtype}{b_shape})"
        assert got[0] == want[0], (case, got, want)
        if got[0] == "value":
            np.testing.assert_allclose(got[1], want[1], rtol=1e-6, err_msg=case)
        else:
            assert got[1] == want[1], case


def test_pair_checks_follow_the_class_tables():
    for cls in _loss_classes():
        floats = set(cls.float_inputs) | set(cls.float_targets)
        assert cls._pair_checks == (0 in floats, 1 in floats, {0, 1} <= set(cls.same_shape)), cls.__name__

    class Custom(nn.MSELoss):
        float_inputs, float_targets, same_shape = (0, 1), (), ()
        promoted_inputs = ()  # (MSELoss promotes integer inputs, as PyTorch's)

    assert Custom._pair_checks == (True, True, False)
    with pytest.raises(TypeError, match=r"Custom: expected a floating-point input \(argument 2\)"):
        Custom()(anynn.tensor(np.ones(3, np.float32)), anynn.tensor(np.ones(3, np.int64)))


def test_keyword_arguments_and_other_arities_take_the_same_checks():
    x, y = anynn.tensor(np.full(3, 0.5, np.float32)), anynn.tensor(np.ones(3, np.float32))
    mse = nn.MSELoss()
    np.testing.assert_allclose(mse(x, target=y).numpy(), 0.25)
    np.testing.assert_allclose(mse(x, y).numpy(), 0.25)
    with pytest.raises(TypeError, match="HuberLoss: expected a floating-point input"):  # (MSELoss promotes it)
        nn.HuberLoss()(anynn.tensor(np.ones(3, np.int64)), target=y)
    ranking = nn.MarginRankingLoss()
    z = anynn.tensor(np.ones(3, np.float32))
    np.testing.assert_allclose(ranking(x, z, y).numpy(), 0.5)
    with pytest.raises(Exception, match="MarginRankingLoss"):
        ranking(x, z, anynn.tensor(np.ones(4, np.float32)))


# (function, its arguments from (x, probabilities, labels, w), the argument PyTorch will not differentiate)
CONSTANT_WEIGHTS = [
    ("binary_cross_entropy", lambda L, x, p, y, w: L.binary_cross_entropy(p, p * 0 + 0.5, weight=w), "weight"),
    ("binary_cross_entropy_with_logits", lambda L, x, p, y, w: L.binary_cross_entropy_with_logits(x, p, weight=w),
     "weight"),
    ("binary_cross_entropy_with_logits", lambda L, x, p, y, w: L.binary_cross_entropy_with_logits(x, p, pos_weight=w),
     "pos_weight"),
    ("cross_entropy", lambda L, x, p, y, w: L.cross_entropy(x, y, weight=w, label_smoothing=0.1), "weight"),
    ("nll_loss", lambda L, x, p, y, w: L.nll_loss(x, y, weight=w), "weight"),
    ("multi_margin_loss", lambda L, x, p, y, w: L.multi_margin_loss(x, y, weight=w), "weight"),
]


@pytest.mark.parametrize("name, call, what", CONSTANT_WEIGHTS, ids=[f"{r[0]}-{r[2]}" for r in CONSTANT_WEIGHTS])
def test_weights_that_require_grad_refused_as_torch(backend, name, call, what):
    """PyTorch's fused losses refuse a weight that requires grad (rather than leave it without a gradient); under
    no_grad they take it. (multilabel_soft_margin_loss and cross_entropy of probabilities are composites in
    PyTorch: their weight gets a gradient.)"""
    rng = np.random.default_rng(0)
    x, p, y, w = rng.standard_normal((3, 4)), rng.uniform(0.1, 0.9, (3, 4)), np.array([0, 2, 3]), rng.uniform(1, 2, 4)

    def args(lib, make_tensor):
        return [make_tensor(x, True), make_tensor(p, False), make_tensor(y, False), make_tensor(w, True)]

    def theirs_tensor(a, grad):
        return torch.tensor(a, requires_grad=grad and a.dtype.kind == "f")

    def ours_tensor(a, grad):
        return anynn.tensor(a, backend=backend, dtype=dtype_name(a.dtype), requires_grad=grad and a.dtype.kind == "f")

    with pytest.raises(RuntimeError, match=f"not differentiable with respect to argument '{what}'"):
        call(TF, *args(TF, theirs_tensor))
    with pytest.raises(RuntimeError, match=f"{name}: .*not differentiable with respect to argument '{what}'"):
        call(F, *args(F, ours_tensor))
    with torch.no_grad():
        expected = call(TF, *args(TF, theirs_tensor))
    with anynn.no_grad():
        np.testing.assert_allclose(call(F, *args(F, ours_tensor)).numpy(), expected.numpy(), rtol=1e-10)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape, smoothing", [((3, 4), 0.0), ((2, 4, 3), 0.2), ((4,), 0.1)])
def test_cross_entropy_of_probabilities_differentiates_its_weight(backend, shape, smoothing, reduction):
    """Cross-entropy against probabilities is a composite in PyTorch: a weight that requires grad gets its gradient
    (of the input and target too), where class-index targets refuse one."""
    rng = np.random.default_rng(1)
    x = rng.standard_normal(shape)
    p = rng.uniform(0.1, 1.0, shape)
    p = p / p.sum(axis=0 if len(shape) == 1 else 1, keepdims=True)
    w = rng.uniform(0.5, 2.0, 4)
    compare_with_torch(backend, lambda a, b, c: F.cross_entropy(a, b, weight=c, label_smoothing=smoothing,
                                                                 reduction=reduction),
                       lambda a, b, c: TF.cross_entropy(a, b, weight=c, label_smoothing=smoothing,
                                                        reduction=reduction), x, p, w)
