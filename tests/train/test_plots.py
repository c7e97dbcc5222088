"""History.plot and plot_confusion_matrix write valid PNGs headlessly, without pyplot."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import anynn
from anynn import metrics
from anynn.train import History, plot_confusion_matrix

pytest.importorskip("matplotlib")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def is_png(path) -> bool:
    data = path.read_bytes()
    return data[:8] == PNG_SIGNATURE and len(data) > 1000


def history(epochs=4, lr_changes=True):
    h = History()
    for e in range(epochs):
        h.append(e, {"loss": 1.0 / (e + 1), "accuracy": 0.5 + 0.1 * e, "val_loss": 1.2 / (e + 1),
                     "val_accuracy": 0.45 + 0.1 * e, "lr": 0.1 * 0.5 ** e if lr_changes else 0.1})
    return h


def test_history_plot_writes_png(tmp_path):
    path = tmp_path / "history.png"
    fig = history().plot(path)
    assert is_png(path)
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy", "lr"]
    assert len(fig.axes[0].lines) == 2  # train and validation
    fig = history(lr_changes=False).plot()
    assert [ax.get_title() for ax in fig.axes] == ["loss", "accuracy"]
    assert len(history().plot(keys=["loss"]).axes) == 1


def test_history_plot_empty():
    with pytest.raises(ValueError, match="empty"):
        History().plot()


def test_history_pads_missing_keys():
    h = History()
    h.append(0, {"loss": 1.0})
    h.append(1, {"loss": 0.5, "val_loss": 0.7})
    assert np.isnan(h.history["val_loss"][0]) and h.history["val_loss"][1] == 0.7
    assert "2 epochs" in repr(h)


def test_confusion_matrix_plot(tmp_path, backend):
    rng = np.random.default_rng(0)
    y = anynn.tensor(rng.integers(0, 3, 40), backend=backend)
    scores = anynn.tensor(rng.standard_normal((40, 3)).astype(np.float32), backend=backend)
    cm = metrics.confusion_matrix(y, scores)
    path = tmp_path / "cm.png"
    fig = plot_confusion_matrix(cm, class_names=["cat", "dog", "bird"], path=path)
    assert is_png(path)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts == [str(v) for v in backend.to_host(cm).ravel()]
    fig = plot_confusion_matrix(anynn.tensor(backend.to_host(cm), backend=backend), normalize=True)
    assert all(0.0 <= float(t.get_text()) <= 1.0 for t in fig.axes[0].texts)


def test_confusion_matrix_plot_errors():
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix([[1, 2, 3]])
    with pytest.raises(ValueError, match="class names"):
        plot_confusion_matrix([[1, 2], [3, 4]], class_names=["a"])


def test_missing_matplotlib_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install 'anynn\[plot\]'"):
        history().plot()
