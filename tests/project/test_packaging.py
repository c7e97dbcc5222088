"""pyproject.toml's promises hold on a fresh machine: the dependency floors are releases the code runs on, and the
metadata builds with the setuptools it asks for (fresh-machine installs are checked by hand: a venv per extra)."""

from __future__ import annotations

import re
from pathlib import Path

PYPROJECT = (Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8")


def floor(requirement: str) -> tuple[int, ...]:
    found = re.search(rf'"{re.escape(requirement)}>=([0-9.]+)"', PYPROJECT)
    assert found, f"pyproject.toml lists no floor for {requirement}"
    return tuple(int(part) for part in found.group(1).split("."))


def test_dependency_floors_and_license_metadata_build_on_a_fresh_machine() -> None:
    # the math uses ndarray.mT and NEP 50 promotion (NumPy 2.0): on NumPy 1.26 nn.Linear raised AttributeError
    assert floor("numpy") >= (2, 0)
    # NumPy 2.0 to 2.2.4 import DLPack arrays read-only: Adam(amsgrad=True) stepping a state loaded from PyTorch's
    # optimizer raised 'output array is read-only' (tests/optim, run on NumPy 2.0.0 and 2.2.4; 2.2.5 passes)
    assert floor("numpy") >= (2, 2, 5)
    # ReLU's xp.maximum(x, 0.0) (a Python scalar, as the 2024.12 standard allows): array-api-compat 1.15's torch
    # wrapper raised "maximum(): argument 'other' must be Tensor, not float" (the torch backend's every ReLU)
    assert floor("array-api-compat") >= (1, 16)
    # an SPDX string (a TOML table is deprecated by setuptools, to fail from 2027) needs setuptools 77
    assert re.search(r'^license = "[A-Za-z0-9.-]+"$', PYPROJECT, re.M)
    assert floor("setuptools") >= (77,)
    # the license's text ships with it (setuptools 77 puts LICENSE* in the sdist and the wheel's .dist-info)
    license_text = (Path(__file__).resolve().parents[2] / "LICENSE").read_text()
    assert license_text.startswith("MIT License") and 'license = "MIT"' in PYPROJECT
    # the README's `pip install -e ".[examples]"` runs every example, digits_fit.py --plot (History.plot) included
    examples = re.search(r"^examples = \[(.*?)\]", PYPROJECT, re.M)
    assert examples and all(f'"{name}>=' in examples.group(1) for name in ("scikit-learn", "tqdm", "matplotlib"))
    # the onnx extra runs what it exports (ONNXProgram) and lets ndonnx propagate values without its warning
    onnx = re.search(r"^onnx = \[(.*?)\]", PYPROJECT, re.M)
    assert onnx and all(f'"{name}>=' in onnx.group(1) for name in ("ndonnx", "onnx", "onnxruntime"))
    # ndonnx 0.23 needs Python 3.11: unmarked, `pip install 'anynn[onnx]'` found no ndonnx on 3.10 and refused the
    # whole install (requires-python is >=3.10); marked, the rest installs and anynn.onnx.export says why
    assert "\"ndonnx>=0.23; python_version >= '3.11'\"" in onnx.group(1) and 'requires-python = ">=3.10"' in PYPROJECT
    # `pip install 'anynn[all]'`: every extra that runs without a GPU, MPI launcher or docs toolchain
    everything = re.search(r'^all = \["anynn\[([\w,-]+)\]"\]', PYPROJECT, re.M)
    extras = set(re.findall(r"^([\w-]+) = \[", PYPROJECT.split("[project.optional-dependencies]")[1].split("\n[")[0],
                            re.M))
    by_hand = {"all", "test", "docs", "mpi"} | {name for name in extras if "cuda" in name}
    assert everything and set(everything.group(1).split(",")) == extras - by_hand


def test_every_data_file_of_the_package_ships_in_the_wheel() -> None:
    # setuptools puts only .py files in a wheel unless package-data names the others: load_digits' data file must
    # ship (a core install reads it), and each name listed must exist
    root = Path(__file__).resolve().parents[2]
    table = re.search(r"^\[tool\.setuptools\.package-data\]\n(.*?)(?:\n\[|\Z)", PYPROJECT, re.M | re.S)
    assert table, "pyproject.toml has no [tool.setuptools.package-data] table"
    listed = {(root / package.replace(".", "/") / name).resolve()
              for package, names in re.findall(r'^"([\w.]+)" = \[(.*?)\]', table.group(1), re.M)
              for name in re.findall(r'"([^"]+)"', names)}
    assert all(path.is_file() for path in listed), sorted(str(p) for p in listed if not p.is_file())
    data = {path.resolve() for path in (root / "anynn").rglob("*") if path.is_file()
            and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts}
    assert data <= listed, f"not in package-data: {sorted(str(p) for p in data - listed)}"


def test_the_sdist_carries_what_the_suite_reads() -> None:
    # setuptools' default sdist took tests/test*.py alone (no conftest.py, helpers or subfolders) and no docs, examples
    # or benchmarks: a suite run from the sdist failed at collection. MANIFEST.in grafts each folder the suite reads
    root = Path(__file__).resolve().parents[2]
    manifest = (root / "MANIFEST.in").read_text(encoding="utf-8").splitlines()
    assert {f"graft {folder}" for folder in ("tests", "docs", "examples", "benchmarks")} <= set(manifest)
    assert "include mkdocs.yml" in manifest and (root / "mkdocs.yml").is_file()
