"""`FunctionName`: the name of a graph node, readable both ways a program asks for it."""

from __future__ import annotations


class FunctionName(str):
    """A `Function`'s name: a plain string where anynn formats it into messages (``f"{fn.name} ..."``), and
    callable as PyTorch's method ``grad_fn.name()``, which returns the same text as a ``str``.

    >>> FunctionName("MulFunction")()
    'MulFunction'
    """

    __slots__ = ()

    def __call__(self) -> str:
        return str(self)
