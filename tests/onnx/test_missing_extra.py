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


def test_the_install_hint_names_the_python_the_extra_needs(monkeypatch) -> None:
    """ndonnx 0.23 (0.20 lacks operations the export records) installs on Python 3.11+ only: on 3.10 pip finds no
    release for the extra, so the hint says which Python it needs instead of only repeating the pip command."""
    from collections import namedtuple

    from anynn.backend.ndonnx_backend import install_hint

    version = namedtuple("version", "major minor micro")
    monkeypatch.setattr(sys, "version_info", version(3, 12, 0))
    assert install_hint() == "pip install 'anynn[onnx]'"
    monkeypatch.setattr(sys, "version_info", version(3, 10, 13))
    assert install_hint() == ("pip install 'anynn[onnx]' on Python 3.11 or newer (the ndonnx release it needs does "
                              "not install on Python 3.10)")


def test_running_a_program_without_onnxruntime_names_the_extra(monkeypatch) -> None:
    # the onnx extra brings onnxruntime; a program called without it said "No module named 'onnxruntime'" only
    from anynn.onnx.program import ONNXProgram

    class Proto:  # what the session is made from: the model's bytes
        def SerializeToString(self) -> bytes:  # noqa: N802 - protobuf's name
            return b""

    program = ONNXProgram(Proto())
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match=r"onnxruntime, which is not installed: pip install 'anynn\[onnx\]'"):
        program(anynn.randn(1, 3))
