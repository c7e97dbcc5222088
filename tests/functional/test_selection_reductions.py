"""Reductions that pick or skip entries (anynn/functional/selection_reductions.py: nansum, nanmean, aminmax,
cummax/cummin, kthvalue, mode) and logcumsumexp (anynn/functional/log_cumulative.py), as functions and Tensor
methods: a float64 gradient check on every backend, and values, indices, shapes, dtypes and gradients against
PyTorch in float32 and float64 on every backend (NaNs, ties, running extremes picked by several outputs)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

from tests.functional.samples import DTYPES
from tests.helpers import check_gradients, make, torch_oracle

RNG = np.random.default_rng(11)
DISTINCT = RNG.permutation(60).reshape(3, 5, 4) / 7.0 - 4.0   # no ties: finite differences see one piece
WITH_NAN = RNG.standard_normal((3, 5, 4))
WITH_NAN[0, 1, 2] = WITH_NAN[2, 3, 0] = np.nan
SOME_NAN = WITH_NAN.copy()
WITH_NAN[1, :, 3] = np.nan                                     # a lane of NaNs only: nanmean gives NaN
TIES = np.round(RNG.standard_normal((3, 6, 4)) * 1.5) / 2      # repeated values: running extremes, modes
WIDE = RNG.standard_normal((3, 6, 4)) * 40.0                   # exp overflows float32 past ~88
WIDE[0, 2, 1] = -np.inf
BOOLS = TIES > 0                                               # max(dim) of booleans (argmax refuses them)
EMPTY = np.zeros((3, 0, 4))                                    # nothing along dim 1 (the scans indexed entry 0)
INFINITE = np.array([[np.inf, -np.inf, 1.0], [-np.inf, -np.inf, 2.0], [1.0, np.inf, np.inf]])  # logcumsumexp: inf - inf
MODE_NAN = np.array([[1.0, np.nan, np.nan, np.nan], [-3.0, np.nan, np.nan, 2.0], [np.nan, 0.5, 0.5, 0.5]])

# (name, function on (module, tensor), input, gradient-checked); module is anynn or torch
CASES = [
    ("nansum", lambda m, x: m.nansum(x), WITH_NAN, True),
    ("nansum_dim", lambda m, x: m.nansum(x, 1, keepdim=True), WITH_NAN, True),
    ("method_nansum_dims", lambda m, x: x.nansum((0, 2)), WITH_NAN, True),
    ("nanmean", lambda m, x: m.nanmean(x, dim=1), SOME_NAN, True),
    ("method_nanmean_all", lambda m, x: x.nanmean(), WITH_NAN, True),
    ("aminmax", lambda m, x: m.stack(list(m.aminmax(x)), 0), DISTINCT, True),
    ("aminmax_dim_ties", lambda m, x: m.aminmax(x, dim=1, keepdim=True).max * 2 + x.aminmax(dim=1, keepdim=True).min,
     TIES, False),
    ("cummax", lambda m, x: m.cummax(x, 1).values, DISTINCT, True),
    ("cummin", lambda m, x: m.cummin(x, -1).values, DISTINCT, True),
    ("method_cummax_ties", lambda m, x: x.cummax(0).values, TIES, False),
    ("cummin_ties", lambda m, x: m.cummin(x, 1).values, TIES, False),
    ("logcumsumexp", lambda m, x: m.logcumsumexp(x, 1), DISTINCT, True),
    ("method_logcumsumexp_wide", lambda m, x: x.logcumsumexp(-1), WIDE, False),
    ("logcumsumexp_dim0", lambda m, x: m.logcumsumexp(x * 30, 0), DISTINCT, True),
    ("kthvalue", lambda m, x: m.kthvalue(x, 2, 1).values, DISTINCT, True),
    ("method_kthvalue_keepdim", lambda m, x: x.kthvalue(4, dim=-1, keepdim=True).values, DISTINCT, True),
    ("mode", lambda m, x: m.mode(x, 1).values, TIES, False),
    ("method_mode_keepdim", lambda m, x: x.mode(dim=0, keepdim=True).values, TIES, False),
    # max(dim) / min(dim) send the gradient to the index they return (the first of tied entries), as PyTorch's;
    # amax/amin and max() without dim share it among the ties
    ("max_dim_ties", lambda m, x: m.max(x, 1).values, TIES, False),
    ("method_min_dim_ties_keepdim", lambda m, x: x.min(dim=-1, keepdim=True).values * x.amin(-1, keepdim=True), TIES,
     False),
    ("max_dim", lambda m, x: m.max(x, 0)[0], DISTINCT, True),
    ("cummax_empty", lambda m, x: m.cummax(x, 1).values, EMPTY, False),
    ("method_cummin_empty", lambda m, x: x.cummin(-2).values, EMPTY, False),
    ("logcumsumexp_empty", lambda m, x: m.logcumsumexp(x, 1), EMPTY, False),
]
IDS = [c[0] for c in CASES]


def test_logcumsumexp_after_an_infinity_is_infinite_as_torch(backend):
    # (the running max's inf - inf gave NaN after an inf; the values only: PyTorch's gradient there is NaN); an
    # integer input is PyTorch's NotImplementedError, nanmean's its RuntimeError (a TypeError only before)
    out = anynn.logcumsumexp(make(backend, INFINITE), 1)
    np.testing.assert_array_equal(out.numpy(), torch.logcumsumexp(torch.tensor(INFINITE), 1).numpy())
    for lib in (torch, anynn):
        with pytest.raises(NotImplementedError):
            lib.logcumsumexp(lib.ones(2, dtype=lib.int64), 0)
        with pytest.raises(RuntimeError):
            lib.nanmean(lib.ones(2, dtype=lib.int64))


@pytest.mark.parametrize("name, fn, x, checked", [c for c in CASES if c[3]], ids=[c[0] for c in CASES if c[3]])
def test_gradients(backend, name, fn, x, checked):
    check_gradients(backend, lambda t: fn(anynn, t), x)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name, fn, x, checked", CASES, ids=IDS)
def test_matches_torch(backend, name, fn, x, checked, dtype):
    torch_oracle(backend, lambda t: fn(anynn, t), lambda t: fn(torch, t), [x.astype(dtype)], dtype, what=name)


# (name, call returning (values, indices) on (module, tensor), input)
INDEXED = [
    ("cummax", lambda m, x: m.cummax(x, 1), TIES),
    ("cummax_nan", lambda m, x: m.cummax(x, 1), WITH_NAN),
    ("cummin_dim0", lambda m, x: m.cummin(x, 0), TIES),
    ("cummin_nan", lambda m, x: m.cummin(x, -1), WITH_NAN),
    ("kthvalue", lambda m, x: m.kthvalue(x, 3, 1), DISTINCT),
    ("kthvalue_keepdim", lambda m, x: m.kthvalue(x, 1, 0, True), DISTINCT),
    ("mode", lambda m, x: m.mode(x, 1), TIES),
    ("mode_last_dim", lambda m, x: m.mode(x), TIES),
    ("mode_keepdim", lambda m, x: m.mode(x, 0, True), TIES),
    # a NaN counts once (it equals nothing; a lane [nan] raised IndexError from gather), see the differences page
    ("mode_nan", lambda m, x: m.mode(x, 1), MODE_NAN),
    ("mode_single_nan", lambda m, x: m.mode(x[:, :1], 1), MODE_NAN),
    # booleans run as 0 and 1 (array-api-strict refused to order them)
    ("cummax_bool", lambda m, x: m.cummax(x, 1), BOOLS),
    ("cummin_bool", lambda m, x: x.cummin(-1), BOOLS),
    ("max_dim", lambda m, x: m.max(x, 1), TIES),
    ("method_min_dim_keepdim", lambda m, x: x.min(0, True), TIES),
    ("max_dim_bool", lambda m, x: m.max(x, 1), BOOLS),
    ("method_min_dim_bool_keepdim", lambda m, x: x.min(-1, True), BOOLS),
    ("cummax_empty", lambda m, x: m.cummax(x, 1), EMPTY),
    ("cummin_empty", lambda m, x: x.cummin(-2), EMPTY),
]


@pytest.mark.parametrize("name, fn, x", INDEXED, ids=[c[0] for c in INDEXED])
def test_indices_match_torch(backend, name, fn, x):
    ours, theirs = fn(anynn, make(backend, x)), fn(torch, torch.tensor(x))
    np.testing.assert_array_equal(ours.values.numpy(), theirs.values.numpy())
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())
    assert ours.indices.numpy().dtype == np.int64
    assert ours.indices.requires_grad is False


def test_logcumsumexp_of_minus_infinity_prefix_has_a_zero_gradient(backend):
    """PyTorch gives NaN gradients where a prefix is all -inf; anynn gives 0 there (listed on the differences
    page), the same values, and PyTorch's gradient everywhere else."""
    x = np.array([[-np.inf, -np.inf, 0.5, 1.0]])
    t = make(backend, x, requires_grad=True)
    out = anynn.logcumsumexp(t, 1)
    ref = torch.logcumsumexp(torch.tensor(x), 1)
    np.testing.assert_allclose(out.numpy(), ref.numpy())
    out.sum().backward()
    np.testing.assert_allclose(t.grad.numpy()[0, 2:], _torch_grad_tail(x), rtol=1e-12)
    np.testing.assert_array_equal(t.grad.numpy()[0, :2], [0.0, 0.0])


def _torch_grad_tail(x: np.ndarray) -> np.ndarray:
    t = torch.tensor(x, requires_grad=True)
    torch.logcumsumexp(t, 1).sum().backward()
    return t.grad.numpy()[0, 2:]


def test_nanmean_of_a_lane_of_nans_is_nan_with_pytorchs_gradient(backend):
    """NaN there, and PyTorch's gradient: its nansum backward multiplies by the mask, so the 1 / 0 of the lane's
    count gives NaN (0 / 0) at its NaNs; anynn selected 0 there before."""
    t = make(backend, WITH_NAN, requires_grad=True)
    out = anynn.nanmean(t, 1)
    theirs = torch.tensor(WITH_NAN, requires_grad=True)
    np.testing.assert_allclose(out.numpy(), torch.nanmean(theirs, 1).detach().numpy(), rtol=1e-12)
    assert np.isnan(out.numpy()[1, 3])
    out.nansum().backward()
    torch.nanmean(theirs, 1).nansum().backward()
    np.testing.assert_allclose(t.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    assert np.isnan(t.grad.numpy()[1, :, 3]).all()


def test_errors_name_the_function(backend):
    x = make(backend, DISTINCT)
    with pytest.raises(IndexError, match=r"kthvalue\(\): selected number k \(6\) out of range"):
        x.kthvalue(6, 1)
    with pytest.raises(IndexError, match="cummax: dim 3 is out of range"):
        x.cummax(3)
    with pytest.raises(TypeError, match="logcumsumexp: expected a floating point input"):
        anynn.logcumsumexp(make(backend, np.arange(3)), 0)
