"""One backend fixture for the whole suite: every test written once, run on every backend."""

from __future__ import annotations

import gc
import os
import zlib

# pytest-xdist runs one test process per core (pyproject's addopts): each keeps its BLAS and PyTorch to one thread,
# so the processes share the cores instead of oversubscribing them (set before NumPy or PyTorch start their pools)
if os.environ.get("PYTEST_XDIST_WORKER"):
    for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(_variable, "1")

from tests import xla_flags  # noqa: F401  (sets XLA_FLAGS before anything imports JAX)

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import anynn
from anynn.backend import BackendUnavailable, get_backend

# Hypothesis: under CI=true every run tries the same examples (derandomized, no example database), so a
# red build is reproducible and a green one stays green; locally the examples are random and failures
# are remembered in .hypothesis/ (git-ignored). HYPOTHESIS_PROFILE=ci runs the CI choice locally.
settings.register_profile("ci", derandomize=True, database=None, deadline=None, print_blob=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("dev", deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE")
                      or ("ci" if os.environ.get("CI", "").strip().lower() in ("true", "1", "yes") else "dev"))

# "numpy-portable" is NumPy's variant with every fast path off (`Backend.portable`), so the standard-only
# fallbacks run too. Adding a backend to the suite is one entry here.
BACKENDS = ["numpy", "numpy-portable", "array_api_strict", "array_api_strict:device1", "torch", "jax", "cupy"]
# Eager JAX dispatches every call and compiles a program per primitive and shape: the jax backend runs the test
# modules and tests marked `jax` (pytestmark = pytest.mark.jax), the families the backend-seam issue names, unless
# ANYNN_TEST_JAX=all; pytest.mark.jax(run=False) on a test (or a parametrize row) keeps it out of its module's jax
# subset. Of a marked test function's jax rows the default run takes its first and a fixed third of the others
# (chosen by a hash of the test id, so the same rows every run): every function runs on jax, and the combinations
# of its arguments run on the other backends (the row sample was 300 of the suite's 450 jax CPU seconds).
# ANYNN_TEST_JAX=marked runs every row of the marked tests.
_JAX_CHOICE = os.environ.get("ANYNN_TEST_JAX", "").strip()
_JAX_EVERYWHERE = _JAX_CHOICE == "all"
_JAX_EVERY_ROW = _JAX_CHOICE in ("all", "marked")
_JAX_ROW_SHARE = 3  # one row in three beside each function's first


def _outside_jax_row_sample(items: list[pytest.Item]) -> set[int]:
    """Indices (into ``items``) of the jax rows left out of the default run's sample (see above)."""
    if _JAX_EVERY_ROW:
        return set()
    seen: set[tuple[str, str]] = set()
    left_out = set()
    for index, item in enumerate(items):
        if getattr(getattr(item, "callspec", None), "params", {}).get("backend") != "jax" or _outside_jax_subset(item):
            continue
        function = (str(item.path), getattr(item, "originalname", item.name))
        if function not in seen:
            seen.add(function)
            continue
        if zlib.crc32(item.nodeid.encode()) % _JAX_ROW_SHARE:
            left_out.add(index)
    return left_out


def _available(name: str) -> bool:
    try:
        get_backend(name)
        return True
    except BackendUnavailable:
        return False


# The default matrix (README's test command, CI): numpy, array_api_strict on its second device, torch, jax's subset
# and cupy where a GPU works. Two rows are left to ANYNN_TEST_BACKENDS=all because another row already runs their
# code: array_api_strict on its default device (device1 runs the same standard-only code, and checks that every
# array follows its input's device too) and numpy-portable (NumPy with its fast paths off: the standard-only
# fallbacks, which array_api_strict runs under stricter rules). They were a fifth of the suite's time.
# ANYNN_TEST_BACKENDS=numpy,torch (names from BACKENDS) runs the named rows only.
_FULL_MATRIX_ONLY = ("numpy-portable", "array_api_strict")


def _backends_run() -> set[str]:
    chosen = os.environ.get("ANYNN_TEST_BACKENDS", "").strip()
    if chosen == "all":
        return set(BACKENDS)
    if chosen:
        names = {name.strip() for name in chosen.split(",") if name.strip()}
        unknown = names - set(BACKENDS)
        if unknown:
            raise pytest.UsageError(f"ANYNN_TEST_BACKENDS names {sorted(unknown)}: the suite's backends are {BACKENDS}")
        return names
    return set(BACKENDS) - set(_FULL_MATRIX_ONLY)


def _outside_jax_subset(node: pytest.Item) -> bool:
    jax_mark = node.get_closest_marker("jax")
    return not _JAX_EVERYWHERE and (jax_mark is None or jax_mark.kwargs.get("run") is False)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest):
    """A `Backend` (skipped, never failed, where it is not available, e.g. cupy without a GPU)."""
    name = request.param
    if name == "jax" and _outside_jax_subset(request.node):
        pytest.skip("this test is outside the jax subset (mark it pytest.mark.jax, or set ANYNN_TEST_JAX=all)")
    if not _available(name):
        pytest.skip(f"backend {name} is not available here")
    return get_backend(name)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the items the `backend` fixture would only skip (jax outside its subset; a backend this machine
    lacks, such as cupy without a GPU), whose setup and reports cost CI minutes for nothing, and the rows outside
    the matrix chosen (`_backends_run`). The summary counts them as deselected."""
    available: dict[str, bool] = {}
    run = _backends_run()
    kept, dropped = [], []
    outside_sample = _outside_jax_row_sample(items)
    for index, item in enumerate(items):
        if index in outside_sample:
            dropped.append(item)
            continue
        name = getattr(getattr(item, "callspec", None), "params", {}).get("backend")
        if name is not None and name not in run and "backend" in getattr(item, "fixturenames", ()):
            dropped.append(item)
            continue
        if name in ("jax", "cupy") and "backend" in getattr(item, "fixturenames", ()):
            if name == "jax" and _outside_jax_subset(item):
                dropped.append(item)
                continue
            if name not in available:
                available[name] = _available(name)
            if not available[name]:
                dropped.append(item)
                continue
        kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move what collection made (every test module, PyTorch, JAX, onnxruntime: ~1.8 million objects in a worker
    of the full suite) out of the garbage collector's sight: each full collection, a test's gc.collect() or an
    automatic one, walked them all (about a second each); the objects tests make stay collectable."""
    gc.freeze()


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _seed_init():
    anynn.manual_seed(0)
    yield


@pytest.fixture(autouse=True)
def _default_dtype_float32():
    """Every test starts and ends with float32 as the default dtype: a test that sets another
    (`anynn.set_default_dtype`) cannot leak it into the tests a worker runs after it."""
    anynn.set_default_dtype(anynn.float32)
    yield
    anynn.set_default_dtype(anynn.float32)
