"""The CUDA-graph path of `anynn.compile` without a GPU: a fake ``cupy`` module and an eager stand-in capture.

`anynn.backend.cuda_graph.CudaGraphCapture` is the only code that calls CuPy for a captured step; here a fake
module records those calls, so the protocol is checked on the CPU: a non-blocking side stream, allocations from
a private memory pool kept alive with the graph, ``begin_capture`` before the step and ``end_capture`` after it,
an abandoned capture when the step raises, in-place writes into static buffers. `anynn.compile.captured`'s
bookkeeping (static argument copies, learning-rate buffers, step counters as 0-d arrays, the copy back into the
arrays held before the capture, the restore afterwards) runs with a stand-in capture on NumPy that runs the step
while "recording" it: the first captured call must then equal one eager step and leave every state array at the
address it had. Replays need a GPU: the cupy test at the end (and tests/compile/test_compile.py's).
"""

from __future__ import annotations

import types
from contextlib import contextmanager

import numpy as np
import pytest

import anynn
import anynn.nn as nn
from anynn.backend import BackendUnavailable, get_backend
from anynn.backend.cuda_graph import CapturedGraph, CudaGraphCapture
from anynn.backend.cupy_backend import CupyBackend
from anynn.backend.step_compilers import GraphCapture
from anynn.compile.captured import CapturedStep


class FakeCupy:
    """The CuPy surface `CudaGraphCapture` uses, on NumPy arrays, logging every call in order."""

    def __init__(self) -> None:
        self.log: list[str] = []
        self.streams: list[FakeStream] = []
        self.pools: list[FakeMemoryPool] = []
        self.allocator = "default"
        self.cuda = types.SimpleNamespace(MemoryPool=self._pool, Stream=self._stream,
                                          using_allocator=self._using_allocator)

    def _pool(self) -> FakeMemoryPool:
        self.pools.append(FakeMemoryPool())
        return self.pools[-1]

    def _stream(self, non_blocking: bool = False) -> FakeStream:
        self.streams.append(FakeStream(self, non_blocking))
        return self.streams[-1]

    @contextmanager
    def _using_allocator(self, malloc):
        previous, self.allocator = self.allocator, malloc
        self.log.append("allocator")
        try:
            yield
        finally:
            self.allocator = previous
            self.log.append("allocator back")

    def copyto(self, dst, src) -> None:
        self.log.append("copyto")
        np.copyto(dst, src)

    def array(self, a, copy: bool = True):
        self.log.append("array")
        return np.array(a, copy=copy)

    def full(self, shape, value, dtype=None):
        return np.full(shape, value, dtype=dtype)


class FakeMemoryPool:
    def malloc(self, size: int) -> None:  # pragma: no cover - never called: only its identity is checked
        raise AssertionError("not called")


class FakeStream:
    def __init__(self, cupy: FakeCupy, non_blocking: bool) -> None:
        self.cupy, self.non_blocking, self.capturing = cupy, non_blocking, False
        self.fail_end = False

    def __enter__(self) -> FakeStream:
        self.cupy.log.append("stream")
        return self

    def __exit__(self, *exc) -> None:
        self.cupy.log.append("stream back")

    def begin_capture(self) -> None:
        assert self.cupy.allocator.__self__ is self.cupy.pools[-1]  # the private pool serves the capture
        self.capturing = True
        self.cupy.log.append("begin")

    def end_capture(self) -> FakeGraph:
        self.capturing = False
        self.cupy.log.append("end")
        if self.fail_end:
            raise RuntimeError("cudaErrorStreamCaptureInvalidated")
        return FakeGraph(self.cupy)


class FakeGraph:
    def __init__(self, cupy: FakeCupy) -> None:
        self.cupy = cupy

    def launch(self) -> None:
        self.cupy.log.append("launch")


def _capture() -> tuple[CudaGraphCapture, FakeCupy]:
    cupy = FakeCupy()
    return CudaGraphCapture(types.SimpleNamespace(cupy=cupy)), cupy


def test_cupy_offers_a_graph_capture_named_cuda_graph():
    cupy = FakeCupy()
    capture = CupyBackend.step_compiler(types.SimpleNamespace(cupy=cupy))  # no GPU needed to ask
    assert isinstance(capture, CudaGraphCapture) and isinstance(capture, GraphCapture)
    assert capture.mode == "cuda_graph" and capture.label == "cupy, CUDA graph" and capture.cupy is cupy


def test_record_captures_on_a_non_blocking_side_stream_from_a_private_pool():
    capture, cupy = _capture()
    seen = []

    def body() -> None:
        stream = cupy.streams[-1]
        seen.append((stream.capturing, cupy.allocator.__self__ is cupy.pools[-1]))
        cupy.log.append("body")

    graph = capture.record(body)
    assert seen == [(True, True)]  # the step ran between begin and end, allocating from the pool
    assert cupy.log == ["allocator", "stream", "begin", "body", "end", "stream back", "allocator back"]
    assert len(cupy.streams) == 1 and cupy.streams[0].non_blocking
    assert isinstance(graph, CapturedGraph) and graph.pool is cupy.pools[0]  # the pool lives with the graph
    assert cupy.allocator == "default"
    graph.launch()
    assert cupy.log[-1] == "launch"


def test_record_abandons_the_capture_when_the_step_raises():
    capture, cupy = _capture()

    def body() -> None:
        raise ValueError("the step failed")

    with pytest.raises(ValueError, match="the step failed"):
        capture.record(body)
    assert cupy.log == ["allocator", "stream", "begin", "end", "stream back", "allocator back"]
    assert not cupy.streams[0].capturing

    cupy.log.clear()
    original = cupy._stream

    def failing_stream(non_blocking: bool = False) -> FakeStream:
        stream = original(non_blocking)
        stream.fail_end = True  # an invalidated capture: end_capture raises too, and the step's error wins
        return stream

    cupy.cuda.Stream = failing_stream
    with pytest.raises(ValueError, match="the step failed"):
        capture.record(body)
    assert "end" in cupy.log and cupy.allocator == "default"


def test_host_read_errors_are_told_from_other_errors():
    capture, _ = _capture()
    assert capture.is_host_read_error(RuntimeError("cudaErrorStreamCaptureUnsupported: operation not permitted "
                                                   "when stream is capturing"))
    assert capture.is_host_read_error(RuntimeError("cudaErrorStreamCaptureInvalidated"))
    assert not capture.is_host_read_error(ValueError("shapes (2,3) and (4,) not aligned"))


def test_static_buffers_are_written_in_place():
    capture, cupy = _capture()
    source = np.arange(4.0, dtype=np.float32)
    static = capture.copy(source)
    assert static is not source and np.array_equal(static, source)
    capture.copy_into(static, source * 2)
    assert np.array_equal(static, source * 2)
    lr = capture.scalar(0.1, np.float32)
    assert lr.shape == () and lr.dtype == np.float32
    before = lr
    capture.copy_into(lr, 0.5)  # a scheduler's new rate: one write into the buffer, the address stays
    assert lr is before and lr == np.float32(0.5)
    counter = capture.scalar(3, "int64")
    assert counter.dtype == np.int64 and counter == 3


class EagerRecording(GraphCapture):
    """A stand-in on NumPy: "recording" runs the step (a CUDA capture only records it); the first launch after
    it is then already done. A second launch would be a replay, which needs the real graph."""

    mode = "cuda_graph"
    label = "eager stand-in"

    def __init__(self, backend) -> None:
        super().__init__(backend)
        self.recorded = 0
        self.scalars: list[np.ndarray] = []  # the 0-d arrays made before the capture (counters, learning rates)

    def record(self, body):
        self.recorded += 1
        body()
        launches = []

        def launch() -> None:
            assert not launches, "a replay needs a GPU"
            launches.append(1)

        return types.SimpleNamespace(launch=launch)

    def copy_into(self, target, source) -> None:
        target[...] = source

    def scalar(self, value, dtype):
        self.scalars.append(super().scalar(value, dtype))
        return self.scalars[-1]


def _model_and_optimizer(kind: str):
    anynn.manual_seed(3)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    if kind == "adam":
        opt = anynn.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    else:
        opt = anynn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    return model, opt


@pytest.mark.parametrize("set_to_none", [True, False])
@pytest.mark.parametrize("kind", ["adam", "sgd"])
def test_first_captured_call_is_one_step_and_keeps_every_state_address(kind, set_to_none):
    """The graph reads and writes the arrays the state held before the capture (the step's rebound arrays are
    copied back into them), so those must stay the state's arrays: an array only the graph knows is freed and its
    memory reused while replays still write it. Rebinding steps: ``zero_grad(set_to_none=False)`` (a new zeros
    array per gradient), amsgrad's running maximum, and every step counter (a 0-d array made for the capture)."""
    rng = np.random.default_rng(0)
    batches = [(anynn.tensor(rng.standard_normal((5, 3)).astype(np.float32)),
                anynn.tensor(rng.standard_normal((5, 2)).astype(np.float32))) for _ in range(3)]

    def run(model, opt):
        def step(x, y):
            opt.zero_grad(set_to_none=set_to_none)
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss
        return step

    model, opt = _model_and_optimizer(kind)
    eager = run(model, opt)
    expected = [eager(x, y).numpy() for x, y in batches]

    model2, opt2 = _model_and_optimizer(kind)
    capture = EagerRecording(get_backend("numpy"))
    compiled = CapturedStep(run(model2, opt2), capture)
    losses = [compiled(*batches[0]), compiled(*batches[1])]  # warm-up: no gradients, then no optimizer state yet
    assert capture.recorded == 0
    arrays = [p.array for p in model2.parameters()]
    grads = [p.grad.array for p in model2.parameters()]
    states = {id(q): dict(opt2.state[id(q)]) for q in model2.parameters()}
    losses.append(compiled(*batches[2]))  # the same structure again: captured, then launched
    assert capture.recorded == 1 and compiled.trace_count == 1
    for ours, theirs in zip(losses, expected):
        np.testing.assert_allclose(ours.numpy(), theirs, rtol=1e-6)
    graph = next(iter(compiled._graphs.values()))
    assert losses[-1].array is not graph.result_arrays[0]  # results are copies of the graph's output buffers
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_allclose(q.numpy(), p.numpy(), rtol=1e-6, atol=1e-7)
    # the graph reads and writes fixed addresses: every array is the one held before the capture
    assert all(p.array is a for p, a in zip(model2.parameters(), arrays))
    assert all(p.grad.array is g for p, g in zip(model2.parameters(), grads))
    assert all(isinstance(g["lr"], float) for g in opt2.param_groups)  # the buffer was the graph's, not the group's
    for p, q in zip(model.parameters(), model2.parameters()):
        ours, theirs = opt2.state[id(q)], opt.state[id(p)]
        assert list(ours) == list(theirs)
        for name, value in theirs.items():
            np.testing.assert_allclose(np.asarray(ours[name]), np.asarray(value), rtol=1e-6, atol=1e-7)
            if hasattr(value, "shape"):
                assert ours[name] is states[id(q)][name], name  # buffers kept their address
            elif not isinstance(value, bool):  # step counters: the 0-d device array made for the graph
                assert any(ours[name] is a for a in capture.scalars), name


def test_replays_keep_gradients_and_optimizer_state_readable_cupy():
    """On a GPU: after many replays, with other allocations in between (which would reuse a freed array the graph
    still writes), the losses, parameters, gradients and optimizer state equal eager training's."""
    try:
        be = get_backend("cupy")
    except BackendUnavailable:
        pytest.skip("cupy with a CUDA device is not available here")
    cupy = be.cupy
    rng = np.random.default_rng(1)
    data = [(rng.standard_normal((6, 3)).astype(np.float32), rng.standard_normal((6, 2)).astype(np.float32))
            for _ in range(12)]

    def train(compiled: bool):
        anynn.manual_seed(3)
        model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2)).to("cupy")
        opt = anynn.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)

        def step(x, y):
            opt.zero_grad(set_to_none=False)
            loss = ((model(x) - y) ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        run = CapturedStep(step, be.step_compiler()) if compiled else step
        losses = []
        for x, y in data:
            losses.append(float(run(anynn.tensor(x, backend="cupy"), anynn.tensor(y, backend="cupy")).item()))
            junk = [cupy.full(p.shape, 7.0, dtype=p.array.dtype) for p in model.parameters()]
            junk += [cupy.full((), 123, dtype=cupy.int64) for _ in range(8)]
            del junk  # freed blocks of the state's sizes: the next allocations reuse them
        state = [{k: np.asarray(cupy.asnumpy(cupy.asarray(v))) for k, v in opt.state[id(p)].items()}
                 for p in model.parameters()]
        return losses, [p.numpy() for p in model.parameters()], [p.grad.numpy() for p in model.parameters()], state

    eager, captured = train(False), train(True)
    np.testing.assert_allclose(captured[0], eager[0], rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(captured[1] + captured[2], eager[1] + eager[2]):
        np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-6)
    for ours, theirs in zip(captured[3], eager[3]):
        assert list(ours) == list(theirs)
        for name in theirs:
            np.testing.assert_allclose(ours[name], theirs[name], rtol=1e-5, atol=1e-6, err_msg=name)
