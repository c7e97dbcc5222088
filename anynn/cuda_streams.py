"""PyTorch's ``torch.cuda`` streams and events (`Stream`, `Event`, `stream`, `StreamContext`, `current_stream`,
`default_stream`, `set_stream`), for programs that overlap copies with compute where a GPU is present.

anynn queues all of a device's work on its library's current stream (CuPy's, or PyTorch's for torch data), so a
side stream runs nothing of its own: waiting on a stream or an event waits for the device (`synchronize`), which
is the order a single stream gives anyway, and ``with torch.cuda.stream(s):`` runs its block unchanged. An event
records the host time after the device's queued work has finished, so ``elapsed_time`` measures what ran between
two records. Without a GPU they answer as a CPU build of PyTorch: ``stream(None)`` is a no-op block (the common
``stream = torch.cuda.Stream() if cuda else None`` idiom), constructing a `Stream` or `Event` raises RuntimeError
and asking for the current stream AssertionError.
"""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any

from .backend import default_backend
from .backend.torch_names import backend_for_device, cuda_available, need_cuda

__all__ = ["Event", "Stream", "StreamContext", "current_stream", "default_stream", "is_current_stream_capturing",
           "set_stream", "stream"]


def _wait(device: Any = None) -> None:
    """Wait for the work queued on the default backend's CUDA device (``device``: an index, "cuda:k" or None)."""
    index = device if isinstance(device, int) or device is None else int(str(device).partition(":")[2] or 0)
    backend_for_device("cuda", index, default_backend()).synchronize()


def _need_cuda(what: str) -> None:
    need_cuda(what, default_backend())


class Stream:
    """``torch.cuda.Stream(device=None, priority=0)``: a name for the device's queue (see the module docstring)."""

    def __init__(self, device: Any = None, priority: int = 0, **kwargs: Any) -> None:
        if not cuda_available(default_backend()):
            raise RuntimeError("torch.cuda.Stream requires CUDA support (anynn: no usable CUDA device for the "
                               "default backend)")
        self.device, self.priority = device, priority

    def synchronize(self) -> None:
        """Wait for the device's queued work."""
        _wait(self.device)

    def query(self) -> bool:
        """Whether the stream's work is done (it is, once waited for: anynn waits here)."""
        _wait(self.device)
        return True

    def wait_stream(self, stream: Stream) -> None:
        """Order this stream after ``stream``: both are the device's one queue, already in order."""

    def wait_event(self, event: Event) -> None:
        """Order this stream after ``event``: already in order on the device's one queue."""

    def record_event(self, event: Event | None = None) -> Event:
        """Record ``event`` (a new one if None) on this stream and return it."""
        event = Event() if event is None else event
        event.record(self)
        return event

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Stream)  # every stream is the device's one queue

    def __hash__(self) -> int:
        return hash(Stream)

    def __repr__(self) -> str:
        return f"<anynn.cuda.Stream device={self.device} (the device's queue)>"


class Event:
    """``torch.cuda.Event(enable_timing=False, blocking=False, interprocess=False)``: a point in the device's queue,
    recorded as the host time once the work queued before it has finished."""

    def __init__(self, enable_timing: bool = False, blocking: bool = False, interprocess: bool = False,
                 external: bool = False) -> None:
        if not cuda_available(default_backend()):
            raise RuntimeError("torch.cuda.Event needs a CUDA device (PyTorch's CPU build: 'Tried to instantiate "
                               "dummy base class Event'); anynn has no usable one for the default backend")
        self.enable_timing = enable_timing
        self._time: float | None = None

    def record(self, stream: Stream | None = None) -> None:
        """Mark the point after the work queued so far (waits for it)."""
        _wait(None if stream is None else stream.device)
        self._time = time.perf_counter()

    def wait(self, stream: Stream | None = None) -> None:
        """Make ``stream`` wait for this event: already in order on the device's one queue."""

    def query(self) -> bool:
        """Whether the work before the event has finished (it has, once recorded)."""
        return self._time is not None

    def synchronize(self) -> None:
        """Wait until the event has happened (it has, once recorded)."""

    def elapsed_time(self, end_event: Event) -> float:
        """Milliseconds from this event's record to ``end_event``'s, as PyTorch's (both need enable_timing)."""
        if not (self.enable_timing and end_event.enable_timing):
            raise RuntimeError("Both events must be created with argument 'enable_timing=True'.")
        if self._time is None or end_event._time is None:
            raise RuntimeError("Both events must be recorded before calculating elapsed time.")
        return (end_event._time - self._time) * 1000.0


class StreamContext:
    """``torch.cuda.StreamContext(stream)`` / ``torch.cuda.stream(stream)``: the block runs unchanged (anynn's work
    goes on the device's one queue); ``None`` is a no-op block, as PyTorch's."""

    def __init__(self, stream: Stream | None) -> None:
        self.stream = stream

    def __enter__(self) -> Stream | None:
        return self.stream

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        return None


def stream(stream: Stream | None) -> StreamContext:  # noqa: A001 - PyTorch's name
    """``with torch.cuda.stream(s):``: see `StreamContext`."""
    return StreamContext(stream)


def current_stream(device: Any = None) -> Stream:
    """The stream the device's work goes on (its one queue)."""
    _need_cuda("torch.cuda.current_stream()")
    return Stream(device)


def default_stream(device: Any = None) -> Stream:
    """The device's default stream: `current_stream`'s (anynn has no other)."""
    _need_cuda("torch.cuda.default_stream()")
    return Stream(device)


def set_stream(stream: Stream | None) -> None:  # noqa: A001 - PyTorch's name
    """``torch.cuda.set_stream(s)``: nothing to switch (the device's work stays on its one queue)."""


def is_current_stream_capturing() -> bool:
    """Whether a CUDA graph is being recorded on the device's current stream (inside the capture of a step compiled
    with ``anynn.compile(mode="cuda_graph")``, where host reads are not allowed); without a usable GPU
    `CudaUnavailable`, a RuntimeError as PyTorch's CPU build raises."""
    _need_cuda("torch.cuda.is_current_stream_capturing()")
    return backend_for_device("cuda", None, default_backend()).stream_capturing()
