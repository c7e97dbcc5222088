"""Adam and AdamW (with the AMSGrad option), following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..autograd.primitive import is_writeable
from ..backend import Backend, op
from ..backend.portable.optim import adam_apply, adam_moments
from ..backend.typing import Array
from .optimizer import LR_IN_FLOAT32, Optimizer
from .scalars import is_number, like, round_float32, sqrt
from .state import new_state
from .torch_options import implementation_options
from .validation import check_tensor_options


class Adam(Optimizer):
    """Adaptive moments.

    Per step ``t``: ``m = m + (1-b1)(g - m)``, ``v = b2 v + (1-b2) g^2``,
    ``p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps)`` (``v`` replaced by its running maximum
    with ``amsgrad``). Weight decay and ``maximize`` are the base's: ``weight_decay`` adds ``wd * p``
    to the gradient (L2); with ``decoupled_weight_decay`` (always on in `AdamW`) the weights are
    decayed directly instead.
    """

    checked_options = ("lr", "eps", "betas", "weight_decay")

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0, amsgrad: bool = False, *, foreach: bool | None = None,
                 maximize: bool = False, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None, decoupled_weight_decay: bool = False) -> None:
        options = implementation_options(type(self).__name__, foreach=foreach, fused=fused, capturable=capturable,
                                         differentiable=differentiable,
                                         names=("foreach", "capturable", "differentiable", "fused"))
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                                      amsgrad=amsgrad, maximize=maximize,
                                      decoupled_weight_decay=decoupled_weight_decay, **options))
        check_tensor_options(type(self).__name__, lr, tuple(betas), foreach, capturable)

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        lr, (beta1, beta2), eps = group["lr"], group["betas"], group["eps"]
        xp = backend.xp
        inplace = is_writeable(param)
        if not state:
            new_state(state, xp, param, "exp_avg", "exp_avg_sq")
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(param)
        step = state["step"] = state["step"] + 1
        step_size = lr / (1.0 - beta1**step)
        if group.get(LR_IN_FLOAT32) and is_number(step_size):  # PyTorch's lr / bias_correction1 in float32
            step_size = round_float32(lr / round_float32(1.0 - beta1**step))
        correction2 = sqrt(1.0 - beta2**step)  # an array in a compiled step (array step counter)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        eager = is_number(step_size)
        if not eager:  # a compiled step: 0-d arrays, cast so they cannot promote a float32 update
            step_size, correction2 = like(step_size, param), like(correction2, param)
        if inplace and eager and not group["amsgrad"]:
            op(backend, "adam_step")(param, grad, m, v, beta1, beta2, step_size, correction2, eps)
            return param
        m, v = state["exp_avg"], state["exp_avg_sq"] = adam_moments(xp, grad, m, v, beta1, beta2, inplace)
        if group["amsgrad"]:
            v = state["max_exp_avg_sq"] = xp.maximum(state["max_exp_avg_sq"], v)
        return adam_apply(xp, param, m, v, step_size, correction2, eps, inplace)


class AdamW(Adam):
    """Adam with decoupled weight decay: ``p *= 1 - lr * weight_decay`` before the Adam step."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *, maximize: bool = False,
                 foreach: bool | None = None, capturable: bool = False, differentiable: bool = False,
                 fused: bool | None = None) -> None:
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay, amsgrad=amsgrad,
                         maximize=maximize, foreach=foreach, capturable=capturable, differentiable=differentiable,
                         fused=fused, decoupled_weight_decay=True)
