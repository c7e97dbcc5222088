"""``anynn.compiler``: PyTorch's ``torch.compiler`` names that model code calls around `anynn.compile`.

``@torch.compiler.disable`` keeps a function out of Dynamo's graph; anynn compiles whole steps by running them
(`anynn.compile`), with no graph capture of arbitrary Python to opt out of, so the decorator returns the function
as written. ``is_compiling()`` is False: the step anynn traces runs the same Python, so code guarded by it takes
the eager branch, which anynn's compiled steps support. ``reset()`` has no cache to clear (each `CompiledStep` owns
its own; call its ``reset()``). ``set_stance`` changes how compiled steps run from then on (`anynn.compile.stance`).
"""

from __future__ import annotations

from typing import Any, Callable

from .compile import compile
from .compile.stance import set_stance


def disable(fn: Callable[..., Any] | None = None, recursive: bool = True, *,
            reason: str | None = None) -> Any:
    """``torch.compiler.disable``: as ``@disable``, ``@disable(recursive=False)`` or ``disable(fn)``; returns the
    function unchanged."""
    if fn is None:
        return lambda f: f
    if not callable(fn):
        raise TypeError(f"compiler.disable(): expected a function, got {type(fn).__name__}")
    return fn


def is_compiling() -> bool:
    """False: anynn runs no graph compiler under the Python it is given (see the module docstring)."""
    return False


def is_dynamo_compiling() -> bool:
    """False, as `is_compiling`."""
    return False


def reset() -> None:
    """Nothing to clear: `anynn.compile` keeps its traces on the `CompiledStep` it returns."""


def allow_in_graph(fn: Any) -> Any:
    """``torch.compiler.allow_in_graph``: ``fn`` itself (Dynamo would record it as one opaque call; anynn runs it)."""
    return fn


def assume_constant_result(fn: Any) -> Any:
    """``torch.compiler.assume_constant_result``: ``fn`` itself (Dynamo would call it once while tracing)."""
    return fn


def cudagraph_mark_step_begin() -> None:
    """``torch.compiler.cudagraph_mark_step_begin()``: nothing to mark; anynn's CUDA-graph steps (``mode=
    "cuda_graph"`` on CuPy) replay one whole step per call and copy their outputs out."""


def is_exporting() -> bool:
    """False: `anynn.onnx.export` records a model by running it, with no export mode for its code to test."""
    return False


__all__ = ["allow_in_graph", "assume_constant_result", "compile", "cudagraph_mark_step_begin", "disable",
           "is_compiling", "is_dynamo_compiling", "is_exporting", "reset", "set_stance"]
