"""PyTorch's Tensor API that ported programs use: item assignment, gather/scatter, ordering, triangles,
sampling, comparisons by name, ``new_*``, batched products; compared with PyTorch on every backend."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
import anynn.functional as F
from anynn.functional import tensor_extras
from anynn.backend import dtype_name
from tests.helpers import check_gradients, compare_with_torch, make

X = np.random.default_rng(11).standard_normal((3, 5))
V = np.random.default_rng(12).standard_normal((3, 5))


def _t(backend, array):
    return anynn.tensor(np.asarray(array), backend=backend)


# -- item assignment ------------------------------------------------------------------------------------
# (index as anynn takes it, index as torch takes it, shape of the value)
SETITEM = [
    ("int", lambda b: 1, lambda: 1, (5,)),
    ("int_scalar_value", lambda b: (0, 2), lambda: (0, 2), ()),
    ("slice_broadcast", lambda b: (slice(None), 2), lambda: (slice(None), 2), (1,)),
    ("step_slice", lambda b: (slice(None), slice(0, 5, 2)), lambda: (slice(None), slice(0, 5, 2)), (3, 3)),
    ("ellipsis", lambda b: (Ellipsis, 4), lambda: (Ellipsis, 4), (3,)),
    ("none", lambda b: (None, 1), lambda: (None, 1), (5,)),
    ("negative", lambda b: (-1, slice(-3, None)), lambda: (-1, slice(-3, None)), (3,)),
    ("int_list", lambda b: [2, 0], lambda: [2, 0], (2, 5)),
    ("int_tensor_pair", lambda b: (_t(b, [0, 2]), _t(b, [4, 1])), lambda: (torch.tensor([0, 2]), torch.tensor([4, 1])),
     (2,)),
    ("mask", lambda b: _t(b, X > 0.3), lambda: torch.tensor(X > 0.3), (int((X > 0.3).sum()),)),
    ("mask_scalar_value", lambda b: _t(b, X < 0), lambda: torch.tensor(X < 0), ()),
    ("row_mask", lambda b: _t(b, np.array([True, False, True])), lambda: torch.tensor([True, False, True]), (5,)),
    ("tensor_and_slice", lambda b: (_t(b, [1, 2]), slice(1, 3)), lambda: (torch.tensor([1, 2]), slice(1, 3)), (2, 2)),
]


@pytest.mark.jax  # item assignment must also work where arrays cannot be written in place
@pytest.mark.parametrize("name, ours, theirs, value_shape", SETITEM, ids=[s[0] for s in SETITEM])
def test_setitem_matches_torch(backend, name, ours, theirs, value_shape):
    value = np.random.default_rng(3).standard_normal(value_shape)

    def assign(x, v, index):
        y = x * 1.0  # a non-leaf in the graph, as in the ported programs
        y[index] = v
        return y * 2.0

    compare_with_torch(backend, lambda x, v: assign(x, v, ours(backend)), lambda x, v: assign(x, v, theirs()),
                       X, value, rtol=1e-12, atol=1e-12)
    check_gradients(backend, lambda x, v: assign(x, v, ours(backend)), X, value)


@pytest.mark.jax  # item assignment must also work where arrays cannot be written in place
def test_setitem_number_into_a_graph_and_into_a_buffer(backend):
    x = make(backend, X, requires_grad=True)
    y = x * 3.0
    y[y > 0] = 0.0  # nanoGPT's top-k filter, inside a graph: the overwritten entries get no gradient
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), np.where(3 * X > 0, 0.0, 3.0))
    v = make(backend, V[0], requires_grad=True)
    buffer = anynn.zeros(3, 5, backend=backend, dtype="float64")  # a leaf without grad takes a value in the graph
    buffer[1] = v * v
    assert buffer.requires_grad and not buffer.is_leaf
    buffer.sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), 2 * V[0])


@pytest.mark.jax  # item assignment must also work where arrays cannot be written in place
def test_setitem_on_a_leaf_that_requires_grad_raises_like_torch(backend):
    x = make(backend, X, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x[0] = 1.0
    with anynn.no_grad():  # allowed outside the graph (e.g. a manual weight update)
        x[0] = 1.0
    assert x.is_leaf and x.requires_grad and x.numpy()[0].tolist() == [1.0] * 5


@pytest.mark.jax  # item assignment must also work where arrays cannot be written in place
def test_setitem_without_grad_writes_in_place_where_the_array_allows(backend):
    x = make(backend, X)
    before = x.array
    x[1:, ::2] = -1.0
    x[_t(backend, [0, 0]), _t(backend, [1, 3])] = anynn.tensor([5.0, 6.0], backend=backend, dtype="float64")
    expected = X.copy()
    expected[1:, ::2] = -1.0
    expected[[0, 0], [1, 3]] = [5.0, 6.0]
    np.testing.assert_array_equal(x.numpy(), expected)
    if backend.name in ("numpy", "torch"):  # writeable: the same array, so views of it see the write
        assert x.array is before


@pytest.mark.jax  # item assignment must also work where arrays cannot be written in place
def test_setitem_casts_the_value_and_repeated_positions_take_the_last_write(backend):
    x = anynn.zeros(4, backend=backend, dtype="int64")
    x[_t(backend, [1, 1, 3])] = anynn.tensor([7.9, 8.2, 9.0], backend=backend, dtype="float32")
    assert x.tolist() == [0, 8, 0, 9] and dtype_name(x.dtype) == "int64"


# -- gather, scatter, index_select, masked_select, one_hot ----------------------------------------------
INDEX = np.array([[0, 4], [2, 2], [1, 3]])
OPS = [
    ("gather", lambda b: lambda x: x.gather(1, _t(b, INDEX)), lambda x: x.gather(1, torch.tensor(INDEX))),
    ("gather_dim0", lambda b: lambda x: anynn.gather(x, 0, _t(b, [[2, 0, 1, 1, 0]])),
     lambda x: torch.gather(x, 0, torch.tensor([[2, 0, 1, 1, 0]]))),
    ("scatter_value", lambda b: lambda x: x.scatter(1, _t(b, INDEX), 0.5),
     lambda x: x.scatter(1, torch.tensor(INDEX), 0.5)),
    ("index_select", lambda b: lambda x: x.index_select(1, _t(b, [4, 0, 4])),
     lambda x: x.index_select(1, torch.tensor([4, 0, 4]))),
    ("take", lambda b: lambda x: x.take(_t(b, [[0, -1, 7], [14, 7, -15]])),
     lambda x: x.take(torch.tensor([[0, -1, 7], [14, 7, -15]]))),
    ("take_scalar_index", lambda b: lambda x: anynn.take(x, _t(b, 6)), lambda x: torch.take(x, torch.tensor(6))),
    ("masked_select", lambda b: lambda x: x.masked_select(_t(b, X[0] > 0)),
     lambda x: x.masked_select(torch.tensor(X[0] > 0))),
    ("sort", lambda b: lambda x: x.sort(1)[0], lambda x: x.sort(1)[0]),
    ("sort_desc_dim0", lambda b: lambda x: anynn.sort(x, 0, descending=True).values,
     lambda x: torch.sort(x, 0, descending=True).values),
    ("topk", lambda b: lambda x: x.topk(2).values, lambda x: x.topk(2).values),
    ("topk_smallest_dim0", lambda b: lambda x: anynn.topk(x, 2, dim=0, largest=False)[0],
     lambda x: torch.topk(x, 2, dim=0, largest=False)[0]),
    ("cumsum", lambda b: lambda x: x.cumsum(1), lambda x: x.cumsum(1)),
    ("cumsum_dim0", lambda b: lambda x: anynn.cumsum(x, dim=0), lambda x: torch.cumsum(x, dim=0)),
    ("tril", lambda b: lambda x: anynn.tril(x), lambda x: torch.tril(x)),
    ("tril_k", lambda b: lambda x: x.tril(-1), lambda x: x.tril(-1)),
    ("triu_k", lambda b: lambda x: anynn.triu(x, 2), lambda x: torch.triu(x, 2)),
    ("narrow", lambda b: lambda x: x.narrow(1, -3, 2), lambda x: x.narrow(1, -3, 2)),
    ("view_as", lambda b: lambda x: x.view_as(anynn.zeros(5, 3, backend=b)), lambda x: x.view_as(torch.zeros(5, 3))),
    ("flip", lambda b: lambda x: anynn.flip(x, (0, 1)), lambda x: torch.flip(x, (0, 1))),
    ("minimum", lambda b: lambda x: anynn.minimum(x, x.flip(1)), lambda x: torch.minimum(x, x.flip(1))),
    ("sigmoid", lambda b: anynn.sigmoid, torch.sigmoid), ("tanh", lambda b: anynn.tanh, torch.tanh),
    ("sin", lambda b: anynn.sin, torch.sin), ("cos", lambda b: anynn.cos, torch.cos),
    ("pow", lambda b: lambda x: anynn.pow(x, 3), lambda x: torch.pow(x, 3)),
    ("pow_base", lambda b: lambda x: anynn.pow(2.0, x), lambda x: torch.pow(2.0, x)),
    ("std", lambda b: lambda x: anynn.std(x, 1), lambda x: torch.std(x, 1)),
    ("var_all", lambda b: anynn.var, torch.var),
    ("logsumexp", lambda b: lambda x: anynn.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1)),
    ("where_scalars", lambda b: lambda x: anynn.where(x > 0, x, 0.0), lambda x: torch.where(x > 0, x, 0.0)),
    ("where_scalar_first", lambda b: lambda x: anynn.where(x > 0, 1.0, x), lambda x: torch.where(x > 0, 1.0, x)),
    # PyTorch's keyword names (mamba-minimal: x.split(split_size=[d, d], dim=-1))
    ("split_size_keyword", lambda b: lambda x: x.split(split_size=[2, 3], dim=1)[1],
     lambda x: x.split(split_size=[2, 3], dim=1)[1]),
    ("transpose_dim_keywords", lambda b: lambda x: x.transpose(dim0=1, dim1=0), lambda x: x.transpose(dim0=1, dim1=0)),
    ("swapdims_dim_keywords", lambda b: lambda x: anynn.swapdims(x[None], dim0=0, dim1=2),
     lambda x: torch.swapdims(x[None], dim0=0, dim1=2)),
    ("permute_dims_keyword", lambda b: lambda x: x[None].permute(dims=(2, 0, 1)),
     lambda x: x[None].permute(dims=(2, 0, 1))),
    ("expand_size_keyword", lambda b: lambda x: x[:, :1].expand(size=(2, 3, 4)),
     lambda x: x[:, :1].expand(size=(2, 3, 4))),
    ("repeat_repeats_keyword", lambda b: lambda x: x.repeat(repeats=(2, 1)), lambda x: x.repeat(repeats=(2, 1))),
    # Tensor.sum_to_size (missing): leading dims and the 1s of the size summed
    ("sum_to_size", lambda b: lambda x: x[None].sum_to_size(1, 5), lambda x: x[None].sum_to_size(1, 5)),
    ("sum_to_size_tuple", lambda b: lambda x: x.sum_to_size((3, 1)), lambda x: x.sum_to_size((3, 1))),
]


@pytest.mark.parametrize("name, ours, theirs", OPS, ids=[o[0] for o in OPS])
def test_ops_match_torch(backend, name, ours, theirs):
    compare_with_torch(backend, ours(backend), theirs, X, rtol=1e-10, atol=1e-12)
    check_gradients(backend, ours(backend), X)


@pytest.mark.parametrize("mode", ["trunc", "floor"])
def test_div__takes_rounding_mode_as_torch(backend, mode):
    ints = np.array([7, -7, 9, -2])
    for values, divisor in ((X, 0.3), (ints, 2)):
        ours, theirs = make(backend, values), torch.tensor(values)
        assert ours.div_(divisor, rounding_mode=mode) is ours
        theirs.div_(divisor, rounding_mode=mode)
        assert dtype_name(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)


# torch.flip takes a sequence only; the method also takes the axes as separate ints
FLIP_CALLS = {
    "function_int": lambda lib, x: lib.flip(x, 0), "function_int_keyword": lambda lib, x: lib.flip(x, dims=0),
    "function_tuple": lambda lib, x: lib.flip(x, (0,)), "function_list": lambda lib, x: lib.flip(x, [1, 0]),
    "function_no_dims": lambda lib, x: lib.flip(x), "method_int": lambda lib, x: x.flip(-1),
    "method_ints": lambda lib, x: x.flip(0, 1), "method_sequence": lambda lib, x: x.flip((1,)),
    "method_keyword": lambda lib, x: x.flip(dims=[0]), "method_int_keyword": lambda lib, x: x.flip(dims=0),
    "method_empty": lambda lib, x: x.flip([]), "method_no_dims": lambda lib, x: x.flip(),
    "repeated_dim": lambda lib, x: x.flip(0, -2), "dim_past_rank": lambda lib, x: x.flip(2),
    "dim_below_rank": lambda lib, x: lib.flip(x, (-3,)),
}


def _outcome(call):
    try:
        return call().tolist()
    except (TypeError, IndexError, RuntimeError) as error:
        return type(error)


@pytest.mark.parametrize("name", sorted(FLIP_CALLS))
def test_flip_accepts_and_refuses_what_torch_does(backend, name):
    ours = _outcome(lambda: FLIP_CALLS[name](anynn, make(backend, X)))
    theirs = _outcome(lambda: FLIP_CALLS[name](torch, torch.from_numpy(X)))
    if isinstance(theirs, type):
        assert isinstance(ours, type) and issubclass(ours, theirs), (ours, theirs)
    else:
        np.testing.assert_array_equal(ours, theirs)


@pytest.mark.parametrize("call", [lambda lib, x: x.flip(0), lambda lib, x: lib.flip(x, (0, 1)),
                                  lambda lib, x: lib.fliplr(x), lambda lib, x: lib.flipud(x)])
@pytest.mark.parametrize("grad", [False, True])
def test_flip_returns_a_copy_as_torch(backend, call, grad):
    """torch.flip copies: timm's Mixup writes into ``x.flip(0).mul_(1 - lam)`` and then mixes it into ``x``. A flip
    that handed back a view changed x while the flipped copy was scaled (rows came out mixed with themselves)."""
    results = []
    for lib, x in ((anynn, make(backend, X, requires_grad=grad)), (torch, torch.tensor(X, requires_grad=grad))):
        y = x * 1
        flipped = call(lib, y).mul_(0.25)
        mixed = y.mul_(0.75).add_(flipped)
        if grad:
            weights = lib.arange(mixed.numel(), dtype=mixed.dtype, device=mixed.device).reshape(mixed.shape)
            (mixed * weights).sum().backward()
        results.append((mixed.detach().numpy(), x.grad.numpy() if grad else 0))
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-6)


@pytest.mark.parametrize("first, second", [("uint8", "float64"), ("bool", "float32"), ("int8", "uint8"),
                                           ("int32", "int64"), ("float32", "float64"), ("int64", "bool")])
def test_where_promotes_two_tensors_as_torch(backend, first, second):
    # PyTorch promotes input and other together; the result once took input's dtype (2.7 became 2 in uint8)
    condition = np.array([True, False, True])
    a, b = np.array([1, 0, 250]).astype(first), np.array([1.5, 2.7, -3.25]).astype(second)
    out = anynn.where(make(backend, condition), make(backend, a), make(backend, b))
    ref = torch.where(torch.tensor(condition), torch.tensor(a), torch.tensor(b))
    assert dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    if first.startswith("float"):  # each gradient comes back in its input's dtype
        x, y = make(backend, a, requires_grad=True), make(backend, b, requires_grad=True)
        anynn.where(make(backend, condition), x, y).sum().backward()
        assert dtype_name(x.grad.dtype) == first and dtype_name(y.grad.dtype) == second
        np.testing.assert_array_equal(x.grad.numpy(), [1, 0, 1])


@pytest.mark.parametrize("name", ["sum", "mean", "amax", "amin", "var", "std", "logsumexp"])
@pytest.mark.parametrize("dim", [(), []], ids=["tuple", "list"])
def test_an_empty_dim_reduces_every_dim_as_torch(backend, name, dim):
    # PyTorch reads dim=() / dim=[] as every dim (these once returned the input unreduced)
    for keepdim in (True, False):
        if name == "logsumexp" and not keepdim:
            continue  # PyTorch 2.13 itself fails there ("output with shape [] doesn't match")
        x = make(backend, X, requires_grad=True)
        out = getattr(anynn, name)(x, dim, keepdim=keepdim)
        ref = getattr(torch, name)(torch.tensor(X), dim, keepdim=keepdim)
        assert tuple(out.shape) == tuple(ref.shape)
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)
    assert tuple(make(backend, X).sum(axis=()).shape) == X.shape  # the array API's axis=() reduces nothing


@pytest.mark.parametrize("name", ["argmax", "argmin", "all", "any"])
def test_keepdim_without_dim_keeps_every_dim_as_torch(backend, name):
    x = X > 0 if name in ("all", "any") else X
    out, ref = getattr(anynn, name)(make(backend, x), keepdim=True), getattr(torch, name)(torch.tensor(x), keepdim=True)
    assert tuple(out.shape) == tuple(ref.shape) == (1,) * X.ndim
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


TWO = [
    ("scatter", lambda b: lambda x, s: x.scatter(1, _t(b, INDEX), s),
     lambda x, s: x.scatter(1, torch.tensor(INDEX), s)),
    ("scatter_add", lambda b: lambda x, s: anynn.scatter_add(x, 1, _t(b, INDEX), s),
     lambda x, s: torch.scatter_add(x, 1, torch.tensor(INDEX), s)),
    ("scatter_reduce_add", lambda b: lambda x, s: x.scatter(1, _t(b, INDEX), s, reduce="add"),
     lambda x, s: x.scatter_add(1, torch.tensor(INDEX), s)),
]


@pytest.mark.parametrize("name, ours, theirs", TWO, ids=[o[0] for o in TWO])
def test_scatter_matches_torch(backend, name, ours, theirs):
    src = np.random.default_rng(5).standard_normal((3, 2))
    index = INDEX.copy()
    if name == "scatter":  # repeated positions: the winner is unspecified in PyTorch, so keep them distinct
        index[1] = [2, 0]
    f_ours = (lambda b: lambda x, s: x.scatter(1, _t(b, index), s)) if name == "scatter" else ours
    f_theirs = (lambda x, s: x.scatter(1, torch.tensor(index), s)) if name == "scatter" else theirs
    compare_with_torch(backend, f_ours(backend), f_theirs, X, src, rtol=1e-12, atol=1e-12)
    check_gradients(backend, f_ours(backend), X, src)
    # a src wider than the index: only its region is read (PyTorch 2.13's backward fails on that shape itself)
    wide = np.random.default_rng(6).standard_normal((3, 4))
    check_gradients(backend, f_ours(backend), X, wide)


def test_sort_argsort_topk_indices_match_torch(backend):
    x = make(backend, X)
    t = torch.tensor(X)
    assert x.sort(1, descending=True).indices.tolist() == t.sort(1, descending=True).indices.tolist()
    assert anynn.argsort(x, 0).tolist() == torch.argsort(t, 0).tolist()
    assert x.topk(3, dim=1).indices.tolist() == t.topk(3, dim=1).indices.tolist()
    assert dtype_name(x.argsort().dtype) == "int64" and not x.sort().indices.requires_grad


def test_one_hot_matches_torch(backend):
    labels = np.array([[0, 3], [2, 1]])
    ours = F.one_hot(_t(backend, labels), 5)
    assert ours.tolist() == torch.nn.functional.one_hot(torch.tensor(labels), 5).tolist()
    assert dtype_name(ours.dtype) == "int64" and F.one_hot(_t(backend, labels)).shape == (2, 2, 4)
    with pytest.raises(RuntimeError, match="one_hot"):
        F.one_hot(_t(backend, labels), 3)
    for lib, wrap in ((torch.nn.functional, torch.tensor), (F, lambda a: _t(backend, a))):  # int32 labels (taken)
        with pytest.raises(RuntimeError, match="one_hot is only applicable to index tensor of type LongTensor"):
            lib.one_hot(wrap(labels.astype(np.int32)), 5)
    empty = np.zeros(0, np.int64)  # the class count cannot come from no labels: PyTorch refuses, as here
    with pytest.raises(RuntimeError, match="infer"):
        torch.nn.functional.one_hot(torch.tensor(empty))
    with pytest.raises(RuntimeError, match="one_hot: cannot infer the number of classes from an empty tensor"):
        F.one_hot(_t(backend, empty))
    assert F.one_hot(_t(backend, empty), 3).shape == (0, 3)


def test_index_errors_name_the_function(backend):
    x = make(backend, X)
    with pytest.raises(IndexError, match="gather"):
        x.gather(1, _t(backend, [[5]]))
    with pytest.raises(TypeError, match="index_select"):
        x.index_select(0, _t(backend, [0.5]))
    with pytest.raises(IndexError, match="take: index 15 is out of range for a tensor of 15 elements"):
        x.take(_t(backend, [0, 15]))
    with pytest.raises(IndexError, match="take: index -16"):
        anynn.take(x, _t(backend, [-16]))
    with pytest.raises(TypeError, match="take"):
        x.take(_t(backend, [0.5]))
    with pytest.raises(RuntimeError, match="take"):  # torch: "Expected a long tensor for index, but got Int"
        x.take(anynn.tensor(np.asarray([0], dtype=np.int32), backend=backend))
    with pytest.raises(RuntimeError, match="long tensor"):
        torch.take(torch.zeros(3), torch.tensor([0], dtype=torch.int32))
    with pytest.raises(RuntimeError, match="topk"):
        x.topk(6)
    with pytest.raises(RuntimeError, match="narrow"):
        x.narrow(1, 4, 2)


# -- multinomial -----------------------------------------------------------------------------------------
def test_multinomial_with_replacement_follows_the_weights(backend):
    weights = anynn.tensor([[1.0, 0.0, 3.0, 4.0]], backend=backend)
    draws = anynn.multinomial(weights, 4000, replacement=True).numpy()
    assert draws.shape == (1, 4000) and draws.dtype == np.int64
    freq = np.bincount(draws[0], minlength=4) / 4000
    np.testing.assert_allclose(freq, [0.125, 0.0, 0.375, 0.5], atol=0.03)


def test_multinomial_without_replacement_and_seeding(backend):
    weights = anynn.tensor([0.2, 0.0, 1.0, 0.5, 0.3], backend=backend)
    draws = weights.multinomial(4).numpy()
    assert sorted(draws.tolist()) == [0, 2, 3, 4]  # four distinct categories, never the zero-weight one
    anynn.manual_seed(3)
    first = anynn.multinomial(weights, 2).tolist()
    anynn.manual_seed(3)
    assert anynn.multinomial(weights, 2).tolist() == first
    with pytest.raises(RuntimeError, match="multinomial"):
        anynn.multinomial(weights, 5)
    with pytest.raises(RuntimeError, match="multinomial"):
        anynn.multinomial(-weights, 1, replacement=True)


# -- comparisons, flags, factories, products, Python protocols ------------------------------------------
def test_comparisons_and_flags_by_name(backend):
    x, y = make(backend, X), make(backend, V)
    t, u = torch.tensor(X), torch.tensor(V)
    for name in ("eq", "ne", "lt", "le", "gt", "ge"):
        assert getattr(anynn, name)(x, y).tolist() == getattr(torch, name)(t, u).tolist(), name
        assert getattr(x, name)(0.1).tolist() == getattr(t, name)(0.1).tolist(), name
    z = make(backend, np.array([1.0, np.nan, np.inf, -np.inf]))
    assert anynn.isnan(z).tolist() == [False, True, False, False] and z.isinf().tolist() == [False, False, True, True]
    assert anynn.isfinite(z).tolist() == [True, False, False, False]


def test_new_factories_keep_backend_and_dtype(backend):
    x = make(backend, X)
    for made, values in ((x.new_zeros(2, 3), 0.0), (x.new_ones((2, 3)), 1.0), (x.new_full((2, 3), 2.5), 2.5),
                         (x.new_empty(2, 3), None), (x.new_empty_strided((2, 3), (3, 1)), None)):
        assert made.shape == (2, 3) and dtype_name(made.dtype) == "float64" and made.backend == x.backend
        assert values is None or made.tolist() == [[values] * 3] * 2
    copied = x.new_tensor([[1, 2]])
    assert dtype_name(copied.dtype) == "float64" and copied.tolist() == [[1.0, 2.0]] and copied.is_leaf
    assert dtype_name(x.new_zeros(2, dtype="int64").dtype) == "int64"
    assert x.new_ones(2, requires_grad=True).requires_grad
    assert x.new_zeros(size=(2, 3)).shape == (2, 3) and x.new_ones(size=[4]).shape == (4,)  # (size= was dropped: 0-d)
    for call in (lambda: x.new_zeros(), lambda: x.new_empty(2, stride=1), lambda: x.new_ones(2, size=2)):
        with pytest.raises(TypeError, match="new_"):
            call()
    with pytest.raises(RuntimeError, match="new_empty_strided: mismatch in length"):
        x.new_empty_strided((2, 3), (1,))


@pytest.mark.parametrize("name", ["bmm", "baddbmm", "mm", "addmm"])
def test_products_match_torch(backend, name):
    rng = np.random.default_rng(9)
    if name in ("bmm", "baddbmm"):
        a, b, c = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 4, 5)), rng.standard_normal((3, 5))
    else:
        a, b, c = rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rng.standard_normal((5,))
    if name in ("bmm", "mm"):
        def ours(x, y, z):
            return getattr(anynn, name)(x, y) + z * 0

        def theirs(x, y, z):
            return getattr(torch, name)(x, y) + z * 0
    else:
        def ours(x, y, z):
            return getattr(anynn, name)(z, x, y, beta=0.5, alpha=2.0)

        def theirs(x, y, z):
            return getattr(torch, name)(z, x, y, beta=0.5, alpha=2.0)
    compare_with_torch(backend, ours, theirs, a, b, c, rtol=1e-10, atol=1e-12)
    check_gradients(backend, ours, a, b, c)


def test_sum_to_size_refusal_complex_number_casts_and_bernoulli_as_torch(backend):
    """sum_to_size, __complex__, cfloat/cdouble and the out-of-place bernoulli were missing."""
    x, t = make(backend, X), torch.tensor(X)
    with pytest.raises(RuntimeError, match="is not expandable to size") as ours:
        x.sum_to_size(3, 5, 1)
    with pytest.raises(RuntimeError) as theirs:
        t.sum_to_size(3, 5, 1)
    assert str(theirs.value) in str(ours.value)
    assert x.sum_to_size(3, 5) is x
    for lib_x in (x, t):  # the size and logsumexp's dim are required (both reduced every dim before)
        for call in (lib_x.sum_to_size, lib_x.logsumexp):
            with pytest.raises(TypeError, match="missing 1 required positional argument"):
                call()
    assert complex(make(backend, np.array(1.5 - 2j))) == complex(torch.tensor(1.5 - 2j)) == 1.5 - 2j
    for name in ("cfloat", "cdouble"):
        out, ref = getattr(x, name)(), getattr(t, name)()
        assert dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(out.numpy(), ref.numpy())
    drawn = make(backend, np.array([0.0, 1.0, 1.0, 0.0])).bernoulli()
    assert drawn.tolist() == torch.tensor([0.0, 1.0, 1.0, 0.0]).bernoulli().tolist() == [0.0, 1.0, 1.0, 0.0]
    assert set(make(backend, np.full(50, 0.5)).bernoulli(generator=1).tolist()) == {0.0, 1.0}


def test_transpose_dims_as_torch(backend):
    """A 0-d tensor takes dims 0 and -1; a dim out of range is PyTorch's IndexError naming the range (a bare
    'list index out of range' before, and the 0-d case raised it too)."""
    assert make(backend, np.array(2.5)).transpose(0, -1).item() == torch.tensor(2.5).transpose(0, -1).item()
    for dims in ((0, 2), (-3, 0)):
        with pytest.raises(IndexError, match="out of range"):
            torch.zeros(2, 3).transpose(*dims)
        with pytest.raises(IndexError, match=r"transpose: dim .* out of range .*\[-2, 1\]"):
            make(backend, np.zeros((2, 3))).transpose(*dims)


def test_zero_d_tensors_as_index_and_in_format_strings(backend):
    n = anynn.tensor(3, backend=backend)
    assert list(range(n)) == [0, 1, 2] and ["a", "b", "c", "d"][n] == "d"
    loss = make(backend, np.array(0.123456))
    assert f"{loss:.3f}" == "0.123" and f"{loss}" == "0.123456" and "{:>8.2f}".format(loss) == "    0.12"  # noqa: UP032
    with pytest.raises(TypeError, match="index"):
        [1, 2][make(backend, np.array(1.0))]
    with pytest.raises(TypeError):
        f"{make(backend, X):.2f}"


def test_top_level_reductions_use_torch_defaults(backend):
    x, t = make(backend, X), torch.tensor(X)
    np.testing.assert_allclose(anynn.var(x, 0).numpy(), torch.var(t, 0).numpy())  # unbiased, as PyTorch
    np.testing.assert_allclose(anynn.std(x).numpy(), torch.std(t).numpy())
    assert bool(anynn.all(x == x)) and not bool(anynn.any(x != x)) and anynn.numel(x) == 15


EINSUM = [
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]), ("ij,jk", [(3, 4), (4, 5)]), ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]), ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("ij->ji", [(3, 4)]), ("ij->", [(3, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]), ("bi,bj->b", [(3, 4), (3, 5)]), ("ba", [(2, 3)]),
    # a letter repeated within one operand: its diagonal
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("iij->j", [(3, 3, 2)]), ("iji->ji", [(2, 3, 2)]), ("iii->i", [(3, 3, 3)]),
    ("iijj->ji", [(2, 2, 3, 3)]), ("ii,ij->j", [(3, 3), (3, 4)]), ("bii,bi->b", [(2, 3, 3), (2, 3)]),
    ("...ii->...i", [(2, 3, 3)]),
    # an axis of size 1 broadcasts against its letter's size in another operand (a matmul shape error before)
    ("ij,jk->ik", [(2, 1), (3, 4)]), ("bij,bjk->bik", [(1, 2, 3), (4, 3, 5)]), ("i,i->i", [(1,), (4,)]),
]


@pytest.mark.parametrize("equation, shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum_matches_torch(backend, equation, shapes):
    rng = np.random.default_rng(4)
    arrays = [rng.standard_normal(s) for s in shapes]
    compare_with_torch(backend, lambda *xs: anynn.einsum(equation, *xs), lambda *xs: torch.einsum(equation, *xs),
                       *arrays, rtol=1e-10, atol=1e-12)
    check_gradients(backend, lambda *xs: anynn.einsum(equation, list(xs)), *arrays)


# PyTorch's sublist form: axes as integers in [0, 52) or ..., the output's optional (it raised AttributeError)
EINSUM_SUBLISTS = [
    ("matmul", lambda lib, a, b: lib.einsum(a, [0, 1], b, [1, 2], [0, 2])),
    ("implicit_output", lambda lib, a, b: lib.einsum(a, [30, 1], b, [1, 2])),
    ("ellipsis_batch", lambda lib, a, b: lib.einsum(a[None].expand(2, 3, 4), [..., 0, 1], b, [1, 51], [..., 51])),
    ("trace", lambda lib, a, b: lib.einsum(b[:, :4], [7, 7]) * lib.einsum(a, [0, 1], [1])),
]


@pytest.mark.parametrize("call", [c[1] for c in EINSUM_SUBLISTS], ids=[c[0] for c in EINSUM_SUBLISTS])
def test_einsum_sublist_form_matches_torch(backend, call):
    rng = np.random.default_rng(4)
    compare_with_torch(backend, lambda a, b: call(anynn, a, b), lambda a, b: call(torch, a, b),
                       rng.standard_normal((3, 4)), rng.standard_normal((4, 5)), rtol=1e-10, atol=1e-12)
    with pytest.raises(ValueError, match=r"einsum\(\): expected subscript to be within the range \[0, 52\)"):
        anynn.einsum(make(backend, np.eye(3)), [0, 52])


def test_einsum_refuses_bad_equations_and_unequal_diagonal_sizes(backend):
    x = make(backend, np.eye(3))
    with pytest.raises(ValueError, match="einsum"):
        anynn.einsum("ij,jk->ik", x)
    wide = np.zeros((3, 4))
    with pytest.raises(RuntimeError, match="subscript i is repeated for operand 0 but the sizes don't match, 4 != 3"):
        anynn.einsum("ii->i", make(backend, wide))
    with pytest.raises(RuntimeError, match="subscript i is repeated for operand 0 but the sizes don't match, 4 != 3"):
        torch.einsum("ii->i", torch.tensor(wide))
    with pytest.raises(RuntimeError, match="subscript j has size 3 for operand 1 which does not broadcast with "
                                           "previously seen size 4"):
        anynn.einsum("ij,jk->ik", make(backend, wide), x)


GRAD_ASSIGNMENTS = {  # what PyTorch's .grad setter takes: None, or a tensor of the same shape and dtype
    "same": (lambda lib, x: lib.ones_like(x), None), "none": (lambda lib, x: None, None),
    "other_shape": (lambda lib, x: x.new_ones(3), RuntimeError),
    "other_dtype": (lambda lib, x: lib.ones_like(x).double(), RuntimeError),
    "a_number": (lambda lib, x: 1.0, TypeError),
    "itself": (lambda lib, x: x, RuntimeError),  # was taken: each backward added into the tensor
}


@pytest.mark.parametrize("name", sorted(GRAD_ASSIGNMENTS))
def test_grad_assignment_is_checked_as_torch(backend, name):
    value, error = GRAD_ASSIGNMENTS[name]
    theirs = torch.zeros((2, 5), requires_grad=True)
    ours = make(backend, np.zeros((2, 5), np.float32), requires_grad=True)
    if error is None:
        theirs.grad = value(torch, theirs)
        ours.grad = value(anynn, ours)
        assert (ours.grad is None) == (theirs.grad is None)
        del theirs.grad, ours.grad  # as assigning None (AttributeError 'no deleter' before)
        assert ours.grad is None and theirs.grad is None
        return
    with pytest.raises(error):
        theirs.grad = value(torch, theirs)
    with pytest.raises(error, match="grad"):
        ours.grad = value(anynn, ours)
    assert ours.grad is None


TENSOR_MISUSE = {  # PyTorch's error class for each
    "requires_grad_of_an_int": (lambda lib, x: x.requires_grad_(1), TypeError),
    "requires_grad_of_a_string": (lambda lib, x: x.requires_grad_("yes"), TypeError),
    "requires_grad_of_none": (lambda lib, x: x.requires_grad_(None), TypeError),
    "retain_grad_without_requires_grad": (lambda lib, x: x.retain_grad(), RuntimeError),
    "retain_grad_of_an_int_tensor": (lambda lib, x: x.long().retain_grad(), RuntimeError),
}


@pytest.mark.parametrize("name", sorted(TENSOR_MISUSE))
def test_tensor_misuse_is_refused_as_torch(backend, name):
    call, error = TENSOR_MISUSE[name]
    with pytest.raises(error):
        call(torch, torch.tensor(X))
    ours = make(backend, X)
    with pytest.raises(error, match="requires_grad|retain_grad"):
        call(anynn, ours)
    assert not ours.requires_grad


def test_relu_method_takes_no_inplace_flag_as_torch():
    """``x.relu(True)`` is PyTorch's TypeError (``Tensor.relu`` takes no argument); anynn's method was F.relu, whose
    ``inplace`` flag changed x. ``x.transpose()`` / ``transpose(0)`` too (anynn swapped the last two axes)."""
    for x in (torch.tensor([-1.0, 2.0]), anynn.tensor([-1.0, 2.0])):
        with pytest.raises(TypeError):
            x.relu(True)
        assert x.tolist() == [-1.0, 2.0] and x.relu().tolist() == [0.0, 2.0]
        m = x.reshape(1, 2)
        for dims in ((), (0,)):
            with pytest.raises(TypeError):
                m.transpose(*dims)


def test_logical_methods_take_pytorchs_operands():
    """``x.logical_not(y)`` and ``x.logical_and()`` are PyTorch's TypeError; anynn's one method for the four took an
    optional ``other`` (logical_not(y) was NumPy's logical_not(x, out=y))."""
    for lib in (torch, anynn):
        x, y = lib.tensor([0.0, 2.0]), lib.tensor([1.0, 0.0])
        for method, args in (("logical_not", (y,)), ("logical_and", ()), ("logical_or_", ())):
            with pytest.raises(TypeError):
                getattr(x, method)(*args)
        assert x.logical_not().tolist() == [True, False] and x.logical_or(y).tolist() == [True, True]


def test_retain_grad_on_a_leaf_and_a_non_leaf_still_works(backend):
    x = make(backend, X, requires_grad=True)
    x.retain_grad()  # a no-op on a leaf, as in PyTorch
    y = x * 2
    y.retain_grad()
    y.sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), np.ones_like(X))
    assert x.requires_grad_(False) is x and not x.requires_grad


def test_clamp_without_bounds_and_where_on_a_float_condition_are_refused_as_torch(backend):
    x = make(backend, X)
    for lib, t in ((torch, torch.tensor(X)), (anynn, x)):
        with pytest.raises(RuntimeError, match="min' or 'max' must not be None"):
            t.clamp()
        with pytest.raises(RuntimeError, match="where expected condition to be a boolean tensor"):
            lib.where(t, t, t)
        with pytest.raises(RuntimeError, match=r"(?i)^(where: )?the size of tensor a \(5\) must match the size of "
                                               r"tensor b \(2\) at non-singleton dimension 1"):  # (NumPy's ValueError)
            lib.where(t > 0, t, t[:, :2])
    np.testing.assert_array_equal(anynn.where(x > 0, x, 0.0).numpy(), np.where(X > 0, X, 0.0))
    tensor_extras._uint8_where_warned[0] = False  # a uint8 condition: once per process, as PyTorch (silent before)
    with pytest.warns(UserWarning, match="^where received a uint8 condition tensor. This behavior is deprecated"):
        assert x.where((x > 0).to(anynn.uint8), 0.0).tolist() == np.where(X > 0, X, 0.0).tolist()


KIND_REFUSALS = {  # (call, input dtype): PyTorch refuses these kinds (RuntimeError); anynn too, naming the op
    "norm_of_integers": (lambda t: t.norm(), "int64", "norm"),
    "norm_dim_of_integers": (lambda t: t.norm(dim=0), "int32", "norm"),
    "argmax_of_booleans": (lambda t: t.argmax(), "bool", "argmax"),
    "argmin_of_booleans": (lambda t: t.argmin(dim=1), "bool", "argmin"),
}


@pytest.mark.parametrize("name", sorted(KIND_REFUSALS))
def test_reductions_refuse_kinds_as_torch(backend, name):
    call, dtype, op_name = KIND_REFUSALS[name]
    values = (np.abs(X) * 3).astype(dtype)
    with pytest.raises(RuntimeError):
        call(torch.tensor(values))
    with pytest.raises(RuntimeError, match=op_name):
        call(make(backend, values))
    floating = make(backend, values.astype(np.float32))
    np.testing.assert_allclose(call(floating).numpy(), call(torch.tensor(values.astype(np.float32))).numpy(),
                               rtol=1e-6)



def test_all_and_any_of_booleans_are_not_refused_with_argmax(backend):
    flags = X > 0
    for name in ("all", "any"):
        assert bool(getattr(make(backend, flags), name)()) == bool(getattr(torch.tensor(flags), name)())
        np.testing.assert_array_equal(getattr(make(backend, flags), name)(1).numpy(),
                                      getattr(torch.tensor(flags), name)(1).numpy())


# -- casts to integer and boolean dtypes end the graph ---------------------------------------------------
INTEGER_CASTS = {
    "long": lambda lib, x: x.long(), "int": lambda lib, x: x.int(), "bool": lambda lib, x: x.bool(),
    "short": lambda lib, x: x.short(), "char": lambda lib, x: x.char(), "byte": lambda lib, x: x.byte(),
    "to_long": lambda lib, x: x.to(lib.long), "type_uint8": lambda lib, x: x.type(lib.uint8),
    "double": lambda lib, x: x.double(),  # floating: stays in the graph
    # PyTorch's memory_format keyword (TypeError before)
    "float_memory_format": lambda lib, x: x.float(memory_format=lib.preserve_format),
}


@pytest.mark.parametrize("name", list(INTEGER_CASTS))
def test_integer_casts_do_not_require_grad_as_torch(backend, name):
    x, xt = make(backend, np.abs(X) * 3, requires_grad=True), torch.tensor(np.abs(X) * 3, requires_grad=True)
    got, ref = INTEGER_CASTS[name](anynn, x), INTEGER_CASTS[name](torch, xt)
    assert got.requires_grad == ref.requires_grad and (got.grad_fn is None) == (ref.grad_fn is None)
    np.testing.assert_array_equal(got.detach().numpy(), ref.detach().numpy())
    if not got.requires_grad:
        got.numpy()  # no "requires grad" refusal


# -- the blitz tutorial's autograd calls: backward(gradient=...), Variable --------------------------------
def test_backward_takes_pytorchs_gradient_keyword(backend):
    results = []
    for lib in (anynn, torch):
        a0, b0 = np.array([2.0, 3.0]), np.array([6.0, 4.0])
        a = make(backend, a0, True) if lib is anynn else torch.tensor(a0, requires_grad=True)
        b = make(backend, b0, True) if lib is anynn else torch.tensor(b0, requires_grad=True)
        q = 3 * a ** 3 - b ** 2
        q.backward(gradient=(make(backend, np.array([1.0, 0.5])) if lib is anynn else torch.tensor([1.0, 0.5],
                                                                                                   dtype=torch.float64)))
        results.append((a.grad.numpy(), b.grad.numpy()))
    np.testing.assert_allclose(results[0][0], results[1][0])
    np.testing.assert_allclose(results[0][1], results[1][1])


@pytest.mark.parametrize("requires_grad", [False, True])
def test_variable_is_a_detached_alias_as_torch(backend, requires_grad):
    outs = []
    for lib in (anynn, torch):
        base = make(backend, X, True) if lib is anynn else torch.tensor(X, requires_grad=True)
        made = base * 2
        v = lib.autograd.Variable(made, requires_grad=requires_grad)
        assert isinstance(v, lib.autograd.Variable) and isinstance(base, lib.autograd.Variable)
        assert v is not made and v.requires_grad == requires_grad and v.grad_fn is None
        if requires_grad:
            (v * v).sum().backward()
            outs.append(v.grad.numpy())
            assert base.grad is None  # cut from the graph that made it
        outs.append(v.detach().numpy())
    for ours, theirs in zip(outs[: len(outs) // 2], outs[len(outs) // 2:]):
        np.testing.assert_allclose(ours, theirs)


def test_variable_refuses_what_torch_refuses():
    for lib in (anynn, torch):
        with pytest.raises(TypeError, match="Variable data has to be a tensor, but got list"):
            lib.autograd.Variable([1.0, 2.0])
        with pytest.warns(UserWarning, match="volatile was removed"):
            lib.autograd.Variable(lib.ones(2), volatile=True)
        with pytest.raises((RuntimeError, TypeError), match="floating.point"):  # anynn: requires_grad_'s TypeError
            lib.autograd.Variable(lib.tensor([1, 2]), requires_grad=True)


def test_gather_and_scatter_of_a_0d_tensor_as_torch(backend):
    """A 0-d input is one element along dim 0 (NumPy-style addressing had no axis and raised a cast error)."""
    ours = anynn.tensor(np.float64(5.0), backend=backend, dtype="float64", requires_grad=True)
    theirs = torch.tensor(5.0, dtype=torch.float64, requires_grad=True)
    out, ref = anynn.gather(ours, 0, _t(backend, 0)), torch.gather(theirs, 0, torch.tensor(0))
    assert out.shape == tuple(ref.shape) and float(out) == float(ref)
    out.backward()
    ref.backward()
    assert float(ours.grad) == float(theirs.grad)
    value = anynn.tensor(np.float64(7.0), backend=backend, dtype="float64")
    assert float(anynn.scatter_add(ours.detach(), 0, _t(backend, 0), value)) == float(
        torch.scatter_add(theirs.detach(), 0, torch.tensor(0), torch.tensor(7.0, dtype=torch.float64)))
    with pytest.raises(IndexError, match="gather"):
        anynn.gather(ours, 0, _t(backend, 1))


# -- attributes a program sets, copy.deepcopy -----------------------------------------------------------
@pytest.mark.parametrize("kind", ["tensor", "parameter"])
def test_attributes_set_on_a_tensor_and_its_deepcopy_as_pytorch(backend, kind):
    """Programs hang their own values on tensors (AdaHessian's ``p.hess``) and deepcopy leaves and state dicts:
    a plain tensor's copy takes its grad and attributes along, a Parameter's copy neither (PyTorch's rules)."""
    import copy

    def make_on(lib, **where):
        t = lib.tensor(X, dtype=lib.float64, requires_grad=True, **where)
        t = lib.nn.Parameter(t) if kind == "parameter" else t
        t.hess = lib.tensor(V, dtype=lib.float64, **where)
        t.grad = lib.tensor(2 * X, dtype=lib.float64, **where)
        return t

    ours, theirs = make_on(anynn, backend=backend), make_on(torch)
    np.testing.assert_array_equal(ours.hess.numpy(), theirs.hess.numpy())
    twin, torch_twin = copy.deepcopy(ours), copy.deepcopy(theirs)
    assert type(twin) is type(ours) and twin.requires_grad and twin.is_leaf and twin.backend == ours.backend
    assert hasattr(twin, "hess") == hasattr(torch_twin, "hess")
    assert (twin.grad is None) == (torch_twin.grad is None)
    if torch_twin.grad is not None:
        np.testing.assert_array_equal(twin.grad.numpy(), torch_twin.grad.numpy())
        np.testing.assert_array_equal(twin.hess.numpy(), torch_twin.hess.numpy())
        assert twin.hess is not ours.hess
    with anynn.no_grad():
        twin.add_(1.0)
    np.testing.assert_array_equal(ours.detach().numpy(), X)  # the copy owns its values
    with pytest.raises(AttributeError):
        _ = ours.not_set
    with pytest.raises(RuntimeError, match="graph leaves"):
        copy.deepcopy(ours * 2)
    state = copy.deepcopy(anynn.nn.Linear(2, 3, backend=backend).state_dict())
    assert [tuple(v.shape) for v in state.values()] == [(3, 2), (3,)]


@pytest.mark.parametrize("view", [lambda t: t.reshape(-1, 2, 2), lambda t: t[:, 1:], lambda t: t.T],
                         ids=["reshape", "slice", "transpose"])
def test_deepcopy_of_a_view_is_a_tensor_of_its_own_as_pytorch(backend, view):
    """segment-anything's ResizeLongestSide.apply_boxes_torch deepcopies boxes.reshape(-1, 2, 2) (raised 'cannot
    pickle module'): the copy holds the view's values and writing it changes neither the view nor its base."""
    import copy

    for base in (_t(backend, [[4, 4, 40, 30]]), torch.tensor([[4, 4, 40, 30]])):
        seen = view(base)
        twin = copy.deepcopy(seen)
        np.testing.assert_array_equal(twin.numpy(), seen.numpy())
        twin.mul_(2)
        np.testing.assert_array_equal(base.numpy(), [[4, 4, 40, 30]])
        np.testing.assert_array_equal(twin.numpy(), 2 * seen.numpy())


# -- legacy x.new(...), retains_grad, layout, is_meta ------------------------------------------------------
NEW_CALLS = {
    "nothing": lambda lib, x: x.new(),
    "sizes": lambda lib, x: x.new(2, 3).fill_(0),  # PyTorch's is uninitialised: compared once filled
    "size_object": lambda lib, x: x.new(lib.zeros(4, 1).shape).fill_(1),
    "list": lambda lib, x: x.new([1, 2]),
    "tuple_is_data": lambda lib, x: x.new((2, 3)),
    "tensor_of_its_dtype": lambda lib, x: x.new(x.detach() + 1.5),
    "tensor_of_another_dtype": lambda lib, x: x.new(x.detach().long()),
    "number": lambda lib, x: x.new(2.5),
    "numpy_array": lambda lib, x: x.new(np.array([[1.5, -2], [3, 4]], dtype=np.float32)),  # numpy-extensions tutorial
    "numpy_scalar": lambda lib, x: x.new(np.float64(2.5)),
}


@pytest.mark.parametrize("name", sorted(NEW_CALLS))
def test_legacy_new_as_pytorch(backend, name):
    """Old programs write ``weight.new(bsz, hidden).zero_()`` and ``x.new([...])``: sizes give a tensor of x's
    dtype, a sequence is data in x's dtype, a tensor of x's dtype is taken as it is (another dtype refused)."""
    outcomes = []
    for lib, x in ((torch, torch.zeros(2, dtype=torch.float64, requires_grad=True)),
                   (anynn, make(backend, np.zeros(2), requires_grad=True))):
        try:
            made = NEW_CALLS[name](lib, x)
        except (TypeError, RuntimeError) as error:  # PyTorch: TypeError or RuntimeError by case; anynn: TypeError
            outcomes.append(("raise", "new()" in str(error) or "TensorOptions" in str(error)))
            continue
        kind = dtype_name(made.dtype) if lib is anynn else str(made.dtype).removeprefix("torch.")
        outcomes.append((made.numpy().tolist(), kind, made.requires_grad))
    assert outcomes[0] == outcomes[1]


def test_retains_grad_layout_and_is_meta_as_pytorch(backend):
    for lib, leaf in ((torch, torch.ones(2, requires_grad=True)), (anynn, make(backend, np.ones(2),
                                                                                requires_grad=True))):
        made = leaf * 2
        assert (leaf.retains_grad, made.retains_grad) == (False, False)
        leaf.retain_grad()  # a leaf keeps its grad anyway: retains_grad stays False, as PyTorch's
        made.retain_grad()
        assert (leaf.retains_grad, made.retains_grad) == (False, True)
        assert leaf.layout == lib.strided and leaf.is_meta is False


# -- PyTorch's warnings in ported programs ----------------------------------------------------------------
PORTED_PROGRAM_WARNINGS = [  # (what, call on the library): each warned in PyTorch and passed silently in anynn
    ("x.T of 3 dims", lambda lib: lib.ones(2, 3, 4).T),
    ("x.T of 0 dims", lambda lib: lib.ones(()).T),
    ("LSTM dropout with one layer", lambda lib: lib.nn.LSTM(2, 3, dropout=0.5)),  # mnist_rnn-style taggers
    ("GRU dropout with one layer", lambda lib: lib.nn.GRU(2, 3, 1, dropout=0.2)),
    ("old weight_norm", lambda lib: lib.nn.utils.weight_norm(lib.nn.Linear(2, 2))),  # WaveNet/TTS code
    # a boolean padding mask beside generate_square_subsequent_mask's float one (pytorch/examples' translation)
    ("mismatched masks: encoder", lambda lib: lib.nn.TransformerEncoder(
        lib.nn.TransformerEncoderLayer(4, 2, 8, batch_first=True), 2, enable_nested_tensor=False)(
        lib.ones(1, 3, 4), mask=lib.nn.Transformer.generate_square_subsequent_mask(3),
        src_key_padding_mask=lib.zeros(1, 3, dtype=lib.bool))),
    ("mismatched masks: decoder layer", lambda lib: lib.nn.TransformerDecoderLayer(4, 2, 8)(
        lib.ones(3, 4), lib.ones(2, 4), tgt_mask=lib.nn.Transformer.generate_square_subsequent_mask(3),
        tgt_key_padding_mask=lib.zeros(3, dtype=lib.bool))),
]


@pytest.mark.parametrize("what, call", PORTED_PROGRAM_WARNINGS, ids=[row[0] for row in PORTED_PROGRAM_WARNINGS])
def test_ported_programs_see_pytorchs_warnings(what, call):
    import warnings

    seen, once = [], torch.is_warn_always_enabled()
    for lib in (torch, anynn):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            torch.set_warn_always(True)  # PyTorch warns of x.T once a process otherwise
            try:
                call(lib)
            finally:
                torch.set_warn_always(once)
        seen.append([(w.category, str(w.message).split(" (Triggered internally")[0].replace("torch.", "anynn."))
                     for w in caught])
    assert seen[1] == seen[0] and seen[0], what
