"""Adafactor (Shazeer and Stern, 2018), following PyTorch's ``torch.optim.Adafactor`` exactly."""

from __future__ import annotations

import math
from typing import Any, Iterable

from ..backend import Backend
from ..backend.portable.optim import lerp
from ..backend.typing import Array
from .optimizer import LR_IN_FLOAT32, Optimizer, _shrink
from .scalars import is_number, like, maximum, nonzero, round_float32
from .torch_options import implementation_options
from .validation import check_own_rules


class Adafactor(Optimizer):
    """Adam's second moment kept factored: a matrix's mean squares by row and by column, not per entry.

    Per step ``t`` of a parameter ``p`` with gradient ``g`` (``-g`` with ``maximize``), ``w = t^beta2_decay``:

    - ``rho = min(lr, 1 / sqrt(t))``, ``alpha = max(eps2, rms(p)) rho`` (``rms``: root mean square of all entries);
    - ``p *= 1 - lr weight_decay``;
    - a matrix (or a stack of them, ``g`` of shape (..., R, C)): ``r = lerp(r, mean(g^2, -1), w)`` (..., R, 1),
      ``c = lerp(c, mean(g^2, -2), w)`` (..., 1, C), ``v = r c / max(mean(r), eps1)``; a vector or scalar:
      ``v = lerp(v, g^2, w)``;
    - ``u = g / sqrt(max(v, eps1^2))``, ``p -= alpha / max(1, rms(u) / d) u``.

    ``eps = (eps1, eps2)``; ``eps1=None`` is the machine epsilon of the parameter's dtype. The state holds
    ``step``, ``row_var`` and ``col_var`` (matrices) or ``variance`` (vectors), as PyTorch's.
    """

    weight_decay_in_update = True  # alpha reads the weights before they shrink
    supports_complex = False
    state_shaped_like_params = False  # row_var (..., R, 1) and col_var (..., 1, C)

    def __init__(self, params: Iterable[Any], lr: Any = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple[float | None, float] = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach: bool | None = None, maximize: bool = False) -> None:
        _check_options(lr, beta2_decay, eps, d, weight_decay)
        super().__init__(params, dict(lr=lr, beta2_decay=beta2_decay, eps=eps, d=d, weight_decay=weight_decay,
                                      maximize=maximize, **implementation_options("Adafactor", foreach=foreach,
                                                                                  names=("foreach",))))

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        xp = backend.xp
        factored = grad.ndim > 1
        if not state:
            state["step"] = 0
            if factored:
                state["row_var"] = xp.zeros_like(grad[..., :1])
                state["col_var"] = xp.zeros_like(grad[..., :1, :])
            else:
                state["variance"] = xp.zeros_like(grad)
        step = state["step"] = state["step"] + 1
        lr, (eps1, eps2), d = group["lr"], group["eps"], group["d"]
        if eps1 is None:
            eps1 = float(xp.finfo(param.dtype).eps)
        weight = step ** group["beta2_decay"]  # 1 - beta2 at step t
        rho = 1.0 / step ** 0.5
        # a float32 lr Tensor that min() picks keeps PyTorch's step size a float32 Tensor: each operation rounded
        lr32 = bool(group.get(LR_IN_FLOAT32)) and is_number(rho) and lr <= rho
        if not is_number(rho):  # (a compiled step's step count)
            rho = xp.minimum(rho, lr)
        elif not is_number(lr) and backend.is_traced(lr):  # (its first call: a traced lr, a number of steps)
            rho = xp.minimum(like(rho, lr), lr)
        else:
            rho = min(lr, rho)
        peak = maximum(_norm_of_all(xp, param) / _size(param) ** 0.5, eps2)
        alpha = round_float32(round_float32(peak) * lr) if lr32 else peak * rho
        if nonzero(group["weight_decay"]):
            param = param * _shrink(group, group["weight_decay"])
        if factored:
            # PyTorch squares the norms of the rows and columns (the same sums of squares, rounded once more)
            row_mean = _norm(xp, grad, -1) ** 2 / grad.shape[-1]
            col_mean = _norm(xp, grad, -2) ** 2 / grad.shape[-2]
            row_var = state["row_var"] = lerp(xp, state["row_var"], row_mean, weight)
            col_var = state["col_var"] = lerp(xp, state["col_var"], col_mean, weight)
            estimate = (row_var @ col_var) / xp.clip(xp.mean(row_var, axis=-2, keepdims=True), min=eps1)
        else:
            estimate = state["variance"] = lerp(xp, state["variance"], grad * grad, weight)
        direction = (1.0 / xp.sqrt(xp.clip(estimate, min=eps1 * eps1))) * grad  # (PyTorch's rsqrt, then the product)
        denom = maximum(_norm_of_all(xp, direction) / (_size(direction) ** 0.5 * d), 1.0)
        step_size = round_float32(alpha / round_float32(denom)) if lr32 else alpha / denom
        return param - like(step_size, param) * direction


def _check_options(lr: Any, beta2_decay: float, eps: tuple[float | None, float], d: float,
                   weight_decay: float) -> None:
    """PyTorch's Adafactor checks and messages (ValueError)."""
    check_own_rules("Adafactor", lr, [
        (0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}"),
        (0.0 >= beta2_decay, f"beta2_decay should be <= 0 but is: {beta2_decay}"),
        (eps[0] is None or 0.0 <= eps[0], f"epsilon1 should be >= 0 but is: {eps[0]}"),
        (0.0 <= eps[1], f"epsilon2 should be >= 0 but is: {eps[1]}"),
        (1.0 <= d, f"Clipping threshold d should be >= 1 but is: {d}"),
        (0.0 <= weight_decay, f"weight_decay should be >= 0 but is: {weight_decay}")])


def _norm(xp: Any, x: Array, axis: int) -> Array:
    """The 2-norm of ``x`` along ``axis``, kept as an axis of size 1."""
    return xp.sqrt(xp.sum(x * x, axis=axis, keepdims=True))


def _norm_of_all(xp: Any, x: Array) -> Array:
    """The 2-norm of every entry of ``x`` as a 0-d float64 array: PyTorch reads it as a Python float (``.item()``)
    and computes the step size from it in double precision; an array keeps a compiled step free of host reads."""
    return xp.astype(xp.sqrt(xp.sum(x * x)), xp.float64)


def _size(x: Array) -> int:
    return math.prod(x.shape)
