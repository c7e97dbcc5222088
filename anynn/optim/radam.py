"""RAdam (rectified Adam), following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.portable.optim import adam_moments
from ..backend.typing import Array
from .optimizer import Optimizer
from .scalars import is_number, like
from .state import new_state
from .torch_options import implementation_options


class RAdam(Optimizer):
    """Adam whose adaptive step is switched on only once the variance of its rate is tractable
    (Liu et al., 2019).

    Per step ``t``: ``m = m + (1-b1)(g - m)``, ``v = b2 v + (1-b2) g^2``,
    ``rho_inf = 2/(1-b2) - 1``, ``rho_t = rho_inf - 2 t b2^t / (1-b2^t)``. With ``rho_t > 5``
    ``p -= lr m/(1-b1^t) * sqrt(1-b2^t)/(sqrt(v) + eps) * r_t`` where
    ``r_t = sqrt((rho_t-4)(rho_t-2) rho_inf / ((rho_inf-4)(rho_inf-2) rho_t))``; otherwise
    ``p -= lr m/(1-b1^t)`` (SGD with momentum). Weight decay and ``maximize`` are the base's:
    ``weight_decay`` adds ``wd * p`` to the gradient, or with ``decoupled_weight_decay`` multiplies
    the weights by ``1 - lr * wd`` first (as AdamW).
    """

    checked_options = ("lr", "eps", "betas", "weight_decay")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, decoupled_weight_decay: bool = False, *,
                 foreach: bool | None = None, maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        options = implementation_options("RAdam", foreach=foreach, capturable=capturable,
                                         differentiable=differentiable)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay, maximize=maximize, **options))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        xp = backend.xp
        if not state:
            new_state(state, xp, param, "exp_avg", "exp_avg_sq")
        step = state["step"] = state["step"] + 1
        m, v = state["exp_avg"], state["exp_avg_sq"] = adam_moments(xp, grad, state["exp_avg"], state["exp_avg_sq"],
                                                                    beta1, beta2, inplace=False)
        bias_correction1 = 1 - beta1**step
        bias_correction2 = 1 - beta2**step
        corrected = m / like(bias_correction1, m)
        rho_inf = 2 / (1 - beta2) - 1
        rho_t = rho_inf - 2 * step * (beta2**step) / bias_correction2
        if is_number(rho_t) and rho_t <= 5.0:
            return param - corrected * lr
        rect = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
        adaptive = like(bias_correction2**0.5, v) / (xp.sqrt(v) + eps)
        rectified = param - corrected * lr * adaptive * like(rect, v)
        if is_number(rho_t):
            return rectified
        return xp.where(rho_t > 5.0, rectified, param - corrected * lr)  # a compiled step: rho_t is an array
