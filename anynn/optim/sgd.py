"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay (PyTorch's formulas)."""

from __future__ import annotations

from typing import Any, Iterable

from ..autograd.primitive import is_writeable
from ..backend import Backend
from ..backend.typing import Array
from .optimizer import Optimizer
from .scalars import nonzero
from .torch_options import implementation_options


class SGD(Optimizer):
    """``p -= lr * d`` where ``d`` is the (momentum-averaged, weight-decayed) gradient.

    With momentum ``m``: ``buf = m * buf + (1 - dampening) * g`` (``buf = g`` at the first step);
    ``d = g + m * buf`` with ``nesterov`` else ``d = buf``. ``g`` comes from the base, with
    ``weight_decay`` (``+ wd * p``) and ``maximize`` (ascend) applied.
    """

    checked_options = ("lr", "momentum", "weight_decay")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0, dampening: float = 0,
                 weight_decay: float = 0, nesterov: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, differentiable: bool = False, fused: bool | None = None) -> None:
        options = implementation_options("SGD", foreach=foreach, fused=fused, differentiable=differentiable,
                                         names=("foreach", "differentiable", "fused"))
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                                      nesterov=nesterov, maximize=maximize, **options))
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum and zero dampening "
                             f"(got momentum={momentum}, dampening={dampening})")

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        momentum = group["momentum"]
        if nonzero(momentum):  # (an array in a compiled step whose schedule cycles it)
            grad = self._momentum_direction(grad, state, group, momentum, backend)
        if is_writeable(param):
            param -= group["lr"] * grad
            return param
        return param - group["lr"] * grad

    @staticmethod
    def _momentum_direction(grad: Any, state: dict[str, Any], group: dict[str, Any], momentum: float,
                            backend: Backend) -> Any:
        """The step direction ``d`` of momentum (heavy ball, or Nesterov's look-ahead)."""
        buf = state.get("momentum_buffer")
        if buf is None:
            buf = backend.xp.asarray(grad, copy=True)  # a copy: later steps update it in place
        elif is_writeable(buf):
            buf *= momentum
            buf += (1.0 - group["dampening"]) * grad
        else:
            buf = momentum * buf + (1.0 - group["dampening"]) * grad
        state["momentum_buffer"] = buf
        return grad + momentum * buf if group["nesterov"] else buf
