"""`swap_tensors`: PyTorch's ``torch.utils.swap_tensors``, exchanging everything two Tensor objects hold."""

from __future__ import annotations

import copyreg
import weakref

from ..autograd.tensor import Tensor


def swap_tensors(t1: Tensor, t2: Tensor) -> None:
    """Swap the contents of ``t1`` and ``t2`` in place: afterwards ``t1`` has ``t2``'s class, values, shape,
    dtype, backend, gradient, autograd history and attributes, and ``t2`` has ``t1``'s, while each Python object
    (and every reference to it, as an optimizer's) stays the same.

    >>> a, b = anynn.arange(2), anynn.arange(3)
    >>> swap_tensors(a, b); a.shape, b.shape
    ((3,), (2,))
    """
    for name, t in (("t1", t1), ("t2", t2)):
        if not isinstance(t, Tensor):
            raise TypeError(f"swap_tensors: expected {name} to be a Tensor, got {type(t).__name__}")
        if weakref.getweakrefs(t):
            raise RuntimeError(f"Cannot swap {name} because it has weakref associated with it")
    slots = set(copyreg._slotnames(type(t1)))  # type: ignore[attr-defined]
    if slots != set(copyreg._slotnames(type(t2))):  # type: ignore[attr-defined]
        raise RuntimeError("Cannot swap t1 and t2 if they have different slots")
    _swap_attribute(t1, t2, "__class__")
    _swap_attribute(t1, t2, "__dict__")
    for slot in slots:
        there1, there2 = hasattr(t1, slot), hasattr(t2, slot)
        if there1 and there2:
            _swap_attribute(t1, t2, slot)
        elif there1:
            setattr(t2, slot, getattr(t1, slot))
            delattr(t1, slot)
        elif there2:
            setattr(t1, slot, getattr(t2, slot))
            delattr(t2, slot)


def _swap_attribute(t1: Tensor, t2: Tensor, name: str) -> None:
    held = object.__getattribute__(t1, name)
    object.__setattr__(t1, name, object.__getattribute__(t2, name))
    object.__setattr__(t2, name, held)
