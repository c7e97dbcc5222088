"""Questions about values, answered with integer or boolean tensors (none of them differentiable; ``unique``'s
values require grad where the input does, as PyTorch's, and refuse a backward): ``unique``,
``nonzero``/``argwhere``, ``count_nonzero``, ``bincount``, ``searchsorted``/``bucketize``, ``isclose``,
``allclose``, ``equal``.

Results whose size depends on the values (``unique``, ``nonzero``, ``bincount``) need those values on the host,
as in PyTorch; they are not for traced code.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name, op
from ..backend.broadcasting import broadcast_shapes
from ..backend.typing import Namespace
from .reduce import _axes
from .sorting import _ranked
from .type_promotion import result_type
from .value_checks import (DTypeMismatchError, check_one_backend, explain_shape_failure, refuse_bool_dims,
                           refuse_kernel, refuse_numbers)
from .value_checks import require_tensor


def _made(data: Any, like: Tensor) -> Tensor:
    return Tensor._make(data, like.backend, None, 0)


class NoDerivative(Function):
    """``values``, computed from the input by an op PyTorch has no derivative for (``unique``'s values): recorded, so
    the result requires grad where the input does, as PyTorch's; a backward through it raises PyTorch's
    NotImplementedError naming ``op``."""

    values: Any
    op: str

    def forward(self, xp: Namespace, a: Any) -> Any:
        return self.values

    def backward(self, xp: Namespace, g: Any) -> Any:
        raise NotImplementedError(f"the derivative for '{self.op}' is not implemented.")


def without_derivative(op_name: str, values: Tensor, input: Tensor) -> Tensor:  # noqa: A002
    """``values`` (a Tensor off the graph) recorded as `NoDerivative` of ``input`` where ``input`` requires grad."""
    return NoDerivative.apply(input, values=values.array, op=op_name) if input.requires_grad else values


def _int64(xp: Namespace, a: Any) -> Any:
    return a if a.dtype == xp.int64 else xp.astype(a, xp.int64)


def _unique_slices(input: Tensor, dim: int, return_inverse: bool, return_counts: bool) -> Any:  # noqa: A002
    """``unique(dim=)``: the distinct slices along ``dim`` in lexicographic order, as ``torch.unique``."""
    ndim = max(input.ndim, 1)
    if not -ndim <= dim < ndim:
        raise IndexError(f"unique: dim {dim} is out of range for a tensor of shape {tuple(input.shape)}")
    empty = [i for i, size in enumerate(input.shape) if size == 0]
    if len(empty) > 1:
        raise RuntimeError("unique: Number of zero sized dimensions is more than one, so unique cannot be applied "
                           f"(shape {tuple(input.shape)})")
    if empty and empty[0] != dim % ndim:
        raise RuntimeError("unique: There are 0 sized dimensions, and they aren't selected, so unique cannot be "
                           f"applied (shape {tuple(input.shape)}, dim {dim})")
    xp = input.backend.xp
    data = input.array if input.ndim else xp.reshape(input.array, (1,))
    moved = xp.moveaxis(data, dim % ndim, 0)
    n, rest = moved.shape[0], tuple(moved.shape[1:])
    if None in rest:  # (an ONNX export's symbolic axis, read as None)
        raise TypeError(f"unique: dim={dim} compares slices of shape {rest}, whose symbolic axis (None: an ONNX "
                        f"export's dynamic axis) sets the number of sort passes (one per element of a slice), which "
                        f"the recorded graph needs as a number; unique along the symbolic axis records")
    width = math.prod(rest)
    rows = xp.reshape(moved, (-1 if n is None else n, width))
    keys = xp.astype(rows, xp.uint8) if rows.dtype == xp.bool else rows  # (the standard sorts numbers only)
    if n is None:  # a symbolic count of slices: their positions counted as the graph runs
        order = xp.cumulative_sum(xp.ones_like(keys[:, 0], dtype=xp.int64)) - 1
    else:
        order = xp.arange(n, dtype=xp.int64, device=input.backend.device)
    for j in range(width - 1, -1, -1):  # lexicographic: stable sorts from the last column to the first
        order = xp.take(order, xp.argsort(xp.take(keys[:, j], order), stable=True))
    ordered = xp.take(rows, order, axis=0)
    if n != 0:
        differs = xp.any(ordered[1:, ...] != ordered[:-1, ...], axis=1)
        one = xp.ones((1,), dtype=xp.bool, device=input.backend.device)
        first, last = xp.concat([one, differs]), xp.concat([differs, one])
    else:
        first = last = xp.zeros((0,), dtype=xp.bool, device=input.backend.device)
    starts = _int64(xp, xp.nonzero(first)[0])
    values = xp.reshape(xp.take(ordered, starts, axis=0), (starts.shape[0],) + rest)
    out = [without_derivative("unique_dim", _made(xp.moveaxis(values, 0, dim % ndim) if input.ndim
                                                  else xp.reshape(values, (-1,)), input), input)]
    if return_inverse:
        group = xp.cumulative_sum(xp.astype(first, xp.int64)) - 1
        out.append(_made(xp.take(group, xp.argsort(order)), input))
    if return_counts:  # (each group's last position found as its first: no count of slices needed)
        out.append(_made(_int64(xp, xp.nonzero(last)[0]) - starts + 1, input))
    return out[0] if len(out) == 1 else tuple(out)


def _unique_inverse(xp: Namespace, values: Any, flat: Any) -> Any:
    """Where each element of ``flat`` (n,) is in the sorted distinct ``values``: int64 (n,). Each NaN is an entry
    of its own (NaN equals nothing), the NaNs last in the order they appear, as PyTorch's; the search runs with
    them as +inf (a binary search through NaNs goes astray on some libraries: torch's)."""
    if not xp.isdtype(flat.dtype, "real floating"):
        return _int64(xp, xp.searchsorted(_ranked(xp, values), _ranked(xp, flat)))  # (booleans as 0 and 1)
    missing = xp.isnan(values)
    keys = xp.where(missing, xp.full_like(values, math.inf), values)
    nan = xp.isnan(flat)
    seen = xp.cumulative_sum(xp.astype(nan, xp.int64)) - 1
    numbers = xp.sum(xp.astype(~missing, xp.int64))
    return xp.where(nan, numbers + seen, _int64(xp, xp.searchsorted(keys, flat)))


def unique(input: Tensor, sorted: bool = True, return_inverse: bool = False,  # noqa: A002 - PyTorch's names
           return_counts: bool = False, dim: int | None = None) -> Any:
    """The distinct values of ``input`` in ascending order (flattened), with, if asked, ``inverse`` (for each
    element, the position of its value; ``input``'s shape) and ``counts`` (int64), as ``torch.unique``. Complex
    tensors are refused, as PyTorch's kernel refuses them."""
    refuse_kernel("unique", "unique" if dim is None else "unique_dim", ("complex floating",), input)
    refuse_bool_dims("unique", dim)
    if dim is not None:
        return _unique_slices(input, dim, return_inverse, return_counts)
    xp = input.backend.xp
    flat = xp.reshape(input.array, (-1,))
    found = xp.unique_counts(flat)
    order = xp.argsort(_ranked(xp, found.values))  # the standard leaves the order of unique_* open: sort here
    values = xp.take(found.values, order)
    out = [without_derivative("_unique2", _made(values, input), input)]
    if return_inverse:
        out.append(_made(xp.reshape(_unique_inverse(xp, values, flat), tuple(input.shape)), input))
    if return_counts:
        out.append(_made(_int64(xp, xp.take(found.counts, order)), input))
    return out[0] if len(out) == 1 else tuple(out)


def nonzero(input: Tensor, *, as_tuple: bool = False) -> Any:  # noqa: A002
    """Indices of the nonzero elements: an ``(n, ndim)`` int64 tensor in row-major order, or with ``as_tuple``
    one 1-D tensor per axis (``torch.nonzero``)."""
    xp = input.backend.xp
    data = input.array if input.ndim else xp.reshape(input.array, (1,))
    found = [_int64(xp, i) for i in xp.nonzero(data)]
    if input.ndim == 0:
        if as_tuple:
            return (_made(found[0], input),)
        # (1, 0) for a nonzero value, (0, 0) for zero, as PyTorch's
        return _made(xp.zeros((found[0].shape[0], 0), dtype=xp.int64, device=input.backend.device), input)
    if as_tuple:
        return tuple(_made(i, input) for i in found)
    return _made(xp.stack(found, axis=1), input)


def argwhere(input: Tensor) -> Tensor:  # noqa: A002
    """``nonzero(input)``: an ``(n, ndim)`` tensor of the indices of nonzero elements."""
    return nonzero(input)


def count_nonzero(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """The number of nonzero elements, over ``dim`` (an int or tuple) or everywhere; int64."""
    xp = input.backend.xp
    axis = (tuple(dim) or None) if isinstance(dim, (list, tuple)) else dim  # (no dims: every dim, as PyTorch's)
    if axis is not None:  # PyTorch's checks (a repeated dim: NumPy's ValueError before)
        _axes(axis, input.ndim)
    return _made(_int64(xp, xp.count_nonzero(input.array, axis=axis)), input)


def bincount(input: Tensor, weights: Tensor | None = None, minlength: int = 0) -> Tensor:  # noqa: A002
    """How often each value ``0 .. max(input)`` occurs in the 1-D non-negative integer ``input`` (at least
    ``minlength`` bins); with ``weights``, their sums per bin (``torch.bincount``)."""
    xp, be = input.backend.xp, input.backend
    # PyTorch's dispatch refuses the dtype before its kernel looks at the shape
    refuse_kernel("bincount", "bincount_cpu", ("bool", "real floating", "complex floating"), input)
    if input.ndim != 1:
        raise RuntimeError(f"bincount: expected a 1-D integer tensor, got shape {tuple(input.shape)} "
                           f"dtype {input.array.dtype}")
    if minlength < 0:
        raise RuntimeError(f"bincount: minlength should be >= 0, got {minlength}")
    if weights is not None and tuple(weights.shape) != tuple(input.shape):
        raise RuntimeError(f"bincount: weights should be 1-d and have the same length as input: got weights of "
                           f"shape {tuple(weights.shape)} for input of shape {tuple(input.shape)}")
    if be.is_traced(input.array):
        raise NotImplementedError("bincount: the number of bins is the largest value plus one (at least minlength), "
                                  "which a recorded or traced tensor (an ONNX export's input) has only when the graph "
                                  "runs; for a known number of classes k, one_hot(x, k).sum(0) records")
    index = _int64(xp, input.array)
    if input.shape[0] and int(xp.min(index)) < 0:
        raise RuntimeError("bincount: input must contain only non-negative integers")
    length = max(int(minlength), int(xp.max(index)) + 1 if input.shape[0] else 0)
    if weights is None or not input.shape[0]:  # PyTorch counts nothing in int64, weights or not
        values = xp.ones(index.shape, dtype=xp.int64, device=be.device)
    else:
        values = weights.array
        if values.dtype not in (xp.float32, xp.float64):  # PyTorch sums other weights (float16 too) in float64
            values = xp.astype(values, xp.float64)
    if length == 0:
        return _made(xp.zeros((0,), dtype=values.dtype, device=be.device), input)
    counts = op(be, "scatter_add")(index, xp.reshape(values, (-1, 1)), length)
    return _made(xp.reshape(counts, (length,)), input)


def searchsorted(sorted_sequence: Tensor, input: Any, *, out_int32: bool = False, right: bool = False,  # noqa: A002
                 side: str | None = None, sorter: Tensor | None = None) -> Tensor:
    """Where ``input``'s values would go in ``sorted_sequence`` (sorted along its last axis) to keep it sorted:
    the first such position (``right=False``) or the last (``right=True`` / ``side="right"``).

    A 1-D sequence serves any ``input``; an N-D one pairs its leading axes with ``input``'s.
    """
    check_one_backend("searchsorted", sorted_sequence, input, sorter)
    if isinstance(input, Tensor) and dtype_name(input.dtype) == "bool":  # two booleans: no kernel in PyTorch
        refuse_kernel("searchsorted", "searchsorted_out_cpu", ("bool",), sorted_sequence)
    xp, be = sorted_sequence.backend.xp, sorted_sequence.backend
    if side is not None:
        if side not in ("left", "right"):
            raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
        if right and side == "left":
            raise RuntimeError("searchsorted: right=True and side='left' disagree")
        right = side == "right"
    seq = sorted_sequence.array
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter.array, axis=-1)
    # compared in the dtype of the pair, as PyTorch (int boundaries and 0.5 compare as floats, not 0.5 cast to 0)
    common = be.dtype(result_type(sorted_sequence, input).name)
    seq = seq if seq.dtype == common else xp.astype(seq, common)
    if isinstance(input, Tensor):
        values = input.array if input.array.dtype == common else xp.astype(input.array, common)
    else:
        values = xp.asarray(input, dtype=common, device=be.device)
    if seq.ndim == 1:
        found = xp.searchsorted(seq, xp.reshape(values, (-1,)), side="right" if right else "left")
        found = xp.reshape(found, tuple(values.shape))
    else:
        if tuple(seq.shape[:-1]) != tuple(values.shape[:-1]):
            raise RuntimeError(f"searchsorted: the leading dims of sorted_sequence {tuple(seq.shape)} and input "
                               f"{tuple(values.shape)} must match")
        below = seq[..., None, :] <= values[..., :, None] if right else seq[..., None, :] < values[..., :, None]
        found = xp.sum(xp.astype(below, xp.int64), axis=-1)
    return _made(xp.astype(found, xp.int32 if out_int32 else xp.int64), sorted_sequence)


def bucketize(input: Any, boundaries: Tensor, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each value among the 1-D sorted ``boundaries``: ``i`` with ``boundaries[i-1] < x <=
    boundaries[i]`` (``right=True``: ``boundaries[i-1] <= x < boundaries[i]``), as ``torch.bucketize``."""
    if not isinstance(input, numbers.Real):  # (PyTorch's overload bucketize(Number self, Tensor boundaries))
        require_tensor("bucketize", input, "input", 1)
    require_tensor("bucketize", boundaries, "boundaries", 2)
    if boundaries.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got shape {tuple(boundaries.shape)}")
    check_one_backend("bucketize", input, boundaries)
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


def isclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """Elementwise ``|input - other| <= atol + rtol * |other|`` (equal infinities are close), as ``torch.isclose``;
    other: a tensor, as PyTorch's."""
    refuse_numbers("isclose", other=other)
    check_one_backend("isclose", input, other)
    if isinstance(other, Tensor) and other.dtype != input.dtype:  # (PyTorch's "Float did not match Double")
        raise DTypeMismatchError(f"isclose: input and other must have one dtype, as in PyTorch, got "
                                 f"{dtype_name(input.dtype)} and {dtype_name(other.dtype)}")
    xp = input.backend.xp
    a = input.array
    b = other.array if isinstance(other, Tensor) else xp.asarray(other, dtype=a.dtype, device=input.backend.device)
    if broadcast_shapes(tuple(a.shape), tuple(b.shape)) is None:  # (NumPy's ValueError before, not PyTorch's class)
        explain_shape_failure("isclose", input, other, False, None)
    if not xp.isdtype(a.dtype, ("real floating", "complex floating")):
        a = xp.astype(a, xp.float64)
    if not xp.isdtype(b.dtype, ("real floating", "complex floating")):
        b = xp.astype(b, a.dtype)
    finite = xp.isfinite(a) & xp.isfinite(b)
    close = (a == b) | (finite & (xp.abs(a - b) <= atol + rtol * xp.abs(b)))
    if equal_nan:
        close = close | (xp.isnan(a) & xp.isnan(b))
    return _made(close, input)


def allclose(input: Tensor, other: Any, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
             equal_nan: bool = False) -> bool:
    """Whether every element is `isclose` (a Python bool); other: a tensor, as PyTorch's."""
    refuse_numbers("allclose", other=other)
    close = isclose(input, other, rtol, atol, equal_nan)
    return bool(close.backend.xp.all(close.array))


def equal(input: Tensor, other: Tensor) -> bool:  # noqa: A002
    """Whether both tensors have the same shape and the same values (a Python bool, ``torch.equal``)."""
    require_tensor("equal", input, "input", 1)
    require_tensor("equal", other, "other", 2)
    check_one_backend("equal", input, other)
    if tuple(input.shape) != tuple(other.shape):
        return False
    same = input.eq(other)  # PyTorch's promotion of two dtypes (array_api_strict refused float32 == int64)
    return bool(same.backend.xp.all(same.array))


FUNCTIONS: dict[str, Any] = {"unique": unique, "nonzero": nonzero, "argwhere": argwhere,
                             "count_nonzero": count_nonzero, "bincount": bincount, "searchsorted": searchsorted,
                             "bucketize": bucketize, "isclose": isclose, "allclose": allclose, "equal": equal}

__all__ = ["FUNCTIONS", *FUNCTIONS]
