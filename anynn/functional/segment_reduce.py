"""PyTorch's ``torch.segment_reduce`` (and its older private name ``torch._segment_reduce``, which PyTorch
Geometric's ``segment`` and ``softmax(ptr=...)`` call where torch-scatter is not installed): consecutive runs of
``data`` along one axis, of the given lengths (or between the given offsets), each reduced to one entry.

Each run's entries get the run's number, and ``scatter_reduce`` reduces them into a tensor of one entry per run,
so the values and gradients are ``scatter_reduce``'s, which are PyTorch's (ties of a maximum share the gradient
evenly, a product's gradient is exact with zeros).
"""

from __future__ import annotations

from typing import Any

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .index_writes import scatter_reduce

_NAME = "segment_reduce()"
_REDUCE = {"sum": "sum", "prod": "prod", "mean": "mean", "max": "amax", "amax": "amax", "min": "amin",
           "amin": "amin"}
_EMPTY = {"sum": 0.0, "prod": 1.0, "mean": float("nan"), "amax": float("-inf"), "amin": float("inf")}


def _lengths(data: Tensor, lengths: Tensor | None, offsets: Tensor | None, axis: int, unsafe: bool) -> Tensor:
    """The runs' lengths, shape ``data.shape[:axis] + (S,)``, from ``lengths`` or from ``offsets`` (S + 1 along
    its last axis), checked as PyTorch checks them unless ``unsafe``."""
    if lengths is None and offsets is None:
        raise RuntimeError(f"{_NAME}: Either lengths or offsets must be defined.")
    given = lengths if lengths is not None else offsets
    if not isinstance(given, Tensor):
        raise TypeError(f"{_NAME}: lengths and offsets must be integer anynn Tensors, got {type(given).__name__}")
    if given.is_floating_point() or given.is_complex() or given.dtype == "bool":
        raise RuntimeError(f"{_NAME}: lengths and offsets must be integer tensors, got {dtype_name(given.dtype)}")
    if given.ndim != axis + 1:
        raise RuntimeError(f"{_NAME}: Expected axis to be the last dimension of lengths but got {axis}.")
    if tuple(given.shape[:axis]) != tuple(data.shape[:axis]):
        raise RuntimeError(f"{_NAME}: lengths of shape {tuple(given.shape)} do not match data of shape "
                           f"{tuple(data.shape)} before axis {axis}")
    found = given if lengths is not None else given[..., 1:] - given[..., :-1]
    if not unsafe:
        if bool((found < 0).any()):
            raise RuntimeError(f"{_NAME}: lengths contains negative value!")
        if bool((found.sum(-1) != data.shape[axis]).any()):
            raise RuntimeError(f"{_NAME}: Expected all rows of lengths along axis to sum to data.size({axis}) "
                               f"({data.shape[axis]})")
    return found.to("int64")


def segment_reduce(data: Tensor, reduce: str, *, lengths: Tensor | None = None, indices: Any = None,
                   offsets: Tensor | None = None, axis: int = 0, unsafe: bool = False,
                   initial: float | None = None) -> Tensor:
    """``data`` reduced over consecutive runs along ``axis`` by ``reduce`` ("sum", "prod", "mean", "max"/"amax",
    "min"/"amin"), as ``torch.segment_reduce``.

    data: (*pre, L, *post), floating; lengths: (*pre, S) integers summing to L along the last axis, or offsets:
    (*pre, S + 1). Returns (*pre, S, *post). An empty run gives ``initial`` where given, else 0 (sum), 1 (prod),
    NaN (mean), -inf (max) or inf (min); ``initial`` joins every run's reduction (a mean divides by the run's own
    length).
    """
    if not isinstance(data, Tensor):
        raise TypeError(f"{_NAME}: data must be an anynn Tensor, got {type(data).__name__}")
    if reduce not in _REDUCE:
        raise RuntimeError(f"{_NAME}: reduce argument must be either sum, prod, mean, amax or amin, got {reduce}")
    if indices is not None:
        raise RuntimeError(f"{_NAME}: indices based reduction is not supported yet.")
    if not data.is_floating_point():
        raise NotImplementedError(f"{_NAME}: data of dtype {dtype_name(data.dtype)} is not supported (floating "
                                  f"dtypes only, as PyTorch's)")
    axis = axis + data.ndim if axis < 0 else axis
    if not 0 <= axis < data.ndim:
        raise IndexError(f"{_NAME}: axis {axis} is out of range for data of {data.ndim} dimensions")
    runs = _lengths(data, lengths, offsets, axis, unsafe)
    kind = _REDUCE[reduce]
    ends = runs.cumsum(-1)
    steps = data.shape[axis]
    positions = runs.new_ones((*runs.shape[:-1], steps)).cumsum(-1) - 1  # 0 .. L - 1 in each leading row
    run_of = ends.searchsorted(positions, right=True)  # (*pre, L): the run each entry belongs to
    tail = (1,) * (data.ndim - axis - 1)
    index = run_of.reshape(tuple(run_of.shape) + tail).expand(tuple(data.shape))
    shape = (*data.shape[:axis], runs.shape[-1], *data.shape[axis + 1:])
    start = _EMPTY[kind] if initial is None else float(initial)
    base = data.new_full(shape, 0.0 if kind == "mean" else start)
    if kind == "mean":
        total = scatter_reduce(base, axis, index, data, "sum", include_self=False)
        if initial is not None:
            total = total + start
        count = runs.reshape(tuple(runs.shape) + tail).to(data.dtype)
        return (total / count.clamp(min=1)).where(count > 0, data.new_full((), start))
    return scatter_reduce(base, axis, index, data, kind, include_self=initial is not None)


__all__ = ["segment_reduce"]
