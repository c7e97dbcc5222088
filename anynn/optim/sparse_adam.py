"""SparseAdam (lazy Adam): Adam on the rows a gradient holds, following PyTorch's ``torch.optim.SparseAdam``."""

from __future__ import annotations

from typing import Any, Iterable

from ..backend import Backend
from ..backend.portable.optim import first_moment
from ..backend.typing import Array
from .optimizer import Optimizer
from .scalars import is_number, like, sqrt
from .validation import check_lr_elements


class SparseAdam(Optimizer):
    """Adam for embedding tables trained with ``sparse=True``: only the rows a step's gradient holds move, and
    only their moments decay (a row not looked up keeps its moments, where Adam would shrink them every step).

    anynn keeps gradients dense (`nn.Embedding` with ``sparse=True`` gives a dense gradient): the rows a step
    holds are those whose gradient is not all zero, PyTorch's sparse gradient's rows except one that was looked
    up and got an exact zero gradient. Per step ``t``, for those rows (``g``: the gradient, ``-g`` with
    ``maximize``): ``m += (1 - b1)(g - m)``, ``v += (1 - b2)(g^2 - v)``, ``p -= lr sqrt(1 - b2^t) / (1 - b1^t) m /
    (sqrt(v) + eps)``; ``t`` counts every step the parameter had a gradient, as PyTorch's.
    """

    checked_options = ("betas",)
    supports_complex = False

    def __init__(self, params: Iterable[Any], lr: Any = 1e-3, betas: tuple[float, float] = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        check_lr_elements("SparseAdam", lr)
        if not 0.0 < lr:
            raise ValueError(f"SparseAdam: Invalid learning rate: {lr} (expected lr > 0)")
        if not 0.0 < eps:
            raise ValueError(f"SparseAdam: Invalid epsilon value: {eps} (expected eps > 0)")
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize))
        complex_params = [[i, j] for i, group in enumerate(self.param_groups)
                          for j, p in enumerate(group["params"]) if p.is_complex()]
        if complex_params:
            raise ValueError(f"Complex params at indices {complex_params}: SparseAdam does not support complex "
                             f"parameters")

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        xp = backend.xp
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(param)
            state["exp_avg_sq"] = xp.zeros_like(param)
        step = state["step"] = state["step"] + 1
        rows = _held_rows(xp, grad)
        beta1, beta2 = group["betas"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        numer = first_moment(xp, m, grad, beta1)
        v_new = v + (grad * grad - v) * (1.0 - beta2)  # (PyTorch's sparse form: not `second_moment`'s b2 v + ...)
        state["exp_avg"] = xp.where(rows, numer, m)
        state["exp_avg_sq"] = xp.where(rows, v_new, v)
        step_size = group["lr"] * sqrt(1.0 - beta2 ** step) / (1.0 - beta1 ** step)  # (arrays in a compiled step)
        if not is_number(step_size):
            step_size = like(step_size, param)
        change = -step_size * (numer / (xp.sqrt(v_new) + group["eps"]))
        return xp.where(rows, param + change, param)


def _held_rows(xp: Any, grad: Array) -> Array:
    """Which entries the gradient holds, as a mask that broadcasts against it: the rows (first axis) whose gradient
    is not all zero (an embedding table's looked-up rows); every nonzero entry of a vector."""
    nonzero = grad != 0
    if grad.ndim < 2:
        return nonzero
    return xp.any(nonzero, axis=tuple(range(1, grad.ndim)), keepdims=True)
