"""CTCLoss / F.ctc_loss against torch.nn.functional.ctc_loss on every backend: padded and concatenated targets,
repeated labels, empty targets, impossible alignments (inf, NaN gradients, zero_infinity), unbatched input,
lengths as Tensors or tuples, float32/float64; gradient checks through log_softmax; a recorded gradient whose
derivative is refused, as PyTorch's."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.functional import ctc_loss
from tests.helpers import check_gradients, make

# (name, T, C, blank, targets per sample, input lengths)
CASES = [
    ("plain", 6, 5, 0, [[1, 2, 3], [4, 1], [2]], [6, 5, 4]),
    ("repeated labels", 7, 4, 0, [[1, 1, 2], [3, 3, 3], [2, 2]], [7, 7, 5]),
    ("empty target", 5, 4, 0, [[], [1, 2], []], [5, 3, 1]),
    ("impossible", 3, 4, 0, [[1, 1, 1], [2, 3], [1]], [3, 2, 1]),  # 1,1,1 needs 5 frames; 2,3 needs 2
    ("blank last", 6, 5, 4, [[0, 1, 0], [3], [2, 2]], [6, 6, 4]),
    ("one frame", 1, 3, 0, [[1], [], [2]], [1, 1, 1]),
    ("zero frames", 4, 3, 0, [[], [1], [2, 1]], [0, 0, 4]),
    ("long", 30, 6, 0, [[1, 2, 2, 3, 4, 5, 5, 1], [3] * 6, [5, 4, 3, 2, 1]], [30, 18, 25]),
    ("single sample", 8, 5, 0, [[2, 4, 4]], [8]),
    ("all targets empty", 5, 3, 1, [[], [], []], [5, 2, 0]),  # extended labels of one blank each
]


def _padded(targets: list[list[int]]) -> np.ndarray:
    width = max(max((len(t) for t in targets), default=0), 1)
    out = np.full((len(targets), width), 1, dtype=np.int64)  # padding: any class, it is never read
    for n, t in enumerate(targets):
        out[n, :len(t)] = t
    return out


def _log_probs(rng: np.random.Generator, steps: int, batch: int, classes: int, dtype: str) -> np.ndarray:
    return torch.tensor(rng.standard_normal((steps, batch, classes))).log_softmax(2).numpy().astype(dtype)


# (target layout, reduction, zero_infinity, dtype): each option value meets every case at least once
OPTIONS = [("padded", "none", False, "float64"), ("concatenated", "mean", True, "float64"),
           ("padded", "sum", True, "float32"), ("concatenated", "none", False, "float32")]


@pytest.mark.parametrize("layout, reduction, zero_infinity, dtype", OPTIONS)
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_ctc_loss_matches_torch(backend, rng, case, zero_infinity, layout, reduction, dtype):
    _, steps, classes, blank, targets, input_lengths = case
    lp = _log_probs(rng, steps, len(targets), classes, dtype)
    target_lengths = [len(t) for t in targets]
    flat = np.array([v for t in targets for v in t], dtype=np.int64)
    target = _padded(targets) if layout == "padded" else flat
    options = dict(blank=blank, reduction=reduction, zero_infinity=zero_infinity)
    theirs = torch.tensor(lp, requires_grad=True)
    ref = torch.nn.functional.ctc_loss(theirs, torch.tensor(target), tuple(input_lengths), tuple(target_lengths),
                                       **options)
    ours = make(backend, lp, requires_grad=True)
    if layout == "padded":  # lengths as a Tensor and as a tuple, both ways round
        lengths = make(backend, np.array(input_lengths)), tuple(target_lengths)
    else:
        lengths = list(input_lengths), make(backend, np.array(target_lengths))
    out = ctc_loss(ours, make(backend, target), *lengths, **options)
    tolerance = dict(rtol=1e-12, atol=1e-12) if dtype == "float64" else dict(rtol=2e-5, atol=2e-5)
    assert out.dtype == ours.dtype and tuple(out.shape) == tuple(ref.shape)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), **tolerance)
    weights = rng.uniform(0.5, 1.5, tuple(ref.shape)).astype(dtype)
    (ref * torch.tensor(weights)).sum().backward()
    (out * make(backend, weights)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), equal_nan=True, **tolerance)


@pytest.mark.jax  # (eager JAX dispatches each step of the time loop: one case of the family)
def test_impossible_alignment_is_inf_with_nan_gradient(backend):
    lp = make(backend, _log_probs(np.random.default_rng(0), 2, 1, 3, "float64"), requires_grad=True)
    loss = ctc_loss(lp, make(backend, np.array([[1, 1]])), (2,), (2,), reduction="sum")  # needs 3 frames
    assert np.isinf(loss.numpy())
    loss.backward()
    assert np.isnan(lp.grad.numpy()).all()
    lp.grad = None
    zeroed = ctc_loss(lp, make(backend, np.array([[1, 1]])), (2,), (2,), reduction="sum", zero_infinity=True)
    zeroed.backward()
    assert zeroed.numpy() == 0 and (lp.grad.numpy() == 0).all()


@pytest.mark.parametrize("reduction", ["none", "mean"])
def test_unbatched_matches_torch(backend, rng, reduction):
    lp = _log_probs(rng, 6, 1, 4, "float64")[:, 0]
    theirs = torch.tensor(lp, requires_grad=True)
    ref = torch.nn.functional.ctc_loss(theirs, torch.tensor([1, 3, 3]), (6,), (3,), reduction=reduction)
    ours = make(backend, lp, requires_grad=True)
    out = anynn.nn.CTCLoss(reduction=reduction)(ours, make(backend, np.array([1, 3, 3])), (6,), (3,))
    assert tuple(out.shape) == tuple(ref.shape) == ()
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    ref.backward()
    out.backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_unbatched_1d_targets_are_the_concatenated_form(backend, rng):
    """Unbatched (S,) targets are read as PyTorch reads them: concatenated, exactly target_length entries (a longer,
    padded row is refused, as PyTorch refuses it; a (1, S) row may be padded)."""
    lp = _log_probs(rng, 6, 1, 4, "float64")[:, 0]
    with pytest.raises(RuntimeError, match="size 2 at dimension 0"):
        torch.nn.functional.ctc_loss(torch.tensor(lp), torch.tensor([1, 3, 3]), (6,), (2,))
    with pytest.raises(RuntimeError, match="ctc_loss.*concatenated targets.*2 entries, got 3"):
        ctc_loss(make(backend, lp), make(backend, np.array([1, 3, 3])), (6,), (2,))
    ref = torch.nn.functional.ctc_loss(torch.tensor(lp), torch.tensor([[1, 3, 3]]), (6,), (2,))
    out = ctc_loss(make(backend, lp), make(backend, np.array([[1, 3, 3]])), (6,), (2,))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)


@pytest.mark.parametrize("case", ["plain", "repeated labels", "empty target", "zero frames"])
def test_ctc_loss_gradient_check(backend, rng, case):
    _, steps, classes, blank, targets, input_lengths = next(c for c in CASES if c[0] == case)
    target, lengths = make(backend, _padded(targets)), tuple(len(t) for t in targets)
    logits = rng.standard_normal((steps, len(targets), classes))

    # through log_softmax, as PyTorch's gradient formula assumes (see anynn.functional.loss_ctc)
    def loss(x):
        return ctc_loss(x.log_softmax(2), target, tuple(input_lengths), lengths, blank=blank, reduction="none")

    check_gradients(backend, loss, logits)


def test_ctc_loss_gradient_records_but_refuses_its_derivative(backend, rng):
    """As PyTorch: grad(create_graph=True) / backward(create_graph=True) through ctc_loss run (the gradient, one
    CTCGradient node, requires grad) and differentiating that gradient raises (no derivative of ctc_loss's backward);
    anynn refused the first pass."""
    lp = make(backend, _log_probs(rng, 5, 2, 4, "float64"), requires_grad=True)
    loss = ctc_loss(lp, make(backend, np.array([[1, 2], [3, 3]])), (5, 5), (2, 2))
    (first,) = anynn.autograd.grad(loss, lp, retain_graph=True)
    (g,) = anynn.autograd.grad(loss, lp, create_graph=True)
    assert g.requires_grad and type(g.grad_fn).__name__ == "CTCGradient"
    np.testing.assert_allclose(g.numpy(), first.numpy(), rtol=1e-15)
    with pytest.raises(RuntimeError, match="derivative for aten::_ctc_loss_backward is not implemented"):
        anynn.autograd.grad((g * g).sum(), lp)


def test_ctc_loss_errors_name_the_op(backend, rng):
    lp = make(backend, _log_probs(rng, 3, 2, 4, "float64"))
    targets = make(backend, np.array([[1, 2, 3], [2, 1, 1]]))
    with pytest.raises(RuntimeError, match="ctc_loss.*input_lengths.*at most 3"):
        ctc_loss(lp, targets, (4, 3), (1, 1))
    with pytest.raises(RuntimeError, match="ctc_loss.*padded targets"):
        ctc_loss(lp, targets, (3, 3), (4, 1))
    with pytest.raises(RuntimeError, match="ctc_loss.*concatenated targets"):
        ctc_loss(lp, make(backend, np.array([1, 2, 3])), (3, 3), (2, 2))
    with pytest.raises(RuntimeError, match="ctc_loss.*blank"):
        ctc_loss(lp, targets, (3, 3), (2, 1), blank=4)
    with pytest.raises(RuntimeError, match="ctc_loss.*at least 0"):
        ctc_loss(lp, targets, (3, 3), (2, -1))
    with pytest.raises(RuntimeError, match="ctc_loss.*2 entries"):
        ctc_loss(lp, targets, (3,), (2, 1))
    with pytest.raises(RuntimeError, match="ctc_loss: log_probs tensor must not be empty"):
        ctc_loss(make(backend, np.zeros((0, 2, 4))), targets, (0, 0), (0, 0))
    with pytest.raises(TypeError, match="ctc_loss.*float32 or float64"):
        ctc_loss(make(backend, np.zeros((3, 2, 4), dtype=np.int64)), targets, (3, 3), (1, 1))
    for label in (4, -1):  # (NumPy's IndexError, or a number; PyTorch reads past the class axis: differences page)
        bad = make(backend, np.array([[1, label, 3], [2, 1, 1]]))
        with pytest.raises(IndexError, match=r"^ctc_loss: targets hold a label outside \[0, 4\)"):
            ctc_loss(lp, bad, (3, 3), (2, 1))
        bad_flat = make(backend, np.array([1, label, 2]))
        with pytest.raises(IndexError, match=r"^ctc_loss: targets hold a label outside \[0, 4\)"):
            ctc_loss(lp, bad_flat, (3, 3), (2, 1))
    assert np.isfinite(ctc_loss(lp, make(backend, np.array([[1, 2, 9], [2, -1, 7]])), (3, 3), (2, 1)).item())
