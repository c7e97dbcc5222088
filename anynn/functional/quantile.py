"""``quantile`` and ``nanquantile`` under PyTorch's names: the ``q``-th quantiles of a tensor, over everything or
along one ``dim``, with PyTorch's five interpolations between the two order statistics that bracket each rank.

The rank of ``q`` in a lane of ``n`` values is ``q * (n - 1)``; ``quantile`` gives NaN for a lane holding a NaN,
``nanquantile`` counts only the values that are not NaN (NaN for a lane of NaNs only). The gradient goes to the
bracketing values through the sort (the interpolation weights are constants), as PyTorch's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..autograd.tensor import Tensor
from . import elementwise, shape
from .formulas.counts import element_count
from .rearrange import movedim
from .indexing import gather
from .sorting import sort
from .value_checks import checked_dim

INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile_values(name: str, input: Tensor, q: Any) -> tuple[list[float], bool]:  # noqa: A002
    """``q`` as a list of Python floats in [0, 1] and whether it was a scalar (a number or a 0-d tensor)."""
    if isinstance(q, Tensor):
        if q.ndim > 1:
            raise RuntimeError(f"{name}() q must be a scalar or 1D tensor, got shape {tuple(q.shape)}")
        if q.dtype != input.dtype:
            raise RuntimeError(f"{name}() q tensor must be same dtype as the input tensor: q is {q.dtype}, "
                               f"the input {input.dtype}")
        values, scalar = [float(v) for v in q.reshape(-1).tolist()], q.ndim == 0
    elif isinstance(q, Sequence):
        values, scalar = [float(v) for v in q], False
    else:
        values, scalar = [float(q)], True
    for v in values:
        if not 0.0 <= v <= 1.0:  # (NaN fails it too)
            raise RuntimeError(f"{name}() q must be in the range [0, 1] but got {v}")
    return values, scalar


def _quantiles(name: str, input: Tensor, q: Any, dim: int | None, keepdim: bool,  # noqa: A002
               interpolation: str, ignore_nan: bool) -> Tensor:
    xp = input.backend.xp
    if not xp.isdtype(input.array.dtype, "real floating") or input.array.dtype == getattr(xp, "float16", None):
        raise RuntimeError(f"{name}() input tensor must be either float or double dtype, got {input.dtype}")
    if interpolation not in INTERPOLATIONS:
        raise RuntimeError(f"{name}() interpolation must be one of linear, lower, higher, midpoint or nearest, "
                           f"but got {interpolation}")
    values, scalar = _quantile_values(name, input, q)
    if None not in input.shape and input.numel() == 0:  # (None: a symbolic axis, ONNX export)
        raise RuntimeError(f"{name}() input tensor must be non-empty")
    if dim is None:
        lanes = input.reshape(-1)
        kept_shape = (1,) * input.ndim
    else:
        axis = checked_dim(name, input, dim)
        lanes = movedim(input, axis, -1) if input.ndim else input.reshape(1)
        kept_shape = tuple(1 if i == axis else n for i, n in enumerate(input.shape))
    ordered = sort(lanes, -1).values  # NaNs last
    n = lanes.shape[-1]
    finite = xp.sum(xp.astype(~xp.isnan(ordered.array), ordered.array.dtype), axis=-1, keepdims=True)
    if n is None:  # a symbolic axis (ONNX export): the lane's length read as the graph runs
        length = xp.zeros_like(finite) + element_count(xp, ordered.array, (ordered.ndim - 1,))
        count, top = (finite if ignore_nan else length), length - 1.0
    else:
        count = finite if ignore_nan else xp.full_like(finite, float(n))
        top = xp.full_like(finite, float(n - 1))
    results = []
    for v in values:
        rank = xp.clip(v * (count - 1.0), 0.0, None)  # (a lane of NaNs only: rank 0, its value NaN)
        if interpolation == "nearest":
            rank = xp.round(rank)  # half to even, as PyTorch's
        below, above = xp.floor(rank), xp.minimum(xp.ceil(rank), top)
        low = gather(ordered, -1, Tensor._make(xp.astype(below, xp.int64), input.backend, None, 0))
        if interpolation in ("lower", "nearest"):
            found = low
        else:
            high = gather(ordered, -1, Tensor._make(xp.astype(above, xp.int64), input.backend, None, 0))
            if interpolation == "higher":
                found = high
            else:
                weight = xp.full_like(rank, 0.5) if interpolation == "midpoint" else rank - below
                found = low + (high - low) * weight
        if not ignore_nan:  # a lane holding a NaN gives NaN
            holds_nan = (xp.isnan(ordered.array[..., n - 1:]) if n is not None
                         else xp.any(xp.isnan(ordered.array), axis=-1, keepdims=True))  # (NaNs sort last)
            found = elementwise.where(holds_nan, xp.full_like(found.array, float("nan")), found)
        found = found.reshape(kept_shape) if keepdim else found.reshape(found.shape[:-1])
        results.append(found)
    return results[0] if scalar else shape.stack(results, 0)


def quantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,  # noqa: A002
             interpolation: str = "linear") -> Tensor:
    """The ``q``-th quantiles of ``input`` (float32 or float64), of all elements or along ``dim`` (``torch.quantile``).

    q: a number or a 0-d tensor (the result has ``input``'s shape without ``dim``, or 0-d for all elements), or a
    1-D tensor or sequence of ``Q`` values (a leading axis of size ``Q``); every value in [0, 1].
    interpolation: ``linear`` (default), ``lower``, ``higher``, ``midpoint`` or ``nearest`` (ties to even) between
    the sorted values at ``floor`` and ``ceil`` of the rank ``q * (n - 1)``. NaN for a lane holding a NaN.
    """
    return _quantiles("quantile", input, q, dim, keepdim, interpolation, ignore_nan=False)


def nanquantile(input: Tensor, q: Any, dim: int | None = None, keepdim: bool = False, *,  # noqa: A002
                interpolation: str = "linear") -> Tensor:
    """`quantile` ignoring NaNs: the rank is ``q * (m - 1)`` over the ``m`` values of a lane that are not NaN (NaN for
    a lane of NaNs only), as ``torch.nanquantile``."""
    return _quantiles("nanquantile", input, q, dim, keepdim, interpolation, ignore_nan=True)


FUNCTIONS: dict[str, Any] = {"quantile": quantile, "nanquantile": nanquantile}

__all__ = ["FUNCTIONS", *FUNCTIONS]
