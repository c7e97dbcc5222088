"""`anynn.fx.wrap`: the one torch.fx name model files call as they load (torchvision's stochastic depth, Swin); the
tracer and graph classes refused by name."""

from __future__ import annotations

import types

import pytest
import torch
import torch.fx

import anynn


def _module_calling(lib: str, argument: str) -> types.ModuleType:
    """A module whose top level calls ``<lib>.fx.wrap(<argument>)``, as torchvision's model files do."""
    module = types.ModuleType(f"wrapped_by_{lib}")
    source = f"import {lib}\n\ndef scale(x):\n    return x * 2\n\nresult = {lib}.fx.wrap({argument})\n"
    exec(compile(source, module.__name__, "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("argument", ['"scale"', "scale"])
def test_wrap_at_module_level_hands_back_its_argument_as_torch(argument):
    ours, theirs = _module_calling("anynn", argument), _module_calling("torch", argument)
    expected = "scale" if argument.startswith('"') else theirs.scale
    assert theirs.result == expected
    assert ours.result == ("scale" if argument.startswith('"') else ours.scale)
    assert ours.scale(3) == theirs.scale(3) == 6


def test_wrap_refuses_what_torch_refuses():
    for lib in (anynn, torch):
        with pytest.raises(NotImplementedError, match="top level of a module"):
            lib.fx.wrap("scale")  # inside a function, as torch refuses
    module = types.ModuleType("wrap_a_number")
    for lib in ("anynn", "torch"):
        with pytest.raises(RuntimeError):
            exec(compile(f"import {lib}\n{lib}.fx.wrap(3)\n", module.__name__, "exec"), module.__dict__)
    with pytest.raises(RuntimeError, match="wrap\\(\\): unsupported type .*int"):
        exec(compile("import anynn\nanynn.fx.wrap(3)\n", module.__name__, "exec"), module.__dict__)


def test_tracing_is_refused_by_name():
    """torch.fx's tracer and graph classes after the import swap (AttributeError before: the fx tutorials and
    graph-rewriting code): the names exist, a subclass loads, and tracing or making one raises NotImplementedError
    naming the torch.fx name and anynn's ways to record a model."""
    class Custom(anynn.fx.Tracer):  # defined at import time by fx-based code
        pass

    assert set(anynn.fx.__all__) <= set(torch.fx.__all__)
    assert not isinstance(anynn.nn.Linear(2, 2), anynn.fx.GraphModule)
    for name, make in (("symbolic_trace", lambda: anynn.fx.symbolic_trace(anynn.nn.Linear(2, 2))),
                       ("Tracer", Custom), ("Transformer", lambda: anynn.fx.Transformer(None))):
        with pytest.raises(NotImplementedError, match=f"torch.fx.{name}: anynn has no fx tracer.*onnx.export"):
            make()
