"""Reductions: sum, mean, max/min, logsumexp, var.

``axis`` is an int, a tuple of ints or ``None`` (all axes); ``keepdims`` keeps reduced axes as 1.
"""

from __future__ import annotations

from typing import Any

from ..autograd.function import Function


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    return tuple(a % ndim if ndim else 0 for a in axis)


def _expand(xp: Any, g: Any, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Any:
    """Put reduced axes back into ``g`` so it broadcasts against an array of ``shape``."""
    if not keepdims and axes:
        kept = [1 if i in axes else n for i, n in enumerate(shape)]
        g = xp.reshape(g, tuple(kept))
    return g


class Sum(Function):
    axis: Any
    keepdims: bool

    def forward(self, xp: Any, a: Any) -> Any:
        self.shape = tuple(a.shape)
        self.axes = _axes(self.axis, a.ndim)
        return xp.sum(a, axis=self.axes, keepdims=self.keepdims)

    def backward(self, xp: Any, g: Any) -> Any:
        g = _expand(xp, g, self.axes, self.keepdims, self.shape)
        return xp.broadcast_to(g, self.shape)


class Mean(Function):
    axis: Any
    keepdims: bool

    def forward(self, xp: Any, a: Any) -> Any:
        self.shape = tuple(a.shape)
        self.axes = _axes(self.axis, a.ndim)
        return xp.mean(a, axis=self.axes, keepdims=self.keepdims)

    def backward(self, xp: Any, g: Any) -> Any:
        count = 1
        for ax in self.axes:
            count *= self.shape[ax]
        g = _expand(xp, g, self.axes, self.keepdims, self.shape)
        return xp.broadcast_to(g / float(count), self.shape)


class Max(Function):
    """Maximum (``largest=True``) or minimum; ties share the gradient equally (as ``torch.amax``)."""

    axis: Any
    keepdims: bool
    largest: bool = True

    def forward(self, xp: Any, a: Any) -> Any:
        self.a = a
        self.axes = _axes(self.axis, a.ndim)
        reduce = xp.max if self.largest else xp.min
        self.out = reduce(a, axis=self.axes, keepdims=True)
        return self.out if self.keepdims else xp.reshape(
            self.out, tuple(n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, xp: Any, g: Any) -> Any:
        shape = tuple(self.a.shape)
        mask = xp.astype(self.a == self.out, g.dtype)
        count = xp.sum(mask, axis=self.axes, keepdims=True)
        g = _expand(xp, g, self.axes, self.keepdims, shape)
        return g * mask / count


class LogSumExp(Function):
    axis: Any
    keepdims: bool

    def forward(self, xp: Any, a: Any) -> Any:
        self.a = a
        self.axes = _axes(self.axis, a.ndim)
        peak = xp.max(a, axis=self.axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, xp.zeros_like(peak))
        self.out = xp.log(xp.sum(xp.exp(a - peak), axis=self.axes, keepdims=True)) + peak
        return self.out if self.keepdims else xp.reshape(
            self.out, tuple(n for i, n in enumerate(a.shape) if i not in self.axes))

    def backward(self, xp: Any, g: Any) -> Any:
        g = _expand(xp, g, self.axes, self.keepdims, tuple(self.a.shape))
        return g * xp.exp(self.a - self.out)


def sum(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims, largest=True)


def min(x: Any, axis: Any = None, keepdims: bool = False) -> Any:  # noqa: A001
    return Max.apply(x, axis=axis, keepdims=keepdims, largest=False)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Any:
    return LogSumExp.apply(x, axis=axis, keepdims=keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False, correction: float = 0.0) -> Any:
    """Variance from differentiable pieces: ``sum((x - mean)^2) / (n - correction)``."""
    centred = x - mean(x, axis=axis, keepdims=True)
    axes = _axes(axis, x.ndim)
    count = 1
    for ax in axes:
        count *= x.shape[ax]
    return sum(centred * centred, axis=axis, keepdims=keepdims) / float(count - correction)
