"""Module, containers and Linear: registration, state dicts, modes, backends, seeding, init and errors."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import BackendMismatch
from anynn.nn.activation import ReLU
from anynn.nn.container import ModuleDict, ModuleList, Sequential
from anynn.nn.linear import Identity, Linear, new_parameter
from anynn.nn.module import Module, Parameter, StateDictError
from anynn.optim.sgd import SGD

from tests.helpers import make

BACKEND_NAMES = ["numpy", "torch", "array_api_strict", "array_api_strict:device1"]


def _mlp(**kwargs) -> Sequential:
    return Sequential(Linear(4, 3), ReLU(), Linear(3, 2), **kwargs)


class _Block(Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = Parameter(np.ones(3))
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
    out = block(anynn.tensor(np.ones((5, 3))))
    assert out.shape == (5, 1)


def test_setattr_before_super_init_is_explained():
    class Broken(Module):
        def __init__(self) -> None:
            self.weight = Parameter(np.ones(2))

    with pytest.raises(AttributeError, match=r"Broken.__init__ must call super\(\).__init__\(\)"):
        Broken()


def test_linear_without_bias_has_no_bias_key():
    layer = Linear(3, 2, bias=False)
    assert layer.bias is None
    assert list(layer.state_dict()) == ["weight"]
    assert layer(anynn.tensor(np.ones((1, 3)))).shape == (1, 2)


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
    for part in ("Sequential", "missing key: 2.bias", "unexpected key: 3.weight",
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
