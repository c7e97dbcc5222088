"""Elementwise, reduction, shape and matrix primitives, and the Tensor operators built on them.

Every op: a float64 gradient check on every backend, and forward + input gradients against PyTorch
in float32 and float64.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import BackendMismatch
from anynn.functional import elementwise as E
from anynn.functional import linalg as L
from anynn.functional import reduce as R
from anynn.functional import shape as S

from tests.helpers import check_gradients, compare_with_torch, make

DTYPES = ["float32", "float64"]


def tolerances(dtype: str) -> dict[str, float]:
    return {"rtol": 1e-4, "atol": 1e-5} if dtype == "float32" else {"rtol": 1e-5, "atol": 1e-7}


def away_from(x: np.ndarray, *kinks: float, gap: float = 0.05) -> np.ndarray:
    """Move values off the kinks of a piecewise op, so finite differences see one piece."""
    for k in kinks:
        x = np.where(np.abs(x - k) < gap, k + np.copysign(gap, x - k) * 2.0, x)
    return x


def sample(domain: str, shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal(shape)
    if domain == "positive":
        return rng.uniform(0.5, 2.0, shape)
    if domain == "nonzero":
        return away_from(x, 0.0)
    if domain == "clip":
        return away_from(x, -0.5, 0.5)
    return x


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


def test_maximum_ties_split_the_gradient(backend):
    a = make(backend, np.array([1.0, 2.0, 3.0]), requires_grad=True)
    b = make(backend, np.array([0.0, 2.0, 4.0]), requires_grad=True)
    E.maximum(a, b).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [1.0, 0.5, 0.0])
    np.testing.assert_allclose(b.grad.numpy(), [0.0, 0.5, 1.0])


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


def test_flatten_of_a_scalar_gives_one_element(backend):
    assert S.flatten(make(backend, np.array([3.0])).reshape(()), 0).shape == (1,)


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


# -- reductions ---------------------------------------------------------------------------------------
def torch_axis(axis):
    return tuple(range(3)) if axis is None else axis


REDUCTIONS = [
    ("sum", R.sum, lambda t, axis, keepdims: torch.sum(t, dim=torch_axis(axis), keepdim=keepdims)),
    ("mean", R.mean, lambda t, axis, keepdims: torch.mean(t, dim=torch_axis(axis), keepdim=keepdims)),
    ("max", R.max, lambda t, axis, keepdims: torch.amax(t, dim=torch_axis(axis), keepdim=keepdims)),
    ("min", R.min, lambda t, axis, keepdims: torch.amin(t, dim=torch_axis(axis), keepdim=keepdims)),
    ("logsumexp", R.logsumexp, lambda t, axis, keepdims: torch.logsumexp(t, dim=torch_axis(axis), keepdim=keepdims)),
    ("var", R.var, lambda t, axis, keepdims: torch.var(t, dim=torch_axis(axis), keepdim=keepdims)),
    ("var_biased", lambda x, axis, keepdims: R.var(x, axis, keepdims, correction=0),
     lambda t, axis, keepdims: torch.var(t, dim=torch_axis(axis), keepdim=keepdims, correction=0)),
    ("var_unbiased", lambda x, axis, keepdims: R.var(x, axis, keepdims, correction=1),
     lambda t, axis, keepdims: torch.var(t, dim=torch_axis(axis), keepdim=keepdims, correction=1)),
]
AXES = [(None, False), (0, False), (-1, True), ((0, 2), False), ((0, 2), True), (None, True)]


@pytest.mark.parametrize("axis,keepdims", AXES, ids=str)
@pytest.mark.parametrize("name,ours,theirs", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_gradients(backend, name, ours, theirs, axis, keepdims):
    check_gradients(backend, lambda x: ours(x, axis, keepdims), sample("any", (2, 3, 2)))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("axis,keepdims", AXES, ids=str)
@pytest.mark.parametrize("name,ours,theirs", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reduction_matches_torch(name, ours, theirs, axis, keepdims, dtype):
    compare_with_torch("numpy", lambda x: ours(x, axis, keepdims), lambda t: theirs(t, axis, keepdims),
                       sample("any", (2, 3, 2)).astype(dtype), **tolerances(dtype))


def test_reduction_methods(backend):
    x = sample("any", (2, 3))
    t = make(backend, x)
    np.testing.assert_allclose(t.sum(axis=1).numpy(), x.sum(axis=1))
    np.testing.assert_allclose(t.mean(0, True).numpy(), x.mean(0, keepdims=True))
    np.testing.assert_allclose(t.max().numpy(), x.max())
    np.testing.assert_allclose(t.min(axis=-1).numpy(), x.min(axis=-1))
    np.testing.assert_allclose(t.var(correction=1).numpy(), x.var(ddof=1))
    np.testing.assert_allclose(t.logsumexp(axis=1).numpy(), np.log(np.exp(x).sum(axis=1)))
    np.testing.assert_array_equal(t.argmax(axis=1).numpy(), x.argmax(axis=1))


def test_max_ties_share_the_gradient_like_torch_amax(backend):
    x = make(backend, np.array([[1.0, 3.0, 3.0], [2.0, 0.0, 1.0]]), requires_grad=True)
    R.max(x, axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])


def test_logsumexp_is_finite_for_large_and_infinite_entries(backend):
    x = make(backend, np.array([[1e4, 1e4 - 1.0], [-np.inf, 0.0]], dtype=np.float32), requires_grad=True)
    out = R.logsumexp(x, axis=1)
    np.testing.assert_allclose(out.numpy(), [1e4 + np.log1p(np.exp(-1.0)), 0.0], rtol=1e-6)
    out.sum().backward()
    assert np.all(np.isfinite(x.grad.numpy()))


# -- matrix products ----------------------------------------------------------------------------------
MATMUL_SHAPES = [((3, 4), (4, 2)), ((4,), (4, 2)), ((3, 4), (4,)), ((4,), (4,)), ((2, 3, 4), (4, 2)),
                 ((2, 1, 3, 4), (3, 4, 2)), ((3, 4), (2, 4, 1))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_gradients(backend, shapes):
    a, b = (sample("any", s, seed=i) for i, s in enumerate(shapes))
    check_gradients(backend, L.matmul, a, b)
    check_gradients(backend, lambda x, y: x @ y, a, b)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_matches_torch(shapes, dtype):
    a, b = (sample("any", s, seed=i).astype(dtype) for i, s in enumerate(shapes))
    compare_with_torch("numpy", L.matmul, torch.matmul, a, b, **tolerances(dtype))


def test_rmatmul_with_native_array(backend):
    x = make(backend, sample("any", (4, 2)), requires_grad=True)
    a = sample("any", (3, 4), seed=3)
    y = x.__rmatmul__(backend.from_host(a))  # native @ Tensor: array_api_strict refuses to defer
    np.testing.assert_allclose(y.numpy(), a @ x.numpy(), rtol=1e-12)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), a.sum(axis=0)[:, None] * np.ones((1, 2)), rtol=1e-12)


LINEAR_SHAPES = [((3, 4), True), ((3, 4), False), ((2, 3, 4), True), ((4,), True)]


@pytest.mark.parametrize("x_shape,bias", LINEAR_SHAPES, ids=str)
def test_linear_gradients_and_torch(backend, x_shape, bias):
    arrays = [sample("any", x_shape), sample("any", (2, 4), seed=1)] + ([sample("any", (2,), seed=2)] if bias else [])
    check_gradients(backend, L.linear, *arrays)
    for dtype in DTYPES:
        compare_with_torch(backend, L.linear, torch.nn.functional.linear, *(a.astype(dtype) for a in arrays),
                           **tolerances(dtype))


# -- shapes, slicing, gathering -----------------------------------------------------------------------
SHAPE_OPS = [
    ("reshape", lambda x: S.reshape(x, (3, 4)), lambda t: t.reshape(3, 4)),
    ("reshape_infer", lambda x: x.reshape(-1, 2), lambda t: t.reshape(-1, 2)),
    ("view_args", lambda x: x.view(4, 3), lambda t: t.reshape(4, 3)),
    ("permute", lambda x: S.permute(x, (2, 0, 1)), lambda t: t.permute(2, 0, 1)),
    ("permute_method", lambda x: x.permute(1, 2, 0), lambda t: t.permute(1, 2, 0)),
    ("transpose", lambda x: S.transpose(x, 0, 2), lambda t: t.transpose(0, 2)),
    ("transpose_default", S.transpose, lambda t: t.transpose(-2, -1)),
    ("mT", lambda x: x.mT, lambda t: t.mT),
    ("T", lambda x: x.T, lambda t: t.permute(2, 1, 0)),
    ("flatten", S.flatten, lambda t: t.flatten(1)),
    ("flatten_method", lambda x: x.flatten(), lambda t: t.flatten()),
    ("flatten_range", lambda x: S.flatten(x, 0, 1), lambda t: t.flatten(0, 1)),
    ("int", lambda x: x[1], lambda t: t[1]),
    ("negative_int", lambda x: x[-1, 0], lambda t: t[-1, 0]),
    ("element", lambda x: x[1, 2, 0], lambda t: t[1, 2, 0]),
    ("slices", lambda x: x[:, 1:3], lambda t: t[:, 1:3]),
    ("step_slice", lambda x: x[:, ::2], lambda t: t[:, ::2]),
    ("ellipsis", lambda x: x[..., 1], lambda t: t[..., 1]),
    ("none_axis", lambda x: x[None, 0], lambda t: t[None, 0]),
    ("none_middle", lambda x: x[:, None, 1:], lambda t: t[:, None, 1:]),
]


@pytest.mark.parametrize("name,ours,theirs", SHAPE_OPS, ids=[s[0] for s in SHAPE_OPS])
def test_shape_op_gradients_and_torch(backend, name, ours, theirs):
    x = sample("any", (2, 3, 2))
    check_gradients(backend, ours, x)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, theirs, x.astype(dtype), **tolerances(dtype))


@pytest.mark.parametrize("index_shape", [(5,), (2, 3)], ids=str)
def test_take_rows_with_duplicate_indices(backend, index_shape):
    rng = np.random.default_rng(0)
    index = np.array([0, 2, 0, 0, 3, 2])[: int(np.prod(index_shape))].reshape(index_shape)
    x = rng.standard_normal((4, 3))

    def ours(t):
        return S.take_rows(t, make(backend, index))

    check_gradients(backend, ours, x)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, lambda t: t[torch.tensor(index)], x.astype(dtype), **tolerances(dtype))
    # through Tensor.__getitem__, with a Tensor and with a native array index
    t = make(backend, x, requires_grad=True)
    t[make(backend, index)].sum().backward()
    counts = np.bincount(index.ravel(), minlength=4)[:, None] * np.ones((1, 3))
    np.testing.assert_allclose(t.grad.numpy(), counts)
    np.testing.assert_allclose(t[backend.from_host(index)].numpy(), x[index])


def test_getitem_with_a_list_of_rows(backend):
    x = sample("any", (4, 3))
    t = make(backend, x, requires_grad=True)
    t[[3, 0, 3]].sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), np.array([[1.0] * 3, [0] * 3, [0] * 3, [2] * 3]))


def test_getitem_boolean_mask_as_in_torch_and_float_index_refused(backend):
    x = sample("any", (4, 3))
    t = make(backend, x)
    np.testing.assert_allclose(t[t > 0.0].numpy(), x[x > 0.0])  # a mask selects, as in PyTorch and NumPy
    with pytest.raises(TypeError, match="integers"):
        t[[0.5, 1.0]]


def test_getitem_with_numpy_integer(backend):
    t = make(backend, sample("any", (4, 3)))
    np.testing.assert_allclose(t[np.int64(2)].numpy(), t.numpy()[2])


def test_take_rows_refuses_indices_of_another_backend():
    x = make("torch", sample("any", (4, 3)))
    with pytest.raises(BackendMismatch, match="take_rows"):
        S.take_rows(x, np.array([0, 1]))
    with pytest.raises(BackendMismatch, match="take_rows"):
        S.take_rows(x, make("numpy", np.array([0, 1])))


CONCAT_CASES = [(0, [(1, 3), (2, 3), (3, 3)]), (1, [(2, 1), (2, 4)]), (-1, [(2, 2, 1), (2, 2, 3)])]


@pytest.mark.parametrize("axis,shapes", CONCAT_CASES, ids=str)
def test_concat_gradients_and_torch(backend, axis, shapes):
    arrays = [sample("any", s, seed=i) for i, s in enumerate(shapes)]

    def ours(*ts):
        return S.concat(list(ts), axis=axis)

    def theirs(*ts):
        return torch.cat(ts, dim=axis)

    check_gradients(backend, ours, *arrays)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, theirs, *(a.astype(dtype) for a in arrays), **tolerances(dtype))


@pytest.mark.parametrize("axis", [0, 1, -1, 2])
def test_stack_gradients_and_torch(backend, axis):
    arrays = [sample("any", (2, 3), seed=i) for i in range(3)]

    def ours(*ts):
        return S.stack(list(ts), axis=axis)

    def theirs(*ts):
        return torch.stack(ts, dim=axis)

    check_gradients(backend, ours, *arrays)
    for dtype in DTYPES:
        compare_with_torch(backend, ours, theirs, *(a.astype(dtype) for a in arrays), **tolerances(dtype))


def test_concat_with_a_constant_input(backend):
    a = make(backend, np.ones((1, 2)), requires_grad=True)
    b = make(backend, np.zeros((2, 2)))
    (S.concat([a, b]) * 3.0).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), 3.0 * np.ones((1, 2)))


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


def test_var_and_std_share_pytorchs_unbiased_default(backend):
    """``x.var()``, ``anynn.var``, ``anynn.functional.var`` (and ``std``) all default to PyTorch's ``correction=1``."""
    import anynn
    import anynn.functional as F

    x = sample("any", (4, 5))
    t, tt = make(backend, x), torch.tensor(x)
    for dim in (None, 0, 1):
        args = () if dim is None else (dim,)
        expected_var = torch.var(tt, *args).numpy()
        for got in (t.var(*args), anynn.var(t, *args), F.var(t, *args), R.var(t, *args)):
            np.testing.assert_allclose(got.numpy(), expected_var, rtol=1e-12)
        expected_std = torch.std(tt, *args).numpy()
        for got in (t.std(*args), anynn.std(t, *args)):
            np.testing.assert_allclose(got.numpy(), expected_std, rtol=1e-12)
