"""Checkpoints: resuming in a new process continues bit-identically; every state comes back."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

import anynn
import anynn.functional as F
from anynn import nn, optim
from anynn.backend import backend_of, get_backend
from anynn.io import CorruptFileError, load, load_checkpoint, save, save_checkpoint
from anynn.nn.module import StateDictError

pytestmark = pytest.mark.jax  # the whole module runs on the jax backend too

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA_X = np.random.default_rng(0).standard_normal((32, 4)).astype(np.float32)
DATA_Y = np.random.default_rng(1).integers(0, 3, 32).astype(np.int64)


def build(backend: str, seed: int):
    """An MLP with Dropout, Adam, and a seeded shuffling generator on ``backend``."""
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.3, seed=seed + 1), nn.Linear(8, 3),
                          backend=backend, seed=seed)
    return model, optim.Adam(model.parameters(), lr=0.01), get_backend(backend).rng(seed + 2)


def train_epoch(model, optimizer, shuffle, backend: str) -> None:
    """One epoch over a seeded shuffle, with input noise from NumPy's global generator."""
    be = get_backend(backend)
    order = np.asarray(be.to_host(shuffle.permutation(len(DATA_X))))
    for start in range(0, len(order), 8):
        rows = order[start:start + 8]
        noise = 0.01 * np.random.standard_normal((len(rows), 4)).astype(np.float32)
        x = anynn.tensor(DATA_X[rows] + noise, backend=be)
        y = anynn.tensor(DATA_Y[rows], backend=be)
        optimizer.zero_grad()
        F.cross_entropy(model(x), y).backward()
        optimizer.step()


def resume_main(backends: str, folder: str) -> None:
    """The second process, for each of the comma-separated ``backends`` in turn: a differently seeded model and
    generators, then ``folder/<backend>.ckpt``, then 1 epoch, saved as ``folder/<backend>.resumed``."""
    for backend in backends.split(","):
        model, optimizer, shuffle = build(backend, seed=123)
        np.random.seed(999)
        state = load_checkpoint(os.path.join(folder, f"{backend}.ckpt"), model=model, optimizer=optimizer,
                                rngs={"shuffle": shuffle})
        assert (state["epoch"], state["step"]) == (1, 4), state
        train_epoch(model, optimizer, shuffle, backend)
        save(model, os.path.join(folder, f"{backend}.resumed"))


def _cupy_usable() -> bool:
    from anynn.backend.cupy_backend import probe_cupy

    return probe_cupy()[0]


def test_resume_in_a_new_process_is_bit_identical(tmp_path):
    # one new process resumes every backend's checkpoint in turn (a process each cost a second of imports apiece);
    # the first resumes in a fresh process, the later ones after it, each from its own differently seeded start
    backends = ["numpy", "torch", "array_api_strict"] + (["cupy"] if _cupy_usable() else [])
    straight = {}
    for backend_name in backends:
        model, optimizer, shuffle = build(backend_name, seed=0)
        np.random.seed(7)
        for _ in range(2):
            train_epoch(model, optimizer, shuffle, backend_name)
        straight[backend_name] = {k: v.numpy() for k, v in model.state_dict().items()}

        model, optimizer, shuffle = build(backend_name, seed=0)
        np.random.seed(7)
        train_epoch(model, optimizer, shuffle, backend_name)
        save_checkpoint(tmp_path / f"{backend_name}.ckpt", model=model, optimizer=optimizer, epoch=1, step=4,
                        rngs={"shuffle": shuffle})
    code = "import sys; from tests.io.test_checkpoint import resume_main; resume_main(sys.argv[1], sys.argv[2])"
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    done = subprocess.run([sys.executable, "-c", code, ",".join(backends), str(tmp_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-3000:]
    for backend_name in backends:
        resumed = {k: v.numpy() for k, v in load(tmp_path / f"{backend_name}.resumed").items()}
        assert set(resumed) == set(straight[backend_name])
        for name, value in straight[backend_name].items():
            np.testing.assert_array_equal(resumed[name], value, err_msg=f"{backend_name}: {name}")


def test_without_the_checkpointed_generators_the_run_differs(tmp_path):
    """The control for the test above: restoring only the weights is not enough."""
    model, optimizer, shuffle = build("numpy", seed=0)
    np.random.seed(7)
    for _ in range(2):
        train_epoch(model, optimizer, shuffle, "numpy")
    straight = model.state_dict()["0.weight"].numpy()
    model, optimizer, shuffle = build("numpy", seed=0)
    np.random.seed(7)
    train_epoch(model, optimizer, shuffle, "numpy")
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optimizer, rngs={"shuffle": shuffle})
    model, optimizer, shuffle = build("numpy", seed=0)
    load_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optimizer, restore_rng=False)
    train_epoch(model, optimizer, shuffle, "numpy")
    assert not np.array_equal(model.state_dict()["0.weight"].numpy(), straight)


class StepScheduler:
    """A stand-in learning-rate scheduler: anything with state_dict()/load_state_dict() works."""

    def __init__(self) -> None:
        self.last_epoch, self.milestones, self.history = 0, (3, 6), [0.1, 0.05]

    def state_dict(self):
        return {"last_epoch": self.last_epoch, "milestones": self.milestones, "history": self.history,
                "table": np.arange(3.0)}

    def load_state_dict(self, state):
        self.last_epoch, self.milestones, self.history = state["last_epoch"], state["milestones"], state["history"]
        self.table = state["table"]


@pytest.mark.parametrize("make_optimizer", [
    lambda p: optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),
    lambda p: optim.AdamW(p, lr=1e-3, betas=(0.8, 0.95), amsgrad=True),
])
def test_optimizer_scheduler_and_extra_state_round_trip(backend, tmp_path, make_optimizer):
    model = nn.Sequential(nn.Linear(3, 2), backend=backend, seed=0)
    opt = make_optimizer(model.parameters())
    x = anynn.tensor(np.ones((2, 3), np.float32), backend=backend)
    for _ in range(2):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    scheduler = StepScheduler()
    scheduler.last_epoch = 4
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=opt, scheduler=scheduler, epoch=4, step=9,
                    extra={"best_loss": 0.25, "history": [1.0, 0.5], "nan": float("nan"), "confusion": np.eye(2)})
    fresh_model = nn.Sequential(nn.Linear(3, 2), backend=backend, seed=1)
    fresh_opt = make_optimizer(fresh_model.parameters())
    fresh_scheduler = StepScheduler()
    out = load_checkpoint(tmp_path / "c.safetensors", model=fresh_model, optimizer=fresh_opt,
                          scheduler=fresh_scheduler)
    assert (out["epoch"], out["step"]) == (4, 9)
    assert out["extra"]["best_loss"] == 0.25 and out["extra"]["history"] == [1.0, 0.5]
    assert np.isnan(out["extra"]["nan"]) and np.array_equal(out["extra"]["confusion"], np.eye(2))
    assert fresh_scheduler.last_epoch == 4 and fresh_scheduler.milestones == (3, 6)
    assert fresh_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    assert fresh_opt.param_groups[0].get("betas") == opt.param_groups[0].get("betas")
    saved, restored = opt.state_dict()["state"], fresh_opt.state_dict()["state"]
    assert set(saved) == set(restored)
    for index, entries in saved.items():
        for name, value in entries.items():
            got = restored[index][name]
            if isinstance(value, (int, float)):
                assert got == value and type(got) is type(value)
            else:
                assert get_backend(backend).is_native(got), name
                np.testing.assert_array_equal(get_backend(backend).to_host(got), get_backend(backend).to_host(value))
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(fresh_model.state_dict()[name].numpy(), value.numpy())


def test_every_kind_of_generator_comes_back(tmp_path):
    anynn.manual_seed(3)
    generators = {"numpy": np.random.default_rng(1), "legacy": np.random.RandomState(2), "python": random.Random(3),
                  "torch": torch.Generator().manual_seed(4), "anynn_torch": get_backend("torch").rng(5),
                  "anynn_numpy": get_backend("numpy").rng(6)}
    random.seed(8)
    np.random.seed(9)

    def draw():
        return [generators["numpy"].random(), generators["legacy"].rand(), generators["python"].random(),
                torch.rand(1, generator=generators["torch"]).item(),
                generators["anynn_torch"].uniform((2,), torch.float32).tolist(),
                generators["anynn_numpy"].uniform((2,), np.float32).tolist(),
                anynn.init.default_generator().random(), random.random(), np.random.rand()]

    save_checkpoint(tmp_path / "c.safetensors", rngs=generators)
    expected = draw()
    assert draw() != expected
    load_checkpoint(tmp_path / "c.safetensors", rngs=generators)
    assert draw() == expected


def test_clear_errors_on_mismatch(tmp_path):
    model = nn.Sequential(nn.Linear(3, 2), seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=opt, rngs={"g": np.random.default_rng(0)})
    with pytest.raises(StateDictError, match='Missing key.s. in state_dict: "1.weight"'):
        load_checkpoint(tmp_path / "c.safetensors", model=nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 2)))
    with pytest.raises(ValueError, match="holds SGD state, not Adam"):
        load_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optim.Adam(model.parameters()))
    with pytest.raises(KeyError, match="no generator named 'other'"):
        load_checkpoint(tmp_path / "c.safetensors", rngs={"other": np.random.default_rng(0)})
    with pytest.raises(TypeError, match="saved from a numpy.Generator"):
        load_checkpoint(tmp_path / "c.safetensors", rngs={"g": random.Random(0)})
    save(model, tmp_path / "weights.safetensors")
    with pytest.raises(CorruptFileError, match="not an anynn checkpoint"):
        load_checkpoint(tmp_path / "weights.safetensors", model=model)
    with pytest.raises(TypeError, match="cannot store a object"):
        save_checkpoint(tmp_path / "c2.safetensors", extra={"thing": object()})
    assert not (tmp_path / "c2.safetensors").exists()


def test_checkpoint_moves_to_another_backend(tmp_path):
    model, optimizer, _ = build("numpy", seed=0)
    train_epoch(model, optimizer, get_backend("numpy").rng(0), "numpy")
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optimizer)
    other, other_opt, shuffle = build("numpy", seed=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        load_checkpoint(tmp_path / "c.safetensors", model=other, optimizer=other_opt, backend="torch")
    assert any("cannot be restored on 'torch'" in str(w.message) for w in caught)
    assert other.backend.key == "torch"
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(other.state_dict()[name].numpy(), value.numpy())
    train_epoch(other, other_opt, get_backend("torch").rng(0), "torch")  # the optimizer state followed
    without_model = load_checkpoint(tmp_path / "c.safetensors", backend="array_api_strict")
    assert all(t.backend.key == "array_api_strict" for t in without_model["model"].values())


@pytest.mark.parametrize("make_scheduler", [
    lambda o: optim.lr_scheduler.MultiStepLR(o, [1, 3], gamma=0.5),
    lambda o: optim.lr_scheduler.ReduceLROnPlateau(o, patience=0),
    lambda o: optim.lr_scheduler.OneCycleLR(o, max_lr=0.1, total_steps=10),
], ids=["multistep", "plateau", "onecycle"])
def test_real_lr_schedulers_round_trip(tmp_path, make_scheduler):
    lr_scheduler = pytest.importorskip("anynn.optim.lr_scheduler")
    model = nn.Linear(2, 2, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    scheduler = make_scheduler(opt)
    for loss in (1.0, 2.0, 3.0):
        scheduler.step(loss) if isinstance(scheduler, lr_scheduler.ReduceLROnPlateau) else scheduler.step()
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=opt, scheduler=scheduler, epoch=3)
    fresh_opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    fresh = make_scheduler(fresh_opt)
    load_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=fresh_opt, scheduler=fresh)
    assert fresh.state_dict() == scheduler.state_dict()
    assert fresh_opt.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


# -- all or nothing: a checkpoint that does not fit changes nothing ----------------------------------------
def snapshot(model, optimizer):
    weights = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    opt_state = optimizer.state_dict()
    mt = np.random.get_state(legacy=False)["state"]
    host = (mt["key"].tolist(), mt["pos"], random.getstate(), anynn.init.default_generator().bit_generator.state)
    return weights, {k: {n: np.asarray(backend_of(v).to_host(v) if not isinstance(v, (int, float)) else v).copy()
                         for n, v in s.items()} for k, s in opt_state["state"].items()}, opt_state["param_groups"], host


def assert_unchanged(before, model, optimizer):
    weights, state, groups, host = before
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value.numpy(), weights[name], err_msg=name)
    now = snapshot(model, optimizer)
    assert now[2] == groups and now[3] == host
    assert state.keys() == now[1].keys()
    for k in state:
        for n in state[k]:
            np.testing.assert_array_equal(now[1][k][n], state[k][n])


MISFITS = {
    "another optimizer class": (dict(optimizer="adam"), ValueError, "holds SGD state, not Adam"),
    "no scheduler saved": (dict(scheduler=True), ValueError, "holds no scheduler state"),
    "a generator not saved": (dict(rngs={"other": np.random.default_rng(0)}), KeyError, "no generator named"),
    "a generator of another kind": (dict(rngs={"g": random.Random(0)}), TypeError, "saved from a numpy.Generator"),
    "a model of another shape": (dict(model="wide"), StateDictError, "size mismatch for 0.weight"),
}


@pytest.mark.parametrize("case", list(MISFITS))
@pytest.mark.parametrize("backend_name", ["numpy", "torch", "array_api_strict"])
def test_a_checkpoint_that_does_not_fit_changes_nothing(tmp_path, backend_name, case):
    kwargs, error, message = MISFITS[case]
    source, source_opt, shuffle = build(backend_name, seed=0)
    train_epoch(source, source_opt, shuffle, backend_name)
    save_checkpoint(tmp_path / "c.safetensors", model=source, optimizer=optim.SGD(source.parameters(), lr=0.5),
                    rngs={"g": np.random.default_rng(0)})
    model, _, shuffle = build(backend_name, seed=7)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    train_epoch(model, optimizer, shuffle, backend_name)  # momentum buffers exist
    kwargs = dict(kwargs)
    if kwargs.get("optimizer") == "adam":
        optimizer = optim.Adam(model.parameters())
        train_epoch(model, optimizer, shuffle, backend_name)
        del kwargs["optimizer"]
    if kwargs.get("scheduler"):
        kwargs["scheduler"] = optim.lr_scheduler.StepLR(optimizer, step_size=2)
    if kwargs.get("model") == "wide":
        model = nn.Sequential(nn.Linear(5, 8), nn.ReLU(), nn.Linear(8, 3), backend=backend_name, seed=3)
        optimizer = optim.SGD(model.parameters(), lr=0.1)
        del kwargs["model"]
    before = snapshot(model, optimizer)
    with pytest.raises(error, match=message):
        load_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optimizer, **kwargs)
    assert_unchanged(before, model, optimizer)


def test_a_failure_while_restoring_undoes_what_was_restored(tmp_path, monkeypatch):
    source, source_opt, shuffle = build("numpy", seed=0)
    train_epoch(source, source_opt, shuffle, "numpy")
    save_checkpoint(tmp_path / "c.safetensors", model=source, optimizer=source_opt)
    model, optimizer, shuffle = build("numpy", seed=7)
    train_epoch(model, optimizer, shuffle, "numpy")
    before = snapshot(model, optimizer)

    def broken(*args, **kwargs):
        raise OSError("the generator could not be restored")

    monkeypatch.setattr("anynn.io.checkpoint._restore_module_rngs", broken)  # the very last step fails
    with pytest.raises(OSError, match="could not be restored"):
        load_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optimizer, backend="torch")
    assert model.backend.key == "numpy"
    assert_unchanged(before, model, optimizer)


def test_a_bfloat16_model_and_its_adam_state_round_trip(tmp_path):
    def bf16(seed):
        model = nn.Sequential(nn.Linear(4, 8, backend="torch", dtype="bfloat16", seed=seed), nn.ReLU(),
                              nn.Linear(8, 3, backend="torch", dtype="bfloat16", seed=seed))
        return model, optim.Adam(model.parameters(), lr=0.01)

    model, optimizer = bf16(0)
    x = anynn.tensor(DATA_X[:8], backend="torch", dtype="bfloat16")
    model(x).sum().backward()
    optimizer.step()
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optimizer, epoch=1)
    other, other_opt = bf16(1)
    load_checkpoint(tmp_path / "c.safetensors", model=other, optimizer=other_opt)
    for name, value in model.state_dict().items():
        assert other.state_dict()[name].array.dtype == torch.bfloat16
        assert torch.equal(other.state_dict()[name].array, value.array), name
    saved, restored = optimizer.state_dict()["state"], other_opt.state_dict()["state"]
    for k in saved:
        for n, v in saved[k].items():
            if isinstance(v, torch.Tensor):
                assert restored[k][n].dtype == v.dtype and torch.equal(restored[k][n], v), (k, n)
