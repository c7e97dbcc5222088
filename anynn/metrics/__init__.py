"""Metrics computed in the backend's namespace: classification and regression scores as scikit-learn
defines them, on Tensors, native arrays, NumPy arrays or lists; results are Python floats (or native
arrays for per-class values and confusion matrices).

    from anynn import metrics
    metrics.accuracy(y_test, model(x_test))          # logits (N, C) or labels (N,)
    metrics.f1_score(y_test, logits, average="macro")
"""

from .classification import (accuracy, confusion_matrix, f1_score, precision, precision_recall_f1, recall,
                             top_k_accuracy)
from .regression import mae, mean_absolute_error, mean_squared_error, mse, r2, r2_score

f1 = f1_score

__all__ = [
    "accuracy", "confusion_matrix", "f1", "f1_score", "mae", "mean_absolute_error", "mean_squared_error",
    "mse", "precision", "precision_recall_f1", "r2", "r2_score", "recall", "top_k_accuracy",
]
