"""``torch._dynamo``: the names programs use around ``torch.compile`` (``config``, ``reset``, ``disable``).

anynn compiles whole steps with `anynn.compile`, not TorchDynamo: ``config`` keeps PyTorch's settings without
reading them, ``reset`` and ``disable`` are `anynn.compiler`'s. ``explain`` is refused by name: there are no
Dynamo graphs, graph breaks or guards to report.
"""

from __future__ import annotations

from typing import Any, Callable, NoReturn

from ..compiler import disable, reset
from . import config

__all__ = ["config", "disable", "explain", "reset"]


def explain(f: Callable[..., Any], *extra_args: Any, **extra_kwargs: Any) -> NoReturn:
    """``torch._dynamo.explain(f)(*args)``: refused, naming what anynn compiles instead."""
    name = getattr(f, "__qualname__", type(f).__name__)
    raise NotImplementedError(
        f"torch._dynamo.explain({name}): anynn has no TorchDynamo, so there are no graphs, graph breaks or guards "
        "to explain. torch.compile(model) runs the model as written; anynn.compile(step) traces a whole training "
        "step and raises CompiledStepError naming the line it cannot trace")
