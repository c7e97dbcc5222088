"""``torch.distributed.nn.functional``: collectives that return new Tensors and pass gradients back across ranks.

``dist.all_reduce`` and friends write into their argument and record nothing; these record a graph node, so a loss
built from another rank's values sends its gradient back to that rank (contrastive losses gather the features of
every rank this way; lucidrains' LFQ averages its codebook entropy over the ranks). Each backward is the adjoint
collective: an all-reduce's gradient is the all-reduce of the gradients; a gather's gradient for this rank is the sum
over the ranks of the gradient of this rank's slot; a broadcast's gradient reaches ``src`` as the sum over the ranks.
A one-process world passes values and gradients through unchanged.
"""

from __future__ import annotations

from typing import Any

from ...autograd.primitive import Function
from ...autograd.tensor import Tensor
from ..comm import Context
from ..torch_api import ReduceOp, _group

__all__ = ["all_gather", "all_reduce", "broadcast"]


def _sum(ctx: Context, xp: Any, array: Any, backend: Any) -> Any:
    return array if ctx.world_size == 1 else ctx.transport.allreduce_sum(array, backend)  # type: ignore[union-attr]


class AllReduceFunction(Function):
    """The sum (or mean) of ``a`` over the ranks; the gradient is reduced the same way."""

    group: Context
    average: bool

    def forward(self, xp: Any, a: Any) -> Any:
        total = _sum(self.group, xp, a, self.backend)
        return total / self.group.world_size if self.average else total

    def backward(self, xp: Any, g: Any) -> Any:
        total = _sum(self.group, xp, g, self.backend)
        return total / self.group.world_size if self.average else total


class AllGatherFunction(Function):
    """Every rank's ``a`` stacked along a new first axis, ``(world_size, *a.shape)``."""

    group: Context

    def forward(self, xp: Any, a: Any) -> Any:
        ctx = self.group
        if ctx.world_size == 1:
            return xp.expand_dims(a, axis=0)
        # this rank's row and zeros elsewhere, summed over the ranks (the transports sum)
        rows = xp.reshape(xp.arange(ctx.world_size, device=self.backend.device) == ctx.rank,
                          (ctx.world_size,) + (1,) * a.ndim)
        mine = xp.where(rows, xp.expand_dims(a, axis=0), xp.zeros_like(xp.expand_dims(a, axis=0)))
        return _sum(ctx, xp, mine, self.backend)

    def backward(self, xp: Any, g: Any) -> Any:
        return _sum(self.group, xp, g, self.backend)[self.group.rank, ...]


class BroadcastFunction(Function):
    """Rank ``src``'s ``a`` on every rank; the gradients of all ranks summed reach ``src`` (zero elsewhere)."""

    group: Context
    src: int

    def forward(self, xp: Any, a: Any) -> Any:
        ctx = self.group
        return a if ctx.world_size == 1 else ctx.transport.broadcast(a, self.backend, self.src)  # type: ignore

    def backward(self, xp: Any, g: Any) -> Any:
        total = _sum(self.group, xp, g, self.backend)
        return total if self.group.rank == self.src else xp.zeros_like(total)


def _check_tensor(op: str, tensor: Any) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{op}: expected a Tensor, got {type(tensor).__name__}")


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Any = None) -> Tensor:
    """A new Tensor holding ``tensor`` summed (``ReduceOp.SUM``) or averaged (``ReduceOp.AVG``) over the ranks;
    the gradient flows back to every rank. ``tensor`` is left as it is.

    Raises NotImplementedError for PRODUCT/MIN/MAX (the transports sum)."""
    _check_tensor("all_reduce", tensor)
    ctx = _group(group)
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a dist.ReduceOp, got {op!r}")
    if op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise NotImplementedError(f"torch.distributed.nn.all_reduce(op=ReduceOp.{op.name}): anynn's transports sum; "
                                  "SUM and AVG are supported")
    return AllReduceFunction.apply(tensor, group=ctx, average=op is ReduceOp.AVG)


def all_gather(tensor: Tensor, group: Any = None) -> tuple[Tensor, ...]:
    """Every rank's ``tensor`` (all of one shape), one Tensor per rank in rank order; a gradient on any of them
    reaches the rank it came from."""
    _check_tensor("all_gather", tensor)
    ctx = _group(group)
    return tuple(AllGatherFunction.apply(tensor, group=ctx).unbind(0))


def broadcast(tensor: Tensor, src: int, group: Any = None) -> Tensor:
    """Rank ``src``'s ``tensor`` as a new Tensor on every rank; the gradients of every rank reach ``src``."""
    _check_tensor("broadcast", tensor)
    ctx = _group(group)
    if not 0 <= src < ctx.world_size:
        raise ValueError(f"broadcast: src must be a rank in [0, {ctx.world_size}), got {src}")
    return BroadcastFunction.apply(tensor, group=ctx, src=src)
