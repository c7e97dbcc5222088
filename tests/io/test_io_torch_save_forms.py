"""torch.save/torch.load's common forms after ``import anynn as torch``: one array or tensor saved alone comes
back alone, open binary files, map_location= and weights_only= (anynn never unpickles: every load is weights only).
PyTorch is the oracle for what comes back."""

from __future__ import annotations

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


def test_a_dict_holding_one_tensor_stays_a_dict(tmp_path):
    anynn.save({"tensor": anynn.ones(2)}, tmp_path / "d.safetensors")
    assert isinstance(anynn.load(tmp_path / "d.safetensors"), dict)


def test_single_kind_key_is_reserved(tmp_path):
    with pytest.raises(ValueError, match="reserved"):
        anynn.save({"w": anynn.ones(2)}, tmp_path / "r.safetensors", metadata={"anynn_single": "ndarray"})


def test_in_memory_file_is_refused_clearly():
    import io

    with pytest.raises(TypeError, match="by its name"):
        anynn.load(io.BytesIO(b"x"))
