"""`parameters_to_vector` / `vector_to_parameters`: all parameters as one flat vector, and back."""

from __future__ import annotations

from typing import Any, Iterable

from ...autograd.tensor import Tensor
from ...functional.shape import concat, reshape
from ...functional.value_checks import ShapeMismatchError


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """One 1-D tensor of every parameter's values, flattened in order (differentiable, as in PyTorch).

    All parameters must live on one backend; shape ``(sum of numel,)``.
    """
    params = list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    _check_one_backend(params, "parameters_to_vector")
    return concat([reshape(p, (-1,)) for p in params], axis=0)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters (their ``.data``), in order.

    ``vec`` must hold at least as many values as the parameters together (values past them are left unread,
    as in PyTorch).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected vec to be a Tensor, but got: {type(vec).__name__}")
    if vec.ndim != 1:
        raise ShapeMismatchError(f"vector_to_parameters: vec must be 1-D, got shape {vec.shape}")
    params = list(parameters)
    _check_one_backend(params + [vec], "vector_to_parameters")
    total = sum(p.numel() for p in params)
    if total > vec.shape[0]:  # (PyTorch: RuntimeError from a view of too few values)
        raise ShapeMismatchError(f"vector_to_parameters: vec has {vec.shape[0]} values, the parameters {total}")
    xp = vec.backend.xp
    start = 0
    for p in params:
        n = p.numel()
        piece = xp.reshape(vec.array[start:start + n], p.shape)
        p.array = xp.astype(piece, p.array.dtype, copy=True)
        start += n


def _check_one_backend(tensors: list[Any], where: str) -> None:
    keys = {t.backend.key for t in tensors}
    if len(keys) > 1:
        raise ValueError(f"{where}: the tensors live on different backends: {sorted(keys)}")
