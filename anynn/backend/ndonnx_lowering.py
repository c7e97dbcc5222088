"""Whole-Function lowerings to ONNX operators: the table, and the dense, convolution, norm and attention entries.

Each entry is ``lower(fn, xp, *arrays)`` for one Function class (by name): ``fn`` carries the Function's
parameters (``fn.stride``, ``fn.eps``...), ``arrays`` are its ndonnx inputs. It returns the ndonnx
output(s), or ``NotImplemented`` for a configuration ONNX has no operator for, and then the recorded
array-level ``forward`` runs instead (principle 3: every fast path has a standard-only fallback).
`lowerings(opset)` is the table for one opset, which ``NdonnxBackend(opset=...)`` carries as its
``function_fast_paths``. The other entries are in files of one kind each: `ndonnx_lowering_activation`,
`ndonnx_lowering_pool` (pooling and resampling), `ndonnx_lowering_shape` (reshapes, padding),
`ndonnx_lowering_scatter` (lookups, scatters), `ndonnx_lowering_windows` (unfold, pixel shuffles) and
`ndonnx_lowering_recurrent`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import ndonnx_lowering_activation as activations
from . import ndonnx_lowering_pool as pools
from . import ndonnx_lowering_scatter as scatters
from . import ndonnx_lowering_shape as shapes
from .ndonnx_graph import Lowering, const, host, last, np_dtype, ops, static_shape, var, wrap
from .ndonnx_lowering_windows import pixel_shuffle, unfold
from .ndonnx_sizes import with_sizes
from .typing import Namespace


# -- dense ------------------------------------------------------------------------------------------
def linear(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
    if any(a is not None and np_dtype(a) != np_dtype(x) for a in (weight, bias)):
        return NotImplemented  # mixed dtypes: the recorded forward promotes as anynn does (Gemm would not)
    op = ops()
    if x.ndim == 2 and weight.ndim == 2:
        return wrap(op.gemm(var(x), var(weight), None if bias is None else var(bias), transB=1))
    w = host(weight)
    w_t = const(np.ascontiguousarray(w.T)) if w is not None else op.transpose(var(weight), perm=[1, 0])
    y = op.matmul(var(x), w_t)
    return wrap(y if bias is None else op.add(y, var(bias)))


def matmul(fn: Any, xp: Namespace, a: Any, b: Any) -> Any:
    return wrap(ops().matmul(var(a), var(b)))


def det(fn: Any, xp: Namespace, a: Any) -> Any:
    """ONNX Det of (*, n, n) matrices (PyTorch's exporter writes linalg.det so)."""
    return wrap(ops().det(var(a)))


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
    return wrap(ops().conv(var(x), var(weight), None if bias is None else var(bias), dilations=dilations,
                           group=fn.groups, kernel_shape=kernel, pads=pads, strides=strides))


def conv3d(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
    """ONNX Conv of a batched (N, C, D, H, W) input; padding is stored (front, back, top, bottom, left, right)."""
    if x.ndim != 5:
        return NotImplemented
    pads = list(fn.padding)
    return wrap(ops().conv(var(x), var(weight), None if bias is None else var(bias), dilations=list(fn.dilation),
                           group=fn.groups, kernel_shape=list(static_shape(weight)[2:]),
                           pads=pads[0::2] + pads[1::2], strides=list(fn.stride)))


def conv_transpose(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
    if x.ndim != fn.spatial_dims + 2:
        return NotImplemented
    n = fn.spatial_dims
    padding = last(fn.padding, n)  # 1-D geometry is stored as (1, value)
    return wrap(ops().conv_transpose(
        var(x), var(weight), None if bias is None else var(bias), dilations=last(fn.dilation, n), group=fn.groups,
        kernel_shape=list(static_shape(weight)[2:]), output_padding=last(fn.output_padding, n),
        pads=padding + padding, strides=last(fn.stride, n)))




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
    op = ops()
    scaled = op.mul(var(x), const(factor.reshape(lift), dtype))
    return wrap(op.add(scaled, const(offset.reshape(lift), dtype)))


def layer_norm(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
    shape = static_shape(x)[x.ndim - fn.ndims:]
    scale, shift = _affine(weight, bias, shape, np_dtype(x))
    return wrap(ops().layer_normalization(var(x), scale, shift, axis=-fn.ndims, epsilon=fn.eps)[0])


def group_norm(fn: Any, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
    """InstanceNormalization over (N, G, -1), as PyTorch exports it, then the per-channel affine."""
    op = ops()
    dtype = np_dtype(x)
    channels = static_shape(x)[1]
    groups = fn.num_groups
    grouped = op.reshape(var(x), const([0, groups, -1], np.int64))
    normed = op.instance_normalization(grouped, const(np.ones(groups), dtype), const(np.zeros(groups), dtype),
                                       epsilon=fn.eps)
    rest = static_shape(x)[1:]
    if None not in rest:
        y = op.reshape(normed, const([0, *rest], np.int64))  # (0: the batch axis as it came, symbolic or not)
    else:  # symbolic spatial axes: the input's shape as the graph reads it, then its known sizes (the channels,
        # which a layer after it checks) known again
        y = var(with_sizes(wrap(op.reshape(normed, op.shape(var(x)))), (None, *rest)))
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
    op = ops()
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






# onnxruntime's CPU provider has these operators in float32 (and float16) only (Celu is float32 in the ONNX spec
# itself): in a float64 graph the Function's own array math is recorded instead, which onnxruntime runs
_FLOAT32_OPERATORS = ("ConvNd", "Conv3dFunction", "ConvTransposeNd", "AvgPool", "GroupNormFunction",
                      "CELUFunction", "HardsigmoidFunction", "ELUFunction", "LeakyReLUFunction", "MishFunction",
                      "SoftplusFunction", "HardswishFunction", "PReLUFunction", "SoftsignFunction",
                      "LogSigmoidFunction", "GELUFunction", "RecurrentSequence", "GridSample", "DetFunction")


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

    unary = activations.unary
    table: dict[str, Lowering] = {
        "LinearFunction": linear, "MatMul": matmul, "DetFunction": det, "ConvNd": conv, "Conv3dFunction": conv3d,
        "ConvTransposeNd": conv_transpose,
        "MaxPool": pools.max_pool, "AvgPool": pools.avg_pool, "AdaptiveAvgPool": pools.adaptive_avg_pool,
        "Interpolate": lambda fn, xp, x: pools.interpolate(fn, xp, x, opset),
        "PixelShuffleFunction": pixel_shuffle, "UnfoldFunction": unfold,
        "BatchNorm": batch_norm, "LayerNormFunction": layer_norm, "GroupNormFunction": group_norm,
        "ScaledDotProductAttention": scaled_dot_product_attention,
        "CELUFunction": unary("celu", alpha=lambda fn: fn.alpha),
        "HardsigmoidFunction": unary("hard_sigmoid", alpha=1 / 6, beta=0.5),
        "HardshrinkFunction": activations.shrink(False), "SoftshrinkFunction": activations.shrink(True),
        "LogSigmoidFunction": activations.log_sigmoid, "TanhshrinkFunction": activations.tanhshrink,
        "Atan2": activations.atan2, "ThresholdFunction": activations.threshold, "SoftminFunction": activations.softmin,
        "ReLUFunction": unary("relu"), "SigmoidFunction": unary("sigmoid"), "TanhFunction": unary("tanh"),
        "LeakyReLUFunction": unary("leaky_relu", alpha=lambda fn: fn.negative_slope), "ELUFunction": activations.elu,
        "SiLUFunction": activations.silu, "SoftplusFunction": activations.softplus, "MishFunction": unary("mish"),
        "HardswishFunction": activations.hardswish, "HardtanhFunction": activations.hardtanh,
        "PReLUFunction": activations.prelu, "SoftsignFunction": unary("softsign"),
        "SoftmaxFunction": activations.softmax, "LogSoftmaxFunction": activations.log_softmax,
        "Reshape": shapes.reshape, "ConstantPad": shapes.constant_pad, "GatherPad": shapes.gather_pad(opset),
        "EmbeddingFunction": scatters.embedding, "Gather": scatters.gather, "Scatter": scatters.scatter,
        "MaxUnpool": scatters.max_unpool, "ScatterReduce": scatters.scatter_reduce(opset),
        "RecurrentSequence": recurrent_sequence,
    }
    if opset >= 20:
        table["GELUFunction"], table["GridSample"] = activations.gelu, pools.grid_sample
    if opset < 18:  # ONNX Mish is opset 18's: before, its x tanh(softplus(x)) records (PyTorch's exporter's too)
        del table["MishFunction"]
    return {name: _not_float64(lower) if name in _FLOAT32_OPERATORS else lower for name, lower in table.items()}
