"""`detect_anomaly`: stop at the first Function whose backward returns a NaN gradient, as PyTorch's."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any, Callable, Iterator

from . import mode
from .mode import modes as _modes

if TYPE_CHECKING:
    from .primitive import Function


@contextlib.contextmanager
def detect_anomaly(check_nan: bool = True) -> Iterator[None]:
    """Check the gradients every Function's backward returns for NaN, in this thread, as PyTorch's.

    The first NaN raises `AnomalyError` (a `RuntimeError` as PyTorch's, and a `FloatingPointError`)
    naming the Function and the input whose gradient it is. As in PyTorch, the forward's values are
    not checked (a ``-inf`` attention mask, a NaN that ``where`` discards) and neither is an infinite
    gradient. Slow (one reduction per gradient): use it to debug, not to train.

    Example
    -------
    >>> with anynn.autograd.detect_anomaly():  # doctest: +SKIP
    ...     loss = model(x).sum(); loss.backward()
    AnomalyError: Function 'Sqrt.backward' returned nan values in its 0th output (the gradient of input 0, ...)
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
        if not isinstance(mode, bool):  # as PyTorch: bool("no") is True
            raise TypeError(f"set_detect_anomaly(): argument 'mode' (position 1) must be bool, not "
                            f"{type(mode).__name__}")
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


class AnomalyError(RuntimeError, FloatingPointError):
    """A NaN gradient found by anomaly detection: PyTorch's `RuntimeError`, and a `FloatingPointError`."""


def _check(fn: Function, phase: str, outputs: Any) -> None:
    if phase != "backward":  # PyTorch checks what backward returns only: -inf masks and NaNs discarded by where run
        return
    arrays = outputs if isinstance(outputs, (tuple, list)) else (outputs,)
    xp = fn.backend.xp
    for i, array in enumerate(arrays):
        if array is None or not hasattr(array, "dtype") or not xp.isdtype(array.dtype, ("real floating",
                                                                                        "complex floating")):
            continue
        if bool(xp.any(xp.isnan(array))):
            raise AnomalyError(f"Function '{fn.name}.backward' returned nan values in its {i}th output (the gradient "
                               f"of input {i}, shape {tuple(array.shape)}); it is the first backward to do so")
