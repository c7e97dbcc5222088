"""PyTorch functions made of existing operations (anynn/functional/composite_math.py: ravel, broadcast_tensors,
positive, mv, inner, deg2rad/rad2deg, fliplr/flipud, logit, isin, dist; composite_more.py: rot90, select, diagflat,
h/v/dsplit, msort, addmv/addr/addbmm, fmax/fmin, copysign, heaviside, float_power, logaddexp2, signbit, ldexp,
gcd/lcm, tril_indices/triu_indices, unravel_index); functions and Tensor methods against PyTorch on every backend,
values, dtypes and float64 gradients, with a gradient check, and PyTorch's refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.testing import gradgrad_check

from tests.helpers import check_gradients, compare_with_torch, make

RNG = np.random.default_rng(23)
X = RNG.standard_normal((3, 4))
BATCH = RNG.standard_normal((2, 3, 4))
VEC = RNG.standard_normal(4)
UNIT = RNG.uniform(0.05, 0.95, (3, 4))
OTHER = RNG.standard_normal((3, 4))
CUBE = RNG.standard_normal((2, 3, 4))
MISSING = np.where(np.isin(np.arange(12).reshape(3, 4), [1, 4, 7, 11]), np.nan, OTHER)

# (name, call on (module, *tensors), inputs): every input requires grad
DIFFERENTIABLE = [
    ("ravel", lambda m, x: m.ravel(x.mT), (BATCH,)),
    ("method_ravel", lambda m, x: x.ravel() * 2, (X,)),
    ("broadcast_tensors", lambda m, a, b: m.stack(m.broadcast_tensors(a, b)) * 1.5, (X[:, :1], VEC)),
    ("broadcast_tensors_three", lambda m, a, b, c: sum(t * (i + 1) for i, t in enumerate(m.broadcast_tensors(a, b, c))),
     (BATCH, X[0], VEC[:1])),
    ("positive", lambda m, x: m.positive(x) * x, (X,)),
    ("mv", lambda m, a, v: m.mv(a, v), (X, VEC)),
    ("method_mv", lambda m, a, v: a.mv(v), (X, VEC)),
    ("inner_vectors", lambda m, a, b: m.inner(a, b), (VEC, VEC[::-1].copy())),
    ("inner_batches", lambda m, a, b: m.inner(a, b), (BATCH, X)),
    ("method_inner_zero_dim", lambda m, a, b: a.inner(b), (X, np.array(1.5))),
    ("deg2rad", lambda m, x: m.deg2rad(x * 90), (X,)),
    ("method_rad2deg", lambda m, x: x.rad2deg(), (X,)),
    ("fliplr", lambda m, x: m.fliplr(x), (BATCH,)),
    ("method_flipud", lambda m, x: x.flipud(), (X,)),
    ("logit", lambda m, x: m.logit(x), (UNIT,)),
    ("method_logit_eps", lambda m, x: x.logit(0.2), (UNIT,)),
    ("dist", lambda m, a, b: m.dist(a, b), (X, X[::-1].copy())),
    ("dist_broadcast_p3", lambda m, a, b: m.dist(a, b, 3), (BATCH, VEC)),
    ("method_dist_p1", lambda m, a, b: a.dist(b, p=1), (X, VEC)),
    ("dist_inf", lambda m, a, b: m.dist(a, b, float("inf")), (X, X[::-1].copy())),
    ("rot90", lambda m, x: m.rot90(x), (X,)),
    ("rot90_minus_one_dims", lambda m, x: m.rot90(x, -1, (2, 0)), (BATCH,)),
    ("method_rot90_two", lambda m, x: x.rot90(2, [1, 2]), (BATCH,)),
    ("rot90_zero", lambda m, x: m.rot90(x, 4) * 2, (X,)),
    ("select", lambda m, x: m.select(x, 1, 2), (BATCH,)),
    ("method_select_negative", lambda m, x: x.select(-1, -3), (BATCH,)),
    ("diagflat", lambda m, x: m.diagflat(x), (X,)),
    ("method_diagflat_offset", lambda m, x: x.diagflat(-2), (VEC,)),
    ("hsplit", lambda m, x: m.cat([p * (i + 1) for i, p in enumerate(m.hsplit(x, 2))], 1), (X,)),
    ("hsplit_vector", lambda m, x: m.cat([p * (i + 1) for i, p in enumerate(m.hsplit(x, [1, 3]))]), (VEC,)),
    ("method_vsplit", lambda m, x: m.cat([p * (i + 1) for i, p in enumerate(x.vsplit([1]))]), (X,)),
    ("dsplit", lambda m, x: m.cat([p * (i + 1) for i, p in enumerate(m.dsplit(x, 4))], 2), (CUBE,)),
    ("msort", lambda m, x: m.msort(x), (BATCH,)),
    ("method_msort", lambda m, x: x.msort(), (X,)),
    ("nanmedian", lambda m, x: m.nanmedian(x), (MISSING,)),
    ("nanmedian_dim", lambda m, x: m.nanmedian(x, 1).values, (MISSING,)),
    ("method_nanmedian_keepdim", lambda m, x: x.nanmedian(0, keepdim=True).values, (MISSING,)),
    ("nanmedian_without_nans", lambda m, x: m.nanmedian(x, -1)[0], (BATCH,)),
    ("addmv", lambda m, c, a, v: m.addmv(c, a, v, beta=0.5, alpha=2.0), (VEC[:3], X, VEC)),
    ("method_addmv_broadcast", lambda m, c, a, v: c.addmv(a, v), (VEC[:1], X, VEC)),
    ("addr", lambda m, c, a, b: m.addr(c, a, b, alpha=-1.5), (X, VEC[:3], VEC)),
    ("method_addr_beta", lambda m, c, a, b: c.addr(a, b, beta=3.0), (VEC, VEC[:3], VEC)),
    ("addbmm", lambda m, c, a, b: m.addbmm(c, a, b, beta=0.5), (X[:, :3], BATCH, CUBE.mT.copy())),
    # beta = 0 ignores input, which stays on the graph with a zero gradient (its .grad was None)
    ("addmm_beta0", lambda m, c, a, b: m.addmm(c, a, b, beta=0), (X[:, :3], X, X.T.copy())),
    ("baddbmm_beta0_alpha", lambda m, c, a, b: m.baddbmm(c, a, b, beta=0, alpha=2.0),
     (BATCH[:, :, :3], BATCH, BATCH.mT.copy())),
    ("addmv_beta0", lambda m, c, a, v: m.addmv(c, a, v, beta=0), (VEC[:3], X, VEC)),
    ("method_addmv_inplace", lambda m, c, a, v: (c * 1.0).addmv_(a, v, alpha=0.5), (VEC[:3], X, VEC)),
    ("fmax", lambda m, a, b: m.fmax(a, b), (X, OTHER)),
    ("method_fmin_broadcast", lambda m, a, b: a.fmin(b), (X, VEC)),
    ("copysign", lambda m, x: m.copysign(x, x.flip(0).detach()), (X,)),
    ("method_copysign_number", lambda m, x: x.copysign(-2.0), (X,)),
    # b reaches the result through the zero-gradient node copysign_other (None before: grad() of b raised)
    ("copysign_other_gets_zeros", lambda m, a, b: m.copysign(a, b), (X, VEC)),
    ("copysign_inplace", lambda m, x: (x * 2.0).copysign_(x.flip(1).detach()), (X,)),
    ("float_power", lambda m, x: m.float_power(x, 3), (X,)),
    ("method_float_power_tensor", lambda m, a, b: a.float_power(b), (UNIT, X)),
    ("float_power_number_base", lambda m, x: m.float_power(2.5, x), (X,)),
    ("logaddexp2", lambda m, a, b: m.logaddexp2(a, b), (X, VEC)),
    ("method_logaddexp2", lambda m, a, b: a.logaddexp2(b * 40), (X, OTHER)),
    ("ldexp", lambda m, a, b: m.ldexp(a, b), (X, OTHER)),
    ("method_ldexp_inplace", lambda m, a, b: (a * 1.0).ldexp_(b), (X, VEC)),
]


@pytest.mark.parametrize("name, call, inputs", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_matches_torch_with_gradients(backend, name, call, inputs):
    compare_with_torch(backend, lambda *a: call(anynn, *a), lambda *t: call(torch, *t), *inputs,
                       rtol=1e-10, atol=1e-12)
    check_gradients(backend, lambda *a: call(anynn, *a), *inputs)


SECOND_ORDER = ["rot90_minus_one_dims", "select", "diagflat", "dsplit", "msort", "nanmedian_dim", "addmv", "addr",
                "addbmm", "fmax", "copysign", "float_power", "method_float_power_tensor", "logaddexp2", "ldexp"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_order_gradients(backend, name):
    """The new composites' gradients are themselves differentiable (double backward through their operations)."""
    call, inputs = next((c, i) for n, c, i in DIFFERENTIABLE if n == name)
    assert gradgrad_check(lambda *a: call(anynn, *a), *(make(backend, a, requires_grad=True) for a in inputs))


INTS = np.array([[3, 1, 4], [1, 5, 9]])
NANS = np.array([1.0, np.nan, -0.0, 3.0, np.nan, -2.0, 0.0])
# (name, call on (module, tensor maker)): values and dtypes
QUERIES = [
    ("isin", lambda m, t: m.isin(t(INTS), t(np.array([1, 9, 7])))),
    ("isin_invert", lambda m, t: m.isin(t(INTS), t(np.array([1, 9])), invert=True)),
    ("isin_number", lambda m, t: m.isin(t(INTS), 4)),
    ("isin_number_first", lambda m, t: m.isin(5, t(INTS))),
    ("isin_floats", lambda m, t: m.isin(t(X), t(X[1]))),
    ("deg2rad_ints", lambda m, t: m.deg2rad(t(INTS * 30))),
    ("logit_ints", lambda m, t: t(INTS - 2).logit()),
    ("ravel_bool", lambda m, t: m.ravel(t(INTS > 2))),
    ("tril_indices", lambda m, t: m.tril_indices(4, 6, -1, device=t(INTS).device)),
    ("tril_indices_empty", lambda m, t: m.tril_indices(0, 3, device=t(INTS).device)),
    ("tril_indices_int32_wide_offset", lambda m, t: m.tril_indices(3, 5, 9, dtype=m.int32, device=t(INTS).device)),
    ("triu_indices", lambda m, t: m.triu_indices(5, 3, 1, device=t(INTS).device)),
    ("triu_indices_negative_offset", lambda m, t: m.triu_indices(5, 3, -2, device=t(INTS).device)),
    ("unravel_index", lambda m, t: m.stack(m.unravel_index(t(np.array([[0, 5], [23, -1]])), (2, 3, 4)))),
    ("unravel_index_int_shape", lambda m, t: m.stack(m.unravel_index(t(np.array([3, -7])), 10))),
    ("unravel_index_wraps_out_of_range", lambda m, t: m.stack(m.unravel_index(t(np.array([12, -13, 30])), (3, 4)))),
    ("msort_ints", lambda m, t: t(INTS).msort()),
    ("nanmedian_indices", lambda m, t: m.nanmedian(t(MISSING), 1).indices),
    ("nanmedian_indices_keepdim", lambda m, t: t(MISSING).nanmedian(0, True).indices),
    ("nanmedian_all_nan", lambda m, t: m.nanmedian(t(np.full((2, 3), np.nan)), 1).values),
    ("nanmedian_all_nan_flat", lambda m, t: m.nanmedian(t(np.full(3, np.nan)))),
    ("nanmedian_empty", lambda m, t: m.nanmedian(t(np.zeros(0)))),
    ("nanmedian_ints", lambda m, t: m.nanmedian(t(INTS), 1).values),
    ("nanmedian_zero_dim", lambda m, t: m.nanmedian(t(np.array(2.5)), 0).indices),
    ("rot90_ints", lambda m, t: m.rot90(t(INTS), 3)),
    ("fmax_nan", lambda m, t: m.fmax(t(NANS), t(NANS[::-1].copy()))),
    ("fmin_nan", lambda m, t: m.fmin(t(NANS), t(NANS[::-1].copy()))),
    ("fmax_ints_and_floats", lambda m, t: m.fmax(t(INTS), t(X[:2, :3]))),
    ("signbit", lambda m, t: m.signbit(t(NANS * -1.0))),
    ("method_signbit_zeros", lambda m, t: t(np.array([0.0, -0.0, -np.inf, np.inf])).signbit()),
    ("signbit_ints", lambda m, t: m.signbit(t(INTS - 3))),
    ("sign_nan_is_zero", lambda m, t: t(NANS).sgn()),
    ("uint8_fills_wrap_negative_values", lambda m, t: m.stack([  # (OverflowError from NumPy before)
        t(INTS).byte().fill_(-1), m.full_like(t(INTS).byte(), -2), t(INTS).byte().new_full((2, 3), -3),
        t(INTS).byte().index_fill(1, t(np.array([0, 2])), -4),
        m.full((2, 3), -5, dtype=m.uint8, device=t(INTS).device)])),
    ("copysign_ints", lambda m, t: m.copysign(t(INTS), t(INTS - 3))),
    ("copysign_negative_zero", lambda m, t: m.copysign(t(NANS), -0.0)),
    # a negative label_smoothing smooths nothing in PyTorch (anynn refused it)
    ("cross_entropy_negative_smoothing", lambda m, t: m.nn.functional.cross_entropy(t(X), t(np.array([0, 1, 2])),
                                                                                     label_smoothing=-0.1)),
    ("hardtanh_inplace_ints", lambda m, t: m.nn.functional.hardtanh_(t(INTS - 3), -0.5, 1.25)),  # strict, torch raised
    # a zero remainder takes the dividend's sign (NumPy's the divisor's: -2. % 2. gave 0.0, PyTorch -0.0)
    ("remainder_zero_sign", lambda m, t: m.signbit(m.remainder(t(NANS[[5, 5, 3, 2]]), t(np.array([2.0, -1, -3, 5]))))),
    # C's fmod of the smallest integer (|a| mod |b| wrapped: fmod(int8 -128, 3) was -1, C's is -2)
    ("fmod_int_min", lambda m, t: m.fmod(t(np.array([-128, -7, 7, 127], dtype=np.int8)), t(np.array([3, -3, 3, 70],
                                                                                              dtype=np.int8)))),
    ("copysign_float32_float64", lambda m, t: m.copysign(t(NANS.astype(np.float32)), t(NANS[::-1].copy()))),
    ("heaviside", lambda m, t: m.heaviside(t(NANS), t(np.array([0.5])))),
    ("method_heaviside_ints", lambda m, t: t(INTS - 3).heaviside(t(np.array([7])))),
    ("heaviside_inplace", lambda m, t: t(np.array([-2.0, 0.0, 3.0])).heaviside_(t(np.array([9.0, 8.0, 7.0])))),
    ("float_power_ints", lambda m, t: m.float_power(t(INTS), 2)),
    ("float_power_float32", lambda m, t: t(X.astype(np.float32)).float_power(t(INTS[:1, :1]))),
    ("float_power_complex_exponent", lambda m, t: m.float_power(t(UNIT), 1j)),
    ("float_power_inplace", lambda m, t: t(X).float_power_(t(INTS[:1, :1]))),
    ("ldexp_ints", lambda m, t: m.ldexp(t(INTS), t(INTS - 2))),
    ("logaddexp2_large", lambda m, t: m.logaddexp2(t(X * 1000), t(OTHER * 1000))),
    ("gcd", lambda m, t: m.gcd(t(np.array([-12, 0, 7, 18, 0, 270])), t(np.array([18, 5, 0, -12, 0, 192])))),
    ("method_lcm_broadcast", lambda m, t: t(np.array([[4], [-6], [0]])).lcm(t(np.array([6, 10, 7])))),
    ("gcd_int32_int64", lambda m, t: m.gcd(t(np.array([12, 9], dtype=np.int32)), t(np.array([8, 6])))),
    ("gcd_inplace", lambda m, t: t(np.array([12, 9, 0])).gcd_(t(np.array([8, 6, 0])))),
    ("lcm_inplace", lambda m, t: t(np.array([4, 9, 0])).lcm_(t(np.array([6, 6, 5])))),
    # integer products take alpha and beta truncated to the dtype (float32 came back, 1.5 * the product)
    ("addmm_ints_float_scales", lambda m, t: m.addmm(t(INTS[:, :2]), t(INTS[:, :2]), t(INTS[:, :2]), alpha=1.7,
                                                      beta=-0.5)),
    ("method_addmm_ints_float_alpha", lambda m, t: t(INTS[:, :2]).addmm(t(INTS[:, :2]), t(INTS[:, :2]), alpha=2.5)),
    ("addmv_ints_float_beta", lambda m, t: m.addmv(t(INTS[:, 0]), t(INTS), t(INTS[1]), beta=2.9)),
    ("addr_bools_scale_is_truth", lambda m, t: m.addr(t(INTS > 2), t(INTS[:, 0] > 1), t(INTS[1] > 1), alpha=2)),
    ("einsum_bools_nothing_summed", lambda m, t: m.einsum("ij,ij->ij", t(INTS > 2), t(INTS > 1))),
    # nothing summed: PyTorch multiplies, promoting (mamba-minimal: float64 deltas times float32 A; it was refused)
    ("einsum_two_dtypes_nothing_summed", lambda m, t: m.einsum("ij,jk->ijk", t(X), t(OTHER.T.astype(np.float32)))),
]


@pytest.mark.parametrize("name, call", QUERIES, ids=[c[0] for c in QUERIES])
def test_values_and_dtypes_as_torch(backend, name, call):
    out = call(anynn, lambda a: make(backend, a))
    ref = call(torch, torch.tensor)
    assert anynn.backend.dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, equal_nan=True)


REFUSALS = [
    lambda m, t: m.floor(t(INTS > 2)),  # rounding booleans / frac of integers (1/0 came back, round gave float16)
    lambda m, t: (t(INTS) > 2).round(),
    lambda m, t: t(INTS).frac(),
    lambda m, t: 1 - t(INTS > 2),  # subtraction with a bool tensor (1 - mask gave int64, NumPy's error for two)
    lambda m, t: t(X).sub(t(X > 0), alpha=2),
    lambda m, t: m.broadcast_tensors(t(X), t(VEC[:3])),
    lambda m, t: m.mv(t(X), t(X)),
    lambda m, t: m.inner(t(X), t(VEC[:3])),
    lambda m, t: m.fliplr(t(VEC)),
    lambda m, t: m.flipud(t(np.array(1.0))),
    lambda m, t: m.positive(t(INTS > 2)),
    lambda m, t: m.einsum("ij,jk->ik", t(X), t(OTHER.T.astype(np.float32))),  # a sum: one dtype, as matmul
    lambda m, t: m.rot90(t(VEC)),
    lambda m, t: m.linalg.cross(t(X[:, :3]), t(X[0, :3])),  # cross: one rank, one dtype, no bool (anynn broadcast,
    lambda m, t: m.linalg.cross(t(X[:1, :3]), t(X[:, :3].astype(np.float32))),  # promoted, computed 0/1)
    lambda m, t: m.cross(t(INTS > 2), t(INTS > 2)),
    lambda m, t: m.linalg.cross(t(X[:, :1]), t(X[:, :3])),  # (size 1 at dim: anynn broadcast it to 3)
    lambda m, t: m.linalg.vector_norm(t(X), dtype=m.float32),  # a norm's dtype= narrowing float64, complex for a
    lambda m, t: t(X).norm(dtype=m.complex128),  # real input; an integer input whatever dtype= or p (anynn cast or
    lambda m, t: m.norm(t(INTS), dtype=m.float64),  # counted)
    lambda m, t: m.norm(t(INTS), 0),
    lambda m, t: m.linalg.eigh(t(INTS[:, :2])),  # integer matrices: NotImplementedError where PyTorch's kernel is
    lambda m, t: m.linalg.lu_factor(t(INTS[:, :2])),  # what refuses them (anynn: RuntimeError); ldl_factor computed
    lambda m, t: m.linalg.ldl_factor(t(INTS[:, :2])),
    lambda m, t: m.linalg.vector_norm(t(X[:0]), -1),  # no identity over no elements (anynn: inf, NumPy's ValueError)
    lambda m, t: m.linalg.vector_norm(t(X[:, :0]), float("inf"), dim=1),
    lambda m, t: m.diagonal(t(VEC)),  # one dimension: dim2 out of range (anynn: RuntimeError)
    lambda m, t: m.cov(t(X[None])),  # three dimensions (anynn: ValueError)
    lambda m, t: m.corrcoef(t(X[None])),
    lambda m, t: m.amax(t(X), 0, dtype=m.float64),  # no dtype= (anynn cast), an integer nanmean whatever dtype=
    lambda m, t: t(X).amin(dtype=m.float64),
    lambda m, t: m.logsumexp(t(X), 0, dtype=m.float64),
    lambda m, t: m.nanmean(t(INTS), dtype=m.float64),
    lambda m, t: m.cdist(t(X), t(X.astype(np.int64))),  # cdist of integers, of two dtypes (anynn computed, promoted)
    lambda m, t: m.cdist(t(X), t(X.astype(np.float32))),
    lambda m, t: m.addcmul(t(INTS > 2), t(INTS > 2), t(INTS > 1)),  # bool: no kernel (anynn computed)
    lambda m, t: m.ldexp(t(X), t(X > 0)),
    lambda m, t: m.rot90(t(X), 1, (1, 1)),
    lambda m, t: m.rot90(t(X), 1, (0, 1, 2)),
    lambda m, t: m.rot90(t(X), 1, (0, 2)),
    lambda m, t: m.select(t(X), 1, 4),
    lambda m, t: m.select(t(X), 2, 0),
    lambda m, t: m.select(t(np.array(1.0)), 0, 0),
    lambda m, t: m.hsplit(t(X), 3),
    lambda m, t: m.vsplit(t(VEC), 2),
    lambda m, t: m.dsplit(t(X), 2),
    lambda m, t: m.addmv(t(VEC), t(X), t(VEC)),
    lambda m, t: m.addmv(t(X), t(X), t(VEC)),
    lambda m, t: m.addr(t(X), t(X), t(VEC)),
    lambda m, t: m.addbmm(t(X), t(BATCH), t(BATCH)),
    lambda m, t: m.fmax(t(X), 2.0),
    lambda m, t: m.heaviside(t(X), t(INTS[:1, :1])),
    lambda m, t: m.gcd(t(X), t(X)),
    lambda m, t: m.lcm(t(INTS), t(X[:2, :3])),
    lambda m, t: m.gcd(t(INTS), 2),  # Tensors only, as PyTorch's (AttributeError before)
    lambda m, t: m.unravel_index(t(X), (3, 4)),
    lambda m, t: m.signbit(t(X + 1j)),
    lambda m, t: m.nanmedian(t(X), 2),
    lambda m, t: m.rot90(t(X), 1.5),
    lambda m, t: m.fmax(t(X + 1j), t(X)),
    lambda m, t: t(X).repeat(-1, 1),  # NumPy's ValueError 'negative dimensions are not allowed' before
    lambda m, t: -(t(INTS) > 2),  # NumPy's TypeError 'The numpy boolean negative ...' before
    lambda m, t: t(X).clamp(t(VEC[:3])),  # bounds or a mask that do not broadcast: NumPy's ValueError before
    lambda m, t: t(X).masked_fill(t(VEC[:3] > 0), 0.0),
    lambda m, t: m.stack([]),  # (TypeError 'expected a Tensor input, got no argument' before)
    lambda m, t: m.einsum("ij->", t(BATCH)),  # (ValueError before)
    lambda m, t: t(X).sum(dim="a"),  # (int()'s ValueError before)
    lambda m, t: t(X).index_select(0, t(np.array([[0]]))),  # (ValueError before; PyTorch: IndexError)
    lambda m, t: t(X).gather(0, t(np.array([0]))),  # (ValueError before)
    lambda m, t: t(X).sum((0, 0)),  # ValueError before; PyTorch: RuntimeError 'dim 0 appears multiple times'
    lambda m, t: t(X).all((0, 0)), lambda m, t: t(X).any([1, -1]), lambda m, t: m.count_nonzero(t(X), (0, 0)),
    lambda m, t: t(X[:, None]).squeeze((1, 1)),  # (squeezed once before)
    # in-place writes PyTorch refuses with its classes (NumPy's ValueError, or TypeError / RuntimeError, before)
    lambda m, t: t(X[0]).copy_(t(X)), lambda m, t: t(INTS).normal_(),
    lambda m, t: t(X[0]).scatter_(0, t(np.array([0])), t(X[:1])), lambda m, t: t(X[0]).put_(t(np.array([0])), t(X[0])),
    lambda m, t: t(X) & t(X),  # TypeError before; PyTorch: NotImplementedError '"bitwise_and_cpu" ... 'Float''
    lambda m, t: m.tensor(None),  # TypeError before; PyTorch: RuntimeError 'Could not infer dtype of NoneType'
    lambda m, t: m.fmin(t(X), t(X - 1j)),
    lambda m, t: m.logaddexp2(t(INTS), t(INTS)),
    lambda m, t: m.tril_indices(-1, 3),
    lambda m, t: m.triu_indices(3, -2),
    lambda m, t: m.tril_indices(2, 3, dtype=m.float32),
    lambda m, t: m.unravel_index(t(np.array([0])), (0, 3)),
    lambda m, t: t(X.astype(np.float32)).float_power_(2),
    lambda m, t: t(X).float_power_(1j),
    lambda m, t: t(INTS).ldexp_(t(INTS)),
    lambda m, t: t(INTS).copysign_(t(X[:2, :3])),
    lambda m, t: t(INTS > 2) // t(INTS > 1),  # two booleans: no kernel in PyTorch (NumPy's int8 came back)
    lambda m, t: m.fmod(t(INTS > 2), True),
    lambda m, t: True ** t(INTS > 2),
    lambda m, t: t(INTS.astype(np.uint8)) ** -1,  # a negative integer power (uint8 ** 255 was computed)
    lambda m, t: m.addr(t(INTS), t(INTS[0]), t(INTS[1]), alpha=1.5),  # addr takes no float scale beside integers
    lambda m, t: m.addmm(t(INTS[:, :2]).byte(), t(INTS[:, :2]).byte(), t(INTS[:, :2]).byte(), alpha=300),
    lambda m, t: m.addmm(t(X[:2, :2]), t(INTS[:, :2] * 1.0), t(INTS[:, :2] * 1.0), alpha=1j),
    lambda m, t: m.addmm(t(INTS[:, :2]), t(X[:2, :2]), t(X[:2, :2])),  # mixed dtypes (promoted before)
    lambda m, t: m.baddbmm(t(BATCH.astype(np.float32)), t(BATCH), t(BATCH.mT)),
    lambda m, t: m.mm(t(INTS > 2), t(INTS.T > 2)),  # boolean matrix products (an or of ands came back)
    lambda m, t: m.dot(t(INTS[0] > 2), t(INTS[1] > 2)),
    # kernels PyTorch has no integer, boolean or complex version of (anynn cast or computed on 0/1)
    lambda m, t: m.hypot(t(INTS), t(INTS)),
    lambda m, t: m.logaddexp(t(INTS > 2), t(np.array(3))),
    lambda m, t: t(INTS > 2) << t(INTS > 1),
    lambda m, t: t(INTS > 2).clamp(max=True),
    lambda m, t: m.copysign(t(X + 1j), 1.0),
    lambda m, t: m.lerp(t(INTS), t(INTS), 0.5),
    lambda m, t: m.lerp(t(X.astype(np.float32)), t(X), 0.3),  # end of another dtype (float64 came back)
    lambda m, t: m.lerp(t(X.astype(np.float32)), t(X.astype(np.float32)), t(X)),  # and a weight (float64 before)
    lambda m, t: m.isclose(t(X.astype(np.float32)), t(X)),  # two dtypes (compared after promotion)
    lambda m, t: t(INTS > 2).median(),  # booleans ordered as 0 < 1 before (median, kthvalue, topk, isin)
    lambda m, t: m.kthvalue(t(INTS > 2), 1),
    lambda m, t: t(INTS > 2).topk(1),
    lambda m, t: m.isin(t(INTS), t(INTS > 2)),
    lambda m, t: t(X[:, :0]).median(1),  # a lane of nothing (gather's 'index -1 is out of bounds' before)
    lambda m, t: m.mode(t(X[:, :0]), 1),  # (NumPy's ValueError 'zero-size array to reduction operation' before)
    lambda m, t: m.cov(t(X), fweights=t(np.array([1, -1, 2, 1]))),  # cov's weights (computed with before)
    lambda m, t: m.cov(t(X), aweights=t(np.zeros(4))),
    lambda m, t: m.cov(t(X), fweights=t(np.ones(4))),
    lambda m, t: m.clamp(t(INTS > 2), t(INTS > 1), t(INTS > 3)),  # both bounds booleans: no kernel
    # a Python number where PyTorch takes a Tensor only (anynn computed with it: TypeError 'must be Tensor, not int')
    lambda m, t: m.maximum(t(X), 0),
    lambda m, t: t(X).atan2(1.0),
    lambda m, t: m.eq(2, t(INTS)),
    lambda m, t: m.isclose(t(X), 1.0),
    lambda m, t: m.logical_and(t(INTS), True),
    lambda m, t: m.special.gammainc(t(X), 2.0),
    lambda m, t: m.igamma(t(INTS), t(INTS > 2)),  # integer operands: no kernel (anynn computed in float32)
    lambda m, t: m.addcmul(t(X), t(X), 2),
    # dtypes PyTorch's kernels lack (anynn computed: booleans as 0/1, complex numbers in NumPy's lexicographic order)
    lambda m, t: t(INTS > 2).abs(),
    lambda m, t: m.trace(t(INTS > 2)),
    lambda m, t: t(INTS).round(decimals=1),
    lambda m, t: t(X + 1j).round(),
    lambda m, t: m.cummax(t(X + 1j), 0),
    lambda m, t: t(X + 1j).kthvalue(1),
    lambda m, t: m.mode(t(X + 1j)),
    lambda m, t: m.unique(t(X + 1j)),
    lambda m, t: m.unique_consecutive(t(X + 1j)),
    lambda m, t: m.searchsorted(t(INTS[0] > 2), t(INTS > 2)),
    lambda m, t: m.nn.functional.prelu(t(INTS), t(INTS[0, :1])),
    lambda m, t: t(X + 1j).nansum(),
    lambda m, t: m.deg2rad(t(X + 1j)),
    lambda m, t: m.linalg.vecdot(t(INTS), t(INTS)),
    lambda m, t: m.nn.functional.hardtanh(t(INTS.astype(np.uint8))),  # (negative limits of an unsigned type)
    lambda m, t: m.nn.Hardtanh()(t(INTS.astype(np.uint8))),  # (the layer's float64 round trip computed it)
    # PyTorch's error classes (anynn: ValueError alone, or RuntimeError for narrow's IndexError)
    lambda m, t: t(X[None]).t(), lambda m, t: t(X).narrow(0, -99, 1), lambda m, t: t(X).split([1, 1]),
    lambda m, t: t(X).new_zeros(-1), lambda m, t: t(X).new_full((2,), "a"),
    # shapes that do not broadcast, where NumPy and JAX raise ValueError in a Function's forward (PowTensor, Atan2,
    # Hypot; isclose), not PyTorch's RuntimeError
    lambda m, t: t(X) ** t(VEC[:3]), lambda m, t: t(X).atan2(t(VEC[:3])), lambda m, t: m.hypot(t(X), t(VEC[:3])),
    lambda m, t: m.isclose(t(X), t(VEC[:3])),
    # a comparison with None or a list: PyTorch's TypeError (anynn returned NotImplemented, the operator's answer)
    lambda m, t: t(X).eq(None), lambda m, t: m.lt(t(X), [1.0]), lambda m, t: t(X).ge_(None),
    # PyTorch's kernels' RuntimeError (anynn: ValueError alone)
    lambda m, t: m.nn.functional.dropout(t(X), float("nan")),
    lambda m, t: m.nn.functional.scaled_dot_product_attention(t(X), t(X), t(X), dropout_p=1.5),
    lambda m, t: m.nn.functional.scaled_dot_product_attention(t(X), t(X), t(X), attn_mask=t(X[:, :3] > 0),
                                                              is_causal=True),
    # a window argument of another type: PyTorch's TypeError (anynn: ValueError, or "'float' object is not iterable")
    lambda m, t: m.nn.functional.max_pool2d(t(X[None, None]), 2.5),
    lambda m, t: m.nn.functional.avg_pool2d(t(X[None, None]), (2.0, 2)),
    lambda m, t: m.nn.functional.conv2d(t(X[None, None]), t(X[None, None, :2, :2]), stride=None),
    lambda m, t: t(X).sum(True),  # a bool in dim's place (anynn took it as dim 1)
    lambda m, t: m.cumsum(t(X), True),
    lambda m, t: m.lerp(t(X), 2.0, 0.5),
    # PyTorch's kernels lack these dtypes on every device (anynn computed; the differences page listed some)
    lambda m, t: m.nn.functional.interpolate(t(INTS[None]), scale_factor=2),  # nearest of int64 (uint8 runs)
    lambda m, t: m.nn.functional.interpolate(t(X[None] + 1j), scale_factor=2, mode="linear"),
    lambda m, t: m.nn.functional.avg_pool1d(t(X[None] + 1j), 2),
    lambda m, t: m.nn.functional.unfold(t(INTS[None, None]), 2),
    lambda m, t: m.nn.functional.pad(t(INTS[None] > 2), (1, 1), mode="reflect"),
    lambda m, t: t(X + 1j).index_reduce(0, t(np.array([0])), t(X[:1] + 1j), "amax"),  # complex, bool: no kernel
    lambda m, t: m.cumsum(t(X), 0, out=t(X > 0)),  # summed in out's dtype, bool: no kernel (anynn cast)
    lambda m, t: m.std(t(X), 0, out=t(VEC[:4] + 1j)),  # a real input into a complex out (anynn cast)
    lambda m, t: m.where(t(INTS > 2), t(INTS.astype(np.uint8)), 300),  # outside uint8 (anynn wrapped it to 44)
    lambda m, t: m.nn.functional.cosine_similarity(t(X), t(X), eps=-1.0),  # (anynn computed)
]


BOOL_DIMS = [  # a bool in dim's place, alone or in a tuple: PyTorch's TypeError (anynn read True as axis 1)
    lambda m, x: m.median(x, True), lambda m, x: x.squeeze(True), lambda m, x: m.squeeze(x, (True,)),
    lambda m, x: x.unsqueeze(True), lambda m, x: x.flip(True), lambda m, x: m.flip(x, (True,)),
    lambda m, x: x.unbind(True), lambda m, x: x.narrow(True, 0, 1), lambda m, x: x.chunk(2, True),
    lambda m, x: x.split(1, True), lambda m, x: m.roll(x, 1, True), lambda m, x: x.flatten(True),
    lambda m, x: x.flatten(0, True), lambda m, x: m.movedim(x, (True,), (0,)), lambda m, x: x.logcumsumexp(True),
    lambda m, x: m.cross(m.ones(3, 3), m.ones(3, 3), True), lambda m, x: m.stack([x, x], True),
    lambda m, x: m.unique(x, dim=True), lambda m, x: m.nn.functional.cosine_similarity(x, x, True),
    lambda m, x: m.fft.fft(x, dim=True), lambda m, x: x.mean((True,)), lambda m, x: x.amax((True, 0)),
    lambda m, x: x.size(True),
]


FLOAT_INTS = [  # a float where an int argument goes: PyTorch's TypeError (anynn cut it to an int: n / 2 is a float)
    lambda m, x: x.repeat(1.5, 1), lambda m, x: x.narrow(0, 0.5, 1), lambda m, x: x.select(0, 1.0),
    lambda m, x: x.tril(0.5), lambda m, x: m.triu(x, 1.0), lambda m, x: x.diagonal(0.5),
    lambda m, x: x.unfold(0, 2.0, 1), lambda m, x: m.nn.functional.one_hot(m.arange(3), 2.5),
    lambda m, x: x.unflatten(1, (1.0, 3)), lambda m, x: x.split([1.0, 1]), lambda m, x: m.histc(x, 2.5),
    lambda m, x: m.eye(2.0), lambda m, x: m.linspace(0, 1, 3.0), lambda m, x: x.new_zeros(2.5),
    lambda m, x: m.nn.functional.interpolate(x[None], size=2.5),
    # a bool or a string too (x.tril(True) was diagonal 1, x.repeat("a", 1) a ValueError), and diagonal's dims
    lambda m, x: x.tril(True), lambda m, x: x.repeat("a", 1), lambda m, x: x.split(True),
    lambda m, x: x.new_zeros("a"), lambda m, x: m.histc(x, True), lambda m, x: x.diagonal(0, 1.0, 0),
    lambda m, x: x.diagonal(0, True, 0),
    # a sequence or a float where PyTorch takes one int dim (anynn read its first item, or cut it to an int)
    lambda m, x: x.movedim((1,), 0), lambda m, x: x.movedim(1, [0]), lambda m, x: x.unflatten((1,), (3, 1)),
    lambda m, x: x.repeat_interleave(2, dim=[1]), lambda m, x: x.renorm(2, 1.0, 1.0),
    lambda m, x: m.nn.functional.cosine_similarity(x, x, 1.0), lambda m, x: m.linalg.cross(x, x, dim=None),
    lambda m, x: m.nn.Flatten(2.5)(x), lambda m, x: m.nn.Unflatten(True, (3, 1))(x),  # (IndexError; dim 1)
]


def test_a_float_int_argument_is_refused_as_torch():
    for call in FLOAT_INTS:
        for module in (torch, anynn):
            with pytest.raises(TypeError):
                call(module, module.ones(2, 3))
    for module in (torch, anynn):  # a dim out of range: IndexError (anynn said dim1 and dim2 were the same)
        with pytest.raises(IndexError):
            module.ones(2, 3).diagonal(0, 5, 1)
        with pytest.raises(IndexError):  # (anynn: RuntimeError 'must have size 3')
            module.linalg.cross(module.ones(2, 3), module.ones(2, 3), dim=2)
    # after the first size of a list PyTorch's parser reads a bool as an int (only a lone or leading one is refused)
    for call in (lambda x: x.view(6, True), lambda x: x.reshape((3, True, 2)), lambda x: x.repeat(1, True),
                 lambda x: x.new_zeros(2, True), lambda x: x.new_zeros([2, False])):
        assert tuple(call(anynn.ones(2, 3)).shape) == tuple(call(torch.ones(2, 3)).shape)


def test_float16_where_pytorchs_kernels_lack_it_is_refused():
    """cdist / pdist / histogram / histogramdd of float16: PyTorch's NotImplementedError (anynn computed); numpy
    only (array-api-strict has no float16)."""
    for call in (lambda m, x: m.cdist(x, x), lambda m, x: m.histogram(x, 3), lambda m, x: m.special.bessel_j0(x),
                 lambda m, x: m.special.erfcx(x), lambda m, x: m.special.chebyshev_polynomial_t(x, x)):
        for module in (torch, anynn):
            with pytest.raises(NotImplementedError, match="not implemented for 'Half'"):
                call(module, module.ones(2, 3, dtype=module.float16))
    # the decompositions: PyTorch's RuntimeError or NotImplementedError (NumPy's TypeError before); powers compute
    for call in (lambda m, x: m.linalg.inv(x), lambda m, x: m.linalg.cholesky(x), lambda m, x: m.linalg.svdvals(x),
                 lambda m, x: m.linalg.eigvals(x), lambda m, x: m.geqrf(x), lambda m, x: m.linalg.lu_factor(x),
                 lambda m, x: m.linalg.householder_product(x, x[:, 0]), lambda m, x: m.linalg.matrix_power(x, -1)):
        with pytest.raises((RuntimeError, NotImplementedError)) as theirs:
            call(torch, torch.eye(2, dtype=torch.float16))
        with pytest.raises(type(theirs.value)):
            call(anynn, anynn.eye(2, dtype=anynn.float16))
    assert float(anynn.linalg.matrix_power(anynn.eye(2, dtype=anynn.float16) * 2, 3)[0, 0]) == 8.0


def test_a_bool_dim_is_refused_as_torch():
    for call in BOOL_DIMS:
        for module in (torch, anynn):
            with pytest.raises(TypeError):
                call(module, module.ones(2, 3))


def test_a_0d_integer_tensor_or_numpy_int_as_a_dim_or_size_as_torch():
    """PyTorch reads a 0-d integer tensor (and a NumPy int) where it takes an int dim or size: x.squeeze(t), x.roll(1,
    t), x.unbind(t) raised 'iteration over a 0-d tensor'; x.reshape(np.int64(1), 3) and x.expand(t, 3) of a size that
    does not fit gave NumPy's ValueError instead of PyTorch's RuntimeError."""
    runs = [(lambda x, one: x.squeeze(one), (2, 3)), (lambda x, one: x.roll(1, one), (2, 3)),
            (lambda x, one: x.movedim(one, 0), (3, 2)), (lambda x, one: x.permute(one, 0), (3, 2)),
            (lambda x, one: x.unflatten(one, (1, 3)), (2, 1, 3)), (lambda x, one: x.median(one)[0], (2,))]
    refused = [lambda x, one: x.reshape(np.int64(1), 3), lambda x, one: x.view(one, 3), lambda x, one: x.expand(one, 3)]
    for module in (torch, anynn):
        x, one = module.arange(6.0).reshape(2, 3), module.tensor(1)
        for call, shape in runs:
            assert tuple(call(x, one).shape) == shape
        for call in refused:
            with pytest.raises(RuntimeError):
                call(x, one)


def test_fmax_fmin_gradients_at_ties_and_nans_as_torch(backend):
    """A tie's gradient goes to input, a NaN's to the other operand (all to input when both are NaN)."""
    a = np.array([1.0, 2.0, np.nan, np.nan, 0.5])
    b = np.array([1.0, np.nan, 3.0, np.nan, -0.5])
    for name in ("fmax", "fmin"):
        compare_with_torch(backend, getattr(anynn, name), getattr(torch, name), a, b, rtol=1e-12, atol=0)


def test_logit_gradient_outside_and_at_the_ends_of_its_domain_as_torch(backend):
    """NaN outside [0, 1] and inf at 0 and 1 (the chain rule through log(p / (1 - p)) gave finite slopes outside and
    NaN at the ends); with eps, 0 where p was clamped."""
    p = np.array([-0.5, 0.0, 0.3, 1.0, 1.5])
    compare_with_torch(backend, anynn.logit, torch.logit, p, rtol=1e-12, atol=0)
    compare_with_torch(backend, lambda x: x.logit(0.1), lambda x: x.logit(0.1), p, rtol=1e-12, atol=0)


@pytest.mark.parametrize("call", REFUSALS)
def test_refusals_as_torch(backend, call):
    with pytest.raises((RuntimeError, TypeError, IndexError)) as theirs:
        call(torch, torch.tensor)
    kind = next(k for k in (NotImplementedError, IndexError, TypeError, RuntimeError) if isinstance(theirs.value, k))
    with pytest.raises(kind):
        call(anynn, lambda a: make(backend, a))
