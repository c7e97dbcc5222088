"""``torch.autograd.Variable``, as PyTorch keeps it for old programs: ``Variable(t, requires_grad=...)`` is a Tensor
sharing ``t``'s data, cut from its graph, with ``requires_grad`` set; every Tensor is an instance of it."""

from __future__ import annotations

import warnings
from typing import Any

from .tensor import Tensor


class _VariableMeta(type):
    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor)


class Variable(metaclass=_VariableMeta):
    """``Variable(data, requires_grad=False, volatile=False)``: ``data.detach()`` with ``requires_grad`` set.

    ``volatile`` has no effect (a warning, as PyTorch: use ``no_grad()``). ``data`` must be a Tensor.
    """

    def __new__(cls, data: Any, requires_grad: bool = False, volatile: bool = False) -> Tensor:  # type: ignore[misc]
        if volatile:
            warnings.warn("volatile was removed and now has no effect. Use `with torch.no_grad():` instead.",
                          UserWarning, stacklevel=2)
        if not isinstance(data, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(data).__name__}")
        out = data.detach()
        if requires_grad:
            out.requires_grad_(True)
        return out
