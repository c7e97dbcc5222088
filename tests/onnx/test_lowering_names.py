"""The ONNX export table is keyed by Function class name: every key must name a Function anynn has, or the
lowering is silently never used (a renamed Function would fall back to its recorded decomposition)."""

from __future__ import annotations

import pytest

pytest.importorskip("ndonnx")

from anynn.backend.ndonnx_lowering import lowerings  # noqa: E402
from tests.autograd.test_function_names import _function_names  # noqa: E402


@pytest.mark.parametrize("opset", [17, 21])
def test_every_lowering_names_an_existing_function(opset):
    names = _function_names()
    table = lowerings(opset)
    assert "LinearFunction" in table and "Linear" not in table
    missing = sorted(key for key in table if key not in names)
    assert missing == [], f"lowerings({opset}) keys that name no Function subclass: {missing}"
