"""`Size`: a tensor's shape, a tuple of ints (``torch.Size``).

It is what ``x.shape`` and ``x.size()`` return. It is a ``tuple`` in every way (equal to the plain tuple,
accepted wherever a shape is), and a type of its own so that PyTorch's legacy constructors can tell a shape
from data: ``Tensor(x.size())`` makes a tensor of that shape, ``Tensor((2, 3))`` one holding 2 and 3.
It prints as a plain tuple, ``(2, 3)`` (``torch.Size([2, 3])`` in PyTorch), so messages and printed shapes
read the same whether a shape came from a tensor or not.
"""

from __future__ import annotations


class Size(tuple[int, ...]):
    """A shape: ``Size([2, 3])`` equals ``(2, 3)``; ``numel()`` is the product of its entries."""

    __slots__ = ()

    def numel(self) -> int:
        """The number of elements a tensor of this shape holds."""
        n = 1
        for s in self:
            n *= s
        return n
