"""linalg.matrix_exp and linalg.householder_product (composed from matmuls): forward and input gradients against
torch.linalg in float32 and float64 on every backend, float64 gradient and second-order checks, PyTorch's refusals;
geqrf's reflections and taus against torch.geqrf."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd.gradgrad_check import gradgrad_check
from anynn.functional.matrix_functions import geqrf

from tests.functional.samples import DTYPES
from tests.helpers import check_gradients, compare_with_torch, make


def _tol(dtype: str, scale: float = 1.0) -> dict[str, float]:
    return dict(rtol=1e-9, atol=1e-10 * scale) if dtype == "float64" else dict(rtol=2e-4, atol=2e-5 * scale)


# 1-norms from below the Taylor radius (no squaring) to ~60 (7 squarings); batched
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "scale"), [((4, 4), 0.1), ((2, 4, 4), 3.0), ((3, 3), 60.0), ((1, 1), 2.0),
                                              ((2, 0, 0), 1.0)], ids=str)
def test_matrix_exp_matches_torch(backend, shape, scale, dtype):
    a = (scale * np.random.default_rng(4).standard_normal(shape) / max(1, shape[-1])).astype(dtype)
    compare_with_torch(backend, anynn.linalg.matrix_exp, torch.linalg.matrix_exp, a, **_tol(dtype, max(1.0, scale)))


def test_matrix_exp_of_a_skew_matrix_is_orthogonal(backend):
    a = np.random.default_rng(1).standard_normal((5, 5))
    q = anynn.linalg.matrix_exp(make(backend, 4.0 * (a - a.T))).numpy()
    np.testing.assert_allclose(q @ q.T, np.eye(5), atol=1e-12)


def test_matrix_exp_gradients_numerically(backend):
    a = 1.5 * np.random.default_rng(5).standard_normal((3, 3))
    check_gradients(backend, anynn.linalg.matrix_exp, a)
    assert gradgrad_check(anynn.linalg.matrix_exp, make(backend, a / 3, requires_grad=True))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(("shape", "k"), [((5, 3), 3), ((4, 4), 2), ((2, 5, 3), 2)], ids=str)
def test_householder_product_matches_torch(backend, shape, k, dtype):
    rng = np.random.default_rng(6)
    a = rng.standard_normal(shape).astype(dtype)
    tau = rng.uniform(0.5, 2.0, shape[:-2] + (k,)).astype(dtype)
    compare_with_torch(backend, anynn.linalg.householder_product, torch.linalg.householder_product, a, tau,
                       **_tol(dtype))


def test_householder_product_without_reflections(backend):
    a = np.random.default_rng(8).standard_normal((3, 2))
    ours = anynn.linalg.householder_product(make(backend, a, requires_grad=True), make(backend, np.zeros(0)))
    theirs = torch.linalg.householder_product(torch.tensor(a, requires_grad=True), torch.zeros(0, dtype=torch.float64))
    np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())
    assert ours.requires_grad and theirs.requires_grad  # PyTorch's gradient is None here, anynn's zeros


def test_householder_product_gradients_numerically(backend):
    rng = np.random.default_rng(7)
    a, tau = rng.standard_normal((4, 3)), rng.uniform(0.5, 2.0, (2,))
    check_gradients(backend, anynn.linalg.householder_product, a, tau)
    assert gradgrad_check(anynn.linalg.householder_product, make(backend, a[:3, :2], requires_grad=True),
                          make(backend, tau, requires_grad=True))


REFUSALS = [
    (lambda: anynn.linalg.matrix_exp(anynn.ones(3)), "at least 2 dimensions"),
    (lambda: anynn.linalg.matrix_exp(anynn.ones(2, 3)), "batches of square matrices, but they are 2 by 3"),
    (lambda: anynn.linalg.matrix_exp(anynn.ones(2, 2, dtype="int64")), "floating point"),
    (lambda: anynn.linalg.householder_product(anynn.ones(3), anynn.ones(1)), "at least 2 dimensions"),
    (lambda: anynn.linalg.householder_product(anynn.ones(2, 3), anynn.ones(1)), r"input.shape\[-2\] must be greater"),
    (lambda: anynn.linalg.householder_product(anynn.ones(3, 2), anynn.ones(3)), r"input.shape\[-1\] must be greater"),
    (lambda: anynn.linalg.householder_product(anynn.ones(3, 2), anynn.ones(2, 1)), "one dimension less"),
    (lambda: anynn.linalg.householder_product(anynn.ones(2, 3, 2), anynn.ones(3, 1)), "batch dimensions of tau"),
    (lambda: anynn.linalg.householder_product(anynn.ones(3, 2), anynn.ones(2, dtype="float64")), "does not match"),
    (lambda: geqrf(anynn.ones(3)), "at least 2 dimensions"),
]


@pytest.mark.parametrize(("call", "message"), REFUSALS, ids=[m for _, m in REFUSALS])
def test_refusals_as_torch(call, message):
    with pytest.raises(RuntimeError, match=message):
        call()


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 3), (3, 1)], ids=str)
def test_geqrf_matches_torch(backend, shape):
    a = np.random.default_rng(9).standard_normal(shape)
    a[..., 1:, 0] = 0.0  # a column already triangular: LAPACK's tau = 0 there
    ours, tau = geqrf(make(backend, a))
    theirs, their_tau = torch.geqrf(torch.tensor(a))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tau.numpy(), their_tau.numpy(), rtol=1e-12, atol=1e-14)
    if shape[-2] >= shape[-1]:  # Q from the reflections, as torch.linalg.householder_product does
        q = anynn.linalg.householder_product(ours, tau).numpy()
        r = np.triu(ours.numpy())[..., :shape[-1], :]
        np.testing.assert_allclose(q @ r, a, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("left", "transpose", "complex_"), [(True, False, False), (False, True, False),
                                                              (True, True, True), (False, False, True)], ids=str)
def test_ormqr_orgqr_geqrf_as_torch(backend, left, transpose, complex_):
    """torch.ormqr (op(Q) C or C op(Q) from geqrf's reflectors), torch.orgqr, torch.geqrf (real and complex) and
    their Tensor methods (missing before: AttributeError): values and the gradients in input, tau and C against
    PyTorch's."""
    rng = np.random.default_rng(9)
    draw = (lambda *s: rng.standard_normal(s) + 1j * rng.standard_normal(s)) if complex_ else (
        lambda *s: rng.standard_normal(s))
    reflectors, tau = (t.numpy() for t in torch.geqrf(torch.tensor(draw(4, 3))))
    c, w = draw(*((4, 2) if left else (2, 4))), draw(*((4, 2) if left else (2, 4)))
    grads = []
    for lib, tensor in ((anynn, lambda a: make(backend, a, requires_grad=True)),
                        (torch, lambda a: torch.tensor(a, requires_grad=True))):
        inputs = [tensor(reflectors), tensor(tau), tensor(c)]
        out = lib.ormqr(*inputs, left=left, transpose=transpose)
        np.testing.assert_allclose(out.detach().numpy() if lib is torch else out.numpy(),
                                   inputs[0].ormqr(inputs[1], inputs[2], left, transpose).detach().numpy())
        grads.append([g.detach().resolve_conj().numpy() if lib is torch else g.numpy()
                      for g in lib.autograd.grad((out * tensor(w).detach()).real.sum(), inputs)])
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    a = draw(4, 3)  # (a complex A was refused by geqrf before)
    for ours, theirs in zip(make(backend, a).geqrf(), torch.geqrf(torch.tensor(a))):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(make(backend, reflectors).orgqr(make(backend, tau)).numpy(),
                               torch.orgqr(torch.tensor(reflectors), torch.tensor(tau)).numpy(), rtol=1e-12)
