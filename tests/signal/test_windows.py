"""``anynn.signal.windows`` against ``torch.signal.windows``: every window, symmetric and periodic, lengths 0 to 8,
in float64 and the default float32, on every backend; parameters and refusals."""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import torch

import anynn
import anynn.signal.windows as windows

PARAMETERS = {"general_cosine": {"a": [0.4, 0.4, 0.2]}, "general_hamming": {"alpha": 0.6}, "gaussian": {"std": 0.7},
              "exponential": {"tau": 2.0}, "kaiser": {"beta": 5.0}}


@pytest.mark.parametrize("name", windows.__all__)
def test_windows_match_torch(backend, name):
    assert name in torch.signal.windows.__all__
    for M in (0, 1, 2, 5, 8):
        for sym in (True, False):
            for kwargs in ({}, PARAMETERS.get(name, {})):
                if name == "general_cosine" and not kwargs:
                    continue
                ours = getattr(windows, name)(M, sym=sym, dtype=anynn.float64, backend=backend, **kwargs)
                theirs = getattr(torch.signal.windows, name)(M, sym=sym, dtype=torch.float64, **kwargs)
                assert ours.backend == backend and tuple(ours.shape) == tuple(theirs.shape)
                np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-15)
    default = getattr(windows, name)(6, backend=backend, **PARAMETERS.get(name, {}))
    assert default.dtype == anynn.float32


def test_namespace_and_refusals_as_torch():
    assert importlib.import_module("anynn.signal.windows") is anynn.signal.windows
    np.testing.assert_allclose(windows.exponential(5, center=1.0, tau=2.0, sym=False).numpy(),
                               torch.signal.windows.exponential(5, center=1.0, tau=2.0, sym=False).numpy(), rtol=1e-6)
    for call, message in ((lambda w, t: w.hann(-1), "requires non-negative window length"),
                          (lambda w, t: w.hann(3, dtype=t.int64), "expects float32 or float64 dtypes"),
                          (lambda w, t: w.gaussian(3, std=0), "Standard deviation must be positive"),
                          (lambda w, t: w.exponential(3, center=1.0), "Center must be None for symmetric windows")):
        for lib, w in ((anynn, windows), (torch, torch.signal.windows)):
            with pytest.raises(ValueError, match=message):
                call(w, lib)
    assert windows.hann(4, requires_grad=True).requires_grad
