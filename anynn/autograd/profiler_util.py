"""The profiler's results with PyTorch's names: `FunctionEvent`, their per-name averages, and `EventList`.

An event is one timed range: a Function's forward (named as the Function class, ``LinearFunction``), its
backward (``LinearFunction.backward``; a PyTorch-style ``ctx`` Function's node is ``<Name>Backward``), or a
``record_function`` range. Times are in microseconds, as PyTorch's, measured on the host with
``time.perf_counter_ns``; *self* time is the range's time less the time of the ranges nested in it.
"""

from __future__ import annotations

import json
import os
from typing import Any, Iterable


class _CudaMemoryNames:
    """PyTorch's older names of the device-memory columns, on an event and on an average of events."""

    device_memory_usage: int
    self_device_memory_usage: int

    @property
    def cuda_memory_usage(self) -> int:
        return self.device_memory_usage

    @property
    def self_cuda_memory_usage(self) -> int:
        return self.self_device_memory_usage


class FunctionEvent(_CudaMemoryNames):
    """One timed range: ``name``, ``start_us``/``end_us``, ``cpu_time_total``, ``self_cpu_time_total`` (µs),
    ``thread``, ``input_shapes`` (with ``record_shapes``), ``is_user_annotation`` (a `record_function` range);
    with ``profile_memory``, ``cpu_memory_usage`` / ``self_cpu_memory_usage`` (bytes of the results of the range
    and of the ranges nested in it / of its own; the ``device_`` ones for results on a device); with
    ``with_stack``, ``stack`` (Python frames, innermost first)."""

    count = 1
    device_time_total = cuda_time_total = self_device_time_total = self_cuda_time_total = 0.0
    cpu_memory_usage = self_cpu_memory_usage = device_memory_usage = self_device_memory_usage = 0

    def __init__(self, name: str, start_ns: int, end_ns: int, self_ns: int, thread: int,
                 input_shapes: list[list[int]], is_user_annotation: bool, stack: list[str] | None = None) -> None:
        self.name = name
        self.stack = stack or []
        self.start_us = start_ns / 1000.0
        self.end_us = end_ns / 1000.0
        self.cpu_time_total = (end_ns - start_ns) / 1000.0
        self.self_cpu_time_total = self_ns / 1000.0
        self.thread = thread
        self.input_shapes = input_shapes
        self.is_user_annotation = is_user_annotation

    def set_memory(self, total: int, own: int, device: bool) -> None:
        """The bytes of the range's results and its nested ranges' (``total``) and of its own (``own``)."""
        if device:
            self.device_memory_usage, self.self_device_memory_usage = total, own
        else:
            self.cpu_memory_usage, self.self_cpu_memory_usage = total, own

    @property
    def key(self) -> str:
        return self.name

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total

    def __repr__(self) -> str:
        return (f"<FunctionEvent name={self.name} cpu_time={_format_time(self.cpu_time_total)} "
                f"self_cpu_time={_format_time(self.self_cpu_time_total)} start_us={self.start_us:.3f} "
                f"thread={self.thread} input_shapes={self.input_shapes}>")


class FunctionEventAvg(_CudaMemoryNames):
    """The events of one key summed: ``key``, ``count``, ``cpu_time_total``, ``self_cpu_time_total`` (µs),
    ``cpu_time`` (the mean per call), ``input_shapes`` (of the first event)."""

    device_time_total = cuda_time_total = self_device_time_total = self_cuda_time_total = 0.0

    def __init__(self, key: str, input_shapes: list[list[int]] | None = None) -> None:
        self.key = key
        self.count = 0
        self.cpu_memory_usage = self.self_cpu_memory_usage = self.device_memory_usage = 0
        self.self_device_memory_usage = 0
        self.cpu_time_total = 0.0
        self.self_cpu_time_total = 0.0
        self.input_shapes = input_shapes
        self.is_user_annotation = False

    def add(self, other: FunctionEvent | FunctionEventAvg) -> FunctionEventAvg:
        """Add an event (or another average) to the sums; returns self."""
        if self.input_shapes is None:
            self.input_shapes = other.input_shapes
        self.count += other.count
        self.cpu_time_total += other.cpu_time_total
        self.self_cpu_time_total += other.self_cpu_time_total
        self.cpu_memory_usage += other.cpu_memory_usage
        self.self_cpu_memory_usage += other.self_cpu_memory_usage
        self.device_memory_usage += other.device_memory_usage
        self.self_device_memory_usage += other.self_device_memory_usage
        self.is_user_annotation = other.is_user_annotation
        return self

    @property
    def cpu_time(self) -> float:
        return self.cpu_time_total / max(self.count, 1)

    def __repr__(self) -> str:
        return (f"<FunctionEventAvg key={self.key} self_cpu_time={_format_time(self.self_cpu_time_total)} "
                f"cpu_time={_format_time(self.cpu_time)} count={self.count} input_shapes={self.input_shapes}>")


class EventList(list):
    """A list of `FunctionEvent` (or of `FunctionEventAvg` from `key_averages`) with PyTorch's views of it."""

    def __init__(self, events: Iterable[Any] = (), shapes_column: bool = False) -> None:
        super().__init__(events)
        self._shapes_column = shapes_column

    @property
    def self_cpu_time_total(self) -> float:
        """The sum of every event's self time (µs): the time the profiler saw, each instant counted once."""
        return sum(e.self_cpu_time_total for e in self)

    def key_averages(self, group_by_input_shapes: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """One `FunctionEventAvg` per name (and per input shapes, if asked); the ranges of ``profile.step()``,
        ``ProfilerStep#N``, are one key ``ProfilerStep*``, as PyTorch's."""
        groups: dict[Any, FunctionEventAvg] = {}
        for event in self:
            key = "ProfilerStep*" if event.key.startswith("ProfilerStep#") else event.key
            group = (key, str(event.input_shapes)) if group_by_input_shapes else key
            if group not in groups:
                groups[group] = FunctionEventAvg(key, event.input_shapes if group_by_input_shapes else None)
            groups[group].add(event)
        return EventList(groups.values(), shapes_column=group_by_input_shapes)

    def total_average(self) -> FunctionEventAvg:
        """All events summed into one average keyed ``Total``."""
        total = FunctionEventAvg("Total")
        for event in self:
            total.add(event)
        return total

    def table(self, sort_by: str | None = None, row_limit: int = 100, max_src_column_width: int = 75,
              max_name_column_width: int = 55, max_shapes_column_width: int = 80, header: str | None = None,
              top_level_events_only: bool = False, time_unit: str | None = None) -> str:
        """PyTorch's text table: name, self and total time (with their shares of the self total), mean time,
        calls and, when grouped by shape, input shapes; sorted by the attribute ``sort_by``, descending."""
        rows = list(self)
        if sort_by is not None:
            rows.sort(key=lambda e: getattr(e, sort_by), reverse=True)
        rows = rows[:row_limit] if row_limit is not None and row_limit >= 0 else rows
        show_shapes = self._shapes_column or (bool(rows) and isinstance(rows[0], FunctionEvent)
                                              and any(e.input_shapes for e in rows))
        name_width = min(max([len("Name"), *(len(e.key) for e in rows)]) + 4, max_name_column_width)
        names = [_clip(e.key, name_width) for e in rows]
        memory = any(e.cpu_memory_usage or e.self_cpu_memory_usage for e in rows)  # (a profile_memory profile)
        device_memory = any(e.device_memory_usage or e.self_device_memory_usage for e in rows)
        titles = ["Self CPU %", "Self CPU", "CPU total %", "CPU total", "CPU time avg"]
        titles += ["CPU Mem", "Self CPU Mem"] if memory else []
        titles += ["CUDA Mem", "Self CUDA Mem"] if device_memory else []
        titles.append("# of Calls")
        widths = [name_width] + [12] * len(titles)
        shapes = [_clip(str(e.input_shapes), max_shapes_column_width) for e in rows] if show_shapes else []
        if show_shapes:
            titles.append("Input Shapes")
            widths.append(max([len("Input Shapes"), *map(len, shapes)]) + 4)
        total = self.self_cpu_time_total

        def line(cells: list[str]) -> str:
            return "".join(f"{c:>{w}}  " for c, w in zip(cells, widths))

        rule = "".join("-" * w + "  " for w in widths)
        out = [header] if header else []
        out += [rule, line(["Name", *titles]), rule]
        for i, e in enumerate(rows):
            cells = [names[i], _percent(e.self_cpu_time_total, total), _format_time(e.self_cpu_time_total, time_unit),
                     _percent(e.cpu_time_total, total), _format_time(e.cpu_time_total, time_unit),
                     _format_time(e.cpu_time, time_unit)]
            cells += [_format_memory(e.cpu_memory_usage), _format_memory(e.self_cpu_memory_usage)] if memory else []
            cells += ([_format_memory(e.device_memory_usage), _format_memory(e.self_device_memory_usage)]
                      if device_memory else [])
            cells.append(str(e.count))
            out.append(line(cells + ([shapes[i]] if show_shapes else [])))
        out += [rule, f"Self CPU time total: {_format_time(total, time_unit)}", ""]
        return "\n".join(out)

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """Write the events as a Chrome trace (``chrome://tracing``, Perfetto): complete events (``"ph": "X"``)
        with microsecond ``ts``/``dur``, one track per thread."""
        pid = os.getpid()
        events: list[dict[str, Any]] = [{"ph": "M", "name": "process_name", "pid": pid, "tid": 0,
                                         "args": {"name": "anynn"}}]
        for e in self:
            if not isinstance(e, FunctionEvent):
                raise TypeError("export_chrome_trace: the events of key_averages() have no times; export the "
                                "profile's events")
            entry: dict[str, Any] = {"ph": "X", "cat": "user_annotation" if e.is_user_annotation else "cpu_op",
                                     "name": e.name, "pid": pid, "tid": e.thread, "ts": e.start_us,
                                     "dur": e.cpu_time_total, "args": {}}
            if e.input_shapes:
                entry["args"]["Input Dims"] = e.input_shapes
            events.append(entry)
        trace = {"schemaVersion": 1, "displayTimeUnit": "ms", "traceEvents": events}
        with open(path, "w", encoding="utf-8") as file:
            json.dump(trace, file)

    def export_stacks(self, path: str | os.PathLike, metric: str = "self_cpu_time_total") -> None:
        """Write one line per event recorded ``with_stack``: its frames outermost first, joined by ``;``, a space
        and ``metric`` in whole microseconds (events where it is 0 are left out), as PyTorch's, for flame graphs
        (``flamegraph.pl``)."""
        metrics = ("self_cpu_time_total", "self_cuda_time_total", "self_xpu_time_total", "self_privateuse1_time_total")
        if metric not in metrics:
            raise ValueError(f"metric should be one of: {list(metrics)}")
        attribute = metric.replace("cuda", "device").replace("xpu", "device").replace("privateuse1", "device")
        blanks = str.maketrans(" ;\t\n", "____")
        with open(path, "w", encoding="utf-8") as file:
            for e in self:
                value = int(getattr(e, attribute, 0))
                if getattr(e, "stack", None) and value > 0:
                    file.write(";".join(entry.translate(blanks) for entry in reversed(e.stack)) + f" {value}\n")

    def __str__(self) -> str:
        return self.table()


def _format_memory(nbytes: int) -> str:
    """PyTorch's: ``GB``, ``MB`` or ``KB`` with two decimals from 1024 of the unit below, else bytes (``B``)."""
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if abs(nbytes) >= size:
            return f"{nbytes / size:.2f} {unit}"
    return f"{nbytes} B"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 3, 0)] + "..."


def _percent(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.2f}%" if whole > 0 else "0.00%"


def _format_time(us: float, unit: str | None = None) -> str:
    """PyTorch's: ``s`` from a second, ``ms`` from a millisecond, else ``us``; or the ``unit`` asked for."""
    scale = {"s": 1e6, "ms": 1e3, "us": 1.0}
    if unit is None:
        unit = "s" if us >= 1e6 else "ms" if us >= 1e3 else "us"
    if unit not in scale:
        raise ValueError(f"table: time_unit must be 's', 'ms' or 'us', got {unit!r}")
    return f"{us / scale[unit]:.3f}{unit}"


__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg"]
