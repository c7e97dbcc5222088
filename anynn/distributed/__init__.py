"""Data-parallel training over MPI (mpi4py), with NCCL between GPUs on CuPy.

Start one process per CPU socket or per GPU with ``mpiexec -n 4 python train.py``; in the script::

    import anynn.distributed as dist
    ctx = dist.init(backend="numpy")                       # rank, world size, this rank's device
    model = nn.Sequential(..., backend=ctx.backend, seed=0)
    dist.broadcast_parameters(model)                        # every rank starts from rank 0's weights
    optimizer = dist.DistributedOptimizer(optim.Adam(model.parameters()))   # averages gradients
    batches = dist.DistributedBatches(dataset, batch_size=32, seed=0, backend=ctx.backend)
    with dist.main_process_only():                          # only rank 0 prints and shows progress
        fit(model, loss, optimizer, batches, epochs=10)

Install the ``mpi`` extra (``pip install 'anynn[mpi]'``: mpi4py and the MPICH wheel with ``mpiexec``).
Without mpi4py, or run without ``mpiexec``, everything works as a one-process world.
"""

from .comm import (Context, barrier, get_context, init, is_initialized, is_main_process, local_rank,
                   main_process_only, rank, world_size)
from .ddp import DistributedDataParallel, DistributedOptimizer, GradientReducer, broadcast_parameters
from .sampler import DistributedBatches, DistributedSampler
from .torch_api import (ReduceOp, all_gather, all_reduce, broadcast, destroy_process_group, get_rank, get_world_size,
                        init_process_group, is_available, is_backend_available, is_gloo_available, is_mpi_available,
                        is_nccl_available, is_torchelastic_launched)
from .watchdog import Watchdog

__all__ = [
    "Context", "DistributedBatches", "DistributedDataParallel", "DistributedOptimizer", "DistributedSampler",
    "GradientReducer", "Watchdog", "barrier", "broadcast_parameters", "get_context", "init", "is_initialized",
    "is_main_process", "local_rank", "main_process_only", "rank", "world_size",
    # PyTorch's torch.distributed names (torch_api)
    "ReduceOp", "all_gather", "all_reduce", "broadcast", "destroy_process_group", "get_rank", "get_world_size",
    "init_process_group", "is_available", "is_backend_available", "is_gloo_available", "is_mpi_available",
    "is_nccl_available", "is_torchelastic_launched",
]
