"""PyTorch's ``torch.cuda`` graph capture (`CUDAGraph`, `graph`, `make_graphed_callables`), refused by name.

anynn records CUDA graphs of whole training steps itself: ``anynn.compile(step, mode="cuda_graph")`` on CuPy
captures the forward, backward and optimizer step once on static buffers and replays them (see the Compiled steps
guide). Capturing arbitrary regions by hand is not offered, so these raise `NotImplementedError` (a RuntimeError, the
class PyTorch's CPU build raises: "Tried to instantiate dummy base class CUDAGraph") naming that way.
"""

from __future__ import annotations

from typing import Any

_HOW = ("anynn captures CUDA graphs of whole steps instead: anynn.compile(step, mode='cuda_graph') on the cupy "
        "backend (mode='auto' picks it there)")


class CUDAGraph:
    """``torch.cuda.CUDAGraph()``: refused (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"torch.cuda.CUDAGraph: {_HOW}")


class graph:  # noqa: N801 - PyTorch's name for a context manager
    """``with torch.cuda.graph(g):``: refused (see the module docstring)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"torch.cuda.graph: {_HOW}")


def make_graphed_callables(callables: Any, sample_args: Any, *args: Any, **kwargs: Any) -> Any:
    """``torch.cuda.make_graphed_callables``: refused (see the module docstring)."""
    raise NotImplementedError(f"torch.cuda.make_graphed_callables: {_HOW}")


__all__ = ["CUDAGraph", "graph", "make_graphed_callables"]
