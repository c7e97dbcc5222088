"""anynn.compile: compiled steps match eager ones on JAX (models x optimizers, Dropout, schedulers, clipping,
accumulation), retrace only on structure, refuse host reads and Python side effects, checkpoint and resume
bit-identically; the eager fallback on the other CPU backends."""

from __future__ import annotations

import re

import numpy as np
import pytest

import anynn
from anynn import nn, optim
from anynn.backend import BackendUnavailable, get_backend
from anynn.compile import CompiledStepError, stance

try:
    get_backend("jax")
    HAS_JAX = True
except BackendUnavailable:
    HAS_JAX = False

needs_jax = pytest.mark.skipif(not HAS_JAX, reason="JAX is not installed")
STEPS = 20


def _mlp(backend: str) -> nn.Module:
    return nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Dropout(0.2, seed=3), nn.Linear(16, 3),
                         backend=backend, seed=0)


def _cnn(backend: str) -> nn.Module:
    # no conv bias before BatchNorm: its gradient is rounding noise, which Adam turns into full-size steps
    return nn.Sequential(nn.Conv2d(1, 4, 3, bias=False), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Dropout(0.1, seed=4), nn.Flatten(), nn.Linear(4 * 3 * 3, 3), backend=backend, seed=0)


class _LSTMNet(nn.Module):
    def __init__(self, backend: str) -> None:
        super().__init__()
        self.lstm = nn.LSTM(6, 8, batch_first=True, seed=0)
        self.drop = nn.Dropout(0.2, seed=5)
        self.head = nn.Linear(8, 3, seed=1)
        self.to(backend)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(self.drop(out[:, -1]))


class _EncoderNet(nn.Module):
    def __init__(self, backend: str) -> None:
        super().__init__()
        self.encoder = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.1, batch_first=True)
        self.head = nn.Linear(8, 3, seed=1)
        for i, m in enumerate(self.modules()):  # seeded dropout everywhere, so eager and compiled runs draw alike
            if isinstance(m, nn.Dropout):
                m.seed = 100 + i
            if hasattr(m, "dropout_seed"):
                m.dropout_seed = 200 + i
        self.to(backend)

    def forward(self, x):
        return self.head(self.encoder(x).mean(axis=1))


MODELS = {"mlp": (_mlp, (8, 6)), "cnn": (_cnn, (8, 1, 8, 8)), "lstm": (_LSTMNet, (8, 5, 6)),
          "transformer": (_EncoderNet, (8, 5, 8))}
OPTIMIZERS = {
    "SGD": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3),
    "Adam": lambda p: optim.Adam(p, lr=0.01, amsgrad=True),
    "AdamW": lambda p: optim.AdamW(p, lr=0.01),
    "Adamax": lambda p: optim.Adamax(p, lr=0.01),
    "NAdam": lambda p: optim.NAdam(p, lr=0.01),
    "RAdam": lambda p: optim.RAdam(p, lr=0.01),
    "RMSprop": lambda p: optim.RMSprop(p, lr=0.01, momentum=0.5, centered=True),
    "Adagrad": lambda p: optim.Adagrad(p, lr=0.05, lr_decay=1e-3),
    "Adadelta": lambda p: optim.Adadelta(p, lr=1.0),
    "ASGD": lambda p: optim.ASGD(p, lr=0.01, t0=5),
    "Rprop": lambda p: optim.Rprop(p, lr=0.01),
    "Lion": lambda p: optim.Lion(p, lr=1e-3, weight_decay=0.1),
}


def _data(shape: tuple[int, ...], backend: str, steps: int = STEPS):
    rng = np.random.default_rng(7)
    xs = [anynn.tensor(rng.standard_normal(shape).astype(np.float32), backend=backend) for _ in range(steps)]
    ys = [anynn.tensor(rng.integers(0, 3, shape[0]), backend=backend) for _ in range(steps)]
    return xs, ys


def _without_dropout(model: nn.Module) -> nn.Module:
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
        if isinstance(m, nn.MultiheadAttention):
            m.dropout = 0.0
    return model


def _train(pairs: list[tuple[str, str, bool]], backend: str, compiled: bool, scheduler: bool = True,
           clip: float | None = None, steps: int = STEPS):
    """Losses of ``steps`` training steps of every (model, optimizer, with Dropout) run, trained side by side in
    one step (eager, or one compiled program for all of them), and each run's final parameters."""
    anynn.manual_seed(0)
    runs = []
    for model_name, opt_name, dropout in pairs:
        build, shape = MODELS[model_name]
        model = build(backend) if dropout else _without_dropout(build(backend))
        opt = OPTIMIZERS[opt_name](model.parameters())
        sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.7) if scheduler else None
        runs.append((model, opt, sched, _data(shape, backend, steps)))
    loss_fn = nn.CrossEntropyLoss()

    def step(xs, ys):
        losses = []
        for (model, opt, _, _), x, y in zip(runs, xs, ys):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            if clip is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            losses.append(loss)
        return losses

    run = anynn.compile(step) if compiled else step
    losses = []
    for i in range(steps):
        out = run(tuple(r[3][0][i] for r in runs), tuple(r[3][1][i] for r in runs))
        losses.append([float(loss.item()) for loss in out])
        for _, _, sched, _ in runs:
            if sched is not None:
                sched.step()
    params = [[np.asarray(p.array) for p in model.parameters()] for model, *_ in runs]
    return np.array(losses), params, run


def _assert_same_training(pairs: list[tuple[str, str, bool]], params_of: tuple[str, ...] | None = None,
                          **kwargs) -> None:
    """Compiled and eager training give the same losses, and the same parameters in the runs of the optimizers
    ``params_of`` (None: every run)."""
    eager_losses, eager_params, _ = _train(pairs, "jax", False, **kwargs)
    losses, params, run = _train(pairs, "jax", True, **kwargs)
    assert run.path == "jax"
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5, atol=1e-5)
    for (_, opt_name, _), got, expected in zip(pairs, params, eager_params):
        if params_of is None or opt_name in params_of:
            for a, b in zip(got, expected):
                np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5)
    # first call (+ a retrace once Dropout's generators exist), second call (optimizer state exists), and one
    # where an optimizer's Python-number state (ASGD's eta) came back as an array of another weak type
    assert run.trace_count <= 4


@needs_jax
def test_compiled_matches_eager_mlp_every_optimizer_with_scheduler():
    _assert_same_training([("mlp", name, True) for name in sorted(OPTIMIZERS)])


# the optimizer that trains each model with its Dropout layers in the rows below (Dropout's random bits were two
# thirds of XLA's compile time: the other eleven copies train without). The transformer with SGD: attention's key
# bias has a gradient of pure rounding noise (softmax ignores a constant shift), which an adaptive optimizer turns
# into full-size steps that differ run to run, so only SGD's parameters are compared there
WITH_DROPOUT = {"cnn": "Adam", "lstm": "AdamW", "transformer": "SGD"}


# the optimizers each model trains with: the CNN with every one (as the MLP above), the LSTM and the transformer,
# whose eager JAX runs cost CI most, with their Dropout optimizer and two others (the optimizers' code is the same
# whatever the model; what these rows add is each model's layers inside a compiled step)
OPTIMIZERS_OF = {"cnn": sorted(OPTIMIZERS), "lstm": ["ASGD", "AdamW", "SGD"], "transformer": ["ASGD", "Adam", "SGD"]}


@needs_jax
@pytest.mark.parametrize("model_name", list(WITH_DROPOUT))
def test_compiled_matches_eager_every_model_one_optimizer_with_dropout(model_name):
    # 10 steps: ASGD averages from step 5, StepLR changes the rates at 3, 6 and 9
    _assert_same_training([(model_name, name, name == WITH_DROPOUT[model_name]) for name in OPTIMIZERS_OF[model_name]],
                          steps=10, params_of=("SGD",) if model_name == "transformer" else None)


@needs_jax
def test_gradient_clipping_inside_compiled_step_matches_eager():
    _assert_same_training([("mlp", "SGD", True)], clip=0.05)


@needs_jax
def test_gradient_accumulation_inside_and_across_compiled_calls():
    def run(compiled: bool):
        model = _mlp("jax")
        model.eval()  # no dropout: the two ways of accumulating see the same numbers
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        loss_fn = nn.CrossEntropyLoss()

        def inner(xs, ys):  # four micro-batches in one step
            opt.zero_grad()
            total = 0.0
            for i in range(4):
                loss = loss_fn(model(xs[i]), ys[i]) / 4
                loss.backward()
                total = total + loss
            opt.step()
            return total

        def accumulate(x, y):  # gradients carried from call to call
            loss = loss_fn(model(x), y)
            loss.backward()
            return loss

        def apply():
            opt.step()
            opt.zero_grad()

        inner_step = anynn.compile(inner) if compiled else inner
        acc_step = anynn.compile(accumulate) if compiled else accumulate
        apply_step = anynn.compile(apply) if compiled else apply
        xs, ys = _data((8, 6), "jax", 8)
        out = [float(inner_step(tuple(xs[:4]), tuple(ys[:4])).item())]
        for x, y in zip(xs[4:], ys[4:]):
            out.append(float(acc_step(x, y).item()))
        apply_step()
        out.append(float(inner_step(tuple(xs[4:]), tuple(ys[4:])).item()))
        return np.array(out), [np.asarray(p.array) for p in model.parameters()]

    (a, pa), (b, pb) = run(False), run(True)
    np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6)
    for x, y in zip(pa, pb):
        np.testing.assert_allclose(y, x, rtol=1e-5, atol=1e-6)


@needs_jax
def test_dropout_masks_differ_between_calls_and_repeat_for_the_same_seed():
    def masks():
        drop = nn.Dropout(0.5, seed=11)
        x = anynn.ones(64, backend="jax")
        step = anynn.compile(lambda: drop(x))
        return [np.asarray(step().array) for _ in range(3)], step

    first, step = masks()
    assert not np.array_equal(first[0], first[1]) and not np.array_equal(first[1], first[2])
    again, _ = masks()
    for a, b in zip(first, again):
        np.testing.assert_array_equal(a, b)
    assert step.trace_count == 2  # one trace found the generator, one compiled with its counter as an input
    eager = nn.Dropout(0.5, seed=11)
    x = anynn.ones(64, backend="jax")
    for a in first:
        np.testing.assert_array_equal(a, np.asarray(eager(x).array))


@needs_jax
def test_lr_and_step_changes_do_not_retrace_shapes_trace_once_more():
    model = _mlp("jax")
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    compiled = anynn.compile(step)
    xs, ys = _data((8, 6), "jax", 6)
    for x, y in zip(xs, ys):
        compiled(x, y)
        sched.step()
    traces = compiled.trace_count
    assert traces <= 3 and compiled.cache_size == 2  # before and after the optimizer state exists
    small_x, small_y = _data((3, 6), "jax", 2)
    compiled(small_x[0], small_y[0])
    compiled(small_x[1], small_y[1])
    compiled(xs[0], ys[0])
    assert compiled.trace_count == traces + 1
    assert opt.state[id(model[0].weight)]["step"] == 9
    assert isinstance(opt.param_groups[0]["lr"], float)  # the scheduler's number stays a number
    assert len(compiled.compile_seconds) == compiled.cache_size == 3 and min(compiled.compile_seconds) > 0
    lr = opt.param_groups[0]["lr"] = anynn.tensor(0.01, backend="jax")  # the compiled-optimizer recipe's rate:
    compiled(xs[0], ys[0])  # JAX refused it before ('not a valid JAX type'); the scheduler fills it in place
    sched.step()
    assert opt.param_groups[0]["lr"] is lr and float(lr) == pytest.approx(0.005)


@needs_jax
def test_item_inside_compiled_step_names_the_operation():
    model = _mlp("jax")
    loss_fn = nn.CrossEntropyLoss()
    x, y = (t[0] for t in _data((4, 6), "jax", 1))

    def step():
        loss = loss_fn(model(x), y)
        print(loss.item())
        return loss

    with pytest.raises(CompiledStepError, match=r"Tensor\.item\(\).*inside a compiled step.*test_compile\.py"):
        anynn.compile(step)()
    assert not any(isinstance(p.array, anynn.backend.get_backend("jax").jax.core.Tracer)
                   for p in model.parameters())  # the model got its arrays back

    def branch():
        loss = loss_fn(model(x), y)
        if loss > 1:
            loss = loss * 0.5
        return loss

    with pytest.raises(CompiledStepError, match="bool"):
        anynn.compile(branch)()


@needs_jax
def test_scheduler_step_inside_compiled_step_is_refused():
    model = _mlp("jax")
    opt = optim.SGD(model.parameters(), lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1)
    x, y = (t[0] for t in _data((4, 6), "jax", 1))

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
        sched.step()

    with pytest.raises(CompiledStepError, match="StepLR.step.*outside"):
        anynn.compile(step)()
    assert sched.last_epoch == 0 and opt.param_groups[0]["lr"] == 0.1


@needs_jax
def test_grad_scaler_scale_inside_and_step_after_a_compiled_step_matches_eager():
    """``scaler.scale(loss)`` multiplies by a host number: a new scale (grown after each clean step here, halved
    after the step whose input is inf) goes in as an array rather than replaying the first one (which scaled the
    gradients by 8, the scale of the call that traced with them, while unscale_ divided by 16). ``scaler.step``
    inside a step is refused, naming the fix."""
    def run(compiled: bool):
        model = nn.Linear(4, 3, backend="jax", seed=0)
        opt = optim.SGD(model.parameters(), lr=0.1)
        scaler = anynn.amp.GradScaler("cpu", init_scale=4.0, growth_interval=1)

        def backward(x, y):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            scaler.scale(loss).backward()
            return loss

        step = anynn.compile(backward) if compiled else backward
        xs, ys = _data((5, 4), "jax", 4)
        xs[3] = xs[3] * float("inf")
        scales = []
        for x, y in zip(xs, ys):
            step(x, y)
            scaler.step(opt)
            scaler.update()
            scales.append(scaler.get_scale())
        return scales, [np.asarray(p.array) for p in model.parameters()], scaler, opt, model, step

    (eager_scales, eager_params, *_), (scales, params, scaler, opt, model, compiled) = run(False), run(True)
    assert scales == eager_scales == [8.0, 16.0, 32.0, 16.0]
    assert compiled.trace_count == 2  # the scale goes in as an array: not a program per scale (4 traces before)
    for a, b in zip(params, eager_params):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    x, y = (t[0] for t in _data((5, 4), "jax", 1))

    def whole(x, y):
        opt.zero_grad()
        scaler.scale(nn.functional.cross_entropy(model(x), y)).backward()
        scaler.step(opt)
        scaler.update()

    with pytest.raises(CompiledStepError, match=r"GradScaler\.step\(\).*after the compiled step"):
        anynn.compile(whole)(x, y)


@needs_jax
def test_cycled_momentum_betas_and_weight_decay_go_in_as_arrays_one_trace_per_state():
    """OneCycleLR cycles SGD's momentum, CyclicLR Adam's betas[0], a schedule sets weight_decay by hand, every step:
    each was a constant of the program, so every step traced and compiled one of its own (5 traces in 5 steps). They
    go in as arrays, as the learning rate: two traces (before and after the optimizer state exists), eager's
    numbers. An optimizer class of the user's keeps them constants (it may test one in an ``if``)."""
    class Halving(optim.Optimizer):
        def __init__(self, params, lr, momentum):
            super().__init__(params, dict(lr=lr, momentum=momentum))

        def update(self, param, grad, state, group, backend):
            return param - group["lr"] * (0.5 if group["momentum"] > 0 else 1.0) * grad

    def run(compiled: bool):
        a, b, c = (nn.Linear(4, 3, backend="jax", seed=seed) for seed in range(3))
        sgd = optim.SGD(a.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        adam = optim.AdamW(b.parameters(), lr=0.01, weight_decay=0.1)
        one_cycle = optim.lr_scheduler.OneCycleLR(sgd, max_lr=0.1, total_steps=6)
        cyclic = optim.lr_scheduler.CyclicLR(adam, base_lr=0.01, max_lr=0.1, step_size_up=2)
        halving = Halving(c.parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            losses = []
            for model, opt in ((a, sgd), (b, adam), (c, halving)):
                opt.zero_grad()
                loss = nn.functional.cross_entropy(model(x), y)
                loss.backward()
                opt.step()
                losses.append(loss)
            return losses

        run_step = anynn.compile(step) if compiled else step
        xs, ys = _data((5, 4), "jax", 5)
        for i, (x, y) in enumerate(zip(xs, ys)):
            run_step(x, y)
            one_cycle.step()
            cyclic.step()
            adam.param_groups[0]["weight_decay"] = 0.1 / (i + 2)
        return [np.asarray(p.array) for p in [*a.parameters(), *b.parameters(), *c.parameters()]], run_step

    (eager, _), (params, compiled) = run(False), run(True)
    for got, expected in zip(params, eager):
        np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)
    assert compiled.trace_count == 2


@needs_jax
def test_batch_norm_cumulative_average_in_a_compiled_step_matches_eager():
    """``momentum=None`` averages the statistics of all batches seen, 1 / num_batches_tracked: the counter has no
    host value in a trace (float() of it raised CompiledStepError)."""
    def run(compiled: bool):
        norm = nn.BatchNorm1d(3, momentum=None).to("jax")
        step = anynn.compile(lambda x: norm(x).sum()) if compiled else (lambda x: norm(x).sum())
        for x in _data((5, 3), "jax", 3)[0]:
            step(x)
        return [np.asarray(t.array) for t in (norm.running_mean, norm.running_var, norm.num_batches_tracked)]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@needs_jax
def test_a_model_passed_as_an_argument_is_the_steps_state():
    """``train_opt = torch.compile(train); train_opt(model, data)`` (the torch.compile tutorials): a module (or
    optimizer) an argument hands in is discovered as one the step names is, so BatchNorm's statistics written in
    the program come back out (its counter leaked a tracer before: UnexpectedTracerError)."""
    def run(compiled: bool):
        norm = nn.BatchNorm1d(3).to("jax")
        step = anynn.compile(lambda mod, x: mod(x).sum()) if compiled else (lambda mod, x: mod(x).sum())
        for x in _data((5, 3), "jax", 2)[0]:
            step(norm, x)
        return [np.asarray(t.array) for t in (norm.running_mean, norm.running_var, norm.num_batches_tracked)]

    for a, b in zip(run(True), run(False)):
        np.testing.assert_allclose(a, b, rtol=1e-6)


@needs_jax
def test_a_bare_tensor_trained_by_hand_in_a_compiled_step_matches_eager():
    """``w = tensor(..., requires_grad=True)`` updated with ``w.sub_(lr * w.grad)`` (no Module, no optimizer): the
    step did not count w as state, so every call started from the first w and a tracer leaked into it. Tensors
    without gradients: a counter the step adds to in place (it stayed at its first value, holding a tracer) and a
    scale changed between calls (the program kept the first one)."""
    def run(compiled: bool):
        w = anynn.tensor(np.ones(3, np.float32), backend="jax", requires_grad=True)
        x = anynn.tensor(np.arange(3, dtype=np.float32), backend="jax")
        calls, scale = anynn.zeros((), backend="jax"), anynn.ones((), backend="jax")

        def step():
            loss = ((w * x).sum() * scale - calls) ** 2
            loss.backward()
            with anynn.no_grad():
                w.sub_(0.1 * w.grad)
                w.grad.zero_()
                calls.add_(1)
            return loss

        run_step = anynn.compile(step) if compiled else step
        losses = []
        for call in range(3):
            losses.append(float(run_step().item()))
            if call == 0:
                scale.mul_(0.5)
        return losses, np.asarray(w.array), float(calls.item())

    (losses, w, calls), (eager_losses, eager_w, eager_calls) = run(True), run(False)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-6)
    np.testing.assert_allclose(w, eager_w, rtol=1e-6)
    assert calls == eager_calls == 3


@needs_jax
def test_adafactor_muon_and_sparse_adam_in_a_compiled_step_match_eager():
    """The optimizers session 28 added, stepped in one compiled program (each refused before, reading a traced
    value: Adafactor's min(lr, rho) of a traced lr, Muon's lerp by a traced momentum, SparseAdam's math.sqrt of a
    traced step count); eager on NumPy from the same seeded weights."""
    def run(compiled: bool):
        backend = "jax" if compiled else "numpy"
        first, second = nn.Linear(6, 4, backend=backend, seed=0), nn.Linear(4, 3, bias=False, backend=backend, seed=1)
        table = nn.Embedding(10, 3, sparse=True, backend=backend, seed=2)
        opts = [optim.Adafactor(first.parameters(), lr=0.01), optim.Muon(second.parameters(), lr=0.02),
                optim.SparseAdam(table.parameters(), lr=0.1)]

        def step(x, y, tokens):
            for opt in opts:
                opt.zero_grad()
            loss = nn.functional.cross_entropy(second(first(x).tanh()) + table(tokens).mean(1), y)
            loss.backward()
            for opt in opts:
                opt.step()
            return loss

        run_step = anynn.compile(step) if compiled else step
        rng = np.random.default_rng(5)
        losses = []
        for _ in range(2):  # (the second call: the step counts are arrays)
            x, y, tokens = (rng.standard_normal((5, 6)).astype(np.float32), rng.integers(0, 3, 5),
                            rng.integers(0, 10, (5, 4)))
            losses.append(float(run_step(*(anynn.tensor(a, backend=backend) for a in (x, y, tokens))).item()))
        return losses, [np.asarray(p.array) for m in (first, second, table) for p in m.parameters()]

    (losses, weights), (eager_losses, eager_weights) = run(True), run(False)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    for got, expected in zip(weights, eager_weights):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


@needs_jax
def test_cond_on_a_traced_value_takes_its_branch_when_the_program_runs():
    """torch.cond on a value of the step's data is lax.cond (refused before: 'bool(tensor) ... reads a value back to
    the host'): gradients reach the operand, a layer's weights read through a closure and an activation read from
    outside the branch, and an untaken branch's NaN (a square root of negatives) stays out of them. A layer only the
    untaken branch uses gets zeros, as PyTorch's cond gives (eager anynn: None; SGD steps it the same). Eager on
    NumPy (the same seeded weights), which is quicker than on JAX."""
    def run(compiled: bool):
        backend = "jax" if compiled else "numpy"
        first, second = nn.Linear(4, 4, backend=backend, seed=0), nn.Linear(4, 4, backend=backend, seed=1)
        opt = optim.SGD([*first.parameters(), *second.parameters()], lr=0.1)

        def step(x):
            opt.zero_grad()
            h = first(x).tanh()
            y = anynn.cond(x.sum() > 0, lambda z: second(z) + h, lambda z: z * h.exp(), (h,))
            y = y + anynn.cond(x.sum() > -100, lambda z: z * 3, lambda z: (z - 10).sqrt(), (h,))
            loss = (y ** 2).mean()
            loss.backward()
            opt.step()
            return loss

        run_step = anynn.compile(step) if compiled else step
        losses = [float(run_step(anynn.tensor(np.full((2, 4), sign, np.float32), backend=backend)).item())
                  for sign in (0.5, -0.5, 0.5)]
        return losses, [np.asarray(p.array) for p in opt.param_groups[0]["params"]]

    (losses, weights), (eager_losses, eager_weights) = run(True), run(False)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    for got, expected in zip(weights, eager_weights):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)
    x = anynn.tensor(np.ones((2, 4), np.float32), backend="jax")
    with pytest.raises(TypeError, match=r"cond: in a compiled step both branches .* true_fn .* float32\[2,4\] .*"
                                        r"false_fn .* float32\[1,4\], so the shapes do not match"):
        anynn.compile(lambda x: anynn.cond(x.sum() > 0, lambda z: z * 2, lambda z: z[:1], (x,)))(x)


@needs_jax
def test_averaged_models_updated_inside_a_compiled_step_match_eager():
    """AveragedModel.update_parameters inside the step (SWA, SWA's multi_avg_fn, EMA): whether to copy the model
    (the first update) was decided by reading n_averaged, refused in a trace (CompiledStepError 'Tensor.item()')."""
    def run(compiled: bool):
        swa_utils = optim.swa_utils
        model = nn.Linear(4, 3, backend="jax", seed=0)
        averages = [swa_utils.AveragedModel(model)] + [swa_utils.AveragedModel(model, multi_avg_fn=fn) for fn in (
            swa_utils.get_swa_multi_avg_fn(), swa_utils.get_ema_multi_avg_fn(0.7))]
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x, y):
            opt.zero_grad()
            nn.functional.cross_entropy(model(x), y).backward()
            opt.step()
            for average in averages:
                average.update_parameters(model)

        run_step = anynn.compile(step) if compiled else step
        for x, y in zip(*_data((5, 4), "jax", 3)):
            run_step(x, y)
        return [np.asarray(t.array) for average in averages for t in (*average.parameters(), *average.buffers())]

    for a, b in zip(run(True), run(False), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


@needs_jax
def test_freezing_unfreezing_and_replacing_layers_between_compiled_calls_matches_eager():
    """Fine-tuning changes the state without rebinding a name: a frozen layer unfrozen with add_param_group, the
    head replaced, the first layer frozen again. Each discovers the state again (the program kept updating the
    parameters it was traced with, and a replaced layer leaked a tracer)."""
    def run(compiled: bool):
        anynn.manual_seed(0)
        model = nn.Sequential(nn.Linear(5, 6), nn.Tanh(), nn.Linear(6, 3)).to("jax")
        model[0].requires_grad_(False)
        opt = optim.SGD(model[2].parameters(), lr=0.1, momentum=0.9)

        def step(x, y):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()
            return loss

        run_step = anynn.compile(step) if compiled else step
        losses = []
        for i, (x, y) in enumerate(zip(*_data((4, 5), "jax", 5))):
            if i == 2:
                model[0].requires_grad_(True)
                opt.add_param_group({"params": model[0].parameters(), "lr": 0.05})
            elif i == 3:
                model[2] = nn.Linear(6, 3).to("jax")
                opt.add_param_group({"params": model[2].parameters()})
            elif i == 4:
                model[0].requires_grad_(False)
            losses.append(float(run_step(x, y).item()))
        return losses, [np.asarray(p.array) for p in model.parameters()]

    (losses, params), (eager_losses, eager_params) = run(True), run(False)
    np.testing.assert_allclose(losses, eager_losses, rtol=1e-5)
    for a, b in zip(params, eager_params):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@needs_jax
def test_a_layers_python_setting_changed_between_calls_compiles_again():
    """A module's plain attribute is a constant of the trace: a new value (LeakyReLU's slope, a temperature the
    forward reads) compiles a new program instead of replaying the old value."""
    x = anynn.tensor(np.linspace(-1, 1, 12, dtype=np.float32).reshape(4, 3), backend="jax")
    model = nn.Sequential(nn.LeakyReLU(0.1), nn.Linear(3, 2, seed=0)).to("jax")
    model.temperature = 1.0
    step = anynn.compile(lambda: model(x).sum() / model.temperature)
    for slope, temperature in ((0.1, 1.0), (0.5, 1.0), (0.5, 4.0), (0.1, 1.0)):
        model[0].negative_slope, model.temperature = slope, temperature
        assert float(step().item()) == pytest.approx(float(model(x).sum().item()) / temperature, rel=1e-6)
    assert step.trace_count == step.cache_size == 3


@needs_jax
def test_unseeded_functional_dropout_draws_from_the_steps_generator_given_host_generators_are_refused():
    """F.dropout(x, p), attention's dropout and gumbel_softmax without generator= draw from the step's own
    generator, a new mask each call, reproducible from anynn.manual_seed (CompiledStepError before: a generator
    seeded from the host one would be a constant of the program); so do anynn.rand_like (and the other factories:
    rand, randn, randint, randperm, bernoulli), multinomial and in-place fills (normal_), as torch.compile runs
    torch.rand (refused before: 'anynn's host generator drew numbers'). A host generator handed to a draw
    (generator=g) was not checked: the program replayed its first numbers."""
    x = anynn.ones(16, backend="jax")

    def masks() -> list[np.ndarray]:
        anynn.manual_seed(5)
        q = x.reshape(1, 4, 4)
        step = anynn.compile(lambda: (nn.functional.dropout(x, 0.5), nn.functional.gumbel_softmax(q, hard=True),
                                      nn.functional.scaled_dot_product_attention(q, q, q, dropout_p=0.5)))
        calls = [[np.asarray(t.array) for t in step()] for _ in range(2)]
        assert step.trace_count == 2  # one trace made the step's generator, one compiled with its counter
        for a, b in zip(*calls):
            assert not np.array_equal(a, b)
        return calls[0]

    first = masks()
    assert set(np.unique(first[0])) <= {0.0, 2.0}
    for a, b in zip(first, masks()):
        np.testing.assert_array_equal(a, b)
    failing = [True]

    def fails_once():  # the trace that made the step's generator raised: the next one carries it
        out = nn.functional.dropout(x, 0.5)
        if failing:
            failing.clear()
            raise KeyError("once")
        return out

    step = anynn.compile(fails_once)
    with pytest.raises(KeyError):
        step()
    assert not np.array_equal(np.asarray(step().array), np.asarray(step().array))
    step = anynn.compile(lambda: (anynn.rand_like(x), x.clone().normal_(), anynn.multinomial(x.reshape(4, 4), 4)))
    for a, b in zip(step(), step()):
        assert not np.array_equal(np.asarray(a.array), np.asarray(b.array))
    g = anynn.Generator().manual_seed(3)
    for draw in (lambda: x + anynn.rand_like(x, generator=g), lambda: anynn.empty_like(x).bernoulli_(0.5, generator=g)):
        with pytest.raises(CompiledStepError, match="host generator given with generator= .* drew numbers"):
            anynn.compile(draw)()
    fixed = anynn.compile(lambda: x + anynn.rand_like(x, generator=7))  # a seed draws the same numbers every call
    np.testing.assert_array_equal(np.asarray(fixed().array), np.asarray(fixed().array))


@needs_jax
def test_checkpoint_between_compiled_steps_resumes_bit_identically(tmp_path):
    def setup():
        model = _mlp("jax")
        opt = optim.Adam(model.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss()

        def step(x, y):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return loss

        return model, opt, anynn.compile(step)

    xs, ys = _data((8, 6), "jax", 10)
    model, opt, step = setup()
    for x, y in zip(xs[:5], ys[:5]):
        step(x, y)
    anynn.save_checkpoint(tmp_path / "ck.safetensors", model=model, optimizer=opt, step=5)
    expected = [np.asarray(step(x, y).array) for x, y in zip(xs[5:], ys[5:])]
    model2, opt2, step2 = setup()
    anynn.load_checkpoint(tmp_path / "ck.safetensors", model=model2, optimizer=opt2)
    resumed = [np.asarray(step2(x, y).array) for x, y in zip(xs[5:], ys[5:])]
    for a, b in zip(expected, resumed):
        np.testing.assert_array_equal(a, b)
    for p, q in zip(model.parameters(), model2.parameters()):
        np.testing.assert_array_equal(np.asarray(p.array), np.asarray(q.array))


@needs_jax
def test_state_found_through_self_and_globals():
    class Trainer:
        def __init__(self):
            self.model = _mlp("jax")
            self.model.eval()
            self.opt = optim.SGD(self.model.parameters(), lr=0.1)

        def step(self, x, y):
            self.opt.zero_grad()
            loss = nn.functional.cross_entropy(self.model(x), y)
            loss.backward()
            self.opt.step()
            return {"loss": loss, "n": x.shape[0]}

    trainer = Trainer()
    before = np.asarray(trainer.model[0].weight.array).copy()
    x, y = (t[0] for t in _data((4, 6), "jax", 1))
    out = anynn.compile(trainer.step)(x, y)
    assert out["n"] == 4 and isinstance(out["loss"], anynn.Tensor)
    assert not np.array_equal(before, np.asarray(trainer.model[0].weight.array))
    assert trainer.model[0].weight.grad is not None


@pytest.mark.parametrize("name", ["numpy", "torch", "array_api_strict"])
def test_eager_fallback_on_cpu_backends(name):
    try:
        get_backend(name)
    except BackendUnavailable:
        pytest.skip(f"{name} is not available")

    def losses(compiled: bool):
        model = _mlp(name)
        opt = optim.Adam(model.parameters(), lr=0.01)
        loss_fn = nn.CrossEntropyLoss()

        def step(x, y):
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            return loss

        run = anynn.compile(step) if compiled else step
        out = [float(run(x, y).item()) for x, y in zip(*_data((8, 6), name, 4))]
        return out, run

    (eager, _), (compiled, run) = losses(False), losses(True)
    assert compiled == eager
    assert run.path == "eager" and run.trace_count == 0


@pytest.mark.parametrize("name", ["numpy", "torch", "array_api_strict"])
def test_compiling_a_module_gives_pytorchs_optimized_module(name):
    """``model = torch.compile(model)`` (nanoGPT, llama2.c): a Module holding the model as ``_orig_mod``, with
    PyTorch's prefixed state_dict keys, eval()/train() reaching the model, its attributes, and its outputs."""
    torch = pytest.importorskip("torch")
    try:
        get_backend(name)
    except BackendUnavailable:
        pytest.skip(f"{name} is not available")
    model = _mlp(name)
    compiled = anynn.compile(model)
    ref = torch.compile(torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Dropout(0.2),
                                            torch.nn.Linear(16, 3)))
    assert isinstance(compiled, nn.Module) and type(compiled).__name__ == type(ref).__name__ == "OptimizedModule"
    assert list(compiled.state_dict()) == list(ref.state_dict())
    assert [n for n, _ in compiled.named_parameters()] == [n for n, _ in ref.named_parameters()]
    model.block_size = 6  # a plain attribute of the model (nanoGPT reads model.config through the wrapper)
    assert compiled._orig_mod is model and compiled.block_size == 6 and len(compiled) == len(model) == 4
    with pytest.raises(TypeError):
        compiled[0]  # indexing is not forwarded, in PyTorch either
    assert [p is q for p, q in zip(compiled.parameters(), model.parameters())] == [True] * 4
    compiled.eval()
    assert not model.training and not model[2].training and not compiled.training
    x, y = (t[0] for t in _data((8, 6), name, 1))
    np.testing.assert_array_equal(np.asarray(compiled(x).array), np.asarray(model(x).array))
    compiled.train()
    assert model.training
    # a checkpoint of the compiled model loads into a fresh one once the prefix is stripped (as nanoGPT does)
    state = {k.removeprefix("_orig_mod."): v for k, v in compiled.state_dict().items()}
    fresh = _mlp(name)
    fresh.load_state_dict(state)
    fresh.eval(), compiled.eval()
    np.testing.assert_array_equal(np.asarray(fresh(x).array), np.asarray(compiled(x).array))


def test_module_compile_in_place_as_torch():
    """``model.compile()`` (PyTorch's in-place form): None, same type, same keys, same outputs; it was missing."""
    torch = pytest.importorskip("torch")
    model, ref = _mlp("numpy"), torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh())
    keys = list(model.state_dict())
    assert model.compile(mode="reduce-overhead", fullgraph=True) is None is ref.compile(mode="reduce-overhead")
    assert type(model) is nn.Sequential and type(ref) is torch.nn.Sequential and list(model.state_dict()) == keys
    x = _data((8, 6), "numpy", 1)[0][0]
    model.eval()
    np.testing.assert_array_equal(np.asarray(model(x).array), np.asarray(model[3](model[1](model[0](x))).array))


def test_pytorchs_compile_arguments_are_accepted():
    """torch.compile's keywords: its mode names and Inductor settings run (the backend's path), ``disable``
    returns the function itself, and mode together with options is refused as PyTorch refuses it."""
    torch = pytest.importorskip("torch")
    model = _mlp("numpy")
    x, _ = (t[0] for t in _data((4, 6), "numpy", 1))
    for kwargs in ({"mode": "max-autotune"}, {"mode": "reduce-overhead", "fullgraph": True}, {"mode": None},
                   {"dynamic": True, "backend": "inductor", "options": {"trace.enabled": False}}):
        run = anynn.compile(lambda x: model(x).sum(), **kwargs)
        run(x)
        assert run.path == "eager"
        torch.compile(lambda v: v, **kwargs)  # PyTorch takes the same keywords
    step = lambda x: model(x).sum()  # noqa: E731
    assert anynn.compile(step, disable=True) is step and torch.compile(step, disable=True) is step
    assert anynn.compile(model, disable=True) is model
    with pytest.raises(RuntimeError, match="mode or options"):
        anynn.compile(step, mode="max-autotune", options={"trace.enabled": False})
    with pytest.raises(RuntimeError, match="mode or options"):
        torch.compile(step, mode="max-autotune", options={"trace.enabled": False})
    for lib in (torch, anynn):  # a misspelt mode, for a step, a Module or as a decorator (anynn took a Module's)
        for call in (lambda c: c(step, mode="max_autotune"), lambda c: c(model, mode="max_autotune"),
                     lambda c: c(mode="max_autotune")(step)):
            with pytest.raises(RuntimeError, match="Unrecognized mode=max_autotune, should be one of: default"):
                call(lib.compile)


@pytest.mark.parametrize("mode", ["jax", "cuda_graph"])
def test_a_forced_mode_the_state_backend_does_not_offer_is_refused(mode):
    """The path is the backend's capability (`Backend.step_compiler`): NumPy offers none, so forcing one is an error
    naming the mode, the state's backend and the way to one that offers it: the move where that backend works,
    else its own reason (the extra to install; with CuPy installed and no driver, the driver's error: the cuda12
    extra was named before whatever the cause). Eager mode still runs."""
    model = _mlp("numpy")
    x, _ = (t[0] for t in _data((4, 6), "numpy", 1))
    offered_by = {"jax": "jax", "cuda_graph": "cupy"}[mode]
    try:
        anynn.backend.get_backend(offered_by)
        cause = f"move the model and tensors to the {offered_by} backend (.to("
    except anynn.BackendUnavailable as exc:
        cause = f"unavailable here: {exc}"
    with pytest.raises(CompiledStepError, match=rf"mode='{mode}'.*numpy.*" + re.escape(cause)):
        anynn.compile(lambda x: model(x).sum(), mode=mode)(x)
    run = anynn.compile(lambda x: model(x).sum(), mode="eager")
    run(x)
    assert run.path == "eager"


@needs_jax
def test_jax_grad_gives_second_derivatives_through_anynn_forward():
    import jax.numpy as jnp

    from anynn.testing import jax_function, jax_grad

    def f(x):
        return (x.tanh() ** 2).sum()

    x = jnp.asarray([0.3, -1.2, 2.0], dtype=jnp.float64)
    t = np.tanh(np.asarray(x))
    np.testing.assert_allclose(np.asarray(jax_grad(f)(x)), 2 * t * (1 - t**2), rtol=1e-12)
    import jax

    second = jax.grad(lambda a: jax_grad(f)(a).sum())(x)
    np.testing.assert_allclose(np.asarray(second), 2 * (1 - t**2) ** 2 - 4 * t**2 * (1 - t**2), rtol=1e-10)
    assert float(jax_function(f)(x)) == pytest.approx(float(np.sum(t**2)))


@pytest.mark.parametrize("name", ["numpy", "jax"])
def test_fit_with_compile_matches_fit_without(name):
    try:
        get_backend(name)
    except BackendUnavailable:
        pytest.skip(f"{name} is not available")

    def history(compiled: bool):
        anynn.manual_seed(0)
        model = _mlp(name)
        opt = optim.Adam(model.parameters(), lr=0.01)
        data = list(zip(*_data((8, 6), name, 4)))
        return anynn.train.fit(model, nn.CrossEntropyLoss(), opt, data, epochs=2, verbose=0,
                               compile=compiled).history

    eager, compiled = history(False), history(True)
    np.testing.assert_allclose(compiled["loss"], eager["loss"], rtol=1e-5)
    np.testing.assert_allclose(compiled["accuracy"], eager["accuracy"], rtol=1e-6)


def _cupy_or_skip():
    try:
        return get_backend("cupy")
    except BackendUnavailable:
        pytest.skip("cupy with a CUDA device is not available here")


@pytest.mark.parametrize("name", ["cupy"])
def test_cuda_graph_step_matches_eager_cupy(name):
    """Warm-up, capture, replays with a scheduler: the CUDA-graph step trains as the eager one (GPU check)."""
    _cupy_or_skip()

    def losses(compiled: bool):
        anynn.manual_seed(0)
        model = _mlp(name)
        model.eval()  # no dropout: CuPy's generator cannot be replayed
        opts = [optim.Adam(model[0].parameters(), lr=0.01), optim.SGD(model[3].parameters(), lr=0.05, momentum=0.9)]
        sched = optim.lr_scheduler.StepLR(opts[0], step_size=3, gamma=0.5)
        loss_fn = nn.CrossEntropyLoss()

        def step(x, y):
            for o in opts:
                o.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            for o in opts:
                o.step()
            return loss

        run = anynn.compile(step) if compiled else step
        out = []
        for x, y in zip(*_data((8, 6), name, 10)):
            out.append(float(run(x, y).item()))
            sched.step()
        return np.array(out), run

    (eager, _), (compiled, run) = losses(False), losses(True)
    assert run.path == "cuda_graph" and run.trace_count == 1
    np.testing.assert_allclose(compiled, eager, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["cupy"])
def test_cuda_graph_refuses_host_reads_and_dropout_cupy(name):
    _cupy_or_skip()
    model = _mlp(name)
    loss_fn = nn.CrossEntropyLoss()
    x, y = (t[0] for t in _data((4, 6), name, 1))

    def chatty():
        loss = loss_fn(model(x), y)
        loss.item()
        return loss

    step = anynn.compile(chatty)
    step()  # the warm-up call runs eagerly
    with pytest.raises(CompiledStepError, match="host"):
        step()
    model.train()
    dropout = anynn.compile(lambda: loss_fn(model(x), y))
    dropout()
    with pytest.raises(CompiledStepError, match="random draw"):
        dropout()


class _SequenceNet(nn.Module):
    def __init__(self, kind: str, backend: str) -> None:
        super().__init__()
        layer = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[kind]
        self.rnn = layer(4, 6, batch_first=True, seed=0)
        self.head = nn.Linear(6, 3, seed=1)
        self.to(backend)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])


def _sequence_losses(kind: str, backend: str, compiled: bool, length: int = 5, steps: int = STEPS):
    model = _SequenceNet(kind, backend)
    opt = optim.Adam(model.parameters(), lr=0.02)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    run = anynn.compile(step) if compiled else step
    xs, ys = _data((4, length, 4), backend, steps)
    return np.array([float(run(x, y).item()) for x, y in zip(xs, ys)]), run


@needs_jax
@pytest.mark.parametrize("kind", ["lstm", "gru", "rnn"])
def test_recurrent_layers_compiled_on_jax_match_eager_numpy(kind):
    eager, _ = _sequence_losses(kind, "numpy", False)
    losses, run = _sequence_losses(kind, "jax", True)
    assert run.path == "jax"
    np.testing.assert_allclose(losses, eager, rtol=1e-5, atol=1e-5)


@needs_jax
@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_recurrent_sequence_traces_to_one_loop_on_jax(kind):
    """Forward and anynn's own backward of a sequence are one ``scan`` each: the program does not grow with L."""
    import jax

    from anynn.testing import jax_function

    model = _SequenceNet(kind, "jax")

    def forward_backward(x):
        x.requires_grad_()
        with anynn.enable_grad():
            loss = model(x).sum()
            (grad_x,) = anynn.autograd.grad(loss, [x])
        return loss, grad_x

    def program(length: int):
        x = np.zeros((2, length, 4), np.float32)
        return jax.make_jaxpr(jax_function(forward_backward))(jax.numpy.asarray(x)).jaxpr

    short, long = program(3), program(12)
    assert [e.primitive.name for e in short.eqns].count("scan") == 2  # forward and backward
    assert len(long.eqns) == len(short.eqns)


@needs_jax
def test_tracing_never_asks_a_traced_array_for_its_device(monkeypatch):
    """A jit tracer's ``.device`` and ``.devices()`` raise an error whose message walks the whole trace so far;
    asked once per layer, they made tracing quadratic in the step's size (twelve small encoders: a quarter
    of the time). Slicing, pooling, an LSTM and cross-entropy, forward and backward, never ask."""
    import jax

    from anynn.testing import jax_function

    asked = []

    def ask(self, *args):
        asked.append(type(self).__name__)
        raise AttributeError("a traced array has no device")

    monkeypatch.setattr(jax.core.Tracer, "device", property(ask))
    monkeypatch.setattr(jax.core.Tracer, "devices", ask)
    cnn, lstm = _cnn("jax"), _LSTMNet("jax")
    labels = anynn.tensor(np.array([0, 2]), backend="jax")

    def forward_backward(images, sequences):
        images.requires_grad_(), sequences.requires_grad_()
        with anynn.enable_grad():
            loss = (nn.functional.cross_entropy(cnn(images), labels)
                    + nn.functional.cross_entropy(lstm(sequences)[:, 1:], labels[:1].expand(2)))
            return loss, *anynn.autograd.grad(loss, [images, sequences])

    images, sequences = np.zeros((2, 1, 8, 8), np.float32), np.zeros((2, 5, 6), np.float32)
    jax.make_jaxpr(jax_function(forward_backward))(jax.numpy.asarray(images), jax.numpy.asarray(sequences))
    assert asked == []


@needs_jax
def test_layers_and_transforms_never_ask_a_traced_array_for_its_device(monkeypatch):
    """The nn layers that make new arrays beside their input (a cell's zero state, a packed bidirectional LSTM's
    zero rows, pad_packed_sequence's padding row, attention's masks with a bias key) and the data transforms ask
    `device_of`, never the tracer; Standardizer used to refuse traced data as on another device."""
    import jax

    from anynn.data.transforms import Standardizer, one_hot
    from anynn.testing import jax_function

    asked = []

    def ask(self, *args):
        asked.append(type(self).__name__)
        raise AttributeError("a traced array has no device")

    rnn = nn.utils.rnn
    cell, lstm = nn.LSTMCell(6, 8).to("jax"), nn.LSTM(6, 4, bidirectional=True).to("jax")
    attention = nn.MultiheadAttention(8, 2, add_bias_kv=True, batch_first=True).to("jax")
    sizes = rnn.pack_padded_sequence(anynn.zeros(5, 2, 6, backend="jax"), [5, 3]).batch_sizes  # host numbers
    causal = anynn.tensor(np.triu(np.ones((3, 3), bool), 1), backend="jax")
    padding = anynn.tensor(np.array([[False, False, True], [False, False, False]]), backend="jax")
    rng = np.random.default_rng(0)
    samples = anynn.tensor(rng.standard_normal((10, 6)).astype(np.float32), backend="jax")
    scaler = Standardizer().fit(samples)
    monkeypatch.setattr(jax.core.Tracer, "device", property(ask))
    monkeypatch.setattr(jax.core.Tracer, "devices", ask)

    def forward(x, rows, q, labels):
        with anynn.enable_grad():
            h, _ = cell(x)
            out, _ = lstm(rnn.PackedSequence(rows, sizes))
            padded, _ = rnn.pad_packed_sequence(out)
            attended, _ = attention(q, q, q, attn_mask=causal, key_padding_mask=padding)
            return (h.sum() + padded.sum() + attended.sum() + scaler.transform(x).sum()
                    + one_hot(labels, 4).sum())

    inputs = [np.zeros((2, 6), np.float32), np.zeros((8, 6), np.float32), np.zeros((2, 3, 8), np.float32),
              np.array([1, 3])]
    jax.make_jaxpr(jax_function(forward))(*(jax.numpy.asarray(a) for a in inputs))
    assert asked == []


@needs_jax
def test_sequences_packed_inside_a_compiled_step_as_eager():
    """pack_padded_sequence (lengths a list), a packed LSTM, pad_packed_sequence and unpad_sequence of its lengths
    inside a compiled step: the packed layout is read from the ints it was made of (CompiledStepError before: the
    layer read batch_sizes back from a tracer, as every array a JAX trace makes is one)."""
    rnn = nn.utils.rnn
    lstm = nn.LSTM(2, 2, batch_first=True)
    x = anynn.tensor(np.random.default_rng(0).standard_normal((2, 3, 2)).astype(np.float32))

    def loss(x):
        packed = rnn.pack_padded_sequence(x, [2, 3], batch_first=True, enforce_sorted=False)
        padded, lengths = rnn.pad_packed_sequence(lstm(packed)[0], batch_first=True)
        return sum(s.square().sum() * (i + 1) for i, s in enumerate(rnn.unpad_sequence(padded, lengths, True)))

    want = loss(x).numpy()  # eager on NumPy (eager JAX compiles each op)
    lstm.to("jax")
    np.testing.assert_allclose(anynn.compile(loss)(x.to("jax")).numpy(), want, rtol=1e-5)


@needs_jax
def test_set_stance_forces_eager_and_fails_or_runs_eagerly_on_a_recompile_as_pytorchs():
    """PyTorch's set_stance recipe (AttributeError before): ``force_eager`` runs the step as written (its Python
    side effects happen each call), ``fail_on_recompile`` refuses a new shape once a program is cached,
    ``eager_on_recompile`` runs that call eagerly and keeps the cache; set inside a running step it is refused."""
    calls = []
    step = anynn.compile(lambda x: (calls.append(1), x.relu() * 2)[1])
    x3, x4 = anynn.ones(3, backend="jax"), anynn.ones(4, backend="jax")
    step(x3)
    with anynn.compiler.set_stance("force_eager"):
        step(x3)
    assert len(calls) == 2 and step.trace_count == 1 and stance.current() == "default"
    with anynn.compiler.set_stance("fail_on_recompile"):
        step(x3)
        with pytest.raises(RuntimeError, match="stance is 'fail_on_recompile'"):
            step(x4)
    with anynn.compiler.set_stance("eager_on_recompile"):
        assert step(x4).tolist() == [2.0] * 4 and step.cache_size == 1
    with pytest.raises(RuntimeError, match="set_stance in a torch.compile region"):
        anynn.compile(lambda: anynn.compiler.set_stance("force_eager"))()
    assert stance.current() == "default"


@needs_jax
def test_cond_branch_that_changes_state_is_refused_naming_the_rule():
    """A batch norm in training mode inside a traced cond branch updates its statistics with values of the branch's
    own trace: JAX's UnexpectedTracerError came out, naming no anynn rule; now CompiledStepError naming cond, the
    line that made the value and the fix, as torch.cond refuses a branch that changes state. The layer is intact. A
    tensor kept in an outer list and read by a later trace is refused naming the step's line (it was called a cond
    branch's change of state)."""
    layer = nn.BatchNorm1d(4, backend="jax")
    step = anynn.compile(lambda x: anynn.cond(x.sum() > 0, lambda z: layer(z), lambda z: z * 2, (x,)))
    with pytest.raises(CompiledStepError, match=r"a branch of cond .* changed state \(the value was made at .*norm"):
        step(anynn.tensor(np.ones((3, 4), np.float32), backend="jax"))
    assert layer(anynn.tensor(np.ones((3, 4), np.float32), backend="jax")).shape == (3, 4)
    kept: list = []  # a traced tensor kept in an outer list and read by the next trace (a new shape)
    step = anynn.compile(lambda x: (kept.append(x * 2), (x + kept[0][:1]).sum())[1])
    step(anynn.tensor(np.ones((3, 4), np.float32), backend="jax"))
    with pytest.raises(CompiledStepError, match=r"kept outside the step's state .* made at .*test_compile\.py"):
        step(anynn.tensor(np.ones((2, 4), np.float32), backend="jax"))


class _Caching(nn.Module):
    """Stores tensors on itself in forward: a causal mask made for the sequence's length (pytorch/examples'
    word_language_model Transformer: ``self.src_mask = mask``) and a state carried to the next call."""

    def __init__(self, backend: str) -> None:
        super().__init__()
        self.lin = nn.Linear(3, 3, seed=0, backend=backend)
        self.mask = self.state = None

    def forward(self, x):
        if self.mask is None or self.mask.size(0) != x.size(0):
            self.mask = anynn.triu(anynn.ones(x.size(0), x.size(0), device=x.device), diagonal=1)
        h = self.lin(x) if self.state is None else self.lin(x) + self.state
        self.state = h.detach().mean(0)
        return self.mask @ h


@needs_jax
def test_tensors_a_step_stores_on_modules_are_its_outputs_and_then_its_inputs():
    """A compiled step whose forward stores tensors on the module stores what the program computed, and later calls
    read them (CompiledStepError 'stored a traced array' before; torch.compile takes it): losses as eager, one trace
    per kind of what the attributes hold (None, or a tensor of a shape), the third call replays the second's."""
    def losses(backend: str, compiled: bool):
        model = _Caching(backend)
        opt = optim.SGD(model.parameters(), lr=0.1)

        def step(x):
            opt.zero_grad()
            loss = model(x).square().mean()
            loss.backward()
            opt.step()
            return loss.detach()

        run = anynn.compile(step) if compiled else step
        rng = np.random.default_rng(0)
        out = [float(run(anynn.tensor(rng.standard_normal((n, 3)).astype(np.float32)).to(backend)))
               for n in (4, 4, 4)]
        return out, run, model

    eager, _, _ = losses("numpy", False)
    got, run, model = losses("jax", True)
    np.testing.assert_allclose(got, eager, rtol=1e-5)
    assert run.trace_count == 2 and tuple(model.mask.shape) == (4, 4) and not model.state.backend.is_traced(
        model.state.array)
