"""Shape primitives: reshape, permute, slicing, concatenation, stacking, indexing rows."""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function
from ..backend import BackendMismatch, op


class Reshape(Function):
    shape: tuple[int, ...]

    def forward(self, xp: Any, a: Any) -> Any:
        self.source = tuple(a.shape)
        return xp.reshape(a, self.shape)

    def backward(self, xp: Any, g: Any) -> Any:
        return xp.reshape(g, self.source)


class Permute(Function):
    axes: tuple[int, ...]

    def forward(self, xp: Any, a: Any) -> Any:
        return xp.permute_dims(a, self.axes)

    def backward(self, xp: Any, g: Any) -> Any:
        inverse = [0] * len(self.axes)
        for i, ax in enumerate(self.axes):
            inverse[ax] = i
        return xp.permute_dims(g, tuple(inverse))


class GetItem(Function):
    """Basic indexing (ints, slices, ``...``, ``None``); the gradient is scattered back with setitem."""

    index: Any

    def forward(self, xp: Any, a: Any) -> Any:
        self.shape = tuple(a.shape)
        index = self.index if isinstance(self.index, tuple) else (self.index,)
        if not any(i is Ellipsis for i in index):
            index = index + (Ellipsis,)  # the standard wants every axis named; `...` names the rest
        self.index = index
        return a[index]

    def backward(self, xp: Any, g: Any) -> Any:
        from array_api_compat import device

        out = xp.zeros(self.shape, dtype=g.dtype, device=device(g))
        # the standard's setitem takes no None: drop the new axes from the index and from g
        index = self.index
        if any(i is None for i in index):
            index = tuple(i for i in index if i is not None)
            g = xp.reshape(g, tuple(out[index].shape))
        out[index] = g
        return out


class Take(Function):
    """Rows ``a[indices]`` along axis 0 for an integer index array; repeated rows add in backward."""

    def forward(self, xp: Any, a: Any, indices: Any) -> Any:
        self.rows = a.shape[0]
        self.indices = indices
        flat = xp.reshape(indices, (-1,))
        out = xp.take(a, flat, axis=0)
        return xp.reshape(out, tuple(indices.shape) + tuple(a.shape[1:]))

    def backward(self, xp: Any, g: Any) -> tuple[Any, None]:
        flat_index = xp.reshape(self.indices, (-1,))
        flat_g = xp.reshape(g, (flat_index.shape[0],) + tuple(g.shape[self.indices.ndim:]))
        return op(self.backend, "scatter_add")(flat_index, flat_g, self.rows), None


class Concat(Function):
    axis: int

    def forward(self, xp: Any, *arrays: Any) -> Any:
        self.sizes = [a.shape[self.axis] for a in arrays]
        return xp.concat(arrays, axis=self.axis)

    def backward(self, xp: Any, g: Any) -> tuple[Any, ...]:
        grads = []
        start = 0
        axis = self.axis % g.ndim
        for size in self.sizes:
            index = [slice(None)] * g.ndim
            index[axis] = slice(start, start + size)
            grads.append(g[tuple(index)])
            start += size
        return tuple(grads)


class Stack(Function):
    axis: int

    def forward(self, xp: Any, *arrays: Any) -> Any:
        return xp.stack(arrays, axis=self.axis)

    def backward(self, xp: Any, g: Any) -> tuple[Any, ...]:
        lead = (slice(None),) * (self.axis % g.ndim)
        return tuple(g[lead + (i, Ellipsis)] for i in range(g.shape[self.axis]))


def reshape(x: Any, shape: tuple[int, ...]) -> Any:
    return Reshape.apply(x, shape=tuple(shape))


def permute(x: Any, axes: tuple[int, ...]) -> Any:
    return Permute.apply(x, axes=tuple(axes))


def transpose(x: Any, axis0: int = -2, axis1: int = -1) -> Any:
    """Swap two axes (the last two by default, like ``mT``)."""
    axes = list(range(x.ndim))
    axes[axis0], axes[axis1] = axes[axis1], axes[axis0]
    return Permute.apply(x, axes=tuple(axes))


def flatten(x: Any, start_dim: int = 1, end_dim: int = -1) -> Any:
    shape = x.shape
    if not shape:
        return Reshape.apply(x, shape=(1,))
    start = start_dim % len(shape)
    end = end_dim % len(shape)
    merged = 1
    for n in shape[start:end + 1]:
        merged *= n
    return Reshape.apply(x, shape=tuple(shape[:start]) + (merged,) + tuple(shape[end + 1:]))


def concat(tensors: list[Any], axis: int = 0) -> Any:
    return Concat.apply(*tensors, axis=axis)


def stack(tensors: list[Any], axis: int = 0) -> Any:
    return Stack.apply(*tensors, axis=axis)


def take_rows(x: Any, indices: Any) -> Any:
    """``x[indices]`` along axis 0 with an integer Tensor/array of any shape; repeated rows add gradients.

    x: (R, ...), indices: (...) of integers in [0, R) → (*indices.shape, ...).
    """
    from ..autograd.tensor import Tensor

    if isinstance(indices, Tensor):
        if indices.backend != x.backend:
            raise BackendMismatch(f"take_rows: indices live on backend {indices.backend.key!r}, the tensor on "
                                  f"{x.backend.key!r}; move them with .to({x.backend.key!r})")
        idx = indices.data
    elif x.backend.is_native(indices):
        idx = indices
    else:
        raise BackendMismatch(f"take_rows: indices must be a Tensor or a native array of backend {x.backend.key!r}, "
                              f"got {type(indices).__module__}.{type(indices).__name__}")
    if not x.backend.xp.isdtype(idx.dtype, "integral"):
        raise TypeError(f"take_rows: indices must be integers, got {idx.dtype}; boolean masks are not supported "
                        "(use anynn.functional.where)")
    return Take.apply(x, idx)
