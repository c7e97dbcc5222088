"""`detect_anomaly`: stop at the first Function whose forward or backward makes a NaN or an Inf."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Callable, Iterator

from . import mode
from .mode import modes as _modes

if TYPE_CHECKING:
    from .primitive import Function


@contextlib.contextmanager
def detect_anomaly(check_nan: bool = True) -> Iterator[None]:
    """Check every Function's outputs (forward) and input gradients (backward) for NaN/Inf, in this thread.

    The first non-finite value raises `FloatingPointError` naming the Function, the pass and the
    output, so the error points at the op that made it rather than at the loss. Slow (one reduction
    per output): use it to debug, not to train.

    Example
    -------
    >>> with anynn.autograd.detect_anomaly():  # doctest: +SKIP
    ...     loss = model(x).sum(); loss.backward()
    FloatingPointError: Log.forward produced NaN in output 0 (shape (3,))
    """
    modes = mode.modes()  # this thread's: other threads keep their own setting, as in PyTorch
    previous = modes.anomaly_hook
    _set_hook(modes, _check if check_nan else None)
    try:
        yield
    finally:
        _set_hook(modes, previous)



class set_detect_anomaly:  # noqa: N801 - PyTorch's name
    """Anomaly detection on (``mode=True``) or off in this thread, as ``torch.autograd.set_detect_anomaly``: at
    once when called (``anynn.autograd.set_detect_anomaly(True)`` at the top of a script), and back to the previous
    setting at the end of a ``with`` block. ``check_nan=False`` checks nothing, as `detect_anomaly`."""

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        modes = _modes()
        self.previous = modes.anomaly_hook
        _set_hook(modes, _check if mode and check_nan else None)

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        _set_hook(_modes(), self.previous)


def is_anomaly_enabled() -> bool:
    """Whether anomaly detection is on in this thread."""
    return mode.modes().anomaly_hook is not None


def _set_hook(modes: mode.Modes, hook: Callable[[Function, str, Any], None] | None) -> None:
    """Set this thread's hook and keep the count of threads with a hook (the fast path's hint) right."""
    with mode.anomaly_lock:
        mode.anomaly_threads[0] += (hook is not None) - (modes.anomaly_hook is not None)
        modes.anomaly_hook = hook


def _check(fn: Function, phase: str, outputs: Any) -> None:
    arrays = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    xp = fn.backend.xp
    for i, array in enumerate(arrays):
        if array is None or not hasattr(array, "dtype") or not xp.isdtype(array.dtype, ("real floating",
                                                                                        "complex floating")):
            continue
        if bool(xp.all(xp.isfinite(array))):
            continue
        what = "NaN" if bool(xp.any(xp.isnan(array))) else "Inf"
        where = f"output {i}" if phase == "forward" else f"the gradient of input {i}"
        raise FloatingPointError(f"{fn.name}.{phase} produced {what} in {where} (shape {tuple(array.shape)}); "
                                 "this is the first Function to do so")
