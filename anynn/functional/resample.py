"""Resampling: ``interpolate`` (nearest, nearest-exact, linear, bilinear, bicubic, trilinear, area) and pixel
(un)shuffle.

Interpolation is separable: along each spatial axis the output is a fixed (out, in) matrix times the
input (one-hot rows for nearest, two weights per row for linear, four for cubic, a window's mean for area). The
forward gathers each row's taps (so an inf or NaN reaches only the outputs that read it, as in PyTorch); the
backward multiplies by the transposed matrices, with no scatter. Index rules are PyTorch's, including its
float32 nearest arithmetic.
"""

from __future__ import annotations

import math
import warnings
from array import array
from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.symbolic import is_symbolic
from ..backend.typing import Namespace
from .value_checks import ShapeMismatchError
from .value_checks import KernelNotImplementedError, is_floating, refuse_float_ints, refuse_kernel
from .pool_symbolic import adaptive_bins, scaled_size, symbolic_sizes

_LINEAR_MODES = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}  # the interpolating modes' spatial dims
MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")
# mode -> the CPU kernel of PyTorch's that refuses complex input (and, nearest modes, integers but uint8, and bool)
_KERNELS = {"nearest": "compute_indices_weights_nearest", "nearest-exact": "compute_indices_weights_nearest",
            "linear": "compute_indices_weights_linear", "bilinear": "upsample_bilinear2d",
            "bicubic": "compute_indices_weights_cubic", "trilinear": "compute_indices_weights_linear",
            "area": "adaptive_avg_pool2d"}
_NEAREST_REFUSED = ("complex floating", "bool", "int8", "int16", "int32", "int64")
_CUBIC_A = -0.75  # PyTorch's (and OpenCV's) cubic convolution constant


def _float32(value: float) -> float:
    """``value`` rounded to float32 (PyTorch computes nearest indices in float)."""
    return array("f", [value])[0]


def _scale(in_size: int, out_size: int, scale_factor: float | None) -> float:
    """PyTorch's ``compute_scales_value``: 1 / scale_factor when one was given, else in / out."""
    return 1.0 / scale_factor if scale_factor is not None and scale_factor > 0 else in_size / out_size


def nearest_indices(in_size: int, out_size: int, scale_factor: float | None, exact: bool) -> list[int]:
    """Source index of each output position (``nearest``: floor(i s), ``nearest-exact``: floor((i + .5) s))."""
    if not exact and out_size == in_size:
        return list(range(out_size))
    if not exact and out_size == 2 * in_size:
        return [i >> 1 for i in range(out_size)]
    scale = _float32(_scale(in_size, out_size, scale_factor))
    offset = 0.5 if exact else 0.0
    return [min(int(math.floor(_float32((i + offset) * scale))), in_size - 1) for i in range(out_size)]


def linear_weights(in_size: int, out_size: int, scale_factor: float | None,
                   align_corners: bool) -> tuple[list[int], list[int], list[float]]:
    """For each output position: the two source indices and the weight of the second (PyTorch's rule: an axis whose
    size does not change is copied, whatever the scale factor, as PyTorch's kernels copy it)."""
    if out_size == in_size:
        return list(range(out_size)), list(range(out_size)), [0.0] * out_size
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        scale = _scale(in_size, out_size, scale_factor)
    low, high, weight = [], [], []
    for i in range(out_size):
        src = scale * i if align_corners else max(scale * (i + 0.5) - 0.5, 0.0)
        i0 = min(int(src), in_size - 1)
        low.append(i0)
        high.append(i0 + (1 if i0 < in_size - 1 else 0))
        weight.append(min(max(src - i0, 0.0), 1.0))
    return low, high, weight


def area_windows(in_size: int, out_size: int) -> list[tuple[int, int]]:
    """Each output position's input window ``[start, end)`` (adaptive average pooling's)."""
    return [((i * in_size) // out_size, -(-((i + 1) * in_size) // out_size)) for i in range(out_size)]


def cubic_weights(in_size: int, out_size: int, scale_factor: float | None,
                  align_corners: bool) -> list[list[tuple[int, float]]]:
    """For each output position: four (source index, weight) pairs, the indices clamped to the border (PyTorch's
    ``upsample_bicubic2d``: Keys' kernel with A = -0.75, source ``scale (i + 0.5) - 0.5`` not clamped at 0)."""
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        scale = _scale(in_size, out_size, scale_factor)
    a = _CUBIC_A
    rows = []
    for i in range(out_size):
        src = scale * i if align_corners else scale * (i + 0.5) - 0.5
        base = math.floor(src)
        t = src - base
        near = [((a + 2) * x - (a + 3)) * x * x + 1 for x in (t, 1.0 - t)]  # |x| <= 1
        far = [((a * x - 5 * a) * x + 8 * a) * x - 4 * a for x in (t + 1.0, 2.0 - t)]  # 1 < |x| < 2
        weights = (far[0], near[0], near[1], far[1])
        rows.append([(min(max(base - 1 + k, 0), in_size - 1), weights[k]) for k in range(4)])
    return rows


_AA_HALF_WIDTH = {"bilinear": 1.0, "bicubic": 2.0}  # the filter's half width at scale 1


def _aa_filter(mode: str, x: float) -> float:
    """The antialiasing filter: the triangle (bilinear) or Keys' cubic with a = -0.5 (bicubic, PIL's choice)."""
    x = abs(x)
    if mode == "bilinear":
        return max(1.0 - x, 0.0)
    a = -0.5
    if x < 1.0:
        return ((a + 2) * x - (a + 3)) * x * x + 1
    return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a if x < 2.0 else 0.0


def antialias_weights(in_size: int, out_size: int, mode: str, scale_factor: float | None,
                      align_corners: bool) -> list[list[tuple[int, float]]]:
    """For each output position: its (source index, weight) pairs with ``antialias=True`` (PyTorch's, after
    PIL): when shrinking by ``s > 1`` the filter is stretched s times, so every input pixel under it contributes;
    the taps are those whose centres fall within the support (none past the border) and the weights are
    normalized to sum to 1. An axis whose size does not change is copied, whatever the scale factor (3 * 1.3 -> 3),
    as PyTorch's kernel copies it."""
    if out_size == in_size:
        return [[(i, 1.0)] for i in range(out_size)]
    if align_corners:
        scale = (in_size - 1) / (out_size - 1) if out_size > 1 else 0.0
    else:
        scale = _scale(in_size, out_size, scale_factor)
    stretch = scale if scale >= 1.0 else 1.0
    support = _AA_HALF_WIDTH[mode] * stretch
    rows = []
    for i in range(out_size):
        center = scale * (i + 0.5)
        start = max(int(center - support + 0.5), 0)  # (int truncates toward zero, as the C++ cast)
        stop = min(int(center + support + 0.5), in_size)
        weights = [_aa_filter(mode, (j - center + 0.5) / stretch) for j in range(start, stop)]
        total = sum(weights)
        rows.append([(j, w / total if total != 0.0 else w) for j, w in zip(range(start, stop), weights)])
    return rows


def _gather_rows(xp: Namespace, x: Any, axis: int, rows: list[list[tuple[int, float]]]) -> Any:
    """``out[i] = sum_k w_ik x[j_ik]`` along ``axis`` for rows of different lengths: the k-th taps of all rows
    at once; a row shorter than k adds nothing (a tap of weight 0 that is in a row still multiplies, as PyTorch's
    kernel does, so ``0 * inf`` is NaN there too)."""
    dev = device(x)
    shape = [1] * x.ndim
    shape[axis] = len(rows)
    out = None
    for k in range(max((len(r) for r in rows), default=0)):
        index = [r[min(k, len(r) - 1)][0] if r else 0 for r in rows]
        weight = [r[k][1] if k < len(r) else 0.0 for r in rows]
        term = xp.take(x, xp.asarray(index, dtype=xp.int64, device=dev), axis=axis)
        term = term * xp.reshape(xp.asarray(weight, dtype=x.dtype, device=dev), tuple(shape))
        if any(k >= len(r) for r in rows):
            present = xp.reshape(xp.asarray([k < len(r) for r in rows], device=dev), tuple(shape))
            term = xp.where(present, term, xp.zeros_like(term))
        out = term if out is None else out + term
    if out is None:  # (an axis of no taps: zeros of the output's shape)
        out_shape = list(x.shape)
        out_shape[axis] = len(rows)
        out = xp.zeros(tuple(out_shape), dtype=x.dtype, device=dev)
    return out


def _dense(xp: Namespace, like: Any, in_size: int, rows: list[list[tuple[int, float]]]) -> Any:
    """The (len(rows), in_size) matrix whose row i adds each weight at its column (repeated columns add up)."""
    values = [0.0] * (len(rows) * in_size)
    for i, row in enumerate(rows):
        for column, weight in row:
            values[i * in_size + column] += weight
    flat = xp.asarray(values, dtype=like.dtype, device=device(like))
    return xp.reshape(flat, (len(rows), in_size))


def _matrix(xp: Namespace, like: Any, in_size: int, out_size: int, mode: str, scale_factor: float | None,
            align_corners: bool) -> Any:
    """The (out, in) interpolation matrix of one axis, in ``like``'s dtype and device."""
    dev = device(like)
    columns = xp.arange(in_size, device=dev)[None, :]
    if mode in ("nearest", "nearest-exact"):
        index = xp.asarray(nearest_indices(in_size, out_size, scale_factor, mode == "nearest-exact"), device=dev)
        return xp.astype(columns == index[:, None], like.dtype)
    if mode == "area":
        return _dense(xp, like, in_size, [[(j, 1.0 / (end - start)) for j in range(start, end)]
                                          for start, end in area_windows(in_size, out_size)])
    if mode == "bicubic":
        return _dense(xp, like, in_size, cubic_weights(in_size, out_size, scale_factor, align_corners))
    low, high, weight = linear_weights(in_size, out_size, scale_factor, align_corners)
    lam = xp.asarray(weight, dtype=like.dtype, device=dev)[:, None]
    low_hot = xp.astype(columns == xp.asarray(low, device=dev)[:, None], like.dtype)
    high_hot = xp.astype(columns == xp.asarray(high, device=dev)[:, None], like.dtype)
    return low_hot * (1.0 - lam) + high_hot * lam


def taps(in_size: int, out_size: int, mode: str, scale_factor: float | None,
         align_corners: bool) -> list[tuple[list[int], list[float] | None]]:
    """One axis's interpolation as taps: output i is ``sum_k weight_k[i] * x[index_k[i]]`` (weights None: 1).

    The forward gathers these instead of multiplying by the (out, in) matrix, whose zeros would turn an inf or
    NaN anywhere along the axis into NaN everywhere (``0 * inf``). A tap of weight exactly 0 is still read where
    PyTorch's kernel reads it (linear, cubic: its ``0 * inf`` is PyTorch's NaN too); area windows shorter than
    the longest are padded with weight-0 taps, which the caller must skip (``weight > 0``).
    """
    if mode in ("nearest", "nearest-exact"):
        return [(nearest_indices(in_size, out_size, scale_factor, mode == "nearest-exact"), None)]
    if mode == "area":
        windows = area_windows(in_size, out_size)
        longest = max((end - start for start, end in windows), default=0)
        return [([min(start + k, end - 1) for start, end in windows],
                 [1.0 / (end - start) if start + k < end else 0.0 for start, end in windows])
                for k in range(max(longest, 1))]  # (one tap of no indices for an empty output)
    if mode == "bicubic":
        rows = cubic_weights(in_size, out_size, scale_factor, align_corners)
        return [([row[k][0] for row in rows], [row[k][1] for row in rows]) for k in range(4)]
    low, high, weight = linear_weights(in_size, out_size, scale_factor, align_corners)
    return [(low, [1.0 - w for w in weight]), (high, weight)]


def gather_taps(xp: Namespace, x: Any, axis: int, axis_taps: list[tuple[list[int], list[float] | None]],
                skip_zero_weights: bool = False) -> Any:
    """``sum_k weight_k * take(x, index_k, axis)``, the weights broadcast along ``axis``."""
    dev = device(x)
    shape = [1] * x.ndim
    out = None
    for index, weights in axis_taps:
        term = xp.take(x, xp.asarray(index, dtype=xp.int64, device=dev), axis=axis)
        if weights is not None:
            shape[axis] = len(weights)
            w = xp.reshape(xp.asarray(weights, dtype=x.dtype, device=dev), tuple(shape))
            term = xp.where(w > 0, term * w, xp.zeros_like(term)) if skip_zero_weights else term * w
        out = term if out is None else out + term
    return out


class UnsupportedRankError(ShapeMismatchError, NotImplementedError):
    """An input of a rank interpolate has no kernel for (PyTorch: NotImplementedError, 'Input Error: Only 3D, 4D and
    5D input Tensors supported (got 2D)'); a ValueError too."""


class Interpolate(Function):
    """x (N, C, *spatial) → (N, C, *out_size): gathered taps per spatial axis forward, their matrices backward.

    The matrices are built in ``backward`` from the sizes: no array is saved, as PyTorch's upsample backwards save
    only sizes and scales, so a backward without retain_graph leaves the node and a second one runs through it."""

    @property
    def ties_constant_gradient(self) -> bool:  # type: ignore[override]
        """Linear in the input: its gradient reads no input, but for area, which PyTorch computes as adaptive
        average pooling, whose backward reads it."""
        return self.mode == "area"

    out_size: tuple[int, ...]
    mode: str
    scale_factors: tuple[float | None, ...]
    align_corners: bool
    antialias: bool = False

    def forward(self, xp: Namespace, x: Any) -> Any:
        spatial = len(self.out_size)
        self.in_shape = tuple(x.shape)
        if self.mode == "area":  # PyTorch's adaptive average pooling saves its input (its backward never reads it)
            self.x = x
        for k in range(spatial):
            axis = x.ndim - spatial + k
            if self.antialias:  # rows of varying length: gathered per tap
                x = _gather_rows(xp, x, axis, antialias_weights(x.shape[axis], self.out_size[k], self.mode,
                                                                self.scale_factors[k], self.align_corners))
            else:
                x = gather_taps(xp, x, axis, taps(x.shape[axis], self.out_size[k], self.mode, self.scale_factors[k],
                                                  self.align_corners), skip_zero_weights=self.mode == "area")
        return x

    def backward(self, xp: Namespace, g: Any) -> Any:
        return self._apply(xp, g, self._matrices(xp, g), transpose=True)

    def _matrices(self, xp: Namespace, like: Any) -> list[Any]:
        """The (out, in) matrix of each spatial axis, in ``like``'s dtype and device."""
        spatial = len(self.out_size)
        sizes = self.in_shape[len(self.in_shape) - spatial:]
        if self.antialias:
            return [_dense(xp, like, size, antialias_weights(size, self.out_size[k], self.mode,
                                                             self.scale_factors[k], self.align_corners))
                    for k, size in enumerate(sizes)]
        return [_matrix(xp, like, size, self.out_size[k], self.mode, self.scale_factors[k], self.align_corners)
                for k, size in enumerate(sizes)]

    def _apply(self, xp: Namespace, x: Any, matrices: list[Any], transpose: bool) -> Any:
        lead = x.ndim - len(matrices)
        for k, m in enumerate(matrices):
            m = m.mT if transpose else m
            shape = tuple(x.shape)
            before = _prod(shape[:lead + k])
            after = _prod(shape[lead + k + 1:])
            y = m @ xp.reshape(x, (before, shape[lead + k], after))
            x = xp.reshape(y, shape[:lead + k] + (m.shape[0],) + shape[lead + k + 1:])
        return x


def _prod(sizes: tuple[Any, ...]) -> Any:
    """The product of ``sizes``, or None where one is None (a symbolic batch axis of an ONNX export: the
    reshape it goes to then reads it as -1)."""
    return None if None in sizes else math.prod(sizes)


def _per_axis(value: Any, spatial: int, name: str) -> tuple[Any, ...]:
    if isinstance(value, (list, tuple)):
        if len(value) != spatial:
            raise ValueError(f"interpolate: {name} must have {spatial} elements for a {spatial}-D spatial input, "
                             f"got {value!r}")
        return tuple(value)
    return (value,) * spatial


def interpolate(input: Tensor, size: int | Sequence[int] | None = None,
                scale_factor: float | Sequence[float] | None = None, mode: str = "nearest",
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize input (N, C, L), (N, C, H, W) or (N, C, D, H, W) as PyTorch's ``F.interpolate``.

    Parameters
    ----------
    size : int or tuple, optional
        The output's spatial size (exactly one of ``size`` and ``scale_factor``).
    scale_factor : float or tuple, optional
        Output size ``floor(in * scale_factor)``; unless ``recompute_scale_factor`` the coordinates
        are mapped with ``1 / scale_factor`` (as PyTorch), not with ``in / out``.
    mode : ``"nearest"``, ``"nearest-exact"``, ``"linear"`` (3-D), ``"bilinear"``, ``"bicubic"`` (4-D),
        ``"trilinear"`` (5-D), ``"area"`` (adaptive average pooling to the output size)
    align_corners : bool, optional
        Interpolating modes only: map the corner pixels' centres onto each other (default False).
    antialias : bool
        ``bilinear`` and ``bicubic`` on 4-D input: when shrinking, each output averages every input pixel under
        the stretched filter (PyTorch's and PIL's antialiasing) instead of reading only the nearest 2 or 4.
    """
    if mode not in MODES:
        raise NotImplementedError(f"interpolate: mode {mode!r} is not supported; anynn has {MODES}")
    if antialias and not (mode in ("bilinear", "bicubic") and input.ndim == 4):
        raise ValueError(f"interpolate: Anti-alias option is restricted to bilinear and bicubic modes and requires a "
                         f"4-D tensor as input, got mode {mode!r} and a {input.ndim}-D input")
    refuse_kernel(f"interpolate ({mode})", _KERNELS[mode],
                  _NEAREST_REFUSED if mode.startswith("nearest") else ("complex floating",), input)
    if antialias:
        refuse_kernel(f"interpolate ({mode}, antialias)", "compute_index_ranges_weights", ("float16",), input)
    if mode not in ("nearest", "nearest-exact") and not is_floating(input):
        # (weights in an integer dtype are 0; PyTorch refuses every integer dtype here but uint8 in bilinear and
        # bicubic, which its fixed-point kernels round: the differences page)
        raise KernelNotImplementedError(f"interpolate ({mode}): expected a floating point input, got dtype "
                                        f"{dtype_name(input.dtype)}; cast it first (x.float()), or use "
                                        "mode='nearest'")
    spatial = input.ndim - 2
    if spatial < 1 or spatial > 3:
        raise UnsupportedRankError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got shape "
                                   f"{input.shape}")
    if mode in _LINEAR_MODES and _LINEAR_MODES[mode] != spatial:
        raise NotImplementedError(f"interpolate: mode {mode!r} needs a {_LINEAR_MODES[mode] + 2}-D input, got "
                                  f"{input.ndim}-D input of shape {input.shape}")
    if mode not in _LINEAR_MODES and align_corners is not None:
        raise ValueError("interpolate: align_corners option can only be set with the interpolating modes: "
                         "linear | bilinear | bicubic | trilinear")
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: only one of size or scale_factor should be defined")
    refuse_float_ints("interpolate", size=size)
    in_size = tuple(input.shape[2:])
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an explicit size")
        # (a SymInt, another tensor's symbolic size in ONNX export: F.interpolate(p5, size=c4.shape[-2:]), stays one)
        out_size = tuple(s if is_symbolic(s) else int(s) for s in _per_axis(size, spatial, "size"))
        factors: tuple[float | None, ...] = (None,) * spatial
    else:
        factors = tuple(float(f) for f in _per_axis(scale_factor, spatial, "scale_factor"))
        # (a symbolic axis, None in ONNX export, is sized when the graph runs: ONNX Resize by the factor)
        out_size = tuple(None if n is None else int(math.floor(n * f)) for n, f in zip(in_size, factors))
        if recompute_scale_factor:
            factors = (None,) * spatial
    if mode == "area" and (None in in_size or any(is_symbolic(n) for n in out_size)):
        return _area_symbolic(input, out_size, factors)
    if None in in_size or any(is_symbolic(n) for n in out_size):  # (sizes known when the graph runs)
        pass
    elif mode == "area":  # adaptive average pooling: an empty output is fine, an empty input window is not
        if min(out_size) < 0 or min(in_size) < 1:
            raise RuntimeError(f"interpolate (area): expected input spatial sizes above 0 and output sizes of at "
                               f"least 0, got input of shape {tuple(input.shape)} and output size {out_size}")
    elif min(out_size) < 1 or min(in_size) < 1:
        names = ("D", "H", "W")[3 - spatial:]
        given = ", ".join(f"{a}: {n}" for a, n in zip(names, in_size))
        wanted = ", ".join(f"{a}: {n}" for a, n in zip(names, out_size))
        raise RuntimeError(f"interpolate ({mode}): Input and output sizes should be greater than 0, but got input "
                           f"({given}) output ({wanted})")
    if antialias:
        return Interpolate.apply(input, out_size=out_size, mode=mode, scale_factors=factors,
                                 align_corners=bool(align_corners), antialias=True)
    return Interpolate.apply(input, out_size=out_size, mode=mode, scale_factors=factors,
                             align_corners=bool(align_corners))


def _area_symbolic(x: Tensor, out_size: tuple[Any, ...], factors: tuple[float | None, ...]) -> Tensor:
    """Area interpolation over symbolic sizes (an ONNX export with them in dynamic_axes): PyTorch's adaptive average
    bins to ``out_size``, a size of which may be known only when the graph runs: another tensor's `SymInt`, or a
    scale factor's ``floor(n * factor)`` of a symbolic size ``n`` (in float64, as PyTorch's Python computes it),
    whose bins the graph counts as it runs."""
    sizes = symbolic_sizes(x, len(out_size))
    return adaptive_bins(x, tuple(scaled_size(x.backend.xp, n, f) if out is None else out
                                  for out, n, f in zip(out_size, sizes, factors)), "mean")


def _deprecated(name: str) -> None:
    warnings.warn(f"`nn.functional.{name}` is deprecated. Use `nn.functional.interpolate` instead.", UserWarning,
                  stacklevel=3)


def upsample(input: Tensor, size: Any = None, scale_factor: Any = None, mode: str = "nearest",
             align_corners: bool | None = None) -> Tensor:
    """PyTorch's deprecated alias of `interpolate` (warns as PyTorch does)."""
    _deprecated("upsample")
    return interpolate(input, size, scale_factor, mode, align_corners)


def upsample_nearest(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """PyTorch's deprecated ``interpolate(input, size, scale_factor, mode="nearest")``."""
    _deprecated("upsample_nearest")
    return interpolate(input, size, scale_factor, mode="nearest")


def upsample_bilinear(input: Tensor, size: Any = None, scale_factor: Any = None) -> Tensor:
    """PyTorch's deprecated ``interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)``.

    input: (N, C, H, W) → (N, C, H_out, W_out).
    """
    _deprecated("upsample_bilinear")
    return interpolate(input, size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffleFunction(Function):
    """(*, C r^2, H, W) → (*, C, H r, W r) (``factor`` = r); ``inverse`` runs pixel unshuffle instead."""

    factor: int
    inverse: bool

    def forward(self, xp: Namespace, x: Any) -> Any:
        return _shuffle(xp, x, self.factor, self.inverse)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return _shuffle(xp, g, self.factor, not self.inverse)


def _shuffle(xp: Namespace, x: Any, r: int, unshuffle: bool) -> Any:
    *lead, c, h, w = x.shape
    lead = tuple(lead)
    n = len(lead)
    if unshuffle:  # (*, C, H r, W r) → (*, C r^2, H, W)
        y = xp.reshape(x, lead + (c, h // r, r, w // r, r))
        y = xp.permute_dims(y, tuple(range(n)) + (n, n + 2, n + 4, n + 1, n + 3))
        return xp.reshape(y, lead + (c * r * r, h // r, w // r))
    y = xp.reshape(x, lead + (c // (r * r), r, r, h, w))
    y = xp.permute_dims(y, tuple(range(n)) + (n, n + 3, n + 1, n + 4, n + 2))
    return xp.reshape(y, lead + (c // (r * r), h * r, w * r))


def pixel_shuffle(input: Tensor, upscale_factor: int) -> Tensor:
    """(*, C r^2, H, W) → (*, C, H r, W r) with r = ``upscale_factor`` (sub-pixel convolution's rearrangement)."""
    r = int(upscale_factor)
    if input.ndim < 3 or r < 1 or input.shape[-3] % (r * r):
        raise ShapeMismatchError(f"pixel_shuffle: expected input (*, C * {r}^2, H, W) with at least 3 dimensions and "
                                 f"channels divisible by {r * r}, got shape {input.shape}")
    return PixelShuffleFunction.apply(input, factor=r, inverse=False)


def pixel_unshuffle(input: Tensor, downscale_factor: int) -> Tensor:
    """(*, C, H r, W r) → (*, C r^2, H, W) with r = ``downscale_factor`` (the inverse of `pixel_shuffle`)."""
    r = int(downscale_factor)
    if input.ndim < 3 or r < 1 or any(n is not None and n % r for n in input.shape[-2:]):  # (None: ONNX export's
        # symbolic axis, sized when the graph runs)
        raise ShapeMismatchError(f"pixel_unshuffle: expected input (*, C, H * {r}, W * {r}) with at least 3 "
                                 f"dimensions, got shape {input.shape}")
    return PixelShuffleFunction.apply(input, factor=r, inverse=True)
