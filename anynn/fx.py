"""``torch.fx``'s name that model code calls at import time: ``wrap``.

``torch.fx.wrap("f")`` asks fx's symbolic tracer to keep calls to ``f`` as single graph nodes; it changes nothing
when the code runs. torchvision's model files (``stochastic_depth``, Swin's window attention, MaxViT) call it at
module level. anynn has no fx tracer, so ``wrap`` marks nothing and hands its argument back, as PyTorch's does:
the ported files import and run unchanged. Tracing itself (``symbolic_trace``, ``GraphModule``) is not offered.
"""

from __future__ import annotations

from typing import TypeVar

__all__ = ["wrap"]

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
