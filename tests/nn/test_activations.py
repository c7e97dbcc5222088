"""Every activation from ONE table (`ACTIVATIONS`: one row per activation and setting, naming its function in
anynn.functional, its layer in anynn.nn and their arguments; PyTorch's twins are found by the same names in
torch.nn.functional (else torch) and torch.nn). Each row gets: a float64 gradient check on every backend; the
function against PyTorch in float64 and float32 on every backend (values, shape, dtype, input gradient; inputs past
every clamp and saturation); float32 kept float32 forward and backward; finite values and gradients for float32
inputs of +-1e4, compared with PyTorch; the layer against torch.nn's with the same arguments; the layer's constructor
signature against PyTorch's. Rows with ``method`` also check the Tensor method of that name. Adding an activation is
one row. Below the table: PReLU's learnable slope, the refusals, softmax's implicit dim, RReLU's random slopes."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import anynn
import anynn.functional as F
from anynn.backend import dtype_name
from anynn.functional import activation as A

from tests.helpers import check_gradients, compare_with_torch, copy_torch_weights, make, torch_oracle

DTYPES = ["float32", "float64"]
# the tightest tolerances any earlier table held its rows to
TOLERANCE = {"float64": dict(rtol=1e-7, atol=1e-9), "float32": dict(rtol=1e-4, atol=1e-5)}
TORCH_DTYPE = {"float64": torch.float64, "float32": torch.float32}


@dataclass(frozen=True)
class Act:
    """One activation and setting: ``function`` in anynn.functional and ``module`` in anynn.nn (either may be None)
    called with ``kwargs``; ``kinks`` where finite differences must not straddle; ``method``: Tensor.<function> too;
    ``jax``: the function's PyTorch comparison is in the jax subset; ``torch_at_huge``: PyTorch stays finite at +-1e4
    (False where it overflows and anynn does not: then anynn's value at 1e4 must be 1e4)."""

    id: str
    function: str | None
    module: str | None
    kwargs: dict[str, Any] = field(default_factory=dict)
    kinks: tuple[float, ...] = ()
    method: bool = False
    jax: bool = False
    torch_at_huge: bool = True


def act(id: str, function: str | None, module: str | None, kinks: tuple[float, ...] = (), *, method: bool = False,
        jax: bool = False, torch_at_huge: bool = True, **kwargs: Any) -> Act:
    return Act(id, function, module, kwargs, kinks, method, jax, torch_at_huge)


ACTIVATIONS = [
    act("sigmoid", "sigmoid", "Sigmoid", jax=True),
    act("tanh", "tanh", "Tanh", jax=True),
    act("relu", "relu", "ReLU", (0.0,), jax=True),
    act("leaky_relu", "leaky_relu", "LeakyReLU", (0.0,), jax=True),
    act("leaky_relu_0.2", "leaky_relu", "LeakyReLU", (0.0,), jax=True, negative_slope=0.2),
    act("leaky_relu_0.3", "leaky_relu", "LeakyReLU", (0.0,), negative_slope=0.3),
    act("leaky_relu_neg", "leaky_relu", "LeakyReLU", (0.0,), negative_slope=-0.3),
    act("leaky_relu_big", "leaky_relu", "LeakyReLU", (0.0,), negative_slope=2.0),
    act("elu", "elu", "ELU", (0.0,), jax=True),
    act("elu_alpha", "elu", "ELU", (0.0,), jax=True, alpha=0.5),
    act("elu_0.7", "elu", "ELU", (0.0,), alpha=0.7),
    act("elu_big", "elu", "ELU", (0.0,), alpha=2.5),
    act("selu", "selu", "SELU", (0.0,), jax=True),
    act("celu", "celu", "CELU", (0.0,)),
    act("celu_alpha", "celu", "CELU", (0.0,), alpha=0.5),
    act("celu_0.7", "celu", "CELU", (0.0,), alpha=0.7),
    act("celu_alpha_2", "celu", "CELU", (0.0,), alpha=2.0),
    act("gelu", "gelu", "GELU", jax=True),
    act("gelu_tanh", "gelu", "GELU", jax=True, approximate="tanh"),
    act("silu", "silu", "SiLU", jax=True),
    act("mish", "mish", "Mish", jax=True),
    act("softplus", "softplus", "Softplus", jax=True),
    act("softplus_beta", "softplus", "Softplus", jax=True, beta=2.0),
    act("softplus_threshold", "softplus", "Softplus", (1.5,), jax=True, beta=2.0, threshold=3.0),
    act("softplus_beta_2.5", "softplus", "Softplus", (1.2,), beta=2.5, threshold=3.0),
    act("softplus_small_beta", "softplus", "Softplus", (2.0,), beta=0.5, threshold=1.0),
    act("softplus_2_5", "softplus", "Softplus", (2.5,), beta=2.0, threshold=5.0),
    # PyTorch overflows to inf at 1e4 here (log1p(exp(beta x)) without a shift); anynn stays finite
    act("softplus_beta_no_threshold", "softplus", "Softplus", beta=0.5, threshold=1e9, torch_at_huge=False),
    act("hardtanh", "hardtanh", "Hardtanh", (-1.0, 1.0), jax=True),
    act("hardtanh_range", "hardtanh", "Hardtanh", (-2.0, 0.5), jax=True, min_val=-2.0, max_val=0.5),
    act("hardtanh_-0.5_1.5", "hardtanh", "Hardtanh", (-0.5, 1.5), min_val=-0.5, max_val=1.5),
    act("relu6", "relu6", "ReLU6", (0.0, 6.0), jax=True),
    act("hardswish", "hardswish", "Hardswish", (-3.0, 3.0), jax=True),
    act("hardsigmoid", "hardsigmoid", "Hardsigmoid", (-3.0, 3.0)),
    act("logsigmoid", "logsigmoid", "LogSigmoid"),
    act("softsign", "softsign", "Softsign", (0.0,)),
    act("tanhshrink", "tanhshrink", "Tanhshrink"),
    act("threshold", "threshold", "Threshold", (0.5,), threshold=0.5, value=-2.0),
    act("threshold_neg", "threshold", "Threshold", (-1.0,), threshold=-1.0, value=7.0),
    act("threshold_0.1_20", "threshold", "Threshold", (0.1,), threshold=0.1, value=20.0),
    act("hardshrink", "hardshrink", "Hardshrink", (-0.5, 0.5), method=True),
    act("hardshrink_1", "hardshrink", "Hardshrink", (-1.0, 1.0), method=True, lambd=1.0),
    act("hardshrink_lambd", "hardshrink", "Hardshrink", (-2.0, 2.0), lambd=2.0),
    act("hardshrink_negative", "hardshrink", "Hardshrink", lambd=-1.0),
    act("softshrink", "softshrink", "Softshrink", (-0.5, 0.5)),
    act("softshrink_lambd", "softshrink", "Softshrink", (-1.5, 1.5), lambd=1.5),
    act("softshrink_zero", "softshrink", "Softshrink", (0.0,), lambd=0.0),
    # the layer in eval mode: RReLU's random slopes in training are tested below
    act("rrelu_eval", "rrelu", "RReLU", (0.0,)),
    act("rrelu_eval_range", "rrelu", "RReLU", (0.0,), lower=0.1, upper=0.9),
    act("softmax_dim0", "softmax", "Softmax", method=True, dim=0),
    act("softmax_dim1", "softmax", "Softmax", method=True, dim=1),
    act("softmax_dim-1", "softmax", "Softmax", method=True, dim=-1),
    act("log_softmax_dim0", "log_softmax", "LogSoftmax", method=True, dim=0),
    act("log_softmax_dim1", "log_softmax", "LogSoftmax", method=True, dim=1),
    act("log_softmax_dim-1", "log_softmax", "LogSoftmax", method=True, dim=-1),
    act("log_softmax_dim-2", "log_softmax", "LogSoftmax", dim=-2),
    act("softmin_dim0", "softmin", "Softmin", dim=0),
    act("softmin_dim1", "softmin", "Softmin", dim=1),
    act("softmin_dim-1", "softmin", "Softmin", dim=-1),
    act("glu", "glu", "GLU"),
    act("glu_dim0", "glu", "GLU", dim=0),
    act("glu_dim1", "glu", "GLU", dim=1),
    act("glu_dim-1", "glu", "GLU", dim=-1),
    act("softmax2d", None, "Softmax2d"),
    act("prelu_layer", None, "PReLU", num_parameters=4, init=0.1),
]


def _function_params(jax: bool = False) -> list[Any]:
    """(row, via the Tensor method?) for every row with a function; ``jax`` marks the rows in the jax subset."""
    params = []
    for a in ACTIVATIONS:
        if a.function is None:
            continue
        for method in (False, True) if a.method else (False,):
            marks = [pytest.mark.jax] if jax and a.jax and not method else []
            params.append(pytest.param(a, method, id=a.id + ("-method" if method else ""), marks=marks))
    return params


FUNCTIONS = _function_params()
MODULES = [pytest.param(a, id=a.id) for a in ACTIVATIONS if a.module is not None]
LAYER_NAMES = sorted({a.module for a in ACTIVATIONS if a.module is not None})


def ours(a: Act, method: bool) -> Any:
    if method:
        return lambda x: getattr(x, a.function)(**a.kwargs)
    return lambda x: getattr(F, a.function)(x, **a.kwargs)


def theirs(a: Act, method: bool) -> Any:
    if method:
        return lambda t: getattr(t, a.function)(**a.kwargs)
    fn = getattr(TF, a.function, None) or getattr(torch, a.function)
    return lambda t: fn(t, **a.kwargs)


def sample(shape: tuple[int, ...], kinks: tuple[float, ...] = (), seed: int = 0) -> np.ndarray:
    """Values in about [-5, 5] (so saturating regions are visited), kept off the kinks."""
    x = np.random.default_rng(seed).uniform(-5.0, 5.0, shape)
    for k in kinks:
        x = np.where(np.abs(x - k) < 0.05, k + 0.1, x)
    return x


def assert_float32_forward_and_backward(backend, fn, *arrays):
    tensors = [make(backend, a, requires_grad=a.dtype.kind == "f") for a in arrays]
    out = fn(*tensors)
    assert dtype_name(out.dtype) == "float32"
    grads = out.grad_fn.backward(backend.xp, backend.xp.ones_like(out.array))  # before any cast back
    for g in grads if isinstance(grads, tuple) else (grads,):
        assert g is None or dtype_name(g.dtype) == "float32", f"{out.grad_fn.name} backward gives {g.dtype}"


# -- the table's checks -------------------------------------------------------------------------------------
@pytest.mark.parametrize("a,method", FUNCTIONS)
def test_gradients(backend, a, method):
    check_gradients(backend, ours(a, method), sample((2, 4, 2), a.kinks))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a,method", _function_params(jax=True))
def test_function_matches_torch(backend, a, method, dtype):
    for seed, shape in enumerate([(2, 4, 4), (4, 2)]):
        x = sample(shape, a.kinks, seed).astype(dtype)
        x.flat[:4] = (25.0, -25.0, 7.0, -7.0)  # past every clamp, into saturation and softplus's linear region
        torch_oracle(backend, ours(a, method), theirs(a, method), [x], dtype, what=f"{a.id} {shape}",
                     tolerance=TOLERANCE[dtype])


@pytest.mark.parametrize("a,method", FUNCTIONS)
def test_keeps_float32(backend, a, method):
    assert_float32_forward_and_backward(backend, ours(a, method), sample((2, 4, 2), a.kinks).astype(np.float32))


@pytest.mark.parametrize("dtype", ["int64", "int32", "bool"])
@pytest.mark.parametrize("a,method", FUNCTIONS)
def test_integer_and_boolean_input_as_torch(backend, a, method, dtype):
    """PyTorch runs the rectifiers on integers (integer result), promotes the squashing ones to float32 and refuses
    the rest ("not implemented for 'Long'"); the function and the method do the same here."""
    values = np.array([[-3, -1, 0, 1], [2, 9, -7, 4]])
    values = values > 0 if dtype == "bool" else values.astype(dtype)
    torch_values = values
    if dtype == "bool" and a.function in ("softsign", "tanhshrink"):  # docs/differences.md: float32, as tanh's
        torch_values = values.astype("int64")
    try:
        expected = theirs(a, method)(torch.tensor(torch_values))
    except (RuntimeError, NotImplementedError, TypeError):
        with pytest.raises(TypeError, match=f"{a.function}.*got dtype {dtype}"):
            ours(a, method)(make(backend, values))
        return
    out = ours(a, method)(make(backend, values))
    assert dtype_name(out.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-6)


HUGE = np.array([[-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4, 1.5],
                 [1e4, 100.0, 30.0, 0.0, -30.0, -100.0, -1e4, -1.5]], dtype=np.float32)


@pytest.mark.parametrize("a,method", FUNCTIONS)
def test_huge_float32_inputs_give_finite_values_and_gradients(backend, a, method):
    x = make(backend, HUGE, requires_grad=True)
    out = ours(a, method)(x)
    values = out.numpy()
    assert np.all(np.isfinite(values)), values
    out.sum().backward()
    grad = x.grad.numpy()
    assert np.all(np.isfinite(grad)), grad
    assert grad.dtype == np.float32
    if a.torch_at_huge:
        compare_with_torch(backend, ours(a, method), theirs(a, method), HUGE, rtol=1e-5, atol=1e-6)
    else:
        np.testing.assert_allclose(values[0, 6], 1e4)


NAN_INF = np.array([[np.nan, np.inf, -np.inf, 1.5], [-0.3, np.nan, 0.7, -2.5]], dtype=np.float32)


@pytest.mark.parametrize("a,method", FUNCTIONS)
def test_nan_and_infinite_inputs_as_torch(backend, a, method):
    """NaN stays NaN (a comparison with NaN is False: no piece may swallow it) and +-inf gives PyTorch's value
    (its float64 one: PyTorch's vectorised float32 GELU gives NaN at +inf, its float64 GELU the limit inf)."""
    out = ours(a, method)(make(backend, NAN_INF))
    with torch.no_grad():
        expected = theirs(a, method)(torch.tensor(NAN_INF, dtype=torch.float64)).numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6, equal_nan=True)


def test_the_gradient_through_a_nan_input_of_the_rectifiers_passes_as_torch(backend):
    # PyTorch's threshold_backward / hardtanh_backward zero the gradient where x <= the bound, so a NaN input passes
    # it; anynn's masks (x > 0) gave 0 there
    # (hardswish: 1 at NaN, as PyTorch's x < 3 test fails there; softsign: NaN at +-inf, as PyTorch's composite
    # x / (1 + |x|) gives inf / inf: anynn gave 0 at both)
    for name in ("relu", "relu6", "hardtanh", "hardswish", "softsign"):
        x = make(backend, NAN_INF, requires_grad=True)
        getattr(F, name)(x).sum().backward()
        tx = torch.tensor(NAN_INF, requires_grad=True)
        getattr(torch.nn.functional, name)(tx).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-6, equal_nan=True, err_msg=name)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("a", MODULES)
def test_layer_matches_torch(backend, a, dtype):
    layer = getattr(anynn.nn, a.module)(**a.kwargs).to(backend, dtype=dtype).eval()
    twin = getattr(torch.nn, a.module)(**a.kwargs).to(TORCH_DTYPE[dtype]).eval()
    copy_torch_weights(layer, twin)
    x = sample((2, 4, 3, 2), a.kinks + (-1.0, -0.5, 0.0, 0.1, 0.5, 1.0)).astype(dtype)
    torch_oracle(backend, layer, twin, [x], dtype, what=repr(twin), tolerance=TOLERANCE[dtype])
    theirs = dict(twin.named_parameters())
    for name, p in layer.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), theirs[name].grad.numpy(), **TOLERANCE[dtype],
                                   err_msg=f"gradient of {name}")


# anynn-only arguments (tests/project/test_signatures.py gives the reasons); PyTorch's factory arguments
# (device, dtype) are keywords by convention and are compared there
EXTRA = {"backend", "seed"}
FACTORY = {"device", "dtype"}


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_constructor_signature_matches_torch(name):
    def named(cls: type, drop: set[str]) -> dict[str, inspect.Parameter]:
        return {k: v for k, v in inspect.signature(cls.__init__).parameters.items()
                if v.kind not in (v.VAR_POSITIONAL, v.VAR_KEYWORD) and k not in drop}

    ours, theirs = named(getattr(anynn.nn, name), EXTRA | FACTORY), named(getattr(torch.nn, name), FACTORY)
    assert list(ours) == list(theirs)
    for key, p in theirs.items():
        assert ours[key].default == p.default, f"{name}({key}=...): {ours[key].default} != {p.default}"
        assert ours[key].kind == p.kind


# -- PReLU: a learnable slope, one or per channel -------------------------------------------------------
PRELU_CASES = [((2, 3), (1,)), ((2, 3, 4), (1,)), ((2, 3, 4), (3,)), ((2, 3, 2, 2), (3,)), ((2, 3), (3,)),
               ((4,), (1,)), ((), (1,)), ((3,), ())]  # a 0-d input stays 0-d; a 0-d weight, as PyTorch takes


@pytest.mark.parametrize("x_shape,w_shape", PRELU_CASES, ids=str)
def test_prelu_gradients_and_torch(backend, x_shape, w_shape):
    x = sample(x_shape, (0.0,))
    w = np.random.default_rng(1).uniform(0.05, 0.5, w_shape)
    check_gradients(backend, A.prelu, x, w)
    assert tuple(A.prelu(make(backend, x), make(backend, w)).shape) == x_shape  # (a 0-d input gave (1,))
    for dtype in DTYPES:
        compare_with_torch(backend, A.prelu, TF.prelu, x.astype(dtype), w.astype(dtype), **TOLERANCE[dtype])
    assert_float32_forward_and_backward(backend, A.prelu, x.astype(np.float32), w.astype(np.float32))


def test_prelu_refuses_a_weight_that_does_not_match_the_channels(backend):
    x = make(backend, sample((2, 3, 4)))
    with pytest.raises(ValueError, match=r"prelu.*3 channels, got \(4,\)"):
        A.prelu(x, make(backend, np.ones(4)))


@pytest.mark.parametrize("dtype", DTYPES)
def test_prelu_fixed_slopes_seeded(backend, dtype):
    """One slope and one per channel, negative ones too, on inputs past +-25."""
    rng = np.random.default_rng(8)
    for slopes in ([0.3], [0.3, -0.2]):
        for shape in [(2, 2, 4), (4, 2)]:
            x = (rng.standard_normal(shape) * 3.0).astype(dtype)
            x.flat[0], x.flat[1] = 25.0, -25.0
            torch_oracle(backend, lambda t, s=slopes: A.prelu(t, make(backend, np.asarray(s, dtype))),
                         lambda t, s=slopes: TF.prelu(t, torch.tensor(s, dtype=t.dtype)), [x], dtype,
                         what=f"prelu {slopes} {shape}", tolerance=TOLERANCE[dtype])


# -- refusals, saturation, softmax's implicit dim ---------------------------------------------------------
def test_glu_refuses_an_odd_axis(backend):
    with pytest.raises(ValueError, match="even"):
        A.glu(make(backend, sample((2, 3))), axis=-1)


def test_gelu_refuses_an_unknown_approximation(backend):
    with pytest.raises(ValueError, match="approximate"):
        A.gelu(make(backend, sample((2,))), approximate="erf")


def test_sigmoid_saturates_exactly(backend):
    out = A.sigmoid(make(backend, HUGE)).numpy()
    assert out[0, 0] == 0.0 and out[0, 6] == 1.0 and out[0, 3] == 0.5


def test_logsigmoid_far_below_zero_is_the_input(backend):
    assert F.logsigmoid(make(backend, HUGE)).numpy()[0, 0] == np.float32(-1e4)


def test_softmax2d_refuses_2d_input(backend):
    with pytest.raises(ValueError, match=r"Softmax2d: expected 3-D or 4-D input"):
        anynn.nn.Softmax2d()(make(backend, sample((2, 3))))


def test_refusals(backend):
    x = make(backend, sample((2, 3)))
    with pytest.raises(ValueError, match="celu: alpha cannot be 0"):
        F.celu(x, alpha=0.0)
    with pytest.raises(ValueError, match="softshrink: lambd must be >= 0"):
        F.softshrink(x, -0.5)
    with pytest.raises(ValueError, match="rrelu: lower bound 0.5 .* upper bound 0.1"):
        F.rrelu(x, 0.5, 0.1, training=True)
    with pytest.raises(ValueError, match="RReLU: lower bound"):
        anynn.nn.RReLU(0.5, 0.1)
    for inplace in (False, True):  # (PyTorch's check, before the in-place branch; all -1 came back)
        with pytest.raises(ValueError, match="min_val cannot be greater than max_val"):
            torch.nn.functional.hardtanh(torch.zeros(2), 1.0, -1.0, inplace)
        with pytest.raises(ValueError, match=r"hardtanh: min_val cannot be greater than max_val, got 1.0 > -1.0"):
            F.hardtanh(x, 1.0, -1.0, inplace)
    # only F.softmax/log_softmax choose a dim implicitly: the method, torch.* and torch.special.* need one
    # (Tensor.softmax() took the last axis)
    for lib, data in ((torch, torch.zeros(2, 3)), (anynn, x)):
        for call in (data.softmax, data.log_softmax, partial(lib.softmax, data),
                     partial(lib.special.log_softmax, data)):
            with pytest.raises(TypeError, match='missing 1 required positional arguments: "dim"'):
                call()


@pytest.mark.parametrize("shape", [(5,), (2, 3), (2, 3, 4), (2, 3, 2, 2)], ids=str)
def test_implicit_dim_of_the_softmax_family_warns_and_matches_torch(backend, shape):
    """F.softmax/log_softmax without dim took the last axis: a 3-D input was normalised over dim 2, PyTorch's
    over dim 0 (its legacy choice, with a warning)."""
    x = sample(shape)
    for name in ("softmin", "softmax", "log_softmax"):
        with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
            ours = getattr(F, name)(make(backend, x)).numpy()
        with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
            theirs = getattr(TF, name)(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-14, err_msg=name)


SOFTMAX_DTYPE_CALLS = {  # name -> (anynn call, torch call) with dtype=
    "softmax": (lambda x, d: F.softmax(x, dim=1, dtype=d), lambda t, d: TF.softmax(t, dim=1, dtype=d)),
    # PyTorch's positional order (input, dim, _stacklevel, dtype): a TypeError before
    "log_softmax": (lambda x, d: F.log_softmax(x, 0, 3, d), lambda t, d: TF.log_softmax(t, 0, 3, d)),
    "softmin": (lambda x, d: F.softmin(x, dim=1, dtype=d), lambda t, d: TF.softmin(t, dim=1, dtype=d)),
    "Tensor.softmax": (lambda x, d: x.softmax(1, d), lambda t, d: t.softmax(1, d)),
    "Tensor.log_softmax": (lambda x, d: x.log_softmax(-1, dtype=d), lambda t, d: t.log_softmax(-1, dtype=d)),
    "anynn.softmax": (lambda x, d: anynn.softmax(x, 0, dtype=d), lambda t, d: torch.softmax(t, 0, dtype=d)),
}


@pytest.mark.parametrize("call", list(SOFTMAX_DTYPE_CALLS))
@pytest.mark.parametrize("given, wanted", [("float32", "float64"), ("float64", "float32"), ("int64", "float64")])
def test_softmax_family_dtype_casts_the_input_first_as_torch(backend, call, given, wanted):
    ours, theirs = SOFTMAX_DTYPE_CALLS[call]
    x = (sample((2, 3)) * 3).astype(given)
    torch_oracle(backend, lambda a: ours(a, getattr(anynn, wanted)), lambda t: theirs(t, TORCH_DTYPE[wanted]),
                 [x], wanted, what=call)
    if given == "float64":
        check_gradients(backend, lambda a: ours(a, anynn.float64), x)


ZERO_DIM_SOFTMAX_CALLS = {  # name -> (anynn call, torch call) on a 0-d tensor: one entry along dim 0 or -1
    "softmax": (lambda x: F.softmax(x, dim=0), lambda t: TF.softmax(t, dim=0)),
    "log_softmax": (lambda x: F.log_softmax(x, dim=-1), lambda t: TF.log_softmax(t, dim=-1)),
    "softmin": (lambda x: F.softmin(x, dim=0), lambda t: TF.softmin(t, dim=0)),
    "Tensor.softmax": (lambda x: x.softmax(-1), lambda t: t.softmax(-1)),
    "anynn.log_softmax": (lambda x: anynn.log_softmax(x, 0), lambda t: torch.log_softmax(t, 0)),
}


@pytest.mark.parametrize("value", [0.5, -3.0, np.nan, np.inf])
@pytest.mark.parametrize("call", list(ZERO_DIM_SOFTMAX_CALLS))
def test_softmax_family_of_a_zero_dim_tensor_as_torch(backend, call, value):
    """The formula reduced over the 0-d input's missing axis (IndexError)."""
    ours, theirs = ZERO_DIM_SOFTMAX_CALLS[call]
    x = make(backend, np.array(value), requires_grad=True)
    t = torch.tensor(value, dtype=torch.float64, requires_grad=True)
    got, want = ours(x), theirs(t)
    got.backward()
    want.backward()
    assert got.shape == ()
    np.testing.assert_allclose(got.detach().numpy(), want.detach().numpy())
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("call", ["softmax", "log_softmax", "softmin"])
def test_softmax_family_refuses_an_integer_dtype(backend, call):
    x = make(backend, sample((2, 3)))
    with pytest.raises(TypeError, match=call):
        SOFTMAX_DTYPE_CALLS[call][0](x, anynn.int64)
    with pytest.raises(RuntimeError):
        SOFTMAX_DTYPE_CALLS[call][1](torch.tensor(sample((2, 3))), torch.int64)


# -- RReLU in training: random slopes from the backend generator ----------------------------------------------
def test_rrelu_training_draws_slopes_in_range_and_differentiates_through_them(backend):
    x_host = sample((4, 50), (0.0,))
    x = make(backend, x_host, requires_grad=True)
    out = F.rrelu(x, 0.2, 0.6, training=True, generator=3)
    values = out.numpy()
    positive = x_host >= 0
    np.testing.assert_array_equal(values[positive], x_host[positive])
    slopes = values[~positive] / x_host[~positive]
    assert slopes.min() >= 0.2 - 1e-12 and slopes.max() < 0.6
    assert slopes.std() > 0.05  # drawn per element, not one slope
    weights = np.random.default_rng(1).standard_normal(x_host.shape)
    (out * make(backend, weights)).sum().backward()
    expected = np.where(positive, 1.0, values / np.where(positive, 1.0, x_host)) * weights
    np.testing.assert_allclose(x.grad.numpy(), expected, rtol=1e-12)
    # the same seed gives the same slopes
    again = F.rrelu(make(backend, x_host), 0.2, 0.6, training=True, generator=3).numpy()
    np.testing.assert_array_equal(again, values)


def test_rrelu_layer_is_random_in_training_and_fixed_in_eval(backend):
    x_host = -np.abs(sample((3, 40))) - 0.1
    layer = anynn.nn.RReLU(seed=5)
    x = make(backend, x_host)
    first, second = layer(x).numpy(), layer(x).numpy()
    assert not np.array_equal(first, second)  # the generator moves on
    again = anynn.nn.RReLU(seed=5)(x).numpy()
    np.testing.assert_array_equal(again, first)
    layer.eval()
    np.testing.assert_allclose(layer(x).numpy(), TF.rrelu(torch.tensor(x_host)).numpy(), rtol=1e-12)
    with torch.no_grad():
        np.testing.assert_allclose(layer(x).numpy(), torch.nn.RReLU().eval()(torch.tensor(x_host)).numpy())


def test_rrelu_layer_without_a_seed_follows_manual_seed_as_dropout_does(backend):
    x = make(backend, -np.abs(sample((3, 40))) - 0.1)
    anynn.manual_seed(11)
    first = anynn.nn.RReLU()(x).numpy()
    anynn.manual_seed(11)
    np.testing.assert_array_equal(anynn.nn.RReLU()(x).numpy(), first)
    anynn.manual_seed(12)
    assert not np.array_equal(anynn.nn.RReLU()(x).numpy(), first)
