"""benchmarks/gpu_check.py: stops cleanly without a GPU; its mixed-precision part runs (on NumPy here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _has_cuda() -> bool:
    sys.path.insert(0, str(BENCH))
    try:
        import gpu_check

        return gpu_check.cuda_device()[0] is not None
    finally:
        sys.path.remove(str(BENCH))


def test_gpu_check_without_gpu_exits_with_message():
    if _has_cuda():
        pytest.skip("a CUDA device is here: the check would run for minutes")
    result = subprocess.run([sys.executable, str(BENCH / "gpu_check.py")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "no CUDA device" in result.stderr and "nothing was run" in result.stderr
    assert result.stdout == ""


def test_gpu_check_mixed_precision_part_runs(monkeypatch):
    monkeypatch.syspath_prepend(str(BENCH))
    import gpu_check

    rows = gpu_check.amp_benchmark(["numpy"], 0.01, batch=4, width=8)
    assert [(r["model"], r["low"]) for r in rows] == [("mlp", "float16"), ("cnn", "float16")]
    assert all("error" not in r and r["float32_steps_s"] > 0 and r["autocast_steps_s"] > 0 for r in rows)
