"""The documentation's code runs: every ```python block of every page, and the site builds.

Each page's blocks run in order in one fresh namespace (a page is one story), in a temporary working
directory, with NumPy as the default backend. Blocks that must not run are fenced as ```text,
```bash or ```diff. A page needing an optional package that is missing here is skipped, not failed.
"""

from __future__ import annotations

import importlib.util
import inspect
import os
import re
import runpy
import subprocess
import sys
import time
import types
from pathlib import Path

import pytest

import anynn

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if "reference" not in p.relative_to(DOCS).parts)
# a block starts with ```python alone on its line and ends at the next ``` line; ```text, ```bash, ```diff never run
FENCE = re.compile(r"^```python[ \t]*\n(.*?)^```[ \t]*$", re.S | re.M)
OPTIONAL = {"torch", "sklearn", "array_api_strict", "matplotlib", "safetensors", "tqdm", "scipy", "jax", "ndonnx",
            "onnx", "onnxruntime", "spox"}
SECONDS_PER_PAGE = 5.0


def python_blocks(page: Path) -> list[tuple[int, str]]:
    """The ```python blocks of a page with the line number each starts on."""
    text = page.read_text(encoding="utf-8")
    return [(text.count("\n", 0, m.start()) + 2, m.group(1)) for m in FENCE.finditer(text)]


def page_id(page: Path) -> str:
    return page.relative_to(DOCS).as_posix()


def test_pages_found() -> None:
    assert len(PAGES) >= 10, f"expected the documentation pages under {DOCS}"
    assert sum(len(python_blocks(p)) for p in PAGES) >= 30


@pytest.mark.parametrize("page", PAGES, ids=page_id)
def test_page_code_runs(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = python_blocks(page)
    if not blocks:
        pytest.skip("no python blocks")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.syspath_prepend(str(ROOT))  # pages may import benchmarks/ or examples/ modules
    anynn.set_default_backend("numpy")
    namespace: dict = {"__name__": "__docs__"}
    start = time.process_time()  # this process's CPU time: other processes on a loaded machine do not count
    try:
        for line, code in blocks:
            try:
                exec(compile(code, f"{page_id(page)}:{line}", "exec"), namespace)
            except ImportError as exc:  # an optional package is missing (anynn's own messages say "pip install")
                missing = exc.name.split(".")[0] if exc.name else None
                if missing in OPTIONAL or (missing is None and "pip install" in str(exc)):
                    pytest.skip(f"{page_id(page)} needs an optional package: {exc}")
                raise
            except anynn.BackendUnavailable as exc:  # e.g. a page using backend="torch" without PyTorch
                pytest.skip(f"{page_id(page)}: {exc}")
    finally:
        anynn.set_default_backend("numpy")
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")
    elapsed = time.process_time() - start
    assert elapsed < 3 * SECONDS_PER_PAGE, f"{page_id(page)} took {elapsed:.1f} s of CPU; keep pages under ~5 s"


def test_every_image_exists() -> None:
    missing = []
    for page in PAGES:
        text = re.sub(r"<!--.*?-->", "", page.read_text(encoding="utf-8"), flags=re.S)  # commented out: not shown
        for target in re.findall(r"!\[[^\]]*\]\(([^)\s]+)", text):
            if not (page.parent / target).resolve().is_file():
                missing.append(f"{page_id(page)}: {target}")
    assert not missing, "images not found (run python docs/figures.py): " + ", ".join(missing)


@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="matplotlib is not installed")
def test_figures_script(tmp_path: Path) -> None:
    old = sys.argv
    sys.argv = ["figures.py", "--out", str(tmp_path), "--quick"]
    try:
        runpy.run_path(str(DOCS / "figures.py"), run_name="__main__")
    finally:
        sys.argv = old
    made = sorted(p.name for p in tmp_path.glob("*.png"))
    assert made == sorted(p.name for p in (DOCS / "img").glob("*.png") if p.name != "benchmark.png")


@pytest.mark.skipif(importlib.util.find_spec("mkdocs") is None, reason="mkdocs is not installed (the docs extra)")
def test_mkdocs_build_strict(tmp_path: Path) -> None:
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
                            cwd=ROOT, capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-8000:]
    assert (tmp_path / "site" / "index.html").is_file()
    assert (tmp_path / "site" / "reference" / "nn" / "index.html").is_file()
    _assert_reads_offline(tmp_path / "site")
    missing = undocumented_names(tmp_path / "site")
    assert not missing, f"public names missing from docs/reference/: {missing}"


def _assert_reads_offline(site: Path) -> None:
    """No page loads a script, stylesheet, font or image from the network; formulas are MathML already."""
    external_asset = re.compile(r'<(?:script|img|link|iframe)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"')
    for page in site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        found = [m.group(0) for m in external_asset.finditer(text) if 'rel="canonical"' not in m.group(0)]
        assert not found, f"{page.relative_to(site)} loads from the network: {found[:3]}"
    backprop = (site / "tutorial" / "backprop" / "index.html").read_text(encoding="utf-8")
    assert "<math" in backprop and "\\frac" not in backprop



# the public modules whose every name (their __all__) the API reference shows
REFERENCED_MODULES = ("anynn", "anynn.nn", "anynn.nn.functional", "anynn.optim", "anynn.autograd", "anynn.func",
                      "anynn.utils.data", "anynn.onnx", "anynn.multiprocessing", "anynn.distributions",
                      "anynn.jit")


def _resolve(path: str) -> object:
    """The object a dotted path names (the longest importable module, then attributes), or None."""
    parts = path.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for part in parts[i:]:
                obj = getattr(obj, part)
        except AttributeError:
            return None
        return obj
    return None


def _unwrap(obj: object) -> object:
    while hasattr(obj, "__wrapped__"):  # out= and other functools.wraps wrappers document their function
        obj = obj.__wrapped__
    return obj


def undocumented_names(site: Path) -> list[str]:
    """``module.name`` for each public name of `REFERENCED_MODULES` that the built reference neither renders (a
    heading whose id is that path, or the same object under another path) nor names in a table (``anynn.name`` in
    code), and ``anynn.Tensor.name`` for each public method or property of `Tensor` without a heading (under
    `Tensor` or the declared signatures, `TensorSurface`). The standard library's own names re-exported by
    `anynn.multiprocessing` are documented by Python."""
    ids: set[str] = set()
    code: set[str] = set()
    for page in (site / "reference").rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        ids.update(re.findall(r'\bid="(anynn[\w.]*)"', text))
        code.update(re.findall(r"<code>(anynn[\w.]*)</code>", text))
    shown = {id(_unwrap(obj)) for obj in map(_resolve, ids) if obj is not None}
    missing = []
    for module_name in REFERENCED_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            path = f"{module_name}.{name}"
            if isinstance(obj, types.ModuleType) or path in ids or path in code:
                continue
            if getattr(obj, "__module__", "").split(".")[0] == "multiprocessing":
                continue
            if not isinstance(obj, (str, int, float)) and id(_unwrap(obj)) in shown:
                continue
            missing.append(path)
    methods = {i.split(".")[-1] for i in ids if i.count(".") >= 2 and i.split(".")[-2] in ("Tensor", "TensorSurface")}
    missing += [f"anynn.Tensor.{n}" for n in dir(anynn.Tensor) if not n.startswith("_") and n not in methods]
    return missing


def test_reference_check_finds_a_missing_name(tmp_path: Path) -> None:
    page = tmp_path / "reference" / "nn" / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text('<h2 id="anynn.nn.Linear">Linear</h2> <code>anynn.nn.Conv1d</code>', encoding="utf-8")
    missing = undocumented_names(tmp_path)
    assert "anynn.nn.Linear" not in missing and "anynn.nn.Conv1d" not in missing
    assert "anynn.nn.Conv2d" in missing and "anynn.optim.Adam" in missing
    assert "anynn.multiprocessing.Queue" not in missing  # the standard library's own
    assert "anynn.multiprocessing.spawn" in missing  # anynn's
    assert "anynn.Tensor.amax" in missing  # Tensor's methods too


def test_every_public_callable_has_a_docstring() -> None:
    """The reference and ``help()`` show a sentence for each public function and class (not a bare signature)."""
    bare = []
    for module_name in REFERENCED_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or not callable(obj):
                continue
            if getattr(obj, "__module__", "").split(".")[0] == "multiprocessing":
                continue  # the standard library's own
            if not (inspect.getdoc(obj) or "").strip():
                bare.append(f"{module_name}.{name}")
    assert not bare, f"public callables without a docstring: {bare}"


def test_docstring_examples_run() -> None:
    """Every ``>>>`` example in anynn's docstrings runs and prints what it shows (illustrations that need a model or
    an MPI world say ``# doctest: +SKIP``), with ``anynn`` and ``np`` at hand as a reader's session has them."""
    import doctest

    import numpy as np

    names = []
    for path in sorted((ROOT / "anynn").rglob("*.py")):
        if ">>> " in path.read_text(encoding="utf-8"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    assert len(names) >= 10
    failed = []
    for name in names:
        result = doctest.testmod(importlib.import_module(name), extraglobs={"anynn": anynn, "np": np}, report=False,
                                 optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        if result.failed:
            failed.append(f"{name}: {result.failed} of {result.attempted}")
    assert not failed, f"docstring examples that fail (python -m doctest -v on the module shows them): {failed}"
