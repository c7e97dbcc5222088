"""PyTorch's Tensor API and top-level functions on every backend, compared with PyTorch itself."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import anynn
from anynn.backend import dtype_name
from tests.helpers import check_gradients, compare_with_torch, make

X = np.random.default_rng(7).standard_normal((3, 4))


def _x(dtype: str = "float64") -> np.ndarray:
    return X.astype(dtype)


# -- array facts ------------------------------------------------------------------------------------
def test_size_dim_numel_and_friends(backend):
    x = make(backend, _x(), requires_grad=True)
    assert x.size() == (3, 4) and x.size(0) == 3 and x.size(-1) == 4
    assert x.size == 12 and x.numel() == 12 and x.nelement() == 12  # the array API's int size still works
    assert x.dim() == 2 and x.ndimension() == 2 and x.shape == (3, 4) and x.contiguous() is x
    assert x.is_floating_point() and not x.long().is_floating_point()
    y = make(backend, _x()).requires_grad_()
    assert y.requires_grad and y.requires_grad_(False) is y and not y.requires_grad
    assert x[0, 1].item() == pytest.approx(X[0, 1]) and x.tolist() == X.tolist()


def test_dtype_conversions(backend):
    x = make(backend, _x("float32"), requires_grad=True)
    assert dtype_name(x.double().dtype) == "float64" and dtype_name(x.float().dtype) == "float32"
    assert dtype_name(x.long().dtype) == "int64" and dtype_name(x.int().dtype) == "int32"
    assert dtype_name((x > 0).long().bool().dtype) == "bool"
    for spec in ("float64", "double", "torch.float64", torch.float64, np.float64):
        assert dtype_name(x.to(spec).dtype) == "float64", spec
    assert dtype_name(x.to(dtype="long").dtype) == "int64"
    assert x.to("float32") is x and x.to(x) is x
    y = x.to("double")  # a dtype change on the same backend stays in the graph, as in PyTorch
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * _x("float32"), rtol=1e-6)
    if backend.name == "array_api_strict":
        with pytest.raises(TypeError, match="float16"):
            x.half()
    else:
        assert dtype_name(x.half().dtype) == "float16"


def test_dtype_attributes_as_torch(backend):
    """x.dtype.is_floating_point / is_complex / is_signed / itemsize as PyTorch's dtypes answer them, where the
    library's dtype can carry them (array-api-strict's raised AttributeError; NumPy's dtypes are immutable)."""
    x = make(backend, _x("float32"))
    if backend.name not in ("torch", "array_api_strict"):
        pytest.skip("NumPy's dtypes take no attributes (differences page)")
    for ours, theirs in ((x, torch.float32), (x.long(), torch.int64), (x > 0, torch.bool)):
        for name in ("is_floating_point", "is_complex", "is_signed", "itemsize"):
            assert getattr(ours.dtype, name) == getattr(theirs, name), (theirs, name)


def test_to_devices_and_other_tensors(backend):
    x = make(backend, _x())
    assert x.to("cpu").backend.name == ("numpy" if backend.name == "cupy" else backend.name)
    assert x.cpu().numpy().tolist() == X.tolist()
    other = anynn.zeros(1, backend="torch", dtype="float32")
    moved = x.to(other)
    assert moved.backend.name == "torch" and dtype_name(moved.dtype) == "float32"
    if backend.name == "array_api_strict":
        with pytest.raises(anynn.BackendUnavailable, match="no 'cuda' device"):
            x.to("cuda")


def test_dtype_names_accept_pytorch_spellings():
    assert [dtype_name(s) for s in ("float", "double", "half", "long", "int", "torch.bool", "np.int8")] == [
        "float32", "float64", "float16", "int64", "int32", "bool", "int8"]


# -- reductions with dim / keepdim ------------------------------------------------------------------
REDUCTIONS = [
    ("sum", lambda x: x.sum(dim=1), lambda t: t.sum(dim=1)),
    ("sum_keepdim", lambda x: x.sum(0, keepdim=True), lambda t: t.sum(0, keepdim=True)),
    ("sum_tuple", lambda x: x.sum(dim=(0, 1)), lambda t: t.sum(dim=(0, 1))),
    ("sum_axis", lambda x: x.sum(axis=1, keepdims=True), lambda t: t.sum(dim=1, keepdim=True)),
    ("mean", lambda x: x.mean(dim=-1, keepdim=True), lambda t: t.mean(dim=-1, keepdim=True)),
    ("amax", lambda x: x.amax(dim=1), lambda t: t.amax(dim=1)),
    ("amin", lambda x: x.amin(0, keepdim=True), lambda t: t.amin(0, keepdim=True)),
    ("max_all", lambda x: x.max(), lambda t: t.max()),
    ("max_values", lambda x: x.max(dim=1).values, lambda t: t.max(dim=1).values),
    ("min_values", lambda x: x.min(0, keepdim=True)[0], lambda t: t.min(0, keepdim=True)[0]),
    ("max_axis", lambda x: x.max(axis=1), lambda t: t.amax(dim=1)),
    ("logsumexp", lambda x: x.logsumexp(dim=1), lambda t: t.logsumexp(dim=1)),
    ("softmax", lambda x: x.softmax(dim=0), lambda t: t.softmax(dim=0)),
    ("log_softmax", lambda x: x.log_softmax(-1), lambda t: t.log_softmax(-1)),
    ("norm", lambda x: x.norm(), lambda t: t.norm()),
    ("norm_dim", lambda x: x.norm(dim=1), lambda t: t.norm(dim=1)),
    ("norm_p1", lambda x: x.norm(p=1, dim=0, keepdim=True), lambda t: t.norm(p=1, dim=0, keepdim=True)),
    ("norm_p3", lambda x: x.norm(3, dim=1), lambda t: t.norm(3, dim=1)),
    ("norm_inf", lambda x: x.norm(p=math.inf, dim=1), lambda t: t.norm(p=math.inf, dim=1)),
    ("norm_fro", lambda x: x.norm(p="fro"), lambda t: t.norm(p="fro")),
]


@pytest.mark.parametrize("name,ours,theirs", REDUCTIONS, ids=[r[0] for r in REDUCTIONS])
def test_reductions_match_torch(backend, name, ours, theirs):
    compare_with_torch(backend, ours, theirs, _x())


@pytest.mark.parametrize("p", [1, 2, 3, math.inf])
def test_norm_gradients(backend, p):
    check_gradients(backend, lambda x: x.norm(p=p, dim=1), _x())


def test_norm_of_zeros_has_zero_gradient(backend):
    x = make(backend, np.zeros((2, 3)), requires_grad=True)
    x.norm(dim=1).sum().backward()
    assert x.grad.numpy().tolist() == [[0.0] * 3] * 2


def test_max_min_with_dim_return_values_and_indices(backend):
    x = make(backend, _x())
    for ours, theirs in ((x.max(1), torch.tensor(X).max(1)), (x.min(dim=0, keepdim=True),
                                                              torch.tensor(X).min(dim=0, keepdim=True))):
        values, indices = ours
        np.testing.assert_allclose(values.numpy(), theirs.values.numpy())
        np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    other = make(backend, -_x())
    np.testing.assert_allclose(x.max(other).numpy(), np.abs(X))
    np.testing.assert_allclose(x.min(other).numpy(), -np.abs(X))


@pytest.mark.parametrize("fn", ["argmax", "argmin"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}])
def test_argmax_argmin(backend, fn, kwargs):
    ours = getattr(make(backend, _x()), fn)(**kwargs)
    theirs = getattr(torch.tensor(X), fn)(**kwargs)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


# -- elementwise and masking ------------------------------------------------------------------------
ELEMENTWISE = [
    ("clamp", lambda x: x.clamp(min=-0.5, max=0.4), lambda t: t.clamp(min=-0.5, max=0.4)),
    ("clamp_min", lambda x: x.clamp_min(0.1), lambda t: t.clamp_min(0.1)),
    ("masked_fill", lambda x: x.masked_fill(x > 0.2, -1.0), lambda t: t.masked_fill(t > 0.2, -1.0)),
    ("masked_fill_row", lambda x: x.masked_fill(make_mask(x), 3.0), lambda t: t.masked_fill(torch_mask(), 3.0)),
    # a 0-d tensor value gets its gradient (the sum over the filled places): it was read out as a number
    ("masked_fill_tensor_value", lambda x: x.masked_fill(x > 0.2, (x * x).sum()),
     lambda t: t.masked_fill(t > 0.2, (t * t).sum())),
    ("masked_fill_function", lambda x: anynn.masked_fill(x, make_mask(x), x[0, 1]),
     lambda t: torch.masked_fill(t, torch_mask(), t[0, 1])),
    # out of place, the tensor broadcasts to the mask's larger shape too (its gradient sums back), as PyTorch's
    ("masked_fill_larger_mask", lambda x: x[0].masked_fill(make_mask(x), 3.0) * x,
     lambda t: t[0].masked_fill(torch_mask(), 3.0) * t),
    ("where", lambda x: x.where(x > 0, 0.5), lambda t: t.where(t > 0, 0.5)),
    ("where_top", lambda x: anynn.where(x > 0, 2.0, x), lambda t: torch.where(t > 0, 2.0, t)),
    ("pow", lambda x: x.abs().pow(1.5), lambda t: t.abs().pow(1.5)),
    ("methods", lambda x: x.mul(2.0).add(x).sub(1.0).div(3.0).neg().square(),
     lambda t: t.mul(2.0).add(t).sub(1.0).div(3.0).neg().square()),
    ("exp_log_sqrt", lambda x: anynn.log(anynn.exp(x) + 1.0) + anynn.sqrt(anynn.abs(x)),
     lambda t: torch.log(torch.exp(t) + 1.0) + torch.sqrt(torch.abs(t))),
    ("clone", lambda x: x.clone() * x, lambda t: t.clone() * t),
    ("T", lambda x: x.T @ x, lambda t: t.T @ t),
    ("mT_t", lambda x: x.mT - x.t(), lambda t: t.mT - t.t()),
]

ROW_MASK = np.array([[True], [False], [True]])


def make_mask(x: anynn.Tensor) -> anynn.Tensor:
    return make(x.backend, ROW_MASK)


def torch_mask() -> torch.Tensor:
    return torch.tensor(ROW_MASK)


@pytest.mark.parametrize("name,ours,theirs", ELEMENTWISE, ids=[e[0] for e in ELEMENTWISE])
def test_elementwise_match_torch(backend, name, ours, theirs):
    compare_with_torch(backend, ours, theirs, _x())


def test_masked_fill_gradients_and_errors(backend):
    check_gradients(backend, lambda x: x.masked_fill(make_mask(x), 0.0), _x())
    check_gradients(backend, lambda x, v: x.masked_fill(make_mask(x), v), _x(), np.array(0.5))
    x = make(backend, _x())
    with pytest.raises(TypeError, match="boolean"):
        x.masked_fill(x.long(), 0.0)
    with pytest.raises(ValueError, match="broadcast"):
        x.masked_fill(make(backend, np.ones((2, 1), dtype=bool)), 0.0)
    ints = make(backend, np.arange(4)).masked_fill(make(backend, np.array([True, False, False, True])), 9)
    assert ints.tolist() == [9, 1, 2, 9]
    with pytest.raises(RuntimeError, match="masked_fill_"):  # in place, only the mask may broadcast
        make(backend, _x())[0].masked_fill_(make_mask(x), 0.0)


@pytest.mark.parametrize("dtype,value", [("uint8", -2), ("uint8", -255), ("uint8", 255), ("uint8", 256),
                                         ("int8", 127), ("int8", 128), ("int8", -129), ("int16", 40000),
                                         ("int32", 2**31), ("int64", 2**63 - 1), ("int8", 2.5), ("bool", 2),
                                         ("float32", 2j), ("int64", 3 + 0j)])  # (float() refused complex numbers)
def test_masked_fill_value_out_of_the_dtype_range(backend, dtype, value):
    """PyTorch converts the fill value to the tensor's dtype: uint8 wraps -255..-1, other overflows raise."""
    data, mask = np.array([1, 2]).astype(dtype), np.array([True, False])
    ours = make(backend, data)
    try:
        expected = torch.tensor(data).masked_fill(torch.tensor(mask), value)
    except RuntimeError:
        with pytest.raises(RuntimeError, match=f"masked_fill.*{value}.*{dtype}"):
            ours.masked_fill(make(backend, mask), value)
        return
    out = ours.masked_fill(make(backend, mask), value)
    assert str(out.dtype).endswith(dtype)
    assert out.tolist() == expected.tolist()


def test_logical_operators(backend):
    x = make(backend, _x())
    inside = (x > -0.5) & (x < 0.5)
    outside = ~inside
    expected = (X > -0.5) & (X < 0.5)
    np.testing.assert_array_equal(inside.numpy(), expected)
    np.testing.assert_array_equal(outside.numpy(), ~expected)
    np.testing.assert_array_equal((inside | outside).all(dim=1).numpy(), [True] * 3)
    assert inside.any().item() == bool(expected.any())


# -- shapes -------------------------------------------------------------------------------------------
SHAPES = [
    ("unsqueeze", lambda x: x.unsqueeze(1).unsqueeze(-1), lambda t: t.unsqueeze(1).unsqueeze(-1)),
    ("squeeze_all", lambda x: x.reshape(3, 1, 4, 1).squeeze(), lambda t: t.reshape(3, 1, 4, 1).squeeze()),
    ("squeeze_dim", lambda x: x.reshape(1, 3, 1, 4).squeeze(2).squeeze(1), lambda t: t.reshape(1, 3, 1, 4)
     .squeeze(2).squeeze(1)),
    ("expand", lambda x: x[:, :1].expand(-1, 5), lambda t: t[:, :1].expand(-1, 5)),
    ("expand_new_axis", lambda x: x.expand(2, 3, 4), lambda t: t.expand(2, 3, 4)),
    ("broadcast_to", lambda x: x[:1].broadcast_to((2, 3, 4)), lambda t: t[:1].broadcast_to((2, 3, 4))),
    ("expand_as", lambda x: x[:1].expand_as(x), lambda t: t[:1].expand_as(t)),
    ("repeat", lambda x: x.repeat(2, 3), lambda t: t.repeat(2, 3)),
    ("repeat_new_axis", lambda x: x[:2].repeat(2, 1, 2), lambda t: t[:2].repeat(2, 1, 2)),
    ("view_minus_one", lambda x: x.view(-1, 2), lambda t: t.view(-1, 2)),
    ("reshape_flat", lambda x: x.reshape(-1), lambda t: t.reshape(-1)),
    ("transpose", lambda x: anynn.transpose(x, 0, 1), lambda t: torch.transpose(t, 0, 1)),
    ("cat", lambda x: anynn.cat([x, x * 2.0], dim=1), lambda t: torch.cat([t, t * 2.0], dim=1)),
    ("stack", lambda x: anynn.stack([x, x * 3.0], dim=-1), lambda t: torch.stack([t, t * 3.0], dim=-1)),
]


@pytest.mark.parametrize("name,ours,theirs", SHAPES, ids=[s[0] for s in SHAPES])
def test_shapes_match_torch(backend, name, ours, theirs):
    compare_with_torch(backend, ours, theirs, _x())


def test_expand_and_repeat_gradients(backend):
    check_gradients(backend, lambda x: x[:, :1].expand(3, 2) * x[:, :2], _x())
    check_gradients(backend, lambda x: x[:2, :2].repeat(2, 1, 3), _x())


@pytest.mark.parametrize("how", ["split_int", "split_sections", "chunk", "unbind"])
def test_split_chunk_unbind(backend, how):
    x = make(backend, _x(), requires_grad=True)
    t = torch.tensor(X, requires_grad=True)
    ours, theirs = {
        "split_int": (lambda: x.split(3, dim=1), lambda: t.split(3, dim=1)),
        "split_sections": (lambda: anynn.split(x, [1, 2], 0), lambda: torch.split(t, [1, 2], 0)),
        "chunk": (lambda: x.chunk(2, dim=0), lambda: t.chunk(2, dim=0)),
        "unbind": (lambda: x.unbind(1), lambda: t.unbind(1)),
    }[how]
    pieces, ref = ours(), theirs()
    assert [p.shape for p in pieces] == [tuple(r.shape) for r in ref]
    for p, r in zip(pieces, ref):
        np.testing.assert_allclose(p.numpy(), r.detach().numpy())
    # the last piece is left out: its gradient must come back as zeros
    for used, outputs in ((pieces[:-1], pieces), (ref[:-1], ref)):
        loss = outputs[0].sum() * 0.0
        for i, piece in enumerate(used):
            loss = loss + (piece * float(i + 1)).sum()
        loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy())


def test_split_gradient_check(backend):
    check_gradients(backend, lambda x: x.split(3, dim=1)[1] * 2.0, _x())


# -- in-place helpers ---------------------------------------------------------------------------------
def test_clone_zero_and_fill(backend):
    x = make(backend, _x(), requires_grad=True)
    y = x.clone()
    assert y.grad_fn is not None and y.array is not x.array
    (y * 2.0).sum().backward()
    x.grad.zero_()
    assert x.grad.numpy().tolist() == [[0.0] * 4] * 3
    w = make(backend, _x()).fill_(1.5)
    assert w.numpy().tolist() == [[1.5] * 4] * 3
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        x.zero_()  # PyTorch's rule: a leaf that requires grad changes in place only under no_grad()
    x.grad = None
    y = x * 2.0
    y.zero_()  # a non-leaf: recorded, its old value gets no gradient (as in PyTorch)
    (y + x).sum().backward()
    assert x.grad.numpy().tolist() == [[1.0] * 4] * 3


# -- top-level factories --------------------------------------------------------------------------------
def test_factories_match_torch(backend):
    cases = [
        (anynn.zeros(2, 3, backend=backend), torch.zeros(2, 3)),
        (anynn.ones((2, 3), backend=backend, dtype="float64"), torch.ones((2, 3), dtype=torch.float64)),
        (anynn.full((2,), 7, backend=backend), torch.full((2,), 7)),
        (anynn.full((2, 2), 0.5, backend=backend), torch.full((2, 2), 0.5)),
        (anynn.arange(5, backend=backend), torch.arange(5)),
        (anynn.arange(1.0, 2.0, 0.25, backend=backend), torch.arange(1.0, 2.0, 0.25)),
        (anynn.linspace(-1, 1, 5, backend=backend), torch.linspace(-1, 1, 5)),
        (anynn.eye(3, backend=backend), torch.eye(3)),
        (anynn.eye(2, 3, backend=backend, dtype="int64"), torch.eye(2, 3, dtype=torch.int64)),
    ]
    x = make(backend, _x("float32"))
    cases += [(anynn.zeros_like(x), torch.zeros_like(torch.tensor(X, dtype=torch.float32))),
              (anynn.ones_like(x, dtype="float64"), torch.ones(3, 4, dtype=torch.float64)),
              (anynn.full_like(x, 2.0), torch.full((3, 4), 2.0))]
    for ours, theirs in cases:
        assert ours.backend == backend
        assert dtype_name(ours.dtype) == dtype_name(theirs.dtype), (ours, theirs)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    assert anynn.zeros(2, backend=backend, requires_grad=True).requires_grad


def test_random_factories_are_seeded_and_the_same_on_every_backend(backend):
    anynn.manual_seed(3)
    a = anynn.randn(2, 3, backend=backend)
    anynn.manual_seed(3)
    b = anynn.randn((2, 3))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert dtype_name(a.dtype) == "float32" and a.backend == backend
    u = anynn.rand(4, generator=1, backend=backend, dtype="float64")
    np.testing.assert_array_equal(u.numpy(), anynn.rand(4, generator=np.random.default_rng(1), dtype="float64")
                                  .numpy())
    assert dtype_name(u.dtype) == "float64" and (0 <= u.numpy()).all() and (u.numpy() < 1).all()
    ints = anynn.randint(3, 6, (10,), generator=0, backend=backend)
    assert dtype_name(ints.dtype) == "int64" and set(ints.tolist()) <= {3, 4, 5}
    assert sorted(anynn.randperm(5, generator=0, backend=backend).tolist()) == [0, 1, 2, 3, 4]
    like = anynn.randn_like(a, generator=0)
    assert like.shape == (2, 3) and like.backend == backend
    assert anynn.rand(2, requires_grad=True, backend=backend).requires_grad


# -- top-level functions -------------------------------------------------------------------------------
TOP_LEVEL = [
    ("sum", lambda x: anynn.sum(x, dim=1), lambda t: torch.sum(t, dim=1)),
    ("mean", lambda x: anynn.mean(x, 0, keepdim=True), lambda t: torch.mean(t, 0, keepdim=True)),
    ("max", lambda x: anynn.max(x, dim=1).values, lambda t: torch.max(t, dim=1).values),
    ("min", lambda x: anynn.min(x), lambda t: torch.min(t)),
    ("softmax", lambda x: anynn.softmax(x, dim=1), lambda t: torch.softmax(t, dim=1)),
    ("log_softmax", lambda x: anynn.log_softmax(x, 0), lambda t: torch.log_softmax(t, 0)),
    ("matmul", lambda x: anynn.matmul(x, x.mT), lambda t: torch.matmul(t, t.mT)),
    ("norm", lambda x: anynn.norm(x, dim=0), lambda t: torch.norm(t, dim=0)),
    ("clamp", lambda x: anynn.clamp(x, -0.1, 0.1), lambda t: torch.clamp(t, -0.1, 0.1)),
    ("masked_fill", lambda x: anynn.masked_fill(x, x < 0, 0.0), lambda t: torch.masked_fill(t, t < 0, 0.0)),
    ("squeeze", lambda x: anynn.squeeze(anynn.unsqueeze(x, 0), 0), lambda t: torch.squeeze(t.unsqueeze(0), 0)),
]


@pytest.mark.parametrize("name,ours,theirs", TOP_LEVEL, ids=[t[0] for t in TOP_LEVEL])
def test_top_level_functions_match_torch(backend, name, ours, theirs):
    compare_with_torch(backend, ours, theirs, _x())


def test_top_level_argmax(backend):
    x = make(backend, _x())
    np.testing.assert_array_equal(anynn.argmax(x, dim=1).numpy(), torch.argmax(torch.tensor(X), dim=1).numpy())
    assert anynn.argmin(x).item() == int(np.argmin(X))


def test_from_numpy_keeps_the_dtype(backend):
    t = anynn.from_numpy(X, backend=backend)
    assert dtype_name(t.dtype) == "float64" and t.backend == backend
    np.testing.assert_array_equal(anynn.concat([t, t], dim=0).numpy(), np.concatenate([X, X]))
    assert t.to(torch.device("cpu")).backend.name == ("numpy" if backend.name == "cupy" else backend.name)
    copied = t.to(dtype="float64", copy=True)
    assert copied is not t and copied.numpy().tolist() == X.tolist()
    # PyTorch's positional non_blocking and copy: x.to(dtype, non_blocking, copy), x.to(device, dtype, ...)
    assert t.to(anynn.float64, False) is t and t.to(anynn.float64, False, True) is not t
    assert t.to("cpu", anynn.float64, True, True) is not t
