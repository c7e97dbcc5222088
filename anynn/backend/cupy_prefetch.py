"""Double-buffered host-to-GPU copies for CuPy: batch i+1 travels while batch i computes.

CPU backends need none of this (a batch is ready when it is gathered), so they use no threads and
no extra buffers: `Backend.prefetcher` is ``None`` there, and `CupyBackend.prefetcher` makes one of these.
The CuPy module comes from the backend object (``backend.cupy``): this file imports no GPU library, and
is importable on machines without one.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import numpy as np


class CupyPrefetcher:
    """Copy batches to a CuPy device on a side stream, one batch ahead of the consumer.

    Host arrays are staged in page-locked (pinned) memory, so the copy is truly asynchronous; two
    staging slots alternate, and a slot is reused only after its previous copy has finished. The
    device arrays are allocated on the consumer's stream and the side stream first waits for the work
    already queued there, so memory recycled by CuPy's pool is never overwritten while still in use.
    The consumer's stream waits on the copy's event before it touches the batch.
    """

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.cupy = backend.cupy
        with backend.device:
            self.stream = self.cupy.cuda.Stream(non_blocking=True)
        self._staging: list[dict[int, Any]] = [{}, {}]  # slot -> field -> pinned memory
        self._copied: list[Any] = [None, None]  # slot -> event of its last copy

    def iterate(self, batches: Iterable[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
        """Yield each batch's fields with host arrays replaced by CuPy arrays, ready on the current stream."""
        pending = None
        slot = 0
        for fields in batches:
            ready = pending
            pending = self._upload(slot, fields)  # queued before the consumer computes on `ready`
            slot ^= 1
            if ready is not None:
                yield self._wait(ready)
        if pending is not None:
            yield self._wait(pending)

    def _upload(self, slot: int, fields: tuple[Any, ...]) -> tuple[tuple[Any, ...], Any]:
        cupy = self.cupy
        previous = self._copied[slot]
        if previous is not None:
            previous.synchronize()  # its pinned staging memory is about to be overwritten
        with self.backend.device:
            consumer = cupy.cuda.get_current_stream()
            self.stream.wait_event(consumer.record())
            out = []
            for k, field in enumerate(fields):
                if not isinstance(field, np.ndarray):
                    out.append(field)
                    continue
                staged = self._stage(slot, k, field)
                device_array = cupy.empty(field.shape, dtype=field.dtype)  # on the consumer's stream
                device_array.set(staged, stream=self.stream)
                out.append(device_array)
            event = self.stream.record()
        self._copied[slot] = event
        return tuple(out), event

    def _stage(self, slot: int, field: int, array: np.ndarray) -> np.ndarray:
        memory = self._staging[slot].get(field)
        if memory is None or memory.size() < array.nbytes:
            memory = self._staging[slot][field] = self.cupy.cuda.alloc_pinned_memory(max(array.nbytes, 1))
        staged = np.ndarray(array.shape, dtype=array.dtype, buffer=memory)
        staged[...] = array
        return staged

    def _wait(self, uploaded: tuple[tuple[Any, ...], Any]) -> tuple[Any, ...]:
        fields, event = uploaded
        with self.backend.device:
            self.cupy.cuda.get_current_stream().wait_event(event)
        return fields
