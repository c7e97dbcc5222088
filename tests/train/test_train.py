"""fit / evaluate / predict: the digits MLP trains on every CPU backend, and the loop is a plain loop."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import anynn
from anynn import nn, optim
from anynn.backend import BackendMismatch, get_backend
from anynn.data import DataLoader, TensorDataset, load_digits, standardize
from anynn.train import Callback, evaluate, fit, predict
from anynn.train import progress as progress_module
from anynn.train.progress import gpu_memory


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits()
    order = np.random.default_rng(0).permutation(len(X))
    train, test = order[:1400], order[1400:]
    X_train, X_test = standardize(X[train], X[test])
    return X_train, y[train], X_test, y[test]


def mlp(backend, seed=0):
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10), backend=backend, seed=seed)


def small_batches(backend, n_batches=3, batch=8, seed=0):
    """A plain list of (x, y) Tensor pairs: fit needs no DataLoader."""
    rng = np.random.default_rng(seed)
    return [(anynn.tensor(rng.standard_normal((batch, 4)).astype(np.float32), backend=backend),
             anynn.tensor(rng.integers(0, 3, batch), backend=backend)) for _ in range(n_batches)]


def tiny(backend, seed=0):
    return nn.Sequential(nn.Linear(4, 3), backend=backend, seed=seed)


@pytest.mark.parametrize("name", ["numpy", "array_api_strict", "array_api_strict:device1", "torch"])
def test_fit_trains_digits_mlp(digits, name):
    X_train, y_train, X_test, y_test = digits
    backend = get_backend(name)
    model = mlp(backend)
    train = DataLoader(TensorDataset(X_train, y_train), batch_size=32, shuffle=True, seed=0)
    test = DataLoader(TensorDataset(X_test, y_test), batch_size=256)
    history = fit(model, nn.CrossEntropyLoss(), optim.Adam(model.parameters(), lr=3e-3), train, val_data=test,
                  epochs=5, verbose=0)
    assert list(history.history) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert all(len(v) == 5 for v in history.history.values())
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert history.history["val_accuracy"][-1] >= 0.95
    scores = evaluate(model, nn.CrossEntropyLoss(), test)
    assert scores["accuracy"] == pytest.approx(history.history["val_accuracy"][-1])
    assert scores["loss"] == pytest.approx(history.history["val_loss"][-1], rel=1e-5)
    predicted = predict(model, X_test, batch_size=100)
    assert predicted.backend == backend and predicted.shape == (len(X_test), 10)
    assert np.mean(predicted.numpy().argmax(axis=1) == y_test) == pytest.approx(scores["accuracy"])


def test_fit_is_the_manual_loop(backend):
    """One epoch of fit updates the weights exactly as the five-line manual loop does."""
    data = small_batches(backend)
    model_a, model_b = tiny(backend), tiny(backend)
    loss_fn = nn.CrossEntropyLoss()
    opt_b = optim.SGD(model_b.parameters(), lr=0.1, momentum=0.9)
    fit(model_a, loss_fn, optim.SGD(model_a.parameters(), lr=0.1, momentum=0.9), data, epochs=2, verbose=0)
    for _ in range(2):
        for x, y in data:
            opt_b.zero_grad()
            loss_fn(model_b(x), y).backward()
            opt_b.step()
    for (name, a), (_, b) in zip(model_a.state_dict().items(), model_b.state_dict().items()):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, err_msg=name)


def test_epoch_loss_is_the_sample_weighted_mean(backend):
    data = small_batches(backend, n_batches=2) + [small_batches(backend, n_batches=1, batch=3, seed=5)[0]]
    model = tiny(backend)
    loss_fn = nn.CrossEntropyLoss()
    expected = sum(loss_fn(model(x), y).item() * len(x) for x, y in data) / sum(len(x) for x, _ in data)
    history = fit(model, loss_fn, optim.SGD(model.parameters(), lr=0.0), data, epochs=1, verbose=0,
                  metrics=["accuracy", "f1", "top2_accuracy"])
    assert history.history["loss"][0] == pytest.approx(expected, rel=1e-5)
    logits = np.concatenate([model(x).numpy() for x, _ in data])
    labels = np.concatenate([y.numpy() for _, y in data])
    assert history.history["accuracy"][0] == pytest.approx(np.mean(logits.argmax(1) == labels))
    assert history.history["f1"][0] == pytest.approx(anynn.metrics.f1_score(labels, logits.argmax(1)))
    top2 = np.argsort(-logits, axis=1)[:, :2]
    assert history.history["top2_accuracy"][0] == pytest.approx(np.mean((top2 == labels[:, None]).any(1)))


def test_regression_with_custom_metric(backend):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    w = np.array([[1.0], [-2.0], [0.5]], dtype=np.float32)
    loader = DataLoader(TensorDataset(X, X @ w), batch_size=16, backend=backend)
    model = nn.Sequential(nn.Linear(3, 1), backend=backend, seed=0)

    def max_error(y_true, y_pred):
        xp = backend.xp
        return float(xp.max(xp.abs(y_true - y_pred)))

    history = fit(model, nn.MSELoss(), optim.Adam(model.parameters(), lr=0.05), loader, val_data=loader, epochs=30,
                  metrics=["mse", "mae", "r2", max_error], verbose=0)
    assert set(history.history) >= {"mse", "mae", "r2", "max_error", "val_r2", "val_max_error"}
    assert history.history["val_r2"][-1] > 0.95
    assert history.history["loss"][-1] == pytest.approx(history.history["mse"][-1], rel=1e-4)


def test_numpy_batches_go_to_the_model_backend(backend):
    rng = np.random.default_rng(0)
    data = [(rng.standard_normal((5, 4)).astype(np.float32), rng.integers(0, 3, 5)) for _ in range(2)]
    model = tiny(backend)
    history = fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), data, epochs=2, verbose=0)
    assert len(history) == 2


def test_dataloader_without_backend_follows_the_model():
    X = np.zeros((6, 4), dtype=np.float32)
    loader = DataLoader(TensorDataset(X, np.zeros(6, dtype=np.int64)), batch_size=3)
    model = tiny(get_backend("torch"))
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), loader, verbose=0)
    assert loader.backend == get_backend("torch")


def test_batches_of_another_backend_are_an_error():
    model = tiny(get_backend("torch"))
    with pytest.raises(BackendMismatch, match="model is on 'torch'"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), small_batches("numpy"), verbose=0)


def test_bad_data_errors():
    model = tiny("numpy")
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(TypeError, match="one-shot iterator"):
        fit(model, nn.CrossEntropyLoss(), opt, iter(small_batches("numpy")), epochs=2, verbose=0)
    with pytest.raises(TypeError, match=r"pair \(x, y\)"):
        fit(model, nn.CrossEntropyLoss(), opt, [small_batches("numpy")[0][0]], verbose=0)
    with pytest.raises(ValueError, match="no batches"):
        fit(model, nn.CrossEntropyLoss(), opt, [], verbose=0)
    with pytest.raises(ValueError, match="unknown metric"):
        fit(model, nn.CrossEntropyLoss(), opt, small_batches("numpy"), metrics=["auc"], verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        fit(model, nn.CrossEntropyLoss(), opt, small_batches("numpy"), verbose=3)
    with pytest.raises(ValueError, match=r"fit: the optimizer \(SGD\) holds none of the model's 2 trainable"):
        fit(model, nn.CrossEntropyLoss(), optim.SGD(tiny("numpy").parameters(), lr=0.1), small_batches("numpy"),
            verbose=0)  # the loop ran and the model never changed
    with pytest.raises(TypeError, match=r"must return a scalar Tensor .* shape \(8,\) \(reduction='none'\?\)"):
        fit(model, nn.CrossEntropyLoss(reduction="none"), opt, small_batches("numpy"), verbose=0)  # backward's own
    with pytest.raises(TypeError, match="must return a scalar Tensor .* got a float"):
        fit(model, lambda output, y: 1.0, opt, small_batches("numpy"), verbose=0)  # AttributeError: no backward
    with pytest.raises(TypeError, match=r"fit: optimizer must be an optimizer .*, got NoneType"):
        fit(model, nn.CrossEntropyLoss(), None, small_batches("numpy"), verbose=0)  # AttributeError: no zero_grad
    for disabled in (anynn.no_grad, anynn.inference_mode):  # backward's 'no graph was recorded' before
        with disabled(), pytest.raises(RuntimeError, match=r"fit: gradients are disabled here \(called inside"):
            fit(model, nn.CrossEntropyLoss(), opt, small_batches("numpy"), verbose=0)
    # a one-shot iterator is fine for a single epoch
    assert len(fit(model, nn.CrossEntropyLoss(), opt, iter(small_batches("numpy")), verbose=0)) == 1


class ModeRecorder(nn.Module):
    def __init__(self, backend):
        super().__init__()
        self.inner = nn.Linear(4, 3, backend=backend)
        self.modes = []

    def forward(self, x):
        self.modes.append(self.training)
        return self.inner(x)


def test_train_and_eval_modes():
    data = small_batches("numpy", n_batches=2)
    model = ModeRecorder("numpy")
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), data, val_data=data, epochs=2, verbose=0)
    assert model.modes == [True, True, False, False] * 2
    assert model.training
    model.eval()
    evaluate(model, nn.CrossEntropyLoss(), data)
    assert not model.training  # evaluate restores the mode it found
    model.train()
    model.inner.eval()  # a frozen submodule (a BatchNorm kept in eval mode for fine-tuning) stays frozen
    evaluate(model, nn.CrossEntropyLoss(), data)
    predict(model, data)
    assert model.training and not model.inner.training
    model.eval()
    with anynn.enable_grad():
        out = predict(model, data)
    assert out.shape == (16, 3) and not out.requires_grad


def test_two_threads_evaluating_one_model_see_eval_mode_and_leave_its_modes():
    """Thread A evaluates a training-mode model; B starts evaluating it while A is inside, and A ends first. Each
    call saved the flags it found and put them back: B saved A's eval flags, A's end put training mode back while
    B still ran (B's forward saw training=True), and B's end left the model in eval mode."""
    a_inside, b_inside, a_done = threading.Event(), threading.Event(), threading.Event()

    class Gate(ModeRecorder):
        def forward(self, x):
            first = threading.current_thread().name == "A"
            (a_inside if first else b_inside).set()
            (b_inside if first else a_done).wait(10)  # (generous: the other thread is only starting)
            return super().forward(x)

    model = Gate("numpy")
    data = small_batches("numpy", n_batches=1)
    a = threading.Thread(target=evaluate, args=(model, None, data), kwargs={"metrics": ()}, name="A")
    b = threading.Thread(target=predict, args=(model, data), name="B")
    a.start()
    a_inside.wait(10)
    b.start()
    a.join()
    a_done.set()
    b.join()
    assert model.modes == [False, False] and model.training and model.inner.training


def test_evaluate_without_loss_and_predict_inputs(backend):
    data = small_batches(backend)
    model = tiny(backend)
    scores = evaluate(model, None, data, metrics=["accuracy", "f1_micro"])
    assert set(scores) == {"accuracy", "f1_micro"}
    assert set(evaluate(model, nn.CrossEntropyLoss(), data, metrics=None)) == {"loss"}
    assert set(evaluate(model, None, data, metrics="accuracy")) == {"accuracy"}
    assert scores["accuracy"] == pytest.approx(scores["f1_micro"])
    x_all = anynn.tensor(np.concatenate([x.numpy() for x, _ in data]), backend=backend)
    whole = predict(model, x_all)
    close = {"rtol": 1e-6, "atol": 1e-7}  # cuBLAS picks its kernels (and summation order) by batch size
    np.testing.assert_allclose(predict(model, x_all, batch_size=5).numpy(), whole.numpy(), **close)
    np.testing.assert_allclose(predict(model, data).numpy(), whole.numpy(), **close)
    np.testing.assert_allclose(predict(model, [x for x, _ in data]).numpy(), whole.numpy(), **close)


def test_verbose_two_prints_one_line_per_epoch(capsys):
    model = tiny("numpy")
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), small_batches("numpy"), epochs=3,
        verbose=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 3
    assert lines[0].startswith("Epoch 1/3") and "samples/s" in lines[0] and "loss: " in lines[0]


def test_verbose_one_bar_and_silence(capsys):
    pytest.importorskip("tqdm")
    model = tiny("numpy")
    opt = optim.SGD(model.parameters(), lr=0.1)
    fit(model, nn.CrossEntropyLoss(), opt, small_batches("numpy"), epochs=2, verbose=1)
    err = capsys.readouterr().err
    assert "Epoch 1/2" in err and "Epoch 2/2" in err and "samples/s" in err and "3/3" in err
    fit(model, nn.CrossEntropyLoss(), opt, small_batches("numpy"), epochs=2, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_verbose_one_without_tqdm_prints_lines(capsys, monkeypatch):
    monkeypatch.setattr(progress_module, "_tqdm", lambda: None)
    model = tiny("numpy")
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), small_batches("numpy"), epochs=2,
        verbose=1)
    assert len(capsys.readouterr().out.strip().splitlines()) == 2


def test_gpu_memory_reads_cupys_pool():
    class Pool:
        def used_bytes(self):
            return 3 * 2**20

    class FakeCupy:
        def get_default_memory_pool(self):
            return Pool()

    from anynn.backend.cupy_backend import CupyBackend

    backend = CupyBackend.__new__(CupyBackend)  # the class's memory_in_use, without a GPU
    backend.cupy = FakeCupy()
    assert gpu_memory(backend) == "gpu 3 MiB"
    assert gpu_memory(get_backend("numpy")) is None


def test_digits_fit_example(tmp_path):
    """examples/digits_fit.py trains, prints its test accuracy and writes the history plot."""
    pytest.importorskip("matplotlib")
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[2] / "examples" / "digits_fit.py"
    result = subprocess.run([sys.executable, str(script), "--epochs", "6", "--verbose", "2", "--plot"],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    accuracy = float(next(line for line in lines if line.startswith("test accuracy:")).split(":")[1])
    assert accuracy >= 0.95
    assert sum(line.startswith("Epoch ") for line in lines) == 6
    assert (tmp_path / "digits_history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


class EvalAtEpochEnd(Callback):
    """A callback that leaves the model in eval mode (as one that runs its own evaluation might)."""

    uses_batch_logs = False

    def on_epoch_end(self, epoch, logs=None):
        self.model.eval()


def test_fit_trains_in_train_mode_every_epoch():
    """A model handed over in eval mode, and put back in eval mode after each epoch, still trains in train mode."""
    data = small_batches("numpy", n_batches=2)
    model = ModeRecorder("numpy")
    model.eval()
    fit(model, nn.CrossEntropyLoss(), optim.SGD(model.parameters(), lr=0.1), data, val_data=data, epochs=3,
        callbacks=[EvalAtEpochEnd()], verbose=0)
    assert model.modes == [True, True, False, False] * 3
