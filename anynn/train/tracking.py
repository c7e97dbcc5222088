"""Metrics accumulated over an epoch's batches without waiting for the device at every batch.

Per-sample metrics (accuracy, top-k, MSE, MAE, user functions) keep a running sum; metrics that do
not split over batches (precision, recall, F1, R²) keep the batches' predicted labels (or outputs)
and are computed once on their concatenation, so both give the value on the whole epoch.
"""

from __future__ import annotations

import re
from typing import Any, Callable

from .. import metrics as M
from ..backend.typing import Namespace
from ..metrics.classification import correct_mask, predicted_labels, top_k_mask
from ..metrics.regression import errors


class Tracker:
    """One metric over one epoch: ``reset()``, ``update(y_true, y_pred)`` with native arrays, ``result()``."""

    name: str

    def reset(self) -> None:
        raise NotImplementedError  # abstract

    def update(self, xp: Namespace, y_true: Any, y_pred: Any) -> None:
        raise NotImplementedError  # abstract

    def result(self) -> float:
        raise NotImplementedError  # abstract


class MeanTracker(Tracker):
    """Mean of a per-element quantity: the sum stays a device array until `result`."""

    def __init__(self, name: str, values: Callable[[Any, Any, Any], Any]) -> None:
        self.name = name
        self.values = values
        self.reset()

    def reset(self) -> None:
        self.total: Any = None
        self.count = 0

    def update(self, xp: Namespace, y_true: Any, y_pred: Any) -> None:
        v = self.values(xp, y_true, y_pred)
        s = xp.sum(v if v.dtype != xp.bool else xp.astype(v, xp.float32))
        self.total = s if self.total is None else self.total + s
        n = 1
        for d in v.shape:
            n *= d
        self.count += n

    def result(self) -> float:
        return float("nan") if self.count == 0 else float(self.total) / self.count


class FunctionTracker(Tracker):
    """A user function ``f(y_true, y_pred) -> float``, averaged over batches weighted by batch size."""

    def __init__(self, fn: Callable[[Any, Any], Any]) -> None:
        self.name = getattr(fn, "__name__", type(fn).__name__)
        self.fn = fn
        self.reset()

    def reset(self) -> None:
        self.total = 0.0
        self.count = 0

    def update(self, xp: Namespace, y_true: Any, y_pred: Any) -> None:
        n = y_true.shape[0] if y_true.ndim else 1
        self.total += float(self.fn(y_true, y_pred)) * n
        self.count += n

    def result(self) -> float:
        return float("nan") if self.count == 0 else self.total / self.count


class EpochTracker(Tracker):
    """A metric of the whole epoch: stores (reduced) predictions, computes once at the end."""

    def __init__(self, name: str, score: Callable[[Any, Any], float], labels_only: bool) -> None:
        self.name = name
        self.score = score
        self.labels_only = labels_only
        self.reset()

    def reset(self) -> None:
        self.targets: list[Any] = []
        self.outputs: list[Any] = []
        self.xp: Namespace = None

    def update(self, xp: Namespace, y_true: Any, y_pred: Any) -> None:
        self.xp = xp
        self.targets.append(y_true)
        self.outputs.append(predicted_labels(xp, y_true, y_pred) if self.labels_only else y_pred)

    def result(self) -> float:
        if not self.targets:
            return float("nan")
        xp = self.xp
        return float(self.score(xp.concat(self.targets, axis=0), xp.concat(self.outputs, axis=0)))


_AVERAGED = {"precision": M.precision, "recall": M.recall, "f1": M.f1_score}
_TOP_K = re.compile(r"top_?(\d+)_accuracy$")


def make_tracker(metric: Any) -> Tracker:
    """A `Tracker` for a metric name or a function ``f(y_true, y_pred) -> float`` of native arrays.

    Names: ``accuracy`` (``acc``), ``top_k_accuracy`` (k=5) or ``top<k>_accuracy``, ``mse``, ``mae``,
    ``r2``, ``precision``, ``recall``, ``f1`` (macro average; add ``_micro`` or ``_weighted``).
    """
    if callable(metric):
        return FunctionTracker(metric)
    if not isinstance(metric, str):
        raise TypeError(f"a metric is a name or a function f(y_true, y_pred), not {type(metric).__name__}")
    name = metric
    if name in ("accuracy", "acc"):
        return MeanTracker(name, correct_mask)
    top = _TOP_K.match(name)
    if name == "top_k_accuracy" or top:
        k = int(top.group(1)) if top else 5
        return MeanTracker(name, lambda xp, t, p: top_k_mask(xp, t, p, k))
    if name in ("mse", "mean_squared_error"):
        return MeanTracker(name, lambda xp, t, p: errors(xp, t, p) ** 2)
    if name in ("mae", "mean_absolute_error"):
        return MeanTracker(name, lambda xp, t, p: xp.abs(errors(xp, t, p)))
    if name in ("r2", "r2_score"):
        return EpochTracker(name, M.r2, labels_only=False)
    base, _, average = name.partition("_")
    if base in _AVERAGED and average in ("", "macro", "micro", "weighted"):
        fn = _AVERAGED[base]
        return EpochTracker(name, lambda t, p: fn(t, p, average=average or "macro"), labels_only=True)
    raise ValueError(f"unknown metric {name!r}: expected accuracy, top_k_accuracy, top<k>_accuracy, mse, mae, r2, "
                     "precision, recall, f1 (optionally _micro or _weighted), or a function f(y_true, y_pred)")
