"""`detect_anomaly`: stop at the first Function whose forward or backward makes a NaN or an Inf."""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

from . import mode


@contextlib.contextmanager
def detect_anomaly(check_nan: bool = True) -> Iterator[None]:
    """Check every Function's outputs (forward) and input gradients (backward) for NaN/Inf.

    The first non-finite value raises `FloatingPointError` naming the Function, the pass and the
    output, so the error points at the op that made it rather than at the loss. Slow (one reduction
    per output): use it to debug, not to train.

    Example
    -------
    >>> with anynn.autograd.detect_anomaly():  # doctest: +SKIP
    ...     loss = model(x).sum(); loss.backward()
    FloatingPointError: Log.forward produced NaN in output 0 (shape (3,))
    """
    previous = mode.anomaly_hook
    mode.anomaly_hook = _check if check_nan else None
    try:
        yield
    finally:
        mode.anomaly_hook = previous


def _check(fn: Any, phase: str, outputs: Any) -> None:
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
