"""PyTorch's ``torch.utils.benchmark``, its Python side: `Timer` (``timeit``, ``blocked_autorange``,
``adaptive_autorange``), the `Measurement` it returns (median, IQR, significant figures, PyTorch's printout) and
`Compare`'s table, and the input `Fuzzer` (`anynn.utils.benchmark_fuzzer`). The benchmark recipe runs as written;
``torch`` in a statement is anynn unless ``globals`` says otherwise, as PyTorch's Timer puts ``torch`` there. C++
statements and Callgrind (``Language.CPP``, ``collect_callgrind``) are PyTorch's own: refused, naming them.

Example::

    m = Timer("x * y", "x = torch.ones(128); y = torch.ones(1)").blocked_autorange(min_run_time=0.2)
    print(m.median, m)
"""

from __future__ import annotations

import enum
import math
import statistics
import sys
import textwrap
import timeit
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..backend.threads import get_num_threads, set_num_threads
from .benchmark_fuzzer import FuzzedParameter, FuzzedTensor, Fuzzer, ParameterAlias

__all__ = ["Compare", "FuzzedParameter", "FuzzedTensor", "Fuzzer", "Language", "Measurement", "ParameterAlias",
           "Timer"]

_UNITS = {-3: ("ns", 1e-9), -2: ("us", 1e-6), -1: ("ms", 1e-3)}
_UNIT_NAMES = {"ns": "nanoseconds", "us": "microseconds", "ms": "milliseconds", "s": "seconds"}


def select_unit(seconds: float) -> tuple[str, float]:
    """PyTorch's unit for a time: ns, us, ms or s, and its scale in seconds."""
    return _UNITS.get(int(math.log10(seconds) // 3), ("s", 1.0)) if seconds > 0 else ("ns", 1e-9)


class Language(enum.Enum):
    PYTHON = 0
    CPP = 1


@dataclass(frozen=True)
class TaskSpec:
    """What a measurement timed: the statement, its setup and PyTorch's labels."""

    stmt: str
    setup: str
    global_setup: str = ""
    label: str | None = None
    sub_label: str | None = None
    description: str | None = None
    env: str | None = None
    num_threads: int = 1

    @property
    def title(self) -> str:
        """``label: sub_label``, else the statement (PyTorch's title)."""
        suffix = f": {self.sub_label}" if self.sub_label else ""
        if self.label is not None:
            return self.label + suffix
        if "\n" not in self.stmt:
            return self.stmt + suffix
        return f"stmt:{f' ({self.sub_label})' if self.sub_label else ''}\n{textwrap.indent(self.stmt, '  ')}"

    def summarize(self) -> str:
        """The header lines of a measurement's printout: title, description, env and setup."""
        sections = [self.title, self.description or ""]
        if self.env:
            sections.append(f"env: {self.env}")
        if self.setup != "pass":
            sections.append(f"setup:\n{textwrap.indent(self.setup, '  ')}" if "\n" in self.setup
                            else f"setup: {self.setup}")
        return "\n".join(f"{s}\n" if "\n" in s else s for s in sections if s)


class Measurement:
    """The times of one statement: ``raw_times`` (seconds per block of ``number_per_run`` runs); ``times`` per run,
    with their ``mean``, ``median``, ``iqr`` and ``significant_figures`` as PyTorch computes them."""

    def __init__(self, number_per_run: int, raw_times: Sequence[float], task_spec: TaskSpec,
                 metadata: dict[str, Any] | None = None) -> None:
        self.number_per_run, self.raw_times, self.task_spec, self.metadata = (
            number_per_run, list(raw_times), task_spec, metadata)
        self._sorted = sorted(self.times)

    def __getattr__(self, name: str) -> Any:  # stmt, label, sub_label, description, env, num_threads, title...
        if name.startswith("_") or name == "task_spec":
            raise AttributeError(name)
        return getattr(self.task_spec, name)

    @property
    def times(self) -> list[float]:
        return [t / self.number_per_run for t in self.raw_times]

    @property
    def mean(self) -> float:
        return statistics.fmean(self._sorted)

    @property
    def median(self) -> float:
        return statistics.median(self._sorted)

    @property
    def iqr(self) -> float:
        low, high = _quartiles(self._sorted)
        return high - low

    @property
    def significant_figures(self) -> int:
        """How many digits of the median the spread of the middle half supports (1 to 4)."""
        n = len(self._sorted)
        middle = self._sorted[n // 4:math.ceil(3 * n / 4)]
        interval = max(1.645 * statistics.pstdev(middle) / math.sqrt(len(middle)), 25e-9)
        return min(max(math.floor(math.log10(self.median / interval)), 1), 4)

    @property
    def has_warnings(self) -> bool:
        return len(self._sorted) >= 4 and self.iqr / self.median > 0.1

    def __repr__(self) -> str:
        n, threads = len(self._sorted), self.task_spec.num_threads
        unit, scale = select_unit(self.median)
        lines = [object.__repr__(self).replace("anynn.utils.benchmark", "torch.utils.benchmark.utils.common"),
                 self.task_spec.summarize()]
        if n >= 4:
            low, high = (q / scale for q in _quartiles(self._sorted))
            lines += [f"  Median: {self.median / scale:.2f} {unit}",
                      f"  IQR:    {self.iqr / scale:.2f} {unit} ({low:.2f} to {high:.2f})"]
        else:
            lines.append(f"  {'Median: ' if n > 1 else ''}{self.median / scale:.2f} {unit}")
        lines.append(f"  {n} measurement{'s' if n > 1 else ''}, {self.number_per_run} runs "
                     f"{'per measurement' if n > 1 else ''}, {threads} thread{'s' if threads > 1 else ''}")
        if self.has_warnings:
            lines.append(f"  WARNING: Interquartile range is {self.iqr / self.median * 100:.1f}% of the median "
                         "measurement.\n           This suggests significant environmental influence.")
        return "\n".join(lines)


class Timer:
    """``Timer(stmt, setup, ..., globals=...)``: times a Python statement as PyTorch's Timer does (``torch`` in
    the statement is anynn unless ``globals`` names it)."""

    def __init__(self, stmt: str = "pass", setup: str = "pass", global_setup: str = "",
                 timer: Callable[[], float] = timeit.default_timer, globals: dict[str, Any] | None = None,  # noqa: A002
                 label: str | None = None, sub_label: str | None = None, description: str | None = None,
                 env: str | None = None, num_threads: int = 1, language: Any = Language.PYTHON) -> None:
        if language not in (Language.PYTHON, "py", "python"):
            raise NotImplementedError("Timer(language=Language.CPP): anynn times Python statements only (C++ "
                                      "statements and collect_callgrind are PyTorch's own)")
        package = sys.modules[__name__.split(".")[0]]  # anynn itself (imported: this module is inside it)
        scope = {"torch": package, **(globals or {})}
        stmt, setup = textwrap.dedent(stmt).strip() or "pass", textwrap.dedent(setup).strip() or "pass"
        if global_setup:
            exec(textwrap.dedent(global_setup), scope)  # noqa: S102 - the caller's own setup code, as PyTorch runs it
        self._timer = timeit.Timer(stmt=stmt, setup=setup, timer=timer, globals=scope)
        self._task_spec = TaskSpec(stmt, setup, global_setup, label, sub_label, description, env, num_threads)

    def _timeit(self, number: int) -> float:
        previous = get_num_threads()
        set_num_threads(self._task_spec.num_threads)
        try:
            return max(self._timer.timeit(number), 1e-9)
        finally:
            set_num_threads(previous)

    def timeit(self, number: int = 1000000) -> Measurement:
        """One measurement of ``number`` runs (after a warm-up of about a hundredth of them)."""
        self._timeit(max(number // 100, 2))
        return Measurement(number, [self._timeit(number)], self._task_spec)

    def _block_size(self, min_run_time: float) -> int:
        """Runs per block: ten times more until a block's time dwarfs the timer's own overhead."""
        overhead = statistics.median([self._timeit(0) for _ in range(5)])
        number = 1
        while True:
            taken = self._timeit(number)
            if (overhead / taken <= 1e-4 and taken >= min_run_time / 1000) or taken > min_run_time \
                    or number * 10 > 2147483647:
                return number
            number *= 10

    def _blocks(self, number: int, done: Callable[[list[float], float], bool], max_run_time: float | None,
                callback: Callable[[int, float], None] | None) -> Measurement:
        times: list[float] = []
        total = 0.0
        while not done(times, total) and (max_run_time is None or total < max_run_time):
            taken = self._timeit(number)
            total += taken
            times.append(taken)
            if callback is not None:
                callback(number, taken)
        return Measurement(number, times, self._task_spec)

    def blocked_autorange(self, callback: Callable[[int, float], None] | None = None,
                          min_run_time: float = 0.2) -> Measurement:
        """Blocks of runs until ``min_run_time`` seconds were spent timing (PyTorch's blocked_autorange)."""
        number = self._block_size(min_run_time)
        return self._blocks(number, lambda times, total: total >= min_run_time, None, callback)

    def adaptive_autorange(self, threshold: float = 0.1, *, min_run_time: float = 0.01, max_run_time: float = 10.0,
                           callback: Callable[[int, float], None] | None = None) -> Measurement:
        """Blocks until the IQR is under ``threshold`` of the median (at least three blocks and ``min_run_time``),
        or ``max_run_time`` is spent."""
        number = self._block_size(min_run_time=0.05)

        def settled(times: list[float], total: float) -> bool:
            if len(times) < 3 or total < min_run_time:
                return False
            low, high = _quartiles(sorted(times))
            return (high - low) / statistics.median(times) < threshold

        return self._blocks(number, settled, max_run_time, callback)

    def collect_callgrind(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("Timer.collect_callgrind: Callgrind counts are PyTorch's own (its C++ "
                                  "interpreter under valgrind); anynn times with timeit, blocked_autorange and "
                                  "adaptive_autorange")


_BEST, _GOOD, _BAD, _VERY_BAD, _BOLD, _END = "\033[92m", "\033[34m", "\033[2m\033[91m", "\033[31m", "\033[1m", "\033[0m"


class Compare:
    """PyTorch's table of measurements: one block per label, a column per description, a row per sub_label
    (grouped by thread count), times in the unit of the group's fastest median."""

    def __init__(self, results: Sequence[Measurement]) -> None:
        self._results = list(results)
        self._trim = self._colorize = self._rowwise = self._warnings = False

    def extend_results(self, results: Sequence[Measurement]) -> None:
        self._results.extend(results)

    def trim_significant_figures(self) -> None:
        self._trim = True

    def colorize(self, rowwise: bool = False) -> None:
        self._colorize, self._rowwise = True, rowwise

    def highlight_warnings(self) -> None:
        self._warnings = True

    def print(self) -> None:
        print(str(self))

    def __str__(self) -> str:
        labels = list(dict.fromkeys(m.task_spec.label for m in self._results))
        return "\n".join(self._table([m for m in self._results if m.task_spec.label == label]) for label in labels)

    def _cell(self, m: Measurement, scale: float, best: float) -> str:
        value = m.median / scale
        digits = max(m.significant_figures - math.ceil(math.log10(value)), 0) if self._trim else 1
        text = f"{round(value, digits) if self._trim else value:.{digits}f}"
        if self._warnings and m.has_warnings:
            text += f" (! {m.iqr / m.median * 100:.0f}%)"
        if not self._colorize:
            return text
        ratio = m.median / best
        color = (_BEST + _BOLD if ratio <= 1.01 else _GOOD + _BOLD if ratio <= 1.1 else
                 _VERY_BAD + _BOLD if ratio >= 5 else _BAD if ratio >= 2 else "")
        return f"{color}{text} {_END}{_END}" if color else text

    def _table(self, group: list[Measurement]) -> str:
        columns = list(dict.fromkeys(m.task_spec.description for m in group))
        unit, scale = select_unit(min(m.median for m in group))
        rows: dict[tuple[int, str], dict[Any, Measurement]] = {}
        for m in group:
            rows.setdefault((m.task_spec.num_threads, m.task_spec.sub_label or ""), {})[m.task_spec.description] = m
        cells = {key: {c: self._cell(m, scale, self._best(group, key, c)) for c, m in row.items()}
                 for key, row in rows.items()}
        name_width = max([len(key[1]) + 2 for key in rows] + [11])  # (at least "1 threads: ", as PyTorch's)
        widths = [max([len(str(c or ""))] + [len(_plain(cells[key].get(c, ""))) for key in rows]) for c in columns]
        header = " " * (name_width + 2) + "".join(f"|  {str(c or ''):>{w}}  " for c, w in zip(columns, widths))
        lines, threads = [], None
        for key in rows:
            if key[0] != threads:
                threads = key[0]
                lines.append(f"{threads} threads: ".ljust(len(header.rstrip()), "-"))
            lines.append(f"{key[1]:>{name_width}}  " + "".join(
                f"|  {_pad(cells[key].get(c, ''), w)}  " for c, w in zip(columns, widths)))
        title = f" {group[0].task_spec.label or ''} "
        top = f"[{title.center(len(header.rstrip()) - 2, '-')}]"
        return "\n".join([top, header.rstrip(), *(line.rstrip() for line in lines), "",
                          f"Times are in {_UNIT_NAMES[unit]} ({unit}).", ""])

    def _best(self, group: list[Measurement], key: tuple[int, str], column: Any) -> float:
        """The fastest median the cell is compared with: its row's (rowwise) or its column's."""
        same = [m for m in group if (m.task_spec.num_threads, m.task_spec.sub_label or "") == key] if self._rowwise \
            else [m for m in group if m.task_spec.description == column and m.task_spec.num_threads == key[0]]
        return min(m.median for m in same)


def _quartiles(ordered: list[float]) -> tuple[float, float]:
    """The 25th and 75th percentiles of sorted values, interpolated as NumPy's (and PyTorch's) percentile."""
    if len(ordered) == 1:
        return ordered[0], ordered[0]
    low, _, high = statistics.quantiles(ordered, n=4, method="inclusive")
    return low, high


def _plain(text: str) -> str:
    for code in (_BEST, _GOOD, _BAD, _VERY_BAD, _BOLD, _END):
        text = text.replace(code, "")
    return text


def _pad(text: str, width: int) -> str:
    return " " * (width - len(_plain(text))) + text
