"""The CNN digits example runs end to end: a short run here, the full >= 0.98 run as a slow test."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "digits_cnn.py"


def run_example(*args: str) -> tuple[list[float], float]:
    result = subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True, text=True, timeout=300,
                            cwd=EXAMPLE.parent.parent)
    assert result.returncode == 0, result.stderr
    losses = [float(x) for x in re.findall(r"^epoch +\d+: loss (\S+)$", result.stdout, re.M)]
    accuracy = re.search(r"^test accuracy: (0\.\d{4})$", result.stdout, re.M)
    assert accuracy is not None, result.stdout
    return losses, float(accuracy.group(1))


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_short_run_learns(backend):
    losses, accuracy = run_example("--backend", backend, "--epochs", "3")
    assert len(losses) == 3 and losses[-1] < losses[0] * 0.6
    assert accuracy > 0.8


@pytest.mark.slow
def test_full_run_reaches_98_percent():
    losses, accuracy = run_example("--backend", "numpy")
    assert len(losses) == 30
    assert accuracy >= 0.98
