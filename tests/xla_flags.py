"""XLA flags for the test processes, set before JAX starts its CPU backend (imported first by conftest.py)."""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

# XLA's CPU compiler at LLVM's lowest optimisation level: the suite's JAX programs are small and run once or a few
# times, so compiling them dominates (test_compile.py's twelve-model steps: 131 -> 92 CPU seconds); the results
# are the same programs, compared with tolerances or with each other.
# XLA's newer CPU fusion emitters (MLIR) compile each small program about twice as slowly as the classic LLVM IR
# emitters, and eager JAX compiles one program per primitive and shape: off, the jax subset's CPU time drops by a
# third (test_conv's grad checks and test_decompositions: 123 -> 77 s). Only for the jaxlib releases known to have
# the flag (XLA aborts on a flag it does not know: 0.5 lacks it; the test extra pins jax 0.10.2).
TEST_XLA_FLAGS = ["--xla_backend_optimization_level=0"]
try:
    if tuple(int(part) for part in version("jaxlib").split(".")[:2]) == (0, 10):
        TEST_XLA_FLAGS.append("--xla_cpu_use_fusion_emitters=false")
except (PackageNotFoundError, ValueError):  # jaxlib missing, or an odd version string: the default flags only
    pass
for flag in TEST_XLA_FLAGS:
    if flag.split("=")[0] not in os.environ.get("XLA_FLAGS", ""):
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + flag).strip()
