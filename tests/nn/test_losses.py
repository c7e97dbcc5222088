# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Every loss and reduction: float64 gradient check on every backend, PyTorch comparison in float32 and
float64 (input and, where PyTorch has it, target gradients), float32 kept float32, robustness to huge
logits, clear errors, and seeded settings (every option of cross-entropy/NLL, weights and pos_weight of the
binary losses) against PyTorch on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

from anynn.backend import dtype_name
from anynn.functional import activation as A
from anynn.functional import loss as F
from anynn.nn import loss as NL

from tests.helpers import check_gradients, compare_with_torch, make, torch_oracle

DTYPES = ["float32", "float64"]
REDUCTIONS = ["mean", "sum", "none"]


def tolerances(dtype: str) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-5, "atol": 1e-7}


def assert_float32_forward_and_backward(backend, fn, *arrays, differentiable=None):
    differentiable = differentiable or [a.dtype.kind == "f" for a in arrays]
    tensors = [make(backend, a, requires_grad=d) for a, d in zip(arrays, differentiable)]
    out = fn(*tensors)
    assert dtype_name(out.dtype) == "float32"
    grads = out.grad_fn.backward(backend.xp, backend.xp.ones_like(out.array))  # before any cast back
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g is None or dtype_name(g.dtype) == "float32", f"{out.grad_fn.name} backward gives {g.dtype}"
    out.sum().backward()
    for t in tensors:
        if t.requires_grad:
            assert dtype_name(t.grad.dtype) == "float32"


def check_all(backend, ours, theirs, arrays, differentiable=None):
    """Gradient check in float64, PyTorch in float32 and float64, float32 stays float32."""
    check_gradients(backend, ours, *arrays, differentiable=differentiable)
    for dtype in DTYPES:
        cast = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
        compare_with_torch(backend, ours, theirs, *cast, differentiable=differentiable, **tolerances(dtype))
    assert_float32_forward_and_backward(
        backend, ours, *[a.astype(np.float32) if a.dtype.kind == "f" else a for a in arrays],
        differentiable=differentiable)


# -- regression losses: both input and target get gradients --------------------------------------------
def regression_pair(kinks: tuple[float, ...], shape=(2, 3)) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal(shape) * 1.5, rng.standard_normal(shape)
    d = x - y
    for k in kinks:  # keep the differences off the kinks, so finite differences see one piece
        for kk in (k, -k):
            d = np.where(np.abs(d - kk) < 0.05, kk + 0.1, d)
    return y + d, y


REGRESSION = [
    ("mse", F.mse_loss, TF.mse_loss, {}, (0.0,)),
    ("l1", F.l1_loss, TF.l1_loss, {}, (0.0,)),
    ("huber", F.huber_loss, TF.huber_loss, {}, (0.0, 1.0)),
    ("huber_delta", F.huber_loss, TF.huber_loss, {"delta": 0.5}, (0.0, 0.5)),
    ("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss, {}, (0.0, 1.0)),
    ("smooth_l1_beta", F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.5}, (0.0, 0.5)),
    ("smooth_l1_beta0", F.smooth_l1_loss, TF.smooth_l1_loss, {"beta": 0.0}, (0.0,)),
]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,ours,theirs,kwargs,kinks", REGRESSION, ids=[r[0] for r in REGRESSION])
def test_regression_loss(backend, name, ours, theirs, kwargs, kinks, reduction):
    check_all(backend, lambda x, y: ours(x, y, reduction=reduction, **kwargs),
              lambda x, y: theirs(x, y, reduction=reduction, **kwargs), regression_pair(kinks))


# -- binary cross-entropy on probabilities and on logits ------------------------------------------------
def probabilities(shape=(2, 3), seed=0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


BCE_WEIGHTS = [None, (2, 3), (3,)]


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape", BCE_WEIGHTS, ids=str)
def test_binary_cross_entropy(backend, reduction, weight_shape):
    arrays = [probabilities(), probabilities(seed=1)]
    if weight_shape is not None:
        arrays.append(probabilities(weight_shape, seed=2) * 2.0)

    def ours(p, y, w=None):
        return F.binary_cross_entropy(p, y, weight=w, reduction=reduction)

    def theirs(p, y, w=None):
        return TF.binary_cross_entropy(p, y, weight=w, reduction=reduction)

    check_all(backend, ours, theirs, arrays, differentiable=[True, True, False][: len(arrays)])


BCE_LOGIT_CASES = [(None, None), ((2, 3), None), (None, (3,)), ((3,), (3,)), ((2, 3), (2, 3))]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight_shape,pos_weight_shape", BCE_LOGIT_CASES, ids=str)
def test_binary_cross_entropy_with_logits(backend, reduction, weight_shape, pos_weight_shape):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)) * 3.0, probabilities(seed=1)]
    names = []
    for name, shape in (("weight", weight_shape), ("pos_weight", pos_weight_shape)):
        if shape is not None:
            arrays.append(rng.uniform(0.5, 3.0, shape))
            names.append(name)

    def ours(x, y, *extra):
        return F.binary_cross_entropy_with_logits(x, y, reduction=reduction, **dict(zip(names, extra)))

    def theirs(x, y, *extra):
        return TF.binary_cross_entropy_with_logits(x, y, reduction=reduction, **dict(zip(names, extra)))

    check_all(backend, ours, theirs, arrays, differentiable=[True, True] + [False] * len(names))


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


# -- cross-entropy and NLL --------------------------------------------------------------------------------
def labels(shape, classes=4, seed=0, ignore=None) -> np.ndarray:
    out = np.random.default_rng(seed).integers(0, classes, shape)
    if ignore is not None:
        out.reshape(-1)[::3] = ignore
    return out.astype(np.int64)


def logits(shape, seed=0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape) * 2.0


def class_probabilities(shape, seed=1) -> np.ndarray:
    e = np.exp(np.random.default_rng(seed).standard_normal(shape))
    return e / e.sum(axis=1 if len(shape) > 1 else 0, keepdims=True)


# (id, input shape, target maker, keyword args with "weight" standing for a (C,) weight tensor)
CE_CASES = [
    ("labels", (3, 4), lambda: labels(3), {}),
    ("labels_weight", (3, 4), lambda: labels(3), {"weight": True}),
    ("labels_ignore", (3, 4), lambda: labels(3, ignore=-100), {}),
    ("labels_ignore_class", (4, 4), lambda: labels(4), {"ignore_index": 1}),
    ("labels_smoothing", (3, 4), lambda: labels(3), {"label_smoothing": 0.1}),
    ("labels_all", (4, 4), lambda: labels(4, ignore=-100), {"weight": True, "label_smoothing": 0.2}),
    ("labels_2d", (2, 4, 2, 2), lambda: labels((2, 2, 2)), {}),
    ("labels_2d_all", (2, 4, 2, 1), lambda: labels((2, 2, 1), ignore=-100), {"weight": True, "label_smoothing": 0.1}),
    ("labels_1d_input", (4,), lambda: np.array(2, dtype=np.int64), {}),
    ("labels_1d_input_weight", (4,), lambda: np.array(1, dtype=np.int64), {"weight": True, "label_smoothing": 0.1}),
    ("probs", (3, 4), lambda: class_probabilities((3, 4)), {}),
    ("probs_weight_smoothing", (3, 4), lambda: class_probabilities((3, 4)), {"weight": True, "label_smoothing": 0.3}),
    ("probs_2d", (2, 4, 2, 1), lambda: class_probabilities((2, 4, 2, 1)), {"weight": True}),
    ("probs_1d_input", (4,), lambda: class_probabilities((4,)), {}),
]


def class_loss_case(shape, make_target, kwargs, ours_fn, theirs_fn, reduction, input_maker=logits):
    arrays = [input_maker(shape), make_target()]
    use_weight = kwargs.get("weight", False)
    rest = {k: v for k, v in kwargs.items() if k != "weight"}
    if use_weight:
        arrays.append(np.random.default_rng(5).uniform(0.5, 2.0, shape[1] if len(shape) > 1 else shape[0]))

    target_shape = arrays[1].shape

    def ours(x, target, w=None):
        # anynn.tensor of a 0-d array is (1,) on torch and array_api_strict (np.ascontiguousarray in from_host)
        target = target.reshape(target_shape) if target.shape != target_shape else target
        return ours_fn(x, target, weight=w, reduction=reduction, **rest)

    def theirs(x, target, w=None):
        return theirs_fn(x, target, weight=w, reduction=reduction, **rest)

    return ours, theirs, arrays, [True, False] + [False] * use_weight


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,shape,target,kwargs", CE_CASES, ids=[c[0] for c in CE_CASES])
def test_cross_entropy(backend, name, shape, target, kwargs, reduction):
    ours, theirs, arrays, differentiable = class_loss_case(shape, target, kwargs, F.cross_entropy, TF.cross_entropy,
                                                           reduction)
    check_all(backend, ours, theirs, arrays, differentiable)


NLL_CASES = [c for c in CE_CASES if c[0].startswith("labels") and "label_smoothing" not in c[3]]


def log_probabilities(shape, seed=0) -> np.ndarray:
    x = logits(shape, seed)
    axis = 1 if len(shape) > 1 else 0
    return x - np.log(np.exp(x).sum(axis=axis, keepdims=True))


@pytest.mark.jax  # the jax subset of this module (eager JAX is slow: see conftest)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,shape,target,kwargs", NLL_CASES, ids=[c[0] for c in NLL_CASES])
def test_nll_loss(backend, name, shape, target, kwargs, reduction):
    ours, theirs, arrays, differentiable = class_loss_case(shape, target, kwargs, F.nll_loss, TF.nll_loss,
                                                           reduction, input_maker=log_probabilities)
    check_all(backend, ours, theirs, arrays, differentiable)


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


# -- robustness to huge logits in float32 -----------------------------------------------------------------
HUGE = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 5.0], [3e3, 3e3, -1e4]], dtype=np.float32)
HUGE_LOSSES = [
    ("cross_entropy", lambda x, y: F.cross_entropy(x, y), lambda x, y: TF.cross_entropy(x, y), np.array([1, 2, 0])),
    ("cross_entropy_probs", lambda x, y: F.cross_entropy(x, y, label_smoothing=0.1),
     lambda x, y: TF.cross_entropy(x, y, label_smoothing=0.1), np.full((3, 3), 1.0 / 3.0, dtype=np.float32)),
    ("bce_with_logits", lambda x, y: F.binary_cross_entropy_with_logits(x, y, pos_weight=y + 1.0),
     lambda x, y: TF.binary_cross_entropy_with_logits(x, y, pos_weight=y + 1.0),
     np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 1.0], [0.0, 0.0, 1.0]], dtype=np.float32)),
]


@pytest.mark.parametrize("name,ours,theirs,target", HUGE_LOSSES, ids=[h[0] for h in HUGE_LOSSES])
def test_huge_float32_logits_give_finite_losses_and_gradients(backend, name, ours, theirs, target):
    x = make(backend, HUGE, requires_grad=True)
    loss = ours(x, make(backend, target))
    assert np.isfinite(loss.item())
    loss.backward()
    assert x.grad.numpy().dtype == np.float32
    assert np.all(np.isfinite(x.grad.numpy()))
    compare_with_torch(backend, ours, theirs, HUGE, target, differentiable=[True, False], rtol=1e-4, atol=1e-4)


# -- errors ---------------------------------------------------------------------------------------------
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
    with pytest.raises((ValueError, TypeError), match=message):
        call(x)


def test_cross_entropy_refuses_a_probability_target_of_another_dtype(backend):
    x = make(backend, logits((2, 3)))
    with pytest.raises(TypeError, match="dtype"):
        F.cross_entropy(x, make(backend, class_probabilities((2, 3)).astype(np.float32)))


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
            ("mse", lambda a, b: F.mse_loss(a, b, reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction)),
            ("l1", lambda a, b: F.l1_loss(a, b, reduction), lambda a, b: TF.l1_loss(a, b, reduction=reduction)),
        ]
        for delta in (1.0, 0.3, 2.0):
            cases.append((f"huber{delta}", lambda a, b, d=delta: F.huber_loss(a, b, reduction, d),
                          lambda a, b, d=delta: TF.huber_loss(a, b, reduction=reduction, delta=d)))
        for beta in (1.0, 0.0, 0.4, 2.0):
            cases.append((f"smoothl1{beta}", lambda a, b, d=beta: F.smooth_l1_loss(a, b, reduction, d),
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
        torch_oracle(backend, lambda a, b: F.binary_cross_entropy_with_logits(a, b, bw, reduction, bpw),
                     lambda a, b: TF.binary_cross_entropy_with_logits(a, b, tw, reduction=reduction, pos_weight=tpw),
                     [x, y], dtype, what="bce_logits " + what)
        torch_oracle(backend, NL.BCEWithLogitsLoss(bw, reduction=reduction, pos_weight=bpw),
                     torch.nn.BCEWithLogitsLoss(tw, reduction=reduction, pos_weight=tpw), [x, y], dtype,
                     what="BCEWithLogitsLoss " + what)
        torch_oracle(backend, lambda a, b: F.binary_cross_entropy(a, b, bw, reduction),
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
                                 lambda a, t: F.cross_entropy(a, t, bw, ignore, reduction, smoothing),
                                 lambda a, t: TF.cross_entropy(a, t, tw, ignore_index=ignore, reduction=reduction,
                                                               label_smoothing=smoothing),
                                 [x, lab], dtype, what="cross_entropy " + what)
                    torch_oracle(backend, NL.CrossEntropyLoss(bw, ignore_index=ignore, reduction=reduction,
                                                              label_smoothing=smoothing),
                                 torch.nn.CrossEntropyLoss(tw, ignore_index=ignore, reduction=reduction,
                                                           label_smoothing=smoothing),
                                 [x, lab], dtype, what="CrossEntropyLoss " + what)
                torch_oracle(backend, lambda a, t: F.nll_loss(a, t, bw, ignore, reduction),
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


def test_host_weights_of_another_dtype_and_lists(backend):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, 4))
    labels = np.array([0, 3, 1])
    w = rng.uniform(0.5, 2, 4)
    torch_oracle(backend, lambda t, y: F.cross_entropy(t, y, weight=w.astype(np.float32)),  # host weight, other dtype
                 lambda t, y: TF.cross_entropy(t, y, weight=torch.tensor(w.astype(np.float32)).double()),
                 [x, labels], "float64", grads=[True, False])
    torch_oracle(backend, lambda t, y: F.binary_cross_entropy_with_logits(t, y, pos_weight=list(w)),
                 lambda t, y: TF.binary_cross_entropy_with_logits(t, y, pos_weight=torch.tensor(w)),
                 [x, rng.uniform(0, 1, (3, 4))], "float64", grads=[True, False])


def test_probability_targets_k_dim_get_gradients(backend):
    rng = np.random.default_rng(17)
    x, t = rng.standard_normal((2, 3, 2)), rng.uniform(0, 1, (2, 3, 2))
    w = rng.uniform(0.5, 2, 3)
    for reduction in ("mean", "sum", "none"):
        torch_oracle(backend,
                     lambda a, b: F.cross_entropy(a, b, make(backend, w), reduction=reduction, label_smoothing=0.3),
                     lambda a, b: TF.cross_entropy(a, b, torch.tensor(w), reduction=reduction, label_smoothing=0.3),
                     [x, t], "float64", what=reduction)
