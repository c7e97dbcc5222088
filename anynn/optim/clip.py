"""Gradient clipping by global norm and by value (PyTorch's ``clip_grad_norm_`` / ``clip_grad_value_``)."""

from __future__ import annotations

import math
from typing import Iterable

from ..autograd.tensor import Tensor, tensor
from ..backend import dtype_name
from ..backend.arrays import check
from ..backend.typing import Array, Namespace


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _vector_norm(xp: Namespace, x: Array, norm_type: float) -> Array:
    """The ``norm_type``-norm of all elements of ``x`` as a 0-d array (as ``torch.linalg.vector_norm``)."""
    if norm_type == math.inf:
        return xp.max(xp.abs(x))
    if norm_type == -math.inf:
        return xp.min(xp.abs(x))
    if norm_type == 0:
        return xp.sum(xp.astype(x != 0, x.dtype))
    if norm_type == 1:
        return xp.sum(xp.abs(x))
    if norm_type == 2:
        return xp.sqrt(xp.sum(x * x))
    return xp.sum(xp.abs(x) ** norm_type) ** (1.0 / norm_type)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False) -> Tensor:
    """Scale all gradients together so that their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type``-norm of the per-parameter norms (``inf``: the largest absolute
    entry), as if all gradients were one vector. Every gradient is multiplied by
    ``min(1, max_norm / (total + 1e-6))``, in the gradients' own namespace, without a host round trip.

    Parameters
    ----------
    parameters : a Tensor or an iterable of Tensors; those without ``.grad`` are skipped.
    max_norm : the largest allowed total norm.
    norm_type : the p of the p-norm; ``float("inf")`` or ``"inf"`` for the max-norm.
    error_if_nonfinite : raise ``RuntimeError`` when the total norm is nan or inf (else the gradients
        become nan, as in PyTorch).

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping, a 0-d Tensor on their backend.
    """
    grads = _grads(parameters)
    norm_type = float(norm_type)
    if not grads:
        return tensor(0.0)
    backend = grads[0].backend
    xp = backend.xp
    if any(g.backend != backend for g in grads):
        raise ValueError("clip_grad_norm_: the gradients live on different backends: "
                         f"{sorted({str(g.backend) for g in grads})}")
    norms = [_vector_norm(xp, g.array, norm_type) for g in grads]
    dtype = xp.result_type(*norms) if len(norms) > 1 else norms[0].dtype
    total = _vector_norm(xp, xp.stack([xp.astype(n, dtype) for n in norms]), norm_type)
    if error_if_nonfinite:
        check(backend, ~xp.isfinite(total), f"clip_grad_norm_: the total norm of order {norm_type} of the gradients "
              "is non-finite, so it cannot be clipped. To disable this error and scale the gradients by the "
              "non-finite norm anyway, set error_if_nonfinite=False", error=RuntimeError)
    coef = max_norm / (total + 1e-6)
    coef = xp.minimum(coef, xp.ones_like(coef))  # minimum, not where: a nan norm must propagate
    for g in grads:
        g.array = g.array * xp.astype(coef, g.array.dtype)
    return tensor(total, backend=backend, dtype=dtype_name(total.dtype))


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``.

    Parameters
    ----------
    parameters : a Tensor or an iterable of Tensors; those without ``.grad`` are skipped.
    clip_value : the largest allowed absolute value of a gradient entry.
    """
    clip_value = float(clip_value)
    for g in _grads(parameters):
        g.array = g.backend.xp.clip(g.array, -clip_value, clip_value)
