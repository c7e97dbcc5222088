"""``torch.export``: refused by name. anynn has no ahead-of-time graph capture into an ``ExportedProgram``.

PyTorch's ``torch.export.export(model, args)`` traces a model into a graph of ATen operators for deployment
(``.module()``, ``save``/``load``, AOTInductor). anynn records a model in two other ways, which each function here
names: ``anynn.onnx.export(model, args, path)`` for a deployable graph (ONNX, with ``dynamic_axes`` where
``torch.export`` takes ``dynamic_shapes``), and ``anynn.compile(step)`` for a compiled training or inference step.
``Dim`` and ``dims`` are refused too, since the only thing they are for is ``dynamic_shapes``.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["Dim", "dims", "draft_export", "export", "load", "save", "unflatten"]

_WAY_OUT = ("anynn records a model for deployment with anynn.onnx.export(model, args, path) (dynamic_axes in place "
            "of dynamic_shapes) and compiles a step with anynn.compile(step)")


def _refuse(name: str) -> NoReturn:
    raise NotImplementedError(f"torch.export.{name}: anynn has no torch.export (no ExportedProgram); {_WAY_OUT}")


def export(mod: Any, args: Any = (), kwargs: Any = None, *options: Any, **keywords: Any) -> NoReturn:
    """``torch.export.export(mod, args)``: refused (see the module docstring)."""
    _refuse("export")


def draft_export(mod: Any, args: Any = (), kwargs: Any = None, *options: Any, **keywords: Any) -> NoReturn:
    """``torch.export.draft_export``: refused."""
    _refuse("draft_export")


def save(ep: Any, f: Any, *options: Any, **keywords: Any) -> NoReturn:
    """``torch.export.save``: refused (there is no ExportedProgram to save; ``anynn.save`` saves models)."""
    _refuse("save")


def load(f: Any, *options: Any, **keywords: Any) -> NoReturn:
    """``torch.export.load``: refused (``anynn.load`` loads what ``anynn.save`` saved)."""
    _refuse("load")


def unflatten(module: Any, *options: Any, **keywords: Any) -> NoReturn:
    """``torch.export.unflatten``: refused."""
    _refuse("unflatten")


def Dim(name: str, *options: Any, **keywords: Any) -> NoReturn:  # noqa: N802 - PyTorch's name
    """``torch.export.Dim``: refused (a dynamic dimension of ``dynamic_shapes``)."""
    _refuse("Dim")


def dims(*names: str, **keywords: Any) -> NoReturn:
    """``torch.export.dims``: refused."""
    _refuse("dims")
