"""torch.save/torch.load's common forms after ``import anynn as torch``: one array or tensor saved alone comes
back alone, open binary files, map_location= and weights_only= (anynn never unpickles: every load is weights only).
PyTorch is the oracle for what comes back."""

from __future__ import annotations

import argparse
import dataclasses
import pathlib

import numpy as np
import pytest

import anynn

torch = pytest.importorskip("torch")


def test_ndarray_alone_round_trips_as_torch_does(tmp_path):
    data = np.sin(np.arange(12.0).reshape(3, 4))
    with open(tmp_path / "t.pt", "wb") as f:  # time_sequence_prediction's generate_sine_wave.py writes so
        torch.save(data, f)
    with open(tmp_path / "a.pt", "wb") as f:
        anynn.save(data, f)
    expected, got = torch.load(tmp_path / "t.pt", weights_only=False), anynn.load(tmp_path / "a.pt")
    assert type(got) is type(expected) is np.ndarray
    assert got.dtype == expected.dtype == np.float64
    np.testing.assert_array_equal(got, expected)


def test_tensor_alone_round_trips_on_every_backend(backend, tmp_path):
    x = anynn.tensor(np.arange(6.0).reshape(2, 3), backend=backend, dtype="float64")
    anynn.save(x, tmp_path / "x.safetensors")
    y = anynn.load(tmp_path / "x.safetensors", backend=backend)
    assert isinstance(y, anynn.Tensor) and y.backend.key == backend.key
    assert y.dtype == anynn.float64
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    with open(tmp_path / "x.safetensors", "rb") as f:  # an open file is read by its name
        np.testing.assert_array_equal(anynn.load(f, backend=backend).numpy(), x.numpy())


def test_state_dict_into_an_open_file_and_map_location(tmp_path):
    model = anynn.nn.Linear(3, 2)
    with open(tmp_path / "m.pt", "wb") as f:
        anynn.save(model.state_dict(), f)
    state = anynn.load(tmp_path / "m.pt", map_location="cpu", weights_only=True)
    assert sorted(state) == ["bias", "weight"]
    assert state["weight"].backend.key == model.weight.backend.key
    on_torch = anynn.load(tmp_path / "m.pt", map_location="torch")
    assert on_torch["weight"].backend.name == "torch"
    np.testing.assert_array_equal(on_torch["weight"].numpy(), model.weight.numpy())
    # a GPU checkpoint loaded on the host, PyTorch's forms (ValueError 'not an array namespace' before): a dict from
    # saved location to target and a function (storage, location) -> storage; a whole module too
    anynn.save(model, tmp_path / "whole.pt")
    for where in ({"cuda:0": "cpu"}, {"cpu": "cpu"}, lambda storage, location: storage):
        state = anynn.load(tmp_path / "m.pt", map_location=where)
        np.testing.assert_array_equal(state["weight"].numpy(), model.weight.numpy())
        assert isinstance(anynn.load(tmp_path / "whole.pt", map_location=where), anynn.nn.Linear)
    if not anynn.cuda.is_available():  # mapped to a GPU that is not there: refused as PyTorch's CPU build refuses
        with pytest.raises(RuntimeError):
            anynn.load(tmp_path / "m.pt", map_location={"cpu": "cuda:0"})


@pytest.mark.parametrize("suffix", ["pt", "npz"])
def test_a_state_dict_loads_in_the_order_it_was_saved(tmp_path, suffix):
    """torch.load gives a state dict's keys in the order torch.save got them (safetensors stores them sorted):
    loops over the loaded dict and load_state_dict(strict=False)'s unexpected_keys read as in PyTorch."""
    build = {lib: lib.nn.Sequential(lib.nn.Conv2d(1, 2, 3), lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3))
             for lib in (anynn, torch)}
    for lib, model in build.items():
        lib.save(model.state_dict(), tmp_path / f"{lib.__name__}.{suffix}")
    loaded = {lib: lib.load(tmp_path / f"{lib.__name__}.{suffix}", weights_only=True) for lib in build}
    assert list(loaded[anynn]) == list(loaded[torch]) == list(build[torch].state_dict())
    assert list(loaded[anynn])[:2] == ["0.weight", "0.bias"]  # not sorted
    results = [lib.nn.Sequential(lib.nn.Identity(), lib.nn.Linear(2, 3)).load_state_dict(loaded[lib], strict=False)
               for lib in build]
    assert results[0].unexpected_keys == results[1].unexpected_keys
    assert anynn.load(tmp_path / f"anynn.{suffix}", map_location="torch").keys() == loaded[torch].keys()


def test_key_order_key_is_reserved(tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        anynn.save({"w": anynn.ones(2)}, tmp_path / "r.safetensors", metadata={"anynn_key_order": "[]"})


def test_a_dict_holding_one_tensor_stays_a_dict(tmp_path):
    anynn.save({"tensor": anynn.ones(2)}, tmp_path / "d.safetensors")
    assert isinstance(anynn.load(tmp_path / "d.safetensors"), dict)


def test_single_kind_key_is_reserved(tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        anynn.save({"w": anynn.ones(2)}, tmp_path / "r.safetensors", metadata={"anynn_single": "ndarray"})


@pytest.mark.parametrize("what", ["state_dict", "tensor", "module", "checkpoint"])
def test_in_memory_files_round_trip_as_torch_does(what):
    """torch.save(obj, buffer) / torch.load(buffer) with an io.BytesIO (buffers sent over a network, kept in a
    database); the load reads from the buffer's position, as PyTorch's."""
    import io

    def make(lib):
        lib.manual_seed(0)
        model = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.ReLU())
        return {"state_dict": model.state_dict(), "tensor": lib.arange(6.0).reshape(2, 3), "module": model,
                "checkpoint": {"epoch": 2, "weights": model.state_dict(), "loss": 0.5}}[what]

    results = []
    for lib in (torch, anynn):
        buffer = io.BytesIO(b"junk before")
        buffer.seek(len(b"junk before"))
        lib.save(make(lib), buffer)
        buffer.seek(len(b"junk before"))
        results.append(lib.load(buffer, weights_only=False))
    expected, got = results
    if what == "module":
        expected, got = expected.state_dict(), got.state_dict()
        assert list(got) == list(expected)
    if what == "checkpoint":
        assert (got["epoch"], got["loss"]) == (expected["epoch"], expected["loss"])
        expected, got = expected["weights"], got["weights"]
    if what == "tensor":
        expected, got = {"t": expected}, {"t": got}
    for key in expected:
        assert str(got[key].dtype).split(".")[-1] == str(expected[key].dtype).split(".")[-1]
        assert tuple(got[key].shape) == tuple(expected[key].shape)
    if what == "tensor":
        np.testing.assert_array_equal(got["t"].numpy(), expected["t"].numpy())


def test_in_memory_files_are_validated_and_text_streams_refused():
    import io

    with pytest.raises(anynn.io.CorruptFileError):
        anynn.load(io.BytesIO(b"not a weights file at all"))
    buffer = io.BytesIO()
    anynn.save({"w": anynn.ones(3)}, buffer)
    damaged = bytearray(buffer.getvalue())
    damaged[-1] ^= 0xFF
    with pytest.raises(anynn.io.CorruptFileError, match="checksum"):
        anynn.load(io.BytesIO(bytes(damaged)))
    with pytest.raises(TypeError, match="binary mode"):
        anynn.load(io.StringIO("text"))


def _plain(obj):
    """Nested data with tensors and arrays as (values, dtype name) so anynn's and torch's results compare
    (anynn's optimizer state holds the backend's native arrays where PyTorch's holds tensors)."""
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_plain(v) for v in obj)
    if isinstance(obj, (anynn.Tensor, torch.Tensor)):
        return (obj.detach().numpy().tolist(), str(obj.dtype).split(".")[-1])
    if hasattr(obj, "__dlpack__"):
        return _plain(anynn.tensor(obj) if not isinstance(obj, np.ndarray) else torch.from_numpy(obj))
    return obj


def _checkpoint(lib):
    """The usual checkpoint: a state_dict, an optimizer's state_dict after one step, numbers, strings."""
    model = lib.nn.Linear(3, 2)
    with lib.no_grad():
        model.weight.copy_(lib.tensor(np.arange(6.0).reshape(2, 3), dtype=lib.float32))
        model.bias.fill_(0.5)
    optimizer = lib.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(lib.ones(4, 3)).sum().backward()
    optimizer.step()
    return {"epoch": 3, "model_state_dict": dict(model.state_dict()), "optimizer_state_dict": optimizer.state_dict(),
            "loss": 0.25, "best": float("inf"), "name": "run", "none": None, "pair": (1, 2), "counts": {7: "seven"},
            "history": [anynn.tensor([1.0]) if lib is anynn else torch.tensor([1.0])], "host": np.arange(3),
            "huge": 2 ** 70}


def test_nested_checkpoint_round_trips_as_torch_save(backend, tmp_path):
    torch.save(_checkpoint(torch), tmp_path / "t.pt")
    expected = torch.load(tmp_path / "t.pt", weights_only=False)
    anynn.save(_checkpoint(anynn), tmp_path / "a.pt")
    got = anynn.load(tmp_path / "a.pt", backend=backend)
    assert _plain(got) == _plain(expected)
    assert type(got["host"]) is np.ndarray and isinstance(got["history"][0], anynn.Tensor)
    assert got["model_state_dict"]["weight"].backend.key == backend.key
    model = anynn.nn.Linear(3, 2).to(backend)
    model.load_state_dict(got["model_state_dict"])
    optimizer = anynn.optim.SGD(model.parameters(), lr=0.5)
    optimizer.load_state_dict(got["optimizer_state_dict"])
    assert optimizer.param_groups[0]["momentum"] == 0.9


def test_nested_data_that_cannot_be_saved_leaves_the_previous_file(tmp_path):
    path = tmp_path / "c.pt"
    anynn.save({"epoch": 1, "w": [anynn.ones(2)]}, path)
    with pytest.raises(TypeError, match=r"save: cannot store a function at '/bad/1'"):
        anynn.save({"epoch": 2, "bad": [anynn.zeros(2), lambda: 0]}, path)
    loaded = anynn.load(path)
    assert loaded["epoch"] == 1 and loaded["w"][0].numpy().tolist() == [1.0, 1.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


@dataclasses.dataclass
class GPTConfig:  # build-nanogpt's checkpoint: {'model': ..., 'config': raw_model.config, 'step': ...}
    block_size: int = 8
    n_embd: int = 4
    bias: bool = True


def test_a_dataclass_config_in_a_checkpoint_loads_where_its_class_is_allowed_as_torch(tmp_path):
    """torch.save pickles a dataclass (GPTConfig) in a checkpoint dict, or held by a module as self.config, and
    torch.load's default weights_only load refuses its class unless allowed (safe_globals); anynn.save raised
    'cannot store a GPTConfig'. Rebuilt as pickle does: the class plus its __dict__, no __init__ run."""
    for lib, name in ((torch, "t.pt"), (anynn, "a.pt")):
        lib.save({"config": GPTConfig(n_embd=6), "step": 3, "w": lib.ones(2)}, tmp_path / name)
        with pytest.raises(Exception, match="GPTConfig"):
            lib.load(tmp_path / name)
        with lib.serialization.safe_globals([GPTConfig]):
            got = lib.load(tmp_path / name)
        assert got["config"] == GPTConfig(n_embd=6) and got["step"] == 3
        assert lib.load(tmp_path / name, weights_only=False)["config"] == GPTConfig(n_embd=6)
    model = anynn.nn.Linear(2, 2)
    model.config = GPTConfig(bias=False)
    anynn.save(model, tmp_path / "m.pt")
    with anynn.serialization.safe_globals([GPTConfig]):
        assert anynn.load(tmp_path / "m.pt", weights_only=False).config == GPTConfig(bias=False)


def test_run_arguments_paths_dtypes_devices_and_sets_round_trip_as_torch(tmp_path):
    """A checkpoint holding the run's argparse.Namespace (an option of type=Path), a dtype, a device, and sets:
    anynn.save said 'cannot store a PosixPath' / 'a dtype' / 'a device' / 'a set'."""
    for lib, name in ((torch, "t.pt"), (anynn, "a.pt")):
        args = argparse.Namespace(lr=0.1, data=pathlib.Path("/data/run"), layers=[1, 2])
        lib.save({"args": args, "dtype": lib.float16, "device": lib.device("cpu")}, tmp_path / name)
        got = lib.load(tmp_path / name, weights_only=False)
        assert vars(got["args"]) == {"lr": 0.1, "data": pathlib.Path("/data/run"), "layers": [1, 2]}
        assert got["dtype"] == lib.float16 and got["device"] == lib.device("cpu")
        lib.save({"vocab": {"a", (1, 2)}, "frozen": frozenset([3])}, tmp_path / name)
        sets = lib.load(tmp_path / name, weights_only=False)
        assert sets == {"vocab": {"a", (1, 2)}, "frozen": {3}} and type(sets["frozen"]) is frozenset


def test_nested_data_into_an_open_file_and_map_location(tmp_path):
    with open(tmp_path / "c.pt", "wb") as f:
        anynn.save({"step": 5, "state": {"w": anynn.ones(2)}}, f)
    got = anynn.load(tmp_path / "c.pt", map_location="torch")
    assert got["step"] == 5 and got["state"]["w"].backend.name == "torch"
