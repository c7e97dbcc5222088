"""`init`: join the MPI job, pick this rank's device, and helpers so that only rank 0 talks.

    import anynn.distributed as dist
    ctx = dist.init(backend="numpy")        # or "cupy": one GPU per rank, NCCL between them
    print(ctx.rank, ctx.world_size, ctx.local_rank, ctx.backend)

Without mpi4py, or outside ``mpiexec``, `init` gives a one-process world (rank 0 of 1), so a script
written for several ranks also runs alone.

The collectives go through ``Context.transport`` (see `anynn.distributed.transport.Transport`): a
`Context` built by hand around another transport (one that sums buffers between threads of one
process, say) runs `GradientReducer`, `DistributedOptimizer` and `broadcast_parameters` without MPI::

    ctx = Context(rank=r, world_size=n, backend=get_backend("numpy"), transport=my_transport)
    optimizer = DistributedOptimizer(optim.SGD(model.parameters(), lr=0.1), context=ctx)
"""

from __future__ import annotations

import contextlib
import functools
import io
import logging
import os
import sys
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from ..backend import Backend, get_backend
from .transport import HostTransport, Transport
from .watchdog import Watchdog

DEFAULT_TIMEOUT = 600.0  # seconds a collective may block before the job is aborted (as PyTorch's NCCL default)
_RANK_VARIABLES = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "PMIX_RANK", "SLURM_PROCID")
_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS")


@dataclass(kw_only=True)
class Context:
    """This process's place in the job (returned by `init`, or built by hand around a transport).

    Attributes
    ----------
    rank, world_size : int
        This process's number among all ranks, and how many there are.
    local_rank, local_size : int
        The same on this node (ranks sharing memory); ``local_rank`` picks the GPU. Default: ``rank``
        and ``world_size`` (every rank on one node).
    backend : Backend
        Where this rank's model lives (``cupy:<local_rank % gpus>`` on CuPy).
    comm : mpi4py communicator or None
        A duplicate of ``MPI.COMM_WORLD`` owned by anynn (``None`` in a one-process world).
    transport : Transport or None
        Sums and broadcasts flat buffers of ``backend`` (`HostTransport`, `NcclTransport`...);
        ``None`` in a one-process world.
    watchdog : Watchdog
        Aborts the job when a collective call blocks longer than ``timeout`` seconds (default: none).
    """

    rank: int
    world_size: int
    backend: Backend
    transport: Transport | None
    local_rank: int | None = None
    local_size: int | None = None
    comm: Any = None
    watchdog: Watchdog = field(default_factory=lambda: Watchdog(None, _abort))

    def __post_init__(self) -> None:
        if not 0 <= self.rank < self.world_size:
            raise ValueError(f"Context: rank must be in [0, {self.world_size}), got {self.rank}")
        if self.world_size > 1 and self.transport is None:
            raise ValueError(f"Context: a world of {self.world_size} ranks needs a transport")
        if self.local_rank is None:
            self.local_rank = self.rank
        if self.local_size is None:
            self.local_size = self.world_size

    @property
    def is_main_process(self) -> bool:
        return self.rank == 0


_context: Context | None = None


def init(backend: Any = None, timeout: float | None = DEFAULT_TIMEOUT, gpu_transport: str = "nccl",
         abort_on_exception: bool = True) -> Context:
    """Join the job started by ``mpiexec`` (or make a one-process world) and return its `Context`.

    Parameters
    ----------
    backend : str or Backend, optional
        The model's backend. ``"cupy"`` (or ``"auto"`` resolving to it) binds rank ``r`` to GPU
        ``local_rank % gpu_count`` and makes it CuPy's current device.
    timeout : float or None
        Seconds one collective (allreduce, broadcast, barrier) may block before the watchdog prints
        which rank waited in which call and aborts every rank with ``MPI.COMM_WORLD.Abort``.
        ``None``: wait for ever.
    gpu_transport : {"nccl", "mpi", "host"}
        How CuPy buffers travel (`Backend.collective_transport`): NCCL (``cupy.cuda.nccl``), a CUDA-aware MPI
        given device pointers, or a copy through host memory and ordinary MPI. Ignored off CuPy.
    abort_on_exception : bool
        An uncaught exception on one rank prints its traceback and aborts all ranks, instead of
        leaving the others waiting in the next allreduce.

    Raises
    ------
    ImportError
        Started by ``mpiexec`` with several ranks but mpi4py is missing (``pip install 'anynn[mpi]'``).
    """
    global _context
    if _context is not None:
        return _context
    if gpu_transport not in ("nccl", "mpi", "host"):
        raise ValueError(f"gpu_transport must be 'nccl', 'mpi' or 'host', not {gpu_transport!r}")
    try:
        from mpi4py import MPI
    except ImportError:
        if _launched_size() > 1:
            raise ImportError("anynn.distributed: this process was started with several ranks but mpi4py is "
                              "not installed: pip install 'anynn[mpi]'") from None
        MPI = None
    if MPI is None or MPI.COMM_WORLD.Get_size() == 1:
        comm = None if MPI is None else MPI.COMM_WORLD.Dup()
        rank, size, local_rank, local_size = 0, 1, 0, 1
    else:
        comm = MPI.COMM_WORLD.Dup()
        comm.Set_errhandler(MPI.ERRORS_RETURN)  # MPI failures raise MPI.Exception rather than abort silently
        rank, size = comm.Get_rank(), comm.Get_size()
        node = comm.Split_type(MPI.COMM_TYPE_SHARED, key=rank)
        local_rank, local_size = node.Get_rank(), node.Get_size()
        node.Free()
    watchdog = Watchdog(timeout, _abort, rank)
    be = get_backend(get_backend(backend).rank_device_key(local_rank)[0])  # GPU libraries: this rank's device
    transport: Any = HostTransport(comm, watchdog) if comm is not None else None
    if comm is not None and gpu_transport != "host":
        transport = be.collective_transport(comm, watchdog, gpu_transport, local_size) or transport
    if abort_on_exception and size > 1:
        _install_excepthook()
    _context = Context(rank=rank, world_size=size, backend=be, transport=transport, local_rank=local_rank,
                       local_size=local_size, comm=comm, watchdog=watchdog)
    return _context


def reset() -> None:
    """Forget the current `Context` (PyTorch's ``destroy_process_group``): its communicator is freed, and the next
    `init` joins the job again."""
    global _context
    ctx, _context = _context, None
    if ctx is not None and ctx.comm is not None:
        with contextlib.suppress(Exception):  # a communicator MPI already finalized
            ctx.comm.Free()


def get_context() -> Context:
    """The `Context` of `init` (calling `init()` with its defaults if it was not called yet)."""
    return _context if _context is not None else init()


def is_initialized() -> bool:
    return _context is not None


def rank() -> int:
    """This process's rank; before `init`, read from the launcher's environment (0 when alone)."""
    return _context.rank if _context is not None else _from_environment(_RANK_VARIABLES, 0)


def world_size() -> int:
    """The number of ranks; before `init`, read from the launcher's environment (1 when alone)."""
    return _context.world_size if _context is not None else _launched_size()


def local_rank() -> int:
    """This process's rank on its node (0 before `init`)."""
    return _context.local_rank if _context is not None else 0


def is_main_process() -> bool:
    """True on rank 0, the rank that logs, shows progress and writes checkpoints."""
    return rank() == 0


def barrier() -> None:
    """Wait until every rank gets here (under the watchdog's timeout)."""
    ctx = get_context()
    if ctx.comm is not None and ctx.world_size > 1:
        with ctx.watchdog.watch("Barrier"):
            ctx.comm.Barrier()


class main_process_only:  # noqa: N801 - reads as a decorator and a context manager
    """Run a function on rank 0 only, or silence a block of code on the other ranks.

    As a decorator, the function runs on rank 0 and returns ``None`` elsewhere (no collective calls
    inside it, or the other ranks would wait for ever)::

        @main_process_only
        def save(path): anynn.io.save_checkpoint(path, model, optimizer)

    As a context manager, the block runs on every rank, but on ranks other than 0 its ``print``
    output, its progress bars (stdout and stderr) and its `logging` records are dropped::

        with main_process_only():
            history = fit(model, loss, optimizer, batches, verbose=1)
    """

    def __init__(self, fn: Callable[..., Any] | None = None) -> None:
        self.fn = fn
        self._stack: contextlib.ExitStack | None = None
        if fn is not None:
            functools.update_wrapper(self, fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.fn is None:
            raise TypeError("main_process_only() without a function is a context manager: use `with`")
        return self.fn(*args, **kwargs) if is_main_process() else None

    def __enter__(self) -> "main_process_only":
        if not is_main_process():
            stack = contextlib.ExitStack()
            sink = stack.enter_context(open(os.devnull, "w"))  # noqa: SIM115 - closed by the stack
            stack.enter_context(contextlib.redirect_stdout(sink))
            stack.enter_context(contextlib.redirect_stderr(sink))
            stack.enter_context(_logging_disabled())
            self._stack = stack
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._stack is not None:
            self._stack.close()
            self._stack = None


@contextlib.contextmanager
def _logging_disabled() -> Iterator[None]:
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


def _from_environment(names: tuple[str, ...], default: int) -> int:
    for name in names:
        value = os.environ.get(name)
        if value is not None and value.isdigit():
            return int(value)
    return default


def _launched_size() -> int:
    return _from_environment(_SIZE_VARIABLES, 1)


def _abort() -> None:
    from mpi4py import MPI

    MPI.COMM_WORLD.Abort(1)


def _install_excepthook() -> None:
    previous = sys.excepthook

    def hook(kind: Any, value: Any, tb: Any) -> None:
        buffer = io.StringIO()
        traceback.print_exception(kind, value, tb, file=buffer)
        sys.stderr.write(f"anynn.distributed: uncaught exception on rank {rank()}; aborting all ranks\n"
                         + buffer.getvalue())
        sys.stderr.flush()
        if previous is not sys.__excepthook__:
            previous(kind, value, tb)
        _abort()

    sys.excepthook = hook
