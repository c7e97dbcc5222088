"""The eager fallback: on NumPy, PyTorch and array_api_strict a compiled step runs as written.

These libraries have no tracer to compile with, so `anynn.compile` keeps the call eager: the same code
runs everywhere, and a program written for JAX or a GPU runs unchanged on the CPU backends.
"""

from __future__ import annotations

from typing import Any, Callable


class EagerStep:
    """``fn`` itself, called as written (``trace_count`` stays 0)."""

    trace_count = 0
    cache_size = 0

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.fn = fn
        self.compile_seconds: list[float] = []

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.fn(*args, **kwargs)

    def reset(self) -> None:
        """Nothing to forget (kept so code can call it on every path)."""
