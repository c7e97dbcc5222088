"""GPU transports for CuPy arrays: NCCL (``cupy.cuda.nccl``) or CUDA-aware MPI (`CupyBackend.collective_transport`).

Importable without CuPy or a GPU: CuPy is imported when a transport is made. Buffers stay on the
device; each call runs on CuPy's current stream and waits for it inside the watchdog, so a dead peer
ends the job instead of hanging it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .base import Backend

_UNIQUE_ID_BYTES = 128  # NCCL_UNIQUE_ID_BYTES


class NcclTransport:
    """Sum and broadcast CuPy arrays with NCCL; the NCCL id travels over MPI from rank 0.

    NCCL needs one GPU per rank: with more ranks than GPUs on a node use ``gpu_transport="host"``.
    """

    name = "nccl"

    def __init__(self, comm: Any, watchdog: Any) -> None:
        from cupy.cuda import nccl

        self.nccl = nccl
        self.watchdog = watchdog
        rank, size = comm.Get_rank(), comm.Get_size()
        # the unique id is a tuple of 128 small ints: send it as an int64 buffer, not a pickle
        uid = np.zeros(_UNIQUE_ID_BYTES, dtype=np.int64)
        if rank == 0:
            uid[:] = nccl.get_unique_id()
        with watchdog.watch("Bcast of the NCCL unique id"):
            comm.Bcast(uid, root=0)
        with watchdog.watch("ncclCommInitRank"):
            self.comm = nccl.NcclCommunicator(size, tuple(int(v) for v in uid), rank)

    def _dtype(self, array: Any) -> tuple[Any, int]:
        names = {"float16": "NCCL_FLOAT16", "float32": "NCCL_FLOAT32", "float64": "NCCL_FLOAT64",
                 "int32": "NCCL_INT32", "int64": "NCCL_INT64", "uint8": "NCCL_UINT8", "int8": "NCCL_INT8"}
        if array.dtype.name == "bool":
            array = array.view("uint8")
        if array.dtype.name not in names:
            raise TypeError(f"anynn.distributed: NCCL cannot reduce {array.dtype.name} arrays")
        return array, getattr(self.nccl, names[array.dtype.name])

    def allreduce_sum(self, array: Any, backend: Backend) -> Any:
        import cupy

        array = cupy.ascontiguousarray(array)
        buffer, dtype = self._dtype(array)
        stream = cupy.cuda.get_current_stream()
        with self.watchdog.watch(f"NCCL allReduce of {array.size} {array.dtype} values"):
            self.comm.allReduce(buffer.data.ptr, buffer.data.ptr, buffer.size, dtype, self.nccl.NCCL_SUM,
                                stream.ptr)
            stream.synchronize()
        return array

    def broadcast(self, array: Any, backend: Backend, root: int) -> Any:
        import cupy

        array = cupy.ascontiguousarray(array)
        buffer, dtype = self._dtype(array)
        stream = cupy.cuda.get_current_stream()
        with self.watchdog.watch(f"NCCL bcast of {array.size} {array.dtype} values from rank {root}"):
            self.comm.bcast(buffer.data.ptr, buffer.size, dtype, root, stream.ptr)
            stream.synchronize()
        return array


class CudaAwareMpiTransport:
    """Hand CuPy device buffers straight to a CUDA-aware MPI (e.g. Open MPI built with UCX and CUDA).

    MPI does not know CuPy's stream, so the stream is synchronised before every call: the buffer
    must be complete before MPI reads it.
    """

    name = "mpi (CUDA-aware, device buffers)"

    def __init__(self, comm: Any, watchdog: Any) -> None:
        self.comm = comm
        self.watchdog = watchdog

    def allreduce_sum(self, array: Any, backend: Backend) -> Any:
        import cupy
        from mpi4py import MPI

        array = cupy.ascontiguousarray(array)
        cupy.cuda.get_current_stream().synchronize()
        with self.watchdog.watch(f"CUDA-aware Allreduce of {array.size} {array.dtype} values"):
            self.comm.Allreduce(MPI.IN_PLACE, array, op=MPI.SUM)
        return array

    def broadcast(self, array: Any, backend: Backend, root: int) -> Any:
        import cupy

        array = cupy.ascontiguousarray(array)
        cupy.cuda.get_current_stream().synchronize()
        with self.watchdog.watch(f"CUDA-aware Bcast of {array.size} {array.dtype} values from rank {root}"):
            self.comm.Bcast(array, root=root)
        return array
