"""Whole-Function lowerings to ONNX operators: dense, convolution, pooling, norms, activations, shapes.

Each entry is ``lower(fn, xp, *arrays)`` for one Function class (by name): ``fn`` carries the Function's
parameters (``fn.stride``, ``fn.eps``...), ``arrays`` are its ndonnx inputs. It returns the ndonnx
output(s), or ``NotImplemented`` for a configuration ONNX has no operator for, and then the recorded
array-level ``forward`` runs instead (principle 3: every fast path has a standard-only fallback).
`lowerings(opset)` is the table for one opset, which ``NdonnxBackend(opset=...)`` carries as its
``function_fast_paths``; recurrent layers are in `ndonnx_lowering_recurrent`.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .averaging import averaging_matrix
from .ndonnx_graph import const, host, np_dtype, static_shape, var, wrap
from .ndonnx_lowering_windows import pixel_unshuffle, unfold
from .ndonnx_sizes import has_symbolic, same_symbolic_axis, shape_array, symbolic_shape, with_sizes
from .typing import Namespace

Lowering = Callable[..., Any]


def _op() -> Any:
    import spox.opset.ai.onnx.v21 as op

    return op


# -- dense ------------------------------------------------------------------------------------------
def linear(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
    if any(a is not None and np_dtype(a) != np_dtype(x) for a in (weight, bias)):
        return NotImplemented  # mixed dtypes: the recorded forward promotes as anynn does (Gemm would not)
    op = _op()
    if x.ndim == 2 and weight.ndim == 2:
        return wrap(op.gemm(var(x), var(weight), None if bias is None else var(bias), transB=1))
    w = host(weight)
    w_t = const(np.ascontiguousarray(w.T)) if w is not None else op.transpose(var(weight), perm=[1, 0])
    y = op.matmul(var(x), w_t)
    return wrap(y if bias is None else op.add(y, var(bias)))


def matmul(fn: Any, xp: Namespace, a: Any, b: Any) -> Any:
    return wrap(_op().matmul(var(a), var(b)))


# -- convolution ------------------------------------------------------------------------------------
def conv(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
    if x.ndim != fn.spatial_dims + 2:
        return NotImplemented  # unbatched input: the recorded forward handles it
    top, bottom, left, right = fn.padding
    if fn.spatial_dims == 1:
        pads, strides, dilations = [left, right], list(fn.stride[1:]), list(fn.dilation[1:])
    else:
        pads, strides, dilations = [top, left, bottom, right], list(fn.stride), list(fn.dilation)
    kernel = list(static_shape(weight)[2:])
    return wrap(_op().conv(var(x), var(weight), None if bias is None else var(bias), dilations=dilations,
                           group=fn.groups, kernel_shape=kernel, pads=pads, strides=strides))


def conv_transpose(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
    if x.ndim != fn.spatial_dims + 2:
        return NotImplemented
    n = fn.spatial_dims
    padding = _last(fn.padding, n)  # 1-D geometry is stored as (1, value)
    return wrap(_op().conv_transpose(
        var(x), var(weight), None if bias is None else var(bias), dilations=_last(fn.dilation, n), group=fn.groups,
        kernel_shape=list(static_shape(weight)[2:]), output_padding=_last(fn.output_padding, n),
        pads=padding + padding, strides=_last(fn.stride, n)))


def _last(values: Any, n: int) -> list[Any]:
    """The last ``n`` entries of ``values`` (sizes, or (before, after) padding pairs) as a list."""
    return list(values[len(values) - n:])


# -- pooling ----------------------------------------------------------------------------------------
def _pool_geometry(fn: Any, x: Any, ceil_windows: bool = False) -> dict[str, Any] | None:
    """ONNX pooling attributes for (N, C, *spatial) input with known spatial sizes. Ceil mode is written as floor
    mode over the end padding PyTorch's last window needs (``fn.windows``): ONNX's ceil_mode also counts a last
    window that starts in the padding, in onnx's shape inference at least, so the graph would carry a wrong size.
    ``ceil_windows`` (max pooling): over symbolic sizes, ceil mode is ONNX's where no window can start in the
    padding (no padding, windows at least as wide as the stride: torchvision's MaxPool2d(3, 2, ceil_mode=True))."""
    n = fn.spatial_dims
    sizes = static_shape(x)[2:]
    if x.ndim != n + 2:
        return None
    if None in sizes:  # symbolic spatial axes: floor mode is ONNX's pooling over the symmetric padding as it is
        padding = _last(fn.padding, n)
        if fn.ceil_mode and not (ceil_windows and not any(padding) and all(
                (k - 1) * d + 1 >= s for k, s, d in zip(_last(fn.kernel, n), _last(fn.stride, n),
                                                        _last(fn.dilation, n)))):
            return None
        return dict(kernel_shape=_last(fn.kernel, n), strides=_last(fn.stride, n), pads=padding + padding,
                    ceil_mode=int(bool(fn.ceil_mode)))
    _, pads = fn.windows((1,) * (len(fn.kernel) - n) + tuple(sizes))
    pads, kernel = _last(pads, n), _last(fn.kernel, n)
    if any(after >= k for (_, after), k in zip(pads, kernel)):
        return None  # (a dilated window's end padding: onnxruntime wants pads smaller than the kernel)
    return dict(kernel_shape=kernel, strides=_last(fn.stride, n),
                pads=[before for before, _ in pads] + [after for _, after in pads], ceil_mode=0)


def max_pool(fn: Any, xp: Namespace, x: Any) -> Any:
    geometry = _pool_geometry(fn, x, ceil_windows=True)
    if geometry is None or getattr(fn, "return_indices", False):
        return NotImplemented
    dilation = list(fn.dilation[len(fn.dilation) - fn.spatial_dims:])
    return wrap(_op().max_pool(var(x), dilations=dilation, **geometry)[0])


def avg_pool(fn: Any, xp: Namespace, x: Any) -> Any:
    """AveragePool. Where PyTorch's divisor is not ONNX's (``divisor_override``, a ceil-mode window past the
    padding), the mean over the input's own elements times a host-built ``count / divisor`` per output position."""
    geometry = _pool_geometry(fn, x, ceil_windows=True)
    if geometry is None:
        return NotImplemented
    op = _op()
    padding = _last(fn.padding, fn.spatial_dims)
    if fn.divisor_override is None and geometry["pads"] == padding + padding:
        # (a ceil-mode window past the end of unpadded symbolic sizes: PyTorch divides by the elements inside)
        include = bool(fn.count_include_pad) and not geometry["ceil_mode"]
        return wrap(op.average_pool(var(x), count_include_pad=int(include), **geometry))
    sizes = (1,) * (len(fn.kernel) - fn.spatial_dims) + tuple(static_shape(x)[2:])
    if None in sizes:  # (a divisor per window position needs the sizes)
        return NotImplemented
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
        return wrap(_op().resize(var(x), None, scales, **options))
    # the output's sizes (ints, SymInts): PyTorch maps positions by in / out, as Resize does with ``sizes``
    import ndonnx

    op = _op()
    lead = op.slice(op.shape(var(x)), const([0], np.int64), const([2], np.int64))  # N, C as they are (no ``axes``:
    sizes = op.concat([lead, var(shape_array(ndonnx, fn.out_size))], axis=0)      # opset 17 has none)
    out = wrap(op.resize(var(x), None, None, sizes, **options))
    return with_sizes(out, tuple(static_shape(x)[:2]) + tuple(fn.out_size))


def pixel_shuffle(fn: Any, xp: Namespace, x: Any) -> Any:
    """Pixel shuffle of (N, C r^2, H, W) over symbolic sizes: ONNX DepthToSpace in its CRD order, PyTorch's (the
    recorded reshapes need the sizes). Unshuffle: `ndonnx_lowering_windows.pixel_unshuffle`."""
    if fn.inverse:
        return pixel_unshuffle(fn, xp, x)
    if x.ndim != 4 or None not in static_shape(x):
        return NotImplemented
    return wrap(_op().depth_to_space(var(x), blocksize=fn.factor, mode="CRD"))


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
        return wrap(_op().reduce_mean(var(x), const(list(range(x.ndim - n, x.ndim)), np.int64), keepdims=1))
    if None in sizes:
        return NotImplemented
    if x.ndim != n + 2 or np_dtype(x) == np.float64:  # (onnxruntime's AveragePool is float32 only)
        return _averaging_matmuls(fn, x, sizes)
    if all(s == 1 for s in fn.output_size):
        return wrap(_op().global_average_pool(var(x)))
    if any(size % out for size, out in zip(sizes, fn.output_size)):
        return _averaging_matmuls(fn, x, sizes)
    kernel = [size // out for size, out in zip(sizes, fn.output_size)]
    return wrap(_op().average_pool(var(x), kernel_shape=kernel, strides=kernel))


def _averaging_matmuls(fn: Any, x: Any, sizes: tuple[int, ...]) -> Any:
    """Uneven bins: ``A_h @ x @ A_wᵀ`` with PyTorch's averaging matrices, built on the host."""
    op = _op()
    dtype = np_dtype(x)
    mats = [np.asarray(averaging_matrix(size, out), dtype) for size, out in zip(sizes, fn.output_size)]
    y = op.matmul(var(x), const(np.ascontiguousarray(mats[-1].T)))
    if len(mats) == 2:
        y = op.matmul(const(mats[0]), y)
    return wrap(y)


# -- normalisation ----------------------------------------------------------------------------------
def _affine(weight: Any, bias: Any, channels: tuple[int, ...], dtype: np.dtype) -> tuple[Any, Any]:
    scale = const(np.ones(channels, dtype)) if weight is None else var(weight)
    shift = const(np.zeros(channels, dtype)) if bias is None else var(bias)
    return scale, shift


def batch_norm(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
    """Eval-mode batch norm is ``x * a + b`` per channel: two nodes, folded into a Conv before it by `optimize`."""
    if fn.training or fn.running_mean is None or x.ndim < 2:
        return NotImplemented
    channels = static_shape(x)[1]
    dtype = np_dtype(x)
    mean, variance = host(fn.running_mean.array), host(fn.running_var.array)
    scale = np.ones(channels) if weight is None else host(weight)
    shift = np.zeros(channels) if bias is None else host(bias)
    if any(v is None for v in (mean, variance, scale, shift)):
        return NotImplemented
    factor = scale.astype(np.float64) / np.sqrt(variance.astype(np.float64) + fn.eps)
    offset = shift - mean.astype(np.float64) * factor
    lift = (channels,) + (1,) * (x.ndim - 2)
    op = _op()
    scaled = op.mul(var(x), const(factor.reshape(lift), dtype))
    return wrap(op.add(scaled, const(offset.reshape(lift), dtype)))


def layer_norm(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
    shape = static_shape(x)[x.ndim - fn.ndims:]
    scale, shift = _affine(weight, bias, shape, np_dtype(x))
    return wrap(_op().layer_normalization(var(x), scale, shift, axis=-fn.ndims, epsilon=fn.eps)[0])


def group_norm(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
    """InstanceNormalization over (N, G, -1), as PyTorch exports it, then the per-channel affine."""
    op = _op()
    dtype = np_dtype(x)
    channels = static_shape(x)[1]
    groups = fn.num_groups
    grouped = op.reshape(var(x), const([0, groups, -1], np.int64))
    normed = op.instance_normalization(grouped, const(np.ones(groups), dtype), const(np.zeros(groups), dtype),
                                       epsilon=fn.eps)
    rest = static_shape(x)[1:]
    back = const([0, *rest], np.int64) if None not in rest else op.shape(var(x))
    y = op.reshape(normed, back)  # (0: the batch axis as it came, symbolic or not)
    lift = [channels] + [1] * (x.ndim - 2)
    if weight is not None:
        y = op.mul(y, op.reshape(var(weight), const(lift, np.int64)))
    if bias is not None:
        y = op.add(y, op.reshape(var(bias), const(lift, np.int64)))
    return wrap(y)


# -- attention --------------------------------------------------------------------------------------
def scaled_dot_product_attention(fn: Any, xp: Namespace, q: Any, k: Any, v: Any, mask: Any = None) -> Any:
    """MatMul, Mul, (Add or Where for the mask), Softmax, MatMul. With a mask, a row with no allowed key (all its
    scores -inf) gets zero weights, as anynn's forward and PyTorch's eager attention (Softmax alone gives NaN there):
    a ReduceMax, a Greater and a Where. Dropout (training mode): a Where of the keep mask, which the Function was
    given (a random node), over the weights scaled by 1 / (1 - p)."""
    op = _op()
    dtype = np_dtype(q)
    perm = list(range(k.ndim - 2)) + [k.ndim - 1, k.ndim - 2]
    scores = op.mul(op.matmul(var(q), op.transpose(var(k), perm=perm)), const(fn.scale, dtype))
    allowed = None
    if fn.causal:
        rows, cols = static_shape(q)[-2], static_shape(k)[-2]
        if rows is None or cols is None:  # a symbolic length: the lower triangle of the scores' own shape
            allowed = var(xp.tril(xp.ones_like(wrap(scores), dtype=xp.bool)))
        else:
            allowed = const(np.arange(rows)[:, None] >= np.arange(cols)[None, :])  # top-left aligned, as PyTorch
    if mask is not None:
        if mask.dtype == xp.bool:
            allowed = var(mask) if allowed is None else op.and_(allowed, var(mask))
        else:
            scores = op.add(scores, var(mask))
    if allowed is not None:
        scores = op.where(allowed, scores, const(-np.inf, dtype))
    weights = op.softmax(scores, axis=-1)
    if mask is not None:  # (a causal mask alone always allows key 0)
        some = op.greater(op.reduce_max(scores, const([-1], np.int64), keepdims=1), const(-np.inf, dtype))
        weights = op.where(some, weights, const(0, dtype))
    if fn.keep is not None:
        weights = op.where(var(fn.keep), op.mul(weights, const(1.0 / (1.0 - fn.dropout_p), dtype)), const(0, dtype))
    out = wrap(op.matmul(weights, var(v)))
    return (out, wrap(weights)) if fn.return_weights else out


# -- activations ------------------------------------------------------------------------------------
def _unary(name: str, **attributes: Any) -> Lowering:
    def lower(fn: Any, xp: Namespace, x: Any) -> Any:
        values = {key: (value(fn) if callable(value) else value) for key, value in attributes.items()}
        return wrap(getattr(_op(), name)(var(x), **values))

    lower.__name__ = name
    return lower


def elu(fn: Any, xp: Namespace, x: Any) -> Any:
    op = _op()
    if fn.scale == 1.0:
        return wrap(op.elu(var(x), alpha=fn.alpha))
    return wrap(op.selu(var(x), alpha=fn.alpha, gamma=fn.scale))


def silu(fn: Any, xp: Namespace, x: Any) -> Any:
    op = _op()
    return wrap(op.mul(var(x), op.sigmoid(var(x))))


def softplus(fn: Any, xp: Namespace, x: Any) -> Any:
    if fn.beta != 1.0 or fn.threshold < 20.0:
        return NotImplemented  # ONNX's Softplus has no beta and no linear region (exact past 20 in float32)
    return wrap(_op().softplus(var(x)))


def hardswish(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(_op().hard_swish(var(x)))


def prelu(fn: Any, xp: Namespace, x: Any, weight: Any) -> Any:
    slope = var(weight)
    if static_shape(weight)[0] != 1 and x.ndim > 2:
        slope = _op().unsqueeze(slope, const(list(range(1, x.ndim - 1)), np.int64))
    return wrap(_op().prelu(var(x), slope))


def shrink(soft: bool) -> Lowering:
    def lower(fn: Any, xp: Namespace, x: Any) -> Any:
        return wrap(_op().shrink(var(x), bias=fn.lambd if soft else 0.0, lambd=fn.lambd))

    return lower


def log_sigmoid(fn: Any, xp: Namespace, x: Any) -> Any:
    op = _op()
    return wrap(op.neg(op.softplus(op.neg(var(x)))))


def tanhshrink(fn: Any, xp: Namespace, x: Any) -> Any:
    op = _op()
    return wrap(op.sub(var(x), op.tanh(var(x))))


def threshold(fn: Any, xp: Namespace, x: Any) -> Any:
    op = _op()
    dtype = np_dtype(x)
    return wrap(op.where(op.greater(var(x), const(fn.threshold, dtype)), var(x), const(fn.value, dtype)))


def softmin(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(_op().softmax(_op().neg(var(x)), axis=fn.axis))


def atan2(fn: Any, xp: Namespace, y: Any, x: Any) -> Any:
    """ONNX has no Atan2: ``atan(y / x)``, moved by +-pi (the sign of ``y``) where ``x`` has its sign bit set,
    and ``y`` where both are zero: signed zeros give PyTorch's +-pi and +-pi/2 (two infinities give NaN, not an
    odd multiple of pi/4, and ``atan2(-0.0, 0.0)`` may read +0.0)."""
    op = _op()
    dtype = np_dtype(y)
    zero, pi = const(0, dtype), const(np.pi, dtype)

    def negative(v: Any) -> Any:  # v < 0, -0.0 included (1 / -0.0 is -inf)
        return op.or_(op.less(v, zero), op.less(op.div(const(1, dtype), v), zero))

    a, b = var(y), var(x)
    origin = op.and_(op.equal(a, zero), op.equal(b, zero))
    angle = op.where(origin, a, op.atan(op.div(a, b)))  # b == 0 != a: +-inf, whose atan is +-pi/2
    shifted = op.add(angle, op.where(negative(a), op.neg(pi), pi))
    return wrap(op.where(negative(b), shifted, angle))


def erf(x: Any) -> Any:
    """The backend's ``erf`` op: ONNX Erf (onnxruntime has it in float32 and float16 only, so float64 records
    the portable rational form)."""
    if np_dtype(x) == np.float64:
        import ndonnx

        from .portable import erf as portable_erf

        return portable_erf(ndonnx, x)
    return wrap(_op().erf(var(x)))


def hardtanh(fn: Any, xp: Namespace, x: Any) -> Any:
    dtype = np_dtype(x)
    return wrap(_op().clip(var(x), const(fn.min_val, dtype), const(fn.max_val, dtype)))


def gelu(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(_op().gelu(var(x), approximate="tanh" if fn.approximate == "tanh" else "none"))


def softmax(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(_op().softmax(var(x), axis=fn.axis))


def log_softmax(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(_op().log_softmax(var(x), axis=fn.axis))


# -- shapes, lookup and padding ---------------------------------------------------------------------
def reshape(fn: Any, xp: Namespace, x: Any) -> Any:
    """ONNX Reshape; a symbolic (``None``) target size copies the input's axis there (ONNX's 0), or is -1."""
    fn.source = tuple(x.shape)  # as Reshape.forward notes it: a change of the result is handed back in that shape
    target = list(fn.shape)
    if has_symbolic(target):  # sizes of symbolic axes the model read (x.view(B, T, h, C // h)): see ndonnx_sizes
        return xp.reshape(x, tuple(target))
    unknown = [i for i, n in enumerate(target) if n is None]
    if unknown:
        if len(unknown) == 1 and -1 not in target:  # every other size is known: the one left is implied (-1), or
            # it is the input's symbolic axis there (a Flatten): ONNX's 0, which keeps its name for the graph's output
            target[unknown[0]] = 0 if same_symbolic_axis(static_shape(x), tuple(fn.shape)) else -1
        else:
            source = static_shape(x)
            squeezed, unsqueezed = _ones_between(source, tuple(fn.shape)), _ones_between(tuple(fn.shape), source)
            if squeezed is not None:  # only axes of size 1 dropped or added (x.unbind(0) of (3, B*W, h, T, d)):
                return wrap(_op().squeeze(var(x), const(squeezed, np.int64)))  # whatever the symbolic sizes
            if unsqueezed is not None:
                return wrap(_op().unsqueeze(var(x), const(unsqueezed, np.int64)))
            axes = _aligned_axes(source, tuple(fn.shape))
            if axes is None:
                raise ValueError(f"Reshape to {tuple(fn.shape)} from {source}: a symbolic size at position "
                                 f"{unknown[0]} cannot be traced back to an input axis")
            sizes = symbolic_shape(x, {})  # (an axis of another position: its size as the graph reads it)
            return xp.reshape(x, tuple(sizes[axes[i]] if i in axes else n for i, n in enumerate(target)))
    elif 0 in target:
        return NotImplemented  # a real empty axis: ONNX reads 0 as "copy"
    return wrap(_op().reshape(var(x), const(target, np.int64)))


def _aligned_axes(source: tuple[int | None, ...], target: tuple[int | None, ...]) -> dict[int, int] | None:
    """For each symbolic size (None) of a reshape's ``target``, the axis of ``source`` it is: before the merged axis
    (-1, a Flatten's) the same position, every size up to it the same; after it the same position counted from the
    end (``flatten(1, 2)`` of (N, C, H, W) is (N, -1, W): W is the input's last axis, not its third). None where a
    symbolic size lines up with none (ambiguous: refused rather than guessed)."""
    merged = target.index(-1) if -1 in target else len(target)
    axes = {}
    for i, n in enumerate(target):
        if n is not None:
            continue
        if i < merged:
            if i >= len(source) or any(target[j] != source[j] for j in range(i + 1)):
                return None
            axes[i] = i
        else:
            back = len(target) - i
            if back > len(source) or any(target[-m] != source[-m] for m in range(1, back + 1)):
                return None
            axes[i] = len(source) - back
    return axes


def _ones_between(longer: tuple[int | None, ...], shorter: tuple[int | None, ...]) -> list[int] | None:
    """The axes of ``longer`` of size 1 whose removal leaves ``shorter`` (symbolic sizes, None, matched in order), or
    None where no such axes exist (or there are none to remove)."""
    if len(longer) <= len(shorter):
        return None
    axes, j = [], 0
    for i, n in enumerate(longer):
        if j < len(shorter) and shorter[j] == n:
            j += 1
        elif n == 1:
            axes.append(i)
        else:
            return None
    return axes if j == len(shorter) else None


def gather(fn: Any, xp: Namespace, a: Any, index: Any) -> Any:
    """``torch.gather`` is ONNX GatherElements (the output has the index's shape, symbolic axes included)."""
    return wrap(_op().gather_elements(var(a), var(index), axis=fn.dim))


def scatter(fn: Any, xp: Namespace, a: Any, index: Any, src: Any) -> Any:
    """``scatter``/``scatter_add`` are ONNX ScatterElements (reduction "add" for the latter) of the part of ``src``
    the index covers (a Slice to the index's shape as it runs; a number: expanded to it). Of repeated positions
    onnxruntime keeps the last write, as anynn does (PyTorch leaves that order undefined)."""
    op = _op()
    where = op.shape(var(index))
    if src.ndim == 0:
        values = op.expand(var(src), where)
    else:
        values = op.slice(var(src), const(np.zeros(index.ndim, np.int64)), where)
    return wrap(op.scatter_elements(var(a), var(index), values, axis=fn.dim, reduction="add" if fn.add else "none"))


_SCATTER_REDUCTIONS = {"sum": "add", "mean": "add", "prod": "mul", "amax": "max", "amin": "min"}


def scatter_reduce(opset: int) -> Lowering:
    """``scatter_reduce`` as ONNX ScatterElements with its reduction (max and min from opset 18 on) of the part of
    ``src`` the index covers. ``include_self=False`` scatters into the reduction's identity and keeps the input where
    no entry lands; ``mean`` divides a scattered sum by a scattered count (rounding integers down, as PyTorch); a NaN
    reaching a max or min wins (onnxruntime's pass over it); booleans reduce as integers (sum: or, prod: and)."""

    def lower(fn: Any, xp: Namespace, a: Any, index: Any, src: Any) -> Any:
        if xp.isdtype(a.dtype, "bool"):
            out = lower(fn, xp, xp.astype(a, xp.int64), index, xp.astype(src, xp.int64))
            return out if out is NotImplemented else out != 0
        reduce = fn.reduce
        if reduce in ("amax", "amin") and opset < 18:
            if None not in a.shape and None not in src.shape and None not in index.shape:
                return NotImplemented  # static sizes: the Function's own math records
            raise NotImplementedError(f"scatter_reduce: reduce={reduce!r} is ONNX ScatterElements' max/min, which "
                                      f"opset {opset} has not got (opset 18 on), and the recorded fallback needs "
                                      f"static sizes: export with opset_version >= 18, or with static shapes")
        integral = xp.isdtype(a.dtype, "integral")
        op = _op()
        dtype = np_dtype(a)
        values = op.slice(var(src), const(np.zeros(index.ndim, np.int64)), op.shape(var(index)))
        positions = var(xp.astype(index, xp.int64))

        def scattered(into: Any, entries: Any, reduction: str) -> Any:
            return op.scatter_elements(into, positions, entries, axis=fn.dim, reduction=reduction)

        zeros = var(xp.zeros_like(a))
        if fn.include_self and reduce != "mean":
            out = scattered(var(a), values, _SCATTER_REDUCTIONS[reduce])
        else:
            counts = scattered(zeros, op.expand(const(1, dtype), op.shape(values)), "add")
            touched = op.greater(counts, const(0, dtype))
            if reduce == "mean":
                total = wrap(scattered(var(a) if fn.include_self else zeros, values, "add"))
                one = const(1, dtype)
                divisor = wrap(op.add(counts, one) if fn.include_self else op.max([counts, one]))
                mean = xp.floor_divide(total, divisor) if integral else total / divisor
                return mean if fn.include_self else wrap(op.where(touched, var(mean), var(a)))
            if reduce in ("sum", "prod"):
                identity: Any = 0 if reduce == "sum" else 1
            elif integral:
                identity = np.iinfo(dtype).min if reduce == "amax" else np.iinfo(dtype).max
            else:
                identity = -np.inf if reduce == "amax" else np.inf
            reduced = scattered(op.add(zeros, const(identity, dtype)), values, _SCATTER_REDUCTIONS[reduce])
            out = op.where(touched, reduced, var(a))
        if reduce in ("amax", "amin") and not integral:
            nan = op.greater(scattered(zeros, op.cast(op.isnan(values), to=dtype), "add"), const(0, dtype))
            if fn.include_self:
                nan = op.or_(nan, op.isnan(var(a)))
            out = op.where(nan, const(np.nan, dtype), out)
        return wrap(out)

    return lower


def max_unpool(fn: Any, xp: Namespace, x: Any, indices: Any) -> Any:
    """Each plane of ``x`` (..., *in_spatial) written at its in-plane ``indices`` into zeros (..., *out_spatial):
    ScatterElements over the flattened planes (of repeated positions the last write wins, as in anynn), with
    the leading axes read from the input's shape as the graph runs."""
    op = _op()
    n = len(fn.out_spatial)
    lead = x.ndim - n
    size = int(np.prod(fn.out_spatial))
    flat = const([0] * lead + [-1], np.int64)  # (0: that axis as it is)
    leading = op.slice(op.shape(var(x)), const([0], np.int64), const([lead], np.int64))
    zeros = op.expand(const(np.zeros((1,) * lead + (size,), np_dtype(x))), op.concat([leading, const([1], np.int64)],
                                                                                      axis=0))
    written = op.scatter_elements(zeros, op.reshape(var(indices), flat), op.reshape(var(x), flat), axis=-1)
    return wrap(op.reshape(written, op.concat([leading, const(list(fn.out_spatial), np.int64)], axis=0)))


_GRID_SAMPLE_MODES = {"bilinear": "linear", "nearest": "nearest", "bicubic": "cubic"}


def grid_sample(fn: Any, xp: Namespace, x: Any, grid: Any) -> Any:
    """ONNX GridSample, N-D from opset 20 (PyTorch's sampler: its modes, padding modes and align_corners; the
    recorded taps were ~1300 nodes for a bicubic reflection, a minute to export)."""
    if np_dtype(grid) != np_dtype(x):
        return NotImplemented
    return wrap(_op().grid_sample(var(x), var(grid), align_corners=int(fn.align_corners),
                                  mode=_GRID_SAMPLE_MODES[fn.mode], padding_mode=fn.padding_mode))


def embedding(fn: Any, xp: Namespace, weight: Any, indices: Any) -> Any:
    return wrap(_op().gather(var(weight), var(indices), axis=0))


def _pad_list(pads: Any, ndim: int) -> list[int]:
    before, after = [0] * ndim, [0] * ndim
    for axis, low, high in pads:
        before[axis % ndim], after[axis % ndim] = low, high
    return before + after


def constant_pad(fn: Any, xp: Namespace, x: Any) -> Any:
    op = _op()
    value = const(fn.value, np_dtype(x))
    return wrap(op.pad(var(x), const(_pad_list(fn.pads, x.ndim), np.int64), value, mode="constant"))


_PAD_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def gather_pad(opset: int) -> Lowering:
    """ONNX Pad in the layer's mode; circular padding (Pad's ``wrap``, opset 19 on) before opset 19 is Slices and
    Concats, as PyTorch's exporter writes it there (`_circular_slices`)."""
    def lower(fn: Any, xp: Namespace, x: Any) -> Any:
        mode = _PAD_MODES.get(fn.mode)
        if mode == "wrap" and opset < 19:
            return _circular_slices(fn.pads, x)
        if mode is None:
            return NotImplemented
        return wrap(_op().pad(var(x), const(_pad_list(fn.pads, x.ndim), np.int64), mode=mode))

    return lower


def _circular_slices(pads: Any, x: Any) -> Any:
    """Circular padding before opset 19 (no Pad ``wrap``), as PyTorch's exporter writes it: per padded axis, the
    last ``before`` and first ``after`` elements concatenated around it (Slices counted from the ends: symbolic
    sizes too; axis after axis, so the corners wrap as well). Crops (negative pads) decline: GatherPad records."""
    if any(type(low) is not int or type(high) is not int or low < 0 or high < 0 for _, low, high in pads):
        return NotImplemented
    op = _op()
    y = var(x)
    for axis, low, high in pads:
        at = const([axis % x.ndim], np.int64)
        parts = [op.slice(y, const([-low], np.int64), const([np.iinfo(np.int64).max], np.int64), at)] if low else []
        parts.append(y)
        if high:
            parts.append(op.slice(y, const([0], np.int64), const([high], np.int64), at))
        y = op.concat(parts, axis=axis % x.ndim) if len(parts) > 1 else y
    return wrap(y)


# onnxruntime's CPU provider has these operators in float32 (and float16) only (Celu is float32 in the ONNX spec
# itself): in a float64 graph the Function's own array math is recorded instead, which onnxruntime runs
_FLOAT32_OPERATORS = ("ConvNd", "ConvTransposeNd", "AvgPool", "GroupNormFunction", "CELUFunction",
                      "HardsigmoidFunction", "ELUFunction", "LeakyReLUFunction", "MishFunction", "SoftplusFunction",
                      "HardswishFunction", "PReLUFunction", "SoftsignFunction", "LogSigmoidFunction", "GELUFunction",
                      "RecurrentSequence", "GridSample")


def _not_float64(lower: Lowering) -> Lowering:
    def guarded(fn: Any, xp: Namespace, *arrays: Any) -> Any:
        if any(a is not None and hasattr(a, "dtype") and np_dtype(a) == np.float64 for a in arrays):
            return NotImplemented
        return lower(fn, xp, *arrays)

    guarded.__name__ = getattr(lower, "__name__", "lowering")
    return guarded


def lowerings(opset: int) -> dict[str, Lowering]:
    """Function class name -> lowering, for a graph of ONNX opset ``opset``."""
    from .ndonnx_lowering_recurrent import recurrent_sequence

    table: dict[str, Lowering] = {
        "LinearFunction": linear, "MatMul": matmul, "ConvNd": conv, "ConvTransposeNd": conv_transpose,
        "MaxPool": max_pool, "AvgPool": avg_pool, "AdaptiveAvgPool": adaptive_avg_pool,
        "Interpolate": lambda fn, xp, x: interpolate(fn, xp, x, opset),
        "PixelShuffleFunction": pixel_shuffle, "UnfoldFunction": unfold,
        "BatchNorm": batch_norm, "LayerNormFunction": layer_norm, "GroupNormFunction": group_norm,
        "ScaledDotProductAttention": scaled_dot_product_attention,
        "CELUFunction": _unary("celu", alpha=lambda fn: fn.alpha),
        "HardsigmoidFunction": _unary("hard_sigmoid", alpha=1 / 6, beta=0.5),
        "HardshrinkFunction": shrink(False), "SoftshrinkFunction": shrink(True), "LogSigmoidFunction": log_sigmoid,
        "TanhshrinkFunction": tanhshrink, "Atan2": atan2, "ThresholdFunction": threshold, "SoftminFunction": softmin,
        "ReLUFunction": _unary("relu"), "SigmoidFunction": _unary("sigmoid"), "TanhFunction": _unary("tanh"),
        "LeakyReLUFunction": _unary("leaky_relu", alpha=lambda fn: fn.negative_slope), "ELUFunction": elu,
        "SiLUFunction": silu, "SoftplusFunction": softplus, "MishFunction": _unary("mish"),
        "HardswishFunction": hardswish, "HardtanhFunction": hardtanh, "PReLUFunction": prelu,
        "SoftsignFunction": _unary("softsign"), "SoftmaxFunction": softmax, "LogSoftmaxFunction": log_softmax,
        "Reshape": reshape, "EmbeddingFunction": embedding, "Gather": gather, "Scatter": scatter,
        "MaxUnpool": max_unpool, "ConstantPad": constant_pad, "GatherPad": gather_pad(opset),
        "ScatterReduce": scatter_reduce(opset),
        "RecurrentSequence": recurrent_sequence,
    }
    if opset >= 20:
        table["GELUFunction"], table["GridSample"] = gelu, grid_sample
    if opset < 18:  # ONNX Mish is opset 18's: before, its x tanh(softplus(x)) records (PyTorch's exporter's too)
        del table["MishFunction"]
    return {name: _not_float64(lower) if name in _FLOAT32_OPERATORS else lower for name, lower in table.items()}
