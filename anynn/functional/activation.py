"""Activation functions: one fused primitive each (forward and backward side by side).

All are elementwise on any shape, except ``softmax``/``log_softmax``/``glu`` which act along ``axis``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name, op
from ..backend.typing import Namespace
from .elementwise import as_floating
from .formulas.conjugate import conj, is_complex
from .formulas.logistic import softplus as stable_softplus
from .formulas.softmax import log_softmax as log_softmax_formula
from .formulas.softmax import log_softmax_backward, softmax_backward
from .formulas.softmax import softmax as softmax_formula
from .inplace_option import in_place
from .value_checks import require_tensor
from .value_checks import (check_floating, check_real_floating, check_same_dtype, is_floating, refuse_complex,
                           refuse_kernel)
from .value_checks import InvalidValueError, ShapeMismatchError
from .precision import in_float32


class SigmoidFunction(Function):
    def forward(self, xp: Namespace, x: Any) -> Any:
        # complex: the plain 1 / (1 + e^-x) (the stable form's min and |x| are real-only)
        self.out = 1.0 / (1.0 + xp.exp(-x)) if is_complex(xp, x) else op(self.backend, "sigmoid")(x)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return op(self.backend, "sigmoid_grad")(g, conj(xp, self.out))  # conj: PyTorch's rule for complex


class TanhFunction(Function):
    def forward(self, xp: Namespace, x: Any) -> Any:
        self.out = xp.tanh(x)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return op(self.backend, "tanh_grad")(g, conj(xp, self.out))


class ReLUFunction(Function):
    fresh_gradients = True  # a new product with the mask
    # the 0/1 slope as an array of out's dtype, kept by a create_graph=True pass (fused_recorded's ReLU rule) so
    # that the backward through this node after it (a gradient penalty's) is one product
    mask: Any = None

    def forward(self, xp: Namespace, x: Any) -> Any:
        out = xp.maximum(x, 0.0)  # propagates NaN like PyTorch; far cheaper than where on NumPy
        if self.needs_input_grad[0]:
            self.out = out
        return out

    def backward(self, xp: Namespace, g: Any) -> Any:
        mask = self.mask
        if mask is not None and mask.dtype == g.dtype:
            return g * mask
        return op(self.backend, "relu_grad")(g, self.out)


class LeakyReLUFunction(Function):
    ties_constant_gradient = True  # PyTorch's leaky_relu_backward(g, x) reads the input
    negative_slope: float

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.positive = x > 0
        return xp.where(self.positive, x, x * self.negative_slope)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.where(self.positive, g, g * self.negative_slope)


class ELUFunction(Function):
    """``x`` for x > 0, ``alpha * (exp(x) - 1)`` otherwise; SELU is ``scale * ELU(alpha)``."""

    alpha: float
    scale: float = 1.0

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.positive = xp.logical_not(x <= 0)  # NaN too: its gradient is g, as PyTorch's
        # min(x, 0) as a selection: at x = 0 (and NaN) the constant 0, so (as PyTorch's) the second derivative there is
        # 0, where minimum's tie rule would give half of alpha
        self.negative_part = self.alpha * xp.expm1(xp.where(x < 0, x, xp.zeros_like(x)))
        out = xp.where(self.positive, x, self.negative_part)
        return out * self.scale if self.scale != 1.0 else out

    def backward(self, xp: Namespace, g: Any) -> Any:
        grad = xp.where(self.positive, g, g * (self.negative_part + self.alpha))
        return grad * self.scale if self.scale != 1.0 else grad


_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


class GELUFunction(Function):
    """Gaussian error linear unit: exact (``approximate="none"``, via erf) or the tanh form."""

    approximate: str

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.x = x
        if self.approximate == "tanh":
            self.t = xp.tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x * x * x))
            return 0.5 * x * (1.0 + self.t)
        self.cdf = 0.5 * (1.0 + op(self.backend, "erf")(x * (1.0 / math.sqrt(2.0))))
        return x * self.cdf

    def backward(self, xp: Namespace, g: Any) -> Any:
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            x_safe = xp.clip(x, -10.0, 10.0)  # tanh is saturated beyond; x*x would overflow in float16
            inner = _SQRT_2_OVER_PI * (1.0 + 3.0 * 0.044715 * x_safe * x_safe)
            return g * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * inner)
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * x * x)
        return g * (self.cdf + x * pdf)


class SiLUFunction(Function):
    def forward(self, xp: Namespace, x: Any) -> Any:
        self.x = x
        self.s = op(self.backend, "sigmoid")(x)  # (recorded: SigmoidFunction, exact to every order at 0)
        return x * self.s

    def backward(self, xp: Namespace, g: Any) -> Any:
        s = self.s
        return g * (s * (1.0 + self.x * (1.0 - s)))


class SoftplusFunction(Function):
    """``log(1 + exp(beta * x)) / beta``, linear where ``beta * x > threshold`` (as PyTorch)."""

    beta: float
    threshold: float

    def forward(self, xp: Namespace, x: Any) -> Any:
        z = x * self.beta
        self.z = z
        self.linear = z > self.threshold
        soft = stable_softplus(xp, z) / self.beta
        return xp.where(self.linear, x, soft)

    def backward(self, xp: Namespace, g: Any) -> Any:
        # at beta * x == threshold the slope is sigmoid(threshold) but, as PyTorch's, its derivative is 0 (the
        # linear branch's): z held constant there
        z = xp.where(self.z >= self.threshold, xp.full_like(self.z, self.threshold), self.z)
        sig = op(self.backend, "sigmoid")(z)
        return xp.where(self.linear, g, g * sig)


class MishFunction(Function):
    """``x * tanh(softplus(x))``."""

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.x = x
        return x * xp.tanh(stable_softplus(xp, x))

    def backward(self, xp: Namespace, g: Any) -> Any:
        # from s = sigmoid(x) and u = sigmoid(-x) = 1 / (1 + e^x): tanh(softplus(x)) = (1 - u^2) / (1 + u^2)
        # = s (1 + u) / (1 + u^2) and 1 - tanh^2 = 4 u^2 / (1 + u^2)^2, where nothing cancels. Recorded, the
        # sigmoid is exact to every order at 0, where softplus's stable form goes through the ties of |x| and
        # max(x, 0) (third derivatives at 0 were off)
        sigmoid = op(self.backend, "sigmoid")
        s, u = sigmoid(self.x), sigmoid(-self.x)
        v = 1.0 + u * u
        return g * (s * (1.0 + u) / v + self.x * s * (4.0 * u * u) / (v * v))


class HardtanhFunction(Function):
    """Clamp to ``[min_val, max_val]``; ReLU6 is ``Hardtanh(0, 6)``."""

    ties_constant_gradient = True  # PyTorch's hardtanh_backward(g, x) reads the input

    min_val: float
    max_val: float

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.inside = ~((x <= self.min_val) | (x >= self.max_val))  # (NaN is inside: its gradient passes, as PyTorch's)
        return xp.clip(x, self.min_val, self.max_val)

    def backward(self, xp: Namespace, g: Any) -> Any:
        return xp.where(self.inside, g, xp.zeros_like(g))


class HardswishFunction(Function):
    """``x * relu6(x + 3) / 6``."""

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.x = x
        return x * (xp.clip(x + 3.0, 0.0, 6.0) / 6.0)  # divide first: x * 6 overflows float16 past ~1.1e4

    def backward(self, xp: Namespace, g: Any) -> Any:
        x = self.x
        mid = x / 3.0 + 0.5
        # PyTorch's kinks: 0 at x = -3, 1 at x = 3 and at NaN (its test is x < 3, which NaN fails)
        grad = xp.where(x <= -3.0, xp.zeros_like(x), xp.where(x < 3.0, mid, xp.ones_like(x)))
        return g * grad


class PReLUFunction(Function):
    """``max(0, x) + weight * min(0, x)``; weight (1,) or (C,) broadcast along axis 1."""

    def forward(self, xp: Namespace, x: Any, weight: Any) -> Any:
        check_same_dtype("prelu", ("input", "weight"), (x, weight))
        self.x = x
        self.weight = weight = prelu_weight(xp, x, weight)
        self.positive = x > 0
        return xp.where(self.positive, x, x * weight)

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any]:
        grad_x = xp.where(self.positive, g, g * self.weight)
        contrib = xp.where(self.positive, xp.zeros_like(g), g * self.x)
        return grad_x, prelu_weight_grad(xp, contrib, self.weight)


def prelu_weight(xp: Namespace, x: Any, weight: Any) -> Any:
    """PReLU's weight (1,) or (C,) as it broadcasts against x (N, C, ...): (1, C, 1, ...) for C > 1."""
    if weight.shape[0] != 1 and x.ndim >= 2:
        return xp.reshape(weight, (1, weight.shape[0]) + (1,) * (x.ndim - 2))
    return weight


def prelu_weight_grad(xp: Namespace, contrib: Any, weight: Any) -> Any:
    """``contrib`` (x's shape) summed to the weight's shape (1,) or (C,); ``weight`` as `prelu_weight` gives it."""
    if weight.ndim <= 1 and weight.shape[0] == 1:
        return xp.reshape(xp.sum(contrib), (1,))
    return xp.sum(contrib, axis=tuple(i for i in range(contrib.ndim) if i != 1))


class SoftmaxFunction(Function):
    axis: int

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.out = softmax_formula(xp, x, self.axis)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return softmax_backward(xp, g, self.out, self.axis)


class LogSoftmaxFunction(Function):
    axis: int

    def forward(self, xp: Namespace, x: Any) -> Any:
        self.out = log_softmax_formula(xp, x, self.axis)
        return self.out

    def backward(self, xp: Namespace, g: Any) -> Any:
        return log_softmax_backward(xp, g, self.out, self.axis)


class GLUFunction(Function):
    """Gated linear unit: split ``x`` in halves ``a, b`` along ``axis``; ``a * sigmoid(b)``."""

    axis: int

    def forward(self, xp: Namespace, x: Any) -> Any:
        axis = self.axis % x.ndim
        half = x.shape[axis] // 2
        if x.shape[axis] % 2:
            raise ShapeMismatchError(f"GLU: dimension {self.axis} must be even, got size {x.shape[axis]}")
        lead = (slice(None),) * axis
        self.a, b = x[lead + (slice(0, half), Ellipsis)], x[lead + (slice(half, None), Ellipsis)]
        self.s = op(self.backend, "sigmoid")(b)
        self.axis_ = axis
        return self.a * self.s

    def backward(self, xp: Namespace, g: Any) -> Any:
        grad_a = g * self.s
        grad_b = g * self.a * self.s * (1.0 - self.s)
        return xp.concat((grad_a, grad_b), axis=self.axis_)


@in_float32()
def sigmoid(input: Any) -> Any:
    """``1 / (1 + exp(-x))`` of input (*), without overflow for large ``|x|``; integers become the default dtype."""
    return SigmoidFunction.apply(as_floating(input))


def tanh(input: Any) -> Any:
    """Hyperbolic tangent of input (*); integers become the default dtype."""
    return TanhFunction.apply(as_floating(input))


def relu(input: Any, inplace: bool = False) -> Any:
    """``max(x, 0)`` of input (*); ``inplace=True`` overwrites the input and returns it (`in_place`). Integers
    stay integers, as in PyTorch."""
    if inplace:  # (integers through `relu` itself: they stay integers in place too)
        refuse_complex("relu_", input)
        return in_place(input, "relu_", ReLUFunction.apply if is_floating(input) else relu)
    if not is_floating(input):
        return integers_kept("relu", input, ReLUFunction.apply)
    refuse_complex("relu", input)
    return ReLUFunction.apply(input)


@in_float32(inplace_at=2)
def leaky_relu(input: Any, negative_slope: float = 0.01, inplace: bool = False) -> Any:
    """``x`` where ``x > 0``, else ``negative_slope * x``, of input (*); ``inplace`` as in `relu`."""
    if inplace:
        return in_place(input, "leaky_relu_",
                        lambda s: LeakyReLUFunction.apply(s, negative_slope=float(negative_slope)),
                        real_floating="leaky_relu")
    check_real_floating("leaky_relu", input)
    return LeakyReLUFunction.apply(input, negative_slope=float(negative_slope))


def elu(input: Any, alpha: float = 1.0, inplace: bool = False) -> Any:
    """ELU of input (*); ``inplace`` as in `relu`."""
    if inplace:
        return in_place(input, "elu_", lambda s: ELUFunction.apply(s, alpha=float(alpha)), real_floating="elu")
    check_real_floating("elu", input)
    return ELUFunction.apply(input, alpha=float(alpha))


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@in_float32(inplace_at=1)
def selu(input: Any, inplace: bool = False) -> Any:
    """SELU of input (*): ``scale * elu(x, alpha)``; ``inplace`` as in `relu`."""
    if inplace:
        return in_place(input, "selu_", lambda s: ELUFunction.apply(s, alpha=_SELU_ALPHA, scale=_SELU_SCALE),
                        real_floating="selu")
    check_real_floating("selu", input)
    return ELUFunction.apply(input, alpha=_SELU_ALPHA, scale=_SELU_SCALE)


@in_float32()
def gelu(input: Any, approximate: str = "none") -> Any:
    """GELU of input (*): ``x * Phi(x)`` with the normal CDF ``Phi`` (``approximate="none"``) or its tanh form
    (``"tanh"``)."""
    if approximate not in ("none", "tanh"):
        raise InvalidValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    check_real_floating("gelu", input)
    return GELUFunction.apply(input, approximate=approximate)


@in_float32(inplace_at=1)
def silu(input: Any, inplace: bool = False) -> Any:
    """``x * sigmoid(x)`` of input (*); ``inplace`` as in `relu`."""
    if inplace:
        return in_place(input, "silu_", SiLUFunction.apply, real_floating="silu", torch_supports=True)
    check_real_floating("silu", input, torch_supports=True)
    return SiLUFunction.apply(input)


@in_float32()
def softplus(input: Any, beta: float = 1.0, threshold: float = 20.0) -> Any:
    """``log(1 + exp(beta * x)) / beta`` of input (*); ``x`` itself where ``beta * x > threshold``."""
    check_real_floating("softplus", input)
    return SoftplusFunction.apply(input, beta=float(beta), threshold=float(threshold))


@in_float32(inplace_at=1)
def mish(input: Any, inplace: bool = False) -> Any:
    """``x * tanh(softplus(x))`` of input (*); ``inplace`` as in `relu`."""
    if inplace:
        return in_place(input, "mish_", MishFunction.apply, real_floating="mish")
    check_real_floating("mish", input)
    return MishFunction.apply(input)


def hardtanh(input: Any, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False) -> Any:
    """input (*) clamped to ``[min_val, max_val]``; ``inplace`` as in `relu`."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val cannot be greater than max_val, got {min_val} > {max_val}")
    if isinstance(input, Tensor) and dtype_name(input.dtype) == "uint8" and min(min_val, max_val) < 0:
        raise RuntimeError(f"hardtanh: cannot do hardtanh on an unsigned type with negative limits (got min_val "
                           f"{min_val}, max_val {max_val}), as in PyTorch")

    def clamped(s: Any) -> Any:  # integers stay integers (in place too: array-api-strict and torch refused the mix)
        if not is_floating(s):
            return integers_kept("hardtanh", s, clamped)
        refuse_complex("hardtanh", s)
        return HardtanhFunction.apply(s, min_val=float(min_val), max_val=float(max_val))

    return in_place(input, "hardtanh_", clamped) if inplace else clamped(input)


def relu6(input: Any, inplace: bool = False) -> Any:
    """input (*) clamped to ``[0, 6]``; ``inplace`` as in `relu`."""
    if not inplace and not is_floating(input):
        return integers_kept("relu6", input, lambda s: hardtanh(s, 0.0, 6.0))
    return hardtanh(input, 0.0, 6.0, inplace)


@in_float32(inplace_at=1)
def hardswish(input: Any, inplace: bool = False) -> Any:
    """``x * relu6(x + 3) / 6`` of input (*); ``inplace`` as in `relu`."""
    if inplace:
        return in_place(input, "hardswish_", HardswishFunction.apply, real_floating="hardswish")
    check_real_floating("hardswish", input)
    return HardswishFunction.apply(input)


def prelu(input: Any, weight: Any) -> Any:
    """PReLU of input (N, C, ...) with ``weight`` (1,) or (C,) (inputs under 2-D have one channel), or a 0-d weight
    as PyTorch takes it; the result has input's shape (a 0-d input gives a 0-d result)."""
    require_tensor("prelu", input)
    require_tensor("prelu", weight, "weight", 2)
    refuse_complex("prelu", input, weight)
    refuse_kernel("prelu", "prelu_cpu", ("integral", "bool"), input)
    channels = input.shape[1] if input.ndim >= 2 else 1
    if tuple(weight.shape) not in ((), (1,), (channels,)):
        raise ShapeMismatchError(f"prelu: weight must have shape (), (1,) or ({channels},) for input "
                                 f"{tuple(input.shape)} with {channels} channels, got {tuple(weight.shape)}")
    if weight.ndim == 0:
        weight = weight.reshape(1)
    if input.ndim == 0:  # (the (1,) weight would broadcast it to (1,))
        return PReLUFunction.apply(input.reshape(1), weight).reshape(())
    return PReLUFunction.apply(input, weight)


def integers_kept(name: str, input: Any, fn: Any) -> Any:
    """``fn`` of an integer Tensor, cast back to its dtype (PyTorch's rectifiers keep integers integer; computed in
    float64, exact below 2**53, as the portable math mixes in float scalars); booleans are refused, as there."""
    if not isinstance(input, Tensor) or "bool" in dtype_name(input.array.dtype):
        check_floating(name, input)
    return fn(input.double()).astype(input.array.dtype)


def check_axis(where: str, x: Any, axis: Any) -> int:
    """``axis`` as an int in ``[-ndim, ndim)`` of ``x``; else `IndexError` naming ``where`` (as PyTorch raises)."""
    ndim = len(x.shape)
    if isinstance(axis, bool) or not isinstance(axis, int) and not hasattr(axis, "__index__"):
        raise TypeError(f"{where}: dim must be an int, got {type(axis).__name__}")
    axis = int(axis)
    low = -max(ndim, 1)
    if not low <= axis < max(ndim, 1):
        raise IndexError(f"{where}: dim {axis} is out of range for an input of {ndim} dimensions "
                         f"(shape {tuple(x.shape)}); expected a dim in [{low}, {max(ndim, 1) - 1}]")
    return axis


def cast_first(x: Any, dtype: Any) -> Any:
    """``x`` in ``dtype`` (a recorded cast, so gradients reach ``x`` in its own dtype), or ``x`` when None:
    the ``dtype=`` of PyTorch's softmax family, which casts before the op (integer input included)."""
    return x if dtype is None else x.astype(dtype)


def softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
            axis: int | None = None) -> Any:
    """Softmax of input (*) along ``dim`` (or the array API's ``axis``); ``dtype`` casts input first (PyTorch's
    positional order: ``F.softmax(x, 1, 3, torch.float64)``, the 3 its unused ``_stacklevel``).
    Neither given: PyTorch's legacy choice, with its warning (dim 0 for 0-, 1- and 3-D input, else 1)."""
    input = cast_first(input, dtype)
    check_real_floating("softmax", input)
    axis = check_axis("softmax", input, _given_or_implicit("softmax", input, axis, dim))
    if input.ndim == 0:  # one entry along dim 0 or -1, as PyTorch's (the formula reduces over a real axis)
        return SoftmaxFunction.apply(input.reshape(1), axis=0).reshape(())
    return SoftmaxFunction.apply(input, axis=axis)


def log_softmax(input: Any, dim: int | None = None, _stacklevel: int = 3, dtype: Any = None, *,
                axis: int | None = None) -> Any:
    """Log-softmax of input (*) along ``dim`` (or ``axis``); ``dtype`` casts input first (as PyTorch). Neither given:
    PyTorch's legacy choice, with its warning (dim 0 for 0-, 1- and 3-D input, else 1)."""
    input = cast_first(input, dtype)
    check_real_floating("log_softmax", input)
    axis = check_axis("log_softmax", input, _given_or_implicit("log_softmax", input, axis, dim))
    if input.ndim == 0:
        return LogSoftmaxFunction.apply(input.reshape(1), axis=0).reshape(())
    return LogSoftmaxFunction.apply(input, axis=axis)


def _given_or_implicit(name: str, x: Any, axis: int | None, dim: int | None) -> int:
    """The dim the caller gave, or PyTorch's implicit one (F.softmax(x) of a 3-D x normalises over dim 0)."""
    if dim is not None:
        return dim
    if axis is not None:
        return axis
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X as an "
                  "argument.", UserWarning, stacklevel=3)
    return 0 if x.ndim in (0, 1, 3) else 1


def glu(input: Any, dim: int = -1, *, axis: int | None = None) -> Any:
    """Gated linear unit along ``dim`` (or the array API's ``axis``), whose size must be even."""
    check_real_floating("glu", input)
    if input.ndim == 0:  # PyTorch refuses too; the modulo below would divide by the missing axis's size
        raise ShapeMismatchError("glu: expected an input of at least 1 dimension (its size along dim is halved), got "
                                 "a 0-d tensor")
    return GLUFunction.apply(input, axis=check_axis("glu", input, dim if axis is None else axis))
