"""CUDA graphs on CuPy for `anynn.compile`: a step's kernels recorded once on a side stream and replayed.

`CupyBackend.step_compiler()` returns a `CudaGraphCapture`. Recording runs on a non-blocking side stream
(``cupy.cuda.Stream.begin_capture``), with allocations from a private memory pool that lives as long as
the graph, so the addresses the graph reads and writes stay valid between replays.
"""

from __future__ import annotations

from typing import Any, Callable

from .step_compilers import GraphCapture


class CapturedGraph:
    """A recorded CUDA graph and the memory pool its arrays live in; ``launch()`` replays it."""

    def __init__(self, graph: Any, pool: Any) -> None:
        self.graph = graph
        self.pool = pool  # kept alive with the graph: the graph's buffers are allocated from it

    def launch(self) -> None:
        self.graph.launch()


class CudaGraphCapture(GraphCapture):
    mode = "cuda_graph"
    label = "cupy, CUDA graph"

    def __init__(self, backend: Any) -> None:
        super().__init__(backend)
        self.cupy = backend.cupy

    def record(self, body: Callable[[], None]) -> CapturedGraph:
        cupy = self.cupy
        pool = cupy.cuda.MemoryPool()
        stream = cupy.cuda.Stream(non_blocking=True)
        with cupy.cuda.using_allocator(pool.malloc), stream:
            stream.begin_capture()
            try:
                body()
            except BaseException:
                _abandon(stream)
                raise
            graph = stream.end_capture()
        return CapturedGraph(graph, pool)

    def is_host_read_error(self, exc: BaseException) -> bool:
        text = f"{type(exc).__name__} {exc}".lower()
        return "capture" in text or "cudaerrorstreamcapture" in text or "not permitted" in text

    def copy(self, array: Any) -> Any:
        return self.cupy.array(array, copy=True)

    def copy_into(self, target: Any, source: Any) -> None:
        if hasattr(source, "shape"):
            self.cupy.copyto(target, source)
        else:
            target.fill(source)

    def scalar(self, value: Any, dtype: Any) -> Any:
        return self.cupy.full((), value, dtype=dtype)


def _abandon(stream: Any) -> None:
    try:
        stream.end_capture()
    except Exception:  # noqa: BLE001 - an invalidated capture has no graph to return; nothing to keep
        pass
