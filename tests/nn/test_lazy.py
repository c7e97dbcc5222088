"""Lazy layers (nn.LazyLinear, LazyConv*, LazyConvTranspose*, LazyBatchNorm*, LazyInstanceNorm*) against PyTorch's:
repr and state-dict names before the first call, the eager layer they become (class, repr, shapes), forward and
gradients with PyTorch's weights copied in, optimizers built before the first call, loading a state dict into a
lazy layer, and the d2l book's way of building models."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import anynn

from tests.helpers import compare_module_with_torch, make

# (name, constructor arguments, input shape)
CASES = [
    ("LazyLinear", (3,), {}, (2, 5)),
    ("LazyLinear", (4,), {"bias": False}, (2, 3, 6)),
    ("LazyConv1d", (4, 3), {"padding": 1}, (2, 3, 7)),
    ("LazyConv2d", (4, 3), {"stride": 2, "groups": 2}, (2, 4, 7, 6)),
    ("LazyConv2d", (3, 2), {}, (2, 6, 5)),  # unbatched (C, H, W)
    ("LazyConv3d", (2, 2), {"bias": False}, (1, 2, 4, 4, 4)),
    ("LazyConvTranspose1d", (3, 3), {"stride": 2}, (2, 2, 5)),
    ("LazyConvTranspose2d", (2, 3), {"stride": 2, "output_padding": 1}, (1, 3, 4, 4)),
    ("LazyConvTranspose3d", (2, 2), {}, (1, 2, 3, 3, 3)),
    ("LazyBatchNorm1d", (), {}, (4, 3)),
    ("LazyBatchNorm2d", (), {"momentum": 0.3}, (2, 3, 4, 4)),
    ("LazyBatchNorm3d", (), {"affine": False}, (2, 2, 3, 3, 3)),
    ("LazyInstanceNorm1d", (), {"affine": True}, (2, 3, 6)),
    ("LazyInstanceNorm2d", (), {}, (2, 3, 4, 4)),
    ("LazyInstanceNorm3d", (), {"track_running_stats": True}, (2, 2, 3, 3, 3)),
]
IDS = [f"{c[0]}-{i}" for i, c in enumerate(CASES)]


@pytest.mark.parametrize("name, args, kwargs, shape", CASES, ids=IDS)
def test_lazy_layer_becomes_pytorchs_eager_layer(backend, name, args, kwargs, shape):
    ours = getattr(anynn.nn, name)(*args, **kwargs).to(backend)
    theirs = getattr(torch.nn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.has_uninitialized_params() and theirs.has_uninitialized_params()
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    ours(make(backend, x))
    theirs(torch.tensor(x))
    assert type(ours).__name__ == type(theirs).__name__ == name.removeprefix("Lazy")
    assert repr(ours) == repr(theirs)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == {
        k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    # with PyTorch's weights (and running statistics) copied in, the eager layers agree forward and backward
    theirs.eval(), ours.eval()
    compare_module_with_torch(backend, ours, theirs, x, rtol=1e-4, atol=1e-5)


def test_an_optimizer_built_before_the_first_call_trains_the_drawn_parameters():
    """d2l builds `nn.LazyLinear(1)`, touches ``weight.data`` and makes the optimizer before any data is seen."""
    net = anynn.nn.Sequential(anynn.nn.LazyLinear(8), anynn.nn.ReLU(), anynn.nn.LazyLinear(1))
    net[0].weight.data.normal_(0, 0.01)  # on the placeholder: no error, redrawn at the first call as in PyTorch
    params = list(net.parameters())
    opt = anynn.optim.SGD(net.parameters(), lr=0.1)
    x = anynn.tensor(np.random.default_rng(1).standard_normal((16, 3)).astype("float32"))
    y = x.sum(1, keepdim=True)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = anynn.nn.functional.mse_loss(net(x), y)
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert [p is q for p, q in zip(net.parameters(), params)] == [True] * 4
    assert tuple(net[0].weight.shape) == (8, 3) and type(net[2]) is anynn.nn.Linear
    assert losses[-1] < losses[0]


def test_placeholders_are_uninitialized_parameters_and_buffers_as_torch():
    """The placeholders' classes are PyTorch's (init loops skip ``isinstance(p, UninitializedParameter)``); the first
    call makes them plain Parameters and Tensors, the same objects; ``materialize`` gives one a shape by hand."""
    for lib in (anynn, torch):
        nn, lazy = lib.nn, lib.nn.parameter.is_lazy
        bn = nn.LazyBatchNorm1d()
        assert isinstance(bn.weight, nn.UninitializedParameter) and isinstance(bn.weight, nn.Parameter)
        assert isinstance(bn.running_mean, nn.UninitializedBuffer) and lazy(bn.running_mean)
        assert type(bn.num_batches_tracked) is lib.Tensor
        weight = bn.weight
        bn(lib.ones(4, 3))
        assert type(bn.weight) is nn.Parameter and bn.weight is weight and not lazy(weight)
        assert type(bn.running_mean) is lib.Tensor and tuple(bn.running_mean.shape) == (3,)
        p = nn.LazyLinear(2).weight
        p.materialize((2, 5))
        assert type(p) is nn.Parameter and tuple(p.shape) == (2, 5) and p.requires_grad
    skipped = [n for n, p in anynn.nn.LazyLinear(2).named_parameters()
               if not isinstance(p, anynn.nn.parameter.UninitializedParameter)]
    assert skipped == []


def test_loading_a_state_dict_draws_the_shapes_it_gives():
    source = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 4 * 4, 2))
    ours = anynn.nn.Sequential(anynn.nn.LazyConv2d(4, 3), anynn.nn.LazyBatchNorm2d(), anynn.nn.Flatten(),
                               anynn.nn.LazyLinear(2))
    ours.load_state_dict({k: v.numpy() for k, v in source.state_dict().items()})
    source.eval(), ours.eval()
    x = np.random.default_rng(2).standard_normal((2, 3, 6, 6)).astype("float32")
    np.testing.assert_allclose(ours(anynn.tensor(x)).numpy(), source(torch.tensor(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_lazy_refusals_are_pytorchs():
    with pytest.raises(TypeError):
        anynn.nn.LazyLinear()
    with pytest.raises(TypeError):
        torch.nn.LazyLinear()
    layer = anynn.nn.LazyConv2d(4, 3, groups=2)
    with pytest.raises(ValueError, match="divisible"):
        layer(anynn.ones(1, 3, 5, 5))  # 3 input channels in 2 groups
    with pytest.raises(ValueError, match="divisible"):
        torch.nn.LazyConv2d(4, 3, groups=2)(torch.ones(1, 3, 5, 5))
    # out_channels not divisible by groups: refused when built, naming the lazy layer (the eager template blamed
    # in_channels (3)); PyTorch refuses at the first call
    for cls in ("LazyConv2d", "LazyConvTranspose1d"):
        with pytest.raises(ValueError, match=rf"{cls}: out_channels \(4\) must be divisible by groups \(3\)"):
            getattr(anynn.nn, cls)(4, 3, groups=3)
        with pytest.raises(RuntimeError):
            layer = getattr(torch.nn, cls)(4, 3, groups=3)
            layer(torch.ones((1, 3, 5, 5) if cls == "LazyConv2d" else (1, 3, 5)))
    # a first input of a rank the layer cannot read its size from
    for lib in (anynn, torch):
        with pytest.raises(RuntimeError, match=r"Expected 3D \(unbatched\) or 4D \(batched\) input to LazyConv2d"):
            lib.nn.LazyConv2d(2, 3)(lib.ones(8))


def test_a_deep_copy_materialising_leaves_the_original_lazy():
    """The copy's hook handles refer to the copy's hooks (anynn.onnx.export runs a deep copy of the model): the
    original stays lazy and still infers its size on its first call, as in PyTorch."""
    for lib in (anynn, torch):
        model = lib.nn.Sequential(lib.nn.LazyLinear(3), lib.nn.ReLU())
        copied = copy.deepcopy(model)
        copied(lib.ones(2, 5))
        assert type(model[0]).__name__ == "LazyLinear" and type(copied[0]).__name__ == "Linear"
        assert tuple(model(lib.ones(2, 4)).shape) == (2, 3) and model[0].weight.shape == (3, 4)
