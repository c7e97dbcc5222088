# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Randomized oracle tests: tensor ops, activations, losses, optimizers, schedulers and autograd vs PyTorch.

Every configuration is drawn from a seeded generator (deterministic), run on every backend through the
``backend`` fixture in float64 and float32, and compared with PyTorch CPU: forward values and the gradient
of every floating input (the output is projected on fixed random weights so every element counts).
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional  # noqa: F401  (binds Tensor operators)
from anynn.functional import loss as LS
from anynn.nn import loss as NL

TS = torch.optim.lr_scheduler

DTYPES = ["float64", "float32"]


def tol(dtype: str) -> dict[str, float]:
    return dict(rtol=1e-7, atol=1e-9) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5)


def mk(backend: Any, a: np.ndarray, grad: bool = False) -> anynn.Tensor:
    a = np.asarray(a)
    return anynn.tensor(a, backend=backend, dtype=a.dtype.name, requires_grad=grad)


def oracle(backend: Any, ours: Callable[..., Any], theirs: Callable[..., Any], arrays: Sequence[np.ndarray],
           dtype: str, grads: Sequence[bool] | None = None, what: str = "", seed: int = 0) -> None:
    """Compare ``ours(*tensors)`` with ``theirs(*torch_tensors)``: forward and every requested gradient."""
    arrays = [np.asarray(a) for a in arrays]
    if grads is None:
        grads = [a.dtype.kind == "f" for a in arrays]
    mine = [mk(backend, a, g) for a, g in zip(arrays, grads)]
    ref_in = [torch.tensor(a).requires_grad_(g) for a, g in zip(arrays, grads)]
    out = ours(*mine)
    ref = theirs(*ref_in)
    t = tol(dtype)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **t, err_msg=f"forward {what}")
    assert tuple(out.shape) == tuple(ref.shape), f"shape {what}: {out.shape} vs {tuple(ref.shape)}"
    assert out.numpy().dtype == ref.detach().numpy().dtype, f"dtype {what}: {out.dtype} vs {ref.dtype}"
    if not any(grads):
        return
    w = np.random.default_rng(seed).standard_normal(tuple(ref.shape)).astype(out.numpy().dtype)
    (out * mk(backend, w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    for i, (a, r) in enumerate(zip(mine, ref_in)):
        if r.requires_grad:
            assert a.grad is not None, f"no gradient for input {i} {what}"
            assert tuple(a.grad.shape) == tuple(r.shape), f"grad shape {i} {what}"
            np.testing.assert_allclose(a.grad.numpy(), r.grad.numpy(), **t, err_msg=f"gradient {i} {what}")


def rand_shape(rng: np.random.Generator, min_rank: int = 0, max_rank: int = 4, max_dim: int = 3) -> tuple[int, ...]:
    return tuple(int(n) for n in rng.integers(1, max_dim + 1, size=int(rng.integers(min_rank, max_rank + 1))))


# -- losses ---------------------------------------------------------------------------------------
def _reg_oracle(backend, dtype, ours, theirs, shape, rng, what, positive=False):
    x = rng.standard_normal(shape).astype(dtype)
    y = rng.standard_normal(shape).astype(dtype)
    if positive:
        x = rng.uniform(0.02, 0.98, shape).astype(dtype)
        y = rng.uniform(0, 1, shape).astype(dtype)
    x.flat[0] = y.flat[0]  # a zero difference (sign/abs kink)
    oracle(backend, ours, theirs, [x, y], dtype, what=what)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses(backend, dtype, reduction):
    rng = np.random.default_rng(10)
    for shape in [(), (5,), (2, 3, 2)]:
        cases = [
            ("mse", lambda a, b: LS.mse_loss(a, b, reduction), lambda a, b: TF.mse_loss(a, b, reduction=reduction)),
            ("l1", lambda a, b: LS.l1_loss(a, b, reduction), lambda a, b: TF.l1_loss(a, b, reduction=reduction)),
        ]
        for delta in (1.0, 0.3, 2.0):
            cases.append((f"huber{delta}", lambda a, b, d=delta: LS.huber_loss(a, b, reduction, d),
                          lambda a, b, d=delta: TF.huber_loss(a, b, reduction=reduction, delta=d)))
        for beta in (1.0, 0.0, 0.4, 2.0):
            cases.append((f"smoothl1{beta}", lambda a, b, d=beta: LS.smooth_l1_loss(a, b, reduction, d),
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
def test_binary_losses(backend, dtype, reduction):
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
        bw = None if w is None else mk(backend, w)
        bpw = None if pw is None else mk(backend, pw)
        what = f"{shape} w={wshape} pw={pwshape} {reduction}"
        oracle(backend, lambda a, b: LS.binary_cross_entropy_with_logits(a, b, bw, reduction, bpw),
               lambda a, b: TF.binary_cross_entropy_with_logits(a, b, tw, reduction=reduction, pos_weight=tpw),
               [x, y], dtype, what="bce_logits " + what)
        oracle(backend, NL.BCEWithLogitsLoss(bw, reduction=reduction, pos_weight=bpw),
               torch.nn.BCEWithLogitsLoss(tw, reduction=reduction, pos_weight=tpw), [x, y], dtype,
               what="BCEWithLogitsLoss " + what)
        oracle(backend, lambda a, b: LS.binary_cross_entropy(a, b, bw, reduction),
               lambda a, b: TF.binary_cross_entropy(a, b, tw, reduction=reduction), [p, y], dtype,
               what="bce " + what)
        oracle(backend, NL.BCELoss(bw, reduction=reduction), torch.nn.BCELoss(tw, reduction=reduction), [p, y], dtype,
               what="BCELoss " + what)


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
            bw = None if w is None else mk(backend, w)
            for ignore in (-100, 1):
                for smoothing in (0.0, 0.15):
                    what = f"{in_shape} w={use_weight} ignore={ignore} ls={smoothing} {reduction}"
                    lab = labels.copy()
                    oracle(backend,
                           lambda a, t: LS.cross_entropy(a, t, bw, ignore, reduction, smoothing),
                           lambda a, t: TF.cross_entropy(a, t, tw, ignore_index=ignore, reduction=reduction,
                                                         label_smoothing=smoothing),
                           [x, lab], dtype, what="cross_entropy " + what)
                    oracle(backend, NL.CrossEntropyLoss(bw, ignore_index=ignore, reduction=reduction,
                                                         label_smoothing=smoothing),
                           torch.nn.CrossEntropyLoss(tw, ignore_index=ignore, reduction=reduction,
                                                     label_smoothing=smoothing),
                           [x, lab], dtype, what="CrossEntropyLoss " + what)
                oracle(backend, lambda a, t: LS.nll_loss(a, t, bw, ignore, reduction),
                       lambda a, t: TF.nll_loss(a, t, tw, ignore_index=ignore, reduction=reduction),
                       [x, labels], dtype, what="nll " + f"{in_shape} w={use_weight} ignore={ignore}")
                oracle(backend, NL.NLLLoss(bw, ignore_index=ignore, reduction=reduction),
                       torch.nn.NLLLoss(tw, ignore_index=ignore, reduction=reduction),
                       [x, labels], dtype, what="NLLLoss")
            # class probabilities as targets (with weight and label smoothing)
            probs = rng.uniform(0, 1, in_shape).astype(dtype)
            probs = probs / probs.sum(axis=0 if len(in_shape) == 1 else 1, keepdims=True)
            for smoothing in (0.0, 0.2):
                oracle(backend, lambda a, t: LS.cross_entropy(a, t, bw, reduction=reduction, label_smoothing=smoothing),
                       lambda a, t: TF.cross_entropy(a, t, tw, reduction=reduction, label_smoothing=smoothing),
                       [x, probs], dtype, grads=[True, False],
                       what=f"ce probs {in_shape} w={use_weight} ls={smoothing}")


def test_cross_entropy_all_ignored_and_label_gradient(backend):
    x = np.random.default_rng(13).standard_normal((3, 4))
    lab = np.full(3, 2, dtype=np.int64)
    for reduction in ("mean", "sum", "none"):
        oracle(backend, lambda a, t: LS.cross_entropy(a, t, ignore_index=2, reduction=reduction),
               lambda a, t: TF.cross_entropy(a, t, ignore_index=2, reduction=reduction),
               [x, lab], "float64", what=f"all ignored {reduction}") if reduction != "mean" else None
    out = LS.cross_entropy(mk(backend, x, True), mk(backend, lab), ignore_index=2)
    ref = TF.cross_entropy(torch.tensor(x), torch.tensor(lab), ignore_index=2)
    assert np.isnan(out.numpy()) and torch.isnan(ref)


def test_probability_targets_get_gradients(backend):
    rng = np.random.default_rng(14)
    x, t = rng.standard_normal((3, 4)), rng.uniform(0, 1, (3, 4))
    oracle(backend, lambda a, b: LS.cross_entropy(a, b, label_smoothing=0.1),
           lambda a, b: TF.cross_entropy(a, b, label_smoothing=0.1), [x, t], "float64", what="target grad")
    oracle(backend, lambda a, b: LS.binary_cross_entropy(a, b), lambda a, b: TF.binary_cross_entropy(a, b),
           [rng.uniform(0.1, 0.9, 4), rng.uniform(0, 1, 4)], "float64", what="bce target grad")
    oracle(backend, lambda a, b: LS.binary_cross_entropy_with_logits(a, b, pos_weight=mk(backend, np.array([2.0]))),
           lambda a, b: TF.binary_cross_entropy_with_logits(a, b, pos_weight=torch.tensor([2.0], dtype=torch.float64)),
           [rng.standard_normal(4), rng.uniform(0, 1, 4)], "float64", what="bcel target grad")
    oracle(backend, lambda a, b: LS.mse_loss(a, b), lambda a, b: TF.mse_loss(a, b),
           [rng.standard_normal(4), rng.standard_normal(4)], "float64", what="mse target grad")
    oracle(backend, lambda a, b: LS.smooth_l1_loss(a, b, beta=0.5), lambda a, b: TF.smooth_l1_loss(a, b, beta=0.5),
           [rng.standard_normal(4), rng.standard_normal(4)], "float64", what="smooth target grad")


def test_torch_spellings_dim_and_host_weights(backend):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, 4))
    labels = np.array([0, 3, 1])
    w = rng.uniform(0.5, 2, 4)
    oracle(backend, lambda t, y: LS.cross_entropy(t, y, weight=w.astype(np.float32)),  # host weight, other dtype
           lambda t, y: TF.cross_entropy(t, y, weight=torch.tensor(w.astype(np.float32)).double()),
           [x, labels], "float64", grads=[True, False])
    oracle(backend, lambda t, y: LS.binary_cross_entropy_with_logits(t, y, pos_weight=list(w)),
           lambda t, y: TF.binary_cross_entropy_with_logits(t, y, pos_weight=torch.tensor(w)),
           [x, rng.uniform(0, 1, (3, 4))], "float64", grads=[True, False])


def test_probability_targets_k_dim_get_gradients(backend):
    rng = np.random.default_rng(17)
    x, t = rng.standard_normal((2, 3, 2)), rng.uniform(0, 1, (2, 3, 2))
    w = rng.uniform(0.5, 2, 3)
    for reduction in ("mean", "sum", "none"):
        oracle(backend, lambda a, b: LS.cross_entropy(a, b, mk(backend, w), reduction=reduction, label_smoothing=0.3),
               lambda a, b: TF.cross_entropy(a, b, torch.tensor(w), reduction=reduction, label_smoothing=0.3),
               [x, t], "float64", what=reduction)
