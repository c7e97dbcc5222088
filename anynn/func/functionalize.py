"""``torch.func.functionalize`` and ``torch.func.debug_unwrap``: PyTorch's names for tracing tools, whose eager
results are the function's own and the tensor itself.

PyTorch's ``functionalize(f)`` replaces in-place and view operations inside ``f`` by out-of-place copies so that a
compiler sees a program without aliasing, and writes mutations of the inputs back: run eagerly, it gives ``f``'s
values and input updates. anynn's transforms record on the tape, where in-place writes are already tracked
(`anynn.autograd.views`), so ``functionalize(f)`` runs ``f``; ``debug_unwrap`` has no functorch wrapper to remove.
"""

from __future__ import annotations

import functools
from typing import Any, Callable

_REMOVE = ("mutations", "mutations_and_views")


def functionalize(func: Callable[..., Any], *, remove: str = "mutations") -> Callable[..., Any]:
    """``func`` with PyTorch's check of ``remove`` ('mutations' or 'mutations_and_views'); the same values and
    input updates as ``func``."""
    if remove not in _REMOVE:
        raise RuntimeError(
            f"functionalize(f, remove='mutations'): received invalid argument for remove={remove}. Valid options "
            "are:\n     remove='mutations': all inplace and out= operators will be removed from the program, and "
            "replaced with their out-of-place equivalents.\n     remove='mutations_and_views': In addition to the "
            "above, all aliasing operators {view} will be replaced with their non-aliasing counterparts, {view}_copy."
            "\n")

    @functools.wraps(func)
    def functionalized(*args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    return functionalized


def debug_unwrap(tensor: Any, *, recurse: bool = True) -> Any:
    """The tensor under a transform's wrappers: anynn's transforms wrap nothing, so ``tensor`` itself."""
    return tensor


__all__ = ["debug_unwrap", "functionalize"]
