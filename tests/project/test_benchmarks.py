"""A smoke run of the benchmark harness, so it never rots (timings are not checked here)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


@pytest.fixture
def workloads(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import workloads as module

    return module


@pytest.mark.parametrize("impl", ["anynn", "torch", "handwritten"])
@pytest.mark.parametrize("name", ["mlp_b32", "xor", "cnn", "lstm", "mlp_infer"])
def test_every_workload_steps(workloads, impl, name):
    step = workloads.BUILDERS[impl](workloads.WORKLOADS[name], "numpy")
    for _ in range(2):
        out = step()
    value = out.detach().numpy() if hasattr(out, "detach") else np.asarray(getattr(out, "data", out))
    assert np.isfinite(value).all()


def test_harness_runs_and_writes_json(tmp_path):
    out = tmp_path / "bench.json"
    result = subprocess.run([sys.executable, str(BENCH / "run.py"), "--quick", "--repeats", "1", "--seconds", "0.05",
                             "--workloads", "xor", "--json", str(out)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "anynn/torch" in result.stdout and "anynn/handwritten" in result.stdout
    data = json.loads(out.read_text())
    for impl in ("anynn", "torch", "handwritten"):
        (run,) = data["results"]["xor"][impl]
        assert run["samples_per_s"] > 0 and run["peak_mib"] > 0


def test_harness_exits_nonzero_when_a_worker_fails():
    """A worker that raises (here: a workload the harness lacks) leaves its cell n/a and the run exits 1, so a
    broken benchmark cannot pass as a run without numbers (it exited 0 before)."""
    result = subprocess.run([sys.executable, str(BENCH / "run.py"), "--repeats", "1", "--seconds", "0.01",
                             "--workloads", "no_such_workload", "--implementations", "handwritten"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "handwritten/no_such_workload" in result.stderr and "n/a" in result.stdout
