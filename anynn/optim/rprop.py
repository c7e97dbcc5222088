"""Rprop (resilient backpropagation), following PyTorch's update exactly."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend.arrays import device_of as device

from ..backend import Backend
from ..backend.typing import Array, Namespace
from .optimizer import Optimizer
from .torch_options import implementation_options


class Rprop(Optimizer):
    """Per-weight step sizes adapted from the sign of the gradient only (Riedmiller & Braun, 1993).

    Where ``g * g_prev > 0`` the step size grows by ``etas[1]``, where ``< 0`` it shrinks by
    ``etas[0]`` (and that gradient counts as 0: no move, and no sign to compare next time), else it
    stays; step sizes start at ``lr`` and are clipped to ``step_sizes = (min, max)``.
    ``p -= sign(g) * step_size``. ``maximize`` (ascend) is applied to ``g`` by the base.
    """

    checked_options = ("lr", "etas")

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, etas: tuple[float, float] = (0.5, 1.2),
                 step_sizes: tuple[float, float] = (1e-6, 50), *, capturable: bool = False,
                 foreach: bool | None = None, maximize: bool = False, differentiable: bool = False) -> None:
        options = implementation_options("Rprop", foreach=foreach, capturable=capturable,
                                         differentiable=differentiable)
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes), maximize=maximize,
                                      **options))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        etaminus, etaplus = group["etas"]
        step_size_min, step_size_max = group["step_sizes"]
        xp = backend.xp
        if not state:
            state["step"] = 0
            state["prev"] = xp.zeros_like(param)
            state["step_size"] = xp.full_like(param, group["lr"])
        state["step"] += 1
        sign = _sign(xp, grad * state["prev"])
        where = device(param)
        factor = xp.where(sign > 0, xp.asarray(etaplus, dtype=param.dtype, device=where),
                          xp.where(sign < 0, xp.asarray(etaminus, dtype=param.dtype, device=where),
                                   xp.ones_like(param)))
        step_size = state["step_size"] = xp.clip(state["step_size"] * factor, step_size_min, step_size_max)
        grad = xp.where(sign < 0, xp.zeros_like(grad), grad)
        state["prev"] = grad
        return param - _sign(xp, grad) * step_size


def _sign(xp: Namespace, a: Array) -> Array:
    """PyTorch's sign, 0 at NaN (the array libraries keep NaN): a NaN gradient leaves its step size and its
    parameter entry as they were, as in PyTorch's Rprop."""
    return xp.where(xp.isnan(a), xp.zeros_like(a), xp.sign(a))
