"""PyTorch's implementation switches (``foreach``, ``fused``, ``capturable``, ``differentiable``).

They choose among PyTorch's kernels, not what the update computes, so anynn accepts them with
PyTorch's defaults, keeps them in the parameter groups as PyTorch does, and computes the same update
whatever they say. ``differentiable=True`` (autograd through the update itself) is refused.
"""

from __future__ import annotations

from typing import Any


def implementation_options(owner: str, *, foreach: bool | None = None, fused: bool | None = None,
                           capturable: bool = False, differentiable: bool = False,
                           names: tuple[str, ...] = ("foreach", "capturable", "differentiable")) -> dict[str, Any]:
    """The switches ``names`` (those the optimizer's PyTorch signature has) as group defaults."""
    if differentiable:
        raise NotImplementedError(f"{owner}: differentiable=True (autograd through the optimizer step) is not "
                                  "supported by anynn; the update runs outside the graph")
    if "fused" in names and fused and foreach:
        raise RuntimeError(f"{owner}: `fused` and `foreach` cannot be `True` together.")
    values = dict(foreach=foreach, fused=fused, capturable=capturable, differentiable=differentiable)
    return {name: values[name] for name in names}
