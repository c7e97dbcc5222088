"""Lowerings of activations and elementwise math to ONNX operators (Relu, Elu, Selu, Softplus, HardSwish, PRelu,
Shrink, Softmax...), and the compositions where ONNX has no operator of its own (atan2, log-sigmoid, tanhshrink).

Entries follow `ndonnx_lowering`'s contract: ``lower(fn, xp, *arrays)`` gives the ndonnx output, or
``NotImplemented`` where ONNX has no operator for the configuration (the recorded forward runs instead).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .ndonnx_graph import Lowering, const, np_dtype, ops, static_shape, var, wrap
from .typing import Namespace


def unary(name: str, **attributes: Any) -> Lowering:
    """The lowering to the one ONNX operator ``name`` with ``attributes`` (values, or functions of ``fn``)."""
    def lower(fn: Any, xp: Namespace, x: Any) -> Any:
        values = {key: (value(fn) if callable(value) else value) for key, value in attributes.items()}
        return wrap(getattr(ops(), name)(var(x), **values))

    lower.__name__ = name
    return lower


def elu(fn: Any, xp: Namespace, x: Any) -> Any:
    op = ops()
    if fn.scale == 1.0:
        return wrap(op.elu(var(x), alpha=fn.alpha))
    return wrap(op.selu(var(x), alpha=fn.alpha, gamma=fn.scale))


def silu(fn: Any, xp: Namespace, x: Any) -> Any:
    op = ops()
    return wrap(op.mul(var(x), op.sigmoid(var(x))))


def softplus(fn: Any, xp: Namespace, x: Any) -> Any:
    if fn.beta != 1.0 or fn.threshold < 20.0:
        return NotImplemented  # ONNX's Softplus has no beta and no linear region (exact past 20 in float32)
    return wrap(ops().softplus(var(x)))


def hardswish(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(ops().hard_swish(var(x)))


def prelu(fn: Any, xp: Namespace, x: Any, weight: Any) -> Any:
    slope = var(weight)
    if static_shape(weight)[0] != 1 and x.ndim > 2:
        slope = ops().unsqueeze(slope, const(list(range(1, x.ndim - 1)), np.int64))
    return wrap(ops().prelu(var(x), slope))


def shrink(soft: bool) -> Lowering:
    def lower(fn: Any, xp: Namespace, x: Any) -> Any:
        return wrap(ops().shrink(var(x), bias=fn.lambd if soft else 0.0, lambd=fn.lambd))

    return lower


def log_sigmoid(fn: Any, xp: Namespace, x: Any) -> Any:
    op = ops()
    return wrap(op.neg(op.softplus(op.neg(var(x)))))


def tanhshrink(fn: Any, xp: Namespace, x: Any) -> Any:
    op = ops()
    return wrap(op.sub(var(x), op.tanh(var(x))))


def threshold(fn: Any, xp: Namespace, x: Any) -> Any:
    op = ops()
    dtype = np_dtype(x)
    return wrap(op.where(op.greater(var(x), const(fn.threshold, dtype)), var(x), const(fn.value, dtype)))


def softmin(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(ops().softmax(ops().neg(var(x)), axis=fn.axis))


def atan2(fn: Any, xp: Namespace, y: Any, x: Any) -> Any:
    """ONNX has no Atan2: ``atan(y / x)``, moved by +-pi (the sign of ``y``) where ``x`` has its sign bit set,
    and ``y`` where both are zero: signed zeros give PyTorch's +-pi and +-pi/2 (two infinities give NaN, not an
    odd multiple of pi/4, and ``atan2(-0.0, 0.0)`` may read +0.0)."""
    op = ops()
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
    return wrap(ops().erf(var(x)))


def hardtanh(fn: Any, xp: Namespace, x: Any) -> Any:
    dtype = np_dtype(x)
    return wrap(ops().clip(var(x), const(fn.min_val, dtype), const(fn.max_val, dtype)))


def gelu(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(ops().gelu(var(x), approximate="tanh" if fn.approximate == "tanh" else "none"))


def softmax(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(ops().softmax(var(x), axis=fn.axis))


def log_softmax(fn: Any, xp: Namespace, x: Any) -> Any:
    return wrap(ops().log_softmax(var(x), axis=fn.axis))
