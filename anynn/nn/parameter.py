"""PyTorch's ``torch.nn.parameter`` path: programs write ``from torch.nn.parameter import Parameter`` (pygcn's
layers, many GNN and attention repositories). anynn's `Parameter` is `anynn.nn.Parameter`.

Also PyTorch's `Buffer` (``self.mask = nn.Buffer(t, persistent=False)`` registers a buffer, PyTorch >= 2.5), and
the placeholders of the lazy layers, `UninitializedParameter` and `UninitializedBuffer`, with `is_lazy`.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .module import Parameter

__all__ = ["Buffer", "Parameter", "UninitializedBuffer", "UninitializedParameter", "is_lazy"]


class _BufferMeta(type):
    """``isinstance(t, Buffer)`` is True for the Tensors `Buffer` made (they carry ``_is_buffer``), as PyTorch's."""

    def __instancecheck__(cls, instance: Any) -> bool:
        if cls is Buffer and isinstance(instance, Tensor) and getattr(instance, "_is_buffer", False):
            return True
        return super().__instancecheck__(instance)


class Buffer(metaclass=_BufferMeta):
    """``Buffer(data=None, *, persistent=True)``: ``data`` cut from the graph (a plain `Tensor` sharing its array)
    marked as a buffer, so that assigning it to a `Module` attribute registers it (in `state_dict` unless
    ``persistent=False``). ``data=None`` gives an empty float tensor, as PyTorch's."""

    persistent: bool

    def __new__(cls, data: Tensor | None = None, *, persistent: bool = True) -> Any:  # type: ignore[misc]
        if data is None:
            from ..factories import empty

            data = empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Buffer: expected a Tensor, got {type(data).__name__}; make one with anynn.tensor(...) "
                            f"first")
        t = data.detach()
        t.requires_grad_(data.requires_grad)
        t.persistent = persistent  # type: ignore[attr-defined]
        t._is_buffer = True  # type: ignore[attr-defined]
        return t


class _Uninitialized:
    """What the lazy placeholders share: an empty (0,) tensor until the layer's first call gives it a shape
    (anynn lets the shape be read, (0,), where PyTorch raises); `materialize` gives it one by hand."""

    __slots__ = ()
    cls_to_become: type

    def materialize(self, shape: Any, device: Any = None, dtype: Any = None) -> None:
        """Give the placeholder ``shape`` (uninitialized values, as PyTorch's ``empty``) and make it a plain
        `Parameter` (or `Tensor`); ``device``/``dtype`` default to the placeholder's."""
        from ..factories import empty

        me: Any = self
        shape = (shape,) if isinstance(shape, int) else tuple(shape)
        fresh = empty(shape, dtype=me.dtype if dtype is None else dtype,
                      device=me.device if device is None else device)
        me.data = fresh
        object.__setattr__(me, "__class__", self.cls_to_become)


class UninitializedParameter(_Uninitialized, Parameter):
    """A lazy layer's parameter before its first call (``isinstance(p, UninitializedParameter)`` skips it in an
    init loop, as in PyTorch programs); it becomes a `Parameter` when the layer learns its input size."""

    __slots__ = ()
    cls_to_become = Parameter

    def __repr__(self) -> str:
        return "<UninitializedParameter>"


class UninitializedBuffer(_Uninitialized, Tensor):
    """A lazy layer's buffer (a batch norm's running statistics) before its first call; it becomes a `Tensor`."""

    __slots__ = ()
    cls_to_become = Tensor

    def __repr__(self) -> str:
        return "<UninitializedBuffer>"


def is_lazy(param: Any) -> bool:
    """Whether ``param`` is a lazy layer's placeholder, not yet materialized."""
    return isinstance(param, _Uninitialized)
