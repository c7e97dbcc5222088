"""PyTorch's sampled-function calculus under its names: ``torch.trapz`` (the old ``trapezoid``),
``torch.cumulative_trapezoid`` and ``torch.gradient`` (second-order central differences inside, first- or
second-order one-sided differences at the edges, on uniform spacing or given coordinates). Each is a composition of
slices and arithmetic, so gradients flow through it to ``y`` (and to coordinates given as tensors).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .array_statistics import trapezoid
from .elementwise import divided, scaled
from .tensor_extras import cat


def _along(t: Tensor, dim: int, index: Any) -> Tensor:
    return t[(slice(None),) * dim + (index,)]


def _dim(op: str, t: Tensor, dim: int) -> int:
    axis = dim + t.ndim if dim < 0 else dim
    if not 0 <= axis < t.ndim:
        raise IndexError(f"{op}: Dimension out of range (expected to be in range of [{-t.ndim}, {t.ndim - 1}], but "
                         f"got {dim})")
    return axis


def trapz(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """``torch.trapz``: `trapezoid` (sample points ``x``, or spacing ``dx``, default 1)."""
    return trapezoid(y, x, dx=dx, dim=dim)


def cumulative_trapezoid(y: Tensor, x: Tensor | None = None, *, dx: float | None = None, dim: int = -1) -> Tensor:
    """``torch.cumulative_trapezoid``: the running trapezoidal integral along ``dim``, one element shorter than
    ``y`` there; sample points ``x`` (1-D of ``y.shape[dim]`` points, or broadcasting with ``y``) or spacing
    ``dx``."""
    if x is not None and dx is not None:
        raise TypeError("cumulative_trapezoid() takes either the sample points x or the spacing dx, not both")
    if isinstance(y, Tensor) and dtype_name(y.dtype) == "bool":
        raise RuntimeError("cumulative_trapezoid: received a bool input for `y`, but bool is not supported (as in "
                           "PyTorch)")
    axis = _dim("cumulative_trapezoid", y, dim)
    heights = scaled(_along(y, axis, slice(1, None)) + _along(y, axis, slice(None, -1)), 0.5)  # (y_i + y_i+1) / 2
    if isinstance(x, Tensor):
        if x.ndim == 1:
            if x.shape[0] != y.shape[axis]:
                raise RuntimeError(f"cumulative_trapezoid: There must be one `x` value for each sample point, got "
                                   f"{x.shape[0]} x values and {y.shape[axis]} samples along dim {dim}")
            x = x.reshape((x.shape[0],) + (1,) * (y.ndim - axis - 1))
        x_axis = x.ndim - (y.ndim - axis)
        heights = heights * (_along(x, x_axis, slice(1, None)) - _along(x, x_axis, slice(None, -1)))
    else:
        step = 1.0 if x is None and dx is None else (dx if x is None else x)
        heights = scaled(heights, step)  # (numbers: a second backward runs, as PyTorch's)
    return heights.cumsum(axis)


def _coordinates(t: Tensor, spacing: Any, axis: int) -> Tensor:
    """The sample coordinates along ``axis``: ``arange(n) * spacing`` for a number, the given 1-D tensor else."""
    n = t.shape[axis]
    if isinstance(spacing, Tensor):
        if spacing.ndim != 1 or spacing.shape[0] != n:
            raise RuntimeError(f"torch.gradient expected each tensor to be on the same device and to have a size of "
                               f"{n} along dim {axis}, got coordinates of shape {tuple(spacing.shape)}")
        return spacing
    steps = t.detach().new_ones((n,)).cumsum(0) - 1
    return steps * spacing


def _derivative(f: Tensor, x: Tensor, axis: int, edge_order: int) -> Tensor:
    """d f / d x along ``axis`` of ``f`` for coordinates ``x`` (1-D): numpy's and PyTorch's formulas."""
    shape = [1] * f.ndim
    shape[axis] = -1

    def part(t: Tensor, index: Any) -> Tensor:
        return _along(t, axis, index)

    def coord(index: Any) -> Tensor:
        return x[index].reshape(shape) if isinstance(index, slice) else x[index]

    left_step, right_step = coord(slice(1, -1)) - coord(slice(None, -2)), coord(slice(2, None)) - coord(slice(1, -1))
    inside = (left_step ** 2 * part(f, slice(2, None)) + (right_step ** 2 - left_step ** 2) * part(f, slice(1, -1))
              - right_step ** 2 * part(f, slice(None, -2))) / (left_step * right_step * (left_step + right_step))
    if edge_order == 1:
        first = (part(f, slice(1, 2)) - part(f, slice(0, 1))) / (coord(1) - coord(0))
        last = (part(f, slice(-1, None)) - part(f, slice(-2, -1))) / (coord(-1) - coord(-2))
    else:
        d1, d2 = coord(1) - coord(0), coord(2) - coord(1)
        first = (-(2 * d1 + d2) / (d1 * (d1 + d2)) * part(f, slice(0, 1)) + (d1 + d2) / (d1 * d2) *
                 part(f, slice(1, 2)) - d1 / (d2 * (d1 + d2)) * part(f, slice(2, 3)))
        d1, d2 = coord(-2) - coord(-3), coord(-1) - coord(-2)
        last = (d2 / (d1 * (d1 + d2)) * part(f, slice(-3, -2)) - (d2 + d1) / (d1 * d2) * part(f, slice(-2, -1)) +
                (2 * d2 + d1) / (d2 * (d1 + d2)) * part(f, slice(-1, None)))
    return cat([first, inside, last], axis)


def _uniform_derivative(f: Tensor, step: Any, axis: int, edge_order: int) -> Tensor:
    """d f / d x along ``axis`` for samples ``step`` apart (a number): PyTorch's formulas and order of operations
    (central differences inside, one-sided ones of ``edge_order`` at the ends), through Scalar products that save
    no value, so a second backward without retain_graph runs as PyTorch's does."""
    def part(start: int, stop: int | None) -> Tensor:
        return _along(f, axis, slice(start, stop))

    inside = divided(divided(part(2, None) - part(0, -2), step), 2)
    if edge_order == 1:
        first = divided(part(1, 2) - part(0, 1), step)
        last = divided(part(-1, None) - part(-2, -1), step)
    else:
        first = divided(scaled(part(0, 1), -1.5) + scaled(part(1, 2), 2) - scaled(part(2, 3), 0.5), step)
        last = divided(scaled(part(-3, -2), 0.5) - scaled(part(-2, -1), 2) + scaled(part(-1, None), 1.5), step)
    return cat([first, inside, last], axis)


def gradient(input: Tensor, *, spacing: Any = 1, dim: int | Sequence[int] | None = None,  # noqa: A002
             edge_order: int = 1) -> tuple[Tensor, ...]:
    """``torch.gradient``: the derivative of ``input`` sampled on a grid, along each of ``dim`` (default: every
    dimension), as a tuple of tensors of ``input``'s shape. ``spacing`` is one number for every dimension, one number
    per dimension, or one 1-D coordinate tensor per dimension; ``edge_order`` 1 or 2 at the ends."""
    if edge_order not in (1, 2):
        raise RuntimeError(f"torch.gradient only supports edge_order=1 and edge_order=2, got {edge_order}")
    dims = list(range(input.ndim)) if dim is None else [dim] if isinstance(dim, int) else list(dim)
    axes = [_dim("torch.gradient", input, d) for d in dims]
    if isinstance(spacing, (list, tuple)):
        if len(spacing) != len(axes):
            raise RuntimeError(f"torch.gradient expected spacing to be unspecified, a scalar or it's spacing and dim "
                               f"arguments to have the same length, but got a spacing argument of length "
                               f"{len(spacing)} and a dim argument of length {len(axes)}.")
        spacings = list(spacing)
    else:  # (None: PyTorch's optional spacing, unit steps)
        spacings = [1 if spacing is None else spacing] * len(axes)
    for axis in axes:
        if input.shape[axis] < edge_order + 1:
            raise RuntimeError("torch.gradient expected each dimension size to be at least edge_order+1")
    return tuple(_derivative(input, _coordinates(input, s, axis), axis, edge_order) if isinstance(s, Tensor)
                 else _uniform_derivative(input, s, axis, edge_order) for s, axis in zip(spacings, axes))


__all__ = ["cumulative_trapezoid", "gradient", "trapz"]
