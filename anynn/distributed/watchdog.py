"""`Watchdog`: abort the whole job when one collective call waits too long.

A rank that dies or hangs leaves the others blocked inside ``Allreduce`` for ever, and MPI cannot
always tell (shared-memory transports do not notice a dead peer; some launchers do not clean up).
Every blocking call of `anynn.distributed` runs inside ``watchdog.watch(what)``; a daemon thread
aborts the job with a message naming the rank and the call once the deadline passes.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from contextlib import contextmanager
from typing import Callable, Iterator


class Watchdog:
    """Abort (``on_timeout``) when a watched call lasts longer than ``timeout`` seconds.

    Parameters
    ----------
    timeout : float or None
        Seconds one collective call may block; ``None`` switches the watchdog off.
    on_timeout : callable
        Called once, from the watchdog thread, to end the job (e.g. ``MPI.COMM_WORLD.Abort(1)``).
        If it returns, the process exits with status 1 a few seconds later.
    rank : int
        Named in the message.
    grace : float
        Seconds to wait after ``on_timeout`` before ending this process with ``exit(1)``.
    """

    def __init__(self, timeout: float | None, on_timeout: Callable[[], None], rank: int = 0, grace: float = 5.0,
                 exit: Callable[[int], None] = os._exit) -> None:
        if timeout is not None and not timeout > 0:
            raise ValueError(f"the distributed timeout must be positive seconds or None, got {timeout!r}")
        self.timeout = timeout
        self.on_timeout = on_timeout
        self.rank = rank
        self.grace = grace
        self.exit = exit
        self._cond = threading.Condition()
        self._what: str | None = None
        self._deadline: float | None = None
        self._thread: threading.Thread | None = None

    @contextmanager
    def watch(self, what: str) -> Iterator[None]:
        """Run the body under the deadline; ``what`` names the call in the abort message."""
        if self.timeout is None:
            yield
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="anynn-distributed-watchdog", daemon=True)
            self._thread.start()
        with self._cond:
            self._what, self._deadline = what, time.monotonic() + self.timeout
            self._cond.notify()
        try:
            yield
        finally:
            with self._cond:
                self._what = self._deadline = None

    def _run(self) -> None:
        with self._cond:
            while True:
                if self._deadline is None:
                    self._cond.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._cond.wait(left)
                    continue
                what = self._what
                break
        sys.stderr.write(
            f"anynn.distributed: rank {self.rank} waited more than {self.timeout:g} s in {what}: another rank "
            "died or hangs. Aborting all ranks (raise the limit with anynn.distributed.init(timeout=...)).\n")
        sys.stderr.flush()
        try:
            self.on_timeout()
        finally:
            time.sleep(self.grace)  # let MPI's abort take the other ranks down first
            self.exit(1)
