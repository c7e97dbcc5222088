"""Module, containers and Linear: registration, traversal and containers like PyTorch's, state dicts (and their
interop with PyTorch both ways, safetensors too), modes, backends, seeding, deepcopy, init and errors."""

from __future__ import annotations

import copy
import importlib.util
import math
from collections import OrderedDict
from typing import Any, Callable

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import BackendMismatch
from anynn.nn.activation import ReLU
from anynn.nn.attention import MultiheadAttention
from anynn.nn.container import ModuleDict, ModuleList, Sequential
from anynn.nn.linear import Identity, Linear, new_parameter
from anynn.nn.module import Module, Parameter, StateDictError
from anynn.nn.recurrent import GRU, LSTM
from anynn.nn.transformer import TransformerEncoder, TransformerEncoderLayer
from anynn.optim.sgd import SGD

from tests.helpers import make
from tests.nn.oracle import check_close, perturb_torch

BACKEND_NAMES = ["numpy", "torch", "array_api_strict", "array_api_strict:device1"]


def _mlp(**kwargs) -> Sequential:
    return Sequential(Linear(4, 3), ReLU(), Linear(3, 2), **kwargs)


class _Block(Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = Parameter(anynn.ones(3))
        self.register_buffer("running_mean", anynn.zeros((3,)))
        self.register_buffer("cache", anynn.zeros((2,)), persistent=False)
        self.inner = Linear(3, 3)
        self.layers = ModuleList([Linear(3, 2), Identity()])
        self.heads = ModuleDict({"a": Linear(2, 1)})
        self.shared = self.scale  # the same Parameter twice is listed once
        self.not_state = anynn.zeros((2,))  # a plain Tensor attribute is not state

    def forward(self, x):
        return self.heads["a"](self.layers[0](self.inner(x * self.scale)))


class _TorchBlock(torch.nn.Module):
    """`_Block` in PyTorch, to compare names and order."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(3))
        self.register_buffer("running_mean", torch.zeros(3))
        self.register_buffer("cache", torch.zeros(2), persistent=False)
        self.inner = torch.nn.Linear(3, 3)
        self.layers = torch.nn.ModuleList([torch.nn.Linear(3, 2), torch.nn.Identity()])
        self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 1)})
        self.shared = self.scale


# -- registration -------------------------------------------------------------------------------
def test_registration_and_traversal():
    block = _Block()
    names = [name for name, _ in block.named_parameters()]
    assert names == ["scale", "inner.weight", "inner.bias", "layers.0.weight", "layers.0.bias",
                     "heads.a.weight", "heads.a.bias"]
    assert [n for n, _ in block.named_buffers()] == ["running_mean", "cache"]
    theirs = _TorchBlock()
    assert names == [n for n, _ in theirs.named_parameters()]
    assert [n for n, _ in block.named_parameters(remove_duplicate=False)] == [
        n for n, _ in theirs.named_parameters(remove_duplicate=False)]
    assert list(block.state_dict()) == list(theirs.state_dict())  # tied "shared" included, "cache" not
    assert block.state_dict()["shared"].array is block.scale.array
    block.load_state_dict(theirs.state_dict())
    with pytest.raises(TypeError, match="_Block.scale is a Parameter"):
        block.scale = anynn.ones((3,))
    assert [n for n, _ in block.named_modules()] == ["", "inner", "layers", "layers.0", "layers.1", "heads",
                                                     "heads.a"]
    assert len(list(block.children())) == 3
    assert all(p.requires_grad and isinstance(p, Parameter) for p in block.parameters())
    assert block.backend.name == "numpy"
    # reassigning replaces, None unregisters
    block.inner = Identity()
    assert "inner.weight" not in dict(block.named_parameters())
    block.running_mean = anynn.ones((3,))
    np.testing.assert_array_equal(block.state_dict()["running_mean"].numpy(), np.ones(3))
    out = block(anynn.tensor(np.ones((5, 3), dtype=np.float32)))
    assert out.shape == (5, 1)


def test_buffer_assignment_registers_as_torch():
    """``self.x = nn.Buffer(t, persistent=...)`` registers a buffer (PyTorch >= 2.5); ``isinstance(t, nn.Buffer)``
    holds for what Buffer made; re-assigning a Buffer to a registered name takes its ``persistent``."""
    def build(lib):
        m = lib.nn.Module()
        m.mask = lib.nn.Buffer(lib.ones(2), persistent=False)
        m.table = lib.nn.Buffer(lib.arange(3.0))
        m.plain = lib.zeros(1)
        return m

    ours, theirs = build(anynn), build(torch)
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()] == ["mask", "table"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["table"]
    for lib, m in ((anynn, ours), (torch, theirs)):
        assert isinstance(m.table, lib.nn.Buffer) and not isinstance(m.plain, lib.nn.Buffer)
        assert type(m.table) is lib.Tensor and m.table.persistent and not m.mask.persistent
        m.table = lib.nn.Buffer(lib.ones(3), persistent=False)
        assert list(m.state_dict()) == []
        leaf = lib.ones(2, requires_grad=True)
        made = lib.nn.Buffer(leaf)
        assert made.requires_grad and made is not leaf and made.grad_fn is None
        assert tuple(lib.nn.Buffer().shape) == (0,)
    np.testing.assert_array_equal(ours.table.numpy(), np.ones(3))
    with pytest.raises(TypeError, match="cannot be assigned|is a Parameter"):
        p = Module()
        p.w = Parameter(anynn.ones(2))
        p.w = anynn.nn.Buffer(anynn.ones(2))


def test_setattr_before_super_init_is_explained():
    class Broken(Module):
        def __init__(self) -> None:
            self.weight = Parameter(np.ones(2))

    with pytest.raises(AttributeError, match=r"cannot assign parameters before Module.__init__\(\) call \(Broken"
                                             r".__init__ must call super\(\).__init__\(\)"):
        Broken()
    for lib in (anynn, torch):  # a plain value or Tensor may come first, as PyTorch's (entmax's SparsemaxLoss: self.k)

        class Early(lib.nn.Module):
            def __init__(self, t) -> None:
                self.k, self.t = 3, t
                super().__init__()

        early = Early(lib.ones(2))
        assert early.k == 3 and tuple(early.t.shape) == (2,) and list(early.state_dict()) == []


@pytest.mark.parametrize("register", ["register_buffer", "register_parameter", "add_module"])
def test_register_before_super_init_is_explained(register: str) -> None:
    values = {"register_buffer": anynn.ones(2), "register_parameter": Parameter(np.ones(2)),
              "add_module": Linear(2, 2)}

    class Broken(Module):
        def __init__(self) -> None:
            getattr(self, register)("state", values[register])

    with pytest.raises(AttributeError, match=r"Broken.__init__ must call super\(\).__init__\(\) first"):
        Broken()


def test_linear_without_bias_has_no_bias_key():
    layer = Linear(3, 2, bias=False)
    assert layer.bias is None
    assert list(layer.state_dict()) == ["weight"]
    assert layer(anynn.tensor(np.ones((1, 3), dtype=np.float32))).shape == (1, 2)


# -- state dicts --------------------------------------------------------------------------------
def test_names_and_shapes_match_pytorch():
    ours = _mlp()
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    assert [(n, p.shape) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    assert [(n, v.shape) for n, v in ours.state_dict().items()] == [
        (n, tuple(v.shape)) for n, v in theirs.state_dict().items()]
    assert ours[0].weight.shape == (3, 4), "Linear.weight is (out_features, in_features)"


@pytest.mark.parametrize("name", BACKEND_NAMES)
def test_load_state_dict_from_pytorch_gives_the_same_output(name):
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    ours = _mlp(backend=name)
    assert ours.load_state_dict(theirs.state_dict()) == ([], [])
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(ours(anynn.tensor(x, backend=name)).numpy(),
                               theirs(torch.from_numpy(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_is_detached_and_round_trips():
    a, b = _mlp(seed=1), _mlp(seed=2)
    state = a.state_dict()
    assert all(not v.requires_grad for v in state.values())
    b.load_state_dict(state)
    for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
        np.testing.assert_array_equal(pa.numpy(), pb.numpy(), err_msg=name)
    b[0].weight.data = b[0].weight.data * 2.0  # loading copied: a is untouched
    assert not np.array_equal(a[0].weight.numpy(), b[0].weight.numpy())


def test_load_state_dict_strict_lists_every_problem_at_once():
    model = _mlp()
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = {k: v.numpy() for k, v in _mlp(seed=3).state_dict().items()}
    del state["2.bias"]
    state["3.weight"] = np.zeros((1, 1), np.float32)
    state["0.weight"] = np.zeros((3, 5), np.float32)
    state["2.weight"] = np.zeros((2, 3), np.int64)
    with pytest.raises(StateDictError) as info:
        model.load_state_dict(state)
    message = str(info.value)
    assert isinstance(info.value, KeyError) and isinstance(info.value, ValueError)
    for part in ("Error(s) in loading state_dict for Sequential:", 'Missing key(s) in state_dict: "2.bias".',
                 'Unexpected key(s) in state_dict: "3.weight".',
                 "size mismatch for 0.weight: copying a param with shape (3, 5) from checkpoint, the shape in current "
                 "model is (3, 4)", "2.weight: expected dtype float32, got int64"):
        assert part in message, (part, message)
    for k, v in model.state_dict().items():  # nothing was loaded
        np.testing.assert_array_equal(v.numpy(), before[k])


def test_load_state_dict_non_strict_returns_missing_and_unexpected():
    model = _mlp()
    source = _mlp(seed=5)
    state = {k: v.numpy() for k, v in source.state_dict().items()}
    del state["2.bias"]
    state["head.weight"] = np.zeros(2, np.float32)
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert missing == ["2.bias"] and unexpected == ["head.weight"]
    np.testing.assert_array_equal(model[0].weight.numpy(), source[0].weight.numpy())


def test_parameter_under_pytorchs_module_path():
    """``from torch.nn.parameter import Parameter`` (pygcn's layers) after the import swap."""
    from anynn.nn.parameter import Parameter

    assert Parameter is anynn.nn.Parameter is anynn.nn.parameter.Parameter
    assert isinstance(Parameter(anynn.zeros(2)), anynn.Tensor)


def test_load_state_dict_result_prints_as_torch():
    """Notebooks print what load_state_dict returns: PyTorch's text when every key matched (a NamedTuple's before)."""
    ours, theirs = anynn.nn.Linear(2, 2), torch.nn.Linear(2, 2)
    matched = ours.load_state_dict(ours.state_dict())
    assert repr(matched) == str(matched) == repr(theirs.load_state_dict(theirs.state_dict()))
    partial = ours.load_state_dict({"weight": ours.weight}, strict=False)
    assert partial == (["bias"], []) and repr(partial) == repr(theirs.load_state_dict({"weight": theirs.weight},
                                                                                      strict=False))
    from anynn.nn.modules.module import _IncompatibleKeys  # (PyTorch's name: custom loaders build and return one)

    assert isinstance(partial, _IncompatibleKeys)


# -- modes, backends ----------------------------------------------------------------------------
def test_train_and_eval_recurse():
    block = _Block()
    assert all(m.training for m in block.modules())
    assert block.eval() is block
    assert not any(m.training for m in block.modules())
    block.train()
    assert all(m.training for m in block.modules())
    block.layers.train(False)
    assert block.training and not block.layers[0].training


def _merging_model(lib: Any) -> tuple[list[bool], Any]:
    """Linear -> Sequential(a Linear whose train override doubles its weight on eval), and the modes it saw."""
    seen: list[bool] = []

    class Merging(lib.nn.Linear):
        def train(self, mode=True):
            seen.append(mode)
            super().train(mode)
            if not mode:
                with lib.no_grad():
                    self.weight.mul_(2.0)
            return self

    model = lib.nn.Sequential(lib.nn.Linear(2, 2), lib.nn.Sequential(Merging(2, 2)))
    with lib.no_grad():
        model[1][0].weight.fill_(1.0)
    return seen, model


def test_train_calls_each_childs_own_train_as_torch():
    """PyTorch's train(mode) sets its own flag and calls train(mode) on each child, so a nested layer that overrides
    train runs its override: loralib merges its LoRA weights into the weight on eval(), detection backbones keep
    their BatchNorm frozen. Setting every module's flag directly skipped those (loralib's merge never ran)."""
    calls = {}
    for lib in (torch, anynn):
        seen, model = _merging_model(lib)
        model.eval()
        model.train()
        model.train(False)
        calls[lib.__name__] = (seen, model[1][0].weight.detach().numpy().tolist(), model[1][0].training)
    assert calls["anynn"] == calls["torch"]


def test_to_backend_keeps_parameter_identity():
    model = _mlp(seed=0)
    params = list(model.parameters())
    values = [p.numpy().copy() for p in params]
    opt = SGD(model.parameters(), lr=0.1)
    x = np.ones((2, 4), np.float32)
    for name in ("torch", "array_api_strict:device1", "array_api_strict", "numpy", "torch"):
        assert model.to(name) is model
        assert all(a is b for a, b in zip(model.parameters(), params))
        assert all(p.backend.key == name and p.backend.is_native(p.array) for p in params)
        for p, v in zip(params, values):
            np.testing.assert_array_equal(p.numpy(), v)
    model(anynn.tensor(x, backend="torch")).sum().backward()
    opt.step()  # the optimizer made on NumPy still updates the same (moved) parameters
    assert not np.array_equal(params[0].numpy(), values[0])
    model.to(dtype="float64")
    assert all(p.dtype == params[0].backend.xp.float64 for p in model.parameters())


def test_to_empty_gives_a_meta_skeleton_storage_as_torch():
    """Module.to_empty (AttributeError before): a "meta" skeleton gets arrays of its shapes and dtypes on the
    device, ``recurse=False`` only the module's own; anynn keeps the Parameters (an optimizer made before stays)."""
    def moved(lib, start):  # (PyTorch from "cpu": its first "meta" tensor costs 2 s of set-up)
        net = lib.nn.Sequential(lib.nn.Linear(2, 3), lib.nn.BatchNorm1d(3)).to(start)
        seen = [net.to_empty(device="cpu", recurse=False) is net, str(net[0].weight.device)]  # (no own tensors)
        net.to_empty(device="cpu")
        return seen + [(name, str(t.device), tuple(t.shape), str(t.dtype).split(".")[-1], t.requires_grad)
                       for name, t in net.state_dict(keep_vars=True).items()]

    on_meta, on_cpu = moved(anynn, "torch:meta"), moved(torch, "cpu")
    assert on_meta[1] == "meta" and on_meta[:1] + on_meta[2:] == on_cpu[:1] + on_cpu[2:]
    net = anynn.nn.Sequential(anynn.nn.Linear(2, 3))
    params = list(net.parameters())
    assert net.to_empty(device="cpu") is net and list(net.parameters()) == params
    assert all(p.backend.name == "numpy" for p in params)


def test_load_state_dict_assign_takes_the_values_as_torch():
    """load_state_dict(assign=True) (the checkpoint-loading recipe: a skeleton made under torch.device('meta'), then
    the checkpoint assigned): the parameters take the values' dtype, and their device where they were on meta. anynn
    copied into the meta tensors (the model stayed unusable) and kept its own dtype. The Parameters keep their
    identity (PyTorch makes new ones) and requires_grad; a plain load still casts to the module's dtype."""
    def loaded(lib, skeleton, assign):
        net = lib.nn.Linear(2, 3).to(skeleton)
        params = list(net.parameters())
        values = {k: lib.full(tuple(v.shape), 0.5, dtype=lib.float64) for k, v in net.state_dict().items()}
        net.load_state_dict(values, assign=assign)
        assert all((a is b or lib is torch) and a.requires_grad for a, b in zip(net.parameters(), params))
        return [str(net.weight.dtype).split(".")[-1], net.weight.is_meta, net(lib.ones(1, 2, dtype=lib.float64))
                .sum().item()] if assign else str(net.weight.dtype).split(".")[-1]

    assert loaded(anynn, "torch:meta", True) == loaded(torch, "cpu", True) == ["float64", False, 4.5]
    assert loaded(anynn, "numpy", False) == loaded(torch, "cpu", False) == "float32"
    net = anynn.nn.Linear(2, 3).to("torch:meta")
    net.load_state_dict(anynn.nn.Linear(2, 3).state_dict(), assign=True)
    assert net.weight.backend.name == "numpy"  # the values' backend (anynn's default in the tests)

    class Converting(anynn.nn.Linear):  # an override: loaded module by module, as PyTorch (metadata carries assign)
        def _load_from_state_dict(self, state_dict, prefix, *args):
            super()._load_from_state_dict(state_dict, prefix, *args)

    net = Converting(2, 3).to("torch:meta")
    net.load_state_dict({k: v.double() for k, v in anynn.nn.Linear(2, 3).state_dict().items()}, assign=True)
    assert net.weight.dtype == anynn.float64 and net.weight.backend.name == "numpy"


def test_shapes_recipe_runs_on_the_meta_device():
    """PyTorch's "reasoning about shapes" recipe: layers on the meta device give output shapes without data. Max
    pooling's NaN check read values back ('Cannot copy out of meta tensor'), printing a meta tensor did too, and
    rand drew its values on the host (48 TiB for the recipe's large input); now the checks are skipped there, the
    repr shows '...' and the size, as PyTorch's, and the draws are meta tensors. (PyTorch's first meta kernels
    cost about 4 s of CPU: one small op here.)"""
    big = anynn.rand(2**10, 3, 2**16, 2**16, backend="torch:meta")
    out = anynn.nn.MaxPool2d(2, 2)(big)
    assert tuple(out.shape) == (2**10, 3, 2**15, 2**15) and str(out.device) == "meta"
    assert repr(out) == "tensor(..., backend='torch:meta', size=(1024, 3, 32768, 32768), dtype=float32)"


@pytest.mark.parametrize("move", ["double", "half", "float", "to_float64", "to_same", "type_float64", "to_backend",
                                  "to_non_blocking"])
def test_moves_and_casts_keep_gradients_as_torch(backend, move):
    """PyTorch's Module._apply converts each parameter's .grad with it; anynn dropped them."""
    if move == "half" and backend.name == "array_api_strict":
        pytest.skip("array_api_strict has no float16")
    calls = {"double": lambda m, lib: m.double(), "half": lambda m, lib: m.half(), "float": lambda m, lib: m.float(),
             "to_float64": lambda m, lib: m.to(lib.float64), "to_same": lambda m, lib: m.to("cpu"),
             "type_float64": lambda m, lib: m.type(lib.float64),
             "to_backend": lambda m, lib: m.to("numpy") if lib is anynn else m,
             "to_non_blocking": lambda m, lib: m.to("cpu", lib.float64, True)}  # positional non_blocking
    results = []
    for lib in (torch, anynn):
        lib.manual_seed(0)
        model = lib.nn.Linear(3, 2)
        if lib is anynn:
            model.to(backend)
        model.weight.grad = model.weight.detach() * 0 + 0.5
        model.bias.grad = None
        calls[move](model, lib)
        grad = model.weight.grad
        assert grad is not None, lib.__name__
        assert model.bias.grad is None
        assert str(grad.dtype).split(".")[-1] == str(model.weight.dtype).split(".")[-1]
        results.append(grad.detach().double().numpy() if lib is torch else np.asarray(grad.numpy(), np.float64))
    np.testing.assert_array_equal(results[0], results[1])


def test_seeded_sequential_is_bit_identical_on_every_backend():
    reference = _mlp(backend="numpy", seed=0)
    for name in BACKEND_NAMES[1:]:
        model = _mlp(backend=name, seed=0)
        for (n, p), (_, q) in zip(model.named_parameters(), reference.named_parameters()):
            assert p.backend.key == name
            np.testing.assert_array_equal(p.numpy(), q.numpy(), err_msg=n)
    other = _mlp(backend="numpy", seed=1)
    assert not np.array_equal(other[0].weight.numpy(), reference[0].weight.numpy())
    wide = _mlp(backend="torch", seed=0, dtype="float64")
    assert wide[0].weight.numpy().dtype == np.float64
    # seeding reproduces no matter the global generator state
    anynn.manual_seed(123)
    again = _mlp(seed=0)
    np.testing.assert_array_equal(again[2].bias.numpy(), reference[2].bias.numpy())


def test_linear_default_init_matches_pytorch_bounds():
    ours = Linear(400, 300, seed=0)
    theirs = torch.nn.Linear(400, 300)
    bound = 1.0 / math.sqrt(400)
    for name in ("weight", "bias"):
        a = getattr(ours, name).numpy()
        b = getattr(theirs, name).detach().numpy()
        assert a.shape == b.shape and a.dtype == np.float32
        assert np.abs(a).max() <= bound and np.abs(b).max() <= bound
        assert np.abs(a).max() > 0.98 * bound
    w = ours.weight.numpy()
    assert abs(w.mean()) < 0.01 * bound
    assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.01)
    assert w.std() == pytest.approx(theirs.weight.detach().numpy().std(), rel=0.02)
    np.testing.assert_array_equal(Linear(400, 300, seed=0).weight.numpy(), w)


def test_new_parameter_dtype_and_backend():
    p = new_parameter((2, 3), "torch", None)
    assert isinstance(p, Parameter) and p.requires_grad and p.backend.name == "torch"
    assert p.dtype == torch.float32
    assert new_parameter((2,), "numpy", "float64").dtype == np.float64
    assert Linear(3, 2, dtype="float64").weight.dtype == np.float64
    assert anynn.zeros((2,), backend="numpy", dtype="float64").dtype == np.float64
    assert anynn.ones((2,), backend="numpy", dtype="float64").dtype == np.float64


# -- errors name the layer, the expected and the given ------------------------------------------
def test_bad_inputs_name_the_layer_and_values():
    layer = Linear(4, 3)
    with pytest.raises(ValueError, match=r"Linear: expected input with 4 features.*got shape \(2, 5\)"):
        layer(anynn.tensor(np.ones((2, 5))))
    with pytest.raises(ValueError, match=r"Linear: expected input with 4 features.*got shape \(\)"):
        layer(anynn.tensor(1.0))
    with pytest.raises(TypeError, match="Linear: expected input dtype float32.*got float64"):
        layer(anynn.tensor(np.ones((2, 4)), dtype="float64"))
    with pytest.raises(BackendMismatch, match="Linear: input is on backend 'torch'.*'numpy'"):
        layer(anynn.tensor(np.ones((2, 4)), backend="torch"))
    with pytest.raises(TypeError, match="Linear: expected an anynn Tensor, got numpy.ndarray"):
        layer(np.ones((2, 4), np.float32))
    with pytest.raises(ValueError, match=r"Linear: expected input with 3 features.*got shape \(2, 4\)"):
        Sequential(Linear(4, 3), Linear(3, 2))[1](make("numpy", np.ones((2, 4), np.float32)))
    with pytest.raises(TypeError, match="Sequential: item 1 is a int"):
        Sequential(Linear(4, 3), 5)


def test_sequential_container_api():
    model = _mlp()
    assert len(model) == 3 and isinstance(model[1], ReLU)
    assert [type(m).__name__ for m in model] == ["Linear", "ReLU", "Linear"]
    head = model[:2]
    assert isinstance(head, Sequential) and head[0] is model[0]
    model.append(ReLU())
    assert len(model) == 4 and "(3): ReLU()" in repr(model)
    named = Sequential({"fc": Linear(2, 2), "act": ReLU()})
    assert [n for n, _ in named.named_parameters()] == ["fc.weight", "fc.bias"]
    assert "in_features=4, out_features=3" in repr(model)


# -- state-dict interop: PyTorch -> anynn (arrays, torch tensors, safetensors) and back ---------------


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


@pytest.mark.parametrize("source", ["numpy", "torch", "safetensors"])
@pytest.mark.parametrize("model", ["cnn", "tagger", "encoder", "lstm", "gru", "mha"])
def test_torch_state_dict_loads_into_anynn(backend, tmp_path, model, source):
    if source != "numpy" and backend.name != "numpy" and model not in ("cnn", "encoder"):
        pytest.skip("the other sources are covered on numpy and with two models everywhere (time)")
    torch.manual_seed(0)
    ours, theirs, x = _models()[model]()
    theirs = theirs.double()
    perturb_torch(theirs)
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
    check_close(a, t, "float64", f"{model} output")


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
    check_close(a, t, "float32", f"{model} output")


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
    check_close(a, t, "float32", "encoder output")


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


# -- Module API parity with PyTorch: traversal, registration, containers, deepcopy --------------------


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
    for model in (ours, theirs):  # positional (destination, prefix, keep_vars): read, with PyTorch's FutureWarning
        with pytest.warns(FutureWarning, match="Positional args are being deprecated"):
            filled = model.state_dict({}, "q.", True)
        assert list(filled) == ["q." + key for key in theirs.state_dict()] and filled["q.features.0.weight"] is \
            model.features[0].weight
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



def test_containers_hold_none_placeholders_like_torch():
    """lucidrains' scalable_vit builds ``ModuleList([..., PEG(dim) if is_first else None, ...])`` (TypeError
    before); a None is kept in its place, as PyTorch's add_module keeps it, and holds no state."""
    built = {}
    for lib in (anynn, torch):
        nn = lib.nn
        layers = nn.ModuleList([nn.Linear(1, 2), None, nn.Linear(2, 2)])
        layers.append(None)
        layers.insert(1, None)
        layers[3] = None
        del layers[0]
        heads = nn.ModuleDict({"a": None, "b": nn.Linear(1, 1)})
        stack = nn.Sequential(nn.Linear(1, 1), None)
        built[lib.__name__] = ([None if m is None else type(m).__name__ for m in layers], list(layers.state_dict()),
                               len(layers[1:]), heads["a"], list(heads.state_dict()), len(stack),
                               list(stack.state_dict()), [name for name, _ in layers.named_children()])
    assert built["anynn"] == built["torch"]
    with pytest.raises(TypeError, match="ModuleList: item 0 is a int, not a Module"):
        anynn.nn.ModuleList([1])
    with pytest.raises(TypeError, match=r"Sequential: item 0 is a Linear, not a Module \(a PyTorch torch.nn"):
        anynn.nn.Sequential(torch.nn.Linear(1, 1))
    if importlib.util.find_spec("einops") is not None:  # lucidrains' import line, which the import swap leaves
        from einops.layers.torch import EinMix, Rearrange, Reduce

        # its weight-free layers become anynn's (same pattern, reduction and axis lengths), in every container
        x = anynn.arange(48, dtype=anynn.float64).reshape(2, 3, 2, 4)
        held = anynn.nn.Sequential(Rearrange("b c h (w p) -> b (c h w) p", p=2), Reduce("b n p -> b n", "max"))
        held.append(Rearrange("b n -> n b"))
        listed = anynn.nn.ModuleList([Reduce("b c h w -> b c", "mean")])
        named = anynn.nn.ModuleDict({"flat": Rearrange("b c h w -> b (c h w)")})
        assert all(type(m).__module__ == "anynn.utils.einops" for m in [*held, *listed, *named.values()])
        expected = x.numpy().reshape(2, 3, 2, 2, 2).reshape(2, 12, 2).max(-1).T
        np.testing.assert_array_equal(held(x).numpy(), expected)
        np.testing.assert_array_equal(listed[0](x).numpy(), x.numpy().mean((2, 3)))
        np.testing.assert_array_equal(named["flat"](x).numpy(), x.numpy().reshape(2, 24))
        with pytest.raises(TypeError, match=r"Sequential: item 0 is a EinMix, not a Module \(einops' PyTorch "
                                            r"layer einops.layers.torch.EinMix: anynn's is `from anynn.utils"):
            anynn.nn.Sequential(EinMix("b c -> b d", weight_shape="c d", c=2, d=3))

def test_deepcopy_gives_an_independent_twin(backend):
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


MODULE_MISUSE = {  # PyTorch's error class for each
    "buffer_name_with_a_dot": (lambda lib: lib.nn.Module().register_buffer("a.b", None), KeyError),
    "empty_buffer_name": (lambda lib: lib.nn.Module().register_buffer("", None), KeyError),
    "buffer_name_not_a_string": (lambda lib: lib.nn.Module().register_buffer(3, None), TypeError),
    "buffer_of_a_number": (lambda lib: lib.nn.Module().register_buffer("x", 3.0), TypeError),
    "buffer_over_a_method": (lambda lib: lib.nn.Module().register_buffer("forward", None), KeyError),
    "a_number_into_a_parameter": (lambda lib: setattr(lib.nn.Linear(2, 2), "weight", 3.0), TypeError),
    "a_number_into_a_buffer": (lambda lib: setattr(lib.nn.BatchNorm1d(2), "running_mean", 3.0), TypeError),
    "buffer_over_a_parameter": (lambda lib: lib.nn.Linear(2, 2).register_buffer("weight", None), KeyError),
    "parameter_over_a_buffer": (lambda lib: lib.nn.BatchNorm1d(2).register_parameter("running_mean", None),
                                KeyError),
    "module_over_a_parameter": (lambda lib: lib.nn.Linear(2, 2).add_module("bias", lib.nn.ReLU()), KeyError),
    "parameter_over_a_module": (lambda lib: lib.nn.Sequential(lib.nn.ReLU()).register_parameter("0", None),
                                KeyError),
    "requires_grad_of_an_int": (lambda lib: lib.nn.Linear(2, 2).requires_grad_(0), TypeError),
    "a_tensor_into_a_submodule": (lambda lib: setattr(lib.nn.Sequential(lib.nn.ReLU()), "0", lib.ones(2)), TypeError),
    "a_number_into_a_submodule": (lambda lib: setattr(lib.nn.Sequential(lib.nn.ReLU()), "0", 3), TypeError),
    "to_an_integer_dtype": (lambda lib: lib.nn.Linear(2, 2).to(lib.int64), TypeError),
    "type_an_integer_dtype": (lambda lib: lib.nn.Linear(2, 2).type(lib.int64), RuntimeError),
    # layer arguments PyTorch asserts, or refuses with a RuntimeError when the layer runs
    "embedding_padding_idx_out_of_range": (lambda lib: lib.nn.Embedding(10, 3, padding_idx=20), AssertionError),
    "embedding_from_a_vector": (lambda lib: lib.nn.Embedding.from_pretrained(lib.ones(3)), AssertionError),
    "attention_heads_not_dividing": (lambda lib: lib.nn.MultiheadAttention(5, 2), AssertionError),
    "unknown_encoder_activation": (lambda lib: lib.nn.TransformerEncoderLayer(4, 2, activation="foo"), RuntimeError),
    "max_pool_stride_0": (lambda lib: lib.nn.MaxPool2d(2, stride=0)(lib.ones(1, 1, 4, 4)), RuntimeError),
    "max_pool_padding_over_half": (lambda lib: lib.nn.MaxPool2d(2, padding=2)(lib.ones(1, 1, 4, 4)), RuntimeError),
    "adaptive_pool_negative": (lambda lib: lib.nn.AdaptiveAvgPool2d(-1)(lib.ones(1, 1, 4, 4)), RuntimeError),
    "output_padding_over_stride": (lambda lib: lib.nn.ConvTranspose2d(1, 1, 3, output_padding=1)(lib.ones(1, 1, 4, 4)),
                                   RuntimeError),
    "flatten_start_after_end": (lambda lib: lib.nn.Flatten(3, 1)(lib.ones(1, 1, 4, 4)), RuntimeError),
    "unflatten_to_other_sizes": (lambda lib: lib.nn.Unflatten(1, (3, 3))(lib.ones(1, 4)), RuntimeError),
    "pixel_unshuffle_uneven": (lambda lib: lib.nn.PixelUnshuffle(3)(lib.ones(1, 1, 4, 4)), RuntimeError),
    "channel_shuffle_uneven": (lambda lib: lib.nn.ChannelShuffle(3)(lib.ones(1, 4, 2, 2)), RuntimeError),
    "zero_pad_below_nothing": (lambda lib: lib.nn.ZeroPad2d(-3)(lib.ones(1, 1, 4, 4)), RuntimeError),
    "circular_pad_over_the_size": (lambda lib: lib.nn.CircularPad2d(5)(lib.ones(1, 1, 4, 4)), RuntimeError),
    "replication_pad_of_a_vector": (lambda lib: lib.nn.ReplicationPad2d(1)(lib.ones(4)), RuntimeError),
    "avg_pool_divisor_0": (lambda lib: lib.nn.AvgPool2d(2, divisor_override=0)(lib.ones(1, 1, 4, 4)), RuntimeError),
    "avg_pool3d_divisor_0": (lambda lib: lib.nn.AvgPool3d(2, divisor_override=0)(lib.ones(1, 1, 4, 4, 4)),
                             RuntimeError),
    "batch_norm_eval_without_statistics": (lambda lib: lib.nn.functional.batch_norm(lib.ones(2, 3), None, None),
                                           RuntimeError),
    "grid_of_the_wrong_shape": (lambda lib: lib.nn.functional.grid_sample(lib.ones(1, 1, 4, 4), lib.ones(1, 3, 3, 3)),
                                RuntimeError),
    "pad_of_odd_length": (lambda lib: lib.nn.functional.pad(lib.ones(1, 1, 4, 4), (1, 1, 1)), RuntimeError),
    "hardtanh_max_not_above_min": (lambda lib: lib.nn.Hardtanh(1.0, 1.0), AssertionError),
    "gelu_unknown_approximation": (lambda lib: lib.nn.functional.gelu(lib.ones(2), approximate="foo"), RuntimeError),
    "dropout_probability_a_string": (lambda lib: lib.nn.Dropout("0.5"), TypeError),
    "functional_dropout_probability_none": (lambda lib: lib.nn.functional.dropout(lib.ones(2), None), TypeError),
    "parameter_dict_missing_key": (lambda lib: lib.nn.ParameterDict()["x"], AttributeError),
    "embedding_of_float_indices": (lambda lib: lib.nn.Embedding(3, 2)(lib.tensor([0.0, 1.0])), RuntimeError),
    "vmap_out_dims_past_the_rank": (lambda lib: lib.func.vmap(lambda x: x * 2, out_dims=3)(lib.ones(2, 3)), IndexError),
    "vmap_unknown_randomness": (lambda lib: lib.func.vmap(lambda x: x, randomness="foo")(lib.ones(2)), RuntimeError),
    "functional_call_of_a_function": (lambda lib: lib.func.functional_call(lambda x: x, {}, (lib.ones(2),)),
                                      AttributeError),
}


@pytest.mark.parametrize("name", sorted(MODULE_MISUSE))
def test_module_misuse_is_refused_as_torch(name):
    import torch

    call, error = MODULE_MISUSE[name]
    with pytest.raises(error):
        call(torch)
    with pytest.raises(error):
        call(anynn)


def test_a_failed_registration_over_another_kind_leaves_the_module_unchanged():
    layer = Linear(2, 2, seed=0)
    weight = layer.weight
    with pytest.raises(KeyError, match=r"Linear.register_buffer: attribute 'weight' already exists"):
        layer.register_buffer("weight", None)
    assert layer.weight is weight and list(layer.state_dict()) == ["weight", "bias"]
    layer.register_parameter("weight", None)  # its own kind may be replaced, as in PyTorch
    assert layer.weight is None and list(dict(layer.named_parameters())) == ["bias"]


@pytest.mark.parametrize("data", [[1.0], 1.0, (2.0, 3.0), "w"])
def test_parameter_of_something_else_than_a_tensor_is_refused(data):
    with pytest.raises(AttributeError):  # PyTorch: 'list' object has no attribute 'detach'
        torch.nn.Parameter(data)
    with pytest.raises(TypeError, match=rf"Parameter: expected a Tensor or an array, got {type(data).__name__}"):
        Parameter(data)


def test_parameter_without_data_is_empty_as_torch():
    p = Parameter()
    assert tuple(p.shape) == tuple(torch.nn.Parameter().shape) == (0,)
    assert p.requires_grad and p.dtype == anynn.float32


def test_explicit_dunder_getattr_finds_registered_state_as_torch():
    """Programs call ``self.__getattr__(name)`` / ``self.__setattr__(name, m)`` to reach children built in a loop
    (kuangliu's DLA ``Tree``); PyTorch's Module.__getattr__ finds parameters, buffers and children only."""

    def build(nn):
        class Tree(nn.Module):
            def __init__(self):
                super().__init__()
                for i in (1, 2):
                    self.__setattr__(f"level_{i}", nn.Linear(2, 2))
                self.register_buffer("count", None)
                self.plain = 3

            def forward(self, x):
                for i in (2, 1):
                    x = self.__getattr__(f"level_{i}")(x)
                return x

        return Tree()

    ours, theirs = build(anynn.nn), build(torch.nn)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((3, 2)).astype(np.float32)
    np.testing.assert_allclose(ours(anynn.tensor(x)).detach().numpy(), theirs(torch.tensor(x)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)
    for module in (ours, theirs):
        assert module.__getattr__("level_1") is module.level_1
        assert module.__getattr__("level_1").__getattr__("weight") is module.level_1.weight
        assert module.__getattr__("count") is None
        for missing in ("plain", "nope"):  # a plain attribute is not registered state: PyTorch's __getattr__ misses it
            with pytest.raises(AttributeError, match=f"'Tree' object has no attribute '{missing}'"):
                module.__getattr__(missing)
    with pytest.raises(AttributeError, match="'Tree' object has no attribute 'nope'"):
        ours.nope  # noqa: B018 - the ordinary lookup's message is PyTorch's too
    assert not hasattr(ours, "nope") and getattr(ours, "nope", 5) == 5
    twin = copy.deepcopy(ours)
    assert twin.__getattr__("level_2") is not ours.level_2


def _kinds(container):
    return [type(m).__name__ for m in container], list(dict(container.named_children()))


def _three(lib):
    return lib.nn.Sequential(lib.nn.ReLU(), lib.nn.Tanh(), lib.nn.Sigmoid())


def _pdict(lib):
    return lib.nn.ParameterDict({"a": lib.nn.Parameter(lib.ones(1)), "b": lib.nn.Parameter(lib.zeros(1))})


CONTAINER_CASES = {  # each gives the same result on both libraries, or raises the same class
    "sequential_times_two": lambda lib: (lambda s: (_kinds(s), s[0] is s[3]))(_three(lib) * 2),
    "two_times_sequential": lambda lib: _kinds(2 * _three(lib)),
    "sequential_times_zero": lambda lib: _three(lib) * 0,
    "sequential_times_float": lambda lib: _three(lib) * 1.5,
    "sequential_in_place_times": lambda lib: (lambda s: (s.__imul__(2) is s, _kinds(s)))(_three(lib)),
    "sequential_in_place_add": lambda lib: (lambda s: (s.__iadd__(_three(lib)) is s, _kinds(s)))(_three(lib)),
    "sequential_in_place_add_a_list": lambda lib: _three(lib).__iadd__([lib.nn.ReLU()]),
    "sequential_add_a_module_list": lambda lib: _three(lib) + lib.nn.ModuleList([lib.nn.ReLU()]),
    "sequential_insert_past_the_end": lambda lib: _three(lib).insert(4, lib.nn.ReLU()),
    "sequential_insert_at_the_end": lambda lib: _kinds(_three(lib).insert(3, lib.nn.ELU())),
    "sequential_insert_before_the_start": lambda lib: _three(lib).insert(-4, lib.nn.ReLU()),
    "module_dict_update_from_a_module_dict": lambda lib: list(
        (lambda d: (d.update(lib.nn.ModuleDict({"c": lib.nn.ReLU(), "a": lib.nn.Tanh()})), d)[1])(
            lib.nn.ModuleDict({"a": lib.nn.ReLU()}))),
    "module_dict_update_a_triple": lambda lib: lib.nn.ModuleDict().update([("a", lib.nn.ReLU(), 1)]),
    "module_dict_update_a_number": lambda lib: lib.nn.ModuleDict().update(3),
    "parameter_dict_update_a_triple": lambda lib: lib.nn.ParameterDict().update([("a", lib.ones(1), 1)]),
    "parameter_dict_update_from_a_parameter_dict": lambda lib: list(
        (lambda d: (d.update(_pdict(lib)), d)[1])(lib.nn.ParameterDict({"z": lib.nn.Parameter(lib.ones(1))}))),
    "parameter_dict_popitem": lambda lib: (lambda d: (d.popitem()[0], list(d)))(_pdict(lib)),
    "parameter_dict_fromkeys": lambda lib: (lambda d: (list(d), type(d).__name__))(_pdict(lib).fromkeys(["x", "y"])),
    "parameter_dict_or": lambda lib: list(_pdict(lib) | lib.nn.ParameterDict({"c": lib.nn.Parameter(lib.ones(1))})),
    "parameter_dict_in_place_or": lambda lib: (lambda d: (d.__ior__({"c": lib.ones(1)}) is d, list(d)))(_pdict(lib)),
    "parameter_dict_reversed": lambda lib: list(reversed(_pdict(lib))),
    "set_submodule": lambda lib: (lambda s: (s.set_submodule("1", lib.nn.ELU()), _kinds(s))[1])(_three(lib)),
    "set_submodule_nested_new_name": lambda lib: (lambda s: (s.set_submodule("0.extra", lib.nn.ELU()),
                                                             list(dict(s.named_modules())))[1])(
        lib.nn.Sequential(lib.nn.Sequential(lib.nn.ReLU()))),
    "set_submodule_strict_new_name": lambda lib: _three(lib).set_submodule("extra", lib.nn.ELU(), strict=True),
    "set_submodule_missing_parent": lambda lib: _three(lib).set_submodule("x.y", lib.nn.ELU()),
    "set_submodule_not_a_module": lambda lib: _three(lib).set_submodule("0", lib.ones(1)),
    "set_submodule_empty_target": lambda lib: _three(lib).set_submodule("", lib.nn.ELU()),
    "set_submodule_over_a_parameter": lambda lib: lib.nn.Linear(1, 1).set_submodule("weight", lib.nn.ELU()),
    "named_modules_skips_the_memo": lambda lib: (lambda s: [n for n, _ in s.named_modules(memo={s[1]})])(_three(lib)),
    "named_modules_fills_the_memo": lambda lib: (lambda s, memo: (list(s.named_modules(memo=memo)), len(memo))[1])(
        _three(lib), set()),
}


@pytest.mark.parametrize("name", sorted(CONTAINER_CASES))
def test_container_operators_and_updates_as_torch(name):
    outcomes = []
    for lib in (torch, anynn):
        try:
            outcomes.append(("ok", CONTAINER_CASES[name](lib)))
        except Exception as error:  # noqa: BLE001 - the class is what is compared
            outcomes.append(("raise", type(error).__name__))
    assert outcomes[0] == outcomes[1]


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True:UserWarning")
def test_zero_grad_keeping_grads_fills_the_same_tensor_like_torch(backend):
    """``zero_grad(set_to_none=False)`` of a Module and of an Optimizer zeroes the ``.grad`` Tensor a caller holds
    (PyTorch's in-place ``grad.zero_()``), which then sees the next backward's gradient; so does a view of it (the
    introyt autograd tutorial's ``weight.grad[0][0:10]``). A gradient ``backward(create_graph=True)`` recorded is
    detached first, as PyTorch's (it kept its graph: the next gradients were added into a recorded tensor)."""
    x = np.ones((4, 3))
    results = []
    for lib, tensor in ((anynn, lambda a: anynn.tensor(a, backend=backend, dtype="float32")),
                        (torch, lambda a: torch.tensor(a, dtype=torch.float32))):
        layer = lib.nn.Linear(3, 2)
        if lib is anynn:
            layer = layer.to(backend)
        optimizer = lib.optim.SGD(layer.parameters(), lr=0.1)
        seen = []
        for clear in (layer.zero_grad, optimizer.zero_grad):
            layer(tensor(x)).sum().backward()
            held, row = layer.weight.grad, layer.weight.grad[0]  # (a view: zeroed in place, as PyTorch's)
            clear(set_to_none=False)
            seen += [held is layer.weight.grad, float(held.abs().sum()), float(row.abs().sum())]
            layer(tensor(x)).sum().backward()
            seen += [held is layer.weight.grad, float(held.sum()), float(row.sum())]
            layer(tensor(x)).pow(2).sum().backward(create_graph=True)  # a recorded gradient: cut from its graph
            held = layer.weight.grad
            clear(set_to_none=False)
            seen += [held.requires_grad, held.grad_fn is None, float(held.abs().sum())]
        results.append(seen)
    assert results[0] == results[1]
