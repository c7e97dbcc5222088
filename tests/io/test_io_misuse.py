"""Files used wrongly: folders, missing folders, empty or bytes paths, names and dtypes safetensors cannot hold,
tensors that require grad, files of another dtype or backend. Each gives a clear error or the right result, and
no earlier file is ever lost."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import anynn
from anynn import nn, optim
from anynn.io import AtomicWriteError, load, load_checkpoint, save, save_checkpoint
from anynn.nn.module import StateDictError
from tests.helpers import make


def model_on(backend, seed=0) -> nn.Module:
    return nn.Sequential(nn.Linear(3, 2), backend=backend, seed=seed)


def weights(model) -> dict[str, np.ndarray]:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("saver", ["save", "save_checkpoint"])
def test_a_folder_as_path(tmp_path, saver):
    (tmp_path / "runs").mkdir()
    with pytest.raises(AtomicWriteError, match="runs.*is a folder"):
        save(model_on("numpy"), tmp_path / "runs") if saver == "save" else \
            save_checkpoint(tmp_path / "runs", model=model_on("numpy"))
    assert os.listdir(tmp_path / "runs") == [] and os.listdir(tmp_path) == ["runs"]
    with pytest.raises(IsADirectoryError):  # as open() and torch.load
        load(tmp_path / "runs") if saver == "save" else load_checkpoint(tmp_path / "runs")


def test_a_path_in_a_missing_folder(tmp_path):
    with pytest.raises(AtomicWriteError, match="does not exist"):
        save(model_on("numpy"), tmp_path / "no" / "w.safetensors")
    with pytest.raises(AtomicWriteError, match="does not exist"):
        save_checkpoint(tmp_path / "no" / "c.safetensors", model=model_on("numpy"))
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "no" / "w.safetensors")
    assert os.listdir(tmp_path) == []


def test_empty_and_bytes_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(AtomicWriteError, match="empty path"):
        save(model_on("numpy"), "")
    save(model_on("numpy"), os.fsencode(tmp_path / "w.npz"))
    assert set(load(os.fsencode(tmp_path / "w.npz"))) == {"0.weight", "0.bias"}
    assert os.listdir(tmp_path) == ["w.npz"]


@pytest.mark.parametrize("bad, error, message", [
    ({1: np.ones(2)}, TypeError, "names must be strings"),
    ({("a",): np.ones(2)}, TypeError, "names must be strings"),
    ({"__metadata__": np.ones(2, np.float32)}, ValueError, "reserved"),
    ({"a": np.array([None])}, TypeError, "object"),
    ({"a": np.array(["text"])}, TypeError, "<U4"),
    ([np.ones(2)], TypeError, "expected a Module or a dict"),
])
def test_what_safetensors_cannot_hold_is_refused_and_the_old_file_kept(tmp_path, bad, error, message):
    path = tmp_path / "w.safetensors"
    save(model_on("numpy"), path)
    before = path.read_bytes()
    with pytest.raises(error, match=message):
        save(bad, path)
    assert path.read_bytes() == before and os.listdir(tmp_path) == ["w.safetensors"]


@pytest.mark.parametrize("suffix", ["safetensors", "npz"])
def test_complex_tensors_save_and_load_as_torch(backend, tmp_path, suffix):
    """A model with complex parameters (an FNO's spectral weights) and its optimizer's complex state save and load,
    as torch.save's do (they were refused: 'only bool, integer and float arrays'). complex64 is safetensors' C64,
    which the safetensors library reads; complex128, which it lacks, is stored as its (..., 2) real view."""
    values = {"c64": np.array([1 + 2j, -3j], np.complex64), "c128": np.array([[0.5 - 1j]], np.complex128)}
    save({k: make(backend, v) for k, v in values.items()}, tmp_path / f"c.{suffix}")
    back = load(tmp_path / f"c.{suffix}", backend=backend)
    for name, value in values.items():
        assert str(back[name].dtype).endswith(value.dtype.name)
        np.testing.assert_array_equal(back[name].numpy(), value)
    if suffix == "safetensors":
        import safetensors.numpy

        assert safetensors.numpy.load_file(tmp_path / "c.safetensors")["c64"].dtype == np.complex64
    model = nn.Linear(2, 2, dtype=anynn.complex64, backend=backend)
    optimizer = optim.Adam(model.parameters(), lr=0.1)
    model(make(backend, np.ones((1, 2), np.complex64))).abs().sum().backward()
    optimizer.step()
    save_checkpoint(tmp_path / f"k.{suffix}", model=model, optimizer=optimizer)
    twin = nn.Linear(2, 2, dtype=anynn.complex64, backend=backend)
    twin_optimizer = optim.Adam(twin.parameters(), lr=0.1)
    load_checkpoint(tmp_path / f"k.{suffix}", model=twin, optimizer=twin_optimizer, restore_rng=False)
    np.testing.assert_array_equal(twin.weight.numpy(), model.weight.numpy())
    moments = [anynn.tensor(o.state_dict()["state"][0]["exp_avg"]).numpy() for o in (optimizer, twin_optimizer)]
    assert moments[0].dtype == np.complex64 and moments[0].any()
    np.testing.assert_array_equal(moments[1], moments[0])


def test_tensors_that_require_grad_save_their_values(backend, tmp_path):
    leaf = anynn.tensor(np.array([1.0, -2.0], np.float32), backend=backend, requires_grad=True)
    state = {"leaf": leaf, "computed": leaf * 3, "torch": torch.tensor([0.5, 4.0], requires_grad=True),
             "parameter": torch.nn.Parameter(torch.ones(2))}
    save(state, tmp_path / "w.safetensors")
    back = load(tmp_path / "w.safetensors", backend=backend)
    np.testing.assert_array_equal(back["leaf"].numpy(), [1.0, -2.0])
    np.testing.assert_array_equal(back["computed"].numpy(), [3.0, -6.0])
    np.testing.assert_array_equal(back["torch"].numpy(), [0.5, 4.0])
    assert not any(t.requires_grad for t in back.values())
    model = model_on(backend)
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    save_checkpoint(tmp_path / "c.safetensors", model=model, optimizer=optimizer, extra={"t": leaf})
    np.testing.assert_array_equal(load_checkpoint(tmp_path / "c.safetensors", restore_rng=False)["extra"]["t"].numpy(),
                                  [1.0, -2.0])


def test_a_file_of_another_kind_of_dtype_is_refused_and_changes_nothing(backend, tmp_path):
    save({"0.weight": np.ones((2, 3), np.int64), "0.bias": np.ones(2, np.float32)}, tmp_path / "i.safetensors")
    model = model_on(backend)
    before = weights(model)
    with pytest.raises(StateDictError, match="dtype mismatch for 0.weight: expected dtype float32, got int64"):
        model.load_state_dict(load(tmp_path / "i.safetensors", backend=backend), strict=False)
    for name, value in weights(model).items():
        np.testing.assert_array_equal(value, before[name])


def test_a_float64_file_loads_into_a_float32_model_as_pytorch_casts(backend, tmp_path):
    source = {"0.weight": np.full((2, 3), 0.1), "0.bias": np.array([1 / 3, 2 / 3])}
    save(source, tmp_path / "f.safetensors")
    model = model_on(backend)
    model.load_state_dict(load(tmp_path / "f.safetensors"))
    assert all(str(p.dtype).endswith("float32") for p in model.parameters())
    np.testing.assert_array_equal(model[0].bias.numpy(), source["0.bias"].astype(np.float32))


@pytest.mark.parametrize("saved_on", ["numpy", "torch", "array_api_strict"])
def test_a_file_or_state_of_another_backend_loads_into_the_model(backend, tmp_path, saved_on):
    source = model_on(saved_on, seed=3)
    save(source, tmp_path / "w.safetensors")
    for state in (load(tmp_path / "w.safetensors", backend=saved_on), source.state_dict()):
        model = model_on(backend)
        model.load_state_dict(state)
        assert all(p.backend == backend for p in model.parameters())  # the model stays where it is
        x = make(backend, np.ones((1, 3), np.float32))
        np.testing.assert_allclose(model(x).numpy(), source(make(saved_on, np.ones((1, 3), np.float32))).numpy(),
                                   rtol=1e-6)


def test_failed_saves_and_damaged_files_raise_pytorchs_classes(tmp_path):
    """torch.save to a missing folder raises RuntimeError, torch.load of a truncated file RuntimeError and of an
    empty one EOFError; anynn's AtomicWriteError (an OSError) and CorruptFileError (a ValueError) were neither."""
    for lib in (torch, anynn):
        with pytest.raises(RuntimeError):
            lib.save({"w": lib.ones(3)}, tmp_path / "no" / "w.pt")
        whole = tmp_path / f"whole_{lib.__name__}.pt"
        lib.save({"w": lib.ones(100)}, whole)
        (tmp_path / "half.pt").write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
        with pytest.raises(RuntimeError):
            lib.load(tmp_path / "half.pt")
        (tmp_path / "empty.pt").write_bytes(b"")
        with pytest.raises(EOFError):
            lib.load(tmp_path / "empty.pt")
