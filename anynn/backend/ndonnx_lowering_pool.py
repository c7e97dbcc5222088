"""Lowerings of pooling and resampling to ONNX operators: MaxPool / AveragePool (PyTorch's windows and divisors),
adaptive average pooling, Resize for ``interpolate`` over symbolic sizes, and GridSample.

Entries follow `ndonnx_lowering`'s contract: ``lower(fn, xp, *arrays)`` gives the ndonnx output, or
``NotImplemented`` where ONNX has no operator for the configuration (the recorded forward runs instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .averaging import averaging_matrix
from .ndonnx_graph import const, last, np_dtype, ops, static_shape, var, wrap
from .ndonnx_sizes import has_symbolic, shape_array, with_sizes
from .typing import Namespace


def _pool_geometry(fn: Any, x: Any) -> dict[str, Any] | None:
    """ONNX pooling attributes for (N, C, *spatial) input with known spatial sizes. Ceil mode is written as floor
    mode over the end padding PyTorch's last window needs (``fn.windows``): ONNX's ceil_mode also counts a last
    window that starts in the padding, in onnx's shape inference at least, so the graph would carry a wrong size.
    Over symbolic sizes ceil mode is ONNX's, whose extra last window `_windows_of_pytorch` cuts off."""
    n = fn.spatial_dims
    sizes = static_shape(x)[2:]
    if x.ndim != n + 2:
        return None
    if None in sizes:  # symbolic spatial axes: floor mode is ONNX's pooling over the symmetric padding as it is
        padding = last(fn.padding, n)
        return dict(kernel_shape=last(fn.kernel, n), strides=last(fn.stride, n), pads=padding + padding,
                    ceil_mode=int(bool(fn.ceil_mode)))
    _, pads = fn.windows((1,) * (len(fn.kernel) - n) + tuple(sizes))
    pads, kernel = last(pads, n), last(fn.kernel, n)
    if any(after >= k for (_, after), k in zip(pads, kernel)):
        return None  # (a dilated window's end padding: onnxruntime wants pads smaller than the kernel)
    return dict(kernel_shape=kernel, strides=last(fn.stride, n),
                pads=[before for before, _ in pads] + [after for _, after in pads], ceil_mode=0)


def _windows_of_pytorch(fn: Any, x: Any, pooled: Any) -> Any:
    """``pooled`` (ONNX's pool of x, a spox variable) cut to PyTorch's window count. In ceil mode PyTorch drops a
    last window that would start in the end padding, which ONNX's ceil_mode may count: along each axis at most
    ``(size + padding - 1) // stride + 1`` windows, the sizes read as the graph runs (a Slice, which clamps). Where
    no window can start in the padding (no padding, windows at least as wide as the stride: torchvision's
    MaxPool2d(3, 2, ceil_mode=True)) the pool is left as it is."""
    n = fn.spatial_dims
    padding, stride = last(fn.padding, n), last(fn.stride, n)
    spans = [(k - 1) * d + 1 for k, d in zip(last(fn.kernel, n), last(fn.dilation, n))]
    if not fn.ceil_mode or None not in static_shape(x)[2:] or (  # (known sizes: `_pool_geometry`'s floor mode)
            not any(padding) and all(span >= s for span, s in zip(spans, stride))):
        return wrap(pooled)
    op = ops()
    sizes = op.slice(op.shape(var(x)), const([2], np.int64), const([x.ndim], np.int64))
    limit = op.add(op.div(op.add(sizes, const([p - 1 for p in padding], np.int64)), const(stride, np.int64)),
                   const([1] * n, np.int64))
    cut = op.slice(pooled, const([0] * n, np.int64), limit, const(list(range(2, x.ndim)), np.int64))
    return with_sizes(wrap(cut), tuple(static_shape(x)[:2]) + (None,) * n)


def max_pool(fn: Any, xp: Namespace, x: Any) -> Any:
    """MaxPool. With ``return_indices`` over symbolic spatial sizes (where the recorded windows need the sizes) its
    Indices too: ONNX counts positions over the whole (N, C, *spatial) input, PyTorch within each plane, so the
    remainder by the plane's size as the graph reads it (both ignore the padding)."""
    geometry = _pool_geometry(fn, x)
    indices = getattr(fn, "return_indices", False)
    if geometry is None or (indices and None not in static_shape(x)[2:]):
        return NotImplemented
    op = ops()
    values, positions = op.max_pool(var(x), dilations=last(fn.dilation, fn.spatial_dims), **geometry)
    if not indices:
        return _windows_of_pytorch(fn, x, values)
    plane = op.reduce_prod(op.slice(op.shape(var(x)), const([2], np.int64), const([x.ndim], np.int64)), keepdims=1)
    return _windows_of_pytorch(fn, x, values), _windows_of_pytorch(fn, x, op.mod(positions, plane))


def avg_pool(fn: Any, xp: Namespace, x: Any) -> Any:
    """AveragePool. Where PyTorch's divisor is not ONNX's (``divisor_override``, a ceil-mode window past the
    padding), the mean over the input's own elements times a host-built ``count / divisor`` per output position."""
    geometry = _pool_geometry(fn, x)
    if geometry is None:
        return NotImplemented
    op = ops()
    padding = last(fn.padding, fn.spatial_dims)
    if fn.divisor_override is None and geometry["pads"] == padding + padding:
        # (a ceil-mode window past the end of unpadded symbolic sizes: PyTorch divides by the elements inside;
        # with padding, by those inside the padded input, onnxruntime's count_include_pad)
        include = bool(fn.count_include_pad) and not (geometry["ceil_mode"] and not any(padding))
        return _windows_of_pytorch(fn, x, op.average_pool(var(x), count_include_pad=int(include), **geometry))
    sizes = (1,) * (len(fn.kernel) - fn.spatial_dims) + tuple(static_shape(x)[2:])
    if None in sizes:  # symbolic sizes with divisor_override: the sum over each window over the divisor. Every
        # window lies inside the padded input in floor mode; in ceil mode the input is padded with zeros by stride - 1
        # more at the end, whose floor-mode windows are ceil mode's, cut to PyTorch's count
        scale = const(float(np.prod(geometry["kernel_shape"])) / fn.divisor_override, np_dtype(x))
        if not fn.ceil_mode:
            return wrap(op.mul(op.average_pool(var(x), count_include_pad=1, **geometry), scale))
        stride = last(fn.stride, fn.spatial_dims)
        pads = [0, 0, *padding, 0, 0, *[p + s - 1 for p, s in zip(padding, stride)]]
        padded = op.pad(var(x), const(pads, np.int64), const(0, np_dtype(x)))
        mean = op.average_pool(padded, kernel_shape=geometry["kernel_shape"], strides=stride, count_include_pad=1)
        return _windows_of_pytorch(fn, x, op.mul(mean, scale))
    inside = _outer(fn.window_counts(sizes, False))
    divisor = float(fn.divisor_override) if fn.divisor_override is not None else \
        _outer(fn.window_counts(sizes, fn.count_include_pad))
    if not inside.all():
        return NotImplemented  # a window with no input element: ONNX's mean there is not a number to rescale
    mean = op.average_pool(var(x), count_include_pad=0, **geometry)
    ratio = (inside / divisor).reshape(inside.shape[inside.ndim - fn.spatial_dims:])
    if (ratio == 1).all():
        return wrap(mean)
    return wrap(op.mul(mean, const(ratio, np_dtype(x))))



# -- resizing and sampling ---------------------------------------------------------------------------
# PyTorch's interpolation modes as ONNX Resize: (mode, coordinate mapping without / with align_corners, nearest_mode)
_RESIZE = {"nearest": ("nearest", "asymmetric", "asymmetric", "floor"),
           "nearest-exact": ("nearest", "half_pixel", "half_pixel", "round_prefer_ceil"),
           "linear": ("linear", "half_pixel", "align_corners", "floor"),
           "bilinear": ("linear", "half_pixel", "align_corners", "floor"),
           "trilinear": ("linear", "half_pixel", "align_corners", "floor"),
           "bicubic": ("cubic", "half_pixel", "align_corners", "floor")}


def interpolate(fn: Any, xp: Namespace, x: Any, opset: int = 21) -> Any:
    """ONNX Resize by the scale factors over symbolic spatial axes (PyTorch maps output to input positions with the
    factor given, as Resize does with ``scales``); with known sizes the recorded taps run (their exact weights).
    ``antialias=True`` is Resize's antialias (opset 18 on) with PyTorch's filter: Keys' a = -0.5 for bicubic, the
    taps cut by the border renormalized (``exclude_outside``)."""
    symbolic = None in static_shape(x)[2:] or has_symbolic(fn.out_size)
    if not symbolic or fn.mode not in _RESIZE:
        return NotImplemented
    mode, plain, aligned, nearest = _RESIZE[fn.mode]
    options = dict(mode=mode, nearest_mode=nearest, cubic_coeff_a=-0.75,
                   coordinate_transformation_mode=aligned if fn.align_corners else plain)
    if getattr(fn, "antialias", False):
        if opset < 18:
            raise NotImplementedError(f"interpolate: antialias=True over symbolic spatial sizes is ONNX Resize's "
                                      f"antialias, which opset {opset} has not got (opset 18 on): export with "
                                      f"opset_version >= 18, or with static spatial sizes")
        if fn.align_corners:
            raise NotImplementedError("interpolate: antialias=True with align_corners=True over symbolic spatial "
                                      "sizes: ONNX Resize's antialiased filter over aligned corners is not "
                                      "PyTorch's; export with static spatial sizes")
        options.update(antialias=1, cubic_coeff_a=-0.5, exclude_outside=1)
    if None not in fn.scale_factors:
        scales = const([1.0, 1.0] + [float(f) for f in fn.scale_factors], np.float32)
        return wrap(ops().resize(var(x), None, scales, **options))
    # the output's sizes (ints, SymInts): PyTorch maps positions by in / out, as Resize does with ``sizes``
    import ndonnx

    op = ops()
    lead = op.slice(op.shape(var(x)), const([0], np.int64), const([2], np.int64))  # N, C as they are (no ``axes``:
    sizes = op.concat([lead, var(shape_array(ndonnx, fn.out_size))], axis=0)      # opset 17 has none)
    out = wrap(op.resize(var(x), None, None, sizes, **options))
    return with_sizes(out, tuple(static_shape(x)[:2]) + tuple(fn.out_size))




def _outer(counts: list[tuple[float, ...]]) -> np.ndarray:
    """The product of per-axis counts over the grid of window positions."""
    out = np.ones(())
    for axis in counts:
        out = np.multiply.outer(out, np.asarray(axis, np.float64))
    return out


def adaptive_avg_pool(fn: Any, xp: Namespace, x: Any) -> Any:
    """GlobalAveragePool or AveragePool for (N, C, *spatial) float32 input with even bins; MatMuls with PyTorch's
    averaging matrices otherwise (uneven bins, float64, other ranks: the 3-D pool averages (N, C, H, W, D) over
    D, then over (H, W)). ONNX MatMul keeps a symbolic batch in its shape, where ndonnx's ``@`` forgets it."""
    n = len(fn.output_size)
    sizes = static_shape(x)[x.ndim - n:]
    if all(s == 1 for s in fn.output_size) and (None in sizes or x.ndim != n + 2 or np_dtype(x) == np.float64):
        # the mean over the pooled axes, whatever their sizes (a global pool over symbolic spatial axes)
        return wrap(ops().reduce_mean(var(x), const(list(range(x.ndim - n, x.ndim)), np.int64), keepdims=1))
    if None in sizes:
        return NotImplemented
    if x.ndim != n + 2 or np_dtype(x) == np.float64:  # (onnxruntime's AveragePool is float32 only)
        return _averaging_matmuls(fn, x, sizes)
    if all(s == 1 for s in fn.output_size):
        return wrap(ops().global_average_pool(var(x)))
    if any(size % out for size, out in zip(sizes, fn.output_size)):
        return _averaging_matmuls(fn, x, sizes)
    kernel = [size // out for size, out in zip(sizes, fn.output_size)]
    return wrap(ops().average_pool(var(x), kernel_shape=kernel, strides=kernel))


def _averaging_matmuls(fn: Any, x: Any, sizes: tuple[int, ...]) -> Any:
    """Uneven bins: ``A_h @ x @ A_wᵀ`` with PyTorch's averaging matrices, built on the host."""
    op = ops()
    dtype = np_dtype(x)
    mats = [np.asarray(averaging_matrix(size, out), dtype) for size, out in zip(sizes, fn.output_size)]
    y = op.matmul(var(x), const(np.ascontiguousarray(mats[-1].T)))
    if len(mats) == 2:
        y = op.matmul(const(mats[0]), y)
    return wrap(y)


_GRID_SAMPLE_MODES = {"bilinear": "linear", "nearest": "nearest", "bicubic": "cubic"}


def grid_sample(fn: Any, xp: Namespace, x: Any, grid: Any) -> Any:
    """ONNX GridSample, N-D from opset 20 (PyTorch's sampler: its modes, padding modes and align_corners; the
    recorded taps were ~1300 nodes for a bicubic reflection, a minute to export)."""
    if np_dtype(grid) != np_dtype(x):
        return NotImplemented
    return wrap(ops().grid_sample(var(x), var(grid), align_corners=int(fn.align_corners),
                                  mode=_GRID_SAMPLE_MODES[fn.mode], padding_mode=fn.padding_mode))
