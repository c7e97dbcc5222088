"""Classification metrics in the backend's namespace, matching scikit-learn's definitions.

Predictions may be class indices ``(N,)``, class scores (logits or probabilities) ``(N, C)`` whose
argmax is the predicted class, or binary probabilities of the same shape as the targets, thresholded
at ``threshold``. Targets are class indices ``(N,)`` (any extra leading axes are flattened along).
"""

from __future__ import annotations

from typing import Any, Sequence

from ..backend.devices import device_of
from ..backend.typing import Namespace
from ._arrays import as_native, is_floating, to_float


def predicted_labels(xp: Namespace, y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """The predicted class indices, same shape as ``y_true``: argmax of scores, thresholded
    probabilities, or ``y_pred`` itself when it already holds labels."""
    if y_pred.ndim == y_true.ndim + 1 and y_pred.shape[-1] != 1:
        return xp.argmax(y_pred, axis=-1)
    if y_pred.shape != y_true.shape:
        if _size(y_pred) == _size(y_true):  # (N, 1) sigmoid outputs against (N,) targets
            y_pred = xp.reshape(y_pred, y_true.shape)
        else:
            raise ValueError(f"predictions of shape {tuple(y_pred.shape)} do not match targets of shape "
                             f"{tuple(y_true.shape)}: expected the same shape or one more axis of class scores")
    if is_floating(y_pred):
        return xp.astype(y_pred > threshold, xp.int64)
    return y_pred


def correct_mask(xp: Namespace, y_true: Any, y_pred: Any, threshold: float = 0.5) -> Any:
    """Boolean array, shape of ``y_true``: where the predicted class equals the target."""
    labels = predicted_labels(xp, y_true, y_pred, threshold)
    return _as_int(xp, labels) == _as_int(xp, y_true)


def top_k_mask(xp: Namespace, y_true: Any, y_score: Any, k: int) -> Any:
    """Boolean ``(N,)``: whether the target's score is among the ``k`` highest of its row.

    Ties count in the target's favour (scikit-learn breaks them by class order).
    """
    if y_score.ndim != 2 or y_true.ndim != 1 or y_score.shape[0] != y_true.shape[0]:
        raise ValueError(f"top_k_accuracy expects targets (N,) and scores (N, C), got {tuple(y_true.shape)} "
                         f"and {tuple(y_score.shape)}")
    onehot = _one_hot(xp, _as_int(xp, y_true), y_score.shape[1])
    true_score = xp.sum(xp.where(onehot, y_score, xp.zeros_like(y_score)), axis=1)
    above = xp.sum(xp.astype(y_score > true_score[:, None], xp.int64), axis=1)
    return above < k


def accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> float:
    """Fraction of correct predictions (scikit-learn's ``accuracy_score``).

    Parameters
    ----------
    y_true : (N, ...) class indices
    y_pred : (N, ...) class indices, (N, ..., C) class scores, or (N, ...) binary probabilities
    threshold : float
        Cut for binary probabilities (use 0.0 for logits of a sigmoid).
    """
    xp, _, (t, p) = as_native(y_true, y_pred)
    return to_float(xp.mean(xp.astype(correct_mask(xp, t, p, threshold), xp.float64)))


def top_k_accuracy(y_true: Any, y_score: Any, k: int = 5) -> float:
    """Fraction of samples whose target is among the ``k`` highest scores (``top_k_accuracy_score``).

    ``y_true``: (N,) class indices; ``y_score``: (N, C) scores.
    """
    xp, _, (t, s) = as_native(y_true, y_score)
    return to_float(xp.mean(xp.astype(top_k_mask(xp, t, s, k), xp.float64)))


def confusion_matrix(y_true: Any, y_pred: Any, labels: Sequence[int] | None = None,
                     num_classes: int | None = None) -> Any:
    """Counts ``C[i, j]`` of samples of class ``labels[i]`` predicted as ``labels[j]``, int64 ``(K, K)``.

    The classes are ``labels`` if given, else ``range(num_classes)``, else ``range(C)`` for (N, C)
    scores, else the sorted union of the labels present (as scikit-learn). Returns a native array of
    the inputs' backend.
    """
    xp, _, (t, p) = as_native(y_true, y_pred)
    classes = _classes(xp, t, p, labels, num_classes)
    return _confusion(xp, t, p, classes)


def precision(y_true: Any, y_pred: Any, average: str | None = "macro", labels: Sequence[int] | None = None,
              pos_label: int = 1) -> Any:
    """Precision ``tp / (tp + fp)`` (scikit-learn's ``precision_score``; 0 where undefined).

    ``average``: ``"macro"`` (mean over classes), ``"micro"`` (from the summed counts), ``"weighted"``
    (mean weighted by support), ``"binary"`` (class ``pos_label`` only) or ``None`` (per class,
    a native array).
    """
    return precision_recall_f1(y_true, y_pred, average, labels, pos_label)[0]


def recall(y_true: Any, y_pred: Any, average: str | None = "macro", labels: Sequence[int] | None = None,
           pos_label: int = 1) -> Any:
    """Recall ``tp / (tp + fn)`` (scikit-learn's ``recall_score``); ``average`` as in `precision`."""
    return precision_recall_f1(y_true, y_pred, average, labels, pos_label)[1]


def f1_score(y_true: Any, y_pred: Any, average: str | None = "macro", labels: Sequence[int] | None = None,
             pos_label: int = 1) -> Any:
    """F1, the harmonic mean of precision and recall (scikit-learn's ``f1_score``); ``average`` as in
    `precision` (macro and weighted average the per-class F1)."""
    return precision_recall_f1(y_true, y_pred, average, labels, pos_label)[2]


def precision_recall_f1(y_true: Any, y_pred: Any, average: str | None = "macro",
                        labels: Sequence[int] | None = None, pos_label: int = 1) -> tuple[Any, Any, Any]:
    """``(precision, recall, f1)`` from one confusion matrix; see `precision` for ``average``."""
    if average not in ("macro", "micro", "weighted", "binary", None):
        raise ValueError(f"average must be 'macro', 'micro', 'weighted', 'binary' or None, got {average!r}")
    xp, _, (t, p) = as_native(y_true, y_pred)
    classes = _classes(xp, t, p, labels, None)
    # counted over all samples: with ``labels`` a subset, a sample of another class predicted as one of
    # them is still a false positive (scikit-learn), so these are not the sums of the restricted matrix
    true_onehot, pred_onehot = _one_hots(xp, t, p, classes)
    tp = xp.sum(true_onehot * pred_onehot, axis=0)
    predicted = xp.sum(pred_onehot, axis=0)
    support = xp.sum(true_onehot, axis=0)
    if average == "micro":
        p_micro, r_micro = _ratio(xp, xp.sum(tp), xp.sum(predicted)), _ratio(xp, xp.sum(tp), xp.sum(support))
        return to_float(p_micro), to_float(r_micro), to_float(_harmonic(xp, p_micro, r_micro))
    per_p, per_r = _ratio(xp, tp, predicted), _ratio(xp, tp, support)
    per_f = _harmonic(xp, per_p, per_r)
    if average is None:
        return per_p, per_r, per_f
    if average == "binary":
        pick = xp.astype(classes == pos_label, tp.dtype)
        return tuple(to_float(xp.sum(v * pick)) for v in (per_p, per_r, per_f))  # type: ignore[return-value]
    if average == "weighted":
        weights = support / xp.sum(support)
        return tuple(to_float(xp.sum(v * weights)) for v in (per_p, per_r, per_f))  # type: ignore[return-value]
    return tuple(to_float(xp.mean(v)) for v in (per_p, per_r, per_f))  # type: ignore[return-value]


# -- helpers -------------------------------------------------------------------------------------
def _size(a: Any) -> int:
    n = 1
    for s in a.shape:
        n *= s
    return n


def _device(a: Any) -> Any:
    return device_of(a)


def _as_int(xp: Namespace, a: Any) -> Any:
    return a if a.dtype == xp.int64 else xp.astype(a, xp.int64)


def _one_hot(xp: Namespace, labels: Any, num_classes: int) -> Any:
    return labels[..., None] == xp.arange(num_classes, dtype=xp.int64, device=_device(labels))


def _classes(xp: Namespace, t: Any, p: Any, labels: Sequence[int] | None, num_classes: int | None) -> Any:
    if labels is not None:
        return xp.asarray(list(labels), dtype=xp.int64, device=_device(t))
    if num_classes is None and p.ndim == t.ndim + 1 and p.shape[-1] != 1:
        num_classes = p.shape[-1]
    if num_classes is not None:
        return xp.arange(num_classes, dtype=xp.int64, device=_device(t))
    found = xp.concat([xp.reshape(_as_int(xp, t), (-1,)), xp.reshape(_as_int(xp, predicted_labels(xp, t, p)), (-1,))])
    return xp.unique_values(found)


def _one_hots(xp: Namespace, t: Any, p: Any, classes: Any) -> tuple[Any, Any]:
    """Float64 ``(N, K)`` one-hots of the true and the predicted class among ``classes``."""
    true_labels = xp.reshape(_as_int(xp, t), (-1,))
    pred_labels = xp.reshape(_as_int(xp, predicted_labels(xp, t, p)), (-1,))
    return (xp.astype(true_labels[:, None] == classes[None, :], xp.float64),
            xp.astype(pred_labels[:, None] == classes[None, :], xp.float64))


def _confusion(xp: Namespace, t: Any, p: Any, classes: Any) -> Any:
    # one-hot rows times one-hot columns: counts by matmul (float64 is exact far beyond any sample count)
    true_onehot, pred_onehot = _one_hots(xp, t, p, classes)
    return xp.astype(xp.round(true_onehot.mT @ pred_onehot), xp.int64)


def _ratio(xp: Namespace, num: Any, den: Any) -> Any:
    """``num / den`` with 0 where ``den`` is 0 (scikit-learn's zero_division=0 without the warning)."""
    positive = den > 0
    return xp.where(positive, num / xp.where(positive, den, xp.ones_like(den)), xp.zeros_like(num))


def _harmonic(xp: Namespace, a: Any, b: Any) -> Any:
    return _ratio(xp, 2.0 * a * b, a + b)
