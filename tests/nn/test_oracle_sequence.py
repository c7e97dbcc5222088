"""Randomized PyTorch-oracle tests for recurrent layers, attention and transformers, and state-dict interop.

Every configuration is drawn from a seeded generator (the test id carries the seed), built in PyTorch,
copied into the anynn twin with ``load_state_dict`` and compared in eval mode: forward outputs, then the
gradients of the inputs, initial states and every parameter (float64 rtol 1e-6, float32 rtol 1e-4).
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pytest
import torch

import anynn
from anynn.nn.attention import MultiheadAttention
from anynn.nn.recurrent import GRU, LSTM
from anynn.nn.transformer import TransformerEncoder, TransformerEncoderLayer
from tests.helpers import make

TOL = {"float64": dict(rtol=1e-6, atol=1e-8), "float32": dict(rtol=1e-4, atol=1e-5)}
TORCH_DTYPE = {"float64": torch.float64, "float32": torch.float32}


# -- the comparison engine ------------------------------------------------------------------------

def _flat(out: Any) -> list[Any]:
    """Nested tuples of outputs as a flat list (None entries dropped)."""
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _check(a: Any, b: Any, dtype: str, what: str) -> None:
    np.testing.assert_allclose(a, b, err_msg=what, **TOL[dtype])


def compare(backend: Any, ours: Any, theirs: Any, run_ours: Callable[..., Any], run_theirs: Callable[..., Any],
            inputs: list[np.ndarray], dtype: str, extras: list[Any] = (), seed: int = 0) -> None:
    """Copy ``theirs``' state into ``ours``, run both on ``inputs`` (+ non-differentiable ``extras``), compare.

    ``ours`` / ``theirs`` may be a module or None (a plain function). Floating ``inputs`` (None
    allowed) require grad; the outputs are projected on fixed random weights so every element counts.
    """
    tdtype = TORCH_DTYPE[dtype]
    if theirs is not None:
        theirs.to(tdtype).eval()
        ours.to(backend, dtype=dtype).eval()  # first: loading float64 into float32 would round the weights
        ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    a_in = [None if x is None else make(backend, x.astype(dtype), requires_grad=True) for x in inputs]
    t_in = [None if x is None else torch.tensor(x.astype(dtype), requires_grad=True) for x in inputs]
    a_ex = [None if e is None else make(backend, e if e.dtype == bool else e.astype(dtype)) for e in extras]
    t_ex = [None if e is None else torch.tensor(e if e.dtype == bool else e.astype(dtype)) for e in extras]
    a_out, t_out = _flat(run_ours(*a_in, *a_ex)), _flat(run_theirs(*t_in, *t_ex))
    assert len(a_out) == len(t_out), f"{len(a_out)} outputs, PyTorch gives {len(t_out)}"
    rng = np.random.default_rng(seed)
    a_loss = t_loss = 0.0
    for i, (a, t) in enumerate(zip(a_out, t_out)):
        assert tuple(a.shape) == tuple(t.shape), f"output {i}: shape {tuple(a.shape)}, PyTorch {tuple(t.shape)}"
        _check(a.numpy(), t.detach().numpy(), dtype, f"output {i}")
        w = rng.standard_normal(tuple(t.shape)).astype(dtype)
        a_loss = (a * make(backend, w)).sum() + a_loss
        t_loss = (t * torch.tensor(w)).sum() + t_loss
    a_loss.backward()
    t_loss.backward()
    for i, (a, t) in enumerate(zip(a_in, t_in)):
        if t is not None:
            expected = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
            got = np.zeros(t.shape) if a.grad is None else a.grad.numpy()
            _check(got, expected, dtype, f"gradient of input {i}")
    if theirs is not None:
        mine = dict(ours.named_parameters())
        for name, p in theirs.named_parameters():
            assert name in mine, f"PyTorch parameter {name} has no anynn twin"
            expected = np.zeros(p.shape) if p.grad is None else p.grad.numpy()
            got = np.zeros(p.shape) if mine[name].grad is None else mine[name].grad.numpy()
            _check(got, expected, dtype, f"gradient of {name}")


def _dtypes(backend: Any, seed: int) -> str:
    return "float32" if seed % 3 == 2 else "float64"


# -- attention ------------------------------------------------------------------------------------

def _mask(rng: np.random.Generator, shape: tuple[int, ...], kind: str) -> np.ndarray:
    """A random mask that leaves every row at least one allowed key (PyTorch's MHA gives NaN otherwise)."""
    forbid = rng.random(shape) < 0.35
    forbid[..., 0] = False
    if kind == "bool":
        return forbid
    return np.where(forbid, -np.inf, rng.standard_normal(shape) * 0.5)


# -- state-dict interop: PyTorch → anynn (arrays, torch tensors, safetensors) and back ------------

class _TorchTagger(torch.nn.Module):
    """Embedding → LSTM → Linear over the last step (PyTorch side)."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(11, 4)
        self.lstm = torch.nn.LSTM(4, 5, num_layers=2, batch_first=True, bidirectional=True)
        self.head = torch.nn.Linear(10, 3)

    def forward(self, tokens: Any) -> Any:
        return self.head(self.lstm(self.embed(tokens))[0][:, -1])


class _Tagger(anynn.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = anynn.nn.Embedding(11, 4)
        self.lstm = LSTM(4, 5, num_layers=2, batch_first=True, bidirectional=True)
        self.head = anynn.nn.Linear(10, 3)

    def forward(self, tokens: Any) -> Any:
        return self.head(self.lstm(self.embed(tokens))[0][:, -1])


class _TorchEncoderClassifier(torch.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = torch.nn.Embedding(13, 8)
        layer = torch.nn.TransformerEncoderLayer(8, 2, dim_feedforward=12, batch_first=True, activation="gelu")
        self.encoder = torch.nn.TransformerEncoder(layer, 2, norm=torch.nn.LayerNorm(8), enable_nested_tensor=False)
        self.head = torch.nn.Linear(8, 3)

    def forward(self, tokens: Any) -> Any:
        return self.head(self.encoder(self.embed(tokens)).mean(dim=1))


class _EncoderClassifier(anynn.nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.embed = anynn.nn.Embedding(13, 8)
        layer = TransformerEncoderLayer(8, 2, dim_feedforward=12, batch_first=True, activation="gelu")
        self.encoder = TransformerEncoder(layer, 2, norm=anynn.nn.LayerNorm(8))
        self.head = anynn.nn.Linear(8, 3)

    def forward(self, tokens: Any) -> Any:
        return self.head(self.encoder(self.embed(tokens)).mean(axis=1))


def _cnn(lib: Any) -> Any:
    return lib.Sequential(lib.Conv2d(2, 3, 3, padding=1), lib.BatchNorm2d(3), lib.ReLU(), lib.MaxPool2d(2),
                          lib.Flatten(), lib.Linear(3 * 2 * 2, 4))


def _models() -> dict[str, Callable[[], tuple[Any, Any, np.ndarray]]]:
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, 11, size=(2, 5))
    return {
        "cnn": lambda: (_cnn(anynn.nn), _cnn(torch.nn), rng.standard_normal((2, 2, 4, 4))),
        "tagger": lambda: (_Tagger(), _TorchTagger(), tokens),
        "encoder": lambda: (_EncoderClassifier(), _TorchEncoderClassifier(), tokens),
        "lstm": lambda: (LSTM(3, 4, num_layers=2, bidirectional=True), torch.nn.LSTM(3, 4, num_layers=2,
                                                                                     bidirectional=True),
                         rng.standard_normal((4, 2, 3))),
        "gru": lambda: (GRU(3, 4, bias=False), torch.nn.GRU(3, 4, bias=False), rng.standard_normal((4, 2, 3))),
        "mha": lambda: (MultiheadAttention(6, 3, kdim=4, vdim=5), torch.nn.MultiheadAttention(6, 3, kdim=4, vdim=5),
                        None),
    }


def _run_twins(backend: Any, ours: Any, theirs: Any, x: np.ndarray | None, dtype: str) -> tuple[Any, Any]:
    """Eval-mode outputs of both models (MultiheadAttention: self-attention output)."""
    ours.eval()
    theirs.eval()
    if x is None:
        x = np.random.default_rng(1).standard_normal((3, 2, 6))
    if x.dtype.kind == "f":
        x = x.astype(dtype)
    with torch.no_grad():
        t = theirs(torch.tensor(x)) if not isinstance(theirs, torch.nn.MultiheadAttention) else theirs(
            *[torch.tensor(x)] * 1, torch.tensor(x[..., :4]), torch.tensor(x[..., :5]))
    xa = make(backend, x)
    a = ours(xa) if not isinstance(ours, MultiheadAttention) else ours(xa, make(backend, x[..., :4]),
                                                                      make(backend, x[..., :5]))
    a, t = (o[0] if isinstance(o, tuple) else o for o in (a, t))
    return a.numpy(), t.detach().numpy()


def _perturb_torch(theirs: Any) -> None:
    """Non-default values everywhere (biases, norms, running statistics), so every entry matters."""
    torch.manual_seed(3)
    with torch.no_grad():
        for p in theirs.parameters():
            p.add_(torch.randn(p.shape) * 0.2)
        for name, b in theirs.named_buffers():
            if "running_var" in name:
                b.uniform_(0.5, 2.0)
            elif "running_mean" in name:
                b.normal_()


@pytest.mark.parametrize("source", ["numpy", "torch", "safetensors"])
@pytest.mark.parametrize("model", ["cnn", "tagger", "encoder", "lstm", "gru", "mha"])
def test_torch_state_dict_loads_into_anynn(backend, tmp_path, model, source):
    if source != "numpy" and backend.name != "numpy" and model not in ("cnn", "encoder"):
        pytest.skip("the other sources are covered on numpy and with two models everywhere (time)")
    torch.manual_seed(0)
    ours, theirs, x = _models()[model]()
    theirs = theirs.double()
    _perturb_torch(theirs)
    state = theirs.state_dict()
    ours.to(dtype="float64")
    if source == "numpy":
        result = ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    elif source == "torch":
        result = ours.load_state_dict(state)
    else:
        from safetensors.torch import save_file

        save_file({k: v.contiguous() for k, v in state.items()}, str(tmp_path / "w.safetensors"))
        result = ours.load_state_dict(anynn.io.load(tmp_path / "w.safetensors", backend=backend))
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert list(ours.state_dict()) == list(state)
    ours.to(backend, dtype="float64")
    a, t = _run_twins(backend, ours, theirs, x, "float64")
    _check(a, t, "float64", f"{model} output")


@pytest.mark.parametrize("model", ["cnn", "tagger", "encoder", "lstm", "gru", "mha"])
def test_anynn_state_dict_loads_into_torch(backend, model):
    ours, theirs, x = _models()[model]()
    ours.reset_parameters(7)
    ours.to(backend, dtype="float32")
    if model == "cnn":  # running statistics away from their defaults
        ours.train()
        ours(make(backend, np.random.default_rng(2).standard_normal((4, 2, 4, 4)).astype(np.float32)))
    state = {k: torch.from_numpy(np.array(v.numpy())) for k, v in ours.state_dict().items()}
    result = theirs.load_state_dict(state, strict=True)
    assert not result.missing_keys and not result.unexpected_keys
    a, t = _run_twins(backend, ours, theirs, x, "float32")
    _check(a, t, "float32", f"{model} output")


def test_state_dict_round_trip_through_safetensors_both_ways(tmp_path):
    """anynn.io.save → safetensors.torch.load_file → torch, and PyTorch's keys and shapes exactly."""
    from safetensors.torch import load_file

    ours, theirs, x = _models()["encoder"]()
    ours.reset_parameters(1)
    anynn.io.save(ours, tmp_path / "w.safetensors")
    loaded = load_file(str(tmp_path / "w.safetensors"))
    assert {k: tuple(v.shape) for k, v in loaded.items()} == {k: tuple(v.shape)
                                                              for k, v in theirs.state_dict().items()}
    theirs.load_state_dict(loaded)
    a, t = _run_twins("numpy", ours, theirs, x, "float32")
    _check(a, t, "float32", "encoder output")


# -- Module API parity ----------------------------------------------------------------------------

def _api_twins() -> tuple[Any, Any]:
    def build(lib: Any, ModuleCls: Any) -> Any:
        class Net(ModuleCls):
            def __init__(self) -> None:
                super().__init__()
                self.features = lib.Sequential(lib.Linear(3, 4), lib.ReLU(), lib.Linear(4, 4))
                self.blocks = lib.ModuleList([lib.Linear(4, 4), lib.Tanh()])
                self.heads = lib.ModuleDict({"a": lib.Linear(4, 2), "b": lib.Linear(4, 1, bias=False)})
                self.shared = self.features[0]  # the same module under two names
        return Net()

    return build(anynn.nn, anynn.nn.Module), build(torch.nn, torch.nn.Module)


def test_module_traversal_matches_torch():
    ours, theirs = _api_twins()
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [n for n, _ in ours.named_modules(remove_duplicate=False)] == [
        n for n, _ in theirs.named_modules(remove_duplicate=False)]
    assert [n for n, _ in ours.named_modules(prefix="m")] == [n for n, _ in theirs.named_modules(prefix="m")]
    assert [n for n, _ in ours.named_children()] == [n for n, _ in theirs.named_children()]
    assert [type(m).__name__ for m in ours.children()] == [type(m).__name__ for m in theirs.children()]
    assert [type(m).__name__ for m in ours.modules()] == [type(m).__name__ for m in theirs.modules()]
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in ours.named_parameters(remove_duplicate=False)] == [
        n for n, _ in theirs.named_parameters(remove_duplicate=False)]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.state_dict(prefix="p.")) == list(theirs.state_dict(prefix="p."))
    lin = ours.features[0]
    assert [n for n, _ in lin.named_parameters(recurse=False)] == ["weight", "bias"]
    assert list(ours.parameters(recurse=False)) == [] and len(list(ours.parameters())) == 9
    assert ours.get_submodule("heads.a") is ours.heads["a"]
    assert ours.get_submodule("") is ours
    assert ours.get_parameter("blocks.0.bias") is ours.blocks[0].bias
    with pytest.raises(AttributeError, match="nope"):
        ours.get_submodule("features.nope")
    visited: list[str] = []
    assert ours.apply(lambda m: visited.append(type(m).__name__)) is ours
    expected: list[str] = []
    theirs.apply(lambda m: expected.append(type(m).__name__))
    assert visited == expected
    assert ours.state_dict(keep_vars=True)["features.0.weight"] is ours.features[0].weight


def test_module_registration_and_freezing():
    net = anynn.nn.Module()
    net.add_module("lin", anynn.nn.Linear(2, 3))
    net.register_parameter("scale", anynn.nn.Parameter(np.ones(3, dtype=np.float32)))
    net.register_parameter("unused", None)
    net.register_buffer("count", anynn.tensor(np.zeros(()), dtype="float32"))
    assert [n for n, _ in net.named_parameters()] == ["scale", "lin.weight", "lin.bias"]
    assert net.unused is None and "count" in net.state_dict()
    with pytest.raises(TypeError):
        net.register_parameter("bad", anynn.tensor(np.ones(2)))
    with pytest.raises(KeyError):
        net.add_module("a.b", anynn.nn.ReLU())
    with pytest.raises(KeyError):
        net.add_module("training", anynn.nn.ReLU())
    del net.lin
    assert [n for n, _ in net.named_parameters()] == ["scale"] and "lin" not in dict(net.named_children())
    net.add_module("lin", anynn.nn.Linear(2, 3))

    x = anynn.tensor(np.ones((4, 2), dtype=np.float32))
    net.lin.requires_grad_(False)
    assert not any(p.requires_grad for p in net.lin.parameters()) and net.scale.requires_grad
    (net.lin(x) * net.scale).sum().backward()
    assert net.lin.weight.grad is None and net.scale.grad is not None
    net.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(net.scale.grad.numpy(), np.zeros(3))
    net.zero_grad()
    assert net.scale.grad is None
    assert net.requires_grad_() is net and all(p.requires_grad for p in net.parameters())

    assert net.training and net.lin.training
    net.eval()
    assert not net.training and not net.lin.training
    net.lin.train()
    assert net.lin.training and not net.training
    with pytest.raises(ValueError):
        net.train("no")


def test_containers_index_slice_and_edit_like_torch():
    ours = anynn.nn.Sequential(anynn.nn.Linear(2, 3), anynn.nn.ReLU(), anynn.nn.Linear(3, 4), anynn.nn.Tanh())
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU(), torch.nn.Linear(3, 4), torch.nn.Tanh())
    assert len(ours) == 4 and isinstance(ours[-1], anynn.nn.Tanh) and [type(m).__name__ for m in ours] == [
        type(m).__name__ for m in theirs]
    tail = ours[2:]
    assert isinstance(tail, anynn.nn.Sequential) and list(tail.state_dict()) == list(theirs[2:].state_dict())
    assert tail[0] is ours[2]
    with pytest.raises(IndexError):
        ours[4]
    ours[1] = anynn.nn.Sigmoid()
    assert isinstance(ours[1], anynn.nn.Sigmoid)
    del ours[1]
    del theirs[1]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.insert(1, anynn.nn.ReLU())
    theirs.insert(1, torch.nn.ReLU())
    ours.extend([anynn.nn.Linear(4, 1)])
    theirs.extend([torch.nn.Linear(4, 1)])
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert isinstance(ours.pop(1), anynn.nn.ReLU) and len(ours) == 4
    named = anynn.nn.Sequential(OrderedDict([("inp", anynn.nn.Linear(2, 2)), ("act", anynn.nn.ReLU())]))
    assert list(named.state_dict()) == ["inp.weight", "inp.bias"] and named[0] is named.inp

    layers = anynn.nn.ModuleList([anynn.nn.Linear(1, 1)])
    layers.extend([anynn.nn.Linear(1, 2), anynn.nn.Linear(2, 2)])
    layers.insert(0, anynn.nn.ReLU())
    layers.append(anynn.nn.Tanh())
    assert [type(m).__name__ for m in layers] == ["ReLU", "Linear", "Linear", "Linear", "Tanh"]
    assert list(layers.state_dict()) == ["1.weight", "1.bias", "2.weight", "2.bias", "3.weight", "3.bias"]
    assert isinstance(layers[1:3], anynn.nn.ModuleList) and len(layers[1:3]) == 2 and layers[-1] is layers[4]
    del layers[0]
    assert list(layers.state_dict())[0] == "0.weight" and len(layers) == 4
    layers += [anynn.nn.ReLU()]
    assert len(layers) == 5 and len(list(layers.parameters())) == 6

    heads = anynn.nn.ModuleDict({"a": anynn.nn.Linear(1, 1)})
    heads["b"] = anynn.nn.Linear(1, 2)
    heads.update([("c", anynn.nn.ReLU())])
    assert "b" in heads and list(heads) == ["a", "b", "c"] and len(heads) == 3
    assert isinstance(heads.pop("a"), anynn.nn.Linear) and list(heads.keys()) == ["b", "c"]
    del heads["c"]
    assert list(heads.state_dict()) == ["b.weight", "b.bias"]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []


def test_loading_torch_parameters_does_not_keep_their_autograd(backend):
    """``dict(torch_model.named_parameters())`` (tensors that require grad) loads as plain values."""
    theirs = torch.nn.LSTM(3, 4)
    ours = LSTM(3, 4).to(backend)
    ours.load_state_dict(dict(theirs.named_parameters()))
    for name, p in ours.named_parameters():
        assert not getattr(p.array, "requires_grad", False), name
        np.testing.assert_array_equal(p.numpy(), theirs.get_parameter(name).detach().numpy())
    x = make(backend, np.ones((2, 1, 3), dtype=np.float32))
    assert ours(x)[0].numpy().shape == (2, 1, 4)


def test_deepcopy_gives_an_independent_twin(backend):
    import copy

    model = _Tagger().to(backend)
    twin = copy.deepcopy(model)
    assert list(twin.state_dict()) == list(model.state_dict())
    for (name, a), b in zip(model.named_parameters(), twin.parameters()):
        assert a is not b and a.backend == b.backend, name
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    tokens = make(backend, np.array([[1, 2, 3]]))
    twin.eval()
    out = twin(tokens)
    out.sum().backward()
    assert twin.head.weight.grad is not None and model.head.weight.grad is None
    twin.head.weight.data = twin.head.weight.data * 0.0
    assert np.any(model.head.weight.numpy() != 0.0)
