"""Regression metrics in the backend's namespace, matching scikit-learn's definitions.

Targets and predictions share a shape ``(N,)`` or ``(N, K)``; ``(N, 1)`` predictions also match
``(N,)`` targets. Multi-output scores are averaged uniformly over outputs, as scikit-learn's default.
"""

from __future__ import annotations

from typing import Any

from ..backend.typing import Namespace
from ._arrays import as_native, is_floating, to_float


def errors(xp: Namespace, y_true: Any, y_pred: Any) -> Any:
    """``y_pred - y_true`` in the predictions' floating dtype, after matching ``(N, 1)`` to ``(N,)``."""
    if y_pred.shape != y_true.shape:
        if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] == 1:
            y_pred = y_pred[..., 0]
        elif y_true.ndim == y_pred.ndim + 1 and y_true.shape[-1] == 1:
            y_true = y_true[..., 0]
        else:
            raise ValueError(f"predictions of shape {tuple(y_pred.shape)} do not match targets of shape "
                             f"{tuple(y_true.shape)}")
    dtype = y_pred.dtype if is_floating(y_pred) else (y_true.dtype if is_floating(y_true) else xp.float64)
    return xp.astype(y_pred, dtype) - xp.astype(y_true, dtype)


def mse(y_true: Any, y_pred: Any) -> float:
    """Mean squared error (scikit-learn's ``mean_squared_error``)."""
    xp, _, (t, p) = as_native(y_true, y_pred)
    e = errors(xp, t, p)
    return to_float(xp.mean(e * e))


def mae(y_true: Any, y_pred: Any) -> float:
    """Mean absolute error (scikit-learn's ``mean_absolute_error``)."""
    xp, _, (t, p) = as_native(y_true, y_pred)
    return to_float(xp.mean(xp.abs(errors(xp, t, p))))


def r2(y_true: Any, y_pred: Any) -> float:
    """Coefficient of determination ``1 - SS_res / SS_tot`` (scikit-learn's ``r2_score``).

    A constant target scores 1.0 when predicted exactly, else 0.0 (scikit-learn's ``force_finite``).
    """
    xp, _, (t, p) = as_native(y_true, y_pred)
    e = errors(xp, t, p)
    target = xp.astype(t if t.ndim == e.ndim else xp.reshape(t, e.shape), e.dtype)
    ss_res = xp.sum(e * e, axis=0)
    centred = target - xp.mean(target, axis=0)
    ss_tot = xp.sum(centred * centred, axis=0)
    nonzero = ss_tot > 0
    exact = xp.astype(ss_res == 0, e.dtype)
    score = xp.where(nonzero, 1.0 - ss_res / xp.where(nonzero, ss_tot, xp.ones_like(ss_tot)), exact)
    return to_float(xp.mean(score))


mean_squared_error = mse
mean_absolute_error = mae
r2_score = r2
