"""Lion (EvoLved Sign Momentum, Chen et al. 2023): the update is the sign of an interpolated momentum."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.typing import Array
from .optimizer import Optimizer


class Lion(Optimizer):
    """Sign-momentum optimizer from "Symbolic Discovery of Optimization Algorithms" (Chen et al., 2023).

    Per step: ``c = b1 m + (1 - b1) g``, ``p = p (1 - lr wd) - lr sign(c)``, ``m = b2 m + (1 - b2) g``.
    Weight decay is decoupled (as in AdamW). Every coordinate moves by exactly ``lr`` (or 0), so Lion
    usually wants a learning rate 3-10x smaller than AdamW's and a weight decay 3-10x larger.
    PyTorch has no Lion; this follows the paper's Algorithm 2. ``maximize`` ascends instead.
    """

    checked_options = ("lr", "betas", "weight_decay")
    decoupled_weight_decay = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-4, betas: tuple[float, float] = (0.9, 0.99),
                 weight_decay: float = 0.0, maximize: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=tuple(betas), weight_decay=weight_decay, maximize=maximize))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        lr, (beta1, beta2) = group["lr"], group["betas"]
        xp = backend.xp
        if not state:
            state["exp_avg"] = xp.zeros_like(param)
        m = state["exp_avg"]
        direction = xp.sign(beta1 * m + (1.0 - beta1) * grad)
        state["exp_avg"] = beta2 * m + (1.0 - beta2) * grad
        return param - lr * direction
