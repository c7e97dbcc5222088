"""`affine_grid` and `grid_sample`: PyTorch's spatial-transformer pair, over (H, W) and (D, H, W).

`affine_grid` sends PyTorch's regular grid of normalized output positions in [-1, 1] through a batch of affine
matrices; `grid_sample` reads the input at normalized positions. A grid's last axis holds (x, y[, z]), which run
along (W, H[, D]): component ``k - 1 - a`` indexes spatial axis ``a``.

Sampling gathers rows of the input viewed as (N * D * H * W, C): one row per output position for ``nearest``,
the 2^k corners for ``bilinear`` (trilinear in 3-D). The input's gradient adds the same rows back
(``scatter_add``), and the grid's gradient is the derivative of the corner weights dotted with the gathered rows.
``padding_mode`` moves positions (``border``, ``reflection``) or leaves those outside to read zeros (``zeros``).
"""

from __future__ import annotations

import itertools
import math
import warnings
from fractions import Fraction
from functools import lru_cache
from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name, op
from ..backend.symbolic import is_symbolic
from ..backend.typing import Namespace
from .value_checks import require_tensor
from .value_checks import DTypeMismatchError, KernelNotImplementedError, ShapeMismatchError
from .value_checks import check_one_backend

MODES = ("bilinear", "nearest", "bicubic")
PADDING_MODES = ("zeros", "border", "reflection")
_DEFAULT_CHANGED = ("Default grid_sample and affine_grid behavior has changed to align_corners=False since 1.3.0. "
                    "Please specify align_corners=True if the old behavior is desired. See the documentation of "
                    "grid_sample for details.")


def _steps(xp: Namespace, like: Any, count: int, align_corners: bool) -> Any:
    """``count`` normalized positions across [-1, 1] (pixel centres unless ``align_corners``), (count,); 0 for 1."""
    if count <= 1:
        return xp.zeros((1,), dtype=like.dtype, device=device(like))
    # PyTorch's linspace_from_neg_one, rounding for rounding: its linspace takes a step in the grid's dtype and
    # computes each half from its own end (-1 + step * i, 1 - step * (count - 1 - i)) in one rounding, then
    # multiplies by (count - 1) and divides by count. At an identity theta every position then falls exactly where
    # PyTorch's does, which decides the side of bilinear's one-sided gradient (the spatial-transformer start).
    dev = device(like)
    if dtype_name(like.dtype) == "float64":  # one rounding from the exact value, which no wider dtype holds
        return xp.asarray(_float64_steps(count, align_corners), dtype=like.dtype, device=dev)
    wide = xp.float64 if _has_float64(xp) else like.dtype
    two = xp.asarray(2.0, dtype=like.dtype, device=dev)
    step = xp.astype(two / xp.asarray(count - 1, dtype=like.dtype, device=dev), wide)
    i = xp.arange(count, dtype=wide, device=dev)
    steps = xp.astype(xp.where(i < count // 2, -1.0 + step * i, 1.0 - step * ((count - 1) - i)), like.dtype)
    if align_corners:
        return steps
    # then * (count - 1) / count in the grid's dtype, each product and quotient rounded once: computed wide and
    # rounded (exact for float32 through float64), since XLA's CPU float32 division is not correctly rounded (JAX put
    # 14 of 28 positions one ulp off PyTorch's, which turned the transformer's first gradient)
    scaled = xp.astype(xp.astype(xp.astype(steps, wide) * (count - 1), like.dtype), wide)
    return xp.astype(scaled / count, like.dtype)


@lru_cache(maxsize=64)
def _float64_steps(count: int, align_corners: bool) -> tuple[float, ...]:
    """`_steps` in float64, rounding for rounding as PyTorch's, computed exactly on the host and rounded once per
    operation: its linspace's step 2 / (count - 1), each position ``-1 + step * i`` (first half) or
    ``1 - step * (count - 1 - i)`` in one rounding, as its fused multiply-add gives it (the middle of 7 is 5.6e-17,
    not 0), then ``* (count - 1)`` and ``/ count`` (XLA's CPU division is not correctly rounded)."""
    step = Fraction(2.0 / (count - 1))
    steps = [float(-1 + step * i) if i < count // 2 else float(1 - step * (count - 1 - i)) for i in range(count)]
    if not align_corners:
        steps = [float(Fraction(float(Fraction(x) * (count - 1))) / count) for x in steps]
    return tuple(steps)


def _has_float64(xp: Namespace) -> bool:
    return getattr(xp, "float64", None) is not None


class AffineGrid(Function):
    """theta (N, k, k + 1) → grid (N, *size, k): ``grid[n, ...] = theta[n] @ (x, y[, z], 1)`` at each position.

    ``size`` is the k output sizes (H, W) or (D, H, W).
    """

    size: tuple[int, ...]
    align_corners: bool

    def _base(self, xp: Namespace, like: Any) -> Any:
        """The homogeneous positions (D * H * W, k + 1): columns x, y[, z], 1."""
        k = len(self.size)
        columns = []
        for axis in reversed(range(k)):
            shape = tuple(self.size[a] if a == axis else 1 for a in range(k))
            column = xp.reshape(_steps(xp, like, self.size[axis], self.align_corners), shape)
            columns.append(xp.broadcast_to(column, self.size))
        columns.append(xp.ones(self.size, dtype=like.dtype, device=device(like)))
        return xp.reshape(xp.stack(columns, axis=-1), (math.prod(self.size), k + 1))

    def forward(self, xp: Namespace, theta: Any) -> Any:
        grid = self._base(xp, theta) @ theta.mT  # (N, L, k)
        return xp.reshape(grid, (theta.shape[0],) + self.size + (len(self.size),))

    def backward(self, xp: Namespace, grad: Any) -> Any:
        k = len(self.size)
        grad = xp.reshape(grad, (grad.shape[0], math.prod(self.size), k))
        return grad.mT @ self._base(xp, grad)


def _reflect(xp: Namespace, pos: Any, twice_low: int, twice_high: int) -> tuple[Any, Any]:
    """PyTorch's reflect_coordinates: ``pos`` folded into [low, high] by mirroring, and d(folded)/d(pos) (±1)."""
    if twice_low == twice_high:
        return xp.zeros_like(pos), xp.zeros_like(pos)
    low, span = twice_low / 2, (twice_high - twice_low) / 2
    shifted = pos - low
    sign = 1.0 - 2.0 * xp.astype(shifted < 0, pos.dtype)
    distance = xp.abs(shifted)
    flips = xp.floor(distance / span)
    extra = distance - flips * span
    even = xp.remainder(flips, 2.0) == 0
    return xp.where(even, extra + low, span - extra + low), xp.where(even, sign, -sign)


def _source_index(xp: Namespace, coord: Any, size: int, padding_mode: str, align_corners: bool,
                  pad: bool = True) -> tuple[Any, Any]:
    """A normalized coordinate as a position along an axis of ``size`` (PyTorch's
    grid_sampler_compute_source_index), and the derivative of that position with respect to the coordinate."""
    if align_corners:
        scale = (size - 1) / 2
        pos = (coord + 1.0) * scale
    else:
        scale = size / 2
        pos = ((coord + 1.0) * size - 1.0) / 2
    slope = xp.full_like(pos, scale)
    if not pad:  # bicubic: its taps are padded one by one (and PyTorch leaves huge positions as they are)
        return pos, slope
    if padding_mode == "reflection":
        pos, flip = _reflect(xp, pos, 0, 2 * (size - 1)) if align_corners else _reflect(xp, pos, -1, 2 * size - 1)
        slope = slope * flip
    if padding_mode in ("border", "reflection"):
        slope = xp.where((pos > 0) & (pos < size - 1), slope, 0.0)  # the border itself counts as clipped
        pos = xp.clip(pos, 0.0, float(size - 1))
    # PyTorch's safe_downgrade_to_int_range: inf, nan and huge positions read (zero) padding
    fits = xp.isfinite(pos) & (xp.abs(pos) < 2.0 ** 31 - 2)
    return xp.where(fits, pos, -100.0), xp.where(fits, slope, 0.0)


def _cubic_weights(xp: Namespace, t: Any) -> tuple[list[Any], list[Any]]:
    """PyTorch's bicubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 for fraction t, and their
    derivatives in t."""
    a = -0.75

    def near(s: Any) -> Any:  # |s| <= 1
        return ((a + 2) * s - (a + 3)) * s * s + 1

    def near_slope(s: Any) -> Any:
        return (3 * (a + 2) * s - 2 * (a + 3)) * s

    def far(s: Any) -> Any:  # 1 < |s| < 2
        return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a

    def far_slope(s: Any) -> Any:
        return (3 * a * s - 10 * a) * s + 8 * a

    weights = [far(t + 1.0), near(t), near(1.0 - t), far(2.0 - t)]
    slopes = [far_slope(t + 1.0), near_slope(t), -near_slope(1.0 - t), -far_slope(2.0 - t)]
    return weights, slopes


class GridSample(Function):
    """Sample x (N, C, *S) at grid (N, *S_out, k) → (N, C, *S_out), S = (H, W) or (D, H, W)."""

    mode: str
    padding_mode: str
    align_corners: bool

    def _taps(self, xp: Namespace, grid: Any, size: Sequence[int]) -> tuple[list[Any], list[Any], list[Any]]:
        """The rows read for each output position: (flat row indices (N * P,), weights (N * P,) that are zero for
        taps outside the input, weight derivatives per grid component (k arrays (N * P,)))."""
        n, k = grid.shape[0], len(size)
        p = math.prod(grid.shape[1:-1])
        coords = xp.reshape(grid, (-1 if n is None else n * p, k))  # (None: a symbolic batch, in ONNX export)
        cubic = self.mode == "bicubic"
        positions, slopes = [], []
        for axis in range(k):
            pos, slope = _source_index(xp, coords[:, k - 1 - axis], size[axis], self.padding_mode,
                                       self.align_corners, pad=not cubic)
            positions.append(pos)
            slopes.append(slope)
        dev = device(grid)
        if n is None:  # each row's batch index from its position, counted as the graph runs
            row = xp.cumulative_sum(xp.ones_like(coords[:, 0], dtype=xp.int64), axis=0) - 1
            first = (row // p) * math.prod(size)
        else:
            first = xp.reshape(xp.broadcast_to(xp.reshape(xp.arange(n, dtype=xp.int64, device=dev) *
                                                          math.prod(size), (n, 1)), (n, p)), (n * p,))
        if self.mode == "nearest":
            per_axis = [[(xp.astype(xp.round(pos), xp.int64), None, None)] for pos in positions]
        else:
            per_axis = []
            for pos in positions:
                start = xp.floor(pos)
                t = pos - start
                start = xp.astype(start, xp.int64)
                if cubic:
                    weights, derivatives = _cubic_weights(xp, t)
                    per_axis.append([(start + (j - 1), w, d) for j, (w, d) in enumerate(zip(weights, derivatives))])
                else:
                    per_axis.append([(start, 1.0 - t, -1.0), (start + 1, t, 1.0)])
        indices, weights, derivatives = [], [], []
        for taps in itertools.product(*per_axis):
            flat, inside, weight = first, None, None
            for axis, (index, w, _) in enumerate(taps):
                if cubic:  # bicubic pads each tap (PyTorch's get_value_bounded)
                    index = self._padded_tap(xp, index, size[axis])
                ok = (index >= 0) & (index < size[axis])
                inside = ok if inside is None else inside & ok
                stride = math.prod(size[axis + 1:])
                flat = flat + xp.clip(index, 0, size[axis] - 1) * stride
                if w is not None:
                    weight = w if weight is None else weight * w
            weight = xp.astype(inside, grid.dtype) if weight is None else xp.where(inside, weight, 0.0)
            indices.append(flat)
            weights.append(weight)
            if self.mode != "nearest":
                slopes_here = []
                for axis in range(k):
                    d = taps[axis][2]
                    for other, (_, w, _) in enumerate(taps):
                        if other != axis:
                            d = d * w
                    slopes_here.append(xp.where(inside, d, 0.0) * slopes[axis])
                derivatives.append(slopes_here)
        return indices, weights, derivatives

    def _padded_tap(self, xp: Namespace, index: Any, size: int) -> Any:
        """An integer tap position moved by ``padding_mode`` (border: clipped; reflection: mirrored, then
        clipped); ``zeros`` leaves it, to read zero outside."""
        if self.padding_mode == "zeros":
            return index
        pos = xp.astype(index, self.coord_dtype)
        if self.padding_mode == "reflection":
            twice = (0, 2 * (size - 1)) if self.align_corners else (-1, 2 * size - 1)
            pos, _ = _reflect(xp, pos, *twice)
        return xp.astype(xp.clip(pos, 0.0, float(size - 1)), xp.int64)

    def forward(self, xp: Namespace, x: Any, grid: Any) -> Any:
        n, c, *size = x.shape
        k = len(size)
        self.size, self.coord_dtype = tuple(size), grid.dtype
        out_sizes = tuple(grid.shape[1:-1])
        rows = xp.reshape(xp.permute_dims(x, (0,) + tuple(range(2, 2 + k)) + (1,)),
                          (-1 if n is None else n * math.prod(size), c))
        indices, weights, _ = self._taps(xp, grid, size)
        out = None
        for index, weight in zip(indices, weights):
            term = xp.take(rows, index, axis=0) * weight[:, None]
            out = term if out is None else out + term
        self.grid, self.rows = grid, rows if self.needs_input_grad[1] else None
        out = xp.permute_dims(xp.reshape(out, (n, math.prod(out_sizes), c)), (0, 2, 1))
        return xp.reshape(out, (n, c) + out_sizes)

    def backward(self, xp: Namespace, grad: Any) -> tuple[Any, Any]:
        n, c = grad.shape[0], grad.shape[1]
        size, k = self.size, len(self.size)
        points = math.prod(grad.shape[2:])  # (not -1: a batch of none leaves it ambiguous)
        g = xp.reshape(xp.permute_dims(xp.reshape(grad, (n, c, points)), (0, 2, 1)), (n * points, c))  # (N * P, C)
        indices, weights, derivatives = self._taps(xp, self.grid, size)
        grad_x = grad_grid = None
        if self.needs_input_grad[0]:
            values = xp.concat([g * w[:, None] for w in weights], axis=0)
            rows = op(self.backend, "scatter_add")(xp.concat(indices, axis=0), values, n * math.prod(size))
            grad_x = xp.permute_dims(xp.reshape(rows, (n,) + size + (c,)), (0, k + 1) + tuple(range(1, k + 1)))
        if self.needs_input_grad[1]:
            if self.mode == "nearest":
                grad_grid = xp.zeros_like(self.grid)
            else:
                per_axis: list[Any] = [None] * k
                for index, slopes in zip(indices, derivatives):
                    dot = xp.sum(xp.take(self.rows, index, axis=0) * g, axis=1)
                    for axis in range(k):
                        term = dot * slopes[axis]
                        per_axis[axis] = term if per_axis[axis] is None else per_axis[axis] + term
                grad_grid = xp.reshape(xp.stack(per_axis[::-1], axis=-1), self.grid.shape)
        return grad_x, grad_grid


# -- public functions -----------------------------------------------------------------------------------------


def _align(align_corners: bool | None) -> bool:
    if align_corners is None:
        warnings.warn(_DEFAULT_CHANGED, UserWarning, stacklevel=3)
        return False
    return bool(align_corners)


def affine_grid(theta: Tensor, size: Sequence[int], align_corners: bool | None = None) -> Tensor:
    """The sampling grid of a batch of affine transforms, for `grid_sample`.

    Parameters
    ----------
    theta : Tensor (N, 2, 3) for a 2-D ``size`` (N, C, H, W), (N, 3, 4) for a 3-D one (N, C, D, H, W)
    size : the output's full shape
    align_corners : normalized -1 and 1 are the corner pixels' centres (True) or their outer edges (False,
        the default, with PyTorch's warning when not given)

    Returns
    -------
    Tensor (N, H, W, 2) or (N, D, H, W, 3): ``theta @ (x, y[, z], 1)`` at each output position.
    """
    if not dtype_name(theta.dtype).startswith(("float", "bfloat")):
        raise TypeError(f"affine_grid: expected theta to have floating point type, but got {dtype_name(theta.dtype)}")
    batch = size[0] if is_symbolic(size[0]) else int(size[0])  # (x.size(0) of a symbolic batch, in ONNX export)
    size = (batch,) + tuple(int(s) for s in size[1:])
    if len(size) not in (4, 5):
        raise NotImplementedError(f"affine_grid: only 4-D and 5-D sizes are supported, for 2-D and 3-D affine "
                                  f"transforms respectively; got size {size}")
    k = len(size) - 2
    if theta.ndim != 3 or tuple(theta.shape[1:]) != (k, k + 1):
        raise ValueError(f"affine_grid: expected a batch of {k}-D affine matrices of shape (N, {k}, {k + 1}) for size "
                         f"{size}, got theta of shape {tuple(theta.shape)}")
    if min(size[1:]) <= 0 or (isinstance(batch, int) and batch <= 0):
        raise ValueError(f"affine_grid: expected a positive output size, got {size}")
    if isinstance(batch, int) and theta.shape[0] is not None and theta.shape[0] != batch:
        raise ValueError(f"affine_grid: theta of shape {tuple(theta.shape)} holds {theta.shape[0]} matrices, size "
                         f"{size} asks for a batch of {size[0]}")
    aligned = _align(align_corners)
    if aligned and min(size[2:]) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size grids when "
                      "align_corners=True. This is not an intended use case of affine_grid. See the documentation "
                      "of affine_grid for details.", UserWarning, stacklevel=2)
    return AffineGrid.apply(theta, size=size[2:], align_corners=aligned)


def grid_sample(input: Tensor, grid: Tensor, mode: str = "bilinear", padding_mode: str = "zeros",
                align_corners: bool | None = None) -> Tensor:
    """Read ``input`` at the normalized positions of ``grid`` (PyTorch's spatial-transformer sampler).

    Parameters
    ----------
    input : Tensor (N, C, H, W) or (N, C, D, H, W)
    grid : Tensor (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3), of input's dtype; its last axis is
        (x, y[, z]) in [-1, 1] along (W, H[, D])
    mode : ``"bilinear"`` (trilinear in 3-D), ``"nearest"`` or ``"bicubic"`` (2-D only)
    padding_mode : what positions outside the input read: ``"zeros"``, ``"border"`` (the nearest edge value)
        or ``"reflection"`` (mirrored at the edges)
    align_corners : as `affine_grid`

    Returns
    -------
    Tensor (N, C, H_out, W_out) or (N, C, D_out, H_out, W_out). Gradients flow to input and grid
    (``nearest`` gives the grid a zero gradient, as PyTorch).
    """
    require_tensor("grid_sampler", input)
    require_tensor("grid_sampler", grid, "grid", 2)
    if mode not in MODES:
        raise ValueError(f"grid_sample: expected mode to be 'bilinear', 'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"grid_sample: expected padding_mode to be 'zeros', 'border', or 'reflection', but got: "
                         f"'{padding_mode}'")
    if input.ndim not in (4, 5):
        raise ValueError(f"grid_sample: expected a 4-D (N, C, H, W) or 5-D (N, C, D, H, W) input, got input of shape "
                         f"{tuple(input.shape)}")
    k = input.ndim - 2
    if grid.ndim != input.ndim or grid.shape[-1] != k:
        raise ShapeMismatchError(f"grid_sample: a {input.ndim}-D input of shape {tuple(input.shape)} needs a grid "
                                 f"of shape (N, {', '.join(f'{axis}_out' for axis in 'DHW'[3 - k:])}, {k}), got "
                                 f"grid of shape {tuple(grid.shape)}")
    if grid.shape[0] != input.shape[0]:
        raise ShapeMismatchError(f"grid_sample: expected grid and input to have the same batch size, got input "
                                 f"of shape {tuple(input.shape)} and grid of shape {tuple(grid.shape)}")
    if min(input.shape[2:]) < 1:
        raise ValueError(f"grid_sample: expected input to have non-empty spatial dimensions, got input of shape "
                         f"{tuple(input.shape)}")
    if mode == "bicubic" and k != 2:
        raise ValueError(f"grid_sample: bicubic interpolation only supports 4-D input, got input of shape "
                         f"{tuple(input.shape)}")
    check_one_backend("grid_sample", input, grid)
    if input.dtype != grid.dtype:
        raise DTypeMismatchError(f"grid_sample: expected input and grid to have the same dtype, got input "
                                 f"{dtype_name(input.dtype)} and grid {dtype_name(grid.dtype)}")
    if not dtype_name(input.dtype).startswith(("float", "bfloat")):
        raise KernelNotImplementedError(f"grid_sample: expected a floating point input and grid, got "
                                        f"{dtype_name(input.dtype)} (PyTorch: not implemented for it)")
    return GridSample.apply(input, grid, mode=mode, padding_mode=padding_mode, align_corners=_align(align_corners))
