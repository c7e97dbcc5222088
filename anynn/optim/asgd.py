"""ASGD (averaged stochastic gradient descent), following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.typing import Array
from .optimizer import LR_IN_FLOAT32, Optimizer
from .scalars import is_number, like, maximum, round_float32, round_state_scalar
from .torch_options import implementation_options


class ASGD(Optimizer):
    """SGD with a decaying step and a running average ``ax`` of the iterates (Polyak & Juditsky, 1992).

    Per step ``t``: ``p = p (1 - lambd eta) - eta g``; ``ax += mu (p - ax)`` (``ax = p`` while
    ``mu == 1``); then ``eta = lr / (1 + lambd lr t)^alpha`` and ``mu = 1 / max(1, t - t0)``.
    ``ax`` (the averaged parameters) is in ``state[...]["ax"]``. ``g`` comes from the base, with
    ``weight_decay`` (``+ wd * p``) and ``maximize`` (ascend) applied.
    """

    checked_options = ("lr", "weight_decay")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0, foreach: bool | None = None, maximize: bool = False,
                 differentiable: bool = False, capturable: bool = False) -> None:
        options = implementation_options("ASGD", foreach=foreach, capturable=capturable,
                                         differentiable=differentiable)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                                      maximize=maximize, **options))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        lr, lambd = group["lr"], group["lambd"]
        xp = backend.xp
        if not state:
            state["step"] = 0
            state["eta"] = round_state_scalar(lr)
            state["mu"] = 1.0
            state["ax"] = xp.zeros_like(param)
        step = state["step"] = state["step"] + 1
        eta = like(state["eta"], param)
        param = param * (1 - lambd * eta)
        param = param - eta * grad
        mu = state["mu"]
        if not is_number(mu):  # a compiled step: both branches as arrays (mu is a 0-d array)
            state["ax"] = xp.where(mu != 1, state["ax"] + (param - state["ax"]) * like(mu, param), param)
        elif mu != 1:
            state["ax"] = state["ax"] + (param - state["ax"]) * mu
        else:
            state["ax"] = xp.asarray(param, copy=True)
        # PyTorch keeps eta and mu in 0-d Tensors of its scalar dtype (float32 by default): round the same way
        state["eta"] = _next_eta(lr, lambd, step, group["alpha"], bool(group.get(LR_IN_FLOAT32)))
        state["mu"] = round_state_scalar(1 / maximum(step - group["t0"], 1))
        return param


def _next_eta(lr: Any, lambd: float, step: int, alpha: float, lr_in_float32: bool) -> Any:
    """The next step size ``lr / (1 + lambd lr t)^alpha``, rounded as PyTorch keeps it (`round_state_scalar`). With
    a float32 Tensor ``lr`` PyTorch computes it in 0-d float32 Tensors, so each operation rounds to float32 (1.6e-9
    apart in 5 float64 steps when rounded once at the end)."""
    if not lr_in_float32 or not is_number(lr):
        return round_state_scalar(lr / ((1 + lambd * lr * step) ** alpha))
    f32 = round_float32
    base = f32(1 + f32(f32(f32(lambd) * lr) * f32(step)))
    return f32(lr / f32(base ** f32(alpha)))
