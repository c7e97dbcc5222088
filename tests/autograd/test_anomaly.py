"""detect_anomaly: the first Function making a NaN/Inf, forward or backward, is named in the error."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import anynn.functional as F
from anynn.autograd import mode
from anynn.autograd.anomaly import detect_anomaly
from tests.helpers import make


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def test_forward_nan_names_the_function(backend):
    x = make(backend, np.array([1.0, -1.0, 2.0], np.float32), requires_grad=True)
    with detect_anomaly():
        y = F.exp(x)  # finite: passes
        with pytest.raises(FloatingPointError, match=r"Log\.forward produced NaN in output 0 \(shape \(3,\)\)"):
            F.log(x * y)


def test_forward_inf_is_reported_as_inf(backend):
    x = make(backend, np.array([0.0, 1.0], np.float32))
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"Log\.forward produced Inf"):
        F.log(x)


def test_backward_inf_names_the_function_and_the_input(backend):
    x = make(backend, np.array([0.0, 4.0], np.float32), requires_grad=True)
    with detect_anomaly():
        y = F.sqrt(x)  # sqrt(0) = 0 is fine; its gradient 1 / (2 sqrt(0)) is not
        np.testing.assert_array_equal(y.numpy(), [0.0, 2.0])
        with pytest.raises(FloatingPointError, match=r"Sqrt\.backward produced Inf in the gradient of input 0"):
            y.sum().backward()


def test_the_first_function_is_blamed_not_the_loss(backend):
    x = make(backend, np.array([[1.0, -2.0]], np.float32), requires_grad=True)
    with detect_anomaly(), pytest.raises(FloatingPointError, match=r"^Sqrt\.forward"):
        F.mse_loss(F.sqrt(x), x)


def test_without_the_context_nothing_is_checked_and_the_hook_is_restored(backend):
    x = make(backend, np.array([-1.0], np.float32), requires_grad=True)
    assert np.isnan(F.log(x).numpy()).all()
    with pytest.raises(FloatingPointError):
        with detect_anomaly():
            F.log(x)
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

    x = make(backend, np.array([-1.0], np.float32))
    try:
        anynn.autograd.set_detect_anomaly(True)
        torch.autograd.set_detect_anomaly(True)
        assert anynn.autograd.is_anomaly_enabled() and torch.is_anomaly_enabled()
        with pytest.raises(FloatingPointError, match=r"Log\.forward produced NaN"):
            F.log(x)
        with anynn.autograd.set_detect_anomaly(False), torch.autograd.set_detect_anomaly(False):
            assert not anynn.autograd.is_anomaly_enabled() and not torch.is_anomaly_enabled()
            assert np.isnan(F.log(x).numpy()).all()
        assert anynn.autograd.is_anomaly_enabled() and torch.is_anomaly_enabled()
    finally:
        anynn.autograd.set_detect_anomaly(False)
        torch.autograd.set_detect_anomaly(False)
    assert mode.anomaly_hook is None and not anynn.autograd.is_anomaly_enabled()
