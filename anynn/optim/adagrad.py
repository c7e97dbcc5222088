"""Adagrad, following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.typing import Array
from .optimizer import LR_IN_FLOAT32, Optimizer
from .scalars import is_number, like, round_float32
from .torch_options import implementation_options


class Adagrad(Optimizer):
    """Per-coordinate learning rates from the sum of all past squared gradients.

    Per step ``t``: ``s = s + g^2`` (``s`` starts at ``initial_accumulator_value``),
    ``p -= lr / (1 + (t - 1) lr_decay) * g / (sqrt(s) + eps)``. ``g`` comes from the base, with
    ``weight_decay`` (``+ wd * p``) and ``maximize`` (ascend) applied.
    """

    checked_options = ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0, weight_decay: float = 0,
                 initial_accumulator_value: float = 0, eps: float = 1e-10, foreach: bool | None = None, *,
                 maximize: bool = False, differentiable: bool = False, fused: bool | None = None) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value, eps=eps,
                                      maximize=maximize,
                                      **implementation_options("Adagrad", foreach=foreach, fused=fused,
                                                               differentiable=differentiable,
                                                               names=("foreach", "differentiable", "fused"))))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        xp = backend.xp
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(param, float(group["initial_accumulator_value"]))
        step = state["step"] = state["step"] + 1
        total = state["sum"] = state["sum"] + grad * grad
        clr = group["lr"] / (1.0 + (step - 1) * group["lr_decay"])
        if group.get(LR_IN_FLOAT32) and is_number(clr):  # PyTorch's lr / (1 + (step - 1) * lr_decay) in float32
            clr = round_float32(group["lr"] / round_float32(1.0 + (step - 1) * group["lr_decay"]))
        return param - like(clr, param) * (grad / (xp.sqrt(total) + group["eps"]))
