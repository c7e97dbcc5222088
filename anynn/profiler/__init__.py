"""``torch.profiler`` with PyTorch's names: time every anynn Function and `record_function` range of a run.

    from anynn.profiler import ProfilerActivity, profile, record_function, schedule

    with profile(activities=[ProfilerActivity.CPU], record_shapes=True,
                 schedule=schedule(wait=1, warmup=1, active=3), on_trace_ready=print_table) as prof:
        for x, y in loader:
            with record_function("forward"):
                loss = loss_fn(model(x), y)
            loss.backward()
            prof.step()
    print(prof.key_averages().table(sort_by="cpu_time_total", row_limit=10))
    prof.export_chrome_trace("trace.json")

The events are anynn's Functions (``LinearFunction``, ``LinearFunction.backward``...) rather than PyTorch's aten
operators, timed on the host (see `anynn.autograd.profiler`). A device activity (``ProfilerActivity.CUDA``)
makes each Function wait for its device work, so its time includes the kernels; no separate device rows.
"""

from __future__ import annotations

import enum
import os
import socket
import time
import warnings
from typing import Any, Callable, Iterable

from ..autograd.profiler import Session, record_function
from ..autograd.profiler_util import EventList, FunctionEvent, FunctionEventAvg


class ProfilerActivity(enum.Enum):
    """What to profile: the host (``CPU``) or a device (each Function then waits for its device work)."""

    CPU = 0
    XPU = 1
    MTIA = 2
    CUDA = 3
    HPU = 4
    PrivateUse1 = 5


class ProfilerAction(enum.Enum):
    """What the profiler does during a step, as a `schedule` decides."""

    NONE = 0
    WARMUP = 1
    RECORD = 2
    RECORD_AND_SAVE = 3


def supported_activities() -> set[ProfilerActivity]:
    """The default activities: the host's. A device activity may be asked for too (Functions wait for it)."""
    return {ProfilerActivity.CPU}


def schedule(*, wait: int, warmup: int, active: int, repeat: int = 0, skip_first: int = 0,
             skip_first_wait: int = 0) -> Callable[[int], ProfilerAction]:
    """PyTorch's cycle: after ``skip_first`` steps, ``wait`` steps idle, ``warmup`` steps recorded and thrown
    away, ``active`` steps recorded, the last of which hands the trace to ``on_trace_ready``; ``repeat`` cycles
    (0: for ever). ``skip_first_wait=1`` leaves out the first cycle's wait."""
    numbers = {"wait": wait, "warmup": warmup, "active": active, "repeat": repeat, "skip_first": skip_first,
               "skip_first_wait": skip_first_wait}
    for name, value in numbers.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0 or (name == "active" and value == 0):
            raise ValueError(f"schedule: {name} must be a {'positive' if name == 'active' else 'non-negative'} "
                             f"integer, got {value!r}")
    if warmup == 0:
        warnings.warn("Profiler won't be using warmup, this can skew profiler results", UserWarning, stacklevel=2)
    cycle = wait + warmup + active

    def action(step: int) -> ProfilerAction:
        if step < skip_first:
            return ProfilerAction.NONE
        step -= skip_first
        if skip_first_wait:
            step += wait
        if repeat > 0 and step // cycle >= repeat:
            return ProfilerAction.NONE
        place = step % cycle
        if place < wait:
            return ProfilerAction.NONE
        if place < wait + warmup:
            return ProfilerAction.WARMUP
        return ProfilerAction.RECORD if place < cycle - 1 else ProfilerAction.RECORD_AND_SAVE

    return action


def _always_record(step: int) -> ProfilerAction:
    return ProfilerAction.RECORD


def tensorboard_trace_handler(dir_name: str, worker_name: str | None = None, use_gzip: bool = False,
                              use_python_export: bool = False) -> Callable[[profile], None]:
    """An ``on_trace_ready`` that writes each trace to ``dir_name/<worker>.<milliseconds>.pt.trace.json``
    (``.gz`` with ``use_gzip``), the files TensorBoard's profiler plugin and Perfetto read."""

    def handler(prof: profile) -> None:
        os.makedirs(dir_name, exist_ok=True)
        worker = worker_name or f"{socket.gethostname()}_{os.getpid()}"
        path = os.path.join(dir_name, f"{worker}.{time.time_ns() // 1_000_000}.pt.trace.json")
        prof.export_chrome_trace(path)
        if use_gzip:
            import gzip

            with open(path, "rb") as plain, gzip.open(path + ".gz", "wb") as packed:
                packed.write(plain.read())
            os.remove(path)

    return handler


class profile:  # noqa: N801 - PyTorch's name
    """``torch.profiler.profile``: record the Functions and ranges of the steps a `schedule` picks.

    Parameters
    ----------
    activities : iterable of ProfilerActivity, optional
        Default: every supported one. A device activity makes each Function wait for its device work.
    schedule : callable step -> ProfilerAction, optional
        Default: record every step, save at the end.
    on_trace_ready : callable(profile), optional
        Called when a recording ends (``RECORD_AND_SAVE`` steps, or leaving the ``with`` block while recording);
        `tensorboard_trace_handler` writes a trace file.
    record_shapes : bool
        Keep each Function's input shapes (``key_averages(group_by_input_shape=True)``, the trace's args).
    profile_memory : bool
        Keep the bytes of each Function's results less the frees while its range is open (``cpu_memory_usage``,
        ``self_cpu_memory_usage``; the table's "CPU Mem" / "Self CPU Mem" columns); a free outside every range is
        a ``[memory]`` event, as PyTorch's.
    with_stack : bool
        Keep the Python stack each range opened from (``FunctionEvent.stack``, `export_stacks`).
    with_flops, with_modules, ... :
        Accepted for PyTorch's signature; no such figures are kept.

    Each ``prof.step()`` ends a step; with a ``schedule``, recorded steps are ranges ``ProfilerStep#<n>``
    (``ProfilerStep*`` in `key_averages`), as PyTorch's (without one there are none). The results (`events`,
    `key_averages`, `export_chrome_trace`) are those of the last finished recording.
    """

    def __init__(self, *, activities: Iterable[Any] | None = None, schedule: Callable[[int], Any] | None = None,
                 on_trace_ready: Callable[..., Any] | None = None, record_shapes: bool = False,
                 profile_memory: bool = False, with_stack: bool = False, with_flops: bool = False,
                 with_modules: bool = False, experimental_config: Any = None, execution_trace_observer: Any = None,
                 acc_events: bool = False, use_cuda: bool | None = None, custom_trace_id_callback: Any = None,
                 post_processing_timeout_s: float | None = None) -> None:
        chosen = set(supported_activities() if activities is None else activities)
        if use_cuda:
            chosen.add(ProfilerActivity.CUDA)
        for activity in chosen:
            if not isinstance(activity, ProfilerActivity):
                raise TypeError(f"profile: activities must be ProfilerActivity members, got {activity!r}")
        self.activities = chosen
        self.schedule = schedule if schedule is not None else _always_record
        self._record_steps = schedule is not None  # PyTorch marks steps (ProfilerStep#n) under a schedule only
        self.on_trace_ready = on_trace_ready
        self.record_shapes = bool(record_shapes)
        self.profile_memory, self.with_stack = bool(profile_memory), bool(with_stack)
        self.step_num = 0
        self.current_action = ProfilerAction.NONE
        self._session: Session | None = None
        self._step_range: record_function | None = None
        self._events: EventList | None = None

    # -- the schedule's state machine ----------------------------------------------------------------
    def start(self) -> None:
        self.step_num = 0
        self.current_action = self._action(0)
        if self.current_action is not ProfilerAction.NONE:
            self._begin()

    def step(self) -> None:
        """End the current step and move the schedule on."""
        self._end_step_range()
        previous = self.current_action
        self.step_num += 1
        self.current_action = self._action(self.step_num)
        recording = self.current_action is not ProfilerAction.NONE
        if previous is ProfilerAction.RECORD_AND_SAVE:
            self._finish(save=True)
        elif previous is ProfilerAction.WARMUP and self.current_action in (ProfilerAction.RECORD,
                                                                           ProfilerAction.RECORD_AND_SAVE):
            self._session.events.clear()  # type: ignore[union-attr]  # warm-up steps are not results
        elif previous is not ProfilerAction.NONE and not recording:
            self._finish(save=previous is ProfilerAction.RECORD)
        if recording and self._session is None:
            self._begin()
        elif recording:
            self._begin_step_range()

    def stop(self) -> None:
        self._end_step_range()
        if self._session is not None:
            warming_up = self.current_action is ProfilerAction.WARMUP
            self._finish(save=not warming_up)
            if warming_up:  # PyTorch's results are then those of an empty recording
                self._events = EventList()
        self.current_action = ProfilerAction.NONE

    def __enter__(self) -> profile:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _action(self, step: int) -> ProfilerAction:
        action = self.schedule(step)
        return action if isinstance(action, ProfilerAction) else ProfilerAction[action.name]

    def _begin(self) -> None:
        synchronize = any(a is not ProfilerActivity.CPU for a in self.activities)
        self._session = Session(self.record_shapes, synchronize, self.profile_memory, self.with_stack).start()
        self._begin_step_range()

    def _begin_step_range(self) -> None:
        if self._record_steps:
            self._step_range = record_function(f"ProfilerStep#{self.step_num}").__enter__()

    def _end_step_range(self) -> None:
        if self._step_range is not None:
            self._step_range.__exit__(None, None, None)
            self._step_range = None

    def _finish(self, save: bool) -> None:
        events = self._session.stop() if self._session is not None else EventList()
        self._session = None
        if save:
            self._events = events
            if self.on_trace_ready is not None:
                self.on_trace_ready(self)

    # -- results -------------------------------------------------------------------------------------
    def events(self) -> EventList:
        """The events of the last finished recording, in the order they began."""
        if self._events is None:
            raise RuntimeError("profile: no recording has finished yet (read the results in on_trace_ready or "
                               "after the with block)")
        return self._events

    def key_averages(self, group_by_input_shape: bool = False, group_by_stack_n: int = 0,
                     group_by_overload_name: bool = False) -> EventList:
        """One `FunctionEventAvg` per name (and input shapes), with ``table(sort_by=..., row_limit=...)``."""
        return self.events().key_averages(group_by_input_shape)

    def export_chrome_trace(self, path: str | os.PathLike) -> None:
        """The last recording as a Chrome trace JSON file (``chrome://tracing``, https://ui.perfetto.dev)."""
        self.events().export_chrome_trace(path)

    def export_stacks(self, path: str | os.PathLike, metric: str = "self_cpu_time_total") -> None:
        """The last recording's stacks (``with_stack=True``) and ``metric`` as flame-graph lines (see
        `EventList.export_stacks`)."""
        if not self.with_stack:
            raise AssertionError("export_stacks() requires with_stack=True")
        self.events().export_stacks(path, metric)


__all__ = ["EventList", "FunctionEvent", "FunctionEventAvg", "ProfilerAction", "ProfilerActivity", "profile",
           "record_function", "schedule", "supported_activities", "tensorboard_trace_handler"]
