# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Elementwise ops and the Tensor operators built on them (unary, with Python scalars on both sides, binary
with broadcasting, where, clamp at its bounds, promotion of mixed kinds): a float64 gradient check on every
backend, forward + input gradients against PyTorch in float32 and float64, and seeded random broadcasting
shapes against PyTorch on every backend (values, shapes, dtypes and gradients)."""

from __future__ import annotations

import warnings
import zlib

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd.primitive import Function
from anynn.backend import BackendMismatch
from anynn.functional import elementwise as E
from anynn.functional import linalg as L  # noqa: F401  (binds Tensor @)
from anynn.functional import reduce as R
from anynn.functional import shape as S

from tests.functional.samples import DTYPES, away_from, sample, tolerances
from tests.helpers import check_gradients, compare_with_torch, make, rand_shape, torch_oracle


# -- unary ops and Tensor operators with Python scalars (both sides) --------------------------------
UNARY = [
    ("exp", E.exp, torch.exp, "any"),
    ("log", E.log, torch.log, "positive"),
    ("sqrt", E.sqrt, torch.sqrt, "positive"),
    ("abs", E.abs, torch.abs, "nonzero"),
    ("sin", E.sin, torch.sin, "any"),
    ("cos", E.cos, torch.cos, "any"),
    ("clip", lambda x: E.clip(x, -0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5), "clip"),
    ("clip_min", lambda x: E.clip(x, min=0.5), lambda x: torch.clamp(x, min=0.5), "clip"),
    ("clip_max", lambda x: E.clip(x, max=-0.5), lambda x: torch.clamp(x, max=-0.5), "clip"),
    ("neg", lambda x: -x, lambda x: -x, "any"),
    ("add_scalar", lambda x: x + 2.0, lambda x: x + 2.0, "any"),
    ("radd_scalar", lambda x: 2.0 + x, lambda x: 2.0 + x, "any"),
    ("sub_int", lambda x: x - 3, lambda x: x - 3, "any"),
    ("rsub_scalar", lambda x: 1.5 - x, lambda x: 1.5 - x, "any"),
    ("mul_scalar", lambda x: x * 3.0, lambda x: x * 3.0, "any"),
    ("rmul_int", lambda x: 2 * x, lambda x: 2 * x, "any"),
    ("div_scalar", lambda x: x / 4.0, lambda x: x / 4.0, "any"),
    ("rdiv_scalar", lambda x: 2.0 / x, lambda x: 2.0 / x, "positive"),
    ("pow2", lambda x: x**2, lambda x: x**2, "any"),
    ("pow3", lambda x: x**3, lambda x: x**3, "any"),
    ("pow_half", lambda x: x**0.5, lambda x: x**0.5, "positive"),
    ("pow_neg", lambda x: x**-1.5, lambda x: x**-1.5, "positive"),
    ("rpow", lambda x: 2.0**x, lambda x: 2.0**x, "any"),
    ("method_exp_log", lambda x: x.exp().log(), lambda x: x.exp().log(), "any"),
    ("method_clamp", lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5), "clip"),
    ("method_tanh", lambda x: x.tanh(), lambda x: x.tanh(), "any"),
    ("method_sigmoid", lambda x: x.sigmoid(), lambda x: x.sigmoid(), "any"),
    ("method_relu", lambda x: x.relu(), lambda x: x.relu(), "nonzero"),
    ("clip_0.7", lambda x: E.clip(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), "any"),
    ("clip_min_0.1", lambda x: E.clip(x, min=0.1), lambda x: torch.clamp(x, min=0.1), "any"),
    ("clip_max_0.1", lambda x: E.clip(x, max=0.1), lambda x: torch.clamp(x, max=0.1), "any"),
    ("method_clamp_0.3", lambda x: x.clamp(-0.2, 0.3), lambda x: x.clamp(-0.2, 0.3), "any"),
    ("radd", lambda x: 2.5 + x, lambda x: 2.5 + x, "positive"),
    ("rsub", lambda x: 2.5 - x, lambda x: 2.5 - x, "positive"),
    ("rmul", lambda x: -3 * x, lambda x: -3 * x, "positive"),
    ("rdiv", lambda x: 1.5 / x, lambda x: 1.5 / x, "positive"),
    ("rpow_int", lambda x: 3**x, lambda x: 3**x, "positive"),
    ("sub", lambda x: x - 1, lambda x: x - 1, "positive"),
    ("div_int", lambda x: x / 4, lambda x: x / 4, "positive"),
    ("pow_neg_int", lambda x: x**-2, lambda x: x**-2, "positive"),
    ("pow0", lambda x: x**0, lambda x: x**0, "positive"),
    ("pow1", lambda x: x**1, lambda x: x**1, "positive"),
    ("pow_frac", lambda x: x**2.7, lambda x: x**2.7, "positive"),
]
UNARY_IDS = [u[0] for u in UNARY]


@pytest.mark.parametrize("name,ours,theirs,domain", UNARY, ids=UNARY_IDS)
def test_unary_gradients(backend, name, ours, theirs, domain):
    check_gradients(backend, ours, sample(domain, (2, 3)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours,theirs,domain", UNARY, ids=UNARY_IDS)
def test_unary_matches_torch(name, ours, theirs, domain, dtype):
    compare_with_torch("numpy", ours, theirs, sample(domain, (2, 3)).astype(dtype), **tolerances(dtype))


# -- binary ops with broadcasting ---------------------------------------------------------------------
BINARY = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, "any"),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, "any"),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, "any"),
    ("div", lambda a, b: a / b, lambda a, b: a / b, "positive_b"),
    ("pow", lambda a, b: a**b, lambda a, b: a**b, "positive"),
    ("maximum", E.maximum, torch.maximum, "any"),
    ("minimum", E.minimum, torch.minimum, "any"),
    ("where", lambda a, b: E.where(a > 1.0, a, b), lambda a, b: torch.where(a > 1.0, a, b), "any"),
]
BROADCAST_SHAPES = [((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1, 3), (4, 1)), ((), (2, 3)), ((3, 1), (1, 2))]


def binary_inputs(domain: str, shape_a: tuple[int, ...], shape_b: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
    a = sample("positive" if domain == "positive" else "any", shape_a, seed=1)
    b = sample("positive" if domain.startswith("positive") else "any", shape_b, seed=2)
    return a, b


@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name,ours,theirs,domain", BINARY, ids=[b[0] for b in BINARY])
def test_binary_gradients(backend, name, ours, theirs, domain, shapes):
    check_gradients(backend, ours, *binary_inputs(domain, *shapes))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", BROADCAST_SHAPES, ids=str)
@pytest.mark.parametrize("name,ours,theirs,domain", BINARY, ids=[b[0] for b in BINARY])
def test_binary_matches_torch(name, ours, theirs, domain, shapes, dtype):
    a, b = binary_inputs(domain, *shapes)
    compare_with_torch("numpy", ours, theirs, a.astype(dtype), b.astype(dtype), **tolerances(dtype))


# minimum was -maximum(-a, -b): negation wraps unsigned integers (minimum([0], [2]) gave 2) and refuses booleans
MIXED_MINIMUM_DTYPES = [("uint8", "uint8"), ("uint8", "int8"), ("int32", "uint8"), ("bool", "bool"),
                        ("bool", "float32"), ("int64", "bool")]


@pytest.mark.parametrize("call", ["minimum", "min", "method_min", "method_minimum", "maximum", "method_max"])
@pytest.mark.parametrize("dtypes", MIXED_MINIMUM_DTYPES, ids="-".join)
def test_minimum_and_maximum_of_integer_and_boolean_dtypes_as_torch(backend, dtypes, call):
    if backend.name == "array_api_strict" and set(dtypes) == {"uint8", "int8"}:
        pytest.skip("array-api-strict refuses uint8 with int8")
    a = np.array([0, 5, 1, 0]).astype(dtypes[0])
    b = np.array([2, 3, 1, 1]).astype(dtypes[1])

    def run(lib, x, y):
        if call.startswith("method_"):
            return getattr(x, call.removeprefix("method_"))(y)
        return getattr(lib, call)(x, y)

    want = run(torch, torch.tensor(a), torch.tensor(b))
    got = run(anynn, make(backend, a), make(backend, b))
    assert anynn.backend.dtype_name(got.dtype) == str(want.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(got.numpy(), want.numpy())


# alpha scaled `other` in its own dtype first: a uint8 other times -1 wrapped (sub(float16, uint8, alpha=-1) was off
# by 256); PyTorch scales in the result's dtype
ALPHA_OPERANDS = [("float16", "uint8", -1), ("int8", "uint8", -1), ("uint8", "uint8", -1), ("int64", "bool", 2),
                  ("float32", "int64", 0.5), ("int32", "float64", -2), ("float64", "int8", -3)]


@pytest.mark.parametrize("call", ["add", "sub", "method_add", "method_sub"])
@pytest.mark.parametrize("dtypes", ALPHA_OPERANDS, ids=lambda d: "-".join(map(str, d)))
def test_add_and_sub_with_alpha_promote_before_scaling_as_torch(backend, dtypes, call):
    first, second, alpha = dtypes
    if "sub" in call and second == "bool":
        pytest.skip("PyTorch refuses subtraction of booleans")
    if backend.name == "array_api_strict" and {first, second} & {"uint8", "float16"}:
        pytest.skip("array-api-strict has no float16, and refuses uint8 with int8")
    a, b = np.array([1, 2, 7]).astype(first), np.array([3, 4, 1]).astype(second)

    def run(lib, x, y):
        if call.startswith("method_"):
            return getattr(x, call.removeprefix("method_"))(y, alpha=alpha)
        return getattr(lib, call)(x, y, alpha=alpha)

    want = run(torch, torch.tensor(a), torch.tensor(b))
    got = run(anynn, make(backend, a), make(backend, b))
    assert anynn.backend.dtype_name(got.dtype) == str(want.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64))


def test_minimum_ties_split_the_gradient(backend):
    # where one is NaN (unordered) both get all of it, as PyTorch's (anynn sent it to b)
    a = make(backend, np.array([1.0, 2.0, 3.0, np.nan]), requires_grad=True)
    b = make(backend, np.array([0.0, 2.0, 4.0, 1.0]), requires_grad=True)
    E.minimum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [0.0, 0.5, 1.0, 1.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 0.5, 0.0, 1.0])


def test_maximum_ties_split_the_gradient(backend):
    a = make(backend, np.array([1.0, 2.0, 3.0, np.nan]), requires_grad=True)
    b = make(backend, np.array([0.0, 2.0, 4.0, 1.0]), requires_grad=True)
    E.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 0.5, 0.0, 1.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.5, 1.0, 1.0])


@pytest.mark.parametrize("shapes", [((2, 3), (2, 3)), ((2, 3), (3,)), ((1, 3), (2, 1))], ids=str)
def test_where_gradients_and_torch(backend, shapes):
    a, b = binary_inputs("any", *shapes)
    condition = np.array([[True, False, True], [False, False, True]])

    def ours(x, y):
        return E.where(make(backend, condition), x, y)

    check_gradients(backend, ours, a, b)
    compare_with_torch(backend, ours, lambda x, y: torch.where(torch.tensor(condition), x, y),
                       a.astype(np.float32), b.astype(np.float32), **tolerances("float32"))


def test_power_zero_and_one_have_finite_gradients_at_zero(backend):
    x = make(backend, np.array([0.0, 2.0]), requires_grad=True)
    (x**0 + x**1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 1.0])


# ops whose IEEE result at these points is inf or nan: PyTorch returns it silently, NumPy also warns
IEEE_SPECIALS = [
    ("divide_by_zero", lambda x: x / 0.0), ("zero_over_zero", lambda x: (x * 0.0) / (x * 0.0)),
    ("log_of_zero", lambda x: (x * 0.0).log()), ("log_of_negative", lambda x: (-x.abs() - 1.0).log()),
    ("sqrt_of_negative", lambda x: (-x.abs() - 1.0).sqrt()), ("sqrt_at_zero", lambda x: (x * 0.0).sqrt()),
    ("exp_overflow", lambda x: (x * 0.0 + 1000.0).exp()), ("reciprocal_of_zero", lambda x: (x * 0.0).reciprocal()),
    ("inf_minus_inf", lambda x: (x / 0.0) - (x / 0.0)),
    ("abs_of_nan", lambda x: (-x.abs() - 1.0).log().abs()),  # |x|'s gradient at NaN: 0, as PyTorch's sgn
    ("acosh_below_minus_one", lambda x: (-x.abs() - 1.0).acosh()),  # NaN; its slope 1 / sqrt(a^2 - 1) is not
]


@pytest.mark.parametrize("name, op", IEEE_SPECIALS, ids=[c[0] for c in IEEE_SPECIALS])
def test_inf_and_nan_results_come_without_warnings_as_in_torch(backend, name, op):
    values = np.array([1.0, -2.0, 3.0], np.float32)
    theirs = torch.tensor(values, requires_grad=True)
    op(theirs).sum().backward()
    ours = make(backend, values, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NumPy RuntimeWarning fails the test
        out = op(ours)
        out.sum().backward()
    np.testing.assert_array_equal(out.numpy(), op(theirs).detach().numpy())
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


INTEGER_DIVISIONS = {"floor_divide": lambda lib, a, b: a // b, "remainder": lambda lib, a, b: a % b,
                     "fmod": lambda lib, a, b: lib.fmod(a, b), "floor_divide_by_number": lambda lib, a, b: a // 0,
                     "number_floor_divided": lambda lib, a, b: 7 // b}


@pytest.mark.parametrize("name", sorted(INTEGER_DIVISIONS))
def test_integer_division_by_zero_is_refused_and_float_division_is_ieee_as_torch(backend, name):
    op = INTEGER_DIVISIONS[name]
    a, b = np.array([3, -7, 4]), np.array([0, 2, 3])
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        op(torch, torch.tensor(a), torch.tensor(b))
    with pytest.raises(ZeroDivisionError, match="integer division by zero"):
        op(anynn, make(backend, a), make(backend, b))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ours = op(anynn, make(backend, a.astype(np.float64)), make(backend, b.astype(np.float64)))
    np.testing.assert_array_equal(ours.numpy(), op(torch, torch.tensor(a * 1.0), torch.tensor(b * 1.0)).numpy())


class _FailingForward(Function):
    def forward(self, xp, a):
        raise ZeroDivisionError("raised inside forward")


def test_numpy_warnings_stay_on_outside_anynn():
    x = make("numpy", np.array([1.0, 0.0]), requires_grad=True)
    with pytest.raises(ZeroDivisionError):  # an error inside a Function leaves NumPy's settings as they were
        _FailingForward.apply(x)
    (x / 0.0).sum().backward()
    with pytest.warns(RuntimeWarning, match="divide by zero"):
        np.array([1.0]) / np.array([0.0])


def test_native_array_operand_of_the_same_backend(backend):
    x = make(backend, np.arange(3.0), requires_grad=True)
    y = x * backend.from_host(np.array([2.0, 3.0, 4.0]))
    y.sum().backward()
    np.testing.assert_allclose(y.numpy(), [0.0, 3.0, 8.0])
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 3.0, 4.0])


def test_foreign_array_operand_is_refused():
    x = make("torch", np.arange(3.0))
    with pytest.raises(BackendMismatch, match="torch"):
        x + np.arange(3.0)


def test_numpy_scalar_does_not_upcast_float32(backend):
    x = make(backend, np.ones(3, dtype=np.float32), requires_grad=True)
    seen = []
    for y in (x * np.float64(2.0), x + np.float64(1.0), x / np.float64(2.0), x - np.float64(1.0),
              x ** np.float64(2.0), x * np.float32(2.0), x + np.int64(1), np.float64(2.0) - x):
        assert anynn.backend.dtype_name(y.dtype) == "float32"
        np.testing.assert_allclose(y.numpy(), [2.0, 2.0, 0.5, 0.0, 1.0, 2.0, 2.0, 1.0][len(seen)])
        seen.append(y)


def test_numpy_numbers_in_int_and_scalar_arguments_as_python_ones(backend):
    """Ported programs pass NumPy's numbers where PyTorch takes ints or Scalars (``np.prod(shape)``, rng draws,
    ``clamp_(0, np.log(100))`` of CLIP's logit scale): PyTorch reads them as Python numbers. They raised
    TypeError ('numpy.int64' object is not iterable; array-api-strict's clip refused np.float64) or promoted
    float32 to float64 (JAX's clip)."""
    i, f = np.int64, np.float64
    x = make(backend, np.arange(36, dtype=np.float32).reshape(1, 1, 6, 6) / 7)
    v = make(backend, np.array([0.5, 2.0, 4.0], dtype=np.float32))
    for numpy_call, python_call in [
        (lambda: v.clamp(0, f(np.log(10))), lambda: v.clamp(0, float(np.log(10)))),
        (lambda: v.clamp_min(f(1.5)), lambda: v.clamp_min(1.5)),
        (lambda: anynn.nn.functional.max_pool2d(x, i(2), stride=i(2)), lambda: anynn.nn.functional.max_pool2d(x, 2)),
        (lambda: anynn.nn.functional.avg_pool2d(x, (i(2), i(3))), lambda: anynn.nn.functional.avg_pool2d(x, (2, 3))),
        (lambda: anynn.nn.functional.adaptive_avg_pool2d(x, (i(2), None)),
         lambda: anynn.nn.functional.adaptive_avg_pool2d(x, (2, None))),
        (lambda: anynn.nn.functional.unfold(x, i(2)), lambda: anynn.nn.functional.unfold(x, 2)),
        (lambda: v.roll(i(1)), lambda: v.roll(1)), (lambda: v.tile(i(2)), lambda: v.tile(2)),
        (lambda: x.squeeze(i(0)), lambda: x.squeeze(0)), (lambda: v.flip(i(0)), lambda: v.flip(0)),
        (lambda: x.movedim(i(3), i(2)), lambda: x.movedim(3, 2)), (lambda: v.max(i(0))[0], lambda: v.max(0)[0]),
        (lambda: v.repeat_interleave(i(2)), lambda: v.repeat_interleave(2)),
        (lambda: v.tensor_split(i(3))[1], lambda: v.tensor_split(3)[1]),
        (lambda: x[0, 0].rot90(i(1)), lambda: x[0, 0].rot90(1)),
        (lambda: anynn.nn.functional.one_hot(v.long(), i(5)), lambda: anynn.nn.functional.one_hot(v.long(), 5)),
        (lambda: anynn.nn.functional.cross_entropy(x[0, 0, :3, :3], v.long(), ignore_index=i(4)),
         lambda: anynn.nn.functional.cross_entropy(x[0, 0, :3, :3], v.long(), ignore_index=4)),
    ]:
        got, want = numpy_call(), python_call()
        assert got.dtype == want.dtype and tuple(got.shape) == tuple(want.shape)
        np.testing.assert_array_equal(got.numpy(), want.numpy())
    conv = anynn.nn.Conv2d(1, 2, i(3), stride=i(2), padding=(i(1), i(1)), backend=backend)
    assert conv.stride == (2, 2) and type(conv.stride[0]) is int and type(conv.kernel_size[0]) is int


def test_comparisons_give_untracked_boolean_tensors(backend):
    x = make(backend, np.array([1.0, 2.0, 3.0]), requires_grad=True)
    for mask, expected in ((x > 2.0, [0, 0, 1]), (x >= 2.0, [0, 1, 1]), (x < 2.0, [1, 0, 0]),
                           (x <= 2.0, [1, 1, 0]), (x == 2.0, [0, 1, 0]), (x != 2.0, [1, 0, 1])):
        assert not mask.requires_grad
        np.testing.assert_array_equal(mask.numpy(), np.array(expected, dtype=bool))


def test_astype_casts_the_gradient_back(backend):
    x = make(backend, np.array([1.0, -2.0, 3.0]), requires_grad=True)
    y = x.astype("float32")
    assert anynn.backend.dtype_name(y.dtype) == "float32"
    (y * y).sum().backward()
    assert anynn.backend.dtype_name(x.grad.dtype) == "float64"
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0, 6.0])
    assert x.astype("float64") is x


# -- piecewise ops exactly at their kinks: PyTorch's choice of gradient there ----------------------
AT_BOUNDS = np.array([-1.0, -0.5, -0.25, 0.0, 0.5, 0.75, 1.0])  # -0.5 and 0.5 are the bounds below
CLAMPS = [
    ("clip", lambda x: E.clip(x, -0.5, 0.5), lambda x: torch.clamp(x, -0.5, 0.5)),
    ("clip_min", lambda x: E.clip(x, min=0.5), lambda x: torch.clamp(x, min=0.5)),
    ("clip_max", lambda x: E.clip(x, max=-0.5), lambda x: torch.clamp(x, max=-0.5)),
    ("method_clamp", lambda x: x.clamp(-0.5, 0.5), lambda x: x.clamp(-0.5, 0.5)),
    ("method_clamp_min", lambda x: x.clamp_min(0.5), lambda x: x.clamp_min(0.5)),
    ("method_clamp_max", lambda x: x.clamp_max(-0.5), lambda x: x.clamp_max(-0.5)),
]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, ours, theirs", CLAMPS, ids=[c[0] for c in CLAMPS])
def test_clamp_passes_the_gradient_exactly_at_a_bound(backend, name, ours, theirs, dtype):
    """PyTorch's clamp lets the gradient through where the input equals a bound (``min <= x <= max``)."""
    x = AT_BOUNDS.astype(dtype)
    compare_with_torch(backend, ours, theirs, x, rtol=0, atol=0)


# -- seeded random shapes against PyTorch on every backend -----------------------------------------------
def broadcastable(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[int, ...]:
    """A shape that broadcasts to ``shape``: some leading axes dropped, some axes set to 1."""
    drop = int(rng.integers(0, len(shape) + 1))
    return tuple(1 if rng.random() < 0.3 else n for n in shape[drop:])


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours,theirs,domain", BINARY, ids=[b[0] for b in BINARY])
def test_broadcast_binary(backend, dtype, name, ours, theirs, domain):
    rng = np.random.default_rng(zlib.crc32(name.encode()) % 1000)  # (str hash() changes per process)
    for trial in range(6):
        out_shape = rand_shape(rng)
        sa, sb = broadcastable(rng, out_shape), broadcastable(rng, out_shape)
        if trial % 2:
            sa, sb = sb, sa
        a = rng.uniform(0.5, 2.0, sa).astype(dtype)  # positive: pow's gradient in the exponent needs log(a)
        b = rng.uniform(0.5, 2.0, sb)
        if not domain.startswith("positive"):
            b = np.where(rng.random(sb) < 0.5, -b, b)
        b = np.asarray(b).astype(dtype)
        torch_oracle(backend, ours, theirs, [a, b], dtype, what=f"{name} {sa} {sb}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_unary_seeded_shapes(backend, dtype):
    rng = np.random.default_rng(2)
    for name, ours, theirs, domain in UNARY:
        for shape in [(), (4,), (2, 1, 3), (2, 3, 2)]:
            x = rng.uniform(0.2, 2.0, shape) if domain == "positive" else rng.standard_normal(shape)
            torch_oracle(backend, ours, theirs, [x.astype(dtype)], dtype, what=f"{name} {shape}")


def test_mixed_kinds_promote_as_in_torch_on_every_backend(backend):
    rng = np.random.default_rng(18)
    ints, x = np.array([1, -2, 3]), rng.standard_normal(3).astype(np.float32)
    cases = [lambda a, b: a / 2, lambda a, b: a + 1.5, lambda a, b: a * b, lambda a, b: b - a, lambda a, b: (b > 0) * b,
             lambda a, b: (b > 0) * 2, lambda a, b: a / a, lambda a, b: 2.5 * a, lambda a, b: (a < 1.5) * 1]
    for i, fn in enumerate(cases):
        torch_oracle(backend, fn, fn, [ints, x], "float32",
                     grads=[False, True] if i in (2, 3, 4) else [False, False], what=f"case {i}")



# PyTorch's rule for a 0-d tensor: it decides the dtype only where no tensor with dimensions has its kind
ZERO_DIM_OPERANDS = [  # (dimensioned dtype, 0-d dtype)
    ("float32", "float64"), ("float64", "float32"), ("int32", "int64"), ("uint8", "int8"), ("int16", "int64"),
    ("int32", "float64"), ("float32", "int64"), ("bool", "int64"), ("bool", "float64"), ("int64", "bool"),
]


@pytest.mark.parametrize("op", ["add", "sub", "mul", "truediv", "maximum", "radd", "rmul"])
@pytest.mark.parametrize("dtypes", ZERO_DIM_OPERANDS, ids="-".join)
def test_a_zero_dim_tensor_promotes_as_torch(backend, dtypes, op):
    import operator

    if backend.name == "array_api_strict" and "uint8" in dtypes:
        pytest.skip("array-api-strict refuses uint8 with int8")
    fn = {"maximum": lambda a, b: (anynn if isinstance(a, anynn.Tensor) else torch).maximum(a, b),
          "radd": lambda a, b: b + a, "rmul": lambda a, b: b * a}.get(op) or getattr(operator, op)
    dimensioned = np.array([1, 0, 3]).astype(dtypes[0])
    zero_dim = np.array(2).astype(dtypes[1])
    if op == "sub" and "bool" in dtypes:
        return  # PyTorch refuses subtraction with booleans
    want = fn(torch.tensor(dimensioned), torch.tensor(zero_dim))
    got = fn(make(backend, dimensioned), make(backend, zero_dim))
    assert anynn.backend.dtype_name(got.dtype) == str(want.dtype).removeprefix("torch."), (dtypes, op)
    np.testing.assert_allclose(got.numpy().astype(np.float64), want.numpy().astype(np.float64), rtol=1e-6)


OUT_OF_RANGE_NUMBERS = [  # (integer dtype, operator, Python int outside the dtype's range)
    ("uint8", "add", 300), ("uint8", "add", -1), ("uint8", "mul", -3), ("uint8", "rsub", 300), ("int8", "add", 200),
    ("int8", "mul", 1000), ("int16", "sub", -40000), ("int32", "add", 2**33),
    # true division takes the number as it is (a float32 quotient), not wrapped first (uint8 / -1 was x / 255)
    ("uint8", "truediv", -1), ("uint8", "rtruediv", -2), ("int8", "truediv", 200), ("uint16", "truediv", -3),
    ("uint8", "div_trunc", -1), ("int8", "div_trunc", 200),
]


@pytest.mark.parametrize("dtype, op, number", OUT_OF_RANGE_NUMBERS, ids=lambda v: str(v))
def test_a_python_int_outside_an_integer_dtype_wraps_as_torch(backend, dtype, op, number):
    """PyTorch casts the number to the tensor's dtype (wrapping); NumPy 2 raised OverflowError."""
    import operator

    fn = {"rsub": lambda a, b: b - a, "rtruediv": lambda a, b: b / a,
          "div_trunc": lambda a, b: type(a).div(a, b, rounding_mode="trunc")}.get(op) or getattr(operator, op)
    values = np.array([1, 2, 100], dtype=dtype)
    want = fn(torch.tensor(values), number)
    got = fn(make(backend, values), number)
    assert anynn.backend.dtype_name(got.dtype) == str(want.dtype).removeprefix("torch.")
    # (a float32 quotient to 1 ulp: XLA's eager float32 division gives 100 / -3 as -33.333336)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=2e-7, atol=0)


def test_a_python_int_past_int64_and_uint64_is_an_overflow_error_as_torch():
    """x + 2**64, x * (-2**63 - 1), x < 2**100: PyTorch's OverflowError for any dtype (anynn wrapped the number into an
    integer dtype, int64 + 2**64 giving x + 0, and took it as a float beside floats); 2**63 still fits (a uint64)."""
    for lib in (torch, anynn):
        for dtype, number in (("int64", 2**64), ("uint8", -2**63 - 1), ("float32", 2**100)):
            x = lib.ones(2, dtype=getattr(lib, dtype))
            for op in (lambda a: a + number, lambda a: a * number, lambda a: a < number, lambda a: number - a):
                with pytest.raises(OverflowError):
                    op(x)
        assert (lib.ones(2) + 2**63).tolist() == [2.0**63] * 2


def test_a_float64_zero_dim_factor_keeps_float32_and_its_gradient(backend):
    x = make(backend, np.array([1.0, 2.0, 3.0], np.float32), requires_grad=True)
    scale = make(backend, np.array(0.5), requires_grad=True)
    y = x * scale
    assert anynn.backend.dtype_name(y.dtype) == "float32"
    y.sum().backward()
    assert anynn.backend.dtype_name(scale.grad.dtype) == "float64"
    np.testing.assert_allclose(scale.grad.numpy(), 6.0)
    np.testing.assert_allclose(x.grad.numpy(), np.full(3, 0.5, np.float32))


def test_float32_stays_float32_through_math(backend):
    x = make(backend, sample("positive", (2, 3)).astype(np.float32), requires_grad=True)
    w = make(backend, sample("any", (3, 2)).astype(np.float32), requires_grad=True)
    results = [x + 1.0, 2.0 - x, x * 0.5, 1.0 / x, x**2, x**0.5, 2.0**x, E.exp(x), E.log(x), E.sqrt(x),
               E.clip(x, 0.6, 1.5), R.mean(x, 1), R.var(x), R.logsumexp(x, 0), x @ w, x[:, 1:], S.stack([x, x])]
    for y in results:
        assert anynn.backend.dtype_name(y.dtype) == "float32"
        g = y.grad_fn.backward(backend.xp, backend.xp.ones_like(y.array))
        for gi in g if isinstance(g, tuple) else (g,):
            if gi is not None and hasattr(gi, "dtype"):
                assert anynn.backend.dtype_name(gi.dtype) == "float32", y.grad_fn.name


# -- clamp/clip with Tensor bounds (broadcast): PyTorch's gradients to input, min and max ------------------
CLAMP_TENSORS = [
    ("both", lambda x, lo, hi: E.clip(x, lo, hi), lambda x, lo, hi: torch.clamp(x, lo, hi)),
    ("method_clamp", lambda x, lo, hi: x.clamp(min=lo, max=hi), lambda x, lo, hi: x.clamp(min=lo, max=hi)),
    ("method_clip", lambda x, lo, hi: x.clip(lo, hi), lambda x, lo, hi: x.clip(lo, hi)),
    ("top_level", lambda x, lo, hi: anynn.clamp(x, lo, hi), lambda x, lo, hi: torch.clamp(x, lo, hi)),
    ("min_only", lambda x, lo, hi: E.clip(x, min=lo) + 0 * hi, lambda x, lo, hi: torch.clamp(x, min=lo) + 0 * hi),
    ("max_only", lambda x, lo, hi: E.clip(x, max=hi) + 0 * lo, lambda x, lo, hi: torch.clamp(x, max=hi) + 0 * lo),
    ("clamp_min", lambda x, lo, hi: x.clamp_min(lo) + 0 * hi, lambda x, lo, hi: x.clamp_min(lo) + 0 * hi),
    ("clamp_max", lambda x, lo, hi: anynn.clamp_max(x, hi) + 0 * lo, lambda x, lo, hi: torch.clamp_max(x, hi) + 0 * lo),
]
# (the input keeps the result's shape: PyTorch 2.13's clamp backward fails for an input broadcast up by its bounds)
CLAMP_SHAPES = [((3, 4), (3, 4), (3, 4)), ((3, 4), (4,), (3, 1)), ((2, 3, 4), (3, 1), ())]


def _clamp_inputs(shapes: tuple[tuple[int, ...], ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Input on a grid that hits the bounds exactly; min/max lanes with min > max too."""
    x = np.round(sample("any", shapes[0], seed=4) * 4) / 4
    lo = np.round(sample("any", shapes[1], seed=5) * 4) / 4 - 0.5
    hi = np.round(sample("any", shapes[2], seed=6) * 4) / 4 + 0.5
    return x, lo, hi


@pytest.mark.parametrize("shapes", CLAMP_SHAPES, ids=str)
@pytest.mark.parametrize("name, ours, theirs", CLAMP_TENSORS, ids=[c[0] for c in CLAMP_TENSORS])
def test_clamp_tensor_bounds_gradients(backend, name, ours, theirs, shapes):
    x = sample("any", shapes[0], seed=1)
    lo = x.mean() - 0.6 + 0.01 * sample("any", shapes[1], seed=2)  # x sits 0.05 and more away from every bound
    hi = x.mean() + 0.6 + 0.01 * sample("any", shapes[2], seed=3)
    x = away_from(away_from(x, float(x.mean()) - 0.6, gap=0.06), float(x.mean()) + 0.6, gap=0.06)
    check_gradients(backend, ours, x, lo, hi)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", CLAMP_SHAPES, ids=str)
@pytest.mark.parametrize("name, ours, theirs", CLAMP_TENSORS, ids=[c[0] for c in CLAMP_TENSORS])
def test_clamp_tensor_bounds_match_torch(backend, name, ours, theirs, shapes, dtype):
    """Values at the bounds exactly and lanes with min > max: values and the gradients of x, min and max (a
    broadcast bound's gradient is a sum, exact up to the order of its additions: an ulp)."""
    arrays = [a.astype(dtype) for a in _clamp_inputs(shapes)]
    ulps = dict(rtol=4 * float(np.finfo(dtype).eps), atol=0)
    torch_oracle(backend, ours, theirs, arrays, dtype, what=name, tolerance=ulps)


def test_clamp_tensor_bound_native_array_and_number(backend):
    x = make(backend, np.array([-2.0, 0.0, 2.0]), requires_grad=True)
    lo = make(backend, np.array([-1.0, 0.5, -1.0])).array
    out = x.clamp(lo, 1.5)
    np.testing.assert_array_equal(out.numpy(), [-1.0, 0.5, 1.5])
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0])


INTEGER_CLAMPS = [  # an integer input: its dtype with integer bounds, float32 with a float bound or a float tensor
    ("int_bounds", lambda x, b: x.clamp(0, 2)),
    ("float_bounds", lambda x, b: x.clamp(0.5, 2.5)),
    ("float_min", lambda x, b: x.clamp(min=0.5)),
    ("float_max_clip", lambda x, b: x.clip(max=2.5)),
    ("int_min_float_max", lambda x, b: x.clamp(1, 2.5)),
    ("clamp_min_float", lambda x, b: x.clamp_min(1.5)),
    ("clamp_max_float", lambda x, b: x.clamp_max(1.5)),
    ("float32_tensor_bound", lambda x, b: x.clamp(b.float())),
    ("float64_tensor_bound", lambda x, b: x.clamp(max=b.double())),
    ("int32_and_float64_tensor_bounds", lambda x, b: x.clamp(b.int(), b.double() + 1)),
    ("int64_tensor_bound", lambda x, b: x.clamp(max=b.long())),
    ("float64_0d_bound", lambda x, b: x.clamp(b[0].double() + 0.5)),
    ("float32_input_float64_0d_bound", lambda x, b: x.float().clamp(b[0].double() + 0.5)),
    ("float32_input_float64_bound", lambda x, b: x.float().clamp(max=b.double() + 0.5)),
]


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8"])
@pytest.mark.parametrize("name, op", INTEGER_CLAMPS, ids=[c[0] for c in INTEGER_CLAMPS])
def test_clamp_of_integers_promotes_as_torch(backend, name, op, dtype):
    x_np, b_np = np.array([[0, 1, 2], [3, 4, 5]], dtype=dtype), np.array([1, 3, 2])
    ours = op(make(backend, x_np), make(backend, b_np))
    theirs = op(torch.from_numpy(x_np), torch.from_numpy(b_np))
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_clamp_in_place_of_integers_to_float_bounds_refused_as_torch(backend):
    x = make(backend, np.array([0, 1, 2]))
    with pytest.raises(RuntimeError, match="can't be cast to the desired output type"):
        torch.tensor([0, 1, 2]).clamp_(0.5, 2.5)
    with pytest.raises(RuntimeError, match="clamp_: result type float32 can't be cast to the desired output type"):
        x.clamp_(0.5, 2.5)
    assert x.clamp_(1, 1).tolist() == [1, 1, 1]


BITWISE = [("bitwise_and", lambda a, b: a & b), ("bitwise_or", lambda a, b: a | b),
           ("bitwise_xor", lambda a, b: a ^ b)]


@pytest.mark.parametrize("name,operator", BITWISE)
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_bitwise_operators_match_torch(backend, name, operator, dtype):
    """``&``, ``|``, ``^`` and ``~`` are bitwise on integers (logical on booleans), as PyTorch's."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    a_np = rng.integers(0, 200, (3, 4)).astype(dtype)
    b_np = rng.integers(0, 200, (4,)).astype(dtype)
    a, b = anynn.tensor(a_np, backend=backend), anynn.tensor(b_np, backend=backend)
    ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
    scalar = True if dtype == "bool" else 6
    for ours, theirs in ((operator(a, b), operator(ta, tb)), (getattr(anynn, name)(a, b), getattr(torch, name)(ta, tb)),
                         (getattr(a, name)(b), getattr(ta, name)(tb)), (operator(a, scalar), operator(ta, scalar)),
                         (operator(scalar, a), operator(scalar, ta)), (~a, ~ta), (a.bitwise_not(), ta.bitwise_not())):
        assert ours.numpy().tolist() == theirs.numpy().tolist()
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]


def test_bitwise_operators_refuse_floats(backend):
    x = anynn.tensor([1.0, 2.0], backend=backend)
    for op in (lambda: x & x, lambda: x | 1, lambda: x ^ x, lambda: anynn.bitwise_not(x)):
        with pytest.raises(TypeError, match="integer or boolean"):
            op()


SHIFTS = [("bitwise_left_shift", lambda a, b: a << b), ("bitwise_right_shift", lambda a, b: a >> b)]


@pytest.mark.parametrize("name,operator", SHIFTS)
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "int8"])
def test_bitwise_shifts_match_torch(backend, name, operator, dtype):
    """``<<`` and ``>>`` (and their function, method and in-place forms) shift integers as PyTorch's."""
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    low = 0 if dtype == "uint8" else -60
    a_np = rng.integers(low, 60, (3, 4)).astype(dtype)
    # counts outside [0, bits): 0 for a left shift, the sign for a right one (array-api-strict refused them)
    b_np = np.array([0 if dtype == "uint8" else -1, 2, 1, np.iinfo(dtype).bits + 1]).astype(dtype)
    a, b = anynn.tensor(a_np, backend=backend), anynn.tensor(b_np, backend=backend)
    ta, tb = torch.from_numpy(a_np), torch.from_numpy(b_np)
    for ours, theirs in ((operator(a, b), operator(ta, tb)), (getattr(anynn, name)(a, b), getattr(torch, name)(ta, tb)),
                         (getattr(a, name)(b), getattr(ta, name)(tb)), (operator(a, 2), operator(ta, 2)),
                         (operator(3, b), operator(3, tb)), (getattr(a.clone(), name + "_")(b),
                                                             getattr(ta.clone(), name + "_")(tb))):
        assert ours.numpy().tolist() == theirs.numpy().tolist()
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]


def test_bitwise_shifts_of_booleans_and_floats(backend):
    flags = anynn.tensor([True, False], backend=backend)
    ours, theirs = flags << 1, torch.tensor([True, False]) << 1
    assert ours.numpy().tolist() == theirs.tolist()
    assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
    x = anynn.tensor([1.0, 2.0], backend=backend)
    for op in (lambda: x << 1, lambda: x >> x, lambda: anynn.bitwise_left_shift(x, 1)):
        with pytest.raises(TypeError, match="integer or boolean"):
            op()
