"""``act(x @ weight.T + bias)`` as one node, for backends with a fused epilogue (cuBLASLt through nvmath on CuPy).

`nn.Sequential` uses it for a ``Linear`` followed by ``ReLU`` or ``GELU(approximate="tanh")`` only where the
backend offers the ``linear_activation`` kernel (`fused_linear_available`); everywhere else the layers run one
by one as before. The Function also has the portable math (the same formulas as `LinearFunction`, `ReLUFunction`
and `GELUFunction`), used when the kernel refuses a call (dtype, shape).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from ..autograd.primitive import Function
from ..backend import Backend, op, portable
from ..backend.typing import Namespace
from .activation import GELUFunction, ReLUFunction
from .linalg import LinearFunction

_new = object.__new__


def _activation(name: str, backend: Backend, needs_grad: bool) -> Function:
    """A bare `ReLUFunction` or tanh-`GELUFunction` object, to run its forward/backward formulas on arrays."""
    fn = _new(ReLUFunction if name == "relu" else GELUFunction)
    fn.backend = backend
    fn.needs_input_grad = (needs_grad,)
    if name != "relu":
        fn.approximate = "tanh"
    return fn


class LinearActivation(Function):
    """``y = act(x @ weight.T + bias)``; x (..., in), weight (out, in), bias (out,), act ``"relu"`` or ``"gelu_tanh"``.

    The backward uses what the forward saved: the output for ReLU (``y > 0`` is its mask), the
    pre-activation (the epilogue's auxiliary output) for GELU.
    """

    activation: str
    autocast = "lower"  # as LinearFunction: the product runs in the autocast dtype

    def forward(self, xp: Namespace, x: Any, weight: Any, bias: Any) -> Any:
        self.x, self.weight = x, weight
        training = True in self.needs_input_grad
        found = NotImplemented
        if x.ndim == 2:
            found = op(self.backend, "linear_activation")(x, weight, bias, self.activation, training)
        if found is NotImplemented:
            pre = op(self.backend, "matmul")(x, weight.mT) + bias
            y = _activation(self.activation, self.backend, False).forward(xp, pre)
        else:
            y, pre = found
        self.saved = (y if self.activation == "relu" else pre) if training else None
        return y

    def backward(self, xp: Namespace, g: Any) -> tuple[Any, Any, Any]:
        act = _activation(self.activation, self.backend, True)
        if self.activation == "relu":
            act.out = self.saved
        else:
            act.forward(xp, self.saved)  # the tanh term of GELU's derivative, from the saved pre-activation
        grad_pre = act.backward(xp, g)
        linear = _new(LinearFunction)
        linear.backend, linear.x, linear.weight, linear.has_bias = self.backend, self.x, self.weight, True
        linear.needs_input_grad = self.needs_input_grad
        return linear.backward(xp, grad_pre)


def fused_linear_available(backend: Backend) -> bool:
    """True where ``backend`` has its own ``linear_activation`` kernel (not the portable ``NotImplemented``)."""
    found = op(backend, "linear_activation")
    return not (isinstance(found, partial) and found.func is portable.linear_activation)


def linear_activation(x: Any, weight: Any, bias: Any, activation: str) -> Any:
    """``relu(x @ weight.T + bias)`` (``activation="relu"``) or its tanh-GELU (``"gelu_tanh"``), one node."""
    if activation not in ("relu", "gelu_tanh"):
        raise ValueError(f"linear_activation: activation must be 'relu' or 'gelu_tanh', got {activation!r}")
    return LinearActivation.apply(x, weight, bias, activation=activation)
