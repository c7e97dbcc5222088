"""``spawn``/``start_processes``: run ``fn(i, *args)`` in ``nprocs`` processes and report the first failure.

PyTorch's names and behaviour: the parent waits for the children; when one exits with an error the others are
stopped (SIGTERM, then SIGKILL) and the parent raises `ProcessRaisedException` with the child's traceback, or
`ProcessExitedException` with its exit code or signal. A child's traceback comes back as text in a file the child
writes only when it fails (no pickle), and the parent removes it once read.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import tempfile
import time
import traceback
import warnings
from typing import Any, Callable


class ProcessException(Exception):
    """A process started by `start_processes` failed: ``error_index`` is its index, ``error_pid`` its pid."""

    def __init__(self, msg: str, error_index: int, error_pid: int) -> None:
        super().__init__(msg)
        self.msg = msg
        self.error_index = error_index
        self.error_pid = error_pid


class ProcessRaisedException(ProcessException):
    """The process's function raised; the message holds its traceback."""


class ProcessExitedException(ProcessException):
    """The process exited with a non-zero code (``exit_code``) or was killed by a signal (``signal_name``)."""

    def __init__(self, msg: str, error_index: int, error_pid: int, exit_code: int,
                 signal_name: str | None = None) -> None:
        super().__init__(msg, error_index, error_pid)
        self.exit_code = exit_code
        self.signal_name = signal_name


def _run(fn: Callable[..., Any], index: int, args: tuple[Any, ...], error_file: str) -> None:
    """The child's entry point: ``fn(index, *args)``; an exception's traceback goes to ``error_file``, exit code 1."""
    try:
        fn(index, *args)
    except KeyboardInterrupt:
        pass  # the parent stopped this process
    except Exception:
        with open(error_file, "w", encoding="utf-8") as f:
            f.write(traceback.format_exc())
        sys.exit(1)


class ProcessContext:
    """The processes `start_processes` started (``join=False``): ``join`` them, read their ``pids``."""

    def __init__(self, processes: list[Any], error_files: list[str]) -> None:
        self.processes = processes
        self.error_files = error_files
        self.sentinels = {p.sentinel: i for i, p in enumerate(processes)}

    def pids(self) -> list[int]:
        return [int(p.pid) for p in self.processes]

    def join(self, timeout: float | None = None, grace_period: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds (``None``: until one process ends) for processes to end.

        Returns True once all have ended well, False while some still run. When one failed, the others get
        ``grace_period`` seconds, then SIGTERM, then SIGKILL, and the failure is raised (`ProcessRaisedException`
        with the child's traceback, or `ProcessExitedException`).
        """
        if not self.sentinels:
            return True
        failed = None
        for sentinel in multiprocessing.connection.wait(list(self.sentinels), timeout=timeout):
            index = self.sentinels.pop(sentinel)
            self.processes[index].join()
            if self.processes[index].exitcode != 0:
                failed = index
                break
        if failed is None:
            return not self.sentinels
        self._stop_the_others(grace_period)
        raise self._failure(failed)

    def _stop_the_others(self, grace_period: float | None) -> None:
        """Let the other processes end within ``grace_period`` (if given), then SIGTERM them, then SIGKILL."""
        steps: list[tuple[Callable[[Any], None] | None, float]] = [] if grace_period is None else [(None, grace_period)]
        steps += [(lambda p: p.terminate(), 30.0 if grace_period is None else grace_period),
                  (lambda p: p.kill(), 0.0)]
        for stop, wait in steps:
            if stop is not None:
                for p in self.processes:
                    if p.is_alive():
                        stop(p)
            end = time.monotonic() + wait
            for p in self.processes:
                p.join(max(0.0, end - time.monotonic()))
        for p in self.processes:
            p.join()

    def _failure(self, index: int) -> ProcessException:
        process, error_file = self.processes[index], self.error_files[index]
        try:
            with open(error_file, encoding="utf-8") as f:
                trace = f.read()
            os.unlink(error_file)
        except FileNotFoundError:
            code = process.exitcode
            if code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = f"<Unknown signal {-code}>"
                return ProcessExitedException(f"process {index} terminated with signal {name}", index, process.pid,
                                              code, name)
            return ProcessExitedException(f"process {index} terminated with exit code {code}", index, process.pid,
                                          code)
        return ProcessRaisedException(f"\n\n-- Process {index} terminated with the following error:\n{trace}", index,
                                      process.pid)


def _error_file() -> str:
    """A path no file has now, where a failing child writes its traceback."""
    fd, path = tempfile.mkstemp(prefix="anynn-errorfile-", suffix=".txt")
    os.close(fd)
    os.unlink(path)
    return path


def start_processes(fn: Callable[..., Any], args: tuple[Any, ...] = (), nprocs: int = 1, join: bool = True,
                    daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """Start ``nprocs`` processes running ``fn(i, *args)`` (``i`` = 0..nprocs-1) with ``start_method``.

    ``join=True`` waits for all and raises the first failure; ``join=False`` returns the `ProcessContext`.
    ``fn`` must be importable by the children (a module-level function) unless ``start_method="fork"``.
    """
    context: Any = multiprocessing.get_context(start_method)  # its Process class depends on the method
    processes, error_files = [], []
    for i in range(nprocs):
        error_files.append(_error_file())
        process = context.Process(target=_run, args=(fn, i, args, error_files[-1]), daemon=daemon)
        process.start()
        processes.append(process)
    started = ProcessContext(processes, error_files)
    if not join:
        return started
    while not started.join():
        pass
    return None


def spawn(fn: Callable[..., Any], args: tuple[Any, ...] = (), nprocs: int = 1, join: bool = True,
          daemon: bool = False, start_method: str = "spawn") -> ProcessContext | None:
    """`start_processes` with the ``"spawn"`` start method (another ``start_method`` warns and is not used)."""
    if start_method != "spawn":
        warnings.warn(f"spawn only supports start_method='spawn' (got {start_method!r}); to use another start "
                      f"method call anynn.multiprocessing.start_processes(...)", FutureWarning, stacklevel=2)
    return start_processes(fn, args, nprocs, join, daemon, start_method="spawn")
