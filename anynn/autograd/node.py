"""PyTorch's ``torch.autograd.graph.Node`` and ``increment_version``: the type of every ``grad_fn`` (an anynn
`Function`, or the `AccumulateGrad` shown for a leaf in ``next_functions``), for ``isinstance`` checks, and the
version bump that tells backward a tensor changed in place behind its back."""

from __future__ import annotations

import abc
from collections.abc import Iterable

from .primitive import AccumulateGrad, Function
from .tensor import Tensor, mark_modified


class Node(abc.ABC):  # noqa: B024 (an abstract type for isinstance, as PyTorch's; nothing to override)
    """The type of a graph node: ``isinstance(t.grad_fn, Node)``. anynn's nodes are `Function` objects (with
    ``name()``, ``next_functions``, ``register_hook``, ``register_prehook``) and `AccumulateGrad`."""


Node.register(Function)
Node.register(AccumulateGrad)


def increment_version(tensor: Tensor | Iterable[Tensor]) -> None:
    """Count an in-place change of ``tensor`` (or of each tensor given) that anynn did not see (a write through
    another library's view of the same memory): a backward through a node that saved it then refuses, as
    after any in-place change."""
    for t in (tensor,) if isinstance(tensor, Tensor) else tuple(tensor):
        if not isinstance(t, Tensor):
            raise TypeError(f"increment_version: expected a Tensor, got {type(t).__name__}")
        mark_modified(t)


__all__ = ["Node", "increment_version"]
