"""``torch.autograd.function``'s names, as PyTorch programs import them.

``from torch.autograd.function import Function, once_differentiable`` (and ``FunctionCtx``, ``InplaceFunction``)
finds the classes users subclass: `Function` here is `anynn.autograd.Function`, the one that takes PyTorch's
``ctx`` style or anynn's array style. anynn's own primitives derive from the engine's base class in
`anynn.autograd.primitive`.
"""

from __future__ import annotations

from typing import Any

from .custom_function import Function, FunctionCtx
from .primitive import once_differentiable


class InplaceFunction(Function):
    """PyTorch's base for Functions that may write into their input: a `Function` with an ``inplace`` flag.

    PyTorch's ``InplaceFunction.__init__(inplace=False)`` keeps the flag for old-style instances; ctx-style
    subclasses (quantizers' ``Round.apply(x, inplace)``) take it as an argument of their static ``forward``."""

    def __init__(self, *args: Any, inplace: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.inplace = inplace


__all__ = ["Function", "FunctionCtx", "InplaceFunction", "once_differentiable"]
