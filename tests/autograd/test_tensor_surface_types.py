"""`TensorSurface` declares the installed Tensor methods for type checkers: the same names and parameters as the table,
never a base class at run time, and mypy reads them (a misspelt method or a wrong argument type is an error)."""

from __future__ import annotations

import inspect
import shutil
import subprocess
from pathlib import Path

import pytest

import anynn  # noqa: F401  (installs the table)
from anynn.autograd.tensor import Tensor
from anynn.autograd.tensor_surface import TensorSurface
from anynn.functional import tensor_methods

ROOT = Path(__file__).resolve().parents[2]


def _declared() -> dict[str, object]:
    return {name: value for name, value in vars(TensorSurface).items()
            if callable(value) or isinstance(value, property)}


def test_the_surface_declares_exactly_the_installed_names():
    declared, installed = set(_declared()), set(tensor_methods.METHODS)
    assert declared - installed == set(), "declared but not installed"
    assert installed - declared == set(), "installed but not declared in anynn/autograd/tensor_surface.py"


def _parameters(method: object) -> list[tuple[str, object, object]]:
    """(name, kind, default) of each parameter after the tensor itself."""
    signature = inspect.signature(method)  # type: ignore[arg-type]
    return [(p.name, p.kind, p.default) for p in list(signature.parameters.values())[1:]]


@pytest.mark.parametrize("name", sorted(tensor_methods.METHODS))
def test_each_declaration_has_the_installed_parameters(name):
    installed, declared = tensor_methods.METHODS[name], _declared()[name]
    if isinstance(installed, property):
        assert isinstance(declared, property)
        return
    assert _parameters(declared) == _parameters(installed)


def test_the_surface_is_not_a_base_of_tensor_at_run_time():
    """Its bodies are ``...``: a method missing from the table must raise AttributeError, not return None."""
    assert Tensor.__mro__ == (Tensor, object)
    assert TensorSurface not in Tensor.__mro__


SNIPPET = """
from anynn.autograd.tensor import Tensor

def use(x: Tensor) -> None:
    reveal_type(x.sum(dim=1).exp())
    reveal_type(x.max())
    reveal_type(x.max(1))
    reveal_type(x.array)
    x.sumx()
    x.transpose("a", 0)
"""


@pytest.mark.skipif(shutil.which("mypy") is None, reason="mypy is not installed (pip install anynn[test])")
def test_mypy_reads_the_installed_methods(tmp_path):
    path = tmp_path / "use_tensor.py"
    path.write_text(SNIPPET)
    # the shared cache would replay a previous run's errors under that run's tmp_path (no line would match);
    # --no-site-packages: anynn is read from the checkout (cwd) and the libraries it imports are Any, which the
    # lines below do not depend on (test_mypy_clean reads them), and the cold cache costs 3 CPU s instead of 28
    result = subprocess.run(["mypy", "--ignore-missing-imports", "--follow-imports=silent", "--no-site-packages",
                             "--cache-dir", str(tmp_path / "mypy_cache"), str(path)],
                            capture_output=True, text=True, cwd=ROOT)
    lines = [line.split(": ", 1)[1].replace("Tuple[", "tuple[")  # older mypy writes Tuple
             for line in result.stdout.splitlines() if line.startswith(str(path))]
    assert lines == [
        'note: Revealed type is "anynn.autograd.tensor.Tensor"',
        'note: Revealed type is "anynn.autograd.tensor.Tensor"',
        'note: Revealed type is "tuple[anynn.autograd.tensor.Tensor, anynn.autograd.tensor.Tensor]"',
        'note: Revealed type is "Any"',
        'error: "Tensor" has no attribute "sumx"  [attr-defined]',
        'error: Argument 1 to "transpose" of "TensorSurface" has incompatible type "str"; expected "int"  [arg-type]',
    ], result.stdout + result.stderr
