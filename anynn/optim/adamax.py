"""Adamax (Adam with the infinity norm), following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.portable.optim import first_moment
from ..backend.typing import Array
from .optimizer import LR_IN_FLOAT32, Optimizer
from .scalars import is_number, like, round_float32
from .state import new_state
from .torch_options import implementation_options


class Adamax(Optimizer):
    """Adam's first moment over an exponentially weighted infinity norm of the gradients.

    Per step ``t``: ``m = m + (1 - b1)(g - m)``, ``u = max(b2 u, |g| + eps)``,
    ``p -= lr / (1 - b1^t) * m / u``. ``g`` comes from the base, with ``weight_decay``
    (``+ wd * p``) and ``maximize`` (ascend) applied.
    """

    checked_options = ("lr", "eps", "betas", "weight_decay")

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, capturable: bool = False) -> None:
        options = implementation_options("Adamax", foreach=foreach, capturable=capturable,
                                         differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      maximize=maximize, **options))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        beta1, beta2 = group["betas"]
        xp = backend.xp
        if not state:
            new_state(state, xp, param, "exp_avg", "exp_inf")
        step = state["step"] = state["step"] + 1
        m = state["exp_avg"] = first_moment(xp, state["exp_avg"], grad, beta1)
        u = state["exp_inf"] = xp.maximum(beta2 * state["exp_inf"], xp.abs(grad) + group["eps"])
        clr = group["lr"] / (1.0 - beta1**step)
        if group.get(LR_IN_FLOAT32) and is_number(clr):  # PyTorch's lr / bias_correction in float32
            clr = round_float32(group["lr"] / round_float32(1.0 - beta1**step))
        return param - like(clr, param) * (m / u)
