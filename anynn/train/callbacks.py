"""Callbacks: code run by `fit` at the start and end of training, epochs and batches (Keras's hooks).

A callback reads and steers the run through ``self.state`` (a `FitState`): ``state.model``,
``state.optimizer``, ``state.history``, ``state.epoch``, ``state.step``, and ``state.stop_training = True``
ends training after the current batch.
"""

from __future__ import annotations

import csv
import errno
import math
import os
import warnings
from dataclasses import dataclass, field
from typing import Any, Iterable

from .. import io as anynn_io
from .history import History


@dataclass
class FitState:
    """What a running `fit` shares with its callbacks."""

    model: Any
    optimizer: Any
    loss: Any
    epochs: int
    history: History = field(default_factory=History)
    epoch: int = 0
    step: int = 0
    stop_training: bool = False
    train_data: Any = None


class Callback:
    """Base class: override any of the hooks. ``logs`` are dicts of Python floats.

    ``on_batch_end`` gets ``{"loss": ..., "size": ...}`` for the batch; ``on_epoch_end`` gets the
    epoch's logs as recorded in the `History` (``loss``, metrics, ``val_*``, ``lr``). A callback
    whose ``on_batch_end`` does not read the loss sets ``uses_batch_logs = False``, which spares a
    device-to-host read per batch.
    """

    uses_batch_logs = True
    state: FitState

    def set_state(self, state: FitState) -> None:
        self.state = state

    @property
    def model(self) -> Any:
        return self.state.model

    @property
    def optimizer(self) -> Any:
        return self.state.optimizer

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Called before each epoch (``epoch`` counts from 0)."""

    def on_batch_begin(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called before each training batch."""

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        """Called after each training step."""

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        """Called after each epoch, with its training and validation logs."""

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        """Called once at the end (also after an early stop)."""


class CallbackList:
    """Calls each hook on every callback, in order."""

    def __init__(self, callbacks: Iterable[Callback], state: FitState) -> None:
        self.callbacks = list(callbacks)
        for cb in self.callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks must be anynn.train.Callback instances, got {type(cb).__name__}")
            cb.set_state(state)
        self.wants_batch_logs = any(cb.uses_batch_logs and type(cb).on_batch_end is not Callback.on_batch_end
                                    for cb in self.callbacks)

    def __getattr__(self, hook: str) -> Any:
        if not hook.startswith("on_"):
            raise AttributeError(hook)

        def call(*args: Any) -> None:
            for cb in self.callbacks:
                getattr(cb, hook)(*args)

        return call


def _resolve_mode(mode: str, monitor: str, who: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    higher_is_better = ("acc", "f1", "precision", "recall", "r2", "auc")
    return "max" if any(word in monitor for word in higher_is_better) else "min"


class _Monitor:
    """Tracks the best value of one logged quantity (shared by EarlyStopping and ModelCheckpoint)."""

    def __init__(self, monitor: str, mode: str, min_delta: float, who: str) -> None:
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor, who)
        self.min_delta = abs(min_delta)
        self.who = who
        self.best = math.inf if self.mode == "min" else -math.inf

    def value(self, logs: dict[str, float] | None) -> float | None:
        value = (logs or {}).get(self.monitor)
        if value is None:
            warnings.warn(f"{self.who}: '{self.monitor}' is not in the logs (available: "
                          f"{', '.join(logs or {})}); pass val_data to fit or monitor another key", stacklevel=3)
        return value

    def improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience`` epochs.

    Parameters
    ----------
    monitor : str
        A key of the epoch logs (``"val_loss"``, ``"val_accuracy"``, ``"loss"``...).
    min_delta : float
        The smallest change that counts as an improvement.
    patience : int
        Epochs without improvement before stopping.
    mode : {"auto", "min", "max"}
        ``auto``: maximise accuracy-like keys, minimise the rest.
    restore_best_weights : bool
        At the end of training, put back the parameters and buffers of the best epoch.

    Attributes
    ----------
    best, best_epoch, stopped_epoch : the best value, its epoch (from 0), the epoch stopped at (or -1)
    """

    uses_batch_logs = False

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0.0, patience: int = 0, mode: str = "auto",
                 restore_best_weights: bool = False, verbose: int = 0) -> None:
        self.tracker = _Monitor(monitor, mode, min_delta, "EarlyStopping")
        self.monitor = monitor
        self.patience = int(patience)
        self.restore_best_weights = restore_best_weights
        self.verbose = verbose

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.tracker.best = math.inf if self.tracker.mode == "min" else -math.inf
        self.wait = 0
        self.best_epoch = -1
        self.stopped_epoch = -1
        self.best_weights: dict[str, Any] | None = None

    @property
    def best(self) -> float:
        return self.tracker.best

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        value = self.tracker.value(logs)
        if value is None:
            return
        if self.tracker.improved(value):
            self.tracker.best = value
            self.best_epoch = epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = _copy_state(self.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.state.stop_training = True
            if self.verbose:
                print(f"EarlyStopping: {self.monitor} did not improve for {self.wait} epochs; stopping after "
                      f"epoch {epoch + 1} (best {self.best:.4f} at epoch {self.best_epoch + 1})")

    def on_train_end(self, logs: dict[str, float] | None = None) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)
            if self.verbose:
                print(f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1}")


def _copy_state(model: Any) -> dict[str, Any]:
    """Copies of every parameter and buffer (optimizers may update arrays in place)."""
    return {name: t.backend.xp.asarray(t.array, copy=True) for name, t in model.state_dict().items()}


class ModelCheckpoint(Callback):
    """Save the model after each epoch, or only when ``monitor`` improves (``save_best_only``).

    Parameters
    ----------
    path : str or path-like
        May hold ``{epoch}`` (from 1) and log keys, e.g. ``"ckpt/{epoch:02d}-{val_loss:.3f}.safetensors"``.
    monitor, mode : as in `EarlyStopping`
    save_best_only : bool
        Save only when the monitored value improves (else every epoch: the last one stays).
    save_weights_only : bool
        ``True``: `anynn.io.save` of the model's weights. ``False``: `anynn.io.save_checkpoint` with the
        optimizer, epoch and step (and ``scheduler``, if given), and the state of ``fit``'s training
        `DataLoader` (its shuffling), to resume training: ``state = load_checkpoint(path, model=...,
        optimizer=..., loader=...)``, then ``fit(..., initial_epoch=state["epoch"])``.
    scheduler : LRScheduler, optional
        Saved in full checkpoints.

    Attributes
    ----------
    saved : list of str
        The paths written, in order.
    """

    uses_batch_logs = False

    def __init__(self, path: Any, monitor: str = "val_loss", save_best_only: bool = False, mode: str = "auto",
                 save_weights_only: bool = True, scheduler: Any = None, verbose: int = 0) -> None:
        self.io = anynn_io
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.scheduler = scheduler
        self.verbose = verbose
        self.tracker = _Monitor(monitor, mode, 0.0, "ModelCheckpoint")
        self.saved: list[str] = []

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        self.tracker.best = math.inf if self.tracker.mode == "min" else -math.inf
        _check_folder_can_be_made(os.path.dirname(self.path.partition("{")[0]), self.path)  # before an epoch ran

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = dict(logs or {})
        value = None
        if self.save_best_only:
            value = self.tracker.value(logs)
            if value is None or not self.tracker.improved(value):
                return
        path = self._file_path(epoch, logs)
        folder = os.path.dirname(path)
        if folder:
            _check_folder_can_be_made(folder, path)
            try:
                os.makedirs(folder, exist_ok=True)
            except OSError as error:
                raise anynn_io.AtomicWriteError(error.errno, f"ModelCheckpoint: cannot make the folder {folder!r} "
                                                f"to save {path!r}: {error.strerror}") from error
        if self.save_weights_only:
            self.io.save(self.model, path)
        else:
            data = self.state.train_data
            loader = data if callable(getattr(data, "load_state_dict", None)) else None
            self.io.save_checkpoint(path, model=self.model, optimizer=self.optimizer, scheduler=self.scheduler,
                                    epoch=epoch + 1, step=self.state.step, loader=loader)
        if value is not None:  # the best only once its file is written: a failed save (a full disk) is retried
            self.tracker.best = value
        self.saved.append(path)
        if self.verbose:
            print(f"ModelCheckpoint: saved {path}")


    def _file_path(self, epoch: int, logs: dict[str, float]) -> str:
        """``path`` with ``{epoch}`` (from 1) and the epoch's log values filled in."""
        try:
            return self.path.format(epoch=epoch + 1, **logs)
        except KeyError as error:
            raise KeyError(f"ModelCheckpoint: the path {self.path!r} names {error.args[0]!r}, which is not in the "
                           f"epoch's logs (available: epoch, {', '.join(logs)}); pass val_data to fit for val_* "
                           f"keys") from None
        except (ValueError, IndexError) as error:
            raise ValueError(f"ModelCheckpoint: cannot fill in the path {self.path!r} with epoch={epoch + 1} and "
                             f"the logs {logs}: {error}") from None


def _check_folder_can_be_made(folder: str, path: str) -> None:
    """Raise `anynn.io.AtomicWriteError` (an OSError) naming ModelCheckpoint and ``path`` where ``folder`` or the
    nearest of its parents that exists is a file: no checkpoint could be written under it (os.makedirs said
    'File exists' or 'Not a directory', after the first epoch had run)."""
    existing = folder
    while existing and not os.path.lexists(existing):
        parent = os.path.dirname(existing)
        if parent == existing:
            break
        existing = parent
    if existing and not os.path.isdir(existing):
        raise anynn_io.AtomicWriteError(errno.ENOTDIR, f"ModelCheckpoint: cannot save {path!r}: {existing!r} is a "
                                        f"file, not a folder")


class LRSchedulerCallback(Callback):
    """Step a learning-rate scheduler after each epoch (``per="epoch"``) or each batch (``per="batch"``).

    A `ReduceLROnPlateau` is stepped with the logged value of ``monitor`` at each epoch's end.
    """

    uses_batch_logs = False

    def __init__(self, scheduler: Any, per: str = "epoch", monitor: str = "val_loss") -> None:
        if per not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: per must be 'epoch' or 'batch', got {per!r}")
        self.scheduler = scheduler
        self.per = per
        self.monitor = monitor
        self.on_plateau = any(c.__name__ == "ReduceLROnPlateau" for c in type(scheduler).__mro__)
        if self.on_plateau and per == "batch":
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau steps on a monitored value, so per='epoch'")

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        if self.per == "batch":
            self.scheduler.step()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        if self.per != "epoch":
            return
        if not self.on_plateau:
            self.scheduler.step()
            return
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"LRSchedulerCallback: ReduceLROnPlateau monitors '{self.monitor}', which is not in "
                           f"the logs (available: {', '.join(logs or {})})")
        self.scheduler.step(value)


class TerminateOnNaN(Callback):
    """Stop training at the first batch whose loss is NaN or infinite."""

    def __init__(self) -> None:
        self.terminated_at: tuple[int, int] | None = None

    def on_batch_end(self, batch: int, logs: dict[str, float] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(loss):
            self.terminated_at = (self.state.epoch, batch)
            self.state.stop_training = True
            print(f"TerminateOnNaN: loss is {loss} at epoch {self.state.epoch + 1}, batch {batch}; "
                  "terminating training")


class CSVLogger(Callback):
    """Write one CSV row per epoch: ``epoch`` (from 0, as Keras) then the epoch's logs.

    The columns are fixed by the first epoch; ``append=True`` adds to an existing file (without a
    second header). The file is opened for each row and closed after it, so a run stopped by an error or
    Ctrl-C leaves no open file behind and every finished epoch's row on disk.
    """

    uses_batch_logs = False

    def __init__(self, path: Any, separator: str = ",", append: bool = False) -> None:
        self.path = os.fspath(path)
        self.separator = separator
        self.append = append
        self.keys: list[str] | None = None

    def on_train_begin(self, logs: dict[str, float] | None = None) -> None:
        has_rows = self.append and os.path.exists(self.path) and os.path.getsize(self.path) > 0
        if not self.append:
            open(self.path, "w").close()  # a new run starts from an empty file
        self.write_header = not has_rows
        self.keys = None

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        logs = logs or {}
        with open(self.path, "a", newline="") as file:
            writer = csv.writer(file, delimiter=self.separator)
            if self.keys is None:
                self.keys = list(logs)
                if self.write_header:
                    writer.writerow(["epoch", *self.keys])
            writer.writerow([epoch, *(repr(float(logs[k])) if k in logs else "" for k in self.keys)])
