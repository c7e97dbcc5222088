"""Weights files: safetensors and .npz round trips on every backend, metadata, strict loading,
PyTorch state dicts saved with safetensors, and DLPack interop."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import anynn
from anynn import nn
from anynn.io import CorruptFileError, from_dlpack, load, load_arrays, load_metadata, save
from anynn.nn.module import StateDictError
from tests.helpers import make

FORMATS = ["weights.safetensors", "weights.npz"]


def small_model(backend="numpy", dtype="float32"):
    return nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2), backend=backend,
                         dtype=dtype, seed=0)


def run(model, backend):
    model.eval()
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    return model(make(backend, x)).numpy()


@pytest.mark.parametrize("filename", FORMATS)
def test_weights_saved_on_numpy_load_on_every_backend(backend, tmp_path, filename):
    source = small_model("numpy")
    source.eval()
    path = tmp_path / filename
    anynn.io.save(source, path)
    target = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.BatchNorm1d(4), nn.Linear(4, 2), backend=backend, seed=5)
    target.load_state_dict(load(path, backend=backend))
    state = load(path, backend=backend)
    assert all(t.backend == backend for t in state.values())
    for name, value in source.state_dict().items():  # bit-exact weights; outputs to float32 rounding
        np.testing.assert_array_equal(target.state_dict()[name].numpy(), value.numpy(), err_msg=name)
    np.testing.assert_allclose(run(target, backend), run(source, "numpy"), rtol=1e-6, atol=1e-7)


def test_weights_saved_on_every_backend_load_on_numpy(backend, tmp_path):
    source = small_model(backend)
    save(source, tmp_path / "w.safetensors")
    # the file names the library and device; the fast-path setting (the "-portable" variant) is not the file's business
    assert load_metadata(tmp_path / "w.safetensors")["backend"] == backend.key.replace("-portable", "")
    target = small_model("numpy")
    target.reset_parameters(9)
    target.load_state_dict(load(tmp_path / "w.safetensors"))
    for name, value in source.state_dict().items():
        np.testing.assert_array_equal(target.state_dict()[name].numpy(), value.numpy(), err_msg=name)


@pytest.mark.parametrize("filename", FORMATS)
def test_metadata_records_version_dtype_backend_and_user_entries(tmp_path, filename):
    path = tmp_path / filename
    save(small_model("torch", "float64"), path, metadata={"note": "best", "epoch": 3})
    meta = load_metadata(path)
    assert meta["anynn_version"] == anynn.version.release
    assert meta["backend"] == "torch" and meta["dtype"] == "float64" and meta["format"] == "anynn"
    assert meta["note"] == "best" and meta["epoch"] == "3"
    with pytest.raises(ValueError, match="reserved"):
        save(small_model(), path, metadata={"backend": "cupy"})


@pytest.mark.parametrize("filename", FORMATS)
def test_dtypes_shapes_and_scalars_survive(tmp_path, filename):
    arrays = {"f16": np.arange(6, dtype=np.float16).reshape(2, 3), "f64": np.linspace(0, 1, 4),
              "i64": np.array(7, dtype=np.int64), "u8": np.arange(3, dtype=np.uint8), "flag": np.array([True, False]),
              "empty": np.zeros((0, 5), np.float32), "strided": np.arange(12, dtype=np.float32).reshape(3, 4).T}
    save(arrays, tmp_path / filename)
    loaded = load_arrays(tmp_path / filename)
    assert set(loaded) == set(arrays)
    for name, value in arrays.items():
        assert loaded[name].dtype == value.dtype and loaded[name].shape == value.shape, name
        np.testing.assert_array_equal(loaded[name], value, err_msg=name)


def test_save_accepts_native_arrays_of_any_backend(tmp_path):
    save({"t": torch.arange(3.0), "n": np.ones(2), "x": anynn.tensor([1.0, 2.0], backend="array_api_strict")},
         tmp_path / "w.safetensors")
    loaded = load(tmp_path / "w.safetensors", backend="torch")
    assert loaded["t"].tolist() == [0.0, 1.0, 2.0] and loaded["n"].dtype == torch.float64
    with pytest.raises(TypeError, match="dict of tensors"):
        save([1, 2], tmp_path / "bad.safetensors")
    with pytest.raises(TypeError, match="cannot save"):
        save({"s": "text"}, tmp_path / "bad.safetensors")


def test_strict_loading_lists_every_problem_at_once(tmp_path):
    state = {k: v.numpy() for k, v in small_model().state_dict().items()}
    del state["0.bias"]
    state["3.weight"] = np.zeros((3, 3), np.float32)
    state["2.running_mean"] = np.zeros(4, np.int64)
    state["extra.weight"] = np.zeros(1, np.float32)
    save(state, tmp_path / "w.safetensors")
    model = small_model()
    with pytest.raises(StateDictError) as info:
        model.load_state_dict(load(tmp_path / "w.safetensors"))
    message = str(info.value)
    for part in ('Missing key(s) in state_dict: "0.bias"', 'Unexpected key(s) in state_dict: "extra.weight"',
                 "size mismatch for 3.weight: copying a param with shape (3, 3) from checkpoint, the shape in "
                 "current model is (2, 4)", "dtype mismatch for 2.running_mean: expected dtype float32"):
        assert part in message


# -- load_state_dict as PyTorch's: shape mismatches raise even with strict=False, all or nothing ------------
def torch_twin(model) -> torch.nn.Module:
    twin = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.BatchNorm1d(4), torch.nn.Linear(4, 2))
    twin.load_state_dict({k: torch.from_numpy(v.numpy().copy()) for k, v in model.state_dict().items()})
    return twin


def state_of(model) -> dict[str, np.ndarray]:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


@pytest.mark.parametrize("strict", [True, False])
def test_a_shape_mismatch_raises_even_with_strict_false_and_changes_nothing(backend, strict):
    model = small_model(backend)
    before = state_of(model)
    state = {k: v.numpy() for k, v in small_model("numpy").state_dict().items()}
    state = {k: v + 1 if v.dtype.kind == "f" else v for k, v in state.items()}  # would change every weight
    state["3.weight"] = np.zeros((3, 3), np.float32)
    twin = torch_twin(model)
    with pytest.raises(RuntimeError, match=r"size mismatch for 3.weight: copying a param with shape"):
        twin.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()}, strict=strict)  # the oracle
    with pytest.raises(RuntimeError, match=r"for Sequential:\n\tsize mismatch for 3.weight: copying a "
                                           r"param with shape \(3, 3\) from checkpoint, the shape in current model "
                                           r"is \(2, 4\)") as info:
        model.load_state_dict(state, strict=strict)
    assert isinstance(info.value, StateDictError)
    for name, value in state_of(model).items():  # nothing was written, the matching entries neither
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_strict_false_returns_missing_and_unexpected_keys_as_pytorch(backend, tmp_path):
    source = small_model("numpy")
    source.reset_parameters(3)
    state = {k: v.numpy() for k, v in source.state_dict().items()}
    del state["0.bias"]
    state["extra.weight"] = np.zeros(1, np.float32)
    save(state, tmp_path / "w.safetensors")
    model = small_model(backend)
    result = model.load_state_dict(load(tmp_path / "w.safetensors", backend=backend), strict=False)
    expected = torch_twin(small_model("numpy")).load_state_dict({k: torch.from_numpy(v) for k, v in state.items()},
                                                                strict=False)
    assert result.missing_keys == expected.missing_keys == ["0.bias"]
    assert result.unexpected_keys == expected.unexpected_keys == ["extra.weight"]
    assert tuple(result) == (["0.bias"], ["extra.weight"])
    np.testing.assert_array_equal(model[0].weight.numpy(), source[0].weight.numpy())  # the rest was loaded


def test_a_one_element_vector_loads_into_a_0d_entry_as_pytorch(backend):
    """PyTorch reads a (1,) value for a 0-d parameter or buffer as 0-d (older checkpoints stored BatchNorm's
    num_batches_tracked so); anynn refused it as a size mismatch. Other shapes are still refused."""
    model = small_model(backend)
    state = {k: v.numpy() for k, v in small_model("numpy").state_dict().items()}
    state["2.num_batches_tracked"] = np.array([7])
    torch_twin(model).load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})  # the oracle
    model.load_state_dict(state)
    assert model[2].num_batches_tracked.shape == () and int(model[2].num_batches_tracked.item()) == 7
    state["2.num_batches_tracked"] = np.array([7, 8])
    with pytest.raises(StateDictError, match=r"size mismatch for 2.num_batches_tracked"):
        model.load_state_dict(state)


class _Unconvertible:
    """Looks like an array (shape, dtype) but cannot become one: its conversion fails after every check passed."""

    def __init__(self, shape, dtype):
        self.shape, self.dtype = shape, dtype


def test_load_state_dict_is_all_or_nothing_when_a_late_conversion_fails(backend):
    model = small_model(backend)
    before = state_of(model)
    state = {k: v.numpy() + 1 if v.numpy().dtype.kind == "f" else v.numpy()
             for k, v in small_model("numpy").state_dict().items()}
    state["3.bias"] = _Unconvertible((2,), np.dtype("float32"))  # the last entry
    with pytest.raises((TypeError, ValueError)):  # whatever the conversion raises
        model.load_state_dict(state)
    for name, value in state_of(model).items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


@pytest.mark.parametrize("bad", [[1, 2, 3], "weights.safetensors", None])
def test_load_state_dict_of_something_else_than_a_dict_is_a_type_error(bad):
    with pytest.raises(TypeError, match="Sequential.load_state_dict: expected a dict"):
        small_model().load_state_dict(bad)


def test_non_array_values_are_converted_or_refused_naming_the_key():
    model = nn.Sequential(nn.Linear(2, 1, seed=0))
    model.load_state_dict({"0.weight": [[1.0, 2.0]], "0.bias": [0.5]})
    np.testing.assert_array_equal(model[0].weight.numpy(), [[1.0, 2.0]])
    with pytest.raises((TypeError, ValueError, RuntimeError), match="0.bias"):
        model.load_state_dict({"0.weight": [[1.0, 2.0]], "0.bias": object()})
    np.testing.assert_array_equal(model[0].bias.numpy(), [0.5])


def test_npz_with_python_objects_is_refused_without_unpickling(tmp_path):
    np.savez(tmp_path / "evil.npz", x=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CorruptFileError, match="evil.npz.*objects"):
        load(tmp_path / "evil.npz")


def test_missing_file_and_wrong_format(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nothing.safetensors")
    (tmp_path / "text.safetensors").write_text("hello, this is not a weights file at all")
    with pytest.raises(CorruptFileError, match="text.safetensors"):
        load(tmp_path / "text.safetensors")
    # save's order, the model first: it said "unknown backend '<the path>'" (load_checkpoint: os.fsdecode's words)
    for call in (lambda m: load(m, tmp_path / "w.safetensors"), lambda m: anynn.io.load_checkpoint(m)):
        with pytest.raises(TypeError, match=r"expected a file path.*got Linear \(to load into a model"):
            call(anynn.nn.Linear(2, 2))


def test_bfloat16_from_pytorch_widens_exactly_to_float32(tmp_path):
    from safetensors.torch import save_file

    values = torch.tensor([1.5, -2.25, 3e38, 1e-3]).to(torch.bfloat16)
    save_file({"w": values}, str(tmp_path / "bf16.safetensors"))
    loaded = load_arrays(tmp_path / "bf16.safetensors")["w"]
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, values.float().numpy())


# -- PyTorch state dicts saved with safetensors -----------------------------------------------------
TORCH_CASES = {
    "linear": lambda: (nn.Linear(4, 3), torch.nn.Linear(4, 3), (5, 4)),
    "conv2d": lambda: (nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 4, 3, padding=1), (2, 3, 5, 5)),
    "lstm": lambda: (nn.LSTM(4, 3, num_layers=2, batch_first=True), torch.nn.LSTM(4, 3, num_layers=2,
                                                                                  batch_first=True), (2, 5, 4)),
    "batchnorm2d": lambda: (nn.BatchNorm2d(3), torch.nn.BatchNorm2d(3), (2, 3, 4, 4)),
}


@pytest.mark.parametrize("case", list(TORCH_CASES))
@pytest.mark.parametrize("backend_name", ["numpy", "torch", "array_api_strict"])
def test_pytorch_state_dict_saved_with_safetensors_gives_the_same_outputs(tmp_path, case, backend_name):
    from safetensors.torch import save_file

    ours, theirs, shape = TORCH_CASES[case]()
    torch.manual_seed(0)
    x = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    if case == "batchnorm2d":  # non-trivial running statistics
        theirs(torch.tensor(x) * 3.0 + 1.0)
    theirs.eval()
    save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, str(tmp_path / "torch.safetensors"))
    ours.to(backend_name)
    ours.load_state_dict(load(tmp_path / "torch.safetensors", backend=backend_name))
    ours.eval()
    out = ours(make(backend_name, x))
    ref = theirs(torch.tensor(x))
    out, ref = (out[0], ref[0]) if isinstance(ref, tuple) else (out, ref)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)


# -- DLPack ---------------------------------------------------------------------------------------
def test_from_dlpack_numpy_and_torch_share_memory():
    host = np.arange(4, dtype=np.float32)
    t = from_dlpack(host, backend="torch")
    assert t.backend.key == "torch" and isinstance(t.array, torch.Tensor)
    host[0] = 42.0
    assert t.array[0].item() == 42.0
    native = torch.zeros(3)
    n = from_dlpack(native, backend="numpy")
    native[1] = 7.0
    assert n.array[1] == 7.0
    same = from_dlpack(ext_tensor=native)  # its own backend: the very same array (PyTorch's keyword: TypeError before)
    assert same.array is native and same.backend.key == "torch"


def test_dlpack_capsules_through_torch_utils_dlpack_path():
    """``torch.utils.dlpack`` (its path was missing: ModuleNotFoundError) and bare capsules (from_dlpack took only
    objects with ``__dlpack__``), both ways with torch, memory shared."""
    from anynn.utils.dlpack import from_dlpack as from_capsule, to_dlpack

    ours = anynn.arange(4.0)
    theirs = torch.utils.dlpack.from_dlpack(to_dlpack(ours))
    theirs[0] = 9.0
    assert ours[0].item() == 9.0
    native = torch.arange(3.0)
    wrapped = from_capsule(torch.utils.dlpack.to_dlpack(native))
    native[2] = 7.0
    assert wrapped.backend.key == "numpy" and wrapped[2].item() == 7.0


def test_tensor_to_shares_memory_between_numpy_and_torch():
    a = anynn.tensor(np.zeros(3, np.float32))
    b = a.to("torch")
    a.array[2] = 5.0
    assert b.array[2].item() == 5.0
    assert from_dlpack(a) is a and from_dlpack(a, "torch").backend.key == "torch"


def test_from_dlpack_copies_where_dlpack_cannot_be_used():
    host = np.ones(2, np.float32)
    t = from_dlpack(host, backend="array_api_strict:device1")
    assert t.backend.key == "array_api_strict:device1"
    np.testing.assert_array_equal(t.numpy(), host)
    back = from_dlpack(t.array, backend="numpy")
    np.testing.assert_array_equal(back.numpy(), host)
    with pytest.raises(TypeError, match="not an array"):
        from_dlpack([1, 2, 3])


def test_saved_files_are_readable_by_safetensors_itself(tmp_path):
    from safetensors.numpy import load_file

    save(small_model(), tmp_path / "w.safetensors")
    plain = load_file(str(tmp_path / "w.safetensors"))
    assert set(plain) == set(small_model().state_dict())
    assert os.listdir(tmp_path) == ["w.safetensors"]


# -- bfloat16 (NumPy has none): stored as BF16, loaded as bfloat16 where the backend has it ---------------
def bf16_model(seed: int) -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4, backend="torch", dtype="bfloat16", seed=seed), nn.Tanh(),
                         nn.Linear(4, 2, backend="torch", dtype="bfloat16", seed=seed))


def test_a_bfloat16_model_on_torch_saves_and_loads_bit_exactly(tmp_path):
    from safetensors.torch import load_file

    model = bf16_model(0)
    save(model, tmp_path / "w.safetensors")
    by_torch = load_file(str(tmp_path / "w.safetensors"))  # plain safetensors, BF16 as PyTorch writes it
    assert {v.dtype for v in by_torch.values()} == {torch.bfloat16}
    for name, value in model.state_dict().items():
        assert torch.equal(by_torch[name], value.array), name
    loaded = load(tmp_path / "w.safetensors", backend="torch")
    assert {str(t.dtype) for t in loaded.values()} == {"torch.bfloat16"}
    other = bf16_model(1)
    other.load_state_dict(loaded)
    for name, value in model.state_dict().items():
        assert other.state_dict()[name].array.dtype == torch.bfloat16
        assert torch.equal(other.state_dict()[name].array, value.array), name
    assert load_metadata(tmp_path / "w.safetensors")["dtype"] == "float32"  # the host form: exact widening


@pytest.mark.parametrize("backend_name", ["numpy", "array_api_strict"])
def test_bfloat16_files_widen_exactly_to_float32_where_the_backend_has_no_bfloat16(tmp_path, backend_name):
    model = bf16_model(0)
    save(model, tmp_path / "w.safetensors")
    loaded = load(tmp_path / "w.safetensors", backend=backend_name)
    for name, value in model.state_dict().items():
        assert str(loaded[name].dtype).endswith("float32")
        np.testing.assert_array_equal(loaded[name].numpy(), value.array.float().numpy(), err_msg=name)


def test_bfloat16_native_arrays_even_requiring_grad_and_in_npz(tmp_path):
    values = torch.tensor([1.5, -2.25, 3e38, 1e-3, float("inf")]).to(torch.bfloat16)
    save({"w": values, "requires_grad": values.clone().requires_grad_(True)}, tmp_path / "w.safetensors")
    back = load(tmp_path / "w.safetensors", backend="torch")
    assert torch.equal(back["w"].array, values) and torch.equal(back["requires_grad"].array, values)
    save({"w": values}, tmp_path / "w.npz")  # .npz has no bfloat16: float32, exactly the same values
    np.testing.assert_array_equal(load(tmp_path / "w.npz")["w"].numpy(), values.float().numpy())
