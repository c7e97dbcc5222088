"""IEEE results without NumPy's RuntimeWarnings: ``x / 0``, ``log(0)``, ``0 / 0``, ``exp(1000)``.

PyTorch returns inf and nan silently; NumPy returns the same values and also warns ("divide by zero encountered
in divide"), which a port from PyTorch sees as noise or, under ``-W error``, as a failure. The backends whose
arrays compute with NumPy (numpy, numpy-portable, array_api_strict) hand `QUIET` to ``Function.apply`` and the
backward pass, which run the math between `QuietFloatErrors.enter` and `QuietFloatErrors.exit`: the user's own
NumPy code outside anynn keeps NumPy's settings.

``np.errstate`` costs about 2 us to enter and leave (it builds its state each time), which would slow every
small operation by a third; NumPy 2 keeps that state in one context variable, so setting a state built once
costs about 0.3 us. Where NumPy's private names differ (another version), ``np.errstate`` does the same, slower.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

_IGNORED = dict(divide="ignore", invalid="ignore", over="ignore")  # underflow is already silent by default


class QuietFloatErrors:
    """``token = q.enter()`` ... ``q.exit(token)``: NumPy's divide/invalid/overflow warnings off in between.

    Nested use is fine (each exit restores what its enter found); per thread and per context, as NumPy's state.
    """

    def __init__(self) -> None:
        try:
            from numpy._core._ufunc_config import _extobj_contextvar  # type: ignore[attr-defined]
            from numpy._core._multiarray_umath import _make_extobj
            self._variable: Any = _extobj_contextvar
            self._state: Any = _make_extobj(**_IGNORED)
        except (ImportError, AttributeError, TypeError):  # not NumPy 2's layout: the public, slower way
            self._variable = None
        else:  # the context variable's own methods: no Python frame in the calls every Function makes
            self.enter = functools.partial(self._variable.set, self._state)  # type: ignore[method-assign]
            self.exit = self._variable.reset  # type: ignore[method-assign]

    def enter(self) -> Any:
        if self._variable is not None:
            return self._variable.set(self._state)
        errstate = np.errstate(**_IGNORED)  # type: ignore[arg-type]
        errstate.__enter__()
        return errstate

    def exit(self, token: Any) -> None:
        if self._variable is not None:
            self._variable.reset(token)
        else:
            token.__exit__(None, None, None)


QUIET = QuietFloatErrors()


def quietly(backend: Any, fn: Any, *args: Any) -> Any:
    """``fn(*args)`` in ``backend``'s quiet float-error state: for array math outside a Function (floor division)."""
    quiet = backend.quiet_float_errors
    if quiet is None:
        return fn(*args)
    token = quiet.enter()
    try:
        return fn(*args)
    finally:
        quiet.exit(token)
