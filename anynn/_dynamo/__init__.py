"""``torch._dynamo``: the names programs use around ``torch.compile`` (``config``, ``reset``, ``disable``, the
shape marks ``mark_dynamic`` / ``maybe_mark_dynamic`` / ``mark_static``, ``graph_break``, ``allow_in_graph``,
``utils.counters``, ``compiled_autograd``, ``is_compiling``: False, as `anynn.compiler.is_compiling`, for the
timm / x-transformers code that asks it).

anynn compiles whole steps with `anynn.compile`, not TorchDynamo: ``config`` keeps PyTorch's settings without
reading them, ``reset`` and ``disable`` are `anynn.compiler`'s. ``explain`` is refused by name: there are no
Dynamo graphs, graph breaks or guards to report.
"""

from __future__ import annotations

from typing import Any, Callable, NoReturn, Sequence

from ..compiler import allow_in_graph, disable, is_compiling, reset
from . import compiled_autograd, config, utils

__all__ = ["allow_in_graph", "compiled_autograd", "config", "disable", "explain", "graph_break", "is_compiling",
           "mark_dynamic", "mark_static", "maybe_mark_dynamic", "reset", "utils"]


def mark_dynamic(t: Any, index: int | Sequence[int], *, hint_override: int | None = None, min: int | None = None,
                 max: int | None = None, specialize_on: Any = None) -> None:  # noqa: A002 (PyTorch's names)
    """``torch._dynamo.mark_dynamic(x, 0)``: nothing to mark; anynn's traced steps compile once per input shape
    and keep each program (a new batch size traces once more)."""


def maybe_mark_dynamic(t: Any, index: int | Sequence[int]) -> None:
    """``torch._dynamo.maybe_mark_dynamic``: as `mark_dynamic`, nothing to mark."""


def mark_static(t: Any, index: int | Sequence[int] | None = None) -> None:
    """``torch._dynamo.mark_static``: nothing to mark (every shape anynn traces is static)."""


def graph_break(msg: str = "") -> None:
    """``torch._dynamo.graph_break()``: nothing to break; anynn traces whole steps or runs them as written."""


def explain(f: Callable[..., Any], *extra_args: Any, **extra_kwargs: Any) -> NoReturn:
    """``torch._dynamo.explain(f)(*args)``: refused, naming what anynn compiles instead."""
    name = getattr(f, "__qualname__", type(f).__name__)
    raise NotImplementedError(
        f"torch._dynamo.explain({name}): anynn has no TorchDynamo, so there are no graphs, graph breaks or guards "
        "to explain. torch.compile(model) runs the model as written; anynn.compile(step) traces a whole training "
        "step and raises CompiledStepError naming the line it cannot trace")
