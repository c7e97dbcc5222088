"""Ordering along one dimension: ``sort``, ``argsort``, ``topk``, and the running sum ``cumsum``.

Sorting is stable (equal values keep their order), so indices are the same on every backend; PyTorch's
default ``stable=False`` gives the same order for distinct values.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor, make_tensor
from ..backend.typing import Namespace
from .shape import GetItem
from .value_checks import checked_dim, refuse_boolean, refuse_complex, refuse_kernel



def _ranked(xp: Any, a: Any) -> Any:
    """``a`` as the standard's argsort takes it: booleans as 0 and 1 (it sorts numbers only; PyTorch sorts bools)."""
    return xp.astype(a, xp.uint8) if xp.isdtype(a.dtype, "bool") else a

class ValuesIndices(NamedTuple):
    """What ``sort``, ``topk``, ``max(dim)`` / ``min(dim)`` return, like ``torch.return_types.sort``."""

    values: Any
    indices: Any




class Sort(Function):
    """Values sorted along ``axis`` and the indices they came from; the gradient goes back through the
    inverse permutation (no scatter needed)."""

    axis: int
    descending: bool

    def forward(self, xp: Namespace, a: Any) -> tuple[Any, Any]:
        if a.ndim == 0:
            self.order = xp.zeros((), dtype=xp.int64)
            return a, self.order
        self.order = xp.argsort(_ranked(xp, a), axis=self.axis, descending=self.descending, stable=True)
        return xp.take_along_axis(a, self.order, axis=self.axis), xp.astype(self.order, xp.int64)

    def backward(self, xp: Namespace, g: Any, _: Any = None) -> Any:
        if g.ndim == 0:
            return g
        inverse = xp.argsort(self.order, axis=self.axis, stable=True)
        return xp.take_along_axis(g, inverse, axis=self.axis)


def sort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> ValuesIndices:  # noqa: A002
    """``(values, indices)`` of ``input`` sorted along ``dim``; ``values`` is differentiable, ``indices`` int64."""
    refuse_complex("sort", input)
    values, indices = Sort.apply(input, axis=checked_dim("sort", input, dim), descending=bool(descending))
    indices._requires_grad = False
    indices._ctx = None
    return ValuesIndices(values, indices)


def argsort(input: Tensor, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:  # noqa: A002
    """int64 indices that sort ``input`` along ``dim`` (stable)."""
    refuse_complex("argsort", input)
    xp = input.backend.xp
    if input.ndim == 0:
        return make_tensor(xp.zeros((), dtype=xp.int64, device=input.backend.device), input.backend, None, 0)
    order = xp.argsort(_ranked(xp, input.array), axis=checked_dim("argsort", input, dim), descending=bool(descending),
                       stable=True)
    return make_tensor(xp.astype(order, xp.int64), input.backend, None, 0)


def topk(input: Tensor, k: int, dim: int = -1, largest: bool = True, sorted: bool = True) -> ValuesIndices:  # noqa: A002
    """The ``k`` largest (or smallest) entries along ``dim`` and their indices, largest first (``torch.topk``); a
    boolean tensor is refused, as PyTorch's CPU topk refuses it."""
    refuse_boolean("topk", "topk", input)
    axis = checked_dim("topk", input, dim)
    size = input.shape[axis] if input.ndim else 1
    if size is None:  # a symbolic axis (ONNX export): its size is known when the graph runs (k must not exceed it)
        if k < 0:
            raise RuntimeError(f"topk: k ({k}) must not be negative (dim {dim} of input shape {input.shape})")
    elif not 0 <= k <= size:
        raise RuntimeError(f"topk: k ({k}) is out of range for dim {dim} of size {size} (input shape {input.shape})")
    values, indices = sort(input, axis, descending=largest)
    first = tuple(slice(0, k) if a == axis else slice(None) for a in range(input.ndim))
    if input.ndim == 0:
        return ValuesIndices(values, indices)
    return ValuesIndices(GetItem.apply(values, index=first), indices[first])


class CumSum(Function):
    """Running sum along ``axis``; the gradient is the running sum of ``g`` from the end."""

    axis: int

    def forward(self, xp: Namespace, a: Any) -> Any:
        return xp.cumulative_sum(a, axis=self.axis) if a.ndim else a

    def backward(self, xp: Namespace, g: Any) -> Any:
        if g.ndim == 0:
            return g
        return xp.flip(xp.cumulative_sum(xp.flip(g, axis=self.axis), axis=self.axis), axis=self.axis)


def cumsum(input: Tensor, dim: int, *, dtype: Any = None) -> Tensor:  # noqa: A002
    """Running sum along ``dim``; integer and boolean inputs sum in int64, as in PyTorch."""
    xp = input.backend.xp
    if dtype is not None:
        input = input.astype(dtype)
        refuse_kernel("cumsum", "cumsum_out_cpu", ("bool",), input)  # dtype=bool (or a bool out=), as PyTorch's
    elif not xp.isdtype(input.array.dtype, ("real floating", "complex floating")):
        input = input.astype("int64")
    out = CumSum.apply(input, axis=checked_dim("cumsum", input, dim))
    return out if out.dtype == input.dtype else out.astype(input.dtype)  # an integer dtype= asked for
