"""Muon (momentum orthogonalized by Newton-Schulz), following PyTorch's ``torch.optim.Muon``."""

from __future__ import annotations

import math
from typing import Any, Iterable

from ..backend import Backend, op
from ..backend.arrays import device_of
from ..backend.portable.optim import lerp
from ..backend.typing import Array, Namespace
from .optimizer import LR_IN_FLOAT32, Optimizer
from .scalars import like, round_float32
from .validation import check_own_rules

NEWTON_SCHULZ_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # PyTorch's (and Keller Jordan's) quintic
ADJUSTMENTS = (None, "original", "match_rms_adamw")


class Muon(Optimizer):
    """Momentum whose update is orthogonalized: for the hidden layers' 2-D weight matrices.

    Per step, for a weight ``p`` (R, C) with gradient ``g``: ``B = lerp(B, g, 1 - momentum)``; the direction
    ``U = lerp(g, B, momentum)`` with ``nesterov``, else ``B``; ``O = NS(U)``, ``ns_steps`` Newton-Schulz iterations
    towards the orthogonal factor of ``U`` (in bfloat16, as PyTorch: see `newton_schulz`); ``p *= 1 - lr
    weight_decay``; ``p -= lr' O``, where ``lr' = lr sqrt(max(1, R / C))`` (``adjust_lr_fn=None`` or ``"original"``)
    or ``0.2 lr sqrt(max(R, C))`` (``"match_rms_adamw"``). Biases, embeddings and other parameters that are not
    matrices belong to another optimizer (AdamW): Muon refuses them when made.
    """

    decoupled_weight_decay = True
    supports_complex = False

    def __init__(self, params: Iterable[Any], lr: Any = 1e-3, weight_decay: float = 0.1, momentum: float = 0.95,
                 nesterov: bool = True, ns_coefficients: tuple[float, float, float] = NEWTON_SCHULZ_COEFFICIENTS,
                 eps: float = 1e-7, ns_steps: int = 5, adjust_lr_fn: str | None = None) -> None:
        check_own_rules("Muon", lr, [
            (0.0 <= lr, f"Learning rate should be >= 0 but is: {lr}"),
            (0.0 <= momentum, f"momentum should be >= 0 but is: {momentum}"),
            (0.0 <= weight_decay, f"weight decay should be >= 0 but is: {weight_decay}"),
            (adjust_lr_fn in ADJUSTMENTS, f"Adjust learning rate function {adjust_lr_fn} is not supported")])
        super().__init__(params, dict(lr=lr, weight_decay=weight_decay, momentum=momentum, nesterov=nesterov,
                                      ns_coefficients=ns_coefficients, eps=eps, ns_steps=ns_steps,
                                      adjust_lr_fn=adjust_lr_fn))
        for group in self.param_groups:
            for p in group["params"]:
                if p.ndim != 2:
                    raise ValueError(f"Muon only supports 2D parameters whereas we found a parameter with size: "
                                     f"{tuple(p.shape)} (give biases, embeddings and other parameters to AdamW)")

    def update(self, param: Array, grad: Array, state: dict[str, Any], group: dict[str, Any],
               backend: Backend) -> Array:
        xp = backend.xp
        if grad.ndim != 2:
            raise ValueError(f"Muon: param gradient must be a 2D matrix, got shape {tuple(grad.shape)}")
        momentum = group["momentum"]
        if not state:
            state["momentum_buffer"] = xp.zeros_like(grad)
        buffer = state["momentum_buffer"] = lerp(xp, state["momentum_buffer"], grad, 1.0 - momentum)
        direction = lerp(xp, grad, buffer, momentum) if group["nesterov"] else buffer
        rounded = op(backend, "bfloat16_rounded")
        orthogonal = newton_schulz(xp, direction, group["ns_coefficients"], group["ns_steps"], group["eps"], rounded)
        step_size = _adjusted_lr(group, tuple(param.shape))
        return param - like(step_size, param) * xp.astype(orthogonal, param.dtype)


def newton_schulz(xp: Namespace, matrix: Array, coefficients: tuple[float, float, float], steps: int, eps: float,
                  rounded: Any) -> Array:
    """``steps`` quintic Newton-Schulz iterations from ``matrix`` (R, C) / its norm towards its orthogonal factor
    ``U V^T`` (of ``matrix = U S V^T``); returns float32 (R, C) holding bfloat16 values.

    Each iteration ``X = a X + (b A + c A A) X`` with ``A = X X^T``, on the wide orientation (R <= C) of the
    matrix. As PyTorch's, the iteration runs in bfloat16: every product, sum and quotient rounded to it
    (``rounded``: float32 to bfloat16's precision, kept in float32) and products accumulated in float32.
    """
    if steps >= 100:
        raise ValueError("Muon: Number of steps must be less than 100 for computational efficiency")
    if len(coefficients) != 3:
        raise ValueError(f"Muon: ns_coefficients must be a tuple of exactly 3 values, got {coefficients!r}")
    a, b, c = coefficients
    x = rounded(xp.astype(matrix, xp.float32))
    tall = matrix.shape[0] > matrix.shape[1]
    if tall:
        x = xp.matrix_transpose(x)
    norm = rounded(xp.sqrt(xp.sum(x * x)))
    x = rounded(x / rounded(xp.maximum(norm, xp.asarray(eps, dtype=xp.float32, device=device_of(x)))))
    for _ in range(steps):
        gram = rounded(x @ xp.matrix_transpose(x))
        polynomial = rounded(b * gram + c * (gram @ gram))
        x = rounded(a * x + polynomial @ x)
    return xp.matrix_transpose(x) if tall else x


def _adjusted_lr(group: dict[str, Any], shape: tuple[int, ...]) -> Any:
    """The learning rate scaled for a (rows, cols) matrix so orthogonalized updates of any shape move alike (a
    float32 lr Tensor scaled as PyTorch's Tensor arithmetic does: in float32)."""
    rows, cols = shape[:2]
    if group["adjust_lr_fn"] in (None, "original"):
        ratio = math.sqrt(max(1, rows / cols))
    else:
        ratio = 0.2 * math.sqrt(max(rows, cols))
    if group.get(LR_IN_FLOAT32):
        return round_float32(group["lr"] * round_float32(ratio))
    return group["lr"] * ratio
