"""Learning-rate schedulers against torch.optim.lr_scheduler: the rate (and momentum) sequences, with
several parameter groups (fixed and seeded random settings, two schedulers on one optimizer); ReduceLROnPlateau on
the same metrics; state round trips; parameter updates."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

import anynn
import anynn.optim.lr_scheduler as ours_sched
from anynn.nn.module import Parameter
from anynn.optim.adam import Adam
from anynn.optim.rmsprop import RMSprop
from anynn.optim.sgd import SGD

torch_sched = torch.optim.lr_scheduler
STEPS = 30
OPTIMIZERS = {"sgd": (SGD, torch.optim.SGD, dict(lr=0.1, momentum=0.9)),
              "adam": (Adam, torch.optim.Adam, dict(lr=0.01)),
              "rmsprop": (RMSprop, torch.optim.RMSprop, dict(lr=0.01, momentum=0.5))}


class Warmup:
    """A callable object: LambdaLR saves its ``__dict__``."""

    def __init__(self, epochs: int) -> None:
        self.epochs = epochs

    def __call__(self, epoch: int) -> float:
        return min(1.0, (epoch + 1) / self.epochs)


# (id, optimizer kind, factory(module, optimizer) -> scheduler)
CASES = [
    ("lambda", "sgd", lambda m, o: m.LambdaLR(o, lambda e: 0.95**e)),
    ("lambda-per-group", "sgd", lambda m, o: m.LambdaLR(o, [lambda e: 1 / (e + 1), Warmup(4)])),
    ("step", "sgd", lambda m, o: m.StepLR(o, step_size=4, gamma=0.5)),
    ("multistep", "adam", lambda m, o: m.MultiStepLR(o, milestones=[3, 7, 7, 15], gamma=0.3)),
    ("exponential", "sgd", lambda m, o: m.ExponentialLR(o, gamma=0.9)),
    ("cosine", "sgd", lambda m, o: m.CosineAnnealingLR(o, T_max=10, eta_min=0.001)),
    ("cosine-long", "adam", lambda m, o: m.CosineAnnealingLR(o, T_max=40)),
    ("warm-restarts", "sgd", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=5)),
    ("warm-restarts-mult", "adam", lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, eta_min=0.001)),
    ("one-cycle", "sgd", lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS)),
    ("one-cycle-adam-linear", "adam", lambda m, o: m.OneCycleLR(
        o, max_lr=0.1, epochs=3, steps_per_epoch=10, anneal_strategy="linear", pct_start=0.25)),
    ("one-cycle-three-phase", "rmsprop", lambda m, o: m.OneCycleLR(
        o, max_lr=0.05, total_steps=35, three_phase=True, div_factor=10.0, final_div_factor=100.0,
        base_momentum=[0.8, 0.7], max_momentum=0.9)),
    ("one-cycle-no-momentum", "sgd", lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=STEPS,
                                                              cycle_momentum=False)),
    ("linear", "sgd", lambda m, o: m.LinearLR(o, start_factor=0.25, total_iters=8)),
    ("linear-decay", "adam", lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=12)),
    ("sequential", "sgd", lambda m, o: m.SequentialLR(
        o, [m.LinearLR(o, start_factor=0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=20)], milestones=[5])),
    ("sequential-3", "adam", lambda m, o: m.SequentialLR(
        o, [m.ExponentialLR(o, gamma=0.8), m.StepLR(o, step_size=3, gamma=0.5), m.LambdaLR(o, lambda e: 1.0)],
        milestones=[6, 20])),
    ("multiplicative", "sgd", lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95)),
    ("multiplicative-per-group", "adam", lambda m, o: m.MultiplicativeLR(o, [lambda e: 0.9, Warmup(4)])),
    ("constant", "sgd", lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4)),
    ("constant-default", "adam", lambda m, o: m.ConstantLR(o)),
    ("polynomial", "sgd", lambda m, o: m.PolynomialLR(o, total_iters=40, power=2.0)),
    ("polynomial-default", "adam", lambda m, o: m.PolynomialLR(o)),
    ("cyclic", "sgd", lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=5)),
    ("cyclic-triangular2-betas", "adam", lambda m, o: m.CyclicLR(
        o, base_lr=0.001, max_lr=0.01, step_size_up=4, step_size_down=6, mode="triangular2")),
    ("cyclic-exp-range", "rmsprop", lambda m, o: m.CyclicLR(
        o, base_lr=[0.01, 0.005], max_lr=[0.1, 0.05], step_size_up=7, mode="exp_range", gamma=0.97,
        base_momentum=[0.8, 0.7], max_momentum=0.95)),
    ("cyclic-no-momentum", "sgd", lambda m, o: m.CyclicLR(o, base_lr=0.02, max_lr=0.2, step_size_up=3,
                                                          cycle_momentum=False)),
    ("cyclic-scale-fn", "sgd", lambda m, o: m.CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=6,
                                                       scale_fn=Halving(), scale_mode="iterations")),
    ("chained", "sgd", lambda m, o: m.ChainedScheduler([m.ConstantLR(o, factor=0.1, total_iters=2),
                                                        m.ExponentialLR(o, gamma=0.9)])),
    ("chained-3", "adam", lambda m, o: m.ChainedScheduler(
        [m.LinearLR(o, start_factor=0.2, total_iters=6), m.MultiplicativeLR(o, lambda e: 0.99),
         m.StepLR(o, step_size=7, gamma=0.5)], optimizer=o)),
    ("sequential-constant-polynomial", "sgd", lambda m, o: m.SequentialLR(
        o, [m.ConstantLR(o, factor=0.5, total_iters=3), m.PolynomialLR(o, total_iters=30)], milestones=[3])),
]
# one-cycle schedules end at their total_steps; the others run LONG steps
LONG = 60


class Halving:
    """A callable object: CyclicLR saves the ``__dict__`` of a custom scale_fn."""

    def __init__(self) -> None:
        self.base = 0.5

    def __call__(self, x: float) -> float:
        return self.base ** (x / 10)


def _optimizers(kind, backend="numpy"):
    """The same two-group optimizer in anynn and in PyTorch (lr 0.1/0.05 or the kind's default)."""
    ours_cls, torch_cls, options = OPTIMIZERS[kind]
    rng = np.random.default_rng(0)
    weights = [rng.standard_normal((3, 2)), rng.standard_normal(2)]
    ours = [Parameter(w, backend=backend, dtype="float64") for w in weights]
    theirs = [torch.tensor(w, requires_grad=True) for w in weights]
    second = {"lr": options["lr"] / 2}
    opt = ours_cls([{"params": [ours[0]]}, {"params": [ours[1]], **second}], **options)
    topt = torch_cls([{"params": [theirs[0]]}, {"params": [theirs[1]], **second}], **options)
    return opt, topt, ours, theirs


def _momenta(opt):
    return [g["betas"][0] if "betas" in g else g.get("momentum") for g in opt.param_groups]


def _trace(opt, scheduler, steps=STEPS):
    """(last_lr, group lrs, momenta) right after construction and after each of ``steps`` steps."""
    out = [(scheduler.get_last_lr(), [g["lr"] for g in opt.param_groups], _momenta(opt))]
    for _ in range(steps):
        opt.step()
        scheduler.step()
        out.append((scheduler.get_last_lr(), [g["lr"] for g in opt.param_groups], _momenta(opt)))
    return out


def _assert_traces_equal(ours, theirs):
    for step, (a, b) in enumerate(zip(ours, theirs, strict=True)):
        for x, y, what in zip(a, b, ("get_last_lr", "group lr", "momentum")):
            np.testing.assert_allclose(np.asarray(x, dtype=float), np.asarray(y, dtype=float), rtol=1e-13,
                                       atol=1e-16, err_msg=f"{what} at step {step}")


@pytest.mark.parametrize("name, kind, factory", CASES, ids=[c[0] for c in CASES])
def test_lr_sequence_matches_torch(name, kind, factory):
    opt, topt, _, _ = _optimizers(kind)
    steps = STEPS if name.startswith("one-cycle") else LONG
    _assert_traces_equal(_trace(opt, factory(ours_sched, opt), steps), _trace(topt, factory(torch_sched, topt), steps))
    assert all("initial_lr" in g for g in opt.param_groups)


@pytest.mark.parametrize("T_mult", [1, 2])
def test_warm_restarts_fractional_epochs(T_mult):
    opt, topt, _, _ = _optimizers("sgd")
    schedulers = [ours_sched.CosineAnnealingWarmRestarts(opt, T_0=4, T_mult=T_mult, eta_min=0.01),
                  torch_sched.CosineAnnealingWarmRestarts(topt, T_0=4, T_mult=T_mult, eta_min=0.01)]
    iters = 7
    for epoch in range(8):
        for i in range(iters):
            opt.step()
            topt.step()
            for s in schedulers:
                s.step(epoch + i / iters)
            assert schedulers[0].last_epoch == schedulers[1].last_epoch
            np.testing.assert_allclose(schedulers[0].get_last_lr(), schedulers[1].get_last_lr(), rtol=1e-13)
    with pytest.raises(ValueError, match="non-negative"):
        schedulers[0].step(-1)


@pytest.mark.parametrize("factory", [
    lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), lambda m, o: m.MultiStepLR(o, [2, 5, 5], gamma=0.5),
    lambda m, o: m.ExponentialLR(o, gamma=0.9), lambda m, o: m.CosineAnnealingLR(o, T_max=8),
    lambda m, o: m.LinearLR(o, start_factor=0.5, total_iters=6), lambda m, o: m.ConstantLR(o, factor=0.5),
    lambda m, o: m.PolynomialLR(o, total_iters=8, power=1.5),
], ids=["step", "multistep", "exponential", "cosine", "linear", "constant", "polynomial"])
def test_step_with_epoch_uses_closed_form(factory):
    opt, topt, _, _ = _optimizers("sgd")
    ours, theirs = factory(ours_sched, opt), factory(torch_sched, topt)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in [3, 7, 2, 10, 5]:
            ours.step(epoch)
            theirs.step(epoch)
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-13)


@pytest.mark.parametrize("factory", [
    lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), lambda m, o: m.ExponentialLR(o, gamma=0.9, last_epoch=7),
    lambda m, o: m.CosineAnnealingLR(o, T_max=8, last_epoch=7), lambda m, o: m.LinearLR(o, total_iters=9, last_epoch=7),
    lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2, last_epoch=7),
], ids=["step-fresh", "exponential", "cosine", "linear", "warm-restarts"])
def test_resume_with_last_epoch_matches_torch(factory):
    opt, topt, _, _ = _optimizers("sgd")
    for optimizer in (opt, topt):
        for group in optimizer.param_groups:
            group["initial_lr"] = group["lr"] * 2
    _assert_traces_equal(_trace(opt, factory(ours_sched, opt), 12), _trace(topt, factory(torch_sched, topt), 12))


METRICS = [1.0, 0.9, 0.95, 0.95, 0.96, 0.97, 0.89, 0.8899, 0.8899, 0.89, 0.9, 0.7, 0.71, 0.72, 0.73, 0.74,
           0.75, 0.76, 0.77, 0.78, 0.6, 0.61, 0.62, 0.63, 0.64, 0.65, 0.66, 0.67, 0.68, 0.69]


@pytest.mark.parametrize("options", [
    dict(), dict(patience=2), dict(patience=1, factor=0.5, cooldown=2), dict(patience=0, threshold=0.05),
    dict(patience=1, threshold=0.01, threshold_mode="abs", min_lr=[0.01, 0.004]),
    dict(mode="max", patience=1, factor=0.3), dict(mode="max", patience=2, threshold_mode="abs", threshold=0.0),
    dict(patience=0, factor=0.5, min_lr=0.02, eps=1e-3),
], ids=str)
def test_reduce_on_plateau_matches_torch(options):
    opt, topt, _, _ = _optimizers("sgd")
    ours, theirs = ours_sched.ReduceLROnPlateau(opt, **options), torch_sched.ReduceLROnPlateau(topt, **options)
    for step, metric in enumerate(METRICS):
        opt.step()
        topt.step()
        # a 0-d Tensor works as well as a number
        ours.step(anynn.tensor(metric, dtype="float64") if step % 2 else metric)
        theirs.step(metric)
        assert ours.get_last_lr() == theirs.get_last_lr(), f"step {step}"
        assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in topt.param_groups]
        assert (ours.best, ours.num_bad_epochs, ours.cooldown_counter, ours.last_epoch) == (
            theirs.best, theirs.num_bad_epochs, theirs.cooldown_counter, theirs.last_epoch)


ROUND_TRIP = [c for c in CASES if c[0] in ("lambda-per-group", "multistep", "cosine", "warm-restarts-mult",
                                           "one-cycle", "one-cycle-three-phase", "sequential", "linear",
                                           "multiplicative-per-group", "constant", "polynomial", "cyclic",
                                           "cyclic-exp-range", "cyclic-scale-fn", "chained-3")]


@pytest.mark.parametrize("name, kind, factory", ROUND_TRIP, ids=[c[0] for c in ROUND_TRIP])
def test_state_dict_round_trip(name, kind, factory):
    opt, _, _, _ = _optimizers(kind)
    scheduler = factory(ours_sched, opt)
    _trace(opt, scheduler, steps=12)
    saved_opt, saved = opt.state_dict(), scheduler.state_dict()
    assert "optimizer" not in saved
    fresh, _, _, _ = _optimizers(kind)
    resumed = factory(ours_sched, fresh)
    fresh.load_state_dict(saved_opt)
    resumed.load_state_dict(saved)
    assert _epoch(resumed.state_dict()) == _epoch(saved) and resumed.get_last_lr() == scheduler.get_last_lr()
    _assert_traces_equal(_trace(fresh, resumed, steps=15)[1:], _trace(opt, scheduler, steps=15)[1:])
    # the saved dict is a snapshot: stepping on does not change it
    assert _epoch(resumed.state_dict()) == _epoch(saved) + 15


def _epoch(state):
    """``last_epoch`` of a saved scheduler (a ChainedScheduler has none: its first scheduler's)."""
    return state["last_epoch"] if "last_epoch" in state else state["_schedulers"][0]["last_epoch"]


def test_lambda_state_dict_keeps_callable_objects_only():
    opt, _, _, _ = _optimizers("sgd")
    scheduler = ours_sched.LambdaLR(opt, [lambda e: 1.0, Warmup(4)])
    saved = scheduler.state_dict()
    assert saved["lr_lambdas"] == [None, {"epochs": 4}]
    other = ours_sched.LambdaLR(opt, [lambda e: 1.0, Warmup(9)])
    other.load_state_dict(saved)
    assert other.lr_lambdas[1].epochs == 4


def test_reduce_on_plateau_state_dict_round_trip():
    opt, _, _, _ = _optimizers("adam")
    scheduler = ours_sched.ReduceLROnPlateau(opt, patience=1, cooldown=1)
    for metric in METRICS[:12]:
        scheduler.step(metric)
    fresh, _, _, _ = _optimizers("adam")
    resumed = ours_sched.ReduceLROnPlateau(fresh)
    fresh.load_state_dict(opt.state_dict())
    resumed.load_state_dict(scheduler.state_dict())
    for metric in METRICS[12:]:
        scheduler.step(metric)
        resumed.step(metric)
        assert resumed.get_last_lr() == scheduler.get_last_lr()


@pytest.mark.parametrize("kind, factory", [
    ("sgd", lambda m, o: m.OneCycleLR(o, max_lr=0.5, total_steps=10)),
    ("adam", lambda m, o: m.SequentialLR(o, [m.LinearLR(o, start_factor=0.2, total_iters=3),
                                             m.CosineAnnealingLR(o, T_max=7)], milestones=[3])),
    ("rmsprop", lambda m, o: m.StepLR(o, step_size=2, gamma=0.5)),
], ids=["sgd-onecycle", "adam-sequential", "rmsprop-step"])
def test_parameter_updates_with_scheduler_match_torch(backend, kind, factory):
    opt, topt, ours, theirs = _optimizers(kind, backend)
    scheduler, tscheduler = factory(ours_sched, opt), factory(torch_sched, topt)
    rng = np.random.default_rng(1)
    for step in range(10):
        for p, t in zip(ours, theirs):
            g = rng.standard_normal(p.shape)
            p.grad = anynn.tensor(g, backend=backend, dtype="float64")
            t.grad = torch.tensor(g)
        opt.step()
        topt.step()
        scheduler.step()
        tscheduler.step()
        for p, t in zip(ours, theirs):
            assert p.backend == backend
            np.testing.assert_allclose(p.numpy(), t.detach().numpy(), rtol=1e-6, atol=1e-12, err_msg=f"step {step}")


def test_errors():
    opt, _, _, _ = _optimizers("sgd")
    with pytest.raises(TypeError, match="Optimizer"):
        ours_sched.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1), step_size=1)
    with pytest.raises(ValueError, match="total_steps"):
        ours_sched.OneCycleLR(opt, max_lr=0.1)
    with pytest.raises(ValueError, match="max_lr must have one value per parameter group"):
        ours_sched.OneCycleLR(opt, max_lr=[0.1, 0.2, 0.3], total_steps=10)
    one_cycle = ours_sched.OneCycleLR(opt, max_lr=0.1, total_steps=2)
    one_cycle.step()
    one_cycle.step()
    with pytest.raises(ValueError, match="tried to step 3 times"):
        one_cycle.step()
    adagrad_like, _, _, _ = _optimizers("sgd")
    del adagrad_like.defaults["momentum"]
    with pytest.raises(ValueError, match="neither momentum nor betas"):
        ours_sched.OneCycleLR(adagrad_like, max_lr=0.1, total_steps=10)
    with pytest.raises(KeyError, match="initial_lr"):
        ours_sched.StepLR(_optimizers("sgd")[0], step_size=2, last_epoch=5)
    with pytest.raises(ValueError, match="factor must be < 1.0"):
        ours_sched.ReduceLROnPlateau(opt, factor=1.0)
    with pytest.raises(ValueError, match="mode"):
        ours_sched.ReduceLROnPlateau(opt, mode="up")
    with pytest.raises(ValueError, match="one milestone fewer"):
        ours_sched.SequentialLR(opt, [ours_sched.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        ours_sched.SequentialLR(opt, [ours_sched.ReduceLROnPlateau(opt), ours_sched.StepLR(opt, 2)], milestones=[3])
    with pytest.raises(ValueError, match="another optimizer"):
        ours_sched.SequentialLR(opt, [ours_sched.StepLR(_optimizers("sgd")[0], 2)], milestones=[])
    with pytest.raises(ValueError, match="T_0"):
        ours_sched.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="start_factor"):
        ours_sched.LinearLR(opt, start_factor=0.0)
    for lib, optimizer in ((torch, torch.optim.SGD([torch.zeros(1, requires_grad=True)], lr=0.1)), (None, opt)):
        with pytest.raises(TypeError, match="dictionary update sequence"):  # PyTorch's (an AttributeError here)
            (torch.optim.lr_scheduler if lib else ours_sched).StepLR(optimizer, 2).load_state_dict([3])
    assert math.isclose(ours_sched.StepLR(opt, 1).get_last_lr()[0], opt.param_groups[0]["lr"])


def test_new_scheduler_errors():
    opt, _, _, _ = _optimizers("sgd")
    with pytest.raises(ValueError, match="mode must be"):
        ours_sched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, mode="sawtooth")
    no_momentum, _, _, _ = _optimizers("sgd")
    del no_momentum.defaults["momentum"]
    with pytest.raises(ValueError, match="neither momentum nor betas"):
        ours_sched.CyclicLR(no_momentum, base_lr=0.01, max_lr=0.1)
    with pytest.raises(ValueError, match="factor"):
        ours_sched.ConstantLR(opt, factor=1.5)
    with pytest.raises(ValueError, match="at least one"):
        ours_sched.ChainedScheduler([])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        ours_sched.ChainedScheduler([ours_sched.ReduceLROnPlateau(opt)])
    with pytest.raises(ValueError, match="another optimizer"):
        ours_sched.ChainedScheduler([ours_sched.StepLR(opt, 2), ours_sched.StepLR(_optimizers("sgd")[0], 2)])
    with pytest.raises(TypeError, match="function"):
        ours_sched.MultiplicativeLR(opt, 0.9)


def test_cyclic_state_dict_keeps_scale_fn_object_state():
    opt, _, _, _ = _optimizers("sgd")
    halving = Halving()
    halving.base = 0.25
    scheduler = ours_sched.CyclicLR(opt, base_lr=0.01, max_lr=0.1, scale_fn=halving)
    saved = scheduler.state_dict()
    assert saved["_scale_fn_custom"] == {"base": 0.25} and "_scale_fn_ref" not in saved
    other = ours_sched.CyclicLR(_optimizers("sgd")[0], base_lr=0.01, max_lr=0.1, scale_fn=Halving())
    other.load_state_dict(saved)
    assert other._scale_fn_custom.base == 0.25 and other.scale_fn(10) == 0.25


# -- seeded random settings ---------------------------------------------------------------------------


def _sched_pairs(rng: np.random.Generator):
    step_size, gamma = int(rng.integers(1, 5)), float(rng.uniform(0.3, 0.95))
    milestones = sorted(int(m) for m in rng.choice(np.arange(1, 20), size=3, replace=False))
    T_max, eta = int(rng.integers(2, 12)), float(rng.uniform(0, 0.01))
    sf, ef, iters = float(rng.uniform(0.05, 1.0)), float(rng.uniform(0.3, 1.0)), int(rng.integers(1, 10))
    T0, Tm = int(rng.integers(1, 6)), int(rng.integers(1, 3))
    total, pct = 25, float(rng.uniform(0.1, 0.6))
    return [
        ("step", lambda o: ours_sched.StepLR(o, step_size, gamma), lambda o: torch_sched.StepLR(o, step_size, gamma)),
        ("multistep", lambda o: ours_sched.MultiStepLR(o, milestones + [milestones[0]], gamma),
         lambda o: torch_sched.MultiStepLR(o, milestones + [milestones[0]], gamma)),
        ("exp", lambda o: ours_sched.ExponentialLR(o, gamma), lambda o: torch_sched.ExponentialLR(o, gamma)),
        ("cos", lambda o: ours_sched.CosineAnnealingLR(o, T_max, eta),
         lambda o: torch_sched.CosineAnnealingLR(o, T_max, eta)),
        ("linear", lambda o: ours_sched.LinearLR(o, sf, ef, iters), lambda o: torch_sched.LinearLR(o, sf, ef, iters)),
        ("lambda", lambda o: ours_sched.LambdaLR(o, lambda e: 1.0 / (1 + e)),
         lambda o: torch_sched.LambdaLR(o, lambda e: 1.0 / (1 + e))),
        ("warm", lambda o: ours_sched.CosineAnnealingWarmRestarts(o, T0, Tm, eta),
         lambda o: torch_sched.CosineAnnealingWarmRestarts(o, T0, Tm, eta)),
        ("onecycle", lambda o: ours_sched.OneCycleLR(o, [0.5, 0.2], total_steps=total, pct_start=pct),
         lambda o: torch_sched.OneCycleLR(o, [0.5, 0.2], total_steps=total, pct_start=pct)),
        ("onecycle3", lambda o: ours_sched.OneCycleLR(o, 0.3, epochs=5, steps_per_epoch=5, pct_start=pct,
                                                      three_phase=True, anneal_strategy="linear", div_factor=10.0),
         lambda o: torch_sched.OneCycleLR(o, 0.3, epochs=5, steps_per_epoch=5, pct_start=pct,
                                                       three_phase=True, anneal_strategy="linear", div_factor=10.0)),
        ("sequential", lambda o: ours_sched.SequentialLR(o, [ours_sched.LinearLR(o, sf, 1.0, iters),
                                                             ours_sched.ExponentialLR(o, gamma)], [iters + 1]),
         lambda o: torch_sched.SequentialLR(o, [torch_sched.LinearLR(o, sf, 1.0, iters),
                                                torch_sched.ExponentialLR(o, gamma)], [iters + 1])),
    ]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("opt_kind", ["sgd", "adam"])
def test_schedulers_random_settings(seed, opt_kind):
    rng = np.random.default_rng(200 + seed)
    for name, ours_fn, theirs_fn in _sched_pairs(rng):
        p1, p2 = Parameter(anynn.ones(2)), Parameter(anynn.ones(3))
        t1, t2 = torch.ones(2, requires_grad=True), torch.ones(3, requires_grad=True)
        if opt_kind == "sgd":
            opt = SGD([{"params": [p1]}, {"params": [p2], "lr": 0.05}], lr=0.1, momentum=0.9)
            topt = torch.optim.SGD([{"params": [t1]}, {"params": [t2], "lr": 0.05}], lr=0.1, momentum=0.9)
        else:
            opt = Adam([{"params": [p1]}, {"params": [p2], "lr": 0.05}], lr=0.1)
            topt = torch.optim.Adam([{"params": [t1]}, {"params": [t2], "lr": 0.05}], lr=0.1)
        ours, theirs = ours_fn(opt), theirs_fn(topt)
        steps = 24 if name.startswith("onecycle") else 30
        for epoch in range(steps):
            for p, t in ((p1, t1), (p2, t2)):
                p.grad = anynn.tensor(np.full(p.shape, 0.5), dtype="float32")
                t.grad = torch.full(t.shape, 0.5)
            opt.step()
            topt.step()
            ours.step()
            theirs.step()
            mine = [g["lr"] for g in opt.param_groups]
            ref = [g["lr"] for g in topt.param_groups]
            np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-14, err_msg=f"{name} epoch {epoch}")
            np.testing.assert_allclose(ours.get_last_lr(), theirs.get_last_lr(), rtol=1e-10, atol=1e-14)
            for g, tg in zip(opt.param_groups, topt.param_groups):
                key = "momentum" if opt_kind == "sgd" else "betas"
                np.testing.assert_allclose(np.ravel(g[key]), np.ravel(tg[key]), rtol=1e-10, err_msg=f"{name} {key}")
            np.testing.assert_allclose(p1.numpy(), t1.detach().numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("seed", range(2))
def test_two_schedulers_on_one_optimizer_and_plateau(seed):
    rng = np.random.default_rng(300 + seed)
    p, t = Parameter(anynn.ones(2)), torch.ones(2, requires_grad=True)
    opt, topt = SGD([p], lr=0.2), torch.optim.SGD([t], lr=0.2)
    gamma, step_size = float(rng.uniform(0.5, 0.99)), int(rng.integers(2, 5))
    ours = [ours_sched.ExponentialLR(opt, gamma), ours_sched.StepLR(opt, step_size, 0.5)]
    theirs = [torch_sched.ExponentialLR(topt, gamma), torch_sched.StepLR(topt, step_size, 0.5)]
    for _ in range(15):
        opt.step()
        topt.step()
        for s in ours + theirs:
            s.step()
        np.testing.assert_allclose(opt.param_groups[0]["lr"], topt.param_groups[0]["lr"], rtol=1e-12)
    options = dict(mode=str(rng.choice(["min", "max"])), factor=float(rng.uniform(0.1, 0.9)),
                   patience=int(rng.integers(0, 3)), threshold=float(rng.choice([1e-4, 0.05])),
                   threshold_mode=str(rng.choice(["rel", "abs"])), cooldown=int(rng.integers(0, 3)), min_lr=0.01)
    p, t = Parameter(anynn.ones(2)), torch.ones(2, requires_grad=True)
    opt, topt = SGD([p], lr=0.2), torch.optim.SGD([t], lr=0.2)
    ours, theirs = ours_sched.ReduceLROnPlateau(opt, **options), torch_sched.ReduceLROnPlateau(topt, **options)
    for metric in rng.uniform(0, 1, 30):
        ours.step(float(metric))
        theirs.step(float(metric))
        np.testing.assert_allclose(opt.param_groups[0]["lr"], topt.param_groups[0]["lr"], rtol=1e-12,
                                   err_msg=str(options))


def _order_warnings(module, sched, opt, optimizer_first):
    """The "lr_scheduler.step() before optimizer.step()" warnings of two epochs, PyTorch's order or not."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(2):
            if optimizer_first:
                opt.step()
            sched.step(1.0) if isinstance(sched, module.ReduceLROnPlateau) else sched.step()
    return [str(w.message)[:48] for w in caught if "optimizer.step()" in str(w.message)]


@pytest.mark.parametrize("name, kind, factory", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("optimizer_first", [False, True], ids=["scheduler_first", "optimizer_first"])
def test_stepping_the_scheduler_before_the_optimizer_warns_as_torch(name, kind, factory, optimizer_first):
    opt, topt, _, _ = _optimizers(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs, ours = factory(torch_sched, topt), factory(ours_sched, opt)
    expected = _order_warnings(torch_sched, theirs, topt, optimizer_first)
    assert _order_warnings(ours_sched, ours, opt, optimizer_first) == expected
    assert not (optimizer_first and expected)


def _epoch_warnings(sched, opt, steps):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for epoch in steps:
            opt.step()
            sched.step(epoch) if epoch is not None else sched.step()
    return [str(w.message) for w in caught if "epoch parameter" in str(w.message)]


@pytest.mark.parametrize("factory", [
    lambda m, o: m.StepLR(o, step_size=2), lambda m, o: m.CosineAnnealingLR(o, T_max=4),
    lambda m, o: m.SequentialLR(o, [m.ConstantLR(o, factor=0.5, total_iters=1), m.ExponentialLR(o, gamma=0.9)],
                                milestones=[1]),
], ids=["step", "cosine", "sequential"])
def test_step_with_an_epoch_warns_its_deprecation_as_torch(factory):
    for steps in ([None, None, None], [1, 2, 3]):
        opt, topt, _, _ = _optimizers("sgd")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ours, theirs = factory(ours_sched, opt), factory(torch_sched, topt)
        if steps[0] is not None and isinstance(theirs, torch_sched.SequentialLR):
            continue  # SequentialLR.step takes no epoch
        assert _epoch_warnings(ours, opt, steps) == _epoch_warnings(theirs, topt, steps)


def test_plateau_step_with_an_epoch_warns_its_deprecation_as_torch():
    for lib, kind in ((ours_sched, 0), (torch_sched, 1)):
        optimizer = _optimizers("sgd")[kind]
        scheduler = lib.ReduceLROnPlateau(optimizer)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scheduler.step(1.0)
            scheduler.step(0.5, 2)
        assert [("epoch parameter" in str(w.message), w.category) for w in caught] == [(True, UserWarning)]


@pytest.mark.parametrize("factory", [
    lambda m, o: m.StepLR(o, step_size=2), lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3),
    lambda m, o: m.OneCycleLR(o, max_lr=1.0, total_steps=10),
], ids=["step", "warm-restarts", "one-cycle"])
def test_get_lr_outside_step_warns_as_torch(factory):
    """get_lr() from outside step warns (read get_last_lr()); the scheduler's own steps do not, nor a subclass's
    super().get_lr()."""
    found = []
    for lib, kind in ((ours_sched, 0), (torch_sched, 1)):
        optimizer = _optimizers("sgd")[kind]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            scheduler = factory(lib, optimizer)
            optimizer.step()
            scheduler.step()
            scheduler.get_lr()
            scheduler.step()
        found.append([str(w.message) for w in caught if "get_last_lr" in str(w.message)])
        assert "_get_lr_called_within_step" in scheduler.state_dict()
    assert found[0] == found[1] and len(found[0]) == 1


TENSOR_LR = [c for c in CASES if c[0] in ("linear", "one-cycle", "cyclic", "warm-restarts", "sequential",
                                          "exponential")]


@pytest.mark.parametrize("name, kind, factory", TENSOR_LR, ids=[c[0] for c in TENSOR_LR])
def test_a_tensor_lr_is_filled_in_place_as_torchs(name, kind, factory):
    """The compiled-optimizer recipe's ``lr=torch.tensor(0.01)``: PyTorch's schedulers fill that Tensor in place
    (a program holding it sees the new rate) and keep a copy as ``initial_lr``; anynn put a new Tensor (or, for
    OneCycleLR, a float) in the group and aliased ``initial_lr`` to the first one."""
    traces, kept = [], []
    for lib, sched in ((anynn, ours_sched), (torch, torch_sched)):
        opt, topt, _, _ = _optimizers(kind)
        opt = opt if lib is anynn else topt
        for group in opt.param_groups:
            group["lr"] = lib.tensor(group["lr"], dtype=lib.float64)
        held = [group["lr"] for group in opt.param_groups]
        scheduler, trace = factory(sched, opt), []
        for _ in range(8):  # the rates as numbers at each step (the Tensors change in place)
            trace.append(([float(v) for v in scheduler.get_last_lr()], [float(g["lr"]) for g in opt.param_groups]))
            opt.step()
            scheduler.step()
        traces.append(trace)
        kept.append([(g["lr"] is t, g.get("initial_lr") is t) for g, t in zip(opt.param_groups, held)])
    np.testing.assert_allclose(*traces, rtol=1e-13)
    assert kept[0] == kept[1]
