"""glibc's malloc thresholds are settled when the NumPy backend starts: a step's freed arrays are reused, not
page-faulted in again every step (anynn/backend/host_memory.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from anynn.backend import host_memory

# A "training step" of the allocation pattern that page-faulted: 24 arrays of 256 KiB (each above glibc's starting
# 128 KiB mmap threshold) written, then all freed. Counts the minor page faults of steps 10-39.
STEP_FAULTS = textwrap.dedent("""
    import resource, sys
    import numpy as np
    if sys.argv[1] == "anynn":
        import anynn
        anynn.get_backend("numpy")
    def step():
        arrays = [np.ones(1 << 15) for _ in range(24)]
        del arrays
    for _ in range(10):
        step()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(30):
        step()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
""")


def _faults_per_step(kind: str) -> float:
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    for name in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_", "MALLOC_MMAP_MAX_"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "-c", STEP_FAULTS, kind], capture_output=True, text=True, env=env,
                         timeout=120, check=True)
    return int(out.stdout.split()[-1]) / 30


@pytest.mark.skipif(not host_memory.uses_glibc(), reason="the thresholds settled are glibc's")
def test_steps_reuse_freed_arrays_once_the_numpy_backend_started() -> None:
    # one step touches 24 x 64 pages; with glibc's starting thresholds each step faults most of them in again
    assert _faults_per_step("anynn") < 8


def test_settling_is_a_no_op_without_glibc(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_confstr(name: str) -> str:
        raise ValueError(f"unrecognized configuration name {name!r}")

    monkeypatch.setattr(host_memory.os, "confstr", no_confstr)
    assert host_memory.uses_glibc() is False
    monkeypatch.setattr(host_memory, "_settled", False)
    allocations = []
    import numpy as np

    monkeypatch.setattr(np, "empty", lambda *a, **k: allocations.append(a))
    host_memory.settle_malloc_thresholds()
    assert allocations == [] and host_memory._settled is True


def test_settling_happens_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(host_memory, "_settled", False)
    monkeypatch.setattr(host_memory, "uses_glibc", lambda: True)
    import numpy as np

    sizes = []
    real_empty = np.empty
    monkeypatch.setattr(np, "empty", lambda n, dtype=None: sizes.append(n) or real_empty(0, dtype))
    host_memory.settle_malloc_thresholds()
    host_memory.settle_malloc_thresholds()
    assert sizes == [host_memory.BLOCK_BYTES]
    assert host_memory.BLOCK_BYTES < 32 << 20  # glibc adapts only to blocks up to 32 MiB with their header
