"""Without the onnx extra, export says which extra to install (not a bare ModuleNotFoundError)."""

from __future__ import annotations

import sys

import pytest

import anynn
from anynn import nn
from anynn.backend import BackendUnavailable


@pytest.mark.parametrize("missing", ["onnx", "ndonnx"])
def test_export_without_the_extra_names_it(monkeypatch, tmp_path, missing) -> None:
    for name in list(sys.modules):
        if name == missing or name.startswith(missing + ".") or name.startswith("anynn.backend.ndonnx"):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, missing, None)  # import of it raises ImportError
    with pytest.raises((ImportError, BackendUnavailable), match=r"pip install 'anynn\[onnx\]'"):
        anynn.onnx.export(nn.Linear(3, 2), anynn.randn(1, 3), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()
