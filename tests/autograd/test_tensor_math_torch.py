"""PyTorch's elementwise math, products, rearranging, diagonals, statistics, value queries, linalg norms and
factories, compared with PyTorch (forward and gradients) on every backend, with float64 gradient checks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import anynn
from anynn.testing import gradgrad_check
from tests.helpers import check_gradients, compare_with_torch, make

pytestmark = pytest.mark.jax  # none of these write into arrays: they run where arrays are immutable

RNG = np.random.default_rng(18)
X = RNG.standard_normal((3, 4))
Y = RNG.standard_normal((3, 4))
UNIT = RNG.uniform(0.15, 0.85, (3, 4))  # inside (0, 1): asin, acos, atanh, logs
ABOVE_ONE = RNG.uniform(1.3, 3.0, (3, 4))  # acosh
WITH_ZEROS = np.where(RNG.random((3, 4)) < 0.25, 0.0, 0.5 + RNG.random((3, 4)))  # exact zeros: prod, cumprod
AWAY_FROM_ZERO = np.sign(Y) * (0.5 + np.abs(Y))  # divisors: the remainders jump where x / y crosses an integer
NONFINITE = np.where(np.arange(12).reshape(3, 4) % 4 == 1, np.array([np.nan, np.inf, -np.inf])[:, None], X)
ROW = RNG.standard_normal(5)
MAT = RNG.standard_normal((4, 5))
BATCH = RNG.standard_normal((2, 3, 4))
SQUARE = BATCH[:, :, :3] + 2 * np.eye(3)  # (2, 3, 3), well conditioned
FLIPPED = np.ascontiguousarray(SQUARE[:, ::-1])  # rows swapped: negative determinants
OFF_INTEGER = np.floor(3 * X) + UNIT  # at least 0.15 from the integers: lgamma's poles (digamma: test_special.py)

# (id, anynn function, torch function, inputs); every input is float64 and differentiable
DIFFERENTIABLE = [
    ("rsqrt", anynn.rsqrt, torch.rsqrt, (UNIT,)),
    ("reciprocal", anynn.reciprocal, torch.reciprocal, (X,)),
    ("square", anynn.square, torch.square, (X,)),
    ("log1p", anynn.log1p, torch.log1p, (UNIT,)),
    ("expm1", anynn.expm1, torch.expm1, (X,)),
    ("log2", anynn.log2, torch.log2, (UNIT,)),
    ("log10", anynn.log10, torch.log10, (UNIT,)),
    ("exp2", anynn.exp2, torch.exp2, (X,)),
    ("tan", anynn.tan, torch.tan, (UNIT,)),
    ("sinh", anynn.sinh, torch.sinh, (X,)),
    ("cosh", anynn.cosh, torch.cosh, (X,)),
    ("asin", anynn.asin, torch.asin, (UNIT,)),
    ("acos", anynn.acos, torch.acos, (UNIT,)),
    ("atan", anynn.atan, torch.atan, (X,)),
    ("asinh", anynn.asinh, torch.asinh, (X,)),
    ("acosh", anynn.acosh, torch.acosh, (ABOVE_ONE,)),
    ("atanh", anynn.atanh, torch.atanh, (UNIT,)),
    ("erf", anynn.erf, torch.erf, (X,)),
    ("erfc", anynn.erfc, torch.erfc, (X,)),
    ("erfinv", anynn.erfinv, torch.erfinv, (2 * UNIT - 1,)),
    ("lgamma", anynn.lgamma, torch.lgamma, (OFF_INTEGER,)),
    ("sinc", anynn.sinc, torch.sinc, (X * 2,)),
    ("xlogy", anynn.xlogy, torch.xlogy, (X, UNIT)),
    ("xlogy_broadcast", lambda x, y: x.xlogy(y), lambda x, y: x.xlogy(y), (X, ABOVE_ONE[0])),
    ("xlogy_number", lambda y: anynn.special.xlogy(2.5, y), lambda y: torch.special.xlogy(2.5, y), (UNIT,)),
    ("floor", lambda x: anynn.floor(x * 3), lambda x: torch.floor(x * 3), (X,)),
    ("ceil", lambda x: (x * 3).ceil(), lambda x: (x * 3).ceil(), (X,)),
    ("trunc", lambda x: anynn.trunc(x * 3), lambda x: torch.trunc(x * 3), (X,)),
    ("round", lambda x: anynn.round(x * 3), lambda x: torch.round(x * 3), (X,)),
    ("round_decimals", lambda x: x.round(decimals=2), lambda x: x.round(decimals=2), (X,)),
    ("round_negative_decimals", lambda x: anynn.round(x * 300, decimals=-1),
     lambda x: torch.round(x * 300, decimals=-1), (X,)),
    ("frac", lambda x: (x * 3).frac(), lambda x: (x * 3).frac(), (X,)),
    ("sign", anynn.sign, torch.sign, (X,)),
    ("nan_to_num", lambda x: anynn.nan_to_num(x, nan=1.5, posinf=7.0), lambda x: torch.nan_to_num(x, nan=1.5,
                                                                                                  posinf=7.0),
     (NONFINITE,)),
    ("nan_to_num_defaults", lambda x: x.nan_to_num(), lambda x: x.nan_to_num(), (NONFINITE,)),
    ("fmod", anynn.fmod, torch.fmod, (X * 3, AWAY_FROM_ZERO)),
    ("fmod_number", lambda x: anynn.fmod(x * 3, 0.7), lambda x: torch.fmod(x * 3, 0.7), (X,)),
    ("remainder", anynn.remainder, torch.remainder, (X * 3, AWAY_FROM_ZERO)),
    ("mod_operator", lambda x, y: (x * 3) % y, lambda x, y: (x * 3) % y, (X, AWAY_FROM_ZERO)),
    ("atan2", anynn.atan2, torch.atan2, (X, Y)),
    ("hypot", lambda x, y: x.hypot(y), lambda x, y: x.hypot(y), (X, Y)),
    ("nextafter", anynn.nextafter, torch.nextafter, (X, Y)),  # gradient 1 to input, 0 to other, as PyTorch's
    ("nextafter_broadcast", lambda x, y: x.nextafter(y), lambda x, y: x.nextafter(y), (MAT, ROW)),
    ("logaddexp", anynn.logaddexp, torch.logaddexp, (X, Y)),
    ("lerp_number", lambda x, y: anynn.lerp(x, y, 0.3), lambda x, y: torch.lerp(x, y, 0.3), (X, Y)),
    ("lerp_tensor", lambda x, y, w: x.lerp(y, w), lambda x, y, w: x.lerp(y, w), (X, Y, UNIT)),
    ("prod_all", lambda x: anynn.prod(x), lambda x: torch.prod(x), (WITH_ZEROS,)),
    ("prod_dim", lambda x: x.prod(1), lambda x: x.prod(1), (WITH_ZEROS,)),
    ("prod_keepdim", lambda x: anynn.prod(x, 0, keepdim=True), lambda x: torch.prod(x, 0, keepdim=True), (X,)),
    ("cumprod", lambda x: anynn.cumprod(x, 1), lambda x: torch.cumprod(x, 1), (WITH_ZEROS,)),
    ("cumprod_dim0", lambda x: x.cumprod(dim=0), lambda x: x.cumprod(dim=0), (X,)),
    ("roll_flat", lambda x: anynn.roll(x, 5), lambda x: torch.roll(x, 5), (X,)),
    ("roll_dims", lambda x: x.roll((1, -2), (0, 1)), lambda x: x.roll((1, -2), (0, 1)), (X,)),
    ("movedim", lambda x: anynn.movedim(x, 0, -1), lambda x: torch.movedim(x, 0, -1), (BATCH,)),
    ("moveaxis_pairs", lambda x: x.moveaxis((0, 1), (2, 0)), lambda x: x.moveaxis((0, 1), (2, 0)), (BATCH,)),
    ("swapaxes", lambda x: anynn.swapaxes(x, 0, 2), lambda x: torch.swapaxes(x, 0, 2), (BATCH,)),
    ("unflatten", lambda x: x.unflatten(1, (2, -1)), lambda x: x.unflatten(1, (2, -1)), (X,)),
    # Tensor.unfold (one SlidingWindows node): windows of `size` every `step` along one dim, as a new last axis
    # (overlapping windows, disjoint ones, gaps between them)
    ("unfold_overlapping", lambda x: x.unfold(1, 3, 1), lambda x: x.unfold(1, 3, 1), (BATCH,)),
    ("unfold_disjoint", lambda x: x.unfold(-1, 2, 2), lambda x: x.unfold(-1, 2, 2), (BATCH,)),
    ("unfold_gaps", lambda x: x.unfold(0, 1, 2), lambda x: x.unfold(0, 1, 2), (BATCH,)),
    ("unfold_twice", lambda x: x.unfold(0, 2, 1).unfold(1, 3, 1), lambda x: x.unfold(0, 2, 1).unfold(1, 3, 1),
     (MAT,)),
    ("unfold_whole_row", lambda v: v.unfold(0, 5, 1) * 2, lambda v: v.unfold(0, 5, 1) * 2, (ROW,)),
    ("tile", lambda x: anynn.tile(x, (2,)), lambda x: torch.tile(x, (2,)), (X,)),
    ("tile_more_dims", lambda x: x.tile((2, 1, 2)), lambda x: x.tile((2, 1, 2)), (X,)),
    ("repeat_interleave_int", lambda x: x.repeat_interleave(2, dim=1), lambda x: x.repeat_interleave(2, dim=1), (X,)),
    ("repeat_interleave_flat", lambda x: anynn.repeat_interleave(x, 3), lambda x: torch.repeat_interleave(x, 3), (X,)),
    ("diagonal", lambda x: anynn.diagonal(x), lambda x: torch.diagonal(x), (MAT,)),
    ("diagonal_offset", lambda x: x.diagonal(2), lambda x: x.diagonal(2), (MAT,)),
    ("diagonal_negative_batch", lambda x: x.diagonal(-1, 2, 1), lambda x: x.diagonal(-1, 2, 1), (BATCH,)),
    ("diag_vector", lambda v: anynn.diag(v), lambda v: torch.diag(v), (ROW,)),
    ("diag_vector_offset", lambda v: anynn.diag(v, -2), lambda v: torch.diag(v, -2), (ROW,)),
    ("diag_matrix", lambda x: x.diag(1), lambda x: x.diag(1), (MAT,)),
    ("diag_embed", lambda x: anynn.diag_embed(x, 1), lambda x: torch.diag_embed(x, 1), (X,)),
    ("trace", lambda x: x.trace(), lambda x: x.trace(), (MAT,)),
    ("median_all", lambda x: anynn.median(x), lambda x: torch.median(x), (X,)),
    ("median_dim", lambda x: x.median(1).values, lambda x: x.median(1).values, (X,)),
    ("median_keepdim", lambda x: anynn.median(x, 0, keepdim=True)[0], lambda x: torch.median(x, 0, keepdim=True)[0],
     (X,)),
    ("var_mean", lambda x: anynn.var_mean(x, 1)[0] + anynn.var_mean(x, 1)[1] * 2,
     lambda x: torch.var_mean(x, 1)[0] + torch.var_mean(x, 1)[1] * 2, (X,)),
    ("std_mean", lambda x: anynn.std_mean(x, dim=0, correction=0)[0] - anynn.std_mean(x)[1],
     lambda x: torch.std_mean(x, dim=0, correction=0)[0] - torch.std_mean(x)[1], (X,)),
    ("outer", anynn.outer, torch.outer, (ROW, X[0])),
    ("dot", anynn.dot, torch.dot, (X[0], Y[0])),
    ("cross", lambda a, b: anynn.cross(a, b, dim=1), lambda a, b: torch.cross(a, b, dim=1), (X[:, :3], Y[:, :3])),
    ("linalg_cross", anynn.linalg.cross, torch.linalg.cross, (X[:, :3], Y[:, :3])),
    ("cdist", anynn.cdist, torch.cdist, (X, Y[:2])),
    ("cdist_p1_batched", lambda a, b: anynn.cdist(a, b, p=1.0), lambda a, b: torch.cdist(a, b, p=1.0),
     (BATCH, BATCH[:, :2])),
    ("pdist", anynn.pdist, torch.pdist, (X,)),
    ("pdist_p1_coincident_rows", lambda x: anynn.nn.functional.pdist(anynn.cat([x, x[:2]]), 1.0),
     lambda x: torch.nn.functional.pdist(torch.cat([x, x[:2]]), 1.0), (X,)),
    ("pdist_p3", lambda x: anynn.pdist(x, p=3), lambda x: torch.pdist(x, p=3), (X,)),
    ("pdist_p0_and_inf", lambda x: anynn.pdist(x, 0) + anynn.pdist(x, math.inf),
     lambda x: torch.pdist(x, 0) + torch.pdist(x, math.inf), (X,)),
    # p = 0 stays on the graph with a zero gradient (it required no grad); rows of no columns are 0 apart for
    # p = inf too (NumPy's max of nothing raised)
    ("cdist_p0", lambda a, b: anynn.cdist(a, b, p=0.0), lambda a, b: torch.cdist(a, b, p=0.0), (X, Y[:2])),
    ("pdist_p0", lambda x: anynn.pdist(x, 0), lambda x: torch.pdist(x, 0), (X,)),
    ("cdist_inf_no_columns", lambda a, b: anynn.cdist(a, b, p=math.inf), lambda a, b: torch.cdist(a, b, p=math.inf),
     (X[:, :0], Y[:2, :0])),
    ("meshgrid_ij", lambda a, b: sum(g * (i + 1) for i, g in enumerate(anynn.meshgrid(a, b, indexing="ij"))),
     lambda a, b: sum(g * (i + 1) for i, g in enumerate(torch.meshgrid(a, b, indexing="ij"))), (ROW, X[0])),
    ("meshgrid_xy", lambda a, b: anynn.meshgrid(a, b, indexing="xy")[0] * anynn.meshgrid(a, b, indexing="xy")[1],
     lambda a, b: torch.meshgrid(a, b, indexing="xy")[0] * torch.meshgrid(a, b, indexing="xy")[1], (ROW, X[0])),
    ("vector_norm", lambda x: anynn.linalg.vector_norm(x, 3, dim=1), lambda x: torch.linalg.vector_norm(x, 3, dim=1),
     (X,)),
    ("vector_norm_neg_inf", lambda x: anynn.linalg.vector_norm(x, -math.inf),
     lambda x: torch.linalg.vector_norm(x, -math.inf), (X,)),
    ("linalg_norm_fro", lambda x: anynn.linalg.norm(x), lambda x: torch.linalg.norm(x), (MAT,)),
    # torch.norm's negative p and -inf (refused as "p must be positive") as vector norms, dtype= accepted
    ("norm_negative_p", lambda x: anynn.norm(x, -1, dim=1), lambda x: torch.norm(x, -1, dim=1), (X,)),
    ("method_norm_neg_inf_keepdim", lambda x: x.norm(-math.inf, (0, 1), True),
     lambda x: x.norm(-math.inf, (0, 1), True), (X,)),
    ("norm_dtype", lambda x: anynn.norm(x, 2.5, 0, dtype=anynn.float64),
     lambda x: torch.norm(x, 2.5, 0, dtype=torch.float64), (X,)),
    ("linalg_inv", anynn.linalg.inv, torch.linalg.inv, (SQUARE,)),
    ("linalg_det", anynn.linalg.det, torch.linalg.det, (SQUARE,)),
    ("linalg_det_negative", anynn.linalg.det, torch.linalg.det, (FLIPPED,)),
    ("linalg_slogdet", lambda a: anynn.linalg.slogdet(a).logabsdet * anynn.linalg.slogdet(a).sign,
     lambda a: torch.linalg.slogdet(a).logabsdet * torch.linalg.slogdet(a).sign, (FLIPPED,)),
    ("linalg_solve", anynn.linalg.solve, torch.linalg.solve, (SQUARE, BATCH[:, :, :2])),
    ("inverse", anynn.inverse, torch.inverse, (SQUARE,)),
    # S of the older svd without U and V is differentiable (it was detached)
    ("svd_without_uv", lambda a: a.svd(compute_uv=False).S, lambda a: a.svd(compute_uv=False).S, (BATCH,)),
    ("det_method", lambda a: a.det(), lambda a: a.det(), (FLIPPED,)),
    ("slogdet_method", lambda a: a.slogdet()[1] + anynn.slogdet(a).logabsdet,
     lambda a: a.slogdet()[1] + torch.slogdet(a).logabsdet, (FLIPPED,)),
    ("linalg_solve_vector", anynn.linalg.solve, torch.linalg.solve, (SQUARE, X[:2, :3])),
    ("linalg_solve_broadcast", anynn.linalg.solve, torch.linalg.solve, (SQUARE[0], BATCH[:, :, :2])),
    ("linalg_solve_one_vector", anynn.linalg.solve, torch.linalg.solve, (SQUARE, ROW[:3])),
    ("linalg_solve_right", lambda a, b: anynn.linalg.solve(a, b, left=False),
     lambda a, b: torch.linalg.solve(a, b, left=False), (SQUARE, BATCH[:, :2, :3])),
    ("matrix_norm_1", lambda x: anynn.linalg.matrix_norm(x, 1), lambda x: torch.linalg.matrix_norm(x, 1), (BATCH,)),
    ("matrix_norm_inf", lambda x: anynn.linalg.norm(x, math.inf), lambda x: torch.linalg.norm(x, math.inf), (MAT,)),
    ("matrix_norm_2", lambda x: anynn.linalg.matrix_norm(x, 2), lambda x: torch.linalg.matrix_norm(x, 2), (BATCH,)),
    ("matrix_norm_neg2_dims", lambda x: anynn.linalg.matrix_norm(x, -2, dim=(2, 0), keepdim=True),
     lambda x: torch.linalg.matrix_norm(x, -2, dim=(2, 0), keepdim=True), (BATCH,)),
    ("linalg_norm_nuc", lambda x: anynn.linalg.norm(x, "nuc"), lambda x: torch.linalg.norm(x, "nuc"), (MAT,)),
    # torch.norm / Tensor.norm with a string order other than 'fro': a matrix norm (ValueError before)
    ("norm_nuc_dims", lambda x: x.norm("nuc", (2, 0), True), lambda x: x.norm("nuc", (2, 0), True), (BATCH,)),
    ("add_alpha", lambda x, y: anynn.add(x, y, alpha=2.5), lambda x, y: torch.add(x, y, alpha=2.5), (X, Y)),
    ("sub_alpha", lambda x, y: x.sub(y, alpha=0.5), lambda x, y: x.sub(y, alpha=0.5), (X, Y)),
    ("clamp_min", lambda x: anynn.clamp_min(x, 0.1), lambda x: torch.clamp_min(x, 0.1), (X,)),
    ("masked_select_zero_dim", lambda x: (x.sum() * 2.0).masked_select(x.sum() == x.sum()),
     lambda x: (x.sum() * 2.0).masked_select(x.sum() == x.sum()), (X,)),
    # min above max: every element is max, no gradient (array-api-strict's clip refused it)
    ("clamp_min_above_max", lambda x: anynn.clamp(x, 0.3, -0.3) * x, lambda x: torch.clamp(x, 0.3, -0.3) * x, (X,)),
    ("mean_dtype", lambda x: x.mean(1, dtype=anynn.float64), lambda x: x.mean(1, dtype=torch.float64), (X,)),
    ("sum_dtype", lambda x: anynn.sum(x, dtype=anynn.float64), lambda x: torch.sum(x, dtype=torch.float64), (X,)),
    # PyTorch's deprecated scale-first overloads, in older optimizers: p.add_(-lr, grad), v.addcmul_(1 - b2, g, g)
    ("scale_first_overloads", lambda x, y: (x * 1).add_(-0.5, y).sub(2, y).addcmul(0.3, y, x).addcdiv_(2, x, y * y + 1),
     lambda x, y: (x * 1).add_(-0.5, y).sub(2, y).addcmul(0.3, y, x).addcdiv_(2, x, y * y + 1), (X, Y)),
]


@pytest.mark.parametrize("name, ours, theirs, inputs", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_matches_torch_with_gradients(backend, name, ours, theirs, inputs):
    compare_with_torch(backend, ours, theirs, *inputs, rtol=1e-10, atol=1e-12)
    check_gradients(backend, ours, *inputs)


@pytest.mark.parametrize("call", ["linalg.vector_norm", "norm", "Tensor.norm"])
@pytest.mark.parametrize("ord_", [-1.0, -2.5, 0.0])
def test_vector_norm_of_lanes_holding_zero_as_torch(backend, ord_, call):
    """A negative order's norm is 0 on a lane holding a zero, with gradient 0 on the whole lane (was NaN); order 0
    (the count of nonzeros) stays on the graph (backward raised) but gives no gradient (x.grad None), as PyTorch's."""
    x = X.copy()
    x[1, 2] = 0.0
    ours, theirs = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    calls = {"linalg.vector_norm": lambda m, t: m.linalg.vector_norm(t, ord_, dim=1),
             "norm": lambda m, t: m.norm(t, ord_, dim=1), "Tensor.norm": lambda m, t: t.norm(ord_, 1)}
    out, ref = calls[call](anynn, ours), calls[call](torch, theirs)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12)
    assert out.requires_grad and ref.requires_grad
    weights = np.arange(1.0, 4.0)
    (out * make(backend, weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    assert (ours.grad is None) == (theirs.grad is None)
    if theirs.grad is not None:
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_float32_and_integer_inputs_as_torch(backend):
    """Integer inputs of the floating functions give float32, rounding keeps integers, int products are int64."""
    ints = make(backend, np.array([[1, 2, 3], [4, 0, 6]]))
    for ours, theirs in [(anynn.log1p, torch.log1p), (anynn.rsqrt, torch.rsqrt), (anynn.erf, torch.erf),
                         (anynn.floor, torch.floor), (anynn.sign, torch.sign),
                         (lambda x: x.prod(1), lambda x: x.prod(1)),
                         (lambda x: anynn.cumprod(x, 0), lambda x: torch.cumprod(x, 0)),
                         (lambda x: x.mean(dtype=anynn.float32), lambda x: x.mean(dtype=torch.float32)),
                         (lambda x: x % 4, lambda x: x % 4), (lambda x: x // 4, lambda x: x // 4),
                         (lambda x: anynn.atan2(x, x.new_tensor(2.0, dtype=anynn.float32)),
                          lambda x: torch.atan2(x, torch.tensor(2.0)))]:
        out, ref = ours(ints), theirs(torch.tensor([[1, 2, 3], [4, 0, 6]]))
        assert anynn.backend.dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch."), ours
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    x = make(backend, X.astype(np.float32), requires_grad=True)
    y = anynn.exp2(x) + anynn.hypot(x, x.new_tensor(1.0)) + anynn.fmod(x, 0.5)
    assert y.dtype == anynn.float32
    y.sum().backward()
    assert x.grad.dtype == anynn.float32


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "bool"])
@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "cos", "tanh", "sigmoid", "log1p"])
def test_floating_functions_of_integers_give_float32_as_torch(backend, name, dtype):
    # NumPy's promotion once gave float16 (int8, uint8, bool) or float64 (int32, int64) for the first seven
    values = np.array([[1, 2, 3], [4, 0, 6]]).astype(dtype)
    out, ref = getattr(anynn, name)(make(backend, values)), getattr(torch, name)(torch.tensor(values))
    assert anynn.backend.dtype_name(out.dtype) == "float32" == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    assert anynn.backend.dtype_name(getattr(make(backend, values), name)().dtype) == "float32"  # the method too


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64", "bool"])
def test_logsumexp_of_integers_is_float32_as_torch(backend, dtype):
    # NumPy's promotion gave float16 for uint8, int8 and bool (exp(250) overflowed to inf) and float64 for int64
    values = (np.array([[1, 2, 3], [4, 0, 5]]) * 50).astype(dtype)
    for ours, theirs in [(lambda x: anynn.logsumexp(x, 1), lambda x: torch.logsumexp(x, 1)),
                         (lambda x: x.logsumexp(dim=(0, 1), keepdim=True), lambda x: x.logsumexp((0, 1), True))]:
        out, ref = ours(make(backend, values)), theirs(torch.tensor(values))
        assert anynn.backend.dtype_name(out.dtype) == "float32" == str(ref.dtype).removeprefix("torch.")
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int8", "uint8", "int32", "int64"])
def test_dot_of_integers_keeps_their_dtype_as_torch(backend, dtype):
    # the product was summed in int64 (int8 gave int64 10034 where PyTorch's wraps to int8 50)
    values = np.array([100, 3, 5]).astype(dtype)
    x = make(backend, values)
    for out in (anynn.dot(x, x), x.dot(x)):
        ref = torch.dot(torch.tensor(values), torch.tensor(values))
        assert anynn.backend.dtype_name(out.dtype) == dtype == str(ref.dtype).removeprefix("torch.")
        assert out.item() == ref.item()


@pytest.mark.parametrize("dtype", ["int8", "int64", "bool"])
def test_powers_of_integers_with_floats_as_torch(backend, dtype):
    # int ** 2.5 was float64 (NumPy's promotion), 2.5 ** int was int64 (the base cut to 2)
    values = np.array([[1, 2, 3], [0, 1, 2]]).astype(dtype)
    for ours, theirs in [(lambda t: t ** 2.5, lambda t: t ** 2.5), (lambda t: 2.5 ** t, lambda t: 2.5 ** t),
                         (lambda t: t ** 2, lambda t: t ** 2), (lambda t: 3 ** t, lambda t: 3 ** t)]:
        out, ref = ours(make(backend, values)), theirs(torch.tensor(values))
        assert anynn.backend.dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
        np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("dtype", ["int8", "int64", "uint8"])
def test_integer_powers_with_negative_integer_tensor_exponents_as_torch(backend, dtype):
    # NumPy raised ValueError (its integer power refuses negative exponents); PyTorch gives the truncated 1 / a**|b|
    base = np.array([0, 1, -1, 2, -2, 0, -1, 5, 3]).astype(dtype)
    exponent = np.array([-1, -3, -3, -1, -2, -2, -2, 0, 2])
    for ours, theirs in [(lambda a, b: a ** b, lambda a, b: a ** b), (lambda a, b: 2 ** b, lambda a, b: 2 ** b),
                         (lambda a, b: anynn.pow(a, b), lambda a, b: torch.pow(a, b))]:
        out = ours(make(backend, base), make(backend, exponent))
        ref = theirs(torch.tensor(base), torch.tensor(exponent))
        assert anynn.backend.dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_median_of_lanes_holding_nan_is_nan_as_torch(backend):
    # the sorted middle once skipped the NaN (sorted last): [1, nan, 3, 2] gave 2, PyTorch gives NaN at index 1
    x = np.array([[1.0, np.nan, 3.0, 2.0], [4.0, 5.0, 6.0, 0.0], [np.nan, 1.0, np.nan, 2.0]])
    ours, theirs = make(backend, x, requires_grad=True), torch.tensor(x, requires_grad=True)
    assert np.isnan(anynn.median(ours).item()) and np.isnan(torch.median(theirs).item())
    for dim, keepdim in [(1, False), (0, True), (-1, True)]:
        (values, indices), ref = anynn.median(ours, dim, keepdim), torch.median(theirs, dim, keepdim)
        np.testing.assert_array_equal(values.numpy(), ref.values.detach().numpy())
        np.testing.assert_array_equal(indices.numpy(), ref.indices.numpy())
    weights = np.array([1.0, 2.0, 3.0])
    (anynn.median(ours, 1).values * make(backend, weights)).sum().backward()
    (torch.median(theirs, 1).values * torch.tensor(weights)).sum().backward()
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())


@pytest.mark.parametrize("shape", [(0,), (0, 3), (2, 0)])
def test_median_of_nothing_is_nan_as_torch(backend, shape):
    # it raised IndexError (the middle of an empty sort); PyTorch gives NaN, connected to the input
    ours, theirs = make(backend, np.zeros(shape), requires_grad=True), torch.zeros(shape, requires_grad=True)
    out, ref = anynn.median(ours), torch.median(theirs)
    assert np.isnan(out.item()) and np.isnan(ref.item()) and out.requires_grad == ref.requires_grad
    out.backward()
    ref.backward()
    assert tuple(ours.grad.shape) == tuple(theirs.grad.shape) == shape


@pytest.mark.parametrize("dtype,bounds", [("uint8", (None, 256)), ("uint8", (-256, None)), ("int8", (-129, 0)),
                                          ("int32", (0, 2**31))])
def test_clamp_bound_out_of_the_integer_range_raises_as_torch(backend, dtype, bounds):
    values = INTS.astype(dtype)
    with pytest.raises(RuntimeError, match="overflow"):
        torch.tensor(values).clamp(*bounds)
    with pytest.raises(RuntimeError, match=f"clamp: .*{dtype}.* overflow"):
        make(backend, values).clamp(*bounds)


def test_bincount_of_float16_weights_is_float64_as_torch(backend):
    if backend.name == "array_api_strict":
        pytest.skip("array_api_strict has no float16")
    weights = np.array([0.5, 1.5, 2.0, 1.0, 3.0, 0.25], dtype=np.float16)
    out = anynn.bincount(make(backend, INTS.reshape(-1)), make(backend, weights))
    ref = torch.bincount(torch.tensor(INTS.reshape(-1)), torch.tensor(weights))
    assert anynn.backend.dtype_name(out.dtype) == "float64" == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_bincount_of_floats_or_bools_is_refused_as_torch():
    """PyTorch's dispatch refuses the dtype first: NotImplementedError '"bincount_cpu" not implemented for 'Float''
    (anynn raised a plain RuntimeError)."""
    for values in (np.array([1.0, 0.0], np.float32), np.array([[1.0, 0.0]]), np.array([True, False])):
        with pytest.raises(NotImplementedError, match="bincount_cpu"):
            torch.bincount(torch.tensor(values))
        with pytest.raises(NotImplementedError, match="^bincount: \"bincount_cpu\" not implemented for"):
            anynn.bincount(anynn.tensor(values))


def test_diff_of_order_zero_is_a_copy_and_negative_orders_raise(backend):
    x = make(backend, X, requires_grad=True)
    out = anynn.diff(x, n=0, append=x)
    assert out is not x and tuple(out.shape) == X.shape
    (out * 2.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full(X.shape, 2.0))
    with pytest.raises(RuntimeError, match="diff: the order n must be non-negative, got -1"):
        anynn.diff(x, n=-1)


def test_nextafter_dtypes_refusals_and_in_place_as_torch(backend):
    pairs = [(np.array([1.0, 0.0, -2.0], np.float32), np.array([2.0, -1.0, -2.0], np.float32)),
             (np.array([1.0, 0.0]), np.array([2.0, -1.0])), (np.array([1.0, 0.0], np.float32), np.array(3.0)),
             # an integer or boolean operand beside a floating one is promoted, as PyTorch (anynn refused it)
             (np.array([1.0, 0.0], np.float32), np.array([2, -1])), (np.array([True, False]), np.array([0.5, -1.0])),
             (np.array(1.0), np.array([0, 2], np.uint8))]
    for a, b in pairs:
        ours = anynn.nextafter(make(backend, a), make(backend, b))
        theirs = torch.nextafter(torch.tensor(a), torch.tensor(b))
        assert anynn.backend.dtype_name(ours.dtype) == str(theirs.dtype).removeprefix("torch.")
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    x = make(backend, np.array([1.0, 2.0], np.float32))
    assert x.nextafter_(make(backend, np.array([2.0, 0.0], np.float32))) is x
    np.testing.assert_array_equal(x.numpy(), np.nextafter(np.float32([1.0, 2.0]), np.float32([2.0, 0.0])))
    with pytest.raises(RuntimeError):
        torch.nextafter(torch.tensor([1]), torch.tensor([2]))
    with pytest.raises(RuntimeError, match="nextafter: not implemented for int64"):
        anynn.nextafter(make(backend, np.array([1])), make(backend, np.array([2])))
    with pytest.raises(TypeError, match="must be Tensor, not float"):
        anynn.nextafter(make(backend, np.array([1.0])), 2.0)
    a, b = make(backend, X[0], requires_grad=True), make(backend, Y[0], requires_grad=True)
    assert gradgrad_check(lambda u, v: anynn.nextafter(u, v) * u, a, b)


def test_floor_divide_and_div_rounding_modes(backend):
    x, y = make(backend, X * 5, requires_grad=True), make(backend, Y)
    tx, ty = torch.tensor(X * 5), torch.tensor(Y)
    for mode in ("floor", "trunc", None):
        np.testing.assert_allclose(anynn.div(x, y, rounding_mode=mode).numpy(),
                                   torch.div(tx, ty, rounding_mode=mode).numpy(), rtol=1e-12)
    np.testing.assert_array_equal((x // y).numpy(), (tx // ty).numpy())
    np.testing.assert_allclose((2.5 % y).numpy(), (2.5 % ty).numpy(), rtol=1e-12)  # (torch: no gradient here)
    np.testing.assert_array_equal((7 // y).numpy(), (7 // ty).numpy())
    assert not (x // y).requires_grad  # PyTorch's floor_divide has no gradient either


@pytest.mark.parametrize("mode", ["floor", "trunc"])
def test_div_with_a_rounding_mode_has_a_zero_gradient_as_torch(backend, mode):
    """PyTorch's rounded quotient requires grad and gives zeros to both operands; anynn's required none, so
    ``div(x, 2, rounding_mode="floor").sum().backward()`` raised. The values stay the rounded ones."""
    x, y = make(backend, X * 5 + 0.25, requires_grad=True), make(backend, Y, requires_grad=True)
    tx, ty = torch.tensor(X * 5 + 0.25, requires_grad=True), torch.tensor(Y, requires_grad=True)
    ours, theirs = anynn.div(x, y, rounding_mode=mode), torch.div(tx, ty, rounding_mode=mode)
    assert ours.requires_grad and theirs.requires_grad
    (ours.sum() + x.div(2.0, rounding_mode=mode).sum()).backward()
    (theirs.sum() + tx.div(2.0, rounding_mode=mode).sum()).backward()
    np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy())
    for got, expected in ((x.grad, tx.grad), (y.grad, ty.grad)):
        np.testing.assert_array_equal(got.numpy(), expected.numpy())
    check_gradients(backend, lambda u, v: anynn.div(u, v, rounding_mode=mode) * u, X * 5 + 0.25, Y)
    assert gradgrad_check(lambda u, v: anynn.div(u, v, rounding_mode=mode) * u * u, make(backend, X * 5 + 0.25, True),
                          make(backend, Y, True))


# (id, anynn call, torch call); inputs are built from the same NumPy arrays
INTS = np.array([[3, 1, 3], [0, 2, 1]])
ROWS = np.array([[1, 0, 2], [0, 5, 1], [1, 0, 2], [0, 5, 0], [1, 0, 2]])  # repeated rows, ties in column 0
SORTED = np.array([0.5, 1.0, 1.0, 2.5, 4.0])
QUERY = np.array([[1.0, 0.1], [4.0, 3.0]])
VALUE_QUERIES = [
    # the upper triangle (NotImplementedError before), UPLO in either case (symmetric: JAX's eigh symmetrizes)
    ("eigvalsh_upper", lambda t: anynn.linalg.eigvalsh(t(SQUARE + SQUARE.mT), UPLO="u"),
     lambda t: torch.linalg.eigvalsh(t(SQUARE + SQUARE.mT), UPLO="u")),
    ("unique", lambda t: anynn.unique(t(INTS)), lambda t: torch.unique(t(INTS))),
    ("unique_inverse_counts", lambda t: anynn.unique(t(INTS), return_inverse=True, return_counts=True),
     lambda t: torch.unique(t(INTS), return_inverse=True, return_counts=True)),
    ("unique_floats_method", lambda t: t(QUERY).unique(return_counts=True),
     lambda t: t(QUERY).unique(return_counts=True)),
    # each NaN is an entry of its own: the inverse gave every NaN the first NaN's slot (and on the torch backend the
    # search through NaNs misplaced the numbers)
    ("unique_nan_inverse", lambda t: anynn.unique(t(np.array([np.nan, 1.0, np.nan, 0.5, np.inf, 1.0])),
                                                  return_inverse=True, return_counts=True),
     lambda t: torch.unique(t(np.array([np.nan, 1.0, np.nan, 0.5, np.inf, 1.0])), return_inverse=True,
                            return_counts=True)),
    # unique slices along a dim, lexicographic (was NotImplementedError)
    ("unique_dim_rows", lambda t: anynn.unique(t(ROWS), dim=0, return_inverse=True, return_counts=True),
     lambda t: torch.unique(t(ROWS), dim=0, return_inverse=True, return_counts=True)),
    ("unique_dim_columns_method", lambda t: t(ROWS.T > 0).unique(dim=-1, return_counts=True),
     lambda t: t(ROWS.T > 0).unique(dim=-1, return_counts=True)),
    ("unique_dim_batch_floats", lambda t: anynn.unique(t(np.stack([ROWS, ROWS[::-1]]) * 0.5), dim=1),
     lambda t: torch.unique(t(np.stack([ROWS, ROWS[::-1]]) * 0.5), dim=1)),
    ("nonzero", lambda t: anynn.nonzero(t(INTS)), lambda t: torch.nonzero(t(INTS))),
    ("nonzero_tuple", lambda t: t(INTS).nonzero(as_tuple=True), lambda t: t(INTS).nonzero(as_tuple=True)),
    ("argwhere", lambda t: anynn.argwhere(t(X) > 0), lambda t: torch.argwhere(t(X) > 0)),
    ("where_one_argument", lambda t: anynn.where(t(X) > 0), lambda t: torch.where(t(X) > 0)),
    # 0-d inputs: (1, 0) indices for a nonzero value, (0, 0) for zero (the reshape failed; where refused)
    ("nonzero_zero_dim", lambda t: anynn.nonzero(t(np.array(2.5))), lambda t: torch.nonzero(t(np.array(2.5)))),
    ("argwhere_zero_dim_zero", lambda t: t(np.array(0)).argwhere(), lambda t: t(np.array(0)).argwhere()),
    ("nonzero_zero_dim_tuple", lambda t: t(np.array(-1)).nonzero(as_tuple=True),
     lambda t: t(np.array(-1)).nonzero(as_tuple=True)),
    ("where_zero_dim", lambda t: anynn.where(t(np.array(True))), lambda t: torch.where(t(np.array(True)))),
    ("count_nonzero", lambda t: anynn.count_nonzero(t(INTS), dim=1), lambda t: torch.count_nonzero(t(INTS), dim=1)),
    ("bincount", lambda t: anynn.bincount(t(INTS[0])), lambda t: torch.bincount(t(INTS[0]))),
    ("bincount_weights", lambda t: t(INTS[1]).bincount(t(X[0, :3]), minlength=5),
     lambda t: t(INTS[1]).bincount(t(X[0, :3]), minlength=5)),
    ("searchsorted", lambda t: anynn.searchsorted(t(SORTED), t(QUERY)),
     lambda t: torch.searchsorted(t(SORTED), t(QUERY))),
    ("searchsorted_right", lambda t: anynn.searchsorted(t(SORTED), t(QUERY), right=True),
     lambda t: torch.searchsorted(t(SORTED), t(QUERY), right=True)),
    ("searchsorted_batched", lambda t: anynn.searchsorted(t(np.sort(MAT, 1)), t(MAT[:, :2]), side="right"),
     lambda t: torch.searchsorted(t(np.sort(MAT, 1)), t(MAT[:, :2]), side="right")),
    ("bucketize", lambda t: anynn.bucketize(t(QUERY), t(SORTED)), lambda t: torch.bucketize(t(QUERY), t(SORTED))),
    # integer boundaries against a float number or tensor compare as floats (0.5 was cast to 0; array-api-strict
    # refused the pair)
    ("searchsorted_int_float_number", lambda t: anynn.searchsorted(t(INTS[0]), 1.5, right=True),
     lambda t: torch.searchsorted(t(INTS[0]), 1.5, right=True)),
    ("bucketize_float_number_int_boundaries", lambda t: anynn.bucketize(0.5, t(np.array([-2, 0, 0, 1, 3]))),
     lambda t: torch.bucketize(0.5, t(np.array([-2, 0, 0, 1, 3])))),
    ("searchsorted_int_float_tensor", lambda t: anynn.searchsorted(t(np.array([[0, 1, 3]])), t(QUERY[:1])),
     lambda t: torch.searchsorted(t(np.array([[0, 1, 3]])), t(QUERY[:1]))),
    ("bucketize_right_int32", lambda t: anynn.bucketize(t(QUERY), t(SORTED), right=True, out_int32=True),
     lambda t: torch.bucketize(t(QUERY), t(SORTED), right=True, out_int32=True)),
    ("isclose", lambda t: anynn.isclose(t(np.array([1.0, np.inf, np.nan, 2.0])), t(np.array([1.0 + 1e-9, 1e300,
                                                                                               np.nan, np.inf]))),
     lambda t: torch.isclose(t(np.array([1.0, np.inf, np.nan, 2.0])), t(np.array([1.0 + 1e-9, 1e300, np.nan,
                                                                                  np.inf])))),
    ("isclose_equal_nan", lambda t: t(np.array([np.nan, 1.0])).isclose(t(np.array([np.nan, 1.1])), equal_nan=True),
     lambda t: t(np.array([np.nan, 1.0])).isclose(t(np.array([np.nan, 1.1])), equal_nan=True)),
    ("logical_xor", lambda t: anynn.logical_xor(t(INTS), t(X[:2, :3]) > 0),
     lambda t: torch.logical_xor(t(INTS), t(X[:2, :3]) > 0)),
    ("logical_and_function", lambda t: anynn.logical_and(t(X) > 0, t(Y) > 0),
     lambda t: torch.logical_and(t(X) > 0, t(Y) > 0)),
    # any dtype counts as its truth value (nonzero), as PyTorch's (array-api-strict refused non-booleans)
    ("logical_or_numbers", lambda t: anynn.logical_or(t(INTS), t(X[:2, :3] * (INTS > 1))),
     lambda t: torch.logical_or(t(INTS), t(X[:2, :3] * (INTS > 1)))),
    ("logical_and_method_uint8", lambda t: t(INTS.astype(np.uint8)).logical_and(t(np.array([0.0, 2.0, -1.0]))),
     lambda t: t(INTS.astype(np.uint8)).logical_and(t(np.array([0.0, 2.0, -1.0])))),
    ("logical_not_ints", lambda t: t(INTS - 1).logical_not(), lambda t: t(INTS - 1).logical_not()),
    # booleans: square and clamp to integer bounds give int64; uint8 bounds wrap -255..-1 (clip refused or kept)
    ("square_bool", lambda t: anynn.square(t(INTS > 1)), lambda t: torch.square(t(INTS > 1))),
    ("clamp_bool_int_bounds", lambda t: t(INTS > 1).clamp(min=0, max=2), lambda t: t(INTS > 1).clamp(min=0, max=2)),
    ("clamp_min_bool", lambda t: anynn.clamp_min(t(INTS > 1), 2), lambda t: torch.clamp_min(t(INTS > 1), 2)),
    ("clamp_max_bool", lambda t: t(INTS > 1).clamp_max(0), lambda t: t(INTS > 1).clamp_max(0)),
    ("clamp_bool_float_bound", lambda t: t(INTS > 1).clamp(max=0.5), lambda t: t(INTS > 1).clamp(max=0.5)),
    ("clip_uint8_negative_min", lambda t: t(INTS.astype(np.uint8) * 90).clip(min=-1),
     lambda t: t(INTS.astype(np.uint8) * 90).clip(min=-1)),
    ("clamp_uint8_negative_max", lambda t: anynn.clamp(t(INTS.astype(np.uint8)), -250, -253),
     lambda t: torch.clamp(t(INTS.astype(np.uint8)), -250, -253)),
    ("clamp_max_int8", lambda t: t(INTS.astype(np.int8)).clamp_max(-128),
     lambda t: t(INTS.astype(np.int8)).clamp_max(-128)),
    # 0-d input and mask select one element (the 0-d boolean index was refused)
    ("masked_select_zero_dim", lambda t: t(np.array(2.5)).masked_select(t(np.array(True))),
     lambda t: t(np.array(2.5)).masked_select(t(np.array(True)))),
    ("masked_select_zero_dim_false", lambda t: anynn.masked_select(t(np.array(2.5)), t(np.array(False))),
     lambda t: torch.masked_select(t(np.array(2.5)), t(np.array(False)))),
    # PyTorch's median of an empty integer tensor: its NaN converted to the dtype (was IndexError)
    *[(f"median_empty_{dtype}", lambda t, d=dtype: anynn.median(t(np.zeros(0, dtype=d))),
       lambda t, d=dtype: torch.median(t(np.zeros(0, dtype=d)))) for dtype in ("int64", "int32", "int8", "uint8",
                                                                                 "bool")],
    # n=0: the input as it is, prepend and append left out (they were joined)
    ("diff_n0_prepend", lambda t: anynn.diff(t(X), n=0, prepend=t(X[:, :1])),
     lambda t: torch.diff(t(X), n=0, prepend=t(X[:, :1]))),
    ("diff_n0_append_method", lambda t: t(INTS).diff(n=0, dim=0, append=t(INTS)),
     lambda t: t(INTS).diff(n=0, dim=0, append=t(INTS))),
    # booleans: PyTorch's difference is the exclusive or (NumPy refused to subtract booleans)
    ("diff_bool_n2_prepend", lambda t: anynn.diff(t(INTS > 1), n=2, prepend=t(INTS[:, :1] > 0)),
     lambda t: torch.diff(t(INTS > 1), n=2, prepend=t(INTS[:, :1] > 0))),
    # nothing counted is int64 even with weights; float16 weights sum in float64 (they stayed float16)
    ("bincount_empty", lambda t: anynn.bincount(t(INTS[0, :0])), lambda t: torch.bincount(t(INTS[0, :0]))),
    ("bincount_empty_weights", lambda t: t(INTS[0, :0]).bincount(t(X[0, :0]), minlength=3),
     lambda t: t(INTS[0, :0]).bincount(t(X[0, :0]), minlength=3)),
    ("bincount_float32_weights", lambda t: anynn.bincount(t(INTS[0]), t(X[0, :3].astype(np.float32))),
     lambda t: torch.bincount(t(INTS[0]), t(X[0, :3].astype(np.float32)))),
    ("bincount_bool_weights", lambda t: anynn.bincount(t(INTS[0]), t(INTS[1] > 0)),
     lambda t: torch.bincount(t(INTS[0]), t(INTS[1] > 0))),
    ("median_indices", lambda t: anynn.median(t(X), 1).indices, lambda t: torch.median(t(X), 1).indices),
    ("repeat_interleave_counts", lambda t: anynn.repeat_interleave(t(np.array([2, 0, 3]))),
     lambda t: torch.repeat_interleave(t(np.array([2, 0, 3])))),
    ("repeat_interleave_tensor", lambda t: t(X).repeat_interleave(t(np.array([1, 0, 2])), dim=0),
     lambda t: t(X).repeat_interleave(t(np.array([1, 0, 2])), dim=0)),
    ("repeat_interleave_empty_dim", lambda t: t(X[:, :0]).repeat_interleave(t(np.zeros(0, dtype=np.int64)), dim=1),
     lambda t: t(X[:, :0]).repeat_interleave(t(np.zeros(0, dtype=np.int64)), dim=1)),
]


@pytest.mark.parametrize("name, ours, theirs", VALUE_QUERIES, ids=[c[0] for c in VALUE_QUERIES])
def test_value_queries_match_torch(backend, name, ours, theirs):
    out = ours(lambda a: make(backend, a))
    ref = theirs(lambda a: torch.tensor(a))
    outs, refs = (out, ref) if isinstance(ref, tuple) else ((out,), (ref,))
    assert len(outs) == len(refs)
    for o, r in zip(outs, refs):
        assert anynn.backend.dtype_name(o.dtype) == str(r.dtype).removeprefix("torch."), name
        np.testing.assert_allclose(o.numpy(), r.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape, dim", [((0, 1, 4), 0), ((2, 0), 1), ((2, 0), -1), ((3, 2), 1)], ids=str)
def test_unbind_of_an_empty_dim_gives_no_slices_as_torch(backend, shape, dim):
    # an empty dim gave one empty slice (split's piece) where PyTorch gives none
    values = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    ours, theirs = anynn.unbind(make(backend, values), dim), torch.unbind(torch.tensor(values), dim)
    assert len(ours) == len(theirs) == len(make(backend, values).unbind(dim))
    for o, t in zip(ours, theirs):
        np.testing.assert_array_equal(o.numpy(), t.numpy())


def test_allclose_and_equal(backend):
    a, b = make(backend, X), make(backend, X + 1e-9)
    assert anynn.allclose(a, b) is True and a.allclose(b)
    assert not anynn.allclose(a, b + 1e-3)
    assert anynn.equal(a, make(backend, X.copy())) is True
    assert not anynn.equal(a, b) and not anynn.equal(a, make(backend, X[:2]))
    # two dtypes compare after PyTorch's promotion (array_api_strict refused float64 == int64)
    assert anynn.equal(make(backend, X.round()), make(backend, X.round().astype(np.int64))) is True


def test_unflatten_and_movedim_errors():
    x = anynn.zeros(2, 6)
    with pytest.raises(RuntimeError, match="unflatten"):
        x.unflatten(1, (4, -1))
    with pytest.raises(RuntimeError, match="movedim"):
        anynn.movedim(x, (0, 0), (1, 0))
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order 3 not supported"):
        anynn.linalg.matrix_norm(x, 3)
    with pytest.raises(RuntimeError, match="linalg.matrix_norm: Order 3 not supported"):
        torch.linalg.matrix_norm(torch.zeros(2, 6), 3)
    for t in (x, torch.zeros(2, 6)):  # a string order names a matrix norm: two dims (pruning with n='nuc')
        with pytest.raises(RuntimeError, match="linalg.matrix_norm: dim must be a 2-tuple. Got 1"):
            t.norm("nuc", dim=1)


@pytest.mark.parametrize("shape", [(1, 3), (0, 3), (4, 0)])
def test_pdist_of_few_rows_and_its_refusals_as_torch(backend, shape):
    """One row or none: no pairs; rows of no features: zero distances; 3-D, integer input and p < 0 refused."""
    ours, theirs = anynn.pdist(make(backend, np.zeros(shape))), torch.pdist(torch.zeros(shape, dtype=torch.float64))
    assert tuple(ours.shape) == tuple(theirs.shape) and ours.numpy().tolist() == theirs.tolist()
    for bad, fragment in ((np.zeros((2, 3, 4)), "2-D"), (np.arange(6).reshape(3, 2), "floating")):
        with pytest.raises(RuntimeError, match=f"pdist: expected .*{fragment}"):
            anynn.pdist(make(backend, bad))
        with pytest.raises(RuntimeError, match="pdist only supports"):
            torch.pdist(torch.tensor(bad))
    with pytest.raises(RuntimeError, match="pdist: p must be non-negative, got -1"):
        anynn.pdist(make(backend, X), p=-1)



def test_tensor_unfold_edges_and_errors_as_torch(backend):
    """Tensor.unfold's edge cases as PyTorch: a 0-d tensor, an empty dim of windows, integers, and its errors."""
    ints = anynn.arange(7, backend=backend)
    assert ints.unfold(0, 3, 2).numpy().tolist() == torch.arange(7).unfold(0, 3, 2).tolist()
    assert ints.unfold(0, 3, 2).dtype == ints.dtype
    assert anynn.tensor(1.5, backend=backend).unfold(0, 1, 1).numpy().tolist() == [1.5]
    assert tuple(anynn.zeros(2, 3, backend=backend).unfold(1, 3, 5).shape) == (2, 1, 3)
    with pytest.raises(RuntimeError, match="maximum size for tensor at dimension 0 is 7 but size is 8"):
        ints.unfold(0, 8, 1)
    with pytest.raises(RuntimeError, match="step is 0 but must be > 0"):
        ints.unfold(0, 2, 0)
    with pytest.raises(IndexError, match="unfold: dim 1 is out of range"):
        ints.unfold(1, 2, 1)

def test_floating_point_function_gradient_at_zero_of_prod_has_no_nan(backend):
    x = make(backend, np.array([[0.0, 0.0, 2.0], [1.0, 3.0, 0.0]]), requires_grad=True)
    anynn.cumprod(x, 1).sum().backward()
    assert np.isfinite(x.grad.numpy()).all()


# -- factories -----------------------------------------------------------------------------------------
def test_factories_take_torch_forms(backend):
    e = anynn.empty(2, 3, backend=backend, dtype=anynn.float64)
    assert tuple(e.shape) == (2, 3) and e.dtype == anynn.float64
    assert anynn.empty_like(e).shape == e.shape
    t = anynn.tensor([1.0, 2.0], backend=backend, device=anynn.device(e.device), requires_grad=True)
    assert t.requires_grad and t.dtype == anynn.float32 and t.backend == e.backend
    np.testing.assert_allclose(anynn.logspace(-1, 2, 5, backend=backend).numpy(), torch.logspace(-1, 2, 5).numpy(),
                               rtol=1e-6)
    np.testing.assert_allclose(anynn.logspace(0, 3, 4, base=2.0, backend=backend).numpy(), [1, 2, 4, 8])
    assert anynn.is_tensor(e) and not anynn.is_tensor(np.zeros(2))
    assert anynn.get_default_dtype() == anynn.float32 == torch.get_default_dtype()


def test_as_tensor_shares_like_torch(backend):
    x = make(backend, X)
    assert anynn.as_tensor(x) is x
    assert anynn.as_tensor(x, dtype=anynn.float32).dtype == anynn.float32
    host = np.arange(4.0)
    shared = anynn.as_tensor(host)  # NumPy is the default backend: memory is shared, as torch.as_tensor does
    host[0] = 9.0
    assert shared.numpy()[0] == 9.0
    assert anynn.as_tensor([1, 2]).dtype == anynn.int64


def test_random_factories_are_seeded_and_backend_independent(backend):
    g = anynn.Generator().manual_seed(7)
    a = anynn.normal(2.0, 3.0, (2000,), generator=g, backend=backend, dtype="float64")
    b = anynn.normal(2.0, 3.0, (2000,), generator=anynn.Generator().manual_seed(7), dtype="float64")
    np.testing.assert_array_equal(a.numpy(), b.numpy())  # same seed, same values on every backend
    assert abs(a.numpy().mean() - 2.0) < 0.3 and abs(a.numpy().std() - 3.0) < 0.3
    mean = make(backend, np.array([0.0, 100.0]), requires_grad=True)
    draws = anynn.normal(mean, 0.01)
    # as PyTorch's NormalBackward: the draw requires grad, and the mean's gradient is zeros
    assert draws.requires_grad and np.allclose(draws.numpy(), [0, 100], atol=0.1)
    p = make(backend, np.array([0.0, 1.0, 0.5] * 200))
    sample = anynn.bernoulli(p, generator=anynn.Generator(seed=1))
    assert sample.dtype == p.dtype
    values = sample.numpy().reshape(200, 3)
    assert (values[:, 0] == 0).all() and (values[:, 1] == 1).all() and 60 < values[:, 2].sum() < 140
    ints = anynn.randint_like(p, 3, 6, generator=1)
    assert ints.shape == p.shape and 3 <= ints.numpy().min() and ints.numpy().max() < 6


def test_generator_and_manual_seed_as_torch():
    g = anynn.manual_seed(5)
    assert isinstance(g, anynn.Generator) and g.initial_seed() == 5
    first = anynn.randn(3)
    anynn.manual_seed(5)
    np.testing.assert_array_equal(anynn.randn(3).numpy(), first.numpy())
    gen = anynn.Generator()
    state = gen.manual_seed(11).get_state()
    x = anynn.rand(4, generator=gen)
    gen.set_state(state)
    np.testing.assert_array_equal(anynn.rand(4, generator=gen).numpy(), x.numpy())
    parts = anynn.utils.data.random_split(range(10), [7, 3], generator=anynn.Generator().manual_seed(0))
    again = anynn.utils.data.random_split(range(10), [7, 3], generator=anynn.Generator().manual_seed(0))
    assert [list(p) for p in parts] == [list(p) for p in again]
    loader = anynn.utils.data.DataLoader(list(range(8)), batch_size=4, shuffle=True,
                                         generator=anynn.Generator().manual_seed(3))
    assert sorted(int(v) for batch in loader for v in batch.numpy()) == list(range(8))



def test_generator_device_compares_with_tensor_devices_as_torch(backend):
    """``Generator().device`` is a device, equal to a CPU tensor's as in PyTorch (optimizers compare the two to
    decide whether to make a new generator: AdaHessian re-seeds its own when they differ)."""
    x, xt = anynn.zeros(2, backend=backend), torch.zeros(2)
    assert anynn.Generator().device == anynn.device("cpu") and torch.Generator().device == torch.device("cpu")
    assert repr(anynn.Generator("cpu").device) == repr(torch.Generator("cpu").device)
    assert (anynn.Generator().device != x.device) == (torch.Generator().device != xt.device) or x.device.type != "cpu"


def test_default_dtype_and_print_options():
    anynn.set_default_dtype(anynn.float64)
    assert anynn.get_default_dtype() == anynn.float64
    anynn.set_default_dtype(anynn.float32)
    with pytest.raises(TypeError, match="only floating-point types"):
        anynn.set_default_dtype(anynn.int64)
    before = np.get_printoptions()
    try:
        anynn.set_printoptions(precision=2)
        assert "1.23" in repr(anynn.tensor([1.23456])) and "1.2346" not in repr(anynn.tensor([1.23456]))
        anynn.set_printoptions(profile="default")
        assert "1.2346" in repr(anynn.tensor([1.23456]))
    finally:
        np.set_printoptions(**before)
