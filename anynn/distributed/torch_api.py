"""PyTorch's ``torch.distributed`` names over anynn's MPI world, so that training scripts import and run unchanged.

``init_process_group`` joins the job ``mpiexec`` started (`init`), or makes a one-process world; a launch by
``torchrun`` with several processes (``WORLD_SIZE`` above 1 and no MPI world) is refused with the command to use
instead. The collectives (``all_reduce``, ``broadcast``, ``barrier``) work on Tensors in place, as PyTorch's, on
the current `Context`; a ``group`` argument may be a `Context` (tests build several in one process).

`DistributedDataParallel` (exposed as ``anynn.nn.parallel.DistributedDataParallel``) is PyTorch's wrapper: a
Module whose ``state_dict`` keys start with ``module.``, parameters and buffers copied from rank 0 when wrapped,
and every parameter's gradient averaged over the ranks during ``backward()`` (unless inside ``no_sync()``).
"""

from __future__ import annotations

import contextlib
import enum
import functools
import importlib.util
import os
from collections.abc import Iterator
from typing import Any

from ..autograd.mode import no_grad
from ..autograd.tensor import Tensor
from ..nn.module import Module
from . import comm
from .comm import Context, get_context, init, is_initialized
from .ddp import broadcast_parameters

__all__ = ["DistributedDataParallel", "ReduceOp", "all_gather", "all_reduce", "barrier", "broadcast",
           "destroy_process_group",
           "get_rank", "get_world_size", "init_process_group", "is_available", "is_backend_available",
           "is_gloo_available", "is_initialized", "is_mpi_available", "is_nccl_available", "is_torchelastic_launched"]


class ReduceOp(enum.Enum):
    """How `all_reduce` combines the ranks' tensors (PyTorch's ``dist.ReduceOp``)."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


def is_available() -> bool:
    """Whether the distributed package can be used (always: a one-process world needs no MPI)."""
    return True


def is_mpi_available() -> bool:
    """Whether ranks can join through MPI here: mpi4py is installed (``pip install 'anynn[mpi]'``). anynn moves
    buffers over MPI whatever backend name `init_process_group` is given."""
    return importlib.util.find_spec("mpi4py") is not None


def is_gloo_available() -> bool:
    """True, as PyTorch's CPU build answers: ``init_process_group("gloo")`` is accepted (the transport is MPI)."""
    return True


def is_nccl_available() -> bool:
    """Whether ``"nccl"`` has GPUs to join: a CUDA device is usable for the default backend (NCCL between CuPy GPUs,
    PyTorch's own for torch data); False on a CPU machine, as PyTorch's CPU build answers."""
    from ..backend import default_backend
    from ..backend.torch_names import cuda_available

    return cuda_available(default_backend())


def is_backend_available(backend: str) -> bool:
    """Whether `init_process_group` takes ``backend`` here ("gloo", "mpi", "nccl": the functions above)."""
    answers = {"gloo": is_gloo_available, "mpi": is_mpi_available, "nccl": is_nccl_available}
    return str(backend).lower() in answers and answers[str(backend).lower()]()


def is_torchelastic_launched() -> bool:
    """Whether torchrun (torchelastic) started this process: its ``TORCHELASTIC_RUN_ID`` is set, as PyTorch reads it.
    anynn joins ranks through MPI (``mpiexec``), so such a job needs `init_process_group`'s advice."""
    return os.environ.get("TORCHELASTIC_RUN_ID") is not None


def init_process_group(backend: str | None = None, init_method: str | None = None, timeout: Any = None,
                       world_size: int = -1, rank: int = -1, store: Any = None, group_name: str = "",
                       pg_options: Any = None, device_id: Any = None) -> None:
    """Join the job, as PyTorch's ``dist.init_process_group``.

    ``backend`` ("gloo", "nccl", "mpi") names PyTorch's transport and is accepted: anynn moves buffers over MPI
    (NCCL between CuPy GPUs), for the default array backend. ``world_size``/``rank``, if given, must be the MPI
    world's. Start several processes with ``mpiexec -n N python train.py`` (``pip install 'anynn[mpi]'``).
    """
    launched = int(os.environ.get("WORLD_SIZE", "1") or 1)
    ctx = init()
    if launched > ctx.world_size:
        raise RuntimeError(f"init_process_group: this process was launched as one of {launched} (WORLD_SIZE, as "
                           "torchrun sets it), but anynn joins ranks through MPI and found a world of "
                           f"{ctx.world_size}; start the job with mpiexec -n {launched} python <script> instead"
                           + ("" if is_mpi_available() else " (mpi4py and mpiexec: pip install 'anynn[mpi]')"))
    if world_size not in (-1, ctx.world_size) or rank not in (-1, ctx.rank):
        raise ValueError(f"init_process_group: world_size={world_size}, rank={rank} given, but this process is "
                         f"rank {ctx.rank} of a world of {ctx.world_size}")


def destroy_process_group(group: Any = None) -> None:
    """Leave the job (PyTorch's ``dist.destroy_process_group``): a later `init_process_group` joins it again."""
    comm.reset()


def _group(group: Any) -> Context:
    if group is None:
        if not is_initialized():
            raise ValueError("Default process group has not been initialized, please make sure to call "
                             "init_process_group.")
        return get_context()
    if isinstance(group, Context):
        return group
    raise TypeError(f"group must be None (the default group) or an anynn.distributed.Context, got "
                    f"{type(group).__name__}")


def get_rank(group: Any = None) -> int:
    """This process's rank in the default group (PyTorch's ``dist.get_rank``)."""
    return _group(group).rank


def get_world_size(group: Any = None) -> int:
    """The number of ranks in the default group (PyTorch's ``dist.get_world_size``)."""
    return _group(group).world_size


def barrier(group: Any = None, async_op: bool = False, device_ids: Any = None) -> None:
    """Wait until every rank reaches this call."""
    ctx = _group(group)
    if ctx.world_size > 1 and ctx.transport is not None:  # a sum of nothing: every rank waits for the others
        ctx.transport.allreduce_sum(ctx.backend.xp.zeros((1,)), ctx.backend)


def all_reduce(tensor: Tensor, op: ReduceOp = ReduceOp.SUM, group: Any = None, async_op: bool = False) -> None:
    """Combine ``tensor`` over the ranks in place: every rank ends with the sum (or the mean, ``ReduceOp.AVG``).

    Raises
    ------
    NotImplementedError
        ``ReduceOp.PRODUCT``, ``MIN`` or ``MAX`` with several ranks (the transports sum), or ``async_op=True``.
    """
    ctx = _group(group)
    if async_op:
        raise NotImplementedError("all_reduce(async_op=True): anynn's collectives are blocking")
    if not isinstance(op, ReduceOp):
        raise TypeError(f"all_reduce: op must be a dist.ReduceOp, got {op!r}")
    if ctx.world_size == 1:
        return
    if op not in (ReduceOp.SUM, ReduceOp.AVG):
        raise NotImplementedError(f"all_reduce(op=ReduceOp.{op.name}) over several ranks: anynn's transports sum; "
                                  "SUM and AVG are supported")
    total = ctx.transport.allreduce_sum(tensor.array, tensor.backend)  # type: ignore[union-attr]
    with no_grad():
        tensor.copy_(Tensor._make(total / ctx.world_size if op is ReduceOp.AVG else total, tensor.backend, None, 0))


def broadcast(tensor: Tensor, src: int, group: Any = None, async_op: bool = False) -> None:
    """Copy rank ``src``'s ``tensor`` into every rank's ``tensor``, in place."""
    ctx = _group(group)
    if async_op:
        raise NotImplementedError("broadcast(async_op=True): anynn's collectives are blocking")
    if not 0 <= src < ctx.world_size:
        raise ValueError(f"broadcast: src must be a rank in [0, {ctx.world_size}), got {src}")
    if ctx.world_size == 1:
        return
    value = ctx.transport.broadcast(tensor.array, tensor.backend, src)  # type: ignore[union-attr]
    with no_grad():
        tensor.copy_(Tensor._make(value, tensor.backend, None, 0))


def all_gather(tensor_list: list[Tensor], tensor: Tensor, group: Any = None, async_op: bool = False) -> None:
    """Every rank's ``tensor`` into ``tensor_list`` (one Tensor per rank, ``tensor``'s shape), in place, as PyTorch's
    ``dist.all_gather`` (no gradient flows through it, as in PyTorch). MoCo gathers its keys with it.

    Built on the transports' sum: each rank contributes a buffer that is zero except for its own row.
    """
    ctx = _group(group)
    if async_op:
        raise NotImplementedError("all_gather(async_op=True): anynn's collectives are blocking")
    if len(tensor_list) != ctx.world_size:
        raise ValueError(f"all_gather: tensor_list must hold one Tensor per rank ({ctx.world_size}), got "
                         f"{len(tensor_list)}")
    for i, out in enumerate(tensor_list):
        if not isinstance(out, Tensor) or tuple(out.shape) != tuple(tensor.shape):
            given = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
            raise ValueError(f"all_gather: tensor_list[{i}] must be a Tensor of the input's shape "
                             f"{tuple(tensor.shape)}, got {given}")
    if ctx.world_size == 1:
        with no_grad():
            tensor_list[0].copy_(tensor)
        return
    xp = tensor.backend.xp
    flat = xp.reshape(tensor.array, (1, -1))
    rows = xp.arange(ctx.world_size, device=tensor.backend.device)[:, None] == ctx.rank
    mine = xp.where(rows, flat, xp.zeros_like(flat))  # (world_size, numel): this rank's row only
    total = ctx.transport.allreduce_sum(xp.reshape(mine, (-1,)), tensor.backend)  # type: ignore[union-attr]
    total = xp.reshape(total, (ctx.world_size,) + tuple(tensor.shape))
    with no_grad():
        for i, out in enumerate(tensor_list):
            out.copy_(Tensor._make(total[i, ...], tensor.backend, None, 0))


class DistributedDataParallel(Module):
    """PyTorch's ``nn.parallel.DistributedDataParallel``: ``module`` replicated on every rank.

    When wrapped, rank 0's parameters and buffers are copied to every rank. ``forward`` calls ``module``; during
    ``backward()`` each parameter's gradient is averaged over the ranks (a hook per parameter; none in a
    one-process world), so the optimizer steps alike everywhere. ``no_sync()`` skips the averaging (gradient
    accumulation: the gradients are summed locally and averaged by the first backward outside it, as PyTorch's).
    ``state_dict`` keys start with ``module.``, as PyTorch's; save ``model.module.state_dict()`` for the bare ones.

    Parameters
    ----------
    module : Module
        The model, on this rank's backend.
    device_ids, output_device, dim, find_unused_parameters, gradient_as_bucket_view, static_graph,
    bucket_cap_mb : accepted for PyTorch's signature (they choose devices and PyTorch's bucketing).
    broadcast_buffers : bool
        Copy rank 0's buffers (running statistics) at wrapping, as PyTorch does before each forward.
    process_group : Context, optional
        The group (default: the current `Context`).
    """

    _device_argument = False

    def __init__(self, module: Module, device_ids: Any = None, output_device: Any = None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group: Any = None, bucket_cap_mb: float | None = None,
                 find_unused_parameters: bool = False, check_reduction: bool = False,
                 gradient_as_bucket_view: bool = False, static_graph: bool = False, **kwargs: Any) -> None:
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be an anynn.nn.Module, got "
                            f"{type(module).__name__}")
        self.module = module
        self.device_ids = device_ids
        self.output_device = output_device
        self.dim = dim
        self.broadcast_buffers = broadcast_buffers
        self.require_backward_grad_sync = True
        ctx = process_group if process_group is not None else get_context()
        if not isinstance(ctx, Context):
            raise TypeError(f"DistributedDataParallel: process_group must be an anynn.distributed.Context, got "
                            f"{type(ctx).__name__}")
        self.process_group = ctx
        tensors = list(module.parameters()) + (list(module.buffers()) if broadcast_buffers else [])
        broadcast_parameters(tensors, 0, ctx)
        self._handles = [] if ctx.world_size == 1 else [
            p.register_hook(functools.partial(self._average, p)) for p in module.parameters() if p.requires_grad]

    def _average(self, parameter: Tensor, grad: Tensor) -> Tensor | None:
        """The hook of ``parameter``: its whole gradient (this pass's ``grad`` plus what ``no_sync`` passes left in
        ``.grad``) averaged over the ranks becomes its ``.grad``, as PyTorch's reducer averages the buckets."""
        if not self.require_backward_grad_sync:
            return None
        ctx = self.process_group
        local = grad.array if parameter.grad is None else grad.array + parameter.grad.array
        averaged = ctx.transport.allreduce_sum(local, grad.backend) / ctx.world_size  # type: ignore[union-attr]
        parameter.grad = None  # the engine stores the returned gradient in its place
        return Tensor._make(averaged, grad.backend, None, 0)

    def forward(self, *inputs: Any, **kwargs: Any) -> Any:
        return self.module(*inputs, **kwargs)

    @contextlib.contextmanager
    def no_sync(self) -> Iterator[None]:
        """Backward passes inside skip the averaging; their gradients add up locally."""
        previous, self.require_backward_grad_sync = self.require_backward_grad_sync, False
        try:
            yield
        finally:
            self.require_backward_grad_sync = previous
