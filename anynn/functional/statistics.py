"""Order and moment statistics under PyTorch's names: ``median`` and the pairs ``var_mean`` / ``std_mean``.

``median`` is the lower median (``sorted[(n - 1) // 2]``), as PyTorch's. Along ``dim`` its gradient goes to the
element it picked, through the sort; over all elements it is shared evenly by every element equal to the median
(every NaN where it is NaN), as PyTorch's ``median()`` and ``nanmedian()`` share it.
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from .formulas.counts import element_count
from .indexing import gather
from .shape import GetItem
from .sorting import ValuesIndices, sort
from .value_checks import check_reducible, refuse_bool_dims, refuse_boolean


def _middle(values: Tensor, axis: int) -> Any:
    """Per lane of the sorted ``values`` along ``axis`` (kept as 1): the lower median's position, or the first NaN's
    (the sort puts NaNs last), so that a lane holding a NaN gives NaN, as PyTorch's."""
    xp = values.backend.xp
    n = element_count(xp, values.array, (axis,), xp.int64)  # (a 0-d array along a symbolic axis: ONNX export)
    valid = xp.sum(xp.astype(~xp.isnan(values.array), xp.int64), axis=axis, keepdims=True)
    return xp.where(valid < n, valid, xp.zeros_like(valid) + (n - 1) // 2)


def _nothing(input: Tensor) -> Tensor:
    """The median of an empty integer or boolean tensor as PyTorch gives it on CPU: its NaN converted to the dtype
    (through int32 below that width): the lowest int64 or int32, 0 for int16, int8 and uint8, True for bool."""
    xp, dtype = input.backend.xp, input.array.dtype
    if xp.isdtype(dtype, "bool"):
        value: Any = True
    else:
        info = xp.iinfo(dtype)
        value = info.min if info.bits >= 32 and info.min < 0 else 0
    return Tensor._make(xp.full((), value, dtype=dtype, device=input.backend.device), input.backend, None, 0)


def shared_by_ties(flat: Tensor, picked: Tensor) -> Tensor:
    """The 0-d ``picked`` (an element of the 1-D ``flat``) with its gradient shared evenly by the elements of ``flat``
    equal to it, or by its NaNs where it is NaN (PyTorch's rule for ``median()``): ``picked + sum((flat - picked) *
    mask) / count`` with ``picked`` held constant adds an exact zero to the value, and the second derivative is 0."""
    xp, be = flat.backend.xp, flat.backend
    value = picked.detach().reshape(())
    equal = xp.where(xp.isnan(value.array), xp.isnan(flat.array), flat.array == value.array)
    mask = xp.astype(equal, flat.array.dtype)
    share = Tensor._make(mask / xp.sum(mask), be, None, 0)
    others = Tensor._make(~equal, be, None, 0)  # filled with 0 so that a NaN left out of the median stays out
    return value + ((flat - value).masked_fill(others, 0.0) * share).sum()


def median(input: Tensor, dim: int | None = None, keepdim: bool = False) -> Any:  # noqa: A002 - PyTorch's name
    """The lower median of all elements (a 0-d tensor), or ``(values, indices)`` along ``dim`` (``torch.median``);
    NaN where the elements hold one. Boolean tensors and an empty ``dim`` are refused, as PyTorch's."""
    refuse_bool_dims("median", dim)
    if dim is not None or 0 not in tuple(input.shape):  # (of no elements: True, its NaN converted, as PyTorch's)
        refuse_boolean("median", "median_cpu", input)
    if dim is None:
        flat = input.reshape(-1)
        if flat.shape[0] == 0 and input.backend.xp.isdtype(flat.array.dtype, "real floating"):
            return flat.sum() * float("nan")  # PyTorch's median of nothing: NaN, connected to the (empty) input
        if flat.shape[0] == 0:
            return _nothing(input)
        values, _ = sort(flat)
        if not input.backend.xp.isdtype(values.array.dtype, "real floating"):
            return GetItem.apply(values, index=((flat.shape[0] - 1) // 2,))
        return shared_by_ties(flat, gather(values, 0, Tensor._make(_middle(values, 0), input.backend, None, 0)))
    ndim = input.ndim or 1
    if not -ndim <= dim < ndim:
        raise IndexError(f"median: dim {dim} is out of range for a tensor of shape {tuple(input.shape)}")
    axis = dim % ndim
    if input.ndim == 0:
        return ValuesIndices(input, input.new_zeros((), dtype="int64"))
    check_reducible("median", input.array, axis)  # (a lane of nothing has no middle; gather failed on index -1)
    values, indices = sort(input, axis)
    if input.backend.xp.isdtype(values.array.dtype, "real floating"):
        xp = input.backend.xp
        k = _middle(values, axis)
        picked = gather(values, axis, Tensor._make(k, input.backend, None, 0))
        where = Tensor._make(xp.take_along_axis(indices.array, k, axis=axis), input.backend, None, 0)
        return ValuesIndices(picked, where) if keepdim else ValuesIndices(picked.squeeze(axis), where.squeeze(axis))
    if input.shape[axis] is None:  # a symbolic axis (ONNX export): the middle position read as the graph runs
        xp = input.backend.xp
        n = element_count(xp, values.array, (axis,), xp.int64)
        k = xp.sum(xp.zeros_like(values.array, dtype=xp.int64), axis=axis, keepdims=True) + (n - 1) // 2
        picked = gather(values, axis, Tensor._make(k, input.backend, None, 0))
        where = Tensor._make(xp.take_along_axis(indices.array, k, axis=axis), input.backend, None, 0)
        return ValuesIndices(picked, where) if keepdim else ValuesIndices(picked.squeeze(axis), where.squeeze(axis))
    middle = tuple((input.shape[axis] - 1) // 2 if a == axis else slice(None) for a in range(input.ndim))
    if keepdim:
        middle = tuple(slice(m, m + 1) if isinstance(m, int) else m for m in middle)
    return ValuesIndices(GetItem.apply(values, index=middle), indices[middle])


def unbiased_given_first(dim: Any, unbiased: bool | None) -> tuple[Any, bool | None]:
    """``(dim, unbiased)`` of a ``var``/``std`` call: a bool in ``dim``'s place is PyTorch's ``var(bool unbiased)``
    overload (``x.std(False)``: every element, correction 0), not dim 0 or 1."""
    if isinstance(dim, bool) and unbiased is None:
        return None, dim
    return dim, unbiased


def var_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,  # noqa: A002
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(var, mean)`` over ``dim`` with PyTorch's default ``correction=1`` (``torch.var_mean``)."""
    dim, unbiased = unbiased_given_first(dim, unbiased)
    variance = input.var(dim, unbiased, keepdim, correction=correction)
    return variance, input.mean(dim=dim, keepdim=keepdim)


def std_mean(input: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,  # noqa: A002
             correction: float | None = None) -> tuple[Tensor, Tensor]:
    """``(std, mean)`` over ``dim`` with PyTorch's default ``correction=1`` (``torch.std_mean``)."""
    dim, unbiased = unbiased_given_first(dim, unbiased)
    deviation = input.std(dim, unbiased, keepdim, correction=correction)
    return deviation, input.mean(dim=dim, keepdim=keepdim)


FUNCTIONS: dict[str, Any] = {"median": median, "var_mean": var_mean, "std_mean": std_mean}

__all__ = ["FUNCTIONS", *FUNCTIONS]
