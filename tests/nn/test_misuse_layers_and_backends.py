"""Misuse PyTorch catches, caught here too with errors that name the layer: averages of integers, impossible
feature counts, a softmax dim past the input's rank, a CUDA backend on a PyTorch without CUDA; and the
degenerate cases PyTorch accepts: ``Linear(0, n)`` and ``predict`` on 0 rows."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn import functional as F
from anynn import nn
from anynn.backend import BackendUnavailable, get_backend
from anynn.train import predict
from tests.helpers import make

POOLS = [(nn.AdaptiveAvgPool1d(2), (1, 2, 4)), (nn.AdaptiveAvgPool2d(1), (1, 2, 4, 4)),
         (nn.AvgPool1d(2), (1, 2, 4)), (nn.AvgPool2d(2), (1, 2, 4, 4))]


# int64 into AvgPool1d/2d is averaged toward zero, as PyTorch's (tests/nn/test_pool.py); the rest is refused
REFUSED_POOL_INPUTS = [(layer, shape, dtype) for layer, shape in POOLS for dtype in ("int64", "int32", "uint8", "bool")
                       if not (dtype == "int64" and isinstance(layer, (nn.AvgPool1d, nn.AvgPool2d)))]


@pytest.mark.parametrize("layer, shape, dtype", REFUSED_POOL_INPUTS,
                         ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else str(v) if isinstance(v, str)
                         else "")
def test_averaging_pools_refuse_integer_input_naming_the_layer(backend, layer, shape, dtype):
    x = make(backend, np.arange(np.prod(shape)).reshape(shape) % 3 == 1 if dtype == "bool"
             else (np.arange(np.prod(shape)).reshape(shape) % 7).astype(dtype))
    with pytest.raises(TypeError, match=rf"{type(layer).__name__}: expected a floating-point input, got {dtype}"):
        layer(x)
    with pytest.raises(RuntimeError, match="floating point"):  # PyTorch refuses too (with RuntimeError)
        torch.nn.functional.adaptive_avg_pool2d(torch.ones(1, 2, 4, 4, dtype=torch.int64), 1)


@pytest.mark.parametrize("fn, shape", [(F.adaptive_avg_pool1d, (1, 2, 4)), (F.adaptive_avg_pool2d, (1, 2, 4, 4))])
def test_functional_adaptive_pools_refuse_integer_input(backend, fn, shape):
    x = make(backend, np.ones(shape, dtype=np.int64))
    with pytest.raises(TypeError, match=rf"{fn.__name__}: expected a floating-point input, got int64"):
        fn(x, 1)


def test_averaging_pools_still_average_floats(backend):
    x = make(backend, np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
    np.testing.assert_allclose(nn.AdaptiveAvgPool2d(1)(x).numpy().ravel(), [7.5])


# (2, 5, features): the backward's reshape to rows named them -1, which nothing infers beside a size-0 axis
@pytest.mark.parametrize("batch", [(2,), (2, 5)])
@pytest.mark.parametrize("in_features, out_features", [(0, 4), (3, 0), (0, 0)])
def test_linear_with_zero_features_builds_and_runs_as_in_pytorch(backend, in_features, out_features, batch):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        layer = nn.Linear(in_features, out_features, backend=backend, seed=0)
        reference = torch.nn.Linear(in_features, out_features)
    assert tuple(layer.weight.shape) == tuple(reference.weight.shape)
    assert tuple(layer.bias.shape) == tuple(reference.bias.shape)
    x = make(backend, np.ones(batch + (in_features,), dtype=np.float32)).requires_grad_()
    out = layer(x)
    expected = reference(torch.ones(batch + (in_features,))).detach().numpy() * 0 + layer.bias.numpy()  # x @ W.T is 0
    np.testing.assert_array_equal(out.numpy(), expected)
    out.sum().backward()
    assert tuple(layer.weight.grad.shape) == (out_features, in_features)
    np.testing.assert_array_equal(layer.bias.grad.numpy(), np.prod(batch) * np.ones(out_features))
    assert tuple(x.grad.shape) == batch + (in_features,)


def test_initialisers_on_zero_element_tensors_are_a_no_op_as_in_pytorch():
    for fn in (anynn.init.kaiming_uniform_, anynn.init.kaiming_normal_, anynn.init.xavier_uniform_,
               anynn.init.xavier_normal_):
        t = anynn.zeros((4, 0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            assert fn(t) is t and tuple(t.shape) == (4, 0)


@pytest.mark.parametrize("args, error, message", [
    ((-1, 3), RuntimeError, "Linear: in_features must be >= 0, got -1"),  # (PyTorch's class; a ValueError too)
    ((3, -2), ValueError, "Linear: out_features must be >= 0, got -2"),
    ((2.5, 3), TypeError, "Linear: in_features must be an int, got float"),
    ((True, 3), TypeError, "Linear: in_features must be an int, got bool"),
    (("3", 3), TypeError, "Linear: in_features must be an int, got str"),
])
def test_impossible_feature_counts_name_the_layer(args, error, message):
    with pytest.raises(error, match=message):
        nn.Linear(*args)


@pytest.mark.parametrize("build, error, message", [
    # kuangliu's ShuffleNet computes mid_planes = out_planes/4 (a float under Python 3): PyTorch's error names no layer
    (lambda: nn.Conv2d(4, 2.0, 1), TypeError, "Conv2d: out_channels must be an int, got float 2.0"),
    (lambda: nn.Conv2d(4.0, 2, 1), TypeError, "Conv2d: in_channels must be an int, got float 4.0"),
    (lambda: nn.Conv1d(4, 4, 3, groups=2.0), TypeError, "Conv1d: groups must be an int, got float 2.0"),
    (lambda: nn.ConvTranspose2d(-4, 2, 1), ValueError, "ConvTranspose2d: in_channels must be >= 0, got -4"),
    (lambda: nn.BatchNorm2d(6.0), TypeError, "BatchNorm2d: num_features must be an int, got float 6.0"),
    (lambda: nn.BatchNorm1d("6"), TypeError, "BatchNorm1d: num_features must be an int, got str '6'"),
    (lambda: nn.Embedding(-1, 3), RuntimeError, "Embedding: num_embeddings must be >= 0, got -1"),
    (lambda: nn.Embedding(10, 2.0), TypeError, "Embedding: embedding_dim must be an int, got float 2.0"),
    # a negative kernel or feature size: PyTorch's RuntimeError (NumPy's ValueError, 'negative dimensions', before)
    (lambda: nn.Conv2d(2, 3, -1), RuntimeError, r"negative dimension -1: \[3, 2, -1, -1\]"),
    (lambda: nn.LayerNorm((2, -1)), RuntimeError, "negative dimension -1"),
    (lambda: nn.PReLU(-1), RuntimeError, "negative dimension -1"),
    (lambda: nn.LayerNorm("a"), TypeError, "normalized_shape' must be an int or a tuple of ints, not str"),
])
def test_impossible_channel_counts_name_the_layer(build, error, message):
    with pytest.raises(error, match=message):
        build()


def test_channel_counts_accept_numpy_integers():
    conv, norm = nn.Conv2d(np.int64(4), np.int32(2), 1, groups=np.int64(2)), nn.BatchNorm2d(np.int64(6))
    assert (conv.in_channels, conv.out_channels, conv.groups, norm.num_features) == (4, 2, 2, 6)
    assert all(type(v) is int for v in (conv.in_channels, conv.out_channels, conv.groups, norm.num_features))


def test_linear_accepts_numpy_integers():
    layer = nn.Linear(np.int64(3), np.int32(2))
    assert (layer.in_features, layer.out_features) == (3, 2) and type(layer.in_features) is int


@pytest.mark.parametrize("layer_class", [nn.Softmax, nn.LogSoftmax, nn.GLU])
@pytest.mark.parametrize("dim", [2, 3, -3, 7])
def test_a_dim_past_the_rank_names_the_layer(backend, layer_class, dim):
    x = make(backend, np.ones((2, 4), dtype=np.float32))
    with pytest.raises(IndexError, match=rf"{layer_class.__name__}: dim {dim} is out of range for an input of 2 "
                                         r"dimensions \(shape \(2, 4\)\); expected a dim in \[-2, 1\]"):
        layer_class(dim=dim)(x)
    with pytest.raises(IndexError):  # PyTorch raises IndexError too
        getattr(torch.nn, layer_class.__name__)(dim=dim)(torch.ones(2, 4))


@pytest.mark.parametrize("fn", [F.softmax, F.log_softmax, F.glu])
def test_functional_dim_past_the_rank_names_the_function(backend, fn):
    x = make(backend, np.ones((2, 4), dtype=np.float32))
    with pytest.raises(IndexError, match=rf"{fn.__name__}: dim 3 is out of range"):
        fn(x, dim=3)
    np.testing.assert_allclose(F.softmax(x, dim=-2).numpy(), np.full((2, 4), 0.5), rtol=1e-6)


@pytest.mark.parametrize("rows_shape", [(0, 3), (0, 3, 5)])
def test_predict_on_zero_rows_returns_an_empty_result(backend, rows_shape):
    model = nn.Sequential(nn.Linear(rows_shape[-1], 4), nn.ReLU(), nn.Linear(4, 2), backend=backend, seed=0)
    x = make(backend, np.ones(rows_shape, dtype=np.float32))
    for batch_size in (None, 2):
        out = predict(model, x, batch_size=batch_size)
        assert tuple(out.shape) == rows_shape[:-1] + (2,) and out.backend == backend
    assert model.training  # left as it was


@pytest.mark.skipif(torch.cuda.is_available(), reason="this PyTorch has CUDA")
@pytest.mark.parametrize("name", ["torch:cuda:0", "torch:cuda", "torch:cuda:7"])
def test_cuda_on_a_pytorch_without_cuda_is_backend_unavailable(name):
    with pytest.raises(BackendUnavailable, match=r"torch:cuda.*unavailable.*backend='torch'"):
        get_backend(name)
    with pytest.raises(BackendUnavailable):
        nn.Linear(2, 3, backend=name)
    with pytest.raises(BackendUnavailable):
        anynn.tensor([1.0, 2.0], backend=name)


def test_an_unknown_torch_device_is_backend_unavailable():
    with pytest.raises(BackendUnavailable, match="banana"):
        get_backend("torch:banana")


# a refusal is an instance of PyTorch's class for the same call (anynn's classes are also Python's TypeError /
# ValueError): before, these raised a plain TypeError, ValueError or IndexError that `except NotImplementedError`,
# `except AssertionError` or `except RuntimeError` written for PyTorch did not catch
def _ints(lib, *shape):
    return lib.arange(int(np.prod(shape))).reshape(*shape)


PYTORCH_CLASSES = {  # name: (call(lib), PyTorch's class)
    "ELU on int64": (lambda lib: lib.nn.ELU()(_ints(lib, 2, 3)), NotImplementedError),
    "F.elu on int64": (lambda lib: lib.nn.functional.elu(_ints(lib, 2, 3)), NotImplementedError),
    "ReLU on complex": (lambda lib: lib.nn.ReLU()(_ints(lib, 2, 3) * 1j), NotImplementedError),
    "AdaptiveAvgPool1d on int64": (lambda lib: lib.nn.AdaptiveAvgPool1d(2)(_ints(lib, 1, 2, 4)), NotImplementedError),
    "BatchNorm1d on int64": (lambda lib: lib.nn.BatchNorm1d(3)(_ints(lib, 4, 3)), NotImplementedError),
    "NLLLoss of complex": (lambda lib: lib.nn.NLLLoss()(_ints(lib, 2, 3) * 1j, lib.tensor([0, 1])),
                           NotImplementedError),
    "Upsample of 2-D": (lambda lib: lib.nn.Upsample(scale_factor=2)(lib.ones(2, 3)), NotImplementedError),
    "RNN of float64": (lambda lib: lib.nn.RNN(4, 3)(lib.ones(5, 2, 4, dtype=lib.float64)), ValueError),
    "MultiheadAttention embed_dim": (lambda lib: lib.nn.MultiheadAttention(4, 2)(*[lib.ones(3, 2, 6)] * 3),
                                     AssertionError),
    "MultiheadAttention key/value": (lambda lib: lib.nn.MultiheadAttention(4, 2)(
        lib.ones(3, 2, 4), lib.ones(3, 2, 4), lib.ones(5, 2, 4)), AssertionError),
    "MultiMarginLoss target": (lambda lib: lib.nn.MultiMarginLoss()(lib.ones(2, 4), lib.tensor([0, 4])),
                               RuntimeError),
    "EmbeddingBag index": (lambda lib: lib.nn.EmbeddingBag(10, 3)(lib.tensor([[10]])), RuntimeError),
    "BatchNorm1d on complex": (lambda lib: lib.nn.BatchNorm1d(3)(_ints(lib, 4, 3) * 1j), NotImplementedError),
    "F.dropout of complex": (lambda lib: lib.nn.functional.dropout(_ints(lib, 2, 3) * 1j), NotImplementedError),
    "F.conv3d below the kernel": (lambda lib: lib.nn.functional.conv3d(lib.ones(1, 1, 2, 2, 2),
                                                                       lib.ones(1, 1, 3, 3, 3)), RuntimeError),
    "F.bilinear batch sizes": (lambda lib: lib.nn.functional.bilinear(lib.ones(2, 4), lib.ones(3, 5),
                                                                      lib.ones(3, 4, 5)), RuntimeError),
    "ChannelShuffle of 1-D": (lambda lib: lib.nn.ChannelShuffle(2)(lib.ones(4)), RuntimeError),
    "F.relu of a list": (lambda lib: lib.nn.functional.relu([1.0, -1.0]), TypeError),
    "F.elu of None": (lambda lib: lib.nn.functional.elu(None), TypeError),
    "F.softmax of a list": (lambda lib: lib.nn.functional.softmax([1.0, -1.0], 0), AttributeError),
}


@pytest.mark.parametrize("name", sorted(PYTORCH_CLASSES))
def test_refusals_are_instances_of_pytorchs_class(name):
    call, error = PYTORCH_CLASSES[name]
    for lib in (torch, anynn):
        with pytest.raises(error):
            call(lib)
