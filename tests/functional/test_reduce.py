# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Reductions (sum, mean, max, min, logsumexp, var/std) and their Tensor methods: a float64 gradient check on
every backend, forward + input gradients against PyTorch in float32 and float64, ties, infinities, and seeded
random shapes, axes and keepdims against PyTorch on every backend."""

from __future__ import annotations

import math
import warnings
from typing import Any
import zlib

import numpy as np
import pytest
import torch

import anynn
from anynn.functional import reduce as R

from tests.functional.samples import DTYPES, sample, tolerances
from tests.helpers import check_gradients, compare_with_torch, make, rand_shape, torch_oracle


# -- reductions ---------------------------------------------------------------------------------------
def _dim(axis: Any, ndim: int) -> Any:
    """PyTorch's spelling of ``axis``: every axis for None."""
    return tuple(range(ndim)) if axis is None else axis


# (name, ours(x, axis, keepdims), torch's(t, dim, keepdim))
REDUCTIONS = [
    ("sum", R.sum, lambda t, d, k: torch.sum(t, dim=d, keepdim=k)),
    ("mean", R.mean, lambda t, d, k: torch.mean(t, dim=d, keepdim=k)),
    ("max", R.max, lambda t, d, k: torch.amax(t, dim=d, keepdim=k)),
    ("min", R.min, lambda t, d, k: torch.amin(t, dim=d, keepdim=k)),
    ("logsumexp", R.logsumexp, lambda t, d, k: torch.logsumexp(t, dim=d, keepdim=k)),
    ("var", R.var, lambda t, d, k: torch.var(t, dim=d, keepdim=k)),
    ("var_biased", lambda x, a, k: R.var(x, a, k, correction=0),
     lambda t, d, k: torch.var(t, dim=d, keepdim=k, correction=0)),
    ("var_unbiased", lambda x, a, k: R.var(x, a, k, correction=1),
     lambda t, d, k: torch.var(t, dim=d, keepdim=k, correction=1)),
    ("method_sum", lambda x, a, k: x.sum(axis=a, keepdims=k), lambda t, d, k: t.sum(dim=d, keepdim=k)),
    ("method_mean", lambda x, a, k: x.mean(a, k), lambda t, d, k: t.mean(dim=d, keepdim=k)),
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
    compare_with_torch("numpy", lambda x: ours(x, axis, keepdims), lambda t: theirs(t, _dim(axis, t.ndim), keepdims),
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
    # an empty list of dims is every dim, as PyTorch's norm and count_nonzero read it (no reduction before)
    np.testing.assert_allclose(t.norm(dim=[]).numpy(), np.linalg.norm(x), rtol=1e-6)
    assert t.count_nonzero(dim=[]).item() == np.count_nonzero(x)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_mean_of_integers_is_refused_naming_the_dtype_as_torch(backend, dtype):
    values = np.array([[1, 0], [3, 4]]).astype(dtype)
    with pytest.raises(RuntimeError, match="could not infer output dtype"):
        torch.from_numpy(values).mean()
    x = make(backend, values)
    for call in (lambda: x.mean(), lambda: R.mean(x, axis=0), lambda: x.mean(dim=1, keepdim=True)):
        with pytest.raises((TypeError, RuntimeError), match=f"mean\\(\\): .* got dtype {dtype}"):
            call()
    # dtype= casts first, as PyTorch's does
    expected = torch.from_numpy(values).mean(dim=0, dtype=torch.float64).numpy()
    np.testing.assert_allclose(x.mean(0, dtype="float64").numpy(), expected)


# an integer dtype= was cast to first and then counted in int64 (sum(dtype=torch.int32) gave int64)
REQUESTED_DTYPES = {
    "sum": lambda lib, x, d: lib.sum(x, dtype=d), "sum_dim": lambda lib, x, d: lib.sum(x, 1, dtype=d),
    "method_sum": lambda lib, x, d: x.sum(0, keepdim=True, dtype=d), "prod": lambda lib, x, d: lib.prod(x, dtype=d),
    "prod_dim": lambda lib, x, d: x.prod(1, dtype=d), "nansum": lambda lib, x, d: lib.nansum(x, 0, dtype=d),
    "cumsum": lambda lib, x, d: lib.cumsum(x, 1, dtype=d), "cumprod": lambda lib, x, d: x.cumprod(0, dtype=d),
}


@pytest.mark.parametrize("source", ["int64", "uint8", "bool", "float32"])
@pytest.mark.parametrize("requested", ["int32", "int16", "int64", "float64"])
@pytest.mark.parametrize("name", list(REQUESTED_DTYPES))
def test_integer_reductions_give_the_dtype_asked_for_as_torch(backend, name, requested, source):
    values = np.array([[1, 0, 2], [3, 4, 1]]).astype(source)
    call = REQUESTED_DTYPES[name]
    want = call(torch, torch.from_numpy(values), getattr(torch, requested))
    got = call(anynn, make(backend, values), getattr(anynn, requested))
    assert anynn.backend.dtype_name(got.dtype) == requested == str(want.dtype).removeprefix("torch.")
    np.testing.assert_allclose(got.numpy(), want.numpy())


@pytest.mark.parametrize("source", ["uint16", "uint32", "uint64"])
@pytest.mark.parametrize("name", ["sum", "sum_dim", "method_sum", "nansum", "cumsum"])
def test_unsigned_sums_count_in_int64_as_torch(backend, name, source):
    """PyTorch sums every integer dtype in int64, uint64 too (entries past 2**63 wrap); anynn kept uint64."""
    values = np.array([[2**63 + 5, 7, 1], [2**64 - 1, 3, 2]], dtype=np.uint64).astype(source)
    call = {"sum": lambda lib, x: lib.sum(x), "sum_dim": lambda lib, x: lib.sum(x, 1),
            "method_sum": lambda lib, x: x.sum(0, keepdim=True), "nansum": lambda lib, x: lib.nansum(x, 0),
            "cumsum": lambda lib, x: lib.cumsum(x, 1)}[name]
    try:
        ours = make(backend, values)
    except (TypeError, ValueError) as error:
        pytest.skip(f"{source} on this backend: {error}")
    want, got = call(torch, torch.from_numpy(values)), call(anynn, ours)
    assert anynn.backend.dtype_name(got.dtype) == str(want.dtype).removeprefix("torch.") == "int64"
    np.testing.assert_array_equal(got.numpy(), want.numpy())


EMPTY_REDUCTIONS = {  # on a (0, 3) tensor, as PyTorch: NaN means, -inf logsumexp, NaN variances with a warning
    "mean": lambda x: x.mean(), "mean_dim0": lambda x: x.mean(0), "mean_dim1": lambda x: x.mean(1),
    "logsumexp_dim0": lambda x: x.logsumexp(0), "logsumexp_dim1": lambda x: x.logsumexp(1),
    "var": lambda x: x.var(), "std_dim0": lambda x: x.std(0), "var_biased": lambda x: x.var(correction=0),
}


@pytest.mark.parametrize("name", sorted(EMPTY_REDUCTIONS))
def test_reductions_over_nothing_as_torch_without_numpy_warnings(backend, name):
    values = np.zeros((0, 3))
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        theirs = EMPTY_REDUCTIONS[name](torch.tensor(values, requires_grad=True))
    x = make(backend, values, requires_grad=True)
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        ours = EMPTY_REDUCTIONS[name](x)
        ours.sum().backward()
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    assert [w.category for w in ours_warned] == [w.category for w in theirs_warned], [
        str(w.message) for w in ours_warned]
    assert x.grad.shape == (0, 3)


EXTREMES_OF_NOTHING = {  # on a (0, 3) tensor: (call, PyTorch's error class, or None where it gives a result)
    "max": (lambda lib, x: x.max(), RuntimeError), "min_dim0": (lambda lib, x: x.min(0), IndexError),
    "max_dim1": (lambda lib, x: x.max(1)[0], None), "amax": (lambda lib, x: x.amax(), RuntimeError),
    "amin_dim0": (lambda lib, x: lib.amin(x, 0), IndexError), "amax_dim1": (lambda lib, x: x.amax(1), None),
    "argmax": (lambda lib, x: x.argmax(), IndexError), "argmin_dim0": (lambda lib, x: lib.argmin(x, 0), IndexError),
    "argmax_dim1": (lambda lib, x: x.argmax(1), None),
}


@pytest.mark.parametrize("name", sorted(EXTREMES_OF_NOTHING))
def test_extremes_over_nothing_are_refused_by_name_as_torch(backend, name):
    """NumPy said 'zero-size array to reduction operation maximum which has no identity' or 'attempt to get argmax
    of an empty sequence' (ValueError); PyTorch names the op and the dim."""
    call, error = EXTREMES_OF_NOTHING[name]
    x = make(backend, np.zeros((0, 3)))
    if error is None:
        assert tuple(call(anynn, x).shape) == tuple(call(torch, torch.zeros(0, 3)).shape) == (0,)
        return
    with pytest.raises(error):
        call(torch, torch.zeros(0, 3))
    op = name.split("_")[0]
    with pytest.raises(error, match=f"^{op}\\(\\): Expected reduction dim"):
        call(anynn, x)


@pytest.mark.parametrize("correction", [1, 2])
def test_variance_without_degrees_of_freedom_is_nan_with_torchs_warning(backend, correction):
    values = np.array([[1.0, 2.0, 4.0]])
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        theirs = torch.tensor(values).var(0, correction=correction)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        ours = make(backend, values).var(0, correction=correction)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("values", [[[1.0, 2.0], [3.0, 5.0]], [[1.0, 1.0], [-2.0, 4.0]]])
def test_variance_without_degrees_of_freedom_has_torchs_gradient(backend, values):
    """correction = n: a spread's gradient along a dim is inf signed as g (x - mean) (it was NaN: the mean's
    inf - inf); a constant lane's NaN. (correction > n and full reductions: docs/differences.md.)"""
    weights, correction = np.array([1.0, -1.0]), 2
    theirs = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    ours = make(backend, np.array(values), requires_grad=True)
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        (theirs.var(1, correction=correction) * torch.tensor(weights)).sum().backward()
    with pytest.warns(UserWarning, match="degrees of freedom is <= 0"):
        (ours.var(1, correction=correction) * make(backend, weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


def test_variance_of_integers_is_refused_naming_var(backend):
    with pytest.raises(TypeError, match="var\\(\\): .* got dtype int64"):
        make(backend, np.arange(4)).var()


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
    for unbiased in (False, True):  # PyTorch's var(bool unbiased) overload reduces everything (read as dim 0 / 1)
        for ours, theirs in ((t.var(unbiased), tt.var(unbiased)), (anynn.std(t, unbiased), torch.std(tt, unbiased)),
                             (anynn.var_mean(t, unbiased)[1], torch.var_mean(tt, unbiased)[1])):
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


STD_OF_CONSTANTS = {  # lanes of equal values (std 0) beside spread ones; one lane of a single entry
    "std_dim1": lambda m, x: x.std(1), "std_dim0_biased": lambda m, x: m.std(x[:1], 0, correction=0),
    "std_all_biased": lambda m, x: (x[2:3] * x[2:3]).std(correction=0),
    "std_mean": lambda m, x: m.std_mean(x, 1, correction=0, keepdim=True)[0],
}


@pytest.mark.parametrize("name", sorted(STD_OF_CONSTANTS))
def test_std_of_constant_lanes_has_torchs_zero_gradient(backend, name):
    """std's gradient is 0 where the std is 0, as PyTorch's (the square root's was inf * 0 = NaN there), first and
    second order (the gradient of a gradient penalty)."""
    import anynn

    values = np.array([[2.0, 2.0, 2.0], [1.0, -0.5, 3.0], [0.5, 0.5, 0.5], [0.25, 1.5, -2.0]])
    results = []
    for lib, x in ((anynn, make(backend, values, requires_grad=True)),
                   (torch, torch.tensor(values, requires_grad=True))):
        out = STD_OF_CONSTANTS[name](lib, x)
        g, = lib.autograd.grad((out * out + out).sum(), x, create_graph=True)
        gg, = lib.autograd.grad((g * g).sum(), x)
        results.append([out.detach().numpy(), g.detach().numpy(), gg.numpy()])
    for ours, theirs in zip(*results):
        assert np.all(np.isfinite(ours))
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_float32_std_whose_variance_leaves_float32_matches_torch(backend):
    """float32 std where the variance overflows (deviations ~1e20: it was inf) or is subnormal (~1e-20: it lost
    digits), beside ordinary and constant lanes: PyTorch accumulates in double; anynn rescales those lanes."""
    values = np.array([[1e20, -1e20, 3e20, 2e20], [1e-20, 3e-20, -2e-20, 0.0], [1.0, 2.0, 3.5, 4.0],
                       [5.0, 5.0, 5.0, 5.0]], dtype=np.float32)
    for call in (lambda m, x: x.std(-1), lambda m, x: m.std(x, 1, keepdim=True, correction=0),
                 lambda m, x: m.std_mean(x[:1])[0], lambda m, x: x[1:3].std(0)):
        ours, theirs = make(backend, values, requires_grad=True), torch.tensor(values, requires_grad=True)
        out, reference = call(anynn, ours), call(torch, theirs)
        assert str(out.numpy().dtype) == "float32"
        np.testing.assert_allclose(out.numpy(), reference.detach().numpy(), rtol=1e-6)
        out.sum().backward()
        reference.sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-5, atol=1e-7)
    # a lane whose mean overflows float32 (it was NaN; PyTorch's double accumulation gives 2.5e38 in a batch)
    huge = make(backend, np.array([[1e38, 3e38, -3e38, 0.0], [1.0, 2.0, 3.0, 4.0]], dtype=np.float32))
    np.testing.assert_allclose(huge.std(1).numpy(), [2.5e38, 1.2909944], rtol=1e-6)


# -- seeded random axes against PyTorch on every backend ------------------------------------------------
def _draw_axis(rng: np.random.Generator, ndim: int) -> Any:
    choice = int(rng.integers(0, 3)) if ndim else 0
    if choice == 0:
        return None
    if choice == 1:
        return int(rng.integers(-ndim, ndim))
    k = int(rng.integers(1, ndim + 1))
    axes = rng.choice(ndim, size=k, replace=False)
    return tuple(int(a) - ndim if rng.random() < 0.5 else int(a) for a in axes)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,ours,theirs", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions_random_axes(backend, dtype, name, ours, theirs):
    rng = np.random.default_rng(zlib.crc32(name.encode()) % 1000)  # (str hash() changes per process)
    for _ in range(8):
        shape = rand_shape(rng, min_rank=1, max_dim=4)
        axis = _draw_axis(rng, len(shape))
        keepdims = bool(rng.integers(0, 2))
        count = math.prod(shape) if axis is None else math.prod(
            shape[a] for a in ((axis,) if isinstance(axis, int) else axis))
        if name == "var_unbiased" and count < 2:
            continue
        x = rng.standard_normal(shape).astype(dtype)
        torch_oracle(backend, lambda t: ours(t, axis, keepdims), lambda t: theirs(t, _dim(axis, t.ndim), keepdims),
                     [x], dtype, what=f"{name} {shape} axis={axis} keepdims={keepdims}")


@pytest.mark.parametrize("dtype", DTYPES)
def test_reductions_of_scalars(backend, dtype):
    x = np.asarray(1.5, dtype=dtype)
    for name, ours, theirs in REDUCTIONS[:5]:
        torch_oracle(backend, lambda t: ours(t, None, False), lambda t: theirs(t, (), False), [x], dtype, what=name)
        torch_oracle(backend, lambda t: ours(t, 0, True), lambda t: theirs(t, 0, True), [x], dtype,
                     what=f"{name} axis 0")


def test_torch_spellings_dim_keepdim(backend):
    rng = np.random.default_rng(16)
    x = rng.standard_normal((3, 4))
    torch_oracle(backend, lambda t: t.sum(dim=1, keepdim=True), lambda t: t.sum(dim=1, keepdim=True), [x], "float64")
    torch_oracle(backend, lambda t: R.var(t, dim=0, unbiased=True), lambda t: torch.var(t, dim=0), [x], "float64")
    torch_oracle(backend, lambda t: R.max(t, dim=[0, 1]), lambda t: t.amax(dim=[0, 1]), [x], "float64")


# -- F.normalize: x / max(||x||_p, eps) along dim, a zero lane included --------------------------------
NORMALIZE = [(2.0, 1), (2.0, -1), (1.0, 0), (3.0, 1), (math.inf, 2), (0.5, -1),
             (2.0, (0, -1))]  # (a tuple dim: TypeError before)


def _with_zero_lane(shape: tuple[int, ...], seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).standard_normal(shape)
    x[0, ..., 0] = 0.0  # PyTorch: the norm is clamped at eps there, the gradient is x's / eps
    return x


@pytest.mark.parametrize("p, dim", NORMALIZE, ids=str)
def test_normalize_gradients(backend, p, dim):
    import anynn.functional as F

    x = np.random.default_rng(3).uniform(0.3, 1.5, (2, 3, 4)) * np.sign(sample("nonzero", (2, 3, 4)))
    check_gradients(backend, lambda t: F.normalize(t, p, dim), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("p, dim", NORMALIZE, ids=str)
def test_normalize_matches_torch(backend, p, dim, dtype):
    import anynn.functional as F

    x = _with_zero_lane((2, 3, 4)).astype(dtype)
    torch_oracle(backend, lambda t: F.normalize(t, p=p, dim=dim), lambda t: torch.nn.functional.normalize(t, p, dim),
                 [x], dtype, what=f"normalize p={p} dim={dim}")


def test_normalize_eps_out_and_errors(backend):
    import anynn.functional as F

    x = np.array([[1e-3, -2e-3], [3.0, 4.0]])
    torch_oracle(backend, lambda t: F.normalize(t, eps=0.1), lambda t: torch.nn.functional.normalize(t, eps=0.1),
                 [x], "float64", what="eps above the first row's norm")
    torch_oracle(backend, lambda t: F.normalize(t, dim=None), lambda t: torch.nn.functional.normalize(t, dim=None),
                 [x], "float64", what="dim=None: the norm of everything (anynn's range check compared None)")
    out = make(backend, np.zeros((2, 2)))
    got = F.normalize(make(backend, x), dim=0, out=out)
    assert got is out
    np.testing.assert_allclose(out.numpy(), torch.nn.functional.normalize(torch.tensor(x), dim=0).numpy(), rtol=1e-12)
    with pytest.raises(IndexError, match="normalize: dim 2 is out of range"):
        F.normalize(make(backend, x), dim=2)


MASKED_CASES = [("sum", (1,), {}), ("sum", ((0, 1),), {"keepdim": True}), ("prod", (), {}), ("mean", (1,), {}),
                ("amax", (1,), {}), ("amin", (0,), {}), ("argmax", (1,), {}), ("logsumexp", (1,), {}),
                ("norm", (1.0, 0), {}), ("var", (1,), {}), ("std", (0,), {"correction": 0}), ("median", (1,), {}),
                ("softmax", (1,), {}), ("log_softmax", (1,), {}), ("softmin", (0,), {}), ("normalize", (2.0, 1), {}),
                ("cumsum", (1,), {}), ("cumprod", (0,), {})]


def test_masked_reductions_as_torch(backend, rng):
    """torch.masked's reductions after the import swap (AttributeError before): each reads only the elements the
    mask keeps, a row with none kept gives PyTorch's value there (0, 1, NaN, -inf...), and the gradients (NaN
    outputs zeroed) match; MaskedTensor is refused by name. All of torch.masked's reductions checked by hand on three
    backends, a row each here."""
    x0, m0 = rng.standard_normal((3, 4)), rng.random((3, 4)) > 0.5
    m0[1], m0[2, 1] = False, True
    for name, args, options in MASKED_CASES:
        found = []
        for lib, new in ((torch, torch.tensor), (anynn, lambda a: anynn.tensor(a, backend=backend))):
            x = new(x0).requires_grad_()
            out = getattr(lib.masked, name)(x, *args, mask=new(m0), **options)
            if out.requires_grad:
                (out.nan_to_num(0.0, 0.0, 0.0) ** 2).sum().backward()
            grad = None if x.grad is None else np.asarray(x.grad.tolist())
            found.append([np.asarray(out.tolist(), dtype=float), grad])
        (ours, our_grad), (theirs, their_grad) = found[1], found[0]
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-12, err_msg=name)
        assert (our_grad is None) == (their_grad is None), name
        if our_grad is not None:
            np.testing.assert_allclose(our_grad, their_grad, rtol=1e-10, atol=1e-12, err_msg=name)
    # a 0-d input over dim 0 (PyTorch's OpInfo sample; prod raised ZeroDivisionError), and dim 1 refused (anynn's
    # prod and cumprod of a number took any dim)
    for lib, new in ((torch, torch.tensor), (anynn, lambda a: anynn.tensor(a, backend=backend))):
        assert lib.masked.prod(new(2.5), 0, keepdim=True).item() == 2.5
        for call in (lambda: new(2.5).prod(1), lambda: new(2.5).cumprod(1), lambda: lib.masked.prod(new(2.5), 1)):
            with pytest.raises(IndexError):
                call()
    with pytest.raises(NotImplementedError, match="torch.masked.masked_tensor: anynn has no MaskedTensor"):
        anynn.masked.masked_tensor(anynn.ones(2), anynn.ones(2, dtype=anynn.bool))
