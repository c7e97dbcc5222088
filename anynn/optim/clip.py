"""Gradient clipping by global norm and by value (PyTorch's ``clip_grad_norm_`` / ``clip_grad_value_``, and the two
halves of the first, ``get_total_norm`` and ``clip_grads_with_norm_``)."""

from __future__ import annotations

import math
from typing import Iterable

from ..autograd.tensor import Tensor, tensor
from ..backend import dtype_name
from ..backend.arrays import check
from ..backend.typing import Array, Namespace
from ..functional.dtype_kinds import isdtype
from ..functional.value_checks import python_number


def _grads(parameters: Tensor | Iterable[Tensor]) -> list[Tensor]:
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    return [p.grad for p in params if p.grad is not None]


def _vector_norm(xp: Namespace, x: Array, norm_type: float) -> Array:
    """The ``norm_type``-norm of all elements of ``x`` as a 0-d array (as ``torch.linalg.vector_norm``); a complex
    ``x`` is measured by its absolute values (a real result)."""
    if isdtype(xp, x.dtype, "complex floating"):
        x = xp.abs(x)
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


def get_total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float | str = 2.0, error_if_nonfinite: bool = False,
                   foreach: bool | None = None) -> Tensor:
    """The ``norm_type``-norm of ``tensors`` taken together, as if they were one vector (PyTorch's
    ``get_total_norm``): the norm of their norms. ``foreach`` picks PyTorch's kernels and is accepted only.

    Returns a 0-d Tensor on the tensors' backend (``tensor(0.0)`` for none); complex tensors count by their
    absolute values. ``error_if_nonfinite``: ``RuntimeError`` when the norm is nan or inf.
    """
    return _total_norm(tensors, norm_type, error_if_nonfinite, "get_total_norm")


def _total_norm(tensors: Tensor | Iterable[Tensor], norm_type: float | str, error_if_nonfinite: bool,
                where: str) -> Tensor:
    tensors = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not tensors:
        return tensor(0.0)
    backend = tensors[0].backend
    xp = backend.xp
    if any(t.backend != backend for t in tensors):
        raise ValueError(f"{where}: the tensors live on different backends: "
                         f"{sorted({str(t.backend) for t in tensors})}")
    norms = [_vector_norm(xp, t.array, norm_type) for t in tensors]
    dtype = xp.result_type(*norms) if len(norms) > 1 else norms[0].dtype
    total = _vector_norm(xp, xp.stack([xp.astype(n, dtype) for n in norms]), norm_type)
    if error_if_nonfinite:
        check(backend, ~xp.isfinite(total), f"{where}: the total norm of order {norm_type} for gradients from "
              "`parameters` is non-finite, so it cannot be clipped. To disable this error and scale the gradients "
              "by the non-finite norm anyway, set `error_if_nonfinite=False`", error=RuntimeError)
    return tensor(total, backend=backend, dtype=dtype_name(total.dtype))


def clip_grads_with_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, total_norm: Tensor,
                          foreach: bool | None = None) -> None:
    """Multiply every gradient by ``min(1, max_norm / (total_norm + 1e-6))`` (PyTorch's ``clip_grads_with_norm_``;
    ``total_norm`` as `get_total_norm` gives it). Parameters without ``.grad`` are skipped."""
    grads = _grads(parameters)
    if not grads:
        return
    xp = grads[0].backend.xp
    total = total_norm.array if isinstance(total_norm, Tensor) else total_norm
    # (np.float64 / an array-api-strict array: NumPy's error; a 0-d Tensor max_norm, as PyTorch takes, made the
    # coefficient a Tensor that astype could not read)
    limit = max_norm.detach().array if isinstance(max_norm, Tensor) else python_number(max_norm)
    coef = limit / (total + 1e-6)
    coef = xp.minimum(coef, xp.ones_like(coef))  # minimum, not where: a nan norm must propagate
    for g in grads:
        g.array = g.array * xp.astype(coef, g.array.dtype)


def clip_grad_norm_(parameters: Tensor | Iterable[Tensor], max_norm: float, norm_type: float | str = 2.0,
                    error_if_nonfinite: bool = False, foreach: bool | None = None) -> Tensor:
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
    foreach : PyTorch's choice of kernels; accepted, no effect.

    Returns
    -------
    Tensor
        The total norm of the gradients before clipping, a 0-d Tensor on their backend.
    """
    params = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    total = _total_norm(_grads(params), norm_type, error_if_nonfinite, "clip_grad_norm_")
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None) -> None:
    """Clamp every gradient entry into ``[-clip_value, clip_value]``.

    Parameters
    ----------
    parameters : a Tensor or an iterable of Tensors; those without ``.grad`` are skipped.
    clip_value : the largest allowed absolute value of a gradient entry.
    foreach : PyTorch's choice of kernels; accepted, no effect.
    """
    clip_value = float(clip_value)
    grads = _grads(parameters)
    for g in grads:
        if isdtype(g.backend.xp, g.array.dtype, "complex floating"):  # (NumPy would order complex numbers)
            raise NotImplementedError(f"clip_grad_value_: clamp is not supported for complex gradients (got "
                                      f"{dtype_name(g.array.dtype)}); clip the norm with clip_grad_norm_")
    for g in grads:
        xp = g.backend.xp
        # a negative clip_value gives clamp(min > max): PyTorch's clamp then gives max everywhere
        g.array = xp.clip(g.array, -clip_value, clip_value) if clip_value >= 0 else xp.full_like(g.array, clip_value)
