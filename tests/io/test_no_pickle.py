"""No pickle anywhere in the package: loading a file must never run code."""

from __future__ import annotations

import pathlib
import re

import pytest

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "anynn"
FORBIDDEN = [
    # (one import allowed: the exception class that CorruptFileError and UnsafeGlobalError derive from, as torch.load
    # raises it and ported programs catch it)
    (re.compile(r"^\s*(import|from)\s+(c?pickle|dill|cloudpickle|joblib|shelve|marshal)\b"
                r"(?!\s+import\s+UnpicklingError\s*(#.*)?$)", re.M), "a pickle import"),
    (re.compile(r"allow_pickle\s*=\s*True"), "allow_pickle=True"),
    (re.compile(r"\btorch\.load\s*\("), "torch.load (unpickles)"),
    (re.compile(r"\bpickle\.loads?\s*\("), "pickle.load"),
    (re.compile(r"\b__reduce(_ex)?__\b"), "a pickle protocol method"),
]


def sources() -> list[pathlib.Path]:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 20, f"expected the anynn sources under {PACKAGE}"
    return files


@pytest.mark.parametrize("pattern,what", FORBIDDEN, ids=[w for _, w in FORBIDDEN])
def test_no_pickle_in_the_package(pattern, what):
    hits = [f"{path.relative_to(PACKAGE.parent)}:{text[:m.start()].count(chr(10)) + 1}"
            for path in sources() for text in [path.read_text(encoding="utf-8")] for m in pattern.finditer(text)]
    assert not hits, f"{what} found in: {', '.join(hits)}"


def test_every_np_load_disallows_pickle():
    call = re.compile(r"\bnp\.load\s*\(([^)]*)\)")
    for path in sources():
        for m in call.finditer(path.read_text(encoding="utf-8")):
            assert "allow_pickle=False" in m.group(1), f"{path}: np.load without allow_pickle=False"
