"""PyTorch functions made of existing operations (anynn/functional/composite_math.py): ravel, broadcast_tensors,
positive, mv, inner, deg2rad/rad2deg, fliplr/flipud, logit, isin; functions and Tensor methods against PyTorch on
every backend, values, dtypes and float64 gradients, with a gradient check, and PyTorch's refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn

from tests.helpers import check_gradients, compare_with_torch, make

RNG = np.random.default_rng(23)
X = RNG.standard_normal((3, 4))
BATCH = RNG.standard_normal((2, 3, 4))
VEC = RNG.standard_normal(4)
UNIT = RNG.uniform(0.05, 0.95, (3, 4))

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
]


@pytest.mark.parametrize("name, call, inputs", DIFFERENTIABLE, ids=[c[0] for c in DIFFERENTIABLE])
def test_matches_torch_with_gradients(backend, name, call, inputs):
    compare_with_torch(backend, lambda *a: call(anynn, *a), lambda *t: call(torch, *t), *inputs,
                       rtol=1e-10, atol=1e-12)
    check_gradients(backend, lambda *a: call(anynn, *a), *inputs)


INTS = np.array([[3, 1, 4], [1, 5, 9]])
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
]


@pytest.mark.parametrize("name, call", QUERIES, ids=[c[0] for c in QUERIES])
def test_values_and_dtypes_as_torch(backend, name, call):
    out = call(anynn, lambda a: make(backend, a))
    ref = call(torch, torch.tensor)
    assert anynn.backend.dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6, equal_nan=True)


REFUSALS = [
    lambda m, t: m.broadcast_tensors(t(X), t(VEC[:3])),
    lambda m, t: m.mv(t(X), t(X)),
    lambda m, t: m.inner(t(X), t(VEC[:3])),
    lambda m, t: m.fliplr(t(VEC)),
    lambda m, t: m.flipud(t(np.array(1.0))),
    lambda m, t: m.positive(t(INTS > 2)),
]


@pytest.mark.parametrize("call", REFUSALS)
def test_refusals_as_torch(backend, call):
    with pytest.raises((RuntimeError, TypeError)):
        call(torch, torch.tensor)
    with pytest.raises((RuntimeError, TypeError)):
        call(anynn, lambda a: make(backend, a))
