"""Primitives PyTorch users reach for on tensors: expand, repeat, clone, masked_fill, norm, split.

Each is one `Function` (forward and backward side by side) with a lowercase wrapper taking PyTorch's
argument names (``dim``, ``keepdim``).
"""

from __future__ import annotations

import math
from typing import Any

from ..autograd.function import Function
from ..autograd.graph import sum_to_shape
from ..backend.typing import Namespace
from .reduce import _axes, _expand
from .shape import Reshape


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
        self.padded = (1,) * (len(self.repeats) - a.ndim) + self.source
        return xp.tile(xp.reshape(a, self.padded), self.repeats)

    def backward(self, xp: Namespace, g: Any) -> Any:
        # output index along an axis is copy * size + position: split each axis into (copy, position)
        split = tuple(n for pair in zip(self.repeats, self.padded) for n in pair)
        g = xp.sum(xp.reshape(g, split), axis=tuple(range(0, len(split), 2)))
        return xp.reshape(g, self.source)


class Clone(Function):
    """A copy that stays in the graph (``torch.Tensor.clone``)."""

    def forward(self, xp: Namespace, a: Any) -> Any:
        return xp.asarray(a, copy=True)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g


class MaskedFill(Function):
    """``value`` where the boolean ``mask`` (broadcast to ``a``) is true; the gradient flows elsewhere."""

    value: float

    def forward(self, xp: Namespace, a: Any, mask: Any) -> Any:
        from array_api_compat import device

        self.mask = mask
        fill = xp.full(tuple(a.shape), self.value, dtype=a.dtype, device=device(a))
        return xp.where(mask, fill, a)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, None]:
        return xp.where(self.mask, xp.zeros_like(g), g), None


class Norm(Function):
    """Vector p-norm over ``axis`` (all axes when ``None``): ``p`` > 0 or ``math.inf``.

    Where the norm is zero the gradient is zero, as in PyTorch.
    """

    p: float
    axis: Any
    keepdims: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        self.axes = _axes(self.axis, a.ndim)
        p = self.p
        if p == math.inf:
            out = xp.max(xp.abs(a), axis=self.axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt(xp.sum(a * a, axis=self.axes, keepdims=True))
        elif p == 1:
            out = xp.sum(xp.abs(a), axis=self.axes, keepdims=True)
        else:
            out = xp.sum(xp.abs(a) ** p, axis=self.axes, keepdims=True) ** (1.0 / p)
        self.out = out
        return out if self.keepdims else xp.reshape(
            out, tuple(n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, xp: Namespace, g: Any) -> Any:
        a, out, p = self.a, self.out, self.p
        g = _expand(xp, g, self.axes, self.keepdims, tuple(a.shape))
        if p == 1:
            return g * xp.sign(a)
        if p == math.inf:
            mask = xp.astype(xp.abs(a) == out, a.dtype)
            return g * xp.sign(a) * mask / xp.sum(mask, axis=self.axes, keepdims=True)
        safe = xp.where(out == 0, xp.ones_like(out), out)
        if p == 2:
            return g * a / safe
        return g * xp.sign(a) * (xp.abs(a) / safe) ** (p - 1)


class Split(Function):
    """Consecutive pieces of ``sizes`` along ``axis``; missing output gradients count as zeros."""

    sizes: tuple[int, ...]
    axis: int

    def forward(self, xp: Namespace, a: Any) -> tuple[Any, ...]:
        self.shape = tuple(a.shape)
        self.axis = self.axis % a.ndim
        pieces, start = [], 0
        for size in self.sizes:
            index = [slice(None)] * a.ndim
            index[self.axis] = slice(start, start + size)
            pieces.append(a[tuple(index)])
            start += size
        return tuple(pieces)

    def backward(self, xp: Namespace, *grads: Any) -> Any:
        from array_api_compat import device

        known = next(g for g in grads if g is not None)
        parts = []
        for g, size in zip(grads, self.sizes):
            if g is None:
                shape = self.shape[:self.axis] + (size,) + self.shape[self.axis + 1:]
                g = xp.zeros(shape, dtype=known.dtype, device=device(known))
            parts.append(g)
        return xp.concat(parts, axis=self.axis)


# -- wrappers with PyTorch's argument names -----------------------------------------------------------
def expand(x: Any, *sizes: Any) -> Any:
    """Broadcast ``x`` to ``sizes`` (``-1`` keeps a size; new axes go in front), as ``torch.Tensor.expand``."""
    sizes = tuple(sizes[0]) if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else tuple(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: {len(sizes)} sizes given for a tensor of shape {x.shape}")
    target = tuple(x.shape[i - lead] if n == -1 and i >= lead else n for i, n in enumerate(sizes))
    if target == tuple(x.shape):
        return x
    return Expand.apply(x, shape=target)


def repeat(x: Any, *repeats: Any) -> Any:
    """Tile ``x``: ``repeats[i]`` copies along axis ``i`` (as ``torch.Tensor.repeat``, not ``repeat_interleave``)."""
    repeats = tuple(repeats[0]) if len(repeats) == 1 and isinstance(repeats[0], (tuple, list)) else tuple(repeats)
    if len(repeats) < x.ndim:
        raise ValueError(f"repeat: {len(repeats)} repeats given for a tensor of shape {x.shape}; need at least "
                         f"{x.ndim}")
    return Repeat.apply(x, repeats=tuple(int(r) for r in repeats))


def clone(x: Any) -> Any:
    return Clone.apply(x)


def masked_fill(x: Any, mask: Any, value: Any) -> Any:
    """``value`` where ``mask`` is true, ``x`` elsewhere; mask: boolean, broadcastable to ``x.shape``."""
    from ..autograd.tensor import Tensor

    mask_data = mask.array if isinstance(mask, Tensor) else mask
    if not x.backend.xp.isdtype(mask_data.dtype, "bool"):
        raise TypeError(f"masked_fill: the mask must be boolean, got {mask_data.dtype}")
    if isinstance(value, Tensor):
        value = value.item()
    value = float(value) if x.backend.xp.isdtype(x.dtype, "real floating") else (
        bool(value) if x.backend.xp.isdtype(x.dtype, "bool") else int(value))
    shape = tuple(x.shape)
    mask_shape = tuple(mask_data.shape)
    if len(mask_shape) > len(shape) or any(m not in (1, n) for m, n in zip(mask_shape[::-1], shape[::-1])):
        raise ValueError(f"masked_fill: a mask of shape {mask_shape} does not broadcast to the tensor's {shape}")
    return MaskedFill.apply(x, mask_data, value=value)


def norm(x: Any, p: Any = 2, dim: Any = None, keepdim: bool = False) -> Any:
    """The vector ``p``-norm over ``dim`` (all elements when ``None``); ``p="fro"`` is 2, ``"inf"`` the max."""
    if p in ("fro", None):
        p = 2
    p = math.inf if p in ("inf", float("inf")) else float(p)
    if not p > 0:
        raise ValueError(f"norm: p must be positive or inf, got {p}")
    if isinstance(dim, list):
        dim = tuple(dim)
    return Norm.apply(x, p=p, axis=dim, keepdims=keepdim)


def split(x: Any, split_size_or_sections: Any, dim: int = 0) -> tuple[Any, ...]:
    """Pieces of ``split_size_or_sections`` along ``dim`` (an int: equal pieces, the last smaller)."""
    n = x.shape[dim]
    if isinstance(split_size_or_sections, int):
        step = split_size_or_sections
        if step <= 0:
            raise ValueError(f"split: the piece size must be positive, got {step}")
        sizes = tuple(min(step, n - start) for start in range(0, n, step)) or (0,)
    else:
        sizes = tuple(int(s) for s in split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} do not add up to the size {n} of dim {dim}")
    return Split.apply(x, sizes=sizes, axis=dim)


def chunk(x: Any, chunks: int, dim: int = 0) -> tuple[Any, ...]:
    """At most ``chunks`` pieces along ``dim``, each ``ceil(size / chunks)`` long (the last may be shorter)."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    return split(x, max(1, -(-x.shape[dim] // chunks)), dim)


def unsqueeze(x: Any, dim: int) -> Any:
    """Insert an axis of size 1 at ``dim`` (``-1`` appends)."""
    ndim = x.ndim + 1
    if not -ndim <= dim < ndim:
        raise IndexError(f"unsqueeze: dim {dim} is out of range for a result with {ndim} dimensions")
    shape = list(x.shape)
    shape.insert(dim % ndim, 1)
    return Reshape.apply(x, shape=tuple(shape))


def squeeze(x: Any, dim: Any = None) -> Any:
    """Drop axes of size 1: all of them, or those of ``dim`` (an int or tuple) that have size 1."""
    if dim is None:
        dims = {i for i, n in enumerate(x.shape) if n == 1}
    else:
        dims = {d % max(x.ndim, 1) for d in ((dim,) if isinstance(dim, int) else dim) if x.ndim}
        dims = {d for d in dims if x.shape[d] == 1}
    if not dims:
        return x
    return Reshape.apply(x, shape=tuple(n for i, n in enumerate(x.shape) if i not in dims))
