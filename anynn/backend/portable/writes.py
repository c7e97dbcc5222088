"""Writes into arrays that cannot be written in place (JAX, traced arrays): a new array from ``take`` + ``where``."""

from __future__ import annotations

from typing import Any

from ..devices import device_of as device

from ..typing import Array, Namespace


def at_set(xp: Namespace, x: Array, index: Array, value: Array) -> Array:
    """A new array: ``x`` with ``x[index] = value``, for arrays that cannot be written (standard only).

    ``index`` is basic (ints, slices of any step, ``...``); ``value`` broadcasts to ``x[index]``. Each axis
    the index narrows gets a ``take`` that spreads ``value`` over ``x``'s positions, and a ``where`` keeps
    ``x`` outside the written block.
    """
    spread, inside = _spread(xp, x, index, value)
    if spread is None:
        return x
    return spread if inside is None else xp.where(inside, spread, x)


def at_add(xp: Namespace, x: Array, index: Array, value: Array) -> Array:
    """A new array: ``x`` with ``x[index] += value`` (basic index, standard only; see `at_set`)."""
    spread, inside = _spread(xp, x, index, value)
    if spread is None:
        return x
    return x + spread if inside is None else xp.where(inside, x + spread, x)


def _spread(xp: Namespace, x: Array, index: Array, value: Array) -> tuple[Array, Array]:
    """``value`` laid out over ``x``'s shape at ``index``, and the boolean mask of the written block
    (``None`` when the index covers all of ``x``); ``(None, None)`` when the block is empty."""
    shape = tuple(x.shape)
    axes = _basic_axes(index if isinstance(index, tuple) else (index,), len(shape), "at_set/at_add")
    dev = device(x)
    picked = tuple(len(range(*item.indices(size))) if isinstance(item, slice) else None
                   for item, size in zip(axes, shape))
    block = tuple(n for n in picked if n is not None)
    if 0 in block:
        return None, None
    if not hasattr(value, "shape"):
        value = xp.asarray(value, dtype=x.dtype, device=dev)
    elif value.dtype != x.dtype:
        value = xp.astype(value, x.dtype)
    value = xp.broadcast_to(value, block)
    # integer indices removed an axis: put it back (size 1) so every axis of x has one of value
    value = xp.reshape(value, tuple(1 if n is None else n for n in picked))
    inside = None
    for axis, (item, size) in enumerate(zip(axes, shape)):
        positions = list(range(*item.indices(size))) if isinstance(item, slice) else [item % size]
        if positions == list(range(size)):
            continue
        source = [0] * size
        hit = [False] * size
        for j, p in enumerate(positions):
            source[p], hit[p] = j, True
        value = xp.take(value, xp.asarray(source, dtype=xp.int64, device=dev), axis=axis)
        along = xp.reshape(xp.asarray(hit, dtype=xp.bool, device=dev),
                           tuple(size if a == axis else 1 for a in range(len(shape))))
        inside = along if inside is None else inside & along
    return xp.broadcast_to(value, shape), inside


def _basic_axes(index: tuple[Any, ...], ndim: int, name: str) -> tuple[Any, ...]:
    """A basic index as one int or slice per axis (``...`` and missing trailing axes spelt out)."""
    for item in index:
        if not (item is Ellipsis or isinstance(item, (int, slice))) or isinstance(item, bool):
            raise TypeError(f"{name}: the standard-only write takes ints, slices and '...', got {item!r}; "
                            f"other indices need the backend's fast path")
    if sum(item is Ellipsis for item in index) > 1:
        raise IndexError(f"{name}: an index can only have a single ellipsis ('...')")
    named = sum(item is not Ellipsis for item in index)
    if named > ndim:
        raise IndexError(f"{name}: too many indices for an array of rank {ndim}")
    if Ellipsis in index:
        at = index.index(Ellipsis)
        index = index[:at] + (slice(None),) * (ndim - named) + index[at + 1:]
    return tuple(index) + (slice(None),) * (ndim - len(index))
