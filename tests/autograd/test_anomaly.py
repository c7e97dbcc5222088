"""detect_anomaly as PyTorch's: the first backward that returns a NaN gradient is named in the error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import anynn
import anynn.functional as F
from anynn.autograd import mode
from anynn.autograd.anomaly import detect_anomaly
from tests.helpers import make


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _sqrt_of(lib, values, x=None):
    """``sqrt(x).sum()`` backward under ``lib``'s detect_anomaly; the gradient, or the error's message."""
    x = lib.tensor(values, requires_grad=True) if x is None else x
    try:
        with lib.autograd.detect_anomaly():
            lib.sqrt(x).sum().backward()
    except RuntimeError as error:
        return str(error)
    return x.grad.tolist()


def test_a_nan_gradient_names_the_function_and_the_input_as_pytorch(backend):
    """sqrt(-1)'s gradient is NaN: both refuse it; sqrt(0)'s is inf, which PyTorch lets through, as anynn now."""
    import torch

    message = _sqrt_of(torch, [-1.0, 4.0])
    assert message.startswith("Function 'SqrtBackward0' returned nan values in its 0th output")
    x = make(backend, np.array([-1.0, 4.0], np.float32), requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError, match=r"^Function 'Sqrt\.backward' returned nan values in "
                                                             r"its 0th output \(the gradient of input 0, shape \(2,\)"):
        F.sqrt(x).sum().backward()
    assert x.grad is None
    x = make(backend, np.array([0.0, 4.0], np.float32), requires_grad=True)
    assert _sqrt_of(anynn, None, x) == _sqrt_of(torch, [0.0, 4.0]) == [float("inf"), 0.25]


def test_forward_values_are_not_checked_as_pytorch(backend):
    """A -inf attention mask, log(0) and a NaN that where() discards run under detect_anomaly, as in PyTorch (anynn
    refused any NaN or Inf a forward made, so a causal transformer could not run with it on)."""
    import torch

    grads = []
    for lib, x in ((torch, torch.tensor([[0.5, -1.0, 2.0]], requires_grad=True)),
                   (anynn, make(backend, np.array([[0.5, -1.0, 2.0]], np.float32), requires_grad=True))):
        mask = x.detach() < 0
        with lib.autograd.detect_anomaly():
            weights = x.masked_fill(mask, float("-inf")).softmax(-1)
            safe = lib.where(x > 0, x.log(), lib.zeros_like(x))  # log(-1) is NaN, then discarded
            assert lib.isinf(lib.log(x * 0)).all()
            (weights * safe).sum().backward()
        grads.append(x.grad.tolist())
    np.testing.assert_allclose(grads[1], grads[0], rtol=1e-6)


def test_the_loss_whose_backward_makes_the_nan_is_named_as_pytorch(backend):
    import torch

    messages = []
    for lib, x in ((torch, torch.tensor([[1.0, -2.0]], requires_grad=True)),
                   (anynn, make(backend, np.array([[1.0, -2.0]], np.float32), requires_grad=True))):
        with lib.autograd.detect_anomaly(), pytest.raises(RuntimeError, match="returned nan values") as caught:
            lib.nn.functional.mse_loss(lib.sqrt(x), x).backward()
        messages.append(str(caught.value).split("' returned")[0])
    assert messages == ["Function 'MseLossBackward0", "Function 'MSE.backward"]


def test_without_the_context_nothing_is_checked_and_the_hook_is_restored(backend):
    x = make(backend, np.array([-1.0], np.float32), requires_grad=True)
    F.sqrt(x).sum().backward()
    assert np.isnan(x.grad.numpy()).all()
    with pytest.raises(FloatingPointError):  # (AnomalyError is one too)
        with detect_anomaly():
            F.sqrt(x).sum().backward()
    assert mode.anomaly_hook is None
    with detect_anomaly(check_nan=False):
        assert mode.anomaly_hook is None
    with detect_anomaly():
        with detect_anomaly():
            pass
        assert mode.anomaly_hook is not None
    assert mode.anomaly_hook is None


def test_finite_training_step_passes_with_integer_inputs(backend):
    x = make(backend, np.array([[0.5, -1.0, 2.0], [1.0, 0.0, -3.0]], np.float32), requires_grad=True)
    labels = make(backend, np.array([2, 0], np.int64))
    with detect_anomaly():
        loss = F.cross_entropy(x, labels)
        loss.backward()
    assert np.isfinite(x.grad.numpy()).all()


def test_set_detect_anomaly_as_a_call_and_as_a_context_like_pytorch(backend):
    """``torch.autograd.set_detect_anomaly(True)`` switches detection on at once (training scripts call it at the
    top); in a ``with`` block the previous setting comes back at the end."""
    import torch

    import anynn

    x = make(backend, np.array([-1.0], np.float32), requires_grad=True)
    try:
        anynn.autograd.set_detect_anomaly(True)
        torch.autograd.set_detect_anomaly(True)
        assert anynn.autograd.is_anomaly_enabled() and torch.is_anomaly_enabled()
        with pytest.raises(RuntimeError, match=r"Sqrt\.backward' returned nan"):
            F.sqrt(x).sum().backward()
        with anynn.autograd.set_detect_anomaly(False), torch.autograd.set_detect_anomaly(False):
            assert not anynn.autograd.is_anomaly_enabled() and not torch.is_anomaly_enabled()
            F.sqrt(x).sum().backward()
            assert np.isnan(x.grad.numpy()).all()
        assert anynn.autograd.is_anomaly_enabled() and torch.is_anomaly_enabled()
    finally:
        anynn.autograd.set_detect_anomaly(False)
        torch.autograd.set_detect_anomaly(False)
    assert mode.anomaly_hook is None and not anynn.autograd.is_anomaly_enabled()
    for not_a_bool in ("yes", 1, None):  # PyTorch's TypeError (bool("no") would be True); nothing switched
        for lib in (torch, anynn):
            with pytest.raises(TypeError, match="must be bool, not"):
                lib.autograd.set_detect_anomaly(not_a_bool)
    assert not anynn.autograd.is_anomaly_enabled()
