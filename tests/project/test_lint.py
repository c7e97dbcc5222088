"""ruff is part of the test command: the code base stays lint-clean."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is not installed")
def test_ruff_clean():
    result = subprocess.run(["ruff", "check", "anynn", "tests", "examples"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


# the packages whose signatures mypy checks (Array/Namespace/Device/DType from anynn.backend.typing; the Tensor
# methods installed at import time are declared in anynn/autograd/tensor_surface.py)
TYPED_PACKAGES = ["anynn/backend", "anynn/autograd", "anynn/optim"]


@pytest.mark.skipif(shutil.which("mypy") is None, reason="mypy is not installed (pip install anynn[test])")
def test_mypy_clean():
    """mypy passes on the typed packages (its cache, .mypy_cache, keeps reruns to seconds)."""
    result = subprocess.run(["mypy", "--ignore-missing-imports", "--follow-imports=silent", *TYPED_PACKAGES],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
