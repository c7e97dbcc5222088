"""Data parallelism: average gradients over ranks with bucketed allreduces; broadcast the start.

Each rank computes gradients on its own shard of the batch; before the optimizer step they are
summed over ranks and divided by the number of ranks, so every rank takes the same step as one
process would on the whole batch. Gradients are packed into flat buckets (one per dtype and about
``bucket_cap_mb`` MiB), one allreduce per bucket: a few large messages instead of one per parameter.
"""

from __future__ import annotations

from typing import Any, Iterable

import numpy as np

from ..autograd import Tensor
from ..autograd.mode import enable_grad, no_grad
from ..backend import dtype_name
from .comm import Context, get_context

DEFAULT_BUCKET_MB = 25.0  # PyTorch DDP's default bucket size


class GradientReducer:
    """Average the ``.grad`` of ``params`` over all ranks, in buckets.

    Parameters
    ----------
    params : iterable of Tensor
        The parameters, in the same order on every rank (``model.parameters()`` is).
    bucket_cap_mb : float
        Largest bucket in MiB; a parameter bigger than that gets a bucket of its own.
    context : Context, optional
        From `init` (default: the current one).

    Notes
    -----
    A parameter without a gradient on a rank counts as a zero gradient there; one without a
    gradient on every rank keeps ``grad = None``. The presence flags travel in the same buckets.
    """

    def __init__(self, params: Iterable[Tensor], bucket_cap_mb: float = DEFAULT_BUCKET_MB,
                 context: Context | None = None) -> None:
        if not bucket_cap_mb > 0:
            raise ValueError(f"bucket_cap_mb must be positive, got {bucket_cap_mb!r}")
        self.params = [p for p in params if p.requires_grad]
        self.bucket_cap_bytes = int(bucket_cap_mb * 2**20)
        self.context = context

    def buckets(self) -> list[list[Tensor]]:
        """The parameters grouped for one allreduce each: same backend and dtype, in order, capped in size."""
        return plan_buckets(self.params, self.bucket_cap_bytes)

    def reduce(self) -> None:
        """Replace every gradient by its average over the ranks (a no-op with one rank)."""
        ctx = self.context or get_context()
        if ctx.world_size == 1:
            return
        with no_grad():
            for bucket in self.buckets():
                _reduce_bucket(bucket, ctx)


def plan_buckets(tensors: list[Tensor], cap_bytes: int) -> list[list[Tensor]]:
    """Split ``tensors`` into runs of one (backend, dtype), each at most ``cap_bytes`` (unless one tensor is bigger)."""
    buckets: list[list[Tensor]] = []
    open_bucket: dict[tuple[str, str], tuple[list[Tensor], list[int]]] = {}
    for t in tensors:
        key = (t.backend.key, dtype_name(t.array.dtype))
        size = _nbytes(t)
        current = open_bucket.get(key)
        if current is None or (current[0] and current[1][0] + size > cap_bytes):
            current = ([], [0])
            open_bucket[key] = current
            buckets.append(current[0])
        current[0].append(t)
        current[1][0] += size
    return buckets


def _nbytes(t: Tensor) -> int:
    return int(np.prod(t.shape, dtype=np.int64)) * np.dtype(dtype_name(t.array.dtype)).itemsize


def _reduce_bucket(bucket: list[Tensor], ctx: Context) -> None:
    backend = bucket[0].backend
    xp = backend.xp
    like = bucket[0].array
    present = [p.grad is not None for p in bucket]
    pieces = [xp.reshape(p.grad.array if p.grad is not None else xp.zeros_like(p.array), (-1,)) for p in bucket]
    flags = backend.from_host(np.asarray(present, dtype=dtype_name(like.dtype)))
    flat = ctx.transport.allreduce_sum(xp.concat(pieces + [flags]), backend)
    counts = backend.to_host(flat[-len(bucket):])
    scale = 1.0 / ctx.world_size
    offset = 0
    for p, piece, count in zip(bucket, pieces, counts):
        n = piece.shape[0]
        if count > 0:
            grad = xp.reshape(flat[offset:offset + n], tuple(p.shape)) * scale
            p.grad = Tensor._make(grad, backend, None, 0)
        offset += n


def broadcast_parameters(model: Any, root: int = 0, context: Context | None = None,
                         bucket_cap_mb: float = DEFAULT_BUCKET_MB) -> None:
    """Copy rank ``root``'s parameters and buffers to every rank, so all ranks start equal.

    Parameters
    ----------
    model : Module or iterable of Tensor
        A module (its parameters and buffers) or the tensors themselves.
    root : int
        The rank whose values win.
    """
    ctx = context or get_context()
    if hasattr(model, "parameters") and hasattr(model, "buffers"):
        tensors = list(model.parameters()) + list(model.buffers())  # the live tensors (state_dict detaches)
    else:
        tensors = list(model)
    if ctx.world_size == 1:
        return
    if not 0 <= root < ctx.world_size:
        raise ValueError(f"broadcast_parameters: root must be a rank in [0, {ctx.world_size}), got {root}")
    with no_grad():
        for bucket in plan_buckets(tensors, int(bucket_cap_mb * 2**20)):
            backend = bucket[0].backend
            xp = backend.xp
            flat = xp.concat([xp.reshape(t.array, (-1,)) for t in bucket])
            flat = ctx.transport.broadcast(flat, backend, root)
            if ctx.rank == root:
                continue
            offset = 0
            for t in bucket:
                n = int(np.prod(t.shape, dtype=np.int64))
                # a copy: parameters own their memory (optimizers update them in place)
                t.array = xp.asarray(xp.reshape(flat[offset:offset + n], tuple(t.shape)), copy=True)
                offset += n


class DistributedOptimizer:
    """Wrap an optimizer so that ``step()`` first averages the gradients over all ranks (Horovod's way).

    Everything else (``zero_grad``, ``param_groups``, ``state_dict``, LR schedulers) goes to the
    wrapped optimizer, so `anynn.train.fit` and checkpoints work unchanged.

    Parameters
    ----------
    optimizer : Optimizer
        Built on the model's parameters as usual.
    bucket_cap_mb : float
        Bucket size of the allreduce (see `GradientReducer`).
    context : Context, optional
        From `init` (default: the current one).

    Examples
    --------
    >>> dist.broadcast_parameters(model)  # doctest: +SKIP
    >>> optimizer = dist.DistributedOptimizer(optim.Adam(model.parameters(), lr=1e-3))  # doctest: +SKIP
    """

    def __init__(self, optimizer: Any, bucket_cap_mb: float = DEFAULT_BUCKET_MB,
                 context: Context | None = None) -> None:
        self.optimizer = optimizer
        params = [p for group in optimizer.param_groups for p in group["params"]]
        self.reducer = GradientReducer(params, bucket_cap_mb, context)

    def step(self, closure: Any = None) -> Any:
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        self.reducer.reduce()
        self.optimizer.step()
        return loss

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["optimizer"], name)

    def __repr__(self) -> str:
        return f"DistributedOptimizer({self.optimizer!r})"


class DistributedDataParallel:
    """A model replicated on every rank: broadcast from rank 0 when wrapped, gradients averaged on request.

    Calling it calls the model. After ``loss.backward()`` call `reduce_gradients` (or wrap the
    optimizer in `DistributedOptimizer` instead, which does it inside ``step``). ``state_dict`` and
    ``load_state_dict`` are the model's own, with the same keys, so checkpoints load into the bare model.

    Parameters
    ----------
    module : Module
        The model, already on this rank's backend (``init(...).backend``).
    bucket_cap_mb : float
        Bucket size of the allreduce (see `GradientReducer`).
    broadcast : bool
        Copy rank 0's parameters and buffers to every rank now.
    context : Context, optional
        From `init` (default: the current one).
    """

    def __init__(self, module: Any, bucket_cap_mb: float = DEFAULT_BUCKET_MB, broadcast: bool = True,
                 context: Context | None = None) -> None:
        self.module = module
        self.reducer = GradientReducer(module.parameters(), bucket_cap_mb, context)
        if broadcast:
            broadcast_parameters(module, 0, context, bucket_cap_mb)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.module(*args, **kwargs)

    def reduce_gradients(self) -> None:
        """Average every parameter's gradient over the ranks (call after ``backward``, before ``step``)."""
        self.reducer.reduce()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.__dict__["module"], name)

    def __repr__(self) -> str:
        return f"DistributedDataParallel({self.module!r})"
