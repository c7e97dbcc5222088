"""Every layer and loss of `anynn.nn` given bad input: a foreign array, a Tensor of another backend, integer and
bool dtypes, a wrong rank or size, an empty batch, NaN/inf/huge values. Each is either handled as PyTorch handles
it or refused with an error that names the layer; never an error out of NumPy, PyTorch or array-api-strict.

The recipes (tests/layer_recipes.py) are discovered against `anynn.nn`: a new module without one fails here."""

from __future__ import annotations

import inspect
import warnings

import numpy as np
import pytest

import anynn
from anynn import nn
from anynn.backend import BackendMismatch, get_backend
from anynn.functional.value_checks import InvalidValueError, KernelNotImplementedError
from tests.nn.layer_recipes import CONTAINERS, RECIPES

# text of errors raised inside the array libraries: none of it may reach the user unexplained
LIBRARY_PHRASES = ("numpy boolean", "Only floating-point dtypes are allowed", "Only real numeric",
                   "Only numeric dtypes", "Python float scalars", "Python int scalars", "Unsupported dtype",
                   "not implemented for",
                   "axes don't match", "cannot reshape", "zero-size array", "needs at least one Tensor input",
                   "has no attribute", "can't be cast", "operands could not be broadcast", "is out of bounds for axis",
                   "tuple index out of range", "modulo by zero", "for random")
NAMES = sorted(RECIPES)
# a loss refuses values it has no meaning for (BCELoss: probabilities outside [0, 1], as PyTorch does)
REFUSES_VALUES = {"BCELoss"}


def _module_classes() -> set[str]:
    return {n for n, c in vars(nn).items() if inspect.isclass(c) and issubclass(c, nn.Module)}


def test_every_module_of_anynn_nn_has_a_recipe():
    missing = sorted(_module_classes() - set(RECIPES) - CONTAINERS)
    assert not missing, f"add a recipe to tests/nn/layer_recipes.py for: {missing}"
    assert not set(RECIPES) - _module_classes()


def _other(backend):
    return get_backend("numpy" if backend.key.startswith("torch") else "torch")


def _tensor(array, backend, dtype=None):
    array = np.asarray(array)
    return anynn.tensor(array, backend=backend, dtype=dtype or array.dtype.name)


def _build(name, backend):
    anynn.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return RECIPES[name].make(backend)


def _call(module, inputs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # implicit-dim and nested-tensor warnings are not what is tested
        return module(*inputs)


def _assert_names_the_layer(name, error):
    message = str(error)
    # a lazy layer after its first call is the eager layer (nn.Linear for LazyLinear), and is named so
    assert name.removeprefix("Lazy") in message, \
        f"{name}: the error does not name the layer: {type(error).__name__}: {message}"
    # (anynn's own refusal of a dtype PyTorch's kernel lacks quotes PyTorch's words: "... not implemented for 'Long'")
    leaked = [p for p in LIBRARY_PHRASES if p in message and not isinstance(error, KernelNotImplementedError)]
    assert not leaked, f"{name}: a library's error reached the user: {type(error).__name__}: {message}"


def _outputs(result):
    return [r for r in (result if isinstance(result, tuple) else (result,)) if isinstance(r, anynn.Tensor)]


@pytest.mark.parametrize("name", NAMES)
def test_a_valid_input_runs(backend, name):
    module = _build(name, backend)
    out = _call(module, [_tensor(a, backend) for a in RECIPES[name].inputs()])
    assert all(o.backend == backend for o in _outputs(out))


@pytest.mark.parametrize("name", NAMES)
def test_a_foreign_array_instead_of_a_tensor_is_a_type_error_naming_the_layer(backend, name):
    if name == "Identity":
        pytest.skip("Identity returns its argument, whatever it is (PyTorch's too)")
    module = _build(name, backend)
    arrays = RECIPES[name].inputs()
    with pytest.raises(TypeError) as info:
        _call(module, [arrays[0]] + [_tensor(a, backend) for a in arrays[1:]])
    _assert_names_the_layer(name, info.value)
    assert "anynn.tensor" in str(info.value)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("kind", ["list", "float"])
def test_a_python_list_or_number_instead_of_a_tensor_is_a_type_error_naming_the_layer(name, kind):
    # PyTorch: TypeError "argument 'input' must be Tensor, not list", AttributeError from its Python-written layers
    # and losses ('list' object has no attribute 'dim' / 'size'): anynn's error is both (a TypeError only before)
    if name == "Identity":
        pytest.skip("Identity returns its argument, whatever it is (PyTorch's too)")
    backend = get_backend("numpy")
    module = _build(name, backend)
    arrays = RECIPES[name].inputs()
    first = arrays[0].tolist() if kind == "list" else float(arrays[0].flat[0])
    with pytest.raises(TypeError) as info:
        _call(module, [first] + [_tensor(a, backend) for a in arrays[1:]])
    _assert_names_the_layer(name, info.value)
    assert "Tensor" in str(info.value) and type(first).__name__ in str(info.value)
    # (these four call a C function at once in PyTorch: its TypeError alone)
    assert isinstance(info.value, AttributeError) or name in {"CTCLoss", "CosineSimilarity", "PairwiseDistance",
                                                              "Unfold"}


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("which", ["first", "others"])
def test_an_input_on_another_backend_is_refused_naming_the_layer(backend, name, which):
    module = _build(name, backend)
    arrays = RECIPES[name].inputs()
    if which == "others" and len(arrays) == 1:
        pytest.skip("one input")
    other = _other(backend)
    inputs = [_tensor(a, other if (i == 0) == (which == "first") else backend) for i, a in enumerate(arrays)]
    if not list(module.parameters()) and len(arrays) == 1:
        out = _call(module, inputs)  # nothing to mismatch: the layer runs on the input's backend
        assert all(o.backend == other for o in _outputs(out))
        return
    with pytest.raises(BackendMismatch) as info:
        _call(module, inputs)
    _assert_names_the_layer(name, info.value)


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("dtype", ["int64", "int32", "bool", "float64"])
def test_another_dtype_runs_or_is_a_type_error_naming_the_layer(backend, name, dtype):
    module = _build(name, backend)
    arrays = RECIPES[name].inputs()
    inputs = [_tensor((a > 0) if dtype == "bool" else a, backend, dtype) if a.dtype.kind == "f" else _tensor(a, backend)
              for a in arrays]
    try:
        out = _call(module, inputs)
    except TypeError as error:
        _assert_names_the_layer(name, error)
        assert list(module.parameters()) or dtype != "float64", f"{name} refuses float64 without parameters"
        return
    except InvalidValueError as error:  # BCELoss of bool/int 0/1 "probabilities" stays in [0, 1]: never here
        pytest.fail(f"{name}: {error}")
    # (PyTorch's RMSNorm, a composite, takes any floating input: the result in the input's dtype)
    assert not list(module.parameters()) or name.startswith(("Embedding", "MaxUnpool")) or name == "RMSNorm", \
        f"{name}: a layer with float32 parameters ran on {dtype} input (PyTorch refuses the dtype mismatch)"
    for o in _outputs(out):
        assert o.backend == backend


def test_anynns_own_error_classes_name_the_layer_too():
    # UnsupportedDTypeError (a TypeError and a RuntimeError) raised by the function inside: PyTorch's message for
    # CTCLoss of float16 names no layer either ("ctc_loss_cpu" not implemented for 'Half')
    backend = get_backend("numpy")
    arrays = RECIPES["CTCLoss"].inputs()
    inputs = [_tensor(arrays[0], backend, "float16")] + [_tensor(a, backend) for a in arrays[1:]]
    with pytest.raises(TypeError) as info:
        _call(_build("CTCLoss", backend), inputs)
    _assert_names_the_layer("CTCLoss", info.value)
    assert str(info.value).startswith("CTCLoss: ctc_loss: log_probs must be float32 or float64")


@pytest.mark.parametrize("case", [(n, k) for n in NAMES for k in range(len(RECIPES[n].bad))],
                         ids=lambda c: f"{c[0]}-{c[1]}")
def test_a_wrong_shape_is_refused_naming_the_layer(backend, case):
    name, k = case
    module = _build(name, backend)
    with pytest.raises((ValueError, IndexError, RuntimeError)) as info:
        _call(module, [_tensor(a, backend) for a in RECIPES[name].bad[k]()])
    _assert_names_the_layer(name, info.value)


@pytest.mark.parametrize("name", NAMES)
def test_a_0d_input_runs_or_is_refused_naming_the_layer(name):
    # PyTorch runs the elementwise layers on a 0-d tensor and refuses the rest ("dimension out of range", "glu does
    # not support scalars", PReLU's "Not allow zero-dim input tensor"); the shape logic is the same on every backend
    backend = get_backend("numpy")
    module = _build(name, backend)
    arrays = RECIPES[name].inputs()
    arrays[0] = arrays[0].reshape(-1)[0].reshape(())
    try:
        with np.errstate(all="ignore"):
            out = _call(module, [_tensor(a, backend) for a in arrays])
    except (ValueError, IndexError, RuntimeError, TypeError) as error:
        _assert_names_the_layer(name, error)
        return
    assert all(o.backend == backend for o in _outputs(out))


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_batch_gives_an_empty_result(backend, name):
    recipe = RECIPES[name]
    module = _build(name, backend)
    arrays = [a[:0] if a.ndim else a for a in recipe.inputs()]  # sequence-first layers: a zero-length sequence
    if name in ("RNN", "GRU", "LSTM"):  # PyTorch refuses a zero-length sequence too (its RuntimeError)
        with pytest.raises(RuntimeError, match=f"{name}: expected a sequence length larger than 0"):
            _call(module, [_tensor(a, backend) for a in arrays])
        return
    if name == "CTCLoss":  # PyTorch refuses empty log-probabilities too
        with pytest.raises(RuntimeError, match="log_probs tensor must not be empty") as info:
            _call(module, [_tensor(a, backend) for a in arrays])
        _assert_names_the_layer(name, info.value)
        return
    stats = name.removeprefix("Lazy").startswith(("BatchNorm", "SyncBatchNorm")) and not name.startswith("Lazy")
    if stats:  # PyTorch's empty batch: input * weight[0] + bias[0], the running statistics untouched (it was refused)
        before = module.running_mean.numpy().copy()
    out = _call(module, [_tensor(a, backend) for a in arrays])
    if stats:
        np.testing.assert_array_equal(module.running_mean.numpy(), before)
        assert int(module.num_batches_tracked.item()) == 1
    for o in _outputs(out):
        assert o.backend == backend
        assert o.ndim == 0 or 0 in tuple(o.shape) or name.endswith("Loss") or name == "EmbeddingBag"


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf, 3e38])
def test_nan_inf_and_huge_values_flow_through_without_an_error(backend, name, value):
    module = _build(name, backend)
    arrays = RECIPES[name].inputs()
    arrays[0] = np.full_like(arrays[0], value) if arrays[0].dtype.kind == "f" else arrays[0]
    inputs = [_tensor(a, backend) for a in arrays]
    if name in REFUSES_VALUES:
        with pytest.raises(InvalidValueError, match=name):
            _call(module, inputs)
        return
    with np.errstate(all="ignore"):
        out = _call(module, inputs)
    assert all(o.backend == backend for o in _outputs(out))


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))

    def forward(self, x):
        return self.body(x)


def test_an_error_deep_in_a_model_names_the_layer_and_where_it_sits(backend):
    model = _Net()
    model.to(backend=backend)
    with pytest.raises(RuntimeError) as info:  # PyTorch's class (the layer-dimensions recipe catches it)
        model(_tensor(np.ones((3, 5), np.float32), backend))
    assert isinstance(info.value, ValueError)
    message = str(info.value)
    assert message.startswith("Linear: expected input with 4 features"), message
    assert message.endswith("(in _Net, submodule 'body.0' (Linear))"), message


@pytest.mark.parametrize("make, shape", [
    (lambda m: m.nn.Conv2d(3, 2, 3), (1, 4, 8, 8)), (lambda m: m.nn.Conv1d(3, 2, 3), (1, 3, 4, 8)),
    (lambda m: m.nn.BatchNorm1d(3), (4, 5)), (lambda m: m.nn.LayerNorm(4), (2, 5)),
    (lambda m: m.nn.GroupNorm(2, 4), (2, 6, 3)), (lambda m: m.nn.MaxPool2d(2), (8,)),
    (lambda m: m.nn.ConvTranspose2d(3, 2, 3), (1, 4, 8, 8)), (lambda m: m.nn.GRU(4, 3), (2, 1, 5))])
def test_a_wrong_input_shape_of_a_layer_is_a_runtime_error_as_pytorchs(make, shape):
    torch = pytest.importorskip("torch")
    with pytest.raises(RuntimeError):
        make(torch)(torch.ones(*shape))
    with pytest.raises(RuntimeError) as info:  # and a ValueError: code written for anynn catches that
        make(anynn)(anynn.ones(*shape))
    assert isinstance(info.value, ValueError)


def _ones(lib, *shape, integer=False):
    return lib.ones(*shape, dtype=lib.int64) if integer else lib.ones(*shape)


# one wrong-shape call per check site of nn.functional (each a RuntimeError in PyTorch)
FUNCTIONAL_SHAPE_ERRORS = [
    lambda F, m: F.glu(_ones(m, 2, 3)), lambda F, m: F.prelu(_ones(m, 2, 3), _ones(m, 4)),
    lambda F, m: F.scaled_dot_product_attention(_ones(m, 1, 2, 3), _ones(m, 1, 4, 5), _ones(m, 1, 4, 5)),
    lambda F, m: F.bilinear(_ones(m, 2, 3), _ones(m, 2, 4), _ones(m, 5, 3, 3)),
    lambda F, m: F.conv2d(_ones(m, 3, 5), _ones(m, 4, 3, 3, 3)),
    lambda F, m: F.conv1d(_ones(m, 1, 3, 5), _ones(m, 4, 2, 3)),
    lambda F, m: F.conv2d(_ones(m, 1, 3, 2, 2), _ones(m, 4, 3, 3, 3)),
    lambda F, m: F.cosine_similarity(_ones(m, 2, 3), _ones(m, 4, 3)),
    lambda F, m: F.embedding(_ones(m, 2, integer=True), _ones(m, 3)),
    lambda F, m: F.unfold(_ones(m, 1, 1, 2, 2), 3), lambda F, m: F.fold(_ones(m, 1, 5, 4), (3, 3), 2),
    lambda F, m: F.unfold(_ones(m, 1, 1, 2, 4, 4), 2),  # (a ValueError only before)
    lambda F, m: F.conv_transpose2d(_ones(m, 2, 2, 0, 4), _ones(m, 2, 3, 2, 2)),  # (an output came back)
    lambda F, m: F.grid_sample(_ones(m, 1, 1, 2, 2), _ones(m, 2, 3, 3, 2), align_corners=False),
    lambda F, m: F.cross_entropy(_ones(m, 2, 3), _ones(m, 2, integer=True), weight=_ones(m, 4)),
    lambda F, m: F.poisson_nll_loss(_ones(m, 2, 3), _ones(m, 4, 3)),
    lambda F, m: F.cosine_embedding_loss(_ones(m, 2, 3), _ones(m, 2, 3), _ones(m, 3)),
    lambda F, m: F.mse_loss(_ones(m, 2, 3), _ones(m, 4, 3)), lambda F, m: F.kl_div(_ones(m, 2, 3), _ones(m, 4, 3)),
    lambda F, m: F.soft_margin_loss(_ones(m, 2, 3), _ones(m, 4, 3)),
    lambda F, m: F.multi_margin_loss(_ones(m, 2, 3), _ones(m, 4, integer=True)),
    lambda F, m: F.batch_norm(_ones(m, 2, 3), _ones(m, 4), _ones(m, 4)),
    lambda F, m: F.layer_norm(_ones(m, 2, 3), (4,)), lambda F, m: F.group_norm(_ones(m, 2, 6, 4), 4),
    lambda F, m: F.rms_norm(_ones(m, 2, 3), (4,)), lambda F, m: F.pad(_ones(m, 2, 3), (1, 1, 1, 1, 1, 1)),
    lambda F, m: F.pad(_ones(m, 1, 2, 3), (3, 3), mode="reflect"), lambda F, m: F.adaptive_avg_pool2d(_ones(m, 3), 2),
    lambda F, m: F.max_pool2d(_ones(m, 1, 1, 2, 2), 3), lambda F, m: F.pixel_shuffle(_ones(m, 1, 3, 2, 2), 2),
]


def test_a_wrong_input_shape_of_a_function_is_a_runtime_error_as_pytorchs():
    """nn.functional's shape checks raise PyTorch's RuntimeError (and still a ValueError); they raised a plain
    ValueError, which a port's 'except RuntimeError' did not catch."""
    torch = pytest.importorskip("torch")
    for index, call in enumerate(FUNCTIONAL_SHAPE_ERRORS):
        with pytest.raises(RuntimeError):
            call(torch.nn.functional, torch)
        with pytest.raises(RuntimeError) as info:
            call(anynn.nn.functional, anynn)
        assert isinstance(info.value, ValueError), index


FUNCTIONS_TAKING_A_TENSOR = [  # (call, what is not a Tensor) with PyTorch's TypeError; AttributeError '... ndim' before
    lambda F, m, x: F.pad(x, (1, 1)), lambda F, m, x: F.prelu(x, _ones(m, 1)), lambda F, m, x: F.prelu(_ones(m, 2), x),
    lambda F, m, x: F.fold(x, (3, 3), 2), lambda F, m, x: F.channel_shuffle(x, 2), lambda F, m, x: F.pdist(x),
    lambda F, m, x: F.grid_sample(x, _ones(m, 1, 2, 2, 2), align_corners=False), lambda F, m, x: F.one_hot(x, 3),
    lambda F, m, x: F.max_pool2d_with_indices(x, 2), lambda F, m, x: F.adaptive_max_pool1d_with_indices(x, 2),
    lambda F, m, x: F.alpha_dropout(x), lambda F, m, x: F.feature_alpha_dropout(x, training=True),
    lambda F, m, x: F.multi_margin_loss(x, _ones(m, 2).long()), lambda F, m, x: m.nn.PReLU(3)(x),
    lambda F, m, x: F.linear(x, _ones(m, 2, 2)), lambda F, m, x: F.linear(_ones(m, 2), x),
    lambda F, m, x: F.conv1d(x, _ones(m, 1, 1, 1)), lambda F, m, x: F.conv_transpose2d(_ones(m, 1, 1, 2, 2), x),
    lambda F, m, x: F.conv3d(x, _ones(m, 1, 1, 1, 1, 1)), lambda F, m, x: m.matmul(_ones(m, 2), x),
    lambda F, m, x: m.dot(_ones(m, 2), x), lambda F, m, x: m.outer(x, _ones(m, 2)), lambda F, m, x: m.bmm(x, x),
    lambda F, m, x: m.mm(_ones(m, 2, 2), x), lambda F, m, x: m.cat([_ones(m, 2), x]),
    lambda F, m, x: m.stack([_ones(m, 2), x]), lambda F, m, x: m.hstack([_ones(m, 2), x]),
    lambda F, m, x: m.kron(_ones(m, 2), x), lambda F, m, x: m.binomial(_ones(m, 2), x),
    lambda F, m, x: m.broadcast_tensors(_ones(m, 2), x), lambda F, m, x: m.bucketize(_ones(m, 2), x),
    lambda F, m, x: m.complex(_ones(m, 2), x), lambda F, m, x: m.polar(_ones(m, 2), x),
    lambda F, m, x: m.equal(_ones(m, 2), x), lambda F, m, x: m.heaviside(_ones(m, 2), x),
    lambda F, m, x: m.inner(_ones(m, 2), x), lambda F, m, x: m.logaddexp2(_ones(m, 2), x),
    lambda F, m, x: m.masked_select(_ones(m, 2), x), lambda F, m, x: m.mv(_ones(m, 2, 2), x),
    lambda F, m, x: m.orgqr(_ones(m, 2, 2), x), lambda F, m, x: _ones(m, 2, 2).orgqr(x),
    lambda F, m, x: _ones(m, 2).view_as(x), lambda F, m, x: _ones(m, 2).reshape_as(x),
    lambda F, m, x: _ones(m, 2).type_as(x), lambda F, m, x: _ones(m, 2).expand_as(x),
    lambda F, m, x: F.soft_margin_loss(_ones(m, 2), x),
]


@pytest.mark.parametrize("value", [None, [[1.0, 2.0]], 3])
def test_a_function_given_no_tensor_raises_pytorchs_type_error(value):
    """F.pad(None, ...), F.prelu([[1.0]], w)...: PyTorch's TypeError 'argument ... must be Tensor, not NoneType' (an
    AttributeError too, as from its Python-written functions); anynn read .ndim first (AttributeError only), and
    alpha_dropout returned the argument."""
    torch = pytest.importorskip("torch")
    for index, call in enumerate(FUNCTIONS_TAKING_A_TENSOR):
        with pytest.raises(TypeError, match="must be Tensor|expected Tensor|invalid combination of arguments"):
            call(torch.nn.functional, torch, value)
        with pytest.raises(TypeError) as info:
            call(anynn.nn.functional, anynn, value)
        assert isinstance(info.value, AttributeError) and "Tensor" in str(info.value), index


def _f64(lib, *shape):
    return lib.ones(*shape, dtype=lib.float64)


FUNCTIONAL_DTYPE_ERRORS = [  # PyTorch's RuntimeError for operands of two dtypes (anynn promoted, cast or TypeError)
    lambda F, m: F.layer_norm(_ones(m, 2, 3), (3,), _f64(m, 3)),
    lambda F, m: F.group_norm(_f64(m, 2, 4), 2, _ones(m, 4)),
    lambda F, m: F.batch_norm(_ones(m, 2, 3), _f64(m, 3), _f64(m, 3)),
    lambda F, m: F.nll_loss(_ones(m, 2, 3), _ones(m, 2, integer=True), weight=_f64(m, 3)),
    lambda F, m: F.cross_entropy(_f64(m, 2, 3), _ones(m, 2, integer=True), weight=_ones(m, 3)),
    lambda F, m: F.multi_margin_loss(_ones(m, 2, 3), _ones(m, 2, integer=True), weight=_f64(m, 3)),
    lambda F, m: F.binary_cross_entropy(_ones(m, 2, 3) * 0.5, _f64(m, 2, 3)),
    lambda F, m: _ones(m, 3).scatter(0, m.tensor([0]), _f64(m, 1)),
    lambda F, m: F.grid_sample(_ones(m, 1, 1, 3, 3), _f64(m, 1, 2, 2, 2), align_corners=False),
    lambda F, m: F.scaled_dot_product_attention(*[_ones(m, 1, 2, 3, integer=True)] * 3),  # (computed in float64)
]


def test_operands_of_two_dtypes_are_a_runtime_error_as_pytorchs():
    torch = pytest.importorskip("torch")
    for index, call in enumerate(FUNCTIONAL_DTYPE_ERRORS):
        with pytest.raises(RuntimeError):
            call(torch.nn.functional, torch)
        with pytest.raises(RuntimeError) as info:
            call(anynn.nn.functional, anynn)
        assert isinstance(info.value, TypeError) and ("float64" in str(info.value) or "int64" in str(info.value)), index
    # float32 parameters beside a float16 input stay accepted, as PyTorch's CPU kernels take them
    assert anynn.nn.functional.layer_norm(anynn.ones(2, 3, dtype=anynn.float16), (3,), anynn.ones(3)).shape == (2, 3)


def test_an_error_of_a_function_inside_a_users_forward_names_the_module(backend):
    class Head(nn.Module):
        def forward(self, x):
            return anynn.functional.softmax(x, dim=5)

    with pytest.raises(IndexError, match=r"^Head: softmax: dim 5 is out of range"):
        Head()(_tensor(np.ones((2, 3), np.float32), backend))


def test_an_error_that_is_not_about_input_passes_through_unchanged():
    class Fails(nn.Module):
        def forward(self, x):
            raise KeyError("a key")

    with pytest.raises(KeyError) as info:
        Fails()(anynn.tensor([1.0]))
    assert info.value.args == ("a key",)


@pytest.mark.parametrize("layer, dtype, expected", [
    (nn.Sigmoid(), "int64", "float32"), (nn.Tanh(), "bool", "float32"), (nn.Softsign(), "int32", "float32"),
    (nn.ReLU(), "int64", "int64"), (nn.ReLU6(), "int32", "int32"), (nn.Hardtanh(), "int64", "int64"),
    (nn.Threshold(0.5, 7.0), "int64", "int64"),
], ids=lambda v: type(v).__name__ if isinstance(v, nn.Module) else str(v))
def test_activations_that_pytorch_runs_on_integers_run_here_with_pytorchs_result_dtype(backend, layer, dtype, expected):
    import torch

    values = np.array([[-3, -1, 0, 1, 2, 9]])
    x = _tensor(values.astype(dtype) if dtype != "bool" else values > 0, backend)
    ref = getattr(torch.nn, type(layer).__name__)(*([0.5, 7.0] if isinstance(layer, nn.Threshold) else []))(
        torch.tensor(values.astype(dtype) if dtype != "bool" else values > 0))
    out = layer(x)
    assert anynn.backend.dtype_name(out.dtype) == expected == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
