"""A smoke run of benchmarks/double_backward.py (issue 15's double-backward workload), so it never rots.

Timings are not checked here; the phases and the ratios are present for both implementations.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def test_double_backward_benchmark_runs_and_writes_json(tmp_path):
    out = tmp_path / "double_backward.json"
    result = subprocess.run([sys.executable, str(BENCH / "double_backward.py"), "--repeats", "1", "--seconds", "0.05",
                             "--dtypes", "float64", "--threads", "1", "--stat", "p10", "--json", str(out)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "anynn/torch" in result.stdout and "of first" in result.stdout
    data = json.loads(out.read_text())
    for impl in ("anynn", "torch"):
        (run,) = data["results"]["float64 b128"][impl]
        assert run["iterations"] >= 20
        assert all(len(run["times"][phase]) == run["iterations"] and min(run["times"][phase]) > 0
                   for phase in ("first", "create_graph", "second"))
