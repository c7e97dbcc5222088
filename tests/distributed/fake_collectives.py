"""An in-process stand-in for MPI: ranks are threads, a `ThreadGroup` hands each its `Transport`.

It lets the data-parallel code (`GradientReducer`, `DistributedOptimizer`, `broadcast_parameters`)
run with several ranks inside pytest, without mpi4py or ``mpiexec``.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np

from anynn.backend import Backend
from anynn.distributed import Context


class ThreadGroup:
    """``world_size`` ranks, one thread each, meeting at a barrier for every collective."""

    def __init__(self, world_size: int) -> None:
        self.world_size = world_size
        self.barrier = threading.Barrier(world_size, timeout=30.0)
        self.slots: list[np.ndarray | None] = [None] * world_size
        self.calls: list[str] = []

    def context(self, rank: int, backend: Backend) -> Context:
        return Context(rank=rank, world_size=self.world_size, backend=backend, transport=_RankTransport(self, rank))

    def run(self, fn: Callable[[int], Any]) -> list[Any]:
        """``fn(rank)`` on every rank at once; the results in rank order (the first exception re-raised)."""
        results: list[Any] = [None] * self.world_size
        errors: list[BaseException] = []

        def body(rank: int) -> None:
            try:
                results[rank] = fn(rank)
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                errors.append(exc)
                self.barrier.abort()

        threads = [threading.Thread(target=body, args=(r,)) for r in range(self.world_size)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return results

    def exchange(self, rank: int, host: np.ndarray, combine: Callable[[list[np.ndarray]], np.ndarray]) -> np.ndarray:
        self.slots[rank] = host.copy()
        self.barrier.wait()
        result = combine(self.slots)  # every rank combines the same slots in the same order
        self.barrier.wait()  # nobody overwrites a slot before everyone has read them
        return result


class _RankTransport:
    name = "threads (test double)"

    def __init__(self, group: ThreadGroup, rank: int) -> None:
        self.group, self.rank = group, rank

    def allreduce_sum(self, array: Any, backend: Backend) -> Any:
        if self.rank == 0:
            self.group.calls.append("allreduce_sum")
        total = self.group.exchange(self.rank, backend.to_host(array), lambda slots: np.sum(slots, axis=0))
        return backend.from_host(total.astype(backend.to_host(array).dtype))

    def broadcast(self, array: Any, backend: Backend, root: int) -> Any:
        if self.rank == 0:
            self.group.calls.append("broadcast")
        return backend.from_host(self.group.exchange(self.rank, backend.to_host(array), lambda slots: slots[root]))
