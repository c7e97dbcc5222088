"""gumbel_softmax: exactly PyTorch's with the same noise (forward and gradients, soft and straight-through hard
samples), a float64 gradient check with the noise held fixed, and the distribution of the seeded samples (the Gumbel
noise's moments, the arg-max frequencies of the Gumbel-max trick) next to PyTorch's, on every backend."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.nn.functional as F
from anynn.functional import gumbel as gumbel_module
from anynn.functional.value_checks import UnsupportedDTypeError
from tests.helpers import check_gradients, compare_with_torch, make

CASES = [  # (tau, hard, dim, logits shape)
    (1.0, False, -1, (4, 5)),
    (0.5, True, -1, (4, 5)),
    (2.0, True, 0, (3, 4, 2)),
    (0.7, False, 1, (3, 4, 2)),
    (1.3, True, 1, (2, 6)),
]


def _torch_noise(shape: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """The Exp(1) draws PyTorch's gumbel_softmax makes right after ``torch.manual_seed(seed)``."""
    torch.manual_seed(seed)
    return torch.empty(shape, dtype=dtype).exponential_()


def _patch_noise(monkeypatch: pytest.MonkeyPatch, backend, exponential: np.ndarray) -> None:
    monkeypatch.setattr(gumbel_module, "gumbel_noise", lambda logits: -anynn.log(make(backend, exponential)))


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("tau, hard, dim, shape", CASES)
def test_same_noise_gives_torchs_values_and_gradients(backend, monkeypatch, tau, hard, dim, shape, dtype):
    logits = np.random.default_rng(3).standard_normal(shape).astype(dtype)
    exponential = _torch_noise(shape, getattr(torch, dtype), seed=7)
    _patch_noise(monkeypatch, backend, exponential.numpy())

    def theirs(t):
        torch.manual_seed(7)
        return TF.gumbel_softmax(t, tau=tau, hard=hard, dim=dim)

    tolerance = dict(rtol=1e-5, atol=1e-6) if dtype == "float32" else dict(rtol=1e-11, atol=1e-12)
    compare_with_torch(backend, lambda t: F.gumbel_softmax(t, tau=tau, hard=hard, dim=dim), theirs, logits,
                       **tolerance)


@pytest.mark.parametrize("tau, hard, dim, shape", CASES)
def test_gradients_with_the_noise_held_fixed(backend, monkeypatch, tau, hard, dim, shape):
    """Soft samples: a float64 gradient check; hard samples: one-hot values, the soft sample's gradient."""
    rng = np.random.default_rng(4)
    logits, exponential = rng.standard_normal(shape), rng.exponential(size=shape)
    _patch_noise(monkeypatch, backend, exponential)
    weights = make(backend, rng.standard_normal(shape))
    if not hard:
        check_gradients(backend, lambda t: F.gumbel_softmax(t, tau, dim=dim), logits)
        return
    x_hard, x_soft = make(backend, logits, requires_grad=True), make(backend, logits, requires_grad=True)
    y_hard, y_soft = F.gumbel_softmax(x_hard, tau, hard=True, dim=dim), F.gumbel_softmax(x_soft, tau, dim=dim)
    expected = np.argmax(y_soft.detach().numpy(), axis=dim)
    assert np.array_equal(y_hard.detach().numpy().sum(axis=dim), np.ones(expected.shape))
    assert np.array_equal(np.argmax(y_hard.detach().numpy(), axis=dim), expected)
    (y_hard * weights).sum().backward()
    (y_soft * weights).sum().backward()
    np.testing.assert_allclose(x_hard.grad.numpy(), x_soft.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_noise_is_standard_gumbel_and_seeded(backend):
    anynn.manual_seed(11)
    logits = make(backend, np.zeros((50_000,), dtype=np.float32))
    noise = gumbel_module.gumbel_noise(logits).numpy().astype(np.float64)
    torch.manual_seed(11)
    reference = (-torch.empty(50_000).exponential_().log()).double().numpy()
    euler_gamma, variance = 0.5772156649, math.pi ** 2 / 6
    for sample in (noise, reference):  # 5 standard errors of the mean, about 10% of the variance
        assert np.all(np.isfinite(sample))
        assert abs(sample.mean() - euler_gamma) < 5 * math.sqrt(variance / sample.size)
        assert abs(sample.var() - variance) < 0.1 * variance
    anynn.manual_seed(11)
    assert np.array_equal(gumbel_module.gumbel_noise(logits).numpy(), noise.astype(np.float32))


@pytest.mark.parametrize("tau", [1.0, 0.3])
def test_hard_samples_follow_the_softmax_probabilities_as_torchs(backend, tau):
    """Gumbel-max: the arg-max falls on class k with probability softmax(logits)_k whatever tau is."""
    rows, logits_row = 20_000, np.array([1.0, 0.0, -1.0, 0.5], dtype=np.float32)
    probabilities = np.exp(logits_row) / np.exp(logits_row).sum()
    logits = np.tile(logits_row, (rows, 1))
    anynn.manual_seed(5)
    ours = F.gumbel_softmax(make(backend, logits), tau=tau, hard=True).numpy()
    torch.manual_seed(5)
    theirs = TF.gumbel_softmax(torch.from_numpy(logits), tau=tau, hard=True).numpy()
    bound = 5 * np.sqrt(probabilities * (1 - probabilities) / rows)
    for sample in (ours, theirs):
        assert np.array_equal(sample.sum(axis=1), np.ones(rows))
        assert np.all(np.abs(sample.mean(axis=0) - probabilities) < bound)


def test_eps_warning_and_integer_logits_as_torch(backend):
    logits = make(backend, np.zeros((2, 3), dtype=np.float32))
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        F.gumbel_softmax(logits, eps=1e-5)
    with pytest.warns(UserWarning, match="`eps` parameter is deprecated"):
        TF.gumbel_softmax(torch.zeros(2, 3), eps=1e-5)
    with pytest.raises(UnsupportedDTypeError, match="gumbel_softmax"):
        F.gumbel_softmax(make(backend, np.zeros((2, 3), dtype=np.int64)))
    with pytest.raises(RuntimeError):
        TF.gumbel_softmax(torch.zeros(2, 3, dtype=torch.int64))
    with pytest.raises(TypeError, match=r"^gumbel_softmax\(\): argument 'logits' must be Tensor, not numpy.ndarray"):
        F.gumbel_softmax(np.zeros((2, 3), np.float32))  # (was an AttributeError: no attribute 'backend')
