"""index_add, index_copy, index_fill, index_put and scatter_reduce (and their in-place forms) against PyTorch on
every backend: forward and gradients on several shapes, dims and repeated indices, float64 grad and gradgrad checks,
integer and boolean dtypes, the in-place rules, and the errors for bad indices and shapes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
import anynn.functional as F
from anynn.backend import dtype_name
from anynn.testing import gradgrad_check
from tests.helpers import check_gradients, compare_with_torch, make

pytestmark = pytest.mark.jax  # the writes must also work where arrays cannot be written in place

R = np.random.default_rng(21)
X = R.standard_normal((3, 4, 2))


def _t(backend, array):
    return anynn.tensor(np.asarray(array), backend=backend)


def _long(array):
    return torch.tensor(np.asarray(array))


# (name, ours(backend) -> fn(x, s), theirs: fn(x, s), shape of s); indices repeat where the result is defined
ROWS, COLS = [2, 0, 2, 1, 2], [3, 0, 1]
CASES = [
    ("index_add_dim0", lambda b: lambda x, s: x.index_add(0, _t(b, ROWS), s),
     lambda x, s: x.index_add(0, _long(ROWS), s), (5, 4, 2)),
    ("index_add_dim1_alpha", lambda b: lambda x, s: anynn.index_add(x, 1, _t(b, [3, 3, 0]), s, alpha=-2.5),
     lambda x, s: torch.index_add(x, 1, _long([3, 3, 0]), s, alpha=-2.5), (3, 3, 2)),
    ("index_add_last_int32", lambda b: lambda x, s: F.index_add(x, -1, _t(b, np.array([1, 1], np.int32)), s),
     lambda x, s: x.index_add(-1, torch.tensor([1, 1], dtype=torch.int32), s), (3, 4, 2)),
    ("index_copy_dim1", lambda b: lambda x, s: x.index_copy(1, _t(b, COLS), s),
     lambda x, s: x.index_copy(1, _long(COLS), s), (3, 3, 2)),
    ("index_copy_dim0", lambda b: lambda x, s: anynn.index_copy(x, 0, _t(b, [2]), s),
     lambda x, s: torch.index_copy(x, 0, _long([2]), s), (1, 4, 2)),
    ("index_fill_tensor_value", lambda b: lambda x, s: x.index_fill(1, _t(b, [0, 0, 3]), s.sum()),
     lambda x, s: x.index_fill(1, _long([0, 0, 3]), s.sum()), (2,)),
    ("index_fill_number", lambda b: lambda x, s: anynn.index_fill(x, 2, _t(b, [1]), -0.5) * s,
     lambda x, s: torch.index_fill(x, 2, _long([1]), -0.5) * s, (2,)),
    ("index_put_pairs", lambda b: lambda x, s: x.index_put((_t(b, [0, 2]), _t(b, [1, 3])), s),
     lambda x, s: x.index_put((_long([0, 2]), _long([1, 3])), s), (2, 2)),
    ("index_put_broadcast", lambda b: lambda x, s: anynn.index_put(x, [_t(b, [2, 0])], s),
     lambda x, s: torch.index_put(x, [_long([2, 0])], s), (1, 2)),
    ("index_put_accumulate", lambda b: lambda x, s: x.index_put((_t(b, [1, 1, 0]), _t(b, [2, 2, -1])), s, True),
     lambda x, s: x.index_put((_long([1, 1, 0]), _long([2, 2, -1])), s, True), (3, 2)),
    ("index_put_mask_accumulate", lambda b: lambda x, s: F.index_put(x, (_t(b, X[..., 0] > 0),), s, accumulate=True),
     lambda x, s: x.index_put((torch.tensor(X[..., 0] > 0),), s, accumulate=True), (2,)),
    # masked_scatter: a broadcast mask, a source with more elements than it takes (the rest gets zero gradient)
    ("masked_scatter_broadcast", lambda b: lambda x, s: x.masked_scatter(_t(b, X[..., :1] > 0), s),
     lambda x, s: x.masked_scatter(torch.tensor(X[..., :1] > 0), s), (5, 3)),
    ("masked_scatter_full", lambda b: lambda x, s: anynn.masked_scatter(x, _t(b, X < 0), s),
     lambda x, s: torch.masked_scatter(x, torch.tensor(X < 0), s), (3, 4, 2)),
]
REDUCE_INDEX = np.array([[[0, 1], [2, 2], [1, 0], [2, 0], [0, 0]], [[1, 1], [1, 1], [0, 2], [2, 1], [0, 2]],
                         [[2, 0], [0, 1], [2, 2], [1, 1], [0, 1]]])  # (3, 5, 2): repeats along dim 0
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _include in (True, False):
        CASES.append((f"scatter_reduce_{_reduce}_{_include}",
                      lambda b, r=_reduce, i=_include: lambda x, s: x.scatter_reduce(
                          0, _t(b, REDUCE_INDEX[:, :4]), s, r, include_self=i),
                      lambda x, s, r=_reduce, i=_include: x.scatter_reduce(0, _long(REDUCE_INDEX[:, :4]), s, r,
                                                                           include_self=i), (3, 4, 2)))
# scatter(reduce="multiply"): PyTorch's has no derivative; its values are scatter_reduce's product with the input's own
CASES.append(("scatter_multiply", lambda b: lambda x, s: x.scatter(0, _t(b, REDUCE_INDEX[:, :4]), s, reduce="multiply"),
              lambda x, s: x.scatter_reduce(0, _long(REDUCE_INDEX[:, :4]), s, "prod"), (3, 4, 2)))
# index_copy's and index_put's winner among repeated indices is unspecified: their cases keep indices distinct
NAMES = [c[0] for c in CASES]


@pytest.mark.parametrize("name, ours, theirs, s_shape", CASES, ids=NAMES)
def test_matches_torch_and_gradients(backend, name, ours, theirs, s_shape):
    s = R.standard_normal(s_shape)
    compare_with_torch(backend, ours(backend), theirs, X, s, rtol=1e-12, atol=1e-12)
    compare_with_torch(backend, ours(backend), theirs, X.astype(np.float32), s.astype(np.float32),
                       rtol=1e-5, atol=1e-6)
    check_gradients(backend, ours(backend), X, s)
    if name.startswith("scatter_reduce"):  # a src wider than the index: only its region is read (and gets gradient)
        check_gradients(backend, ours(backend), X, R.standard_normal((3, 5, 2)))


@pytest.mark.jax(run=False)  # (masked_scatter's jax rows run above; this one cost seconds of jax compiles)
def test_masked_scatter_broadcasts_input_and_mask_as_torch(backend):
    """x (2, 1) and a (1, 3) mask give (2, 3), as PyTorch's out-of-place form (anynn refused the mask)."""
    mask = [[True, False, True]]
    compare_with_torch(backend, lambda x, s: x.masked_scatter(_t(backend, mask), s),
                       lambda x, s: x.masked_scatter(torch.tensor(mask), s), R.standard_normal((2, 1)),
                       R.standard_normal(5), rtol=1e-12, atol=1e-12)


def _reducer(index, reduce, include_self):
    return lambda b: lambda x, s: x.scatter_reduce(1, _t(b, index), s, reduce, include_self=include_self)


SMALL_INDEX = np.array([[0, 2, 2, 1], [1, 1, 0, 1]])
GRADGRAD = {  # name: (fn(backend) of x (2, 3) and s, shape of s); tiny, as each entry costs two passes
    "index_add": (lambda b: lambda x, s: x.index_add(1, _t(b, [2, 0, 2]), s, alpha=1.5), (2, 3)),
    "index_copy": (lambda b: lambda x, s: x.index_copy(0, _t(b, [1]), s), (1, 3)),
    "index_fill": (lambda b: lambda x, s: x.index_fill(1, _t(b, [2, 2]), s.sum()), (2,)),
    "index_put": (lambda b: lambda x, s: x.index_put((_t(b, [0, 1]), _t(b, [2, 0])), s), (2,)),
    "index_put_accumulate": (lambda b: lambda x, s: x.index_put((_t(b, [1, 1]),), s, accumulate=True), (3,)),
    "masked_scatter": (lambda b: lambda x, s: x.masked_scatter(_t(b, [[True, False, True], [False, True, False]]), s),
                       (4,)),
    **{f"scatter_reduce_{r}_{i}": (_reducer(SMALL_INDEX, r, i), (2, 4))
       for r in ("sum", "prod", "mean", "amax", "amin") for i in (True, False)},
}


@pytest.mark.parametrize("name", sorted(GRADGRAD))
def test_second_derivatives(backend, name):
    ours, s_shape = GRADGRAD[name]
    fn = ours(backend)

    def squared(a, b):
        return fn(a, b) * fn(a, b) * a

    tensors = [anynn.tensor(R.standard_normal(shape), backend=backend, dtype="float64", requires_grad=True)
               for shape in ((2, 3), s_shape)]
    assert gradgrad_check(squared, *tensors, atol=1e-5, rtol=1e-4)


# -- seeded random shapes, dims and repeated indices against PyTorch ------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_random_cases_match_torch(backend, seed):
    rng = np.random.default_rng(seed)
    ndim = int(rng.integers(1, 4))
    shape = tuple(int(n) for n in rng.integers(1, 4, ndim))
    dim = int(rng.integers(-ndim, ndim))
    x = rng.standard_normal(shape)
    # index_add: a vector index with repeats
    count = int(rng.integers(1, 6))
    vector = rng.integers(0, shape[dim], count)
    s_shape = tuple(count if d == dim % ndim else n for d, n in enumerate(shape))
    s = rng.standard_normal(s_shape)
    compare_with_torch(backend, lambda a, b: a.index_add(dim, _t(backend, vector), b),
                       lambda a, b: a.index_add(dim, _long(vector), b), x, s, rtol=1e-12, atol=1e-12)
    # scatter_reduce: an index no larger than src, src wider than the input along dim
    src_shape = tuple(n + 2 if d == dim % ndim else n for d, n in enumerate(shape))
    index_shape = tuple(int(rng.integers(1, n + 1)) for n in src_shape)
    index = rng.integers(0, shape[dim], index_shape)
    src = rng.standard_normal(src_shape)
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            ours = (lambda r, i: lambda a, b: a.scatter_reduce(dim, _t(backend, index), b, r, include_self=i))(
                reduce, include_self)
            theirs = (lambda r, i: lambda a, b: a.scatter_reduce(dim, _long(index), b, r, include_self=i))(
                reduce, include_self)
            # PyTorch's backward refuses a src larger than the index, so the gradients are compared on the
            # region the index covers
            region = src[tuple(slice(0, n) for n in index_shape)]
            compare_with_torch(backend, ours, theirs, x, region, rtol=1e-10, atol=1e-12)
            out = ours(make(backend, x), make(backend, src))
            np.testing.assert_allclose(out.numpy(), theirs(torch.tensor(x), torch.tensor(src)).numpy(), rtol=1e-12)


# -- PyTorch's choices where the reduction is not differentiable -------------------------------------------------------
@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("reduce", ["amax", "amin", "prod"])
def test_ties_and_zeros_share_gradients_as_torch(backend, reduce, include_self):
    x = np.array([[1.0, 5.0, 0.0, 2.0]])
    src = np.array([[5.0, 5.0, 2.0, 0.0, 3.0, 0.0, 0.0, 2.0]])  # ties with the input and each other; one zero and two
    index = np.array([[1, 1, 2, 2, 2, 3, 3, 0]])

    compare_with_torch(backend, lambda a, b: a.scatter_reduce(1, _t(backend, index), b, reduce,
                                                              include_self=include_self),
                       lambda a, b: a.scatter_reduce(1, _long(index), b, reduce, include_self=include_self),
                       x, src, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "complex64"])
def test_integer_and_boolean_scatter_reduce_as_torch(backend, reduce, dtype):
    x = np.array([[5, 0, 1, 2], [-5, 3, 1, 7]]) % 9
    src = np.array([[2, 2, 4, 1], [3, 3, 0, 6]])
    index = np.array([[0, 0, 1, 3], [1, 1, 1, 0]])
    for include_self in (True, False):
        def ours(include_self=include_self):
            a, b = make(backend, x.astype(dtype)), make(backend, src.astype(dtype))
            return a.scatter_reduce(1, _t(backend, index), b, reduce, include_self=include_self)
        expected_error = None
        try:
            ref = torch.tensor(x.astype(dtype)).scatter_reduce(1, _long(index), torch.tensor(src.astype(dtype)), reduce,
                                                               include_self=include_self)
        except (RuntimeError, NotImplementedError) as error:
            expected_error = type(error)
        if expected_error is not None:
            with pytest.raises(expected_error, match="scatter_reduce"):
                ours()
            continue
        out = ours()
        assert dtype_name(out.dtype) == dtype
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


BOOLEAN_ADDS = {  # booleans add as a logical or (array-api-strict refused + and the one-hot matmul of booleans)
    "index_add": lambda lib, x, i, v: x.index_add(0, i, v),
    "scatter_add": lambda lib, x, i, v: lib.scatter_add(x, 0, i, v),
    "scatter_reduce_add": lambda lib, x, i, v: x.scatter(0, i, v, reduce="add"),
    "index_put_accumulate": lambda lib, x, i, v: x.index_put((i,), v, accumulate=True),
    "put_accumulate": lambda lib, x, i, v: x.clone().put_(i, v, accumulate=True),
}


@pytest.mark.parametrize("call", list(BOOLEAN_ADDS.values()), ids=list(BOOLEAN_ADDS))
def test_boolean_accumulation_as_torch(backend, call):
    x, index, values = np.array([True, False, False, False]), np.array([1, 1, 3]), np.array([True, False, False])
    out = call(anynn, make(backend, x), _t(backend, index), make(backend, values))
    expected = call(torch, torch.tensor(x), _long(index), torch.tensor(values))
    assert dtype_name(out.dtype) == "bool"
    assert out.tolist() == expected.tolist()


def test_integer_mean_rounds_down_and_index_add_cuts_alpha_as_torch(backend):
    x, src, index = np.array([[-5, 7, 1, 2]]), np.array([[2, 2, 4]]), np.array([[0, 0, 1]])
    out = make(backend, x).scatter_reduce(1, _t(backend, index), make(backend, src), "mean")
    assert out.tolist() == torch.tensor(x).scatter_reduce(1, _long(index), torch.tensor(src), "mean").tolist()
    out = make(backend, x).index_add(1, _t(backend, [0, 3]), make(backend, np.array([[3, 3]])), alpha=-1.5)
    assert out.tolist() == torch.tensor(x).index_add(1, _long([0, 3]), torch.tensor([[3, 3]]), alpha=-1.5).tolist()
    out = make(backend, x).scatter(1, _t(backend, index), 3.5, reduce="multiply")  # the number cut to int64 first
    assert out.tolist() == torch.tensor(x).scatter(1, _long(index), 3.5, reduce="multiply").tolist()
    out = make(backend, x).index_fill(1, _t(backend, [2]), 1.7)
    assert out.tolist() == torch.tensor(x).index_fill(1, _long([2]), 1.7).tolist()


def test_index_fill_takes_negative_indices_with_gradients(backend):
    # PyTorch 2.13 fills at index -1 but its backward fails there; the gradient is the one of index 3
    def ours(x, v):
        return x.index_fill(1, _t(backend, [-1, 0]), v.sum())

    ref = torch.tensor(X).index_fill(1, _long([-1, 0]), 2.0)
    np.testing.assert_array_equal(ours(make(backend, X), make(backend, np.array([2.0]))).numpy(), ref.numpy())
    compare_with_torch(backend, ours, lambda x, v: x.index_fill(1, _long([3, 0]), v.sum()), X, np.array([2.0]),
                       rtol=1e-12, atol=1e-12)
    check_gradients(backend, ours, X, np.array([2.0]))


def test_zero_dim_operands_as_torch(backend):
    s, v = np.array(2.0), np.array(3.0)
    for ours, theirs in [
        (lambda a, b: a.index_add(0, _t(backend, 0), b), lambda a, b: a.index_add(0, _long(0), b)),
        (lambda a, b: a.index_copy(0, _t(backend, [0]), b), lambda a, b: a.index_copy(0, _long([0]), b)),
        (lambda a, b: a.scatter_reduce(0, _t(backend, 0), b, "prod"),
         lambda a, b: a.scatter_reduce(0, _long(0), b, "prod")),
    ]:
        compare_with_torch(backend, ours, theirs, s, v, rtol=1e-12, atol=1e-12)


# -- in-place forms ----------------------------------------------------------------------------------------------------
DISTINCT = np.array([[[0, 1], [2, 3], [3, 0]], [[1, 2], [0, 0], [3, 1]], [[2, 3], [1, 1], [0, 2]]])  # along dim 1
INPLACE = [
    ("index_add_", lambda b, s: ((0, _t(b, [2, 2]), s), {"alpha": 2.0}),
     lambda s: ((0, _long([2, 2]), s), {"alpha": 2.0}), (2, 4, 2)),
    ("index_copy_", lambda b, s: ((1, _t(b, [1, 3]), s), {}), lambda s: ((1, _long([1, 3]), s), {}), (3, 2, 2)),
    ("index_fill_", lambda b, s: ((2, _t(b, [0]), s.sum()), {}), lambda s: ((2, _long([0]), s.sum()), {}), (3,)),
    ("index_put_", lambda b, s: (((_t(b, [0, 0]), _t(b, [1, 1])), s, True), {}),
     lambda s: (((_long([0, 0]), _long([1, 1])), s, True), {}), (2, 2)),
    ("scatter_", lambda b, s: ((1, _t(b, DISTINCT), s), {}), lambda s: ((1, _long(DISTINCT), s), {}), (3, 3, 2)),
    ("masked_scatter_", lambda b, s: ((_t(b, X > 0), s), {}), lambda s: ((torch.tensor(X > 0), s), {}), (30,)),
    ("scatter_add_", lambda b, s: ((1, _t(b, REDUCE_INDEX[:, :3]), s), {}),
     lambda s: ((1, _long(REDUCE_INDEX[:, :3]), s), {}), (3, 3, 2)),
    ("scatter_reduce_", lambda b, s: ((0, _t(b, REDUCE_INDEX[:, :2]), s, "amax"), {"include_self": False}),
     lambda s: ((0, _long(REDUCE_INDEX[:, :2]), s, "amax"), {"include_self": False}), (3, 2, 2)),
]


@pytest.mark.parametrize("name, ours, theirs, s_shape", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_forms_as_torch(backend, name, ours, theirs, s_shape):
    s = R.standard_normal(s_shape)

    def run(method_args, x, src):
        y = x * 1.0  # a non-leaf, which may be written in place
        args, kwargs = method_args(src)
        out = getattr(y, name)(*args, **kwargs)
        assert out is y
        return y * y

    compare_with_torch(backend, lambda x, src: run(lambda v: ours(backend, v), x, src),
                       lambda x, src: run(theirs, x, src), X, s, rtol=1e-12, atol=1e-12)
    # the version counter: a tensor saved for backward and then written refuses the backward, as in PyTorch
    x = make(backend, X, requires_grad=True)
    y = x * 1.0
    z = y * y  # saves y
    args, kwargs = ours(backend, make(backend, s))
    getattr(y, name)(*args, **kwargs)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.sum().backward()
    # a leaf that requires grad refuses; outside recording it is written in place
    leaf = make(backend, X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        getattr(leaf, name)(*args, **kwargs)
    with anynn.no_grad():
        getattr(leaf, name)(*args, **kwargs)
    targs, tkwargs = theirs(torch.tensor(s))
    np.testing.assert_allclose(leaf.detach().numpy(), getattr(torch.tensor(X), name)(*targs, **tkwargs).numpy(),
                               rtol=1e-12)


def test_top_level_index_put_(backend):
    x = make(backend, X[0])
    assert anynn.index_put_(x, (_t(backend, [1]),), make(backend, np.ones(2))) is x
    np.testing.assert_array_equal(x.numpy()[1], np.ones(2))


def test_masked_scatter_from_a_view_of_itself_as_torch(backend):
    """``y.masked_scatter_(mask, y[3:])`` reads its source before writing: both gradients (first order and of a
    penalty on them, create_graph=True) as PyTorch's; the write's backward reads no value the write changed."""
    mask, weights = np.array([True, False, True, False, False, False]), np.arange(6.0)

    def run(lib, new):
        x = new(np.arange(6.0) / 3.0, requires_grad=True)
        y = x * x
        y.masked_scatter_(new(mask), y[3:])
        (g,) = lib.autograd.grad((y * new(weights)).sum(), x, create_graph=True)
        return g.detach().numpy(), lib.autograd.grad((g * g).sum(), x)[0].numpy()

    ours = run(anynn, lambda a, **k: make(backend, a, **k))
    theirs = run(torch, lambda a, **k: torch.tensor(a, **k))
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a, b, rtol=1e-12)


# -- errors ------------------------------------------------------------------------------------------------------------
ERRORS = [
    ("index_add", lambda b, x: x.index_add(0, _t(b, [0, 3]), make(b, np.ones((2, 4, 2)))), IndexError, "out of bounds"),
    ("index_add", lambda b, x: x.index_add(0, _t(b, [0, -1]), make(b, np.ones((2, 4, 2)))), RuntimeError,
     "out of bounds"),
    ("index_add", lambda b, x: x.index_add(0, _t(b, [0.0]), make(b, np.ones((1, 4, 2)))), RuntimeError, "int64"),
    ("index_add", lambda b, x: x.index_add(0, _t(b, [[0]]), make(b, np.ones((1, 4, 2)))), IndexError, "vector"),
    ("index_add", lambda b, x: x.index_add(0, _t(b, [0, 1]), make(b, np.ones((3, 4, 2)))), RuntimeError,
     r"\(2, 4, 2\)"),
    ("index_add", lambda b, x: x.index_add(0, _t(b, [0]), make(b, np.ones((1, 4, 2)), dtype="float32")),
     RuntimeError, "float32"),
    ("index_add", lambda b, x: x.index_add(3, _t(b, [0]), make(b, np.ones((1, 4, 2)))), IndexError, "dim 3"),
    ("index_copy", lambda b, x: x.index_copy(0, _t(b, np.array([0], np.int32)), make(b, np.ones((1, 4, 2)))),
     IndexError, "int64"),
    ("index_fill", lambda b, x: x.index_fill(1, _t(b, [-5]), 1.0), IndexError, "-5"),
    ("index_fill", lambda b, x: x.index_fill(1, _t(b, [0]), make(b, np.ones(2))), RuntimeError, "0-d"),
    ("index_put", lambda b, x: x.index_put((_t(b, [0]),), 1.0), TypeError, "values"),
    ("index_put", lambda b, x: x.index_put(_t(b, [0]), make(b, np.ones(1))), TypeError, "tuple"),
    ("index_put", lambda b, x: x.index_put((_t(b, [0.5]),), make(b, np.ones(1))), IndexError, "integers"),
    ("index_put", lambda b, x: x.index_put((_t(b, [0, 1]),), make(b, np.ones(3))), RuntimeError, "broadcast"),
    ("index_put", lambda b, x: x.index_put((_t(b, [0, 1]),), make(b, np.ones((1, 2, 4, 2))), accumulate=True),
     RuntimeError, "broadcast"),
    ("index_put", lambda b, x: x.index_put((_t(b, [0]),), make(b, np.ones(2), dtype="float32")), RuntimeError,
     "float32"),
    ("index_put", lambda b, x: x.index_put((_t(b, [3]),), make(b, np.ones(2))), IndexError, "bounds"),
    ("masked_scatter", lambda b, x: x.masked_scatter(_t(b, X > 0), make(b, np.ones(2))), RuntimeError,
     "Number of elements of source < number of ones in mask"),
    ("masked_scatter", lambda b, x: x.masked_scatter(_t(b, (X > 0).astype(np.int64)), make(b, np.ones(30))),
     RuntimeError, "boolean masks"),
    ("masked_scatter", lambda b, x: x.masked_scatter(_t(b, X > 0), make(b, np.ones(30), dtype="float32")),
     RuntimeError, "same dtypes"),
    ("masked_scatter", lambda b, x: x.masked_scatter(_t(b, np.ones((2, 4), bool)), make(b, np.ones(30))),
     RuntimeError, "broadcast"),
    ("scatter_reduce", lambda b, x: x.scatter_reduce(0, _t(b, REDUCE_INDEX), make(b, np.ones((3, 5, 2))), "max"),
     RuntimeError, "amax"),
    ("scatter_reduce", lambda b, x: x.scatter_reduce(0, _t(b, REDUCE_INDEX[..., 0]), make(b, np.ones((3, 5))), "sum"),
     RuntimeError, "number of dimensions"),
    ("scatter_reduce", lambda b, x: x.scatter_reduce(2, _t(b, REDUCE_INDEX[:, :4]), make(b, np.ones((3, 4, 2))),
                                                     "sum"), RuntimeError, "out of bounds"),
    ("scatter_reduce", lambda b, x: x.scatter_reduce(0, _t(b, REDUCE_INDEX), make(b, np.ones((3, 4, 2))), "sum"),
     RuntimeError, "no larger"),
    ("scatter_reduce", lambda b, x: x.scatter_reduce(0, _t(b, REDUCE_INDEX), 1.0, "sum"), TypeError, "src"),
    ("scatter", lambda b, x: x.scatter(0, _t(b, REDUCE_INDEX[:, :4]), 1.0, reduce="sum"), RuntimeError,
     "add or multiply"),
]


@pytest.mark.parametrize("name, call, error, match", ERRORS, ids=[f"{e[0]}-{i}" for i, e in enumerate(ERRORS)])
def test_bad_inputs_raise_errors_naming_the_operation(backend, name, call, error, match):
    with pytest.raises(error, match=match) as caught:
        call(backend, make(backend, X))
    assert name in str(caught.value)
