"""Normalisation primitives: batch, layer, group and RMS norm, each one fused `Function`.

Every forward normalises ``x`` over some axes (``xhat = (x - mean) / sqrt(var + eps)``, biased
variance) and applies an optional per-feature affine map; every backward is written by hand with the
classic closed form ``dx = invstd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat))``.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Sequence

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.typing import Namespace
from .formulas.counts import element_count
from .precision import cast_to, is_low_precision, upcast
from .value_checks import DTypeMismatchError, ShapeMismatchError
from .value_checks import InvalidValueError
from .value_checks import check_floating, check_one_backend, check_real_floating


def _mean(xp: Namespace, a: Any, axes: tuple[int, ...]) -> Any:
    """``mean(a)`` over ``axes``, keeping them; 0 where an axis is empty (the result is empty then: NumPy's mean
    warned 'Mean of empty slice', PyTorch's layer, group and RMS norm of an empty feature axis are silent)."""
    if any(a.shape[axis] == 0 for axis in axes):
        return xp.sum(a, axis=axes, keepdims=True)
    return xp.mean(a, axis=axes, keepdims=True)


def check_parameter_dtypes(name: str, input: Tensor, **parameters: Any) -> None:  # noqa: A002 - PyTorch's name
    """Each of ``parameters`` (weight, bias, running statistics; None passes) in the input's dtype, or float32 beside a
    float16/bfloat16 input, as PyTorch's CPU kernels take them: anything else is its RuntimeError 'mixed dtype (CPU)'
    (a `DTypeMismatchError`; anynn promoted: a float32 input with float64 weights gave float64)."""
    given = dtype_name(input.dtype)
    for what, value in parameters.items():
        if value is None or not hasattr(value, "dtype"):
            continue
        own = dtype_name(value.dtype)
        if own != given and not (own == "float32" and given in ("float16", "bfloat16")):
            raise DTypeMismatchError(f"{name}: mixed dtype (CPU): the input is {given} but {what} is {own}, as PyTorch "
                                     f"refuses (parameters of the input's dtype, or float32 beside a float16/bfloat16 "
                                     f"input); cast one with .to(...)")


def _normalize(xp: Namespace, x: Any, axes: tuple[int, ...], eps: float) -> tuple[Any, Any, Any, Any]:
    """``(xhat, invstd, mean, biased var)`` over ``axes`` (statistics keep their dims)."""
    mean = _mean(xp, x, axes)
    centered = x - mean
    var = _mean(xp, centered * centered, axes)
    invstd = 1.0 / xp.sqrt(var + eps)
    return centered * invstd, invstd, mean, var


def _normalize_backward(xp: Namespace, dxhat: Any, xhat: Any, invstd: Any, axes: tuple[int, ...]) -> Any:
    """Gradient through ``xhat = (x - mean(x)) * invstd(x)`` when mean and var depend on ``x``."""
    mean_d = _mean(xp, dxhat, axes)
    mean_dx = _mean(xp, dxhat * xhat, axes)
    return invstd * (dxhat - mean_d - xhat * mean_dx)


def _upcast_inputs(fn: Function, xp: Namespace, x: Any, *params: Any) -> tuple[Any, ...]:
    """float16/bfloat16 inputs in float32 (statistics of values past ~256 overflow in float16), as PyTorch.

    Remembers the dtypes on ``fn`` (``fn.dtypes``) so that `_cast_back` returns results in them.
    """
    fn.dtypes = (x.dtype,) + tuple(None if p is None else p.dtype for p in params)
    fn.low = is_low_precision(xp, x.dtype) or any(p is not None and is_low_precision(xp, p.dtype) for p in params)
    if not fn.low:
        return (x,) + params
    return (upcast(xp, x),) + tuple(upcast(xp, p) for p in params)


def _cast_back(fn: Function, xp: Namespace, *arrays: Any) -> tuple[Any, ...]:
    """``arrays[i]`` in the dtype of input ``i`` (the gradients, or the output first) after a float32 computation."""
    if not fn.low:
        return arrays
    return tuple(cast_to(xp, a, d) for a, d in zip(arrays, fn.dtypes))


def _affine_shape(ndim: int, channels: int) -> tuple[int, ...]:
    """(1, C, 1, ...): per-channel vectors broadcast against (N, C, *)."""
    return (1, channels) + (1,) * (ndim - 2)


def _affine(xp: Namespace, xhat: Any, weight: Any, bias: Any, shape: tuple[int, ...] | None = None) -> Any:
    """``xhat * weight + bias`` (either may be None); ``shape`` broadcasts per-channel vectors, else they
    broadcast from the trailing axes as they are."""
    if weight is not None:
        xhat = xhat * (weight if shape is None else xp.reshape(weight, shape))
    if bias is not None:
        xhat = xhat + (bias if shape is None else xp.reshape(bias, shape))
    return xhat


def _sum_over(xp: Namespace, a: Any, axes: tuple[int, ...]) -> Any:
    return xp.sum(a, axis=axes) if axes else a  # (no axes: some libraries read axis=() as "all axes")


def _affine_backward(xp: Namespace, g: Any, xhat: Any, weight: Any, has_bias: bool, need: Sequence[bool],
                     axes: tuple[int, ...], shape: tuple[int, ...] | None = None) -> tuple[Any, Any, Any]:
    """``(dxhat, grad_weight, grad_bias)`` of `_affine` given ``g``; parameter gradients summed over ``axes``,
    each None where not needed (``need``: x, weight, bias) or absent."""
    dxhat = grad_w = grad_b = None
    if need[0]:
        dxhat = g if weight is None else g * (weight if shape is None else xp.reshape(weight, shape))
    if weight is not None and need[1]:
        grad_w = _sum_over(xp, g * xhat, axes)
    if has_bias and need[2]:
        grad_b = _sum_over(xp, g, axes)
    return dxhat, grad_w, grad_b


class BatchNorm(Function):
    """Batch normalisation of x (N, C, *) per channel, statistics over N and the trailing axes.

    ``training=True`` uses the batch statistics (and the gradient flows through them) and, when
    ``running_mean``/``running_var`` Tensors are given, updates them in place with ``momentum``
    (running_var with the unbiased variance, as PyTorch). ``training=False`` uses the running ones.
    """

    running_mean: Tensor | None
    running_var: Tensor | None
    training: bool
    momentum: Any  # a float, or a 0-d array (momentum=None counted inside a compiled step)
    eps: float

    def prepare_recompute(self) -> None:
        if self.training:  # the rerun for create_graph must not update the running statistics a second time
            self.running_mean = self.running_var = None

    def forward(self, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
        x, weight, bias = _upcast_inputs(self, xp, x, weight, bias)
        channels = x.shape[1]
        self.axes = (0,) + tuple(range(2, x.ndim))
        self.has_weight = weight is not None
        self.has_bias = bias is not None
        shape = _affine_shape(x.ndim, channels)
        if self.training:
            xhat, invstd, mean, var = _normalize(xp, x, self.axes, self.eps)
            if self.running_mean is not None:
                count = element_count(xp, x, self.axes)  # (a 0-d array over a symbolic axis: ONNX export)
                m = self.momentum
                unbiased = xp.reshape(var, (channels,)) * (count / (count - 1))
                running_mean, running_var = self.running_mean.array, self.running_var.array
                # updated in float32 and stored in the buffers' own dtype
                self.running_mean.array = cast_to(xp, (1.0 - m) * upcast(xp, running_mean)
                                                 + m * xp.reshape(mean, (channels,)), running_mean.dtype)
                self.running_var.array = cast_to(xp, (1.0 - m) * upcast(xp, running_var) + m * unbiased,
                                                running_var.dtype)
        else:
            mean = xp.reshape(upcast(xp, self.running_mean.array), shape)
            invstd = 1.0 / xp.sqrt(xp.reshape(upcast(xp, self.running_var.array), shape) + self.eps)
            if not any(self.needs_input_grad):
                # no backward (inference): PyTorch's CPU form, x * alpha + beta with per-channel alpha = invstd * weight
                # and beta = bias - mean * alpha: two passes over x instead of four, and no xhat kept
                alpha = invstd if weight is None else invstd * xp.reshape(weight, shape)
                beta = -mean * alpha if bias is None else xp.reshape(bias, shape) - mean * alpha
                return _cast_back(self, xp, x * alpha + beta)[0]
            xhat = (x - mean) * invstd
        self.xhat, self.invstd = xhat, invstd
        self.weight = weight
        return _cast_back(self, xp, _affine(xp, xhat, weight, bias, shape))[0]

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        need = self.needs_input_grad
        g = upcast(xp, g)
        dxhat, grad_w, grad_b = _affine_backward(xp, g, self.xhat, self.weight, self.has_bias, need, self.axes,
                                                 _affine_shape(g.ndim, g.shape[1]))
        grad_x = None
        if need[0]:
            if self.training:
                grad_x = _normalize_backward(xp, dxhat, self.xhat, self.invstd, self.axes)
            else:
                grad_x = dxhat * self.invstd
        return _cast_back(self, xp, grad_x, grad_w, grad_b)


class LayerNormFunction(Function):
    """Normalise x (..., *normalized_shape) over its last ``ndims`` axes; affine of normalized_shape."""

    ndims: int
    eps: float

    def forward(self, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
        x, weight, bias = _upcast_inputs(self, xp, x, weight, bias)
        self.axes = tuple(range(x.ndim - self.ndims, x.ndim))
        self.lead = tuple(range(x.ndim - self.ndims))
        self.xhat, self.invstd, _, _ = _normalize(xp, x, self.axes, self.eps)
        self.weight, self.has_bias = weight, bias is not None
        return _cast_back(self, xp, _affine(xp, self.xhat, weight, bias))[0]

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        need = self.needs_input_grad
        g = upcast(xp, g)
        dxhat, grad_w, grad_b = _affine_backward(xp, g, self.xhat, self.weight, self.has_bias, need, self.lead)
        grad_x = _normalize_backward(xp, dxhat, self.xhat, self.invstd, self.axes) if need[0] else None
        return _cast_back(self, xp, grad_x, grad_w, grad_b)


class GroupNormFunction(Function):
    """Normalise x (N, C, *) within ``num_groups`` groups of C / num_groups channels; affine per channel."""

    num_groups: int
    eps: float
    per_channel: bool = False  # instance_norm's (one group per channel)

    @property
    def ties_constant_gradient(self) -> bool | None:  # type: ignore[override]
        """PyTorch records group_norm's composite backward (infinitely_differentiable_native_group_norm_backward):
        the bias's gradient, a sum of g, is a constant where g is; instance_norm's is batch_norm's, whose recorded
        gradients read the input (tied, as this Function saved it)."""
        return None if self.per_channel else False

    def forward(self, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
        x, weight, bias = _upcast_inputs(self, xp, x, weight, bias)
        n, channels = x.shape[0], x.shape[1]
        self.shape = tuple(x.shape)
        # explicit sizes, no -1: a reshape of an empty batch cannot infer one
        self.grouped = (n, self.num_groups, math.prod(self.shape[1:]) // self.num_groups)
        grouped = xp.reshape(x, self.grouped)
        xhat, self.invstd, _, _ = _normalize(xp, grouped, (2,), self.eps)
        self.xhat = xp.reshape(xhat, self.shape)
        self.weight, self.has_bias = weight, bias is not None
        self.axes = (0,) + tuple(range(2, x.ndim))
        return _cast_back(self, xp, _affine(xp, self.xhat, weight, bias, _affine_shape(x.ndim, channels)))[0]

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        need = self.needs_input_grad
        g = upcast(xp, g)
        dxhat, grad_w, grad_b = _affine_backward(xp, g, self.xhat, self.weight, self.has_bias, need, self.axes,
                                                 _affine_shape(g.ndim, self.shape[1]))
        grad_x = None
        if need[0]:
            grouped = self.grouped
            grad_x = _normalize_backward(xp, xp.reshape(dxhat, grouped), xp.reshape(self.xhat, grouped),
                                         self.invstd, (2,))
            grad_x = xp.reshape(grad_x, self.shape)
        return _cast_back(self, xp, grad_x, grad_w, grad_b)


class RMSNormFunction(Function):
    """``y = x / sqrt(mean(x^2) + eps) * weight`` over the last ``ndims`` axes (no centring)."""

    ndims: int
    eps: float | None

    def forward(self, xp: Namespace, x: Any, weight: Any) -> Any:
        x, weight = _upcast_inputs(self, xp, x, weight)
        self.axes = tuple(range(x.ndim - self.ndims, x.ndim))
        self.lead = tuple(range(x.ndim - self.ndims))
        # (the epsilon of the dtype computed in, float32 for float16/bfloat16, as PyTorch's opmath type)
        eps = float(xp.finfo(x.dtype).eps) if self.eps is None else self.eps
        self.x, self.weight = x, weight
        self.rstd = 1.0 / xp.sqrt(_mean(xp, x * x, self.axes) + eps)
        y = x * self.rstd
        y = y * weight if weight is not None else y
        return _cast_back(self, xp, y)[0]

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        need = self.needs_input_grad
        g = upcast(xp, g)
        x, rstd, weight = self.x, self.rstd, self.weight
        grad_x = grad_w = None
        if need[0]:
            u = g * weight if weight is not None else g
            # d(rstd)/dx = -rstd^3 * x / M, so the normalisation couples all features of a row
            grad_x = rstd * u - x * (rstd * rstd * rstd) * _mean(xp, u * x, self.axes)
        if weight is not None and need[1]:
            scaled = g * x * rstd
            grad_w = xp.sum(scaled, axis=self.lead) if self.lead else scaled
        return _cast_back(self, xp, grad_x, grad_w)


# -- functional wrappers (PyTorch's signatures) -----------------------------------------------------
def batch_norm(input: Tensor, running_mean: Tensor | None, running_var: Tensor | None,
               weight: Tensor | None = None, bias: Tensor | None = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation of input (N, C) or (N, C, *) per channel C.

    Parameters
    ----------
    input : Tensor (N, C, *)
    running_mean, running_var : Tensor (C,) or None
        Running statistics; updated in place when ``training`` (running_var with the unbiased
        batch variance), used instead of the batch statistics when not.
    weight, bias : Tensor (C,) or None
        The affine map applied after normalising.
    training : bool
        Normalise with the batch statistics (else the running ones, which must then be given).
    momentum : float (or a traced 0-d array inside a compiled step)
        ``running = (1 - momentum) * running + momentum * batch``.
    eps : float
        Added to the variance for stability.
    """
    check_real_floating("batch_norm", input)
    check_one_backend("batch_norm", input, running_mean, running_var, weight, bias)
    check_running_stats("batch_norm", running_mean, running_var)
    check_parameter_dtypes("batch_norm", input, running_mean=running_mean, running_var=running_var, weight=weight,
                           bias=bias)
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected input of shape (N, C, *), got shape {input.shape}")
    if isinstance(eps, (int, float)) and not (eps > 0 if training else eps >= 0):  # (PyTorch's checks; it divided)
        raise ValueError(f"batch_norm eps must be {'positive during training' if training else 'non-negative'}, but "
                         f"got {eps}")
    if training and values_per_channel(input.shape) == 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, got input of "
                         f"shape {input.shape}")
    if not training and (running_mean is None or running_var is None):
        raise InvalidValueError("batch_norm: running_mean and running_var are needed when training=False")
    check_shapes("batch_norm", (input.shape[1],), "one per channel of input " + str(tuple(input.shape)),
                 running_mean=running_mean, running_var=running_var, weight=weight, bias=bias)
    if values_per_channel(input.shape) == 0:  # an empty batch: PyTorch's, no statistics (running ones untouched)
        out = input * 1.0
        out = out if weight is None else out * weight[0]
        return out if bias is None else out + bias[0]
    if not input.backend.is_traced(momentum):  # (a traced 0-d array: BatchNorm's momentum=None in a compiled step)
        momentum = float(momentum)
    return BatchNorm.apply(input, weight, bias, running_mean=running_mean, running_var=running_var,
                           training=bool(training), momentum=momentum, eps=float(eps))


def values_per_channel(shape: tuple[Any, ...]) -> int | None:
    """How many values of each channel an (N, C, *) input holds, N times the spatial sizes (PyTorch's
    ``_verify_batch_size`` product); None where a size is symbolic (an ONNX export's axis)."""
    if None in shape:
        return None
    return shape[0] * math.prod(shape[2:])


def check_running_stats(name: str, running_mean: Any, running_var: Any) -> None:
    """Running statistics must be Tensors (their arrays are replaced when training), as PyTorch's "argument
    'running_mean' must be Tensor, not numpy.ndarray"."""
    for what, value in (("running_mean", running_mean), ("running_var", running_var)):
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"{name}(): argument '{what}' must be Tensor, not {type(value).__name__}; wrap it with "
                            f"anynn.tensor(...)")


def check_shapes(name: str, shape: tuple[int, ...], meaning: str, **operands: Tensor | None) -> None:
    """Raise `ValueError` naming ``name`` and the operand unless every given operand (weight, bias, running
    statistics) has ``shape``, as PyTorch requires (it broadcasts none of them)."""
    for key, value in operands.items():
        if value is not None and tuple(value.shape) != shape:
            raise ShapeMismatchError(f"{name}: expected {key} of shape {shape} ({meaning}), got shape "
                                     f"{tuple(value.shape)}")


def normalized_shape_of(name: str, normalized_shape: int | Sequence[int]) -> tuple[int, ...]:
    """``normalized_shape`` (an int or a sequence of ints) as a tuple; a float in it is PyTorch's `TypeError`
    (``int()`` truncated layer_norm(x, (3.5,)) to 3, and a bare 3.0 failed as "'float' object is not iterable")."""
    shape = (normalized_shape,) if isinstance(normalized_shape, numbers.Number) else tuple(normalized_shape)
    for n in shape:
        if isinstance(n, str) or (isinstance(n, numbers.Number) and not isinstance(n, numbers.Integral)):
            raise TypeError(f"{name}(): argument 'normalized_shape' must be an int or a tuple of ints, not "
                            f"{type(n).__name__} ({n!r}), as in PyTorch")
    return tuple(int(n) for n in shape)


def layer_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
               bias: Tensor | None = None, eps: float = 1e-5) -> Tensor:
    """Normalise input (..., *normalized_shape) over its last ``len(normalized_shape)`` axes.

    weight and bias, if given, have shape ``normalized_shape``.
    """
    check_real_floating("layer_norm", input)
    check_one_backend("layer_norm", input, weight, bias)
    check_parameter_dtypes("layer_norm", input, weight=weight, bias=bias)
    shape = normalized_shape_of("layer_norm", normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        raise ShapeMismatchError(f"layer_norm: expected input of shape (*, {', '.join(map(str, shape))}), "
                                 f"got shape {input.shape}")
    check_shapes("layer_norm", shape, "normalized_shape", weight=weight, bias=bias)
    return LayerNormFunction.apply(input, weight, bias, ndims=len(shape), eps=float(eps))


def group_norm(input: Tensor, num_groups: int, weight: Tensor | None = None, bias: Tensor | None = None,
               eps: float = 1e-5) -> Tensor:
    """Normalise input (N, C, *) within ``num_groups`` channel groups; weight and bias are (C,)."""
    return grouped_norm(input, num_groups, weight, bias, eps, per_channel=False)


def grouped_norm(input: Tensor, num_groups: int, weight: Tensor | None, bias: Tensor | None, eps: float,  # noqa: A002
                 per_channel: bool) -> Tensor:
    """`group_norm`, and instance_norm's (``per_channel``: its recorded gradients are batch_norm's, see
    `GroupNormFunction`)."""
    check_real_floating("group_norm", input)
    check_one_backend("group_norm", input, weight, bias)
    check_parameter_dtypes("group_norm", input, weight=weight, bias=bias)
    if input.ndim < 2 or num_groups < 1 or input.shape[1] % num_groups:
        raise ShapeMismatchError(f"group_norm: expected input (N, C, *) with C divisible by num_groups={num_groups}, "
                                 f"got shape {input.shape}")
    if None not in input.shape and input.size // num_groups == 1:  # a symbolic (recorded) axis: no count
        # PyTorch's check (on its (N*C/G, G, *) view): one value per group normalises to nothing
        raise ValueError(f"group_norm: expected more than 1 value per group, got input of shape {input.shape} "
                         f"with num_groups={num_groups}")
    check_shapes("group_norm", (input.shape[1],), "one per channel of input " + str(tuple(input.shape)),
                 weight=weight, bias=bias)
    return GroupNormFunction.apply(input, weight, bias, num_groups=int(num_groups), eps=float(eps),
                                   per_channel=per_channel)


def rms_norm(input: Tensor, normalized_shape: int | Sequence[int], weight: Tensor | None = None,
             eps: float | None = None) -> Tensor:
    """Root-mean-square normalisation over the last ``len(normalized_shape)`` axes.

    ``eps=None`` uses the machine epsilon of the input's dtype, as PyTorch.
    """
    check_floating("rms_norm", input)
    check_one_backend("rms_norm", input, weight)
    shape = normalized_shape_of("rms_norm", normalized_shape)
    if tuple(input.shape[input.ndim - len(shape):]) != shape or input.ndim < len(shape):
        raise ShapeMismatchError(f"rms_norm: expected input of shape (*, {', '.join(map(str, shape))}), "
                                 f"got shape {input.shape}")
    check_shapes("rms_norm", shape, "normalized_shape", weight=weight)
    low = dtype_name(input.dtype) in ("float16", "bfloat16")
    if isinstance(weight, Tensor) and weight.dtype != input.dtype and not low:
        weight = weight.to(input.dtype)  # the result in the input's dtype, as PyTorch's (a float32 weight)
    return RMSNormFunction.apply(input, weight, ndims=len(shape), eps=None if eps is None else float(eps))
