"""`History`: per-epoch logs of a `fit` run, with Keras's keys, and their plot."""

from __future__ import annotations

from typing import Any

from .plots import new_figure


class History:
    """What `fit` returns: ``history.history[key]`` is the list of per-epoch values.

    Keys follow Keras: ``loss``, each metric (``accuracy``...), ``val_loss`` and ``val_<metric>`` when
    validation data are given, and ``lr`` (the first parameter group's learning rate at the end of
    the epoch, before epoch-end callbacks such as a scheduler step).

    Attributes
    ----------
    history : dict[str, list[float]]
    epoch : list[int]
        The epoch index (from 0) of each entry.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def append(self, epoch: int, logs: dict[str, float]) -> None:
        """Record one epoch's logs (a key missing from earlier epochs is padded with NaN)."""
        for key, value in logs.items():
            column = self.history.setdefault(key, [float("nan")] * len(self.epoch))
            column.append(float(value))
        self.epoch.append(epoch)
        for column in self.history.values():
            if len(column) < len(self.epoch):
                column.append(float("nan"))

    def __len__(self) -> int:
        return len(self.epoch)

    def __repr__(self) -> str:
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items() if v)
        return f"History({len(self)} epochs: {last})"

    def plot(self, path: Any = None, keys: list[str] | None = None) -> Any:
        """Plot the curves, one panel per quantity, training solid and validation dashed.

        The learning rate gets its own panel (log scale) when it changed during training.

        Parameters
        ----------
        path : str or path-like, optional
            Write a PNG there.
        keys : list of str, optional
            The quantities to plot (default: every key except ``val_*`` and ``lr``, whose curves go
            with their training key).

        Returns
        -------
        matplotlib.figure.Figure
            Made without pyplot (no global state, no display needed).
        """
        if not self.epoch:
            raise ValueError("History.plot: nothing to plot, the history is empty")
        if keys is None:
            keys = [k for k in self.history if not k.startswith("val_") and k != "lr"]
            keys += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in self.history]
            lr = self.history.get("lr", [])
            if lr and min(lr) != max(lr):
                keys.append("lr")
        fig = new_figure((4.2 * len(keys), 3.4))
        x = [e + 1 for e in self.epoch]
        for i, key in enumerate(keys):
            ax = fig.add_subplot(1, len(keys), i + 1)
            if key in self.history:
                ax.plot(x, self.history[key], "-o", markersize=3, label="train" if key != "lr" else "lr")
            if "val_" + key in self.history:
                ax.plot(x, self.history["val_" + key], "--o", markersize=3, label="validation")
            if key == "lr":
                ax.set_yscale("log")
            ax.set_title(key)
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
            ax.legend()
        fig.tight_layout()
        if path is not None:
            fig.savefig(path, dpi=100)
        return fig
