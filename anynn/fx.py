"""``torch.fx``'s name that model code calls at import time: ``wrap``.

``torch.fx.wrap("f")`` asks fx's symbolic tracer to keep calls to ``f`` as single graph nodes; it changes nothing
when the code runs. torchvision's model files (``stochastic_depth``, Swin's window attention, MaxViT) call it at
module level. anynn has no fx tracer, so ``wrap`` marks nothing and hands its argument back, as PyTorch's does:
the ported files import and run unchanged. Tracing itself is refused by name: ``symbolic_trace`` and
``replace_pattern`` raise NotImplementedError, and so does making a ``Tracer``, ``Graph``, ``GraphModule``,
``Interpreter``, ``Transformer``, ``Node`` or ``Proxy`` (the classes exist, so ``isinstance(m, fx.GraphModule)``
is False and subclasses defined at import time load).
"""

from __future__ import annotations

from typing import Any, NoReturn, TypeVar

__all__ = ["Graph", "GraphModule", "Interpreter", "Node", "Proxy", "Tracer", "Transformer", "replace_pattern",
           "symbolic_trace", "wrap"]

T = TypeVar("T")


def wrap(fn_or_name: T) -> T:
    """``torch.fx.wrap``: ``fn_or_name`` itself (a function or its name); there is no fx tracer to tell.

    Raises where PyTorch does: ``NotImplementedError`` when called anywhere but at the top level of a module,
    ``RuntimeError`` for an argument that is neither a callable nor a string.
    """
    import inspect

    caller = inspect.currentframe()
    frame = caller.f_back if caller is not None else None
    if frame is None or frame.f_code.co_name != "<module>":
        raise NotImplementedError("wrap must be called at the top level of a module")
    if not callable(fn_or_name) and not isinstance(fn_or_name, str):
        raise RuntimeError(f"wrap(): unsupported type for a global function: {type(fn_or_name).__name__} (a "
                           "callable or its name)")
    return fn_or_name


def _refuse(name: str) -> NoReturn:
    raise NotImplementedError(
        f"torch.fx.{name}: anynn has no fx tracer or graph IR (its model code runs as written); for a graph of the "
        f"model use anynn.onnx.export(model, args, path), for a compiled step anynn.compile(step)")


def symbolic_trace(root: Any, concrete_args: Any = None) -> NoReturn:
    """``torch.fx.symbolic_trace``: refused (see the module docstring)."""
    _refuse("symbolic_trace")


def replace_pattern(gm: Any, pattern: Any, replacement: Any) -> NoReturn:
    """``torch.fx.replace_pattern``: refused (there is no GraphModule to rewrite)."""
    _refuse("replace_pattern")


class _Refused:
    """A torch.fx class that can be named and subclassed but not made."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        ours = [c.__name__ for c in type(self).__mro__ if c.__module__ == __name__ and c is not _Refused]
        _refuse(ours[0])  # the torch.fx class a program's subclass derives from


class Tracer(_Refused):
    """``torch.fx.Tracer``: making one is refused."""


class Graph(_Refused):
    """``torch.fx.Graph``: making one is refused."""


class GraphModule(_Refused):
    """``torch.fx.GraphModule``: making one is refused."""


class Interpreter(_Refused):
    """``torch.fx.Interpreter``: making one is refused."""


class Transformer(Interpreter):
    """``torch.fx.Transformer``: making one is refused."""


class Node(_Refused):
    """``torch.fx.Node``: making one is refused."""


class Proxy(_Refused):
    """``torch.fx.Proxy``: making one is refused."""
