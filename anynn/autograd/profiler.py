"""``torch.autograd.profiler``'s `profile` and `record_function`: the time of every Function and named range.

While a profile records, the ``forward`` and ``backward`` of every `Function` class are wrapped by a timer (and
put back when the last profile stops), so the timing costs nothing otherwise, and nothing in the autograd engine
knows about it. Each call becomes a `FunctionEvent` (see `anynn.autograd.profiler_util` for the names and units);
ranges nest per thread, and a range's *self* time excludes the ranges inside it. Function classes defined while a
profile records are not timed until the next one starts.

``anynn.profiler.profile`` (PyTorch's ``torch.profiler.profile``: activities, schedules, ``step()``) is built
on the same recorder.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import threading
import time
import traceback
import types
import weakref
from typing import Any, Callable

from .primitive import Function
from .profiler_util import EventList, FunctionEvent

_lock = threading.Lock()
_local = threading.local()  # .stack: the ranges open in this thread, innermost last
_sessions: list[Session] = []  # replaced, never changed in place, so the timers read it without the lock
_originals: dict[type, dict[str, Any]] = {}  # the wrapped classes' own forward/backward, to put back


class Session:
    """One recording: the events closed while it is on. ``record_shapes``: keep input shapes; ``synchronize``:
    wait for the backend's queued work before closing a Function's range (device activities)."""

    def __init__(self, record_shapes: bool = False, synchronize: bool = False, profile_memory: bool = False,
                 with_stack: bool = False) -> None:
        self.record_shapes = record_shapes
        self.synchronize = synchronize
        self.profile_memory = profile_memory  # keep the bytes of each Function's results (`_nbytes`)
        self.with_stack = with_stack  # keep the Python stack each range opened from (`_python_stack`)
        self.events: list[FunctionEvent] = []

    def start(self) -> Session:
        global _sessions
        with _lock:
            if not _sessions:
                _wrap_functions()
            _sessions = [*_sessions, self]
        return self

    def stop(self) -> EventList:
        """Stop recording; the events in the order they began."""
        global _sessions
        with _lock:
            _sessions = [s for s in _sessions if s is not self]
            if not _sessions:
                _unwrap_functions()
        return EventList(sorted(self.events, key=lambda e: e.start_us))


class _Range:
    __slots__ = ("name", "start", "children", "shapes", "annotation", "memory", "child_memory", "device", "stack")

    def __init__(self, name: str, shapes: list[list[int]], annotation: bool) -> None:
        self.name, self.shapes, self.annotation, self.children = name, shapes, annotation, 0
        self.memory = self.child_memory = 0  # bytes of this range's own results, of its nested ranges'
        self.device = False  # its results are on a device (CuPy, torch on CUDA): PyTorch's device memory columns
        self.stack = _python_stack() if any(s.with_stack for s in _sessions) else []
        self.start = time.perf_counter_ns()


def _open(name: str, shapes: list[list[int]], annotation: bool) -> _Range:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    opened = _Range(name, shapes, annotation)
    stack.append(opened)
    return opened


def _close(opened: _Range) -> None:
    end = time.perf_counter_ns()
    stack = _local.stack
    if stack and stack[-1] is opened:
        stack.pop()
    elif opened in stack:  # a range left open inside this one (an exception skipped its exit)
        del stack[stack.index(opened):]
    took = end - opened.start
    memory = opened.memory + opened.child_memory
    if stack:
        stack[-1].children += took
        stack[-1].child_memory += memory
    event = FunctionEvent(opened.name, opened.start, end, took - opened.children, threading.get_native_id(),
                          opened.shapes, opened.annotation, stack=opened.stack)
    if memory or opened.memory:
        event.set_memory(memory, opened.memory, opened.device)
    for session in _sessions:
        session.events.append(event)


def _nbytes(found: Any, device: bool) -> int:
    """The bytes of the arrays a Function's forward or backward returned (one, or a tuple with Nones): what
    PyTorch's memory profile counts as the operator's allocation. Each array's free is counted when it goes
    (`_watch_free`)."""
    total = 0
    for a in found if isinstance(found, (tuple, list)) else (found,):
        if a is None or not hasattr(a, "shape"):
            continue
        size = getattr(a, "nbytes", None)
        if not isinstance(size, int):  # array-api-strict: its element count times the bits its dtype names
            bits = "".join(c for c in str(a.dtype).rsplit(".", 1)[-1] if c.isdigit())
            try:
                size = math.prod(int(n) for n in a.shape) * (int(bits) // 8 if bits else 1)
            except TypeError:  # a symbolic size
                size = 0
        if size:
            _watch_free(a, size, device)
        total += size
    return total


def _watch_free(array: Any, size: int, device: bool) -> None:
    """Count ``size`` bytes as freed when ``array`` is garbage (arrays that take no weak reference are not seen)."""
    try:
        watch = weakref.finalize(array, _freed, size, device)
    except TypeError:
        return
    watch.atexit = False


def _freed(size: int, device: bool) -> None:
    """A watched array went: while a profile records memory, as PyTorch's memory profile counts a free, its bytes
    come off the innermost range open in this thread (its self memory can go below 0), or, outside every range,
    make a ``[memory]`` event of their own."""
    sessions = [s for s in _sessions if s.profile_memory]
    if not sessions:
        return
    stack = getattr(_local, "stack", None)
    if stack:
        stack[-1].memory -= size
        return
    now = time.perf_counter_ns()
    event = FunctionEvent("[memory]", now, now, 0, threading.get_native_id(), [], False)
    event.set_memory(-size, -size, device)
    for session in sessions:
        session.events.append(event)


def _python_stack() -> list[str]:
    """The Python frames calling into the range, innermost first, as PyTorch's ``FunctionEvent.stack`` entries
    (``"model.py(12): forward"``); anynn's autograd and profiler frames are left out."""
    frames = []
    for frame in traceback.extract_stack()[::-1]:
        if f"{os.sep}anynn{os.sep}autograd{os.sep}" in frame.filename:
            continue
        frames.append(f"{frame.filename}({frame.lineno}): {frame.name}")
    return frames


def _shapes(arrays: tuple[Any, ...]) -> list[list[int]]:
    if not any(s.record_shapes for s in _sessions):
        return []
    return [[int(n) for n in a.shape] if hasattr(a, "shape") else [] for a in arrays]


def _event_name(fn: Any, phase: str) -> str:
    name = str(fn.name)
    if name.endswith("Backward"):  # a PyTorch-style ctx Function's node: <Name>Backward, as PyTorch names it
        return name if phase == "backward" else name[:-len("Backward")]
    return name if phase == "forward" else f"{name}.backward"


def _timed(method: Callable[..., Any], phase: str) -> Callable[..., Any]:
    @functools.wraps(method)
    def timed(self: Any, xp: Any, *arrays: Any) -> Any:
        if not _sessions:
            return method(self, xp, *arrays)
        opened = _open(_event_name(self, phase), _shapes(arrays), False)
        try:
            out = method(self, xp, *arrays)
            if any(s.synchronize for s in _sessions):
                self.backend.synchronize()
            if any(s.profile_memory for s in _sessions):
                opened.device = self.backend.device_parts()[0] != "cpu"
                allocated = _nbytes(out, opened.device)
                opened.memory += allocated  # (added: a free during the call has already come off it)
            return out
        finally:
            _close(opened)

    return timed


def _function_classes() -> list[type]:
    found: list[type] = []
    todo: list[type] = [Function]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def _wrap_functions() -> None:
    for cls in _function_classes():
        own = {name: vars(cls)[name] for name in ("forward", "backward")
               if isinstance(vars(cls).get(name), types.FunctionType)}  # ctx-style static methods: their node's
        if own and cls not in _originals:
            _originals[cls] = own
            for name, method in own.items():
                setattr(cls, name, _timed(method, name))


def _unwrap_functions() -> None:
    for cls, own in _originals.items():
        for name, method in own.items():
            setattr(cls, name, method)
    _originals.clear()


class record_function(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """A named range in the profile (``with record_function("attention"): ...``, or as a decorator); its time
    and the Functions inside it show under ``name``. Costs nothing when no profile records. ``args`` is kept."""

    def __init__(self, name: str, args: str | None = None) -> None:
        if not isinstance(name, str):
            raise TypeError(f"record_function: name must be a str, got {type(name).__name__}")
        self.name = name
        self.args = args
        self._open: list[_Range] = []

    def __enter__(self) -> record_function:
        if _sessions:
            self._open.append(_open(self.name, [], True))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._open:
            _close(self._open.pop())


class profile:  # noqa: N801 - PyTorch's name
    """``torch.autograd.profiler.profile``: record while the ``with`` block runs, then read the results.

    ``prof.key_averages().table(sort_by="self_cpu_time_total")``, ``prof.function_events``,
    ``prof.export_chrome_trace(path)``, ``prof.total_average()``, ``print(prof)``. ``record_shapes`` keeps each
    Function's input shapes (``key_averages(group_by_input_shape=True)``); ``use_cuda``/``use_device`` make each
    Function wait for its device work, so its time includes it. ``profile_memory`` keeps the bytes of each
    Function's results less the frees in its range (``cpu_memory_usage``, the table's memory columns; a free outside
    every range is a ``[memory]`` event); ``with_stack`` the
    Python stack of each range (``export_stacks``). The other options are accepted for PyTorch's signature (no FLOP
    or module figures are kept).
    """

    def __init__(self, enabled: bool = True, *, use_cuda: bool = False, use_device: str | None = None,
                 record_shapes: bool = False, with_flops: bool = False, profile_memory: bool = False,
                 with_stack: bool = False, with_modules: bool = False, use_kineto: bool = False, use_cpu: bool = True,
                 experimental_config: Any = None, acc_events: bool = False, custom_trace_id_callback: Any = None,
                 post_processing_timeout_s: float | None = None, activity_filters: Any = None) -> None:
        self.enabled = bool(enabled)
        self.record_shapes = bool(record_shapes)
        self.use_device = use_device if use_device is not None else ("cuda" if use_cuda else None)
        self.profile_memory, self.with_stack, self.with_flops = profile_memory, with_stack, with_flops
        self._session: Session | None = None
        self._events: EventList | None = None

    def __enter__(self) -> profile:
        if self._session is not None:
            raise RuntimeError("profile: the profiler is already running")
        if self.enabled:
            synchronize = self.use_device not in (None, "cpu")
            self._session = Session(self.record_shapes, synchronize, bool(self.profile_memory),
                                    bool(self.with_stack)).start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._session is not None:
            self._events = self._session.stop()
            self._session = None
        elif self._events is None:
            self._events = EventList()

    @property
    def function_events(self) -> EventList:
        """Every recorded range, in the order they began."""
        if self._events is None:
            raise RuntimeError("profile: the profiler did not finish running; read its results after the with block")
        return self._events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """One `FunctionEventAvg` per name (and input shapes), with ``table()``."""
        return self.function_events.key_averages(group_by_input_shape)

    def table(self, *args: Any, **kwargs: Any) -> str:
        return self.function_events.table(*args, **kwargs)

    def total_average(self) -> Any:
        return self.function_events.total_average()

    @property
    def self_cpu_time_total(self) -> float:
        return self.function_events.self_cpu_time_total

    def export_chrome_trace(self, path: Any) -> None:
        self.function_events.export_chrome_trace(path)

    def export_stacks(self, path: str, metric: str = "self_cpu_time_total") -> None:
        """Each event's stack and ``metric`` as a flame-graph line (see `EventList.export_stacks`)."""
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        self.function_events.export_stacks(path, metric)

    def __str__(self) -> str:
        return self.function_events.table()


class emit_nvtx(contextlib.ContextDecorator):  # noqa: N801 - PyTorch's name
    """``torch.autograd.profiler.emit_nvtx(enabled=True, record_shapes=False)``: accepted, no NVTX ranges are
    emitted (anynn's Functions are timed by `profile`; profile GPU kernels with Nsight Systems directly).
    Training scripts open it behind a debug flag, usually with ``enabled=False``."""

    def __init__(self, enabled: bool = True, record_shapes: bool = False) -> None:
        self.enabled, self.record_shapes = enabled, record_shapes

    def __enter__(self) -> emit_nvtx:
        return self

    def __exit__(self, *exc: Any) -> None:
        return None


class emit_itt(emit_nvtx):  # noqa: N801 - PyTorch's name
    """``torch.autograd.profiler.emit_itt``: as `emit_nvtx`, for Intel's ITT ranges (none are emitted)."""


__all__ = ["EventList", "FunctionEvent", "Session", "emit_itt", "emit_nvtx", "profile", "record_function"]
