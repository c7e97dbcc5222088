"""Copies of elements along axes: ``expand`` (broadcast, a view where the backend allows; the gradient sums
back) and ``repeat`` (tile, as ``torch.Tensor.repeat``; the copies' gradients add up), one `Function` each."""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..backend.symbolic import is_symbolic
from ..backend.typing import Namespace
from .value_checks import InvalidValueError, ShapeMismatchError, python_ints, refuse_float_ints


class Expand(Function):
    """Broadcast to ``shape`` (a view where the backend allows); the gradient sums back."""

    shape: tuple[int, ...]

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.source = tuple(a.shape)
        return xp.broadcast_to(a, self.shape)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return sum_to_shape(xp, g, self.source)


class Repeat(Function):
    """Tile ``a`` ``repeats[i]`` times along axis ``i`` (``torch.Tensor.repeat``); copies add in backward."""

    repeats: tuple[int, ...]

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.source = tuple(a.shape)
        lead = len(self.repeats) - a.ndim
        self.padded = (1,) * lead + self.source
        # the new leading axes by indexing: no reshape, which a recorded symbolic axis (None) has no size for
        return xp.tile(a[(None,) * lead + (...,)] if lead else a, self.repeats)

    def backward(self, xp: Namespace, g: Any) -> Any:
        # output index along an axis is copy * size + position: split each axis into (copy, position)
        split = tuple(n for pair in zip(self.repeats, self.padded) for n in pair)
        g = xp.sum(xp.reshape(g, split), axis=tuple(range(0, len(split), 2)))
        return xp.reshape(g, self.source)


def _sizes(name: str, keyword: str, sizes: tuple[Any, ...], given: Any) -> tuple[Any, ...]:
    """Sizes given as numbers, one sequence, or PyTorch's keyword (``expand(size=...)``), never both."""
    if given is not None:
        if sizes:
            raise TypeError(f"{name}() got multiple values for argument '{keyword}'")
        return tuple(given)
    return tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)


def expand(x: Any, *sizes: Any, size: Any = None) -> Any:
    """Broadcast ``x`` to ``sizes`` (``-1`` keeps a size; new axes go in front), as ``torch.Tensor.expand``."""
    sizes = python_ints(_sizes("expand", "size", sizes, size))  # (NumPy ints and 0-d tensors skipped the checks)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ShapeMismatchError(f"expand: {len(sizes)} sizes given for a tensor of shape {x.shape}")
    # -1 keeps a size; a symbolic one (an ONNX export's None) stays -1, which the recording backend keeps as it runs
    target = tuple((-1 if x.shape[i - lead] is None else x.shape[i - lead]) if n == -1 and i >= lead else n
                   for i, n in enumerate(sizes))
    _check_expand(tuple(x.shape), target, lead)
    try:
        if target == tuple(x.shape):
            return x
    except TypeError:  # a size of a symbolic axis (a SymInt of an ONNX export) against a known one: broadcast it
        pass
    return Expand.apply(x, shape=target)


def _check_expand(source: tuple[Any, ...], target: tuple[Any, ...], lead: int) -> None:
    """PyTorch's refusals, naming the dim and both shapes: a size other than 1 that would change, a negative size
    in a new leading dim (NumPy: 'operands could not be broadcast together with remapped shapes', 'all elements of
    broadcast shape must be non-negative'). Symbolic sizes are left to the graph."""
    if not all(type(n) is int for n in source + target):
        return
    for i, n in enumerate(target):
        if n < 0:
            where = "a leading, new dim" if i < lead else "dim"
            raise ShapeMismatchError(f"expand: the size {n} isn't allowed in {where} {i} (target {target}, tensor "
                                     f"of shape {source})")
        if i >= lead and n != source[i - lead] and source[i - lead] != 1:
            raise ShapeMismatchError(f"expand: the size {n} must match the existing size {source[i - lead]} at "
                                     f"non-singleton dim {i} (target {target}, tensor of shape {source})")


def repeat(x: Any, *sizes: Any, repeats: Any = None) -> Any:
    """Tile ``x``: ``repeats[i]`` copies along axis ``i`` (as ``torch.Tensor.repeat``, not ``repeat_interleave``)."""
    repeats = _sizes("repeat", "repeats", sizes, repeats)
    refuse_float_ints("repeat", repeats=repeats)
    if len(repeats) < x.ndim:
        raise ShapeMismatchError(f"repeat: {len(repeats)} repeats given for a tensor of shape {x.shape}; need at "
                                 f"least {x.ndim}")
    if any(not is_symbolic(r) and int(r) < 0 for r in repeats):  # (NumPy's tile: "negative dimensions")
        raise InvalidValueError(f"repeat: Trying to create tensor with negative dimension, repeats {tuple(repeats)}")
    return Repeat.apply(x, repeats=tuple(r if is_symbolic(r) else int(r) for r in repeats))
