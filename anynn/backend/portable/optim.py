"""Adam's update, written once: the portable form of the fused ``adam_step`` kernel (CuPy), and the moment
updates Adam, AdamW, NAdam, RAdam and Adamax share.

Every function updates writeable arrays in place with ``inplace=True`` (no temporaries beyond one scratch
array) and builds new arrays otherwise (JAX, traced arrays); both compute the same formula.
"""

from __future__ import annotations

from ..typing import Array, Namespace


def first_moment(xp: Namespace, m: Array, grad: Array, beta1: float, inplace: bool = False) -> Array:
    """``m + (1 - b1)(g - m)``: the running mean of the gradient, as PyTorch's ``lerp``."""
    if not inplace:
        return m + (1.0 - beta1) * (grad - m)
    scratch = grad - m
    scratch *= 1.0 - beta1
    m += scratch
    return m


def second_moment(xp: Namespace, v: Array, grad: Array, beta2: float, inplace: bool = False) -> Array:
    """``b2 v + (1 - b2) g^2``: the running mean of the squared gradient."""
    if not inplace:
        return beta2 * v + (1.0 - beta2) * (grad * grad)
    v *= beta2
    scratch = grad * grad
    scratch *= 1.0 - beta2
    v += scratch
    return v


def adam_moments(xp: Namespace, grad: Array, m: Array, v: Array, beta1: float, beta2: float,
                 inplace: bool = True) -> tuple[Array, Array]:
    """Adam's two moment updates (`first_moment`, `second_moment`); returns ``(m, v)``."""
    return first_moment(xp, m, grad, beta1, inplace), second_moment(xp, v, grad, beta2, inplace)


def adam_apply(xp: Namespace, param: Array, m: Array, v: Array, step_size: float, correction2: float, eps: float,
               inplace: bool = True) -> Array:
    """``param - step_size * m / (sqrt(v) / correction2 + eps)`` (PyTorch's arithmetic); returns the parameter.

    ``step_size = lr / (1 - b1^t)`` and ``correction2 = sqrt(1 - b2^t)`` are the bias corrections.
    """
    denom = xp.sqrt(v)
    if not inplace:
        return param - step_size * (m / (denom / correction2 + eps))
    denom /= correction2
    denom += eps
    update = m / denom
    update *= step_size
    param -= update
    return param


def adam_step(xp: Namespace, param: Array, grad: Array, m: Array, v: Array, beta1: float, beta2: float,
              step_size: float, correction2: float, eps: float) -> None:
    """One Adam update of writeable arrays, in place (all the same shape): `adam_moments` then `adam_apply`,
    the arithmetic of the fused CUDA kernel."""
    adam_moments(xp, grad, m, v, beta1, beta2)
    adam_apply(xp, param, m, v, step_size, correction2, eps)


def lerp(xp: Namespace, start: Array, end: Array, weight: float) -> Array:
    """``start + weight (end - start)`` as PyTorch's ``lerp`` computes it for a number ``weight``: from ``end``
    backwards, ``end - (end - start)(1 - weight)``, once ``weight >= 0.5`` (exact at ``weight = 1``)."""
    if not isinstance(weight, (int, float)):  # an array (a compiled step's momentum): both forms, picked per value
        return xp.where(weight < 0.5, start + weight * (end - start), end - (end - start) * (1.0 - weight))
    if weight < 0.5:
        return start + weight * (end - start)
    return end - (end - start) * (1.0 - weight)
