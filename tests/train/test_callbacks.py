"""Callbacks: early stopping restores the best weights (by value), NaN stops training, CSV rows,
checkpoints, learning-rate schedules, and the order of the hooks."""

from __future__ import annotations

import csv
import math
import os

import numpy as np
import pytest

import anynn
from anynn import nn, optim
from anynn.train import (Callback, CSVLogger, EarlyStopping, LRSchedulerCallback, ModelCheckpoint, TerminateOnNaN,
                         fit)


def batches(backend, n_batches=3, batch=8, seed=0):
    rng = np.random.default_rng(seed)
    return [(anynn.tensor(rng.standard_normal((batch, 4)).astype(np.float32), backend=backend),
             anynn.tensor(rng.integers(0, 3, batch), backend=backend)) for _ in range(n_batches)]


def tiny(backend):
    return nn.Sequential(nn.Linear(4, 3), backend=backend, seed=0)


class Scripted(Callback):
    """Overwrites ``logs[key]`` with a scripted value per epoch (callbacks share the logs dict),
    and snapshots the weights at each epoch's end."""

    uses_batch_logs = False

    def __init__(self, key, values):
        self.key, self.values, self.snapshots = key, values, []

    def on_epoch_end(self, epoch, logs=None):
        logs[self.key] = self.values[epoch]
        self.snapshots.append({k: v.numpy().copy() for k, v in self.model.state_dict().items()})


def run(backend, callbacks, epochs, data=None, lr=0.1, **kwargs):
    model = tiny(backend)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=lr), data or batches(backend),
                  epochs=epochs, callbacks=callbacks, verbose=0, **kwargs)
    return model, history


def test_early_stopping_restores_best_weights(backend):
    script = Scripted("val_loss", [3.0, 1.0, 2.0, 2.5, 0.5, 0.1])
    stop = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    model, history = run(backend, [script, stop], epochs=6)
    assert len(history) == 4 and stop.stopped_epoch == 3 and stop.best_epoch == 1 and stop.best == 1.0
    restored = {k: v.numpy() for k, v in model.state_dict().items()}
    for name, value in restored.items():
        np.testing.assert_array_equal(value, script.snapshots[1][name])
        assert not np.array_equal(value, script.snapshots[-1][name])


def test_early_stopping_without_restore_keeps_last_weights():
    script = Scripted("val_loss", [1.0, 2.0, 3.0])
    model, history = run("numpy", [script, EarlyStopping(patience=1)], epochs=3)
    assert len(history) == 2
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), script.snapshots[-1][name])


def test_early_stopping_modes_and_min_delta():
    # accuracy is maximised in auto mode
    script = Scripted("val_accuracy", [0.5, 0.7, 0.6, 0.65])
    stop = EarlyStopping(monitor="val_accuracy", patience=2)
    _, history = run("numpy", [script, stop], epochs=4)
    assert stop.tracker.mode == "max" and stop.best == 0.7 and len(history) == 4 and stop.stopped_epoch == 3
    # improvements smaller than min_delta do not count
    script = Scripted("val_loss", [1.0, 0.95, 0.92, 0.5])
    stop = EarlyStopping(patience=2, min_delta=0.1)
    _, history = run("numpy", [script, stop], epochs=4)
    assert len(history) == 3 and stop.best == 1.0
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_early_stopping_warns_on_a_missing_key():
    with pytest.warns(UserWarning, match="val_loss.*not in the logs"):
        _, history = run("numpy", [EarlyStopping(patience=0)], epochs=2)
    assert len(history) == 2


class NaNAfter:
    """Cross-entropy that turns NaN from the ``n``-th call on."""

    def __init__(self, n):
        self.n, self.calls = n, 0

    def __call__(self, output, target):
        self.calls += 1
        loss = nn.CrossEntropyLoss()(output, target)
        return loss * float("nan") if self.calls > self.n else loss


def test_terminate_on_nan(backend, capsys):
    model = tiny(backend)
    stopper = TerminateOnNaN()
    history = fit(model, NaNAfter(4), optim.SGD(model.parameters(), lr=0.1), batches(backend), epochs=5,
                  callbacks=[stopper], verbose=0)
    assert stopper.terminated_at == (1, 1)  # the 5th batch: epoch 1, batch 1
    assert len(history) == 2 and math.isnan(history.history["loss"][-1])
    assert "TerminateOnNaN" in capsys.readouterr().out


def test_csv_logger_rows(tmp_path, backend):
    path = tmp_path / "log.csv"
    data = batches(backend)
    _, history = run(backend, [CSVLogger(path)], epochs=3, data=data, val_data=data)
    rows = list(csv.reader(path.open()))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2]
    for i, row in enumerate(rows[1:]):
        for key, text in zip(rows[0][1:], row[1:]):
            assert float(text) == history.history[key][i]
    # append adds rows without a second header
    run(backend, [CSVLogger(path, append=True)], epochs=1, data=data, val_data=data)
    rows = list(csv.reader(path.open()))
    assert len(rows) == 5 and rows[4][0] == "0"


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="open files are listed in /proc")
def test_csv_logger_leaves_no_open_file_when_fit_is_interrupted(tmp_path):
    """Ctrl-C in fit skips on_train_end, which closed the file CSVLogger held open from on_train_begin."""
    path = tmp_path / "log.csv"
    logger = CSVLogger(path)  # (held, as a program holds its callbacks)
    with pytest.raises(KeyboardInterrupt):
        run("numpy", [logger, _Interrupt(epoch=1, batch=0)], epochs=3)
    open_files = [os.readlink(f"/proc/self/fd/{fd}") for fd in os.listdir("/proc/self/fd")
                  if os.path.islink(f"/proc/self/fd/{fd}")]
    assert str(path) not in open_files
    assert [row[0] for row in csv.reader(path.open())] == ["epoch", "0"]


def test_lr_scheduler_per_epoch_and_per_batch():
    model = tiny("numpy")
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, batches("numpy"), epochs=3,
                  callbacks=[LRSchedulerCallback(sched)], verbose=0)
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.05, 0.025])
    assert opt.param_groups[0]["lr"] == pytest.approx(0.0125)

    model = tiny("numpy")
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    history = fit(model, nn.CrossEntropyLoss(), opt, batches("numpy"), epochs=2,
                  callbacks=[LRSchedulerCallback(sched, per="batch")], verbose=0)
    np.testing.assert_allclose(history.history["lr"], [0.1 * 0.5 ** 3, 0.1 * 0.5 ** 6])


def test_lr_scheduler_reduce_on_plateau():
    model = tiny("numpy")
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    script = Scripted("val_loss", [1.0, 1.0, 1.0, 1.0, 1.0])
    history = fit(model, nn.CrossEntropyLoss(), opt, batches("numpy"), epochs=5,
                  callbacks=[script, LRSchedulerCallback(sched, monitor="val_loss")], verbose=0)
    np.testing.assert_allclose(history.history["lr"], [0.1, 0.1, 0.1, 0.05, 0.05])
    with pytest.raises(ValueError, match="per='epoch'"):
        LRSchedulerCallback(sched, per="batch")
    with pytest.raises(KeyError, match="val_loss"):
        fit(model, nn.CrossEntropyLoss(), opt, batches("numpy"), callbacks=[LRSchedulerCallback(sched)], verbose=0)


def test_model_checkpoint_best_only(tmp_path, backend):
    pytest.importorskip("safetensors")
    io = pytest.importorskip("anynn.io")
    script = Scripted("val_loss", [2.0, 1.0, 1.5, 0.5, 0.7])
    check = ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True)
    every = ModelCheckpoint(str(tmp_path / "all" / "e{epoch:02d}-{val_loss:.1f}.safetensors"))
    model, _ = run(backend, [script, check, every], epochs=5)
    assert len(check.saved) == 3  # epochs 0, 1 and 3 improved
    assert [p.rsplit("/", 1)[-1] for p in every.saved] == [
        "e01-2.0.safetensors", "e02-1.0.safetensors", "e03-1.5.safetensors", "e04-0.5.safetensors",
        "e05-0.7.safetensors"]
    saved = io.load(tmp_path / "best.safetensors", backend="numpy")
    for name, value in saved.items():
        np.testing.assert_array_equal(value.numpy(), script.snapshots[3][name])
    failing = ModelCheckpoint(tmp_path / "full" / "best.safetensors", save_best_only=True)  # a full disk once
    failing.set_state(check.state)
    failing.on_train_begin()
    def full_disk(*args):
        raise OSError(28, "No space left on device")

    failing.io = type("FullDisk", (), {"save": staticmethod(full_disk)})
    with pytest.raises(OSError):
        failing.on_epoch_end(0, {"val_loss": 1.0})
    failing.io = io
    failing.on_epoch_end(1, {"val_loss": 1.2})  # the best is still unsaved: this epoch's model is the best written
    assert failing.saved == [str(tmp_path / "full" / "best.safetensors")]


def test_model_checkpoint_full_checkpoint(tmp_path):
    pytest.importorskip("safetensors")
    io = pytest.importorskip("anynn.io")
    path = tmp_path / "last.ckpt"
    model, _ = run("numpy", [ModelCheckpoint(path, save_weights_only=False)], epochs=2)
    restored = tiny("numpy")
    info = io.load_checkpoint(path, model=restored)
    assert info["epoch"] == 2 and info["step"] == 6
    for (name, a), (_, b) in zip(model.state_dict().items(), restored.state_dict().items()):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=name)


@pytest.mark.parametrize("path, error, message", [
    ("{val_loss:.2f}.safetensors", KeyError, "names 'val_loss', which is not in the epoch's logs .available: epoch, "
                                             "loss, accuracy, lr.; pass val_data"),
    ("{epoch:s}.safetensors", ValueError, "cannot fill in the path .* with epoch=1 .*Unknown format code 's'"),
    ("{0}.safetensors", ValueError, "cannot fill in the path"),
    ("a_file/{epoch}/m.safetensors", OSError, "cannot save .*: '.*a_file' is a file, not a folder"),
])
def test_model_checkpoint_path_that_the_logs_cannot_fill_names_the_path(tmp_path, path, error, message):
    """A bare KeyError('val_loss') or the format's own error before, after a whole epoch of training; a path
    under a file is refused before training (os.makedirs's bare FileExistsError / NotADirectoryError before)."""
    (tmp_path / "a_file").write_text("")
    with pytest.raises(error, match="ModelCheckpoint: .*" + message):
        run("numpy", [ModelCheckpoint(str(tmp_path / path))], epochs=1)
    assert [p.name for p in tmp_path.iterdir()] == ["a_file"]


class _Interrupt(Callback):
    """Ctrl-C in the middle of epoch ``epoch`` (after batch ``batch``)."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise KeyboardInterrupt


def _shuffling_loader(kind, dataset):
    """A loader whose order is random in each of the ways programs make one."""
    from anynn.data import DataLoader, RandomSampler

    if kind == "seed":  # anynn's own: the order of epoch e is (seed, e)'s
        return DataLoader(dataset, batch_size=8, shuffle=True, seed=11)
    if kind == "plain":  # PyTorch's plain loader: the order comes from the global generator
        return DataLoader(dataset, batch_size=8, shuffle=True)
    generator = anynn.Generator().manual_seed(7)
    if kind == "generator":
        return DataLoader(dataset, batch_size=8, shuffle=True, generator=generator)
    return DataLoader(dataset, batch_size=8, sampler=RandomSampler(dataset, generator=generator))


@pytest.mark.parametrize("kind", ["seed", "plain", "generator", "sampler"])
def test_fit_interrupted_by_ctrl_c_resumes_bit_identically_from_its_last_checkpoint(tmp_path, kind):
    from anynn.data import TensorDataset
    from anynn.io import load_checkpoint

    x = np.random.default_rng(0).standard_normal((48, 4)).astype(np.float32)
    y = np.random.default_rng(1).integers(0, 3, 48)

    def build(seed):
        anynn.manual_seed(seed)  # the weights, and the seed Dropout draws its generator's from at its first use
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, 3))
        loader = _shuffling_loader(kind, TensorDataset(anynn.tensor(x), anynn.tensor(y)))
        return model, optim.Adam(model.parameters(), lr=0.01), loader

    model, optimizer, loader = build(0)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=3, verbose=0)
    straight = {k: v.numpy() for k, v in model.state_dict().items()}

    model, optimizer, loader = build(0)
    path = str(tmp_path / "ckpt-{epoch}.safetensors")
    with pytest.raises(KeyboardInterrupt):
        fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=3, verbose=0,
            callbacks=[ModelCheckpoint(path, save_weights_only=False), _Interrupt(epoch=2, batch=3)])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt-1.safetensors", "ckpt-2.safetensors"]

    # other weights, dropout masks and shuffling: the checkpoint brings back all of them, the loader's order too
    model, optimizer, loader = build(5)
    state = load_checkpoint(path.format(epoch=2), model=model, optimizer=optimizer, loader=loader)
    saver = ModelCheckpoint(path, save_weights_only=False)
    fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=3, initial_epoch=state["epoch"], verbose=0,
        callbacks=[saver])
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), straight[name], err_msg=name)
    assert saver.saved == [path.format(epoch=3)] and load_checkpoint(saver.saved[0])["step"] == 18


class Recorder(Callback):
    def __init__(self):
        self.calls = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(f"epoch_begin {epoch}")

    def on_batch_begin(self, batch, logs=None):
        self.calls.append(f"batch_begin {batch}")

    def on_batch_end(self, batch, logs=None):
        assert isinstance(logs["loss"], float) and logs["size"] == 8
        self.calls.append(f"batch_end {batch}")

    def on_epoch_end(self, epoch, logs=None):
        assert set(logs) == {"loss", "accuracy", "lr"} and self.state.history.history["loss"][-1] == logs["loss"]
        self.calls.append(f"epoch_end {epoch}")

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


def test_hook_order():
    recorder = Recorder()
    run("numpy", [recorder], epochs=2, data=batches("numpy", n_batches=2))

    def epoch(e):
        return [f"epoch_begin {e}", "batch_begin 0", "batch_end 0", "batch_begin 1", "batch_end 1", f"epoch_end {e}"]

    assert recorder.calls == ["train_begin", *epoch(0), *epoch(1), "train_end"]
    assert recorder.state.step == 4 and recorder.state.epoch == 1


def test_callbacks_must_be_callbacks():
    with pytest.raises(TypeError, match="Callback"):
        run("numpy", [print], epochs=1)


@pytest.mark.parametrize("min_delta", [0.25, -0.25])  # the sign is ignored, as in Keras
def test_early_stopping_max_mode_needs_more_than_min_delta(min_delta):
    # "val_score" alone would be minimised (auto); mode="max" maximises it, and a gain of exactly
    # min_delta (0.5 -> 0.75, exact in binary) is not an improvement, as Keras's `current - min_delta > best`
    script = Scripted("val_score", [0.5, 0.75, 0.7, 0.9])
    stop = EarlyStopping(monitor="val_score", mode="max", patience=2, min_delta=min_delta)
    _, history = run("numpy", [script, stop], epochs=4)
    assert stop.tracker.mode == "max" and stop.best == 0.5 and stop.best_epoch == 0
    assert len(history) == 3 and stop.stopped_epoch == 2
    script = Scripted("val_score", [0.5, 0.76, 0.7, 0.75])  # more than min_delta: an improvement
    stop = EarlyStopping(monitor="val_score", mode="max", patience=2, min_delta=min_delta)
    _, history = run("numpy", [script, stop], epochs=4)
    assert stop.best == 0.76 and stop.best_epoch == 1 and len(history) == 4 and stop.stopped_epoch == 3
