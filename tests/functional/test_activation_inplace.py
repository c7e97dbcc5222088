"""``inplace=True`` of the activations and dropouts, their ``F.relu_``-style names, ``anynn.relu_`` and
``Tensor.relu_``: the input is overwritten and returned as PyTorch does (values, gradients through a non-leaf,
the leaf error, the version counter), on every backend (JAX: the tensor's array is rebound)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.nn as nn
import anynn.nn.functional as F
from tests.helpers import check_gradients, compare_with_torch, make

pytestmark = pytest.mark.jax

# (name, keyword arguments beyond input, kinks); F.<name>(x, **kw, inplace=True) in both libraries
INPLACE = [
    ("relu", {}, (0.0,)),
    ("relu6", {}, (0.0, 6.0)),
    ("elu", {"alpha": 0.7}, (0.0,)),
    ("leaky_relu", {"negative_slope": 0.2}, (0.0,)),
    ("hardtanh", {"min_val": -2.0, "max_val": 0.5}, (-2.0, 0.5)),
    ("selu", {}, (0.0,)),
    ("celu", {"alpha": 1.5}, (0.0,)),
    ("silu", {}, ()),
    ("mish", {}, ()),
    ("hardswish", {}, (-3.0, 3.0)),
    ("hardsigmoid", {}, (-3.0, 3.0)),
    ("threshold", {"threshold": 0.3, "value": -2.0}, (0.3,)),
    ("rrelu", {"lower": 0.1, "upper": 0.3, "training": False}, (0.0,)),
]
IDS = [row[0] for row in INPLACE]


def sample(kinks: tuple[float, ...], shape: tuple[int, ...] = (3, 4), seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).uniform(-5.0, 5.0, shape)
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
    return x


@pytest.mark.parametrize("name, kw, kinks", INPLACE, ids=IDS)
def test_inplace_overwrites_and_returns_the_input_as_torch(backend, name, kw, kinks):
    x = sample(kinks)
    ours, theirs = make(backend, x), torch.tensor(x)
    out, ref = getattr(F, name)(ours, **kw, inplace=True), getattr(TF, name)(theirs, **kw, inplace=True)
    assert ref is theirs and out is ours
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    assert ours._version == theirs._version == 1


@pytest.mark.parametrize("name, kw, kinks", INPLACE, ids=IDS)
def test_inplace_on_a_non_leaf_gives_torchs_gradients(backend, name, kw, kinks):
    def ours(x):
        return getattr(F, name)(x * 1.5, **kw, inplace=True)

    def theirs(x):
        return getattr(TF, name)(x * 1.5, **kw, inplace=True)

    # rtol 1e-7: PyTorch's hardsigmoid backward multiplies by a float32 1/6 even in float64
    compare_with_torch(backend, ours, theirs, sample(kinks, seed=1) / 1.5, rtol=1e-7, atol=1e-12)
    check_gradients(backend, ours, sample(kinks, seed=2) / 1.5)


@pytest.mark.parametrize("name, kw, kinks", INPLACE, ids=IDS)
def test_inplace_on_a_leaf_that_requires_grad_raises_as_torch(backend, name, kw, kinks):
    x = sample(kinks)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        getattr(TF, name)(torch.tensor(x, requires_grad=True), **kw, inplace=True)
    leaf = make(backend, x, requires_grad=True)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad is being used in an in-place"):
        getattr(F, name)(leaf, **kw, inplace=True)
    np.testing.assert_array_equal(leaf.numpy(), x)
    with anynn.no_grad():  # PyTorch allows it under no_grad
        getattr(F, name)(leaf, **kw, inplace=True)
    assert leaf._version == 1 and not np.array_equal(leaf.numpy(), x)


def test_an_earlier_use_of_the_input_refuses_backward_as_torch(backend):
    x = sample((0.0,))
    for lib, fn in ((anynn, F.relu), (torch, TF.relu)):
        leaf = make(backend, x, requires_grad=True) if lib is anynn else torch.tensor(x, requires_grad=True)
        h = leaf * 1.0
        product = h * h  # saves h
        fn(h, inplace=True)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            product.sum().backward()


def test_inplace_writes_into_the_shared_numpy_array():
    """As ``torch.from_numpy``: the array behind the tensor sees the change (NumPy arrays are writeable)."""
    ours, theirs = np.array([-1.0, 2.0, -3.0]), np.array([-1.0, 2.0, -3.0])
    F.relu(anynn.from_numpy(ours), inplace=True)
    TF.relu(torch.from_numpy(theirs), inplace=True)
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, [0.0, 2.0, 0.0])


UNDERSCORED = [
    ("relu_", {}), ("elu_", {"alpha": 0.5}), ("leaky_relu_", {"negative_slope": 0.3}),
    ("hardtanh_", {"min_val": -0.5, "max_val": 2.0}), ("rrelu_", {"lower": 0.2, "upper": 0.4}),
    ("threshold_", {"threshold": 0.1, "value": 7.0}), ("celu_", {"alpha": 2.0}), ("selu_", {}),
]


@pytest.mark.parametrize("name, kw", UNDERSCORED, ids=[row[0] for row in UNDERSCORED])
def test_functional_underscore_names_match_torch(backend, name, kw):
    x = sample((0.0,))
    ours, theirs = make(backend, x), torch.tensor(x)
    assert getattr(F, name)(ours, **kw) is ours
    assert getattr(TF, name)(theirs, **kw) is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


TOP_LEVEL = [
    ("relu", ()), ("relu_", ()), ("selu", ()), ("selu_", ()), ("celu", (0.5,)), ("celu_", (0.5,)),
    ("threshold", (0.2, 3.0)), ("threshold_", (0.2, 3.0)), ("rrelu", ()), ("rrelu_", ()),
    ("sigmoid_", ()), ("tanh_", ()), ("dropout", (0.3, False)), ("dropout_", (0.3, False)),
    ("alpha_dropout", (0.3, False)), ("alpha_dropout_", (0.3, False)), ("feature_alpha_dropout", (0.3, False)),
    ("feature_alpha_dropout_", (0.3, False)),
]


@pytest.mark.parametrize("name, args", TOP_LEVEL, ids=[row[0] for row in TOP_LEVEL])
def test_top_level_names_match_torch(backend, name, args):
    x = sample((0.0,))
    ours, theirs = make(backend, x), torch.tensor(x)
    out, ref = getattr(anynn, name)(ours, *args), getattr(torch, name)(theirs, *args)
    assert (out is ours) == (ref is theirs)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("method", ["relu_", "sigmoid_", "tanh_"])
def test_tensor_methods_match_torch(backend, method):
    x = sample((0.0,))
    ours, theirs = make(backend, x), torch.tensor(x)
    assert getattr(ours, method)() is ours and getattr(theirs, method)() is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    leaf = make(backend, x, requires_grad=True)
    compare_with_torch(backend, lambda t: getattr(t * 2.0, method)(), lambda t: getattr(t * 2.0, method)(), x,
                       rtol=1e-10, atol=1e-12)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        getattr(leaf, method)()


DROPOUTS = [("dropout", (4, 6)), ("dropout1d", (2, 3, 5)), ("dropout2d", (2, 3, 2, 2)),
            ("dropout3d", (2, 3, 2, 2, 1)), ("alpha_dropout", (4, 6)), ("feature_alpha_dropout", (2, 3, 4))]


@pytest.mark.parametrize("p", [0.4, 1.0])
@pytest.mark.parametrize("name, shape", DROPOUTS, ids=[row[0] for row in DROPOUTS])
def test_dropout_inplace_is_the_same_draw_written_into_the_input(backend, name, shape, p):
    if p == 1.0 and name in ("dropout1d", "dropout2d", "dropout3d"):
        pytest.skip("as dropout")
    x = sample((), shape) + 10.0  # no element is zero before the drop
    expected = getattr(F, name)(make(backend, x), p, True, generator=5).numpy()
    ours = make(backend, x)
    assert getattr(F, name)(ours, p, True, inplace=True, generator=5) is ours
    np.testing.assert_array_equal(ours.numpy(), expected)
    assert ours._version == 1
    # gradients through a non-leaf: the mask's, as out of place
    leaf = make(backend, x, requires_grad=True)
    getattr(F, name)(leaf * 1.0, p, True, inplace=True, generator=5).sum().backward()
    reference = make(backend, x, requires_grad=True)
    getattr(F, name)(reference, p, True, generator=5).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), reference.grad.numpy(), rtol=1e-6)
    # identity: the input itself, untouched, as PyTorch
    theirs = torch.tensor(x)
    assert getattr(TF, name)(theirs, p, False, inplace=True) is theirs
    assert getattr(F, name)(ours, p, False, inplace=True) is ours and ours._version == 1


# (layer, constructor arguments with inplace=True, input shape); compared with torch.nn's twin
LAYERS = [
    ("ReLU", {}, (3, 4)), ("ReLU6", {}, (3, 4)), ("SELU", {}, (3, 4)), ("SiLU", {}, (3, 4)), ("Mish", {}, (3, 4)),
    ("Hardswish", {}, (3, 4)), ("Hardsigmoid", {}, (3, 4)), ("LeakyReLU", {"negative_slope": 0.2}, (3, 4)),
    ("ELU", {"alpha": 0.5}, (3, 4)), ("CELU", {"alpha": 0.5}, (3, 4)),
    ("Threshold", {"threshold": 0.1, "value": 20.0}, (3, 4)), ("Hardtanh", {"min_val": -2.0, "max_val": 2.0}, (3, 4)),
    ("RReLU", {"lower": 0.1, "upper": 0.2}, (3, 4)),  # compared in eval mode (deterministic)
    ("Dropout", {"p": 0.5}, (3, 4)), ("AlphaDropout", {"p": 0.5}, (3, 4)),
]


@pytest.mark.parametrize("name, kw, shape", LAYERS, ids=[row[0] for row in LAYERS])
def test_layers_with_inplace_overwrite_their_input_as_torch(backend, name, kw, shape):
    ours_layer, their_layer = getattr(nn, name)(**kw, inplace=True), getattr(torch.nn, name)(**kw, inplace=True)
    if name in ("RReLU", "Dropout", "AlphaDropout"):
        ours_layer.eval()
        their_layer.eval()
    x = sample((0.0, 0.1), shape)
    ours, theirs = make(backend, x), torch.tensor(x)
    assert ours_layer(ours) is ours and their_layer(theirs) is theirs
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)
    compare_with_torch(backend, lambda t: ours_layer(t * 1.0), lambda t: their_layer(t * 1.0), x,
                       rtol=1e-7, atol=1e-12)


@pytest.mark.parametrize("name", ["Dropout", "Dropout1d", "Dropout2d", "AlphaDropout", "FeatureAlphaDropout", "RReLU"])
def test_random_layers_in_training_write_into_their_input(backend, name):
    x = sample((), (2, 3, 4) if name == "Dropout1d" else (2, 3, 2, 2)) + (-10.0 if name == "RReLU" else 10.0)
    layer = getattr(nn, name)(inplace=True)
    ours = make(backend, x)
    assert layer(ours) is ours and ours._version == 1
    assert not np.array_equal(ours.numpy(), x)


def test_integer_input_of_an_inplace_relu_stays_integer_and_is_overwritten(backend):
    x = np.array([[-3, 2], [0, -1]], dtype=np.int64)
    ours, theirs = make(backend, x), torch.tensor(x)
    assert nn.ReLU(inplace=True)(ours) is ours and torch.nn.ReLU(inplace=True)(theirs) is theirs
    assert ours.dtype == anynn.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    for relu_ in (F.relu_, anynn.relu_, lambda t: t.relu_()):  # the in-place names too (they raised on integers)
        ours = make(backend, x)
        assert relu_(ours) is ours and ours.dtype == anynn.int64
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_inplace_without_an_anynn_tensor_says_what_to_do():
    with pytest.raises(TypeError, match="relu_: inplace=True changes an anynn Tensor"):
        F.relu(np.array([-1.0, 1.0]), inplace=True)
