"""anynn.set_num_threads / get_num_threads as PyTorch's: the BLAS pool (through threadpoolctl) and torch's pool."""

from __future__ import annotations

import sys

import pytest
import torch

import anynn
from anynn.backend import threads


@pytest.fixture
def restored_threads():
    """Put every pool back as it was (the limits, torch's pool, the remembered request)."""
    torch_threads = torch.get_num_threads()
    yield
    if threads._limits is not None:
        threads._limits.restore_original_limits()
    threads._limits, threads._requested = None, None
    torch.set_num_threads(torch_threads)


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2"])
def test_bad_counts_raise_as_pytorch(bad):
    with pytest.raises(RuntimeError) as theirs:
        torch.set_num_threads(bad)
    with pytest.raises(RuntimeError) as ours:
        anynn.set_num_threads(bad)
    assert str(ours.value) == str(theirs.value)


def test_one_thread_limits_blas_and_torch(restored_threads):
    threadpoolctl = pytest.importorskip("threadpoolctl")
    anynn.set_num_threads(1)
    assert anynn.get_num_threads() == 1
    blas = [p["num_threads"] for p in threadpoolctl.threadpool_info() if p["user_api"] == "blas"]
    assert blas and set(blas) == {1}
    assert torch.get_num_threads() == 1  # torch is loaded (this module imports it): its pool follows


def test_without_threadpoolctl_blas_keeps_its_pool_and_says_so(restored_threads, monkeypatch):
    monkeypatch.setitem(sys.modules, "threadpoolctl", None)  # import fails, as on a minimal install
    with pytest.warns(RuntimeWarning, match="pip install threadpoolctl"):
        anynn.set_num_threads(1)
    assert anynn.get_num_threads() == 1 and torch.get_num_threads() == 1
