"""Progress display for `fit`: a tqdm bar per epoch (``verbose=1``) or one line per epoch (``verbose=2``).

Bars show the running loss and metrics and the samples per second; on CuPy also the GPU memory held
by CuPy's default memory pool. Without tqdm (the optional extra ``progress``) ``verbose=1`` prints
one line per epoch. Running values are read from the device at most every ``refresh`` seconds, so
the display does not stall a GPU at every batch.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable, TextIO



def _tqdm() -> Any:
    """tqdm's bar class, imported on first use (it costs ~25 ms of `import anynn`), or None if absent."""
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional: fall back to printed lines
        return None
    return tqdm


def format_logs(logs: dict[str, float]) -> str:
    """``loss: 0.1234 - accuracy: 0.9700 - lr: 0.001``."""
    parts = []
    for key, value in logs.items():
        parts.append(f"{key}: {value:.3g}" if key == "lr" else f"{key}: {value:.4f}")
    return " - ".join(parts)


def gpu_memory(backend: Any) -> str | None:
    """``"gpu 123 MiB"``: the device memory the backend's library holds (`Backend.memory_in_use`), or ``None``."""
    if backend is None:
        return None
    try:
        used = backend.memory_in_use()
    except Exception:  # a display must never break training
        return None
    return None if used is None else f"gpu {used / 2**20:.0f} MiB"


class Progress:
    """Shows one `fit` run. ``verbose``: 0 silent, 1 a bar per epoch, 2 one line per epoch."""

    def __init__(self, verbose: int, epochs: int, batches: int | None, backend: Any = None,
                 file: TextIO | None = None, refresh: float = 0.1) -> None:
        if verbose not in (0, 1, 2):
            raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
        self.verbose = verbose
        self.epochs = epochs
        self.batches = batches
        self.backend = backend
        self.file = file
        self.refresh = refresh
        self.bar: Any = None

    def epoch_begin(self, epoch: int) -> None:
        self.epoch = epoch
        self.samples = 0
        self.start = self.last = time.perf_counter()
        tqdm = _tqdm() if self.verbose == 1 else None
        if tqdm is not None:
            self.bar = tqdm(total=self.batches, desc=f"Epoch {epoch + 1}/{self.epochs}", unit="batch",
                            leave=True, file=self.file, dynamic_ncols=True)

    def batch_end(self, size: int, running: Callable[[], dict[str, float]]) -> None:
        """Count a batch; ``running()`` (read only when the display refreshes) gives the running logs."""
        self.samples += size
        if self.bar is None:
            return
        self.bar.update(1)
        now = time.perf_counter()
        if now - self.last >= self.refresh:
            self.last = now
            self.bar.set_postfix_str(self._postfix(running(), now), refresh=False)

    def epoch_end(self, logs: dict[str, float]) -> None:
        now = time.perf_counter()
        if self.bar is not None:
            self.bar.set_postfix_str(self._postfix(logs, now), refresh=False)
            self.bar.close()
            self.bar = None
        elif self.verbose:
            seconds = now - self.start
            line = (f"Epoch {self.epoch + 1}/{self.epochs} - {seconds:.2f}s - "
                    f"{self.samples / max(seconds, 1e-9):.0f} samples/s - {format_logs(logs)}")
            memory = gpu_memory(self.backend)
            print(line + (f" - {memory}" if memory else ""), file=self.file or sys.stdout, flush=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _postfix(self, logs: dict[str, float], now: float) -> str:
        parts = [format_logs(logs).replace(": ", "=").replace(" - ", ", "),
                 f"{self.samples / max(now - self.start, 1e-9):.0f} samples/s"]
        memory = gpu_memory(self.backend)
        if memory:
            parts.append(memory)
        return ", ".join(parts)
