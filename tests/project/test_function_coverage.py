"""design.md's rule "every Function has a gradient check", enforced: each `Function` subclass in anynn is named
(by its class, its lowercase name or a function that applies it) in a test file that runs gradient checks, or is
in `EXEMPT` with the reason. Grad checks of Functions no other table reaches live at the end of this file."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import numpy as np

import anynn
from anynn.autograd.primitive import Function

from tests.helpers import check_gradients

ROOT = Path(anynn.__file__).resolve().parent
TESTS = Path(__file__).resolve().parents[1]
GRAD_CHECK = re.compile(r"check_gradients|grad_check|gradgrad_check")

# Function subclasses that need no gradient check of their own, and why
EXEMPT = {
    "_Reduced": "abstract base of the reduced losses (each loss is checked under its own name)",
    "_PoolNd": "abstract base of MaxPool/AvgPool (geometry only)",
    "_Recurrent": "abstract base of RecurrentCell/RecurrentSequence (weight-gradient bookkeeping only)",
    "_HookInputs": "identity node that carries module backward hooks (the gradient passes through unchanged)",
    "_HookOutputs": "identity node that carries module backward hooks (the gradient passes through unchanged)",
}
# packages that need optional libraries at import (their Functions, if any, are checked in their own tests)
SKIPPED_PACKAGES = ("anynn.onnx", "anynn.compile")


def _function_classes() -> list[type]:
    for info in pkgutil.walk_packages(anynn.__path__, "anynn."):
        if not info.name.startswith(SKIPPED_PACKAGES):
            try:
                importlib.import_module(info.name)
            except ImportError:  # an optional dependency (mpi4py, cupy...) is missing
                continue
    found, stack = [], list(Function.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("anynn.") and not cls.__module__.startswith(SKIPPED_PACKAGES):
            found.append(cls)
    return found


def _callers() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """``(applies, callers)``: the functions that call ``Name.apply`` per class name, and the callers of each
    function name, over anynn's source."""
    applies: dict[str, set[str]] = {}
    callers: dict[str, set[str]] = {}
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef):
                continue
            for call in ast.walk(node):
                if not isinstance(call, ast.Call):
                    continue
                func = call.func
                if isinstance(func, ast.Attribute) and func.attr == "apply" and isinstance(func.value, ast.Name):
                    applies.setdefault(func.value.id, set()).add(node.name)
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else None
                if name:
                    callers.setdefault(name, set()).add(node.name)
    return applies, callers


def test_every_function_has_a_gradient_check():
    applies, callers = _callers()
    words: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        text = path.read_text()
        if GRAD_CHECK.search(text):
            words |= set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))
    missing = []
    for cls in _function_classes():
        name = cls.__name__
        if name in EXEMPT:
            continue
        names = {name, name.lower()} | applies.get(name, set())
        for _ in range(2):  # the public function is at most two calls above the one that applies the class
            names |= {caller for n in list(names) for caller in callers.get(n, ())}
        if not names & words:
            missing.append(f"{cls.__module__}.{name}")
    assert not missing, ("Functions without a gradient check (add a row to their family's grad-check table, or an "
                         f"entry with the reason to EXEMPT): {sorted(missing)}")


def test_exemptions_are_real_functions():
    names = {cls.__name__ for cls in _function_classes()}
    assert set(EXEMPT) <= names, sorted(set(EXEMPT) - names)


# -- gradient checks of Functions no family table reaches ---------------------------------------------------


def test_pow_tensor_gradients(backend):
    rng = np.random.default_rng(0)
    base = rng.uniform(0.5, 2.0, (3, 4))
    exponent = rng.uniform(-1.5, 1.5, (3, 4))
    check_gradients(backend, lambda a, b: a ** b, base, exponent)  # PowTensor: both operands tensors


def test_index_put_gradients(backend):
    rng = np.random.default_rng(1)

    def put(x, v):
        y = x * 1.0  # a non-leaf, which may be written
        y[1:, ::2] = v  # IndexPut
        return y * y

    check_gradients(backend, put, rng.standard_normal((3, 4)), rng.standard_normal((2, 2)))
