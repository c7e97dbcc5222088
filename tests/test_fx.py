"""`anynn.fx.wrap`: the one torch.fx name model files call as they load (torchvision's stochastic depth, Swin)."""

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
