"""PyTorch's small top-level ops (`anynn.functional.torch_small_ops`, `torch_calculus`, `torch_scatter_views`):
float64 central differences on every backend and forward/gradients against PyTorch, from one table; queries and
refusals against PyTorch below it."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import dtype_name
from tests.helpers import as_strided_scatter, case_table_tests, make

R = np.random.default_rng(3)
M = R.standard_normal((3, 4))
V = R.standard_normal(5)
COORDS = np.array([0.0, 0.7, 1.5, 2.0, 3.1])


CASES = [
    ("absolute", lambda t, x: t.absolute(x), [M]),
    ("fill_tensor_value", lambda t, x, v: t.fill(x, v[0, 0]) * x, [M, M]),
    ("fill_number", lambda t, x: t.fill(x, 2.5), [M]),  # in the graph (a zero gradient), as PyTorch's FillBackward
    ("rsub", lambda t, x, y: t.rsub(x, y, alpha=0.5), [M, R.standard_normal(4)]),
    ("rsub_scalar", lambda t, x: t.rsub(x, 2.0), [M]),
    ("frexp_mantissa", lambda t, x: t.frexp(x * 7)[0] * t.frexp(x * 7)[1], [M]),
    ("vdot", lambda t, x, y: t.vdot(x, y), [V, R.standard_normal(5)]),
    ("mvlgamma", lambda t, x: t.mvlgamma(x, 3), [np.abs(M) + 1.2]),
    ("chain_matmul", lambda t, a, b, c: t.chain_matmul(a, b, c), [M, M.T, R.standard_normal((3, 2))]),
    ("renorm", lambda t, x: t.renorm(x, 2, 0, 1.0), [M * 3]),
    ("broadcast_to", lambda t, x: t.broadcast_to(x, (2, 3, 4)), [M]),
    ("concatenate", lambda t, x, y: t.concatenate([x, y], axis=1), [M, M[:, :2]]),
    ("split_with_sizes", lambda t, x: t.split_with_sizes(x, [1, 3], 1)[1] * 2, [M]),
    ("select_scatter", lambda t, x, s: t.select_scatter(x, s, 1, -2), [M, R.standard_normal(3)]),
    ("slice_scatter", lambda t, x, s: t.slice_scatter(x, s, 1, 1, None, 2), [M, R.standard_normal((3, 2))]),
    ("diagonal_scatter", lambda t, x, s: t.diagonal_scatter(x, s, -1), [M, R.standard_normal(2)]),
    ("diagonal_scatter_3d", lambda t, x, s: t.diagonal_scatter(x, s, 1, 2, 0),
     [R.standard_normal((3, 2, 4)), R.standard_normal((2, 2))]),
    ("put", lambda t, x, s: t.put(x, t.tensor([0, -1, 5], device=x.device), s), [M, R.standard_normal(3)]),
    ("put_accumulate", lambda t, x, s: t.put(x, t.tensor([[0, 5], [5, -1]], device=x.device), s, accumulate=True),
     [M, R.standard_normal((2, 2))]),
    ("index_reduce_prod", lambda t, x, s: t.index_reduce(x, 0, t.tensor([2, 0, 2, 1], device=x.device), s, "prod"),
     [M, R.standard_normal((4, 4))]),
    ("index_reduce_amax", lambda t, x, s: t.index_reduce(x, 1, t.tensor([0, 3], device=x.device), s, "amax",
                                                         include_self=False), [M, R.standard_normal((3, 2))]),
    ("index_reduce_mean", lambda t, x, s: t.index_reduce(x, 0, t.tensor([1, 1], device=x.device), s, "mean"),
     [M, R.standard_normal((2, 4))]),
    ("index_reduce_numbers", lambda t, x: t.index_reduce(x[0, 0], 0, t.tensor([0], device=x.device), x[1, 2], "prod"),
     [M]),
    # PyG's segment and softmax(ptr=...) without torch-scatter: offsets, an empty run, initial, runs along axis 1
    ("segment_reduce_amax_offsets", lambda t, x: t._segment_reduce(x, "amax", offsets=t.tensor([0, 1, 1, 3],
                                                                     device=x.device), initial=-5.0), [M]),
    ("segment_reduce_mean_axis1", lambda t, x: t.segment_reduce(x, "mean", lengths=t.tensor(
        [[1, 3, 0], [2, 0, 2], [4, 0, 0]], device=x.device), axis=1, initial=0.5), [M]),
    ("segment_reduce_prod_min", lambda t, x: t.segment_reduce(x, "prod", lengths=t.tensor([2, 1], device=x.device))
     * t.segment_reduce(x, "min", lengths=t.tensor([1, 2], device=x.device)), [M]),
    ("as_strided_scatter", lambda t, x, s: as_strided_scatter(t, x, s, (2, 3), (1, 4), 1), [M, M[:2, :3]]),
    ("as_strided_overlapping", lambda t, x: t.as_strided(x, (4, 3), (2, 1), 1), [M]),
    ("as_strided_transposed", lambda t, x: t.as_strided(x, (4, 3), (1, 4)), [M]),
    ("trapz", lambda t, y: t.trapz(y, dx=0.5, dim=0), [M]),
    ("trapz_x", lambda t, y, x: t.trapz(y, x), [M, R.standard_normal(4)]),
    ("cumulative_trapezoid", lambda t, y: t.cumulative_trapezoid(y, dx=2.0), [M]),
    ("cumulative_trapezoid_x", lambda t, y, x: t.cumulative_trapezoid(y, x, dim=0), [M, R.standard_normal(3)]),
    ("gradient", lambda t, y: t.stack(t.gradient(y)), [M]),
    ("gradient_spacing_edge2", lambda t, y: t.stack(t.gradient(y, spacing=(0.5, 2.0), edge_order=2)), [M]),
    ("gradient_spacing_none", lambda t, y: t.stack(t.gradient(y, spacing=None, dim=None)), [M]),
    ("lstm_cell", lambda t, x, h, c, wi, wh, bi, bh: t.cat(t.lstm_cell(x, [h, c], wi, wh, bi, bh), 1),
     [R.standard_normal((2, 4)), R.standard_normal((2, 3)), R.standard_normal((2, 3)), R.standard_normal((12, 4)),
      R.standard_normal((12, 3)), R.standard_normal(12), R.standard_normal(12)]),
    ("gru_cell", lambda t, x, h, wi, wh, bi: t.gru_cell(x, h, wi, wh, bi),
     [R.standard_normal((2, 4)), R.standard_normal((2, 3)), R.standard_normal((9, 4)), R.standard_normal((9, 3)),
      R.standard_normal(9)]),
    ("rnn_tanh_cell", lambda t, x, h, wi, wh: t.rnn_tanh_cell(x, h, wi, wh),
     [R.standard_normal((1, 4)), R.standard_normal((1, 3)), R.standard_normal((3, 4)), R.standard_normal((3, 3))]),
    ("rnn_relu_cell", lambda t, x, h, wi, wh, bh: t.rnn_relu_cell(x, h, wi, wh, None, bh),
     [R.standard_normal((2, 4)), R.standard_normal((2, 3)), R.standard_normal((3, 4)), R.standard_normal((3, 3)),
      R.standard_normal(3)]),
    ("gradient_coordinates", lambda t, y, c: t.gradient(y, spacing=(c,), dim=0, edge_order=2)[0],
     [R.standard_normal((5, 2)), COORDS]),
]

test_gradients, test_matches_torch = case_table_tests(CASES, dtypes=("float64",))


@pytest.mark.parametrize("base, source", [("float64", "float32"), ("int64", "float32"), ("float32", "int64")])
def test_scatter_views_cast_src_to_the_input_dtype_as_torch(backend, base, source):
    """PyTorch writes src as copy_ does (cast to the input's dtype); anynn refused another dtype."""
    x, src = (M * 3).astype(base), R.standard_normal(3).__mul__(3).astype(source)
    calls = [lambda t, a, s: t.select_scatter(a, s, 1, -2), lambda t, a, s: t.slice_scatter(a, s[:, None], 1, 0, 1),
             lambda t, a, s: t.diagonal_scatter(a, s)]
    for call in calls:
        want = call(torch, torch.tensor(x), torch.tensor(src))
        got = call(anynn, make(backend, x), make(backend, src))
        assert dtype_name(got.dtype) == str(want.dtype).removeprefix("torch.") == base
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_unique_consecutive_matches_torch(backend):
    data = np.array([[1, 1, 2], [1, 1, 2], [0, 1, 2], [1, 1, 2], [1, 1, 2]])
    for dim in (None, 0, 1, -1):
        for inverse in (False, True):
            for counts in (False, True):
                kwargs = dict(return_inverse=inverse, return_counts=counts, dim=dim)  # torch: keywords only work
                ours = anynn.unique_consecutive(make(backend, data), **kwargs)
                theirs = torch.unique_consecutive(torch.tensor(data), **kwargs)
                ours, theirs = (ours,) if not isinstance(ours, tuple) else ours, (
                    (theirs,) if not isinstance(theirs, tuple) else theirs)
                assert len(ours) == len(theirs)
                for a, b in zip(ours, theirs):
                    np.testing.assert_array_equal(a.numpy(), b.numpy())
                    assert a.numpy().dtype == b.numpy().dtype
    empty = anynn.unique_consecutive(make(backend, np.zeros(0)), return_counts=True)
    assert tuple(empty[0].shape) == (0,) and tuple(empty[1].shape) == (0,)


UNIQUE_CALLS = [  # (call, the function PyTorch's error names)
    (lambda m, x: m.unique(x, return_inverse=True), "_unique2"),
    (lambda m, x: m.unique(x[:, None], dim=0, return_counts=True), "unique_dim"),
    (lambda m, x: m.unique_consecutive(x, return_inverse=True), "unique_consecutive"),
]


def test_unique_values_require_grad_without_a_derivative_as_torch(backend):
    """unique / unique(dim=) / unique_consecutive of a tensor that requires grad: the values require grad (inverse and
    counts do not) and a backward through them raises PyTorch's NotImplementedError (anynn's values were constants,
    so a loss built on them trained nothing without a word)."""
    data = np.array([3.0, 1.0, 3.0])
    for call, name in UNIQUE_CALLS:
        for module, x in ((torch, torch.tensor(data, requires_grad=True)), (anynn, make(backend, data, True))):
            values, other = call(module, x)
            assert (values.requires_grad, other.requires_grad) == (True, False)
            with pytest.raises(NotImplementedError, match=f"the derivative for '{name}' is not implemented"):
                values.sum().backward()


@pytest.mark.parametrize("shape, dim", [((0,), -1), ((0, 3), 0), ((3, 0), 1), ((3, 0), 0), ((0, 2, 0), 0)])
def test_unique_consecutive_of_empty_tensors_along_a_dim_as_torch(backend, shape, dim):
    """Empty along ``dim``: empty runs; empty along another axis, or along two: PyTorch's refusals (a NumPy reshape
    error before; empty results for two)."""
    data = np.zeros(shape, dtype=np.int64)
    kwargs = dict(return_inverse=True, return_counts=True, dim=dim)
    try:
        theirs = torch.unique_consecutive(torch.tensor(data), **kwargs)
    except RuntimeError:
        with pytest.raises(RuntimeError, match="0 sized dimensions, and they aren't selected|is more than one"):
            anynn.unique_consecutive(make(backend, data), **kwargs)
        return
    ours = anynn.unique_consecutive(make(backend, data), **kwargs)
    for a, b in zip(ours, theirs, strict=True):
        assert tuple(a.shape) == tuple(b.shape) and a.numpy().dtype == b.numpy().dtype


def test_queries_and_predicates_match_torch(backend):
    values = np.array([1.0, -np.inf, np.inf, np.nan, 0.0, -2.0])
    x, xt = make(backend, values), torch.tensor(values)
    for name in ("isposinf", "isneginf", "isreal"):
        np.testing.assert_array_equal(getattr(anynn, name)(x).numpy(), getattr(torch, name)(xt).numpy())
    for name in ("greater", "greater_equal", "less", "less_equal", "not_equal"):
        np.testing.assert_array_equal(getattr(anynn, name)(x, 0.0).numpy(), getattr(torch, name)(xt, 0.0).numpy())
    np.testing.assert_array_equal(anynn.isposinf(make(backend, np.arange(3))).numpy(), [False] * 3)
    for dtype in ("float32", "int64", "uint8", "bool", "int8"):
        assert anynn.is_signed(anynn.zeros(1, dtype=dtype, backend=backend)) == torch.is_signed(
            torch.zeros(1, dtype=getattr(torch, dtype))), dtype
    for data in ([0.0], [3], [[True]]):
        assert anynn.is_nonzero(make(backend, np.array(data))) == torch.is_nonzero(torch.tensor(data))
    for bad in (np.zeros(2), np.zeros(0)):
        with pytest.raises(RuntimeError, match="Boolean value of Tensor with .* is ambiguous"):
            anynn.is_nonzero(make(backend, bad))
    assert anynn.is_same_size(x, x) and not anynn.is_same_size(x, x[:2])
    mantissa, exponent = anynn.frexp(x)
    ref_m, ref_e = torch.frexp(xt)
    np.testing.assert_array_equal(mantissa.numpy(), ref_m.numpy())
    np.testing.assert_array_equal(exponent.numpy(), ref_e.numpy())
    assert exponent.numpy().dtype == np.int32
    assert anynn.is_neg(x) is torch.is_neg(xt) is False
    if backend.name in ("numpy", "torch"):  # a capsule torch reads without a copy
        np.testing.assert_array_equal(torch.utils.dlpack.from_dlpack(anynn.to_dlpack(x)).numpy(), values)
    mask = make(backend, np.array([[0, 1], [1, 1]]))
    for size, fill in ((4, -1), (1, -1), (5, 7), (0, -1)):
        np.testing.assert_array_equal(anynn.nonzero_static(mask, size=size, fill_value=fill).numpy(),
                                      torch.nonzero_static(torch.tensor([[0, 1], [1, 1]]), size=size,
                                                           fill_value=fill).numpy())
    assert anynn.detach(make(backend, values, requires_grad=True)).requires_grad is False
    np.testing.assert_array_equal(anynn.fill(x, 2).numpy(), torch.fill(xt, 2).numpy())


def test_complex_vdot_and_isreal_match_torch():
    a, b = R.standard_normal(3) + 1j * R.standard_normal(3), R.standard_normal(3) + 1j * R.standard_normal(3)
    ours = anynn.vdot(anynn.tensor(a, dtype="complex128"), anynn.tensor(b, dtype="complex128"))
    np.testing.assert_allclose(ours.numpy(),
                               torch.vdot(torch.tensor(a), torch.tensor(b)).numpy())
    z = np.array([1 + 0j, 1 + 1j])
    np.testing.assert_array_equal(anynn.isreal(anynn.tensor(z, dtype="complex128")).numpy(),
                                  torch.isreal(torch.tensor(z)).numpy())


def test_chain_matmul_warns_of_its_deprecation_once_as_torch(monkeypatch):
    from anynn.functional import torch_small_ops

    monkeypatch.setattr(torch_small_ops, "_chain_matmul_warned", [False])  # TORCH_WARN_ONCE (anynn was silent)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        anynn.chain_matmul(anynn.eye(2), anynn.eye(2)), anynn.chain_matmul(anynn.eye(2), anynn.eye(2))
    assert [(w.category, str(w.message)[:64]) for w in caught] == [
        (UserWarning, "torch.chain_matmul is deprecated and will be removed in a future")]


def test_broadcast_shapes_match_torch():
    for shapes in (((2, 1), (3, 1, 4), (1,)), (5, (1, 5)), ((0, 1), (3,)), ()):
        assert tuple(anynn.broadcast_shapes(*shapes)) == tuple(torch.broadcast_shapes(*shapes))
    for lib in (anynn, torch):
        with pytest.raises(RuntimeError, match="length 4 at -2! Mismatching argument at index 1"):
            lib.broadcast_shapes((2, 3), (4, 3))


def test_private_assert_is_an_assert_as_torch(backend):
    """torch._assert, with which torchvision's models check their input sizes."""
    x = make(backend, M)
    for lib, t in ((anynn, x), (torch, torch.tensor(M))):
        assert lib._assert(t.shape[0] == 3, "unused") is None
        assert lib._assert((t > -100).all(), "unused") is None
        with pytest.raises(AssertionError, match="^Wrong image height!$"):
            lib._assert(t.shape[0] == 4, "Wrong image height!")
        with pytest.raises(AssertionError, match="^tensor condition$"):
            lib._assert((t > 100).all(), "tensor condition")
    assert "_assert" not in anynn.__all__


@pytest.mark.parametrize("call, message", [
    (lambda t, x: t.split_with_sizes(x, [1, 2], 1), "split_with_sizes expects split_sizes to sum exactly to 4"),
    (lambda t, x: t.select_scatter(x, x[0], 1, 0), "expected src to have a size equal to the slice"),
    (lambda t, x: t.mvlgamma(x, 0), "p has to be greater than or equal to 1"),
    (lambda t, x: t.mvlgamma(x > 0, 2), "may not be a boolean tensor"),
    (lambda t, x: t.vdot(x, x), "1D tensors expected"),
    (lambda t, x: t.as_strided(x, (4, 4), (4, 1)), "out of bounds for storage of 12 elements"),
    (lambda t, x: t.as_strided_scatter(x, x[:2, :2], (2, 2), (0, 1)), "more than one element of the written-to"),
    (lambda t, x: t.gradient(x[:, :1], dim=1), "at least edge_order\\+1"),
    (lambda t, x: t.index_reduce(x, 0, t.tensor([0]), x[:1], "sum"), "reduce to be one of prod, mean, amax"),
    (lambda t, x: t.fill(x, x), "fill only supports 0-dimension value tensor"),
    (lambda t, x: t.segment_reduce(x, "sum"), "Either lengths or offsets must be defined"),
    (lambda t, x: t.segment_reduce(x, "sum", lengths=t.tensor([2, 2])), "to sum to data.size"),
    (lambda t, x: t.trapz(x > 0), "trapezoid: received a bool input"),
    (lambda t, x: t.trapezoid(x > 0, dim=0), "trapezoid: received a bool input"),
    (lambda t, x: t.cumulative_trapezoid(x > 0), "cumulative_trapezoid: received a bool input"),
])
def test_refusals_match_torch(call, message):
    with pytest.raises(RuntimeError, match=message):
        call(anynn, anynn.tensor(M))
    with pytest.raises(RuntimeError):
        call(torch, torch.tensor(M))


METHOD_CALLS = [("absolute", ()), ("frexp", ()), ("isposinf", ()), ("isneginf", ()), ("isreal", ()),
                ("unique_consecutive", ()), ("split_with_sizes", ([1, 2], 1)), ("unsafe_chunk", (3, 1)),
                ("unsafe_split", (2, 0)), ("unsafe_split_with_sizes", ([1, 1], 0)), ("mvlgamma", (1,)),
                ("select_scatter", (np.zeros(3), 0, 1)), ("slice_scatter", (np.zeros((2, 2)), 1, 1)),
                ("diagonal_scatter", (np.zeros(2),)), ("put", (np.array([0, 4]), np.ones(2))),
                ("index_reduce", (0, np.array([1, 0, 1]), np.ones((3, 3)), "amax")),
                ("as_strided", ((2, 2), (1, 3))), ("as_strided_scatter", (np.ones(3), (3,), (2,), 0)),
                ("nonzero_static", ())]


@pytest.mark.parametrize("name, args", METHOD_CALLS, ids=[m[0] for m in METHOD_CALLS])
def test_tensor_methods_are_the_top_level_functions_as_torch(backend, name, args):
    data = np.array([[1.5, -np.inf, 0.0], [2.0, 2.0, 3.0]])
    kwargs = {"size": 3} if name == "nonzero_static" else {}
    ours = getattr(make(backend, data), name)(*[make(backend, a) if isinstance(a, np.ndarray) else a for a in args],
                                              **kwargs)
    theirs = getattr(torch.tensor(data), name)(*[torch.tensor(a) if isinstance(a, np.ndarray) else a for a in args],
                                               **kwargs)
    ours, theirs = (ours, theirs) if isinstance(ours, tuple) else ((ours,), (theirs,))
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
        assert a.numpy().dtype == b.numpy().dtype


def test_tensor_queries_as_torch(backend):
    x, xt = make(backend, np.array([2.0])), torch.tensor([2.0])
    for name, args in (("get_device", ()), ("is_inference", ()), ("is_neg", ()), ("is_nonzero", ()),
                       ("is_signed", ()), ("is_same_size", (x,))):
        assert getattr(x, name)(*args) == getattr(xt, name)(*[xt for _ in args]), name
    vector = make(backend, np.array([1.0, 2.0]))
    assert vector.vdot(vector).item() == torch.tensor([1.0, 2.0]).vdot(torch.tensor([1.0, 2.0])).item()
