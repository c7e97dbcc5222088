"""quantile / nanquantile (anynn/functional/quantile.py), functions and Tensor methods: values, shapes and gradients
against PyTorch on every backend over q forms, dims, keepdim, the five interpolations and NaNs; a float64 gradient
check; PyTorch's refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

from tests.helpers import check_gradients, make

RNG = np.random.default_rng(17)
DISTINCT = RNG.permutation(60).reshape(3, 5, 4) / 7.0 - 4.0   # no ties: the gradient has one place to go
WITH_NAN = DISTINCT.copy()
WITH_NAN[0, 1, 2] = WITH_NAN[2, 3, 0] = np.nan
ALL_NAN_LANE = DISTINCT.copy()
ALL_NAN_LANE[1, :, 3] = np.nan
Q_VALUES = np.array([0.0, 0.25, 0.5, 0.7, 1.0])

# (name, call on (module, tensor, q maker)); q maker turns a NumPy q into the module's tensor
CASES = [
    ("all", lambda m, x, t: m.quantile(x, 0.3)),
    ("all_q_tensor", lambda m, x, t: m.quantile(x, t(Q_VALUES))),
    ("dim", lambda m, x, t: m.quantile(x, 0.6, dim=1)),
    ("dim_negative_keepdim", lambda m, x, t: m.quantile(x, t(Q_VALUES[1:3]), dim=-1, keepdim=True)),
    ("all_keepdim", lambda m, x, t: m.quantile(x, t(np.array(0.8)), keepdim=True)),
    ("method_lower", lambda m, x, t: x.quantile(t(Q_VALUES), 0, interpolation="lower")),
    ("higher", lambda m, x, t: m.quantile(x, 0.35, 2, interpolation="higher")),
    ("midpoint", lambda m, x, t: m.quantile(x, t(Q_VALUES), dim=1, interpolation="midpoint")),
    ("nearest", lambda m, x, t: m.quantile(x, t(np.array([0.125, 0.375, 0.5, 0.625])), 1, interpolation="nearest")),
    ("zero_dim", lambda m, x, t: m.quantile(x[0, 0, 0], 0.5, dim=0)),
    ("nanquantile", lambda m, x, t: m.nanquantile(x, t(Q_VALUES), dim=1)),
    ("method_nanquantile_all", lambda m, x, t: x.nanquantile(0.4, interpolation="midpoint")),
]
INPUTS = {"distinct": DISTINCT, "with_nan": WITH_NAN, "all_nan_lane": ALL_NAN_LANE}


@pytest.mark.parametrize("given", list(INPUTS))
@pytest.mark.parametrize("name, call", CASES, ids=[c[0] for c in CASES])
def test_matches_torch_with_gradients(backend, name, call, given):
    values = INPUTS[given]
    x = make(backend, values, requires_grad=True)
    t = torch.tensor(values, requires_grad=True)
    out = call(anynn, x, lambda q: make(backend, q))
    ref = call(torch, t, torch.tensor)
    assert out.shape == tuple(ref.shape)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-14, equal_nan=True)
    weights = np.random.default_rng(0).standard_normal(tuple(ref.shape))
    (ref * torch.tensor(weights)).nansum().backward()
    (out * make(backend, weights)).nansum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12, atol=1e-15)


def test_float32_matches_torch(backend):
    values = DISTINCT.astype(np.float32)
    out = anynn.quantile(make(backend, values), make(backend, Q_VALUES.astype(np.float32)), dim=1)
    ref = torch.quantile(torch.tensor(values), torch.tensor(Q_VALUES.astype(np.float32)), dim=1)
    assert anynn.backend.dtype_name(out.dtype) == "float32"
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_gradients(backend, interpolation):
    check_gradients(backend, lambda x: anynn.quantile(x, make(backend, np.array([0.3, 0.9])), dim=1,
                                                      interpolation=interpolation), DISTINCT)
    check_gradients(backend, lambda x: x.nanquantile(0.45, dim=-1, interpolation=interpolation), WITH_NAN)


REFUSALS = [  # (call on (module, tensor maker), message both libraries share)
    (lambda m, t: m.quantile(t(DISTINCT), 1.5), "q must be in the range"),
    (lambda m, t: m.quantile(t(DISTINCT), t(np.full((2, 2), 0.5))), "q must be a scalar or 1D tensor"),
    (lambda m, t: m.quantile(t(DISTINCT), 0.5, interpolation="cubic"), "interpolation must be one of"),
    (lambda m, t: m.quantile(t(np.arange(4)), 0.5), "input tensor must be either float or double"),
    (lambda m, t: m.quantile(t(np.zeros((2, 0))), 0.5, dim=0), "input tensor must be non-empty"),
    (lambda m, t: m.nanquantile(t(DISTINCT), t(Q_VALUES.astype(np.float32))), "q tensor must be same dtype"),
]


@pytest.mark.parametrize("call, message", REFUSALS)
def test_refusals_as_torch(backend, call, message):
    with pytest.raises(RuntimeError, match=message):
        call(torch, torch.tensor)
    with pytest.raises(RuntimeError, match=message):
        call(anynn, lambda a: make(backend, a))
