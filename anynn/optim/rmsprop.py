"""RMSprop (plain, centered, with momentum), following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.typing import Array
from .optimizer import Optimizer
from .scalars import nonzero
from .state import new_state
from .torch_options import implementation_options


class RMSprop(Optimizer):
    """Divide the gradient by a running root mean square of recent gradients.

    Per step: ``v = alpha v + (1 - alpha) g^2``; with ``centered`` also ``a = a + (1 - alpha)(g - a)``
    and the denominator ``sqrt(v - a^2) + eps`` (a variance estimate) instead of ``sqrt(v) + eps``.
    With ``momentum`` ``b = momentum b + g / denom`` and ``p -= lr b``; otherwise ``p -= lr g / denom``.
    ``g`` comes from the base, with ``weight_decay`` (``+ wd * p``) and ``maximize`` (ascend) applied.
    """

    checked_options = ("lr", "eps", "momentum", "weight_decay", "alpha")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0, momentum: float = 0, centered: bool = False, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum,
                                      centered=centered, maximize=maximize,
                                      **implementation_options("RMSprop", foreach=foreach, capturable=capturable,
                                                               differentiable=differentiable)))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        alpha, momentum = group["alpha"], group["momentum"]
        xp = backend.xp
        if not state:
            new_state(state, xp, param, "square_avg")
            if nonzero(momentum):
                state["momentum_buffer"] = xp.zeros_like(param)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(param)
        state["step"] += 1
        square_avg = state["square_avg"] = alpha * state["square_avg"] + (1.0 - alpha) * (grad * grad)
        if group["centered"]:
            grad_avg = state["grad_avg"]
            grad_avg = state["grad_avg"] = grad_avg + (1.0 - alpha) * (grad - grad_avg)  # PyTorch's lerp
            denom = xp.sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            denom = xp.sqrt(square_avg) + group["eps"]
        if nonzero(momentum):
            buf = state["momentum_buffer"] = momentum * state["momentum_buffer"] + grad / denom
            return param - group["lr"] * buf
        return param - group["lr"] * (grad / denom)
