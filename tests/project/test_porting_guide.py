"""The "Porting from PyTorch" guide's compatibility table tells the truth about the package: every name marked
"yes" exists under anynn's twin of its PyTorch path, every name marked "no" does not (yet), and each exists in
PyTorch itself."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import anynn

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "guides" / "porting.md"
ROW = re.compile(r"^\| `([^`]+)` \| (yes|no) \|", re.M)
INSTANCE_ATTRIBUTES = {"grad", "shape", "dtype", "device", "T", "mT", "is_cuda", "param_groups", "state"}


def rows() -> list[tuple[str, str]]:
    return ROW.findall(GUIDE.read_text(encoding="utf-8"))


def _walk(root, root_name: str, path: list[str]) -> bool:
    obj, name = root, root_name
    for part in path:
        name = f"{name}.{part}"
        if hasattr(obj, part):
            obj = getattr(obj, part)
            continue
        try:
            obj = importlib.import_module(name)
        except ImportError:
            return False
    return True


def exists(name: str, library) -> bool:
    """Whether ``name`` ("torch.nn.Linear", "Tensor.view", "Module.apply", "Optimizer.step") exists in ``library``."""
    head, _, rest = name.partition(".")
    if head in ("Tensor", "Module", "Optimizer"):
        if rest in INSTANCE_ATTRIBUTES:
            if head == "Optimizer":
                x = library.nn.Parameter(library.ones(2))
                return hasattr(library.optim.SGD([x], lr=0.1), rest)
            return hasattr(library.ones(2, 2, requires_grad=True), rest)
        owner = {"Tensor": library.Tensor, "Module": library.nn.Module, "Optimizer": library.optim.Optimizer}[head]
        return hasattr(owner, rest)
    assert head == "torch", name
    return _walk(library, library.__name__, name.split(".")[1:])


def test_the_table_is_there() -> None:
    found = rows()
    assert len(found) >= 300
    assert len({name for name, _ in found}) == len(found), "a name is listed twice"


@pytest.mark.parametrize("name, status", rows())
def test_status_matches_the_package(name: str, status: str) -> None:
    assert exists(name, anynn) == (status == "yes"), (
        f"docs/guides/porting.md says {name} is {status!r} in anynn; update the table")


@pytest.mark.parametrize("name", [name for name, _ in rows()])
def test_every_listed_name_is_pytorchs(name: str) -> None:
    torch = pytest.importorskip("torch")
    assert exists(name, torch), f"{name} is not a PyTorch name"
