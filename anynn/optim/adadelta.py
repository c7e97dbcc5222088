"""Adadelta, following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.typing import Array
from .optimizer import Optimizer
from .state import new_state
from .torch_options import implementation_options


class Adadelta(Optimizer):
    """Step sizes from the ratio of running RMS of past updates to running RMS of gradients.

    Per step: ``v = rho v + (1 - rho) g^2``, ``d = sqrt(u + eps) / sqrt(v + eps) * g``,
    ``u = rho u + (1 - rho) d^2``, ``p -= lr d``. ``g`` comes from the base, with ``weight_decay``
    (``+ wd * p``) and ``maximize`` (ascend) applied.
    """

    checked_options = ("lr", "rho", "eps", "weight_decay")

    def __init__(self, params: Iterable[Any], lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0, foreach: bool | None = None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        options = implementation_options("Adadelta", foreach=foreach, capturable=capturable,
                                         differentiable=differentiable)
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize,
                                      **options))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        rho, eps = group["rho"], group["eps"]
        xp = backend.xp
        if not state:
            new_state(state, xp, param, "square_avg", "acc_delta")
        state["step"] += 1
        square_avg = state["square_avg"] = rho * state["square_avg"] + (1.0 - rho) * (grad * grad)
        delta = xp.sqrt(state["acc_delta"] + eps) / xp.sqrt(square_avg + eps) * grad
        state["acc_delta"] = rho * state["acc_delta"] + (1.0 - rho) * (delta * delta)
        return param - group["lr"] * delta
