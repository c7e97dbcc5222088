"""``torch.export``: refused by name. anynn has no ahead-of-time graph capture into an ``ExportedProgram``.

PyTorch's ``torch.export.export(model, args)`` traces a model into a graph of ATen operators for deployment
(``.module()``, ``save``/``load``, AOTInductor). anynn records a model in two other ways, which each function here
names: ``anynn.onnx.export(model, args, path)`` for a deployable graph (ONNX, with ``dynamic_axes`` or, as
``torch.export``, ``dynamic_shapes``), and ``anynn.compile(step)`` for a compiled training or inference step.
``Dim`` and ``dims`` make the dimensions of ``dynamic_shapes``, which ``anynn.onnx.export`` reads as PyTorch's
exporter does.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = ["Dim", "dims", "draft_export", "export", "load", "save", "unflatten"]

_WAY_OUT = ("anynn records a model for deployment with anynn.onnx.export(model, args, path) (which takes "
            "dynamic_shapes too) and compiles a step with anynn.compile(step)")


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


class DimHint:
    """``Dim.AUTO``, ``Dim.DYNAMIC``, ``Dim.STATIC``: an axis of ``dynamic_shapes`` symbolic (the first two) or not."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"DimHint({self.name})"


class _Dim:
    """A named symbolic dimension of ``dynamic_shapes`` (``torch.export.Dim("batch", min=1, max=64)``); its name is
    the graph's name of the axis."""

    def __init__(self, name: str, min: int | None = None, max: int | None = None) -> None:  # noqa: A002
        if not isinstance(name, str) or not name.isidentifier():
            raise ValueError(f"Dim name must be a valid identifier, got {name!r}")
        self.__name__, self.min, self.max = name, min, max

    def __repr__(self) -> str:
        return f"Dim({self.__name__!r}, min={self.min}, max={self.max})"


def Dim(name: str, *, min: int | None = None, max: int | None = None) -> Any:  # noqa: N802, A002 - PyTorch's names
    """``torch.export.Dim``: a named symbolic dimension for ``dynamic_shapes`` (``anynn.onnx.export``)."""
    return _Dim(name, min, max)


Dim.AUTO = DimHint("AUTO")  # type: ignore[attr-defined]
Dim.DYNAMIC = DimHint("DYNAMIC")  # type: ignore[attr-defined]
Dim.STATIC = DimHint("STATIC")  # type: ignore[attr-defined]


def dims(*names: str, min: int | None = None, max: int | None = None) -> tuple[Any, ...]:  # noqa: A002
    """``torch.export.dims``: one `Dim` per name."""
    return tuple(Dim(name, min=min, max=max) for name in names)
