"""NAdam (Adam with Nesterov momentum and a momentum schedule), following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.portable.optim import adam_moments
from ..backend.typing import Array
from .optimizer import LR_IN_FLOAT32, Optimizer
from .scalars import is_number, like, round_float32, round_state_scalar
from .torch_options import implementation_options


class NAdam(Optimizer):
    """Adam with Nesterov momentum (Dozat, 2016) and PyTorch's momentum warm-up schedule.

    Per step ``t``: ``mu_t = b1 (1 - 0.5 * 0.96^(t * momentum_decay))``, ``P_t = prod(mu_1..mu_t)``,
    ``m = m + (1 - b1)(g - m)``, ``v = b2 v + (1 - b2) g^2``, ``d = sqrt(v / (1 - b2^t)) + eps`` and
    ``p -= lr (1 - mu_t) / (1 - P_t) * g / d + lr mu_{t+1} / (1 - P_t mu_{t+1}) * m / d``.
    Weight decay and ``maximize`` are the base's: ``weight_decay`` adds ``wd * p`` to the gradient,
    or with ``decoupled_weight_decay`` multiplies the weights by ``1 - lr * wd`` first (NAdamW).
    """

    checked_options = ("lr", "eps", "betas", "weight_decay", "momentum_decay")

    def __init__(self, params: Iterable[Any], lr: float = 2e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach: bool | None = None, maximize: bool = False,
                 capturable: bool = False, differentiable: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      momentum_decay=momentum_decay, decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize,
                                      **implementation_options("NAdam", foreach=foreach, capturable=capturable,
                                                               differentiable=differentiable)))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        xp = backend.xp
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        step = state["step"] = state["step"] + 1
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((step + 1) * group["momentum_decay"]))
        # PyTorch keeps mu_product in a 0-d Tensor of its scalar dtype (float32 by default; mu, a Python number, is
        # rounded to it before the product): round the same way
        mu_product = state["mu_product"] = round_state_scalar(state["mu_product"] * round_state_scalar(mu))
        m, v = state["exp_avg"], state["exp_avg_sq"] = adam_moments(xp, grad, state["exp_avg"], state["exp_avg_sq"],
                                                                    beta1, beta2, inplace=False)
        denom = xp.sqrt(v / like(1.0 - beta2**step, v)) + group["eps"]
        grad_coef = lr * (1.0 - mu) / (1.0 - mu_product)
        avg_coef = lr * mu_next / (1.0 - mu_product * mu_next)
        if group.get(LR_IN_FLOAT32) and is_number(grad_coef):  # PyTorch's coefficients: 0-d float32 Tensors
            f32 = round_float32
            grad_coef = f32(f32(lr * f32(1.0 - mu)) / f32(1.0 - mu_product))
            avg_coef = f32(f32(lr * f32(mu_next)) / f32(1.0 - mu_product * mu_next))
        return param - like(grad_coef, param) * (grad / denom) - like(avg_coef, param) * (m / denom)
