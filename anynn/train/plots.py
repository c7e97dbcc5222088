"""Plots with matplotlib (the optional extra ``plot``): headless, without pyplot's global state."""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.tensor import Tensor
from ..backend import backend_of, host_array


def _matplotlib() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise ImportError("plotting needs matplotlib: pip install 'anynn[plot]' (or pip install matplotlib)") from None
    return matplotlib


def new_figure(size: tuple[float, float]) -> Any:
    """A `matplotlib.figure.Figure` drawn by the Agg canvas: works with no display and leaves pyplot alone."""
    _matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    return fig


def _host(values: Any) -> Any:
    """A NumPy array from a Tensor, a native array of any backend, or nested lists."""
    if isinstance(values, Tensor):
        return values.numpy()
    try:
        return backend_of(values).to_host(values)
    except TypeError:
        return host_array(values, float_dtype=None)


def plot_confusion_matrix(cm: Any, class_names: Sequence[str] | None = None, path: Any = None,
                          normalize: bool = False, title: str = "confusion matrix") -> Any:
    """Draw a confusion matrix (rows: true class, columns: predicted class) with its counts.

    Parameters
    ----------
    cm : (K, K) Tensor, native array or nested lists
        From `anynn.metrics.confusion_matrix`.
    class_names : sequence of K str, optional
        Tick labels (default ``0 .. K-1``).
    path : str or path-like, optional
        Write a PNG there.
    normalize : bool
        Show each row as fractions of its true class.

    Returns
    -------
    matplotlib.figure.Figure
    """
    matrix = _host(cm)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square (K, K) matrix, got shape {matrix.shape}")
    k = matrix.shape[0]
    names = [str(i) for i in range(k)] if class_names is None else [str(n) for n in class_names]
    if len(names) != k:
        raise ValueError(f"plot_confusion_matrix: {len(names)} class names for a {k}x{k} matrix")
    if normalize:
        totals = matrix.sum(axis=1, keepdims=True)
        matrix = matrix / (totals + (totals == 0))
    side = max(4.0, 0.5 * k + 2.0)
    fig = new_figure((side + 1.0, side))
    ax = fig.add_subplot(1, 1, 1)
    image = ax.imshow(matrix, cmap="Blues")
    fig.colorbar(image, ax=ax)
    ax.set_xticks(range(k), names, rotation=45 if max(len(n) for n in names) > 3 else 0)
    ax.set_yticks(range(k), names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    if k <= 30:
        cut = matrix.max() / 2.0
        for i in range(k):
            for j in range(k):
                value = matrix[i, j]
                text = f"{value:.2f}" if normalize else f"{int(value)}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if value > cut else "black")
    fig.tight_layout()
    if path is not None:
        fig.savefig(path, dpi=100)
    return fig
