"""`fit`, `evaluate` and `predict`: the Keras-style loop over any iterable of ``(x, y)`` batches.

The loop is a convenience, not a cage: each training step is the five lines of a manual loop
(``zero_grad``, forward, loss, ``backward``, ``step``), and everything else is callbacks and display.
"""

from __future__ import annotations

import math
from typing import Any, Iterable, Sequence

from ..autograd.mode import is_grad_enabled, is_inference_mode_enabled, no_grad
from ..autograd.tensor import Tensor, tensor
from ..backend import Backend, BackendMismatch, backend_of, is_host_array
from ..backend.default_dtype import default_float
from ..data import DataLoader
from .callbacks import Callback, CallbackList, FitState
from .eval_mode import evaluating
from .history import History
from .progress import Progress
from .tracking import EpochTracker, Tracker, make_tracker


def fit(model: Any, loss: Any, optimizer: Any, train_data: Iterable[Any], val_data: Iterable[Any] | None = None,
        epochs: int = 1, callbacks: Sequence[Callback] = (), metrics: Sequence[Any] = ("accuracy",),
        verbose: int = 1, compile: bool = False, initial_epoch: int = 0) -> History:  # noqa: A002 - PyTorch-style flag name
    """Train ``model`` for ``epochs`` passes over ``train_data``.

    Parameters
    ----------
    model : Module
        Called as ``model(x)`` (``model(*x)`` when ``x`` is a tuple); set to ``train()`` each epoch.
    loss : callable
        ``loss(output, y)`` → scalar Tensor, e.g. ``nn.CrossEntropyLoss()``.
    optimizer : Optimizer
    train_data, val_data : iterable of (x, y) batches
        A `anynn.data.DataLoader` (re-iterated every epoch; one without a backend is sent to the
        model's), a list of ``(x, y)`` Tensor pairs, or any re-iterable of them. ``len()`` sizes the
        progress bar when available. NumPy arrays are moved to the model's backend, their floats cast to the
        default dtype (float32 unless `anynn.set_default_dtype` changed it: the dtype new layers have, where
        ``anynn.tensor`` would keep NumPy's float64); Tensors of another backend are an error.
    epochs : int
        The epoch to stop before: epochs ``initial_epoch, ..., epochs - 1`` run (Keras's meaning).
    callbacks : sequence of Callback
        `EarlyStopping`, `ModelCheckpoint`, `LRSchedulerCallback`, `TerminateOnNaN`, `CSVLogger`...
    metrics : sequence of str or callable
        Names (``"accuracy"``, ``"top5_accuracy"``, ``"f1"``, ``"mse"``, ``"r2"``... see
        `anynn.train.tracking.make_tracker`) or functions ``f(y_true, y_pred) -> float`` of native arrays.
    verbose : {0, 1, 2}
        0 silent, 1 a progress bar per epoch (one printed line without tqdm), 2 one line per epoch.
    compile : bool
        Run each training step through `anynn.compile`: one XLA program on jax, one CUDA graph on cupy,
        eager elsewhere (see the "Compiled steps" guide).
    initial_epoch : int
        The epoch to start at, to resume a run from a checkpoint (``load_checkpoint(...)["epoch"]``):
        callbacks and `ModelCheckpoint`'s file names count on from it, and the step counter starts at
        ``initial_epoch * len(train_data)`` where the data has a length.

    Returns
    -------
    History
        ``history.history`` maps ``loss``, each metric, ``val_loss``, ``val_<metric>`` and ``lr`` to
        per-epoch lists.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"fit: epochs must be a non-negative integer, got {epochs!r}")
    if isinstance(initial_epoch, bool) or not isinstance(initial_epoch, int) or not 0 <= initial_epoch:
        raise ValueError(f"fit: initial_epoch must be a non-negative integer, got {initial_epoch!r}")
    if not is_grad_enabled() or is_inference_mode_enabled():
        raise RuntimeError("fit: gradients are disabled here (called inside no_grad(), inference_mode() or "
                           "set_grad_enabled(False)), so backward would find no graph; call fit outside that block")
    backend = model.backend
    _check_optimizer_holds(model, optimizer)
    _check_reiterable(train_data, epochs, "train_data")
    _check_reiterable(val_data, epochs, "val_data")
    _send_to(train_data, backend)
    _send_to(val_data, backend)
    state = FitState(model=model, optimizer=optimizer, loss=loss, epochs=epochs, train_data=train_data,
                     step=initial_epoch * (_length(train_data) or 0))
    history = state.history
    hooks = CallbackList(callbacks, state)
    trackers = _trackers(metrics)
    progress = Progress(verbose, epochs, _length(train_data), backend)
    logs: dict[str, float] = {}
    step = _make_step(model, loss, optimizer, compile)
    hooks.on_train_begin({})
    try:
        for epoch in range(initial_epoch, epochs):
            state.epoch = epoch
            model.train()
            hooks.on_epoch_begin(epoch, {})
            progress.epoch_begin(epoch)
            logs = _train_epoch(state, hooks, trackers, progress, train_data, backend, step)
            if val_data is not None:
                scores = evaluate(model, loss, val_data, metrics=metrics)
                logs.update({"val_" + key: value for key, value in scores.items()})
                model.train()
            lr = _learning_rate(optimizer)
            if lr is not None:
                logs["lr"] = lr
            history.append(epoch, logs)
            progress.epoch_end(logs)
            hooks.on_epoch_end(epoch, logs)
            if state.stop_training:
                break
    finally:
        progress.close()
    hooks.on_train_end(logs)
    return history


def _make_step(model: Any, loss_fn: Any, optimizer: Any, compiled: bool) -> Any:
    """One training step ``(x, y) -> (loss, output)``, compiled with `anynn.compile` if asked."""

    def train_step(x: Any, y: Any) -> tuple[Any, Any]:
        optimizer.zero_grad()
        output = model(*x) if isinstance(x, tuple) else model(x)
        value = loss_fn(output, y)
        if not isinstance(value, Tensor) or math.prod(value.shape) != 1:
            raise TypeError(f"fit: loss(output, y) must return a scalar Tensor (a mean or sum over the batch), got "
                            f"{_described(value)}")
        value.backward()
        optimizer.step()
        return value, output

    if not compiled:
        return train_step
    from ..compile import compile as compile_step

    return compile_step(train_step)


def _check_optimizer_holds(model: Any, optimizer: Any) -> None:
    """Refuse an optimizer that holds none of the model's trainable parameters: the loop would run and the model
    would never change (an optimizer made for another model, or before the model was rebuilt)."""
    if not (callable(getattr(optimizer, "step", None)) and callable(getattr(optimizer, "zero_grad", None))):
        raise TypeError(f"fit: optimizer must be an optimizer (with step() and zero_grad(), e.g. "
                        f"SGD(model.parameters(), lr=0.1)), got {type(optimizer).__name__}")
    groups = getattr(optimizer, "param_groups", None)
    trainable = {id(p) for p in model.parameters() if p.requires_grad} if hasattr(model, "parameters") else set()
    if groups is None or not trainable:
        return
    if not trainable & {id(p) for group in groups for p in group["params"]}:
        raise ValueError(f"fit: the optimizer ({type(optimizer).__name__}) holds none of the model's "
                         f"{len(trainable)} trainable parameters, so the model would not learn; make it from "
                         f"this model's parameters (optimizer = SGD(model.parameters(), ...))")


def _described(value: Any) -> str:
    if isinstance(value, Tensor):
        return f"a Tensor of shape {tuple(value.shape)} (reduction='none'?)"
    return f"a {type(value).__name__}"


def _train_epoch(state: FitState, hooks: CallbackList, trackers: list[Tracker], progress: Progress,
                 data: Iterable[Any], backend: Backend | None, step: Any) -> dict[str, float]:
    for t in trackers:
        t.reset()
    total: Any = None  # running sum of loss * batch size, kept on the device
    samples = 0

    def running() -> dict[str, float]:
        logs = {"loss": float(total) / samples}
        logs.update({t.name: t.result() for t in trackers if not isinstance(t, EpochTracker)})
        return logs

    for index, batch in enumerate(data):
        x, y = _split(batch, backend, "fit")
        hooks.on_batch_begin(index, {})
        value, output = step(x, y)
        size = _batch_size(x)
        total = value.array * size if total is None else total + value.array * size
        samples += size
        xp = output.backend.xp
        for t in trackers:
            t.update(xp, y.array, output.array)
        batch_logs = {"loss": float(value.array), "size": size} if hooks.wants_batch_logs else {"size": size}
        hooks.on_batch_end(index, batch_logs)
        progress.batch_end(size, running)
        state.step += 1
        if state.stop_training:
            break
    if samples == 0:
        raise ValueError("fit: train_data gave no batches (empty dataset, or batch_size > samples with drop_last)")
    logs = {"loss": float(total) / samples}
    logs.update({t.name: t.result() for t in trackers})
    return logs


def evaluate(model: Any, loss: Any, data: Iterable[Any], metrics: Sequence[Any] = ("accuracy",)) -> dict[str, float]:
    """The mean loss and the metrics of ``model`` over ``data``, in eval mode and without a graph.

    Parameters
    ----------
    loss : callable or None
        As in `fit` (``None``: metrics only). The mean is weighted by batch size.
    data : iterable of (x, y) batches
    metrics : as in `fit`

    Returns
    -------
    dict
        ``{"loss": ..., "accuracy": ...}`` (Python floats). The model's train/eval mode is restored.
    """
    backend = model.backend
    _send_to(data, backend)
    trackers = _trackers(metrics)
    total: Any = None
    samples = 0
    with evaluating(model), no_grad():
        for batch in data:
            x, y = _split(batch, backend, "evaluate")
            output = model(*x) if isinstance(x, tuple) else model(x)
            size = _batch_size(x)
            if loss is not None:
                value = loss(output, y).array * size
                total = value if total is None else total + value
            samples += size
            for t in trackers:
                t.update(output.backend.xp, y.array, output.array)
    if samples == 0:
        raise ValueError("evaluate: data gave no batches")
    scores = {} if loss is None else {"loss": float(total) / samples}
    scores.update({t.name: t.result() for t in trackers})
    return scores


def predict(model: Any, data: Any, batch_size: int | None = None) -> Tensor:
    """The model's outputs, concatenated along the first axis, in eval mode and without a graph.

    Parameters
    ----------
    data : Tensor, native or NumPy array, or iterable of batches
        An array is cut into ``batch_size`` rows at a time (all at once when ``None``). Batches may
        be ``x`` or ``(x, y)`` / ``(x,)`` tuples (the targets are ignored).

    Returns
    -------
    Tensor
        ``(N, ...)`` on the model's backend.
    """
    backend = model.backend
    if isinstance(data, Tensor) or _is_array(data):
        x_all = _to_backend(data, backend, "predict")
        n = len(x_all)
        step = max(n, 1) if batch_size is None else int(batch_size)
        if step < 1:
            raise ValueError(f"predict: batch_size must be positive, got {batch_size!r}")
        # stops clipped to n: the standard leaves out-of-bounds slice stops unspecified; 0 rows run as
        # one empty batch, so the result has the model's output shape with 0 rows
        batches: Iterable[Any] = [x_all[i:min(i + step, n)] for i in range(0, n, step)] or [x_all]
    else:
        _send_to(data, backend)
        batches = data
    outputs = []
    with evaluating(model), no_grad():
        for batch in batches:
            x = batch[0] if isinstance(batch, (tuple, list)) else batch
            outputs.append(model(_to_backend(x, backend, "predict")))
    if not outputs:
        raise ValueError("predict: data gave no batches")
    if len(outputs) == 1:
        return outputs[0].detach()
    xp = outputs[0].backend.xp
    return tensor(xp.concat([o.array for o in outputs], axis=0), backend=outputs[0].backend)


# -- helpers -------------------------------------------------------------------------------------
def _is_array(value: Any) -> bool:
    try:
        backend_of(value)
        return True
    except TypeError:
        return False


def _to_backend(value: Any, backend: Backend | None, where: str) -> Any:
    if isinstance(value, (tuple, list)):
        return tuple(_to_backend(v, backend, where) for v in value)
    if isinstance(value, Tensor):
        if backend is not None and value.backend != backend:
            raise BackendMismatch(f"{where}: a batch is on backend {value.backend.key!r} but the model is on "
                                  f"{backend.key!r}; make the DataLoader with backend={backend.key!r}")
        return value
    if is_host_array(value) and value.dtype.kind == "f":  # anynn's rule for host batches: the layers' dtype
        return tensor(value, backend=backend, dtype=default_float())
    return tensor(value, backend=backend)


def _split(batch: Any, backend: Backend | None, where: str) -> tuple[Any, Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = f"a {type(batch).__name__}" + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        raise TypeError(f"{where}: each batch must be a pair (x, y), got {got}")
    return _to_backend(batch[0], backend, where), _to_backend(batch[1], backend, where)


def _batch_size(x: Any) -> int:
    first = x[0] if isinstance(x, tuple) else x
    return int(first.shape[0]) if first.ndim else 1


def _length(data: Any) -> int | None:
    try:
        return len(data)
    except TypeError:
        return None


def _check_reiterable(data: Any, epochs: int, name: str) -> None:
    if data is not None and epochs > 1 and iter(data) is data:
        raise TypeError(f"fit: {name} is a one-shot iterator, used up after one epoch; pass a DataLoader or a list")


def _send_to(data: Any, backend: Backend | None) -> None:
    """A DataLoader made without a backend sends its batches to the model's."""
    if backend is not None and isinstance(data, DataLoader) and data.backend is None:
        data.backend = backend


def _trackers(metrics: Any) -> list[Tracker]:
    if metrics is None:
        return []
    if isinstance(metrics, str) or callable(metrics):
        metrics = [metrics]
    return [make_tracker(m) for m in metrics]


def _learning_rate(optimizer: Any) -> float | None:
    groups = getattr(optimizer, "param_groups", None)
    if not groups or "lr" not in groups[0]:
        return None
    return float(groups[0]["lr"])
