"""Host transport: sums and broadcasts of flat buffers over MPI, staged through NumPy.

Used for NumPy, PyTorch (CPU or not: the buffer goes through the host) and array-api-strict
tensors, and for CuPy when ``init(gpu_transport="host")``. The GPU transports are the backend's
(`Backend.collective_transport`; CuPy's in `anynn.backend.cupy_nccl`).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ..backend import Backend
from .watchdog import Watchdog


class Transport(Protocol):
    """What the data-parallel code needs from the ranks' connection: two collectives on flat buffers.

    Every rank calls them in the same order with buffers of the same size and dtype. `HostTransport`
    (MPI through host memory), `NcclTransport` and `CudaAwareMpiTransport` (GPUs) implement it; so can
    a test double that connects threads of one process (a `Context` built around it needs no MPI).
    """

    name: str

    def allreduce_sum(self, array: Any, backend: Backend) -> Any:
        """The element-wise sum of ``array`` (1-D, native to ``backend``) over all ranks, on ``backend``."""
        ...

    def broadcast(self, array: Any, backend: Backend, root: int) -> Any:
        """Rank ``root``'s ``array`` (1-D) on every rank, on ``backend``."""
        ...


class HostTransport:
    """Collectives on one flat native array of any backend, through a C-contiguous NumPy buffer.

    Parameters
    ----------
    comm : mpi4py communicator
        The ranks taking part.
    watchdog : Watchdog
        Bounds every blocking call.
    """

    name = "mpi (host buffers)"

    def __init__(self, comm: Any, watchdog: Watchdog) -> None:
        self.comm = comm
        self.watchdog = watchdog

    def allreduce_sum(self, array: Any, backend: Backend) -> Any:
        """The element-wise sum of ``array`` (1-D) over all ranks, as a native array of ``backend``."""
        from mpi4py import MPI

        host = _writeable_host(array, backend)
        with self.watchdog.watch(f"Allreduce of {host.size} {host.dtype} values"):
            self.comm.Allreduce(MPI.IN_PLACE, host, op=MPI.SUM)
        return array if host is array else backend.from_host(host)

    def broadcast(self, array: Any, backend: Backend, root: int) -> Any:
        """Rank ``root``'s ``array`` (1-D) on every rank."""
        host = _writeable_host(array, backend)
        with self.watchdog.watch(f"Bcast of {host.size} {host.dtype} values from rank {root}"):
            self.comm.Bcast(host, root=root)
        return array if host is array else backend.from_host(host)


def _writeable_host(array: Any, backend: Backend) -> np.ndarray:
    # MPI writes the result in place: the buffer must be contiguous and writeable (array-api-strict
    # hands out read-only views; torch's .numpy() shares memory, which is fine for a fresh buffer)
    return np.require(backend.to_host(array), requirements=["C", "W"])
