"""``linalg.cholesky_ex``, ``inv_ex``, ``solve_ex``, ``lu_factor`` and ``lu_factor_ex`` against PyTorch on every
backend: values, LAPACK's ``info`` codes and pivots, ``check_errors``, gradients (and LU's second derivatives); and
the solvers built on them (``linalg.cond``, ``tensorinv``, ``tensorsolve``, ``vander``, ``lu_solve``,
``torch.lu_solve``, ``torch.triangular_solve``): values and gradients."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.testing import gradgrad_check
from tests.helpers import check_gradients, make

R = np.random.default_rng(11)
# a batch mixing a positive-definite, an indefinite, a zero, a singular rank-1 and a pivoting-needing matrix
MIXED = np.array([[[4.0, 2.0, 0.5], [2.0, 3.0, 0.2], [0.5, 0.2, 2.0]],
                  [[1.0, 2.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                  [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 0.0]],
                  [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 1.0, 1.0]],
                  [[0.0, 1.0, 2.0], [3.0, 0.5, 1.0], [1.0, 2.0, 0.0]]])


def _both(backend, array):
    return make(backend, array), torch.tensor(array)


def _ok(info: np.ndarray) -> np.ndarray:
    return info == 0


@pytest.mark.parametrize("upper", [False, True])
def test_cholesky_ex_info_and_factor_as_torch(backend, upper):
    ours, theirs = _both(backend, MIXED)
    factor, info = anynn.linalg.cholesky_ex(ours, upper=upper)
    ref, ref_info = torch.linalg.cholesky_ex(theirs, upper=upper)
    np.testing.assert_array_equal(info.numpy(), ref_info.numpy())
    assert info.dtype == anynn.int32 and ref_info.dtype == torch.int32
    ok = _ok(ref_info.numpy())
    np.testing.assert_allclose(factor.numpy()[ok], ref.numpy()[ok], rtol=1e-12, atol=1e-12)
    assert np.isnan(factor.numpy()[~ok]).all()  # PyTorch: LAPACK's partial factor (docs/differences.md)


def test_inv_ex_and_solve_ex_info_and_values_as_torch(backend):
    ours, theirs = _both(backend, MIXED)
    inverse, info = anynn.linalg.inv_ex(ours)
    ref, ref_info = torch.linalg.inv_ex(theirs)
    np.testing.assert_array_equal(info.numpy(), ref_info.numpy())
    ok = _ok(ref_info.numpy())
    np.testing.assert_allclose(inverse.numpy()[ok], ref.numpy()[ok], rtol=1e-10, atol=1e-12)
    b = R.standard_normal((5, 3, 2))
    result, info = anynn.linalg.solve_ex(ours, make(backend, b))
    ref, ref_info = torch.linalg.solve_ex(theirs, torch.tensor(b))
    np.testing.assert_array_equal(info.numpy(), ref_info.numpy())
    np.testing.assert_allclose(result.numpy()[ok], ref.numpy()[ok], rtol=1e-10, atol=1e-12)
    vector = R.standard_normal(3)  # a vector B against one matrix, and left=False
    np.testing.assert_allclose(anynn.linalg.solve_ex(ours[0], make(backend, vector)).result.numpy(),
                               torch.linalg.solve_ex(theirs[0], torch.tensor(vector)).result.numpy(), rtol=1e-10)
    np.testing.assert_allclose(anynn.linalg.solve_ex(ours[4], make(backend, b[0].T), left=False).result.numpy(),
                               torch.linalg.solve_ex(theirs[4], torch.tensor(b[0].T), left=False).result.numpy(),
                               rtol=1e-10)


@pytest.mark.parametrize("shape", [(5, 3, 3), (4, 4), (2, 3, 5), (2, 5, 3), (1, 1)], ids=str)
def test_lu_factor_ex_as_torch(backend, shape):
    a = MIXED if shape == (5, 3, 3) else R.standard_normal(shape)
    ours, theirs = _both(backend, a)
    lu, pivots, info = anynn.linalg.lu_factor_ex(ours)
    ref_lu, ref_pivots, ref_info = torch.linalg.lu_factor_ex(theirs)
    np.testing.assert_allclose(lu.numpy(), ref_lu.numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(pivots.numpy(), ref_pivots.numpy())
    np.testing.assert_array_equal(info.numpy(), ref_info.numpy())
    assert pivots.dtype == anynn.int32 and info.dtype == anynn.int32


def test_lu_factor_without_pivoting_reconstructs_a(backend):
    # PyTorch has pivot=False on CUDA only; anynn everywhere: A = L U with no row exchanges
    a = R.standard_normal((2, 4, 4)) + 4 * np.eye(4)
    lu, pivots, _ = anynn.linalg.lu_factor_ex(make(backend, a), pivot=False)
    packed = lu.numpy()
    lower, upper = np.tril(packed, -1) + np.eye(4), np.triu(packed)
    np.testing.assert_allclose(lower @ upper, a, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(pivots.numpy(), np.tile(np.arange(1, 5, dtype=np.int32), (2, 1)))


@pytest.mark.parametrize("shape", [(2, 4, 4), (2, 3, 5), (2, 5, 3)], ids=str)
def test_lu_factor_gradients_as_torch(backend, shape):
    """Square, wide and tall (non-square: NotImplementedError before) against PyTorch's linalg_lu_backward."""
    a, w = R.standard_normal(shape), R.standard_normal(shape)
    ours = make(backend, a, requires_grad=True)
    theirs = torch.tensor(a, requires_grad=True)
    lu, pivots = anynn.linalg.lu_factor(ours)
    ref, ref_pivots = torch.linalg.lu_factor(theirs)
    (lu * make(backend, w)).sum().backward()
    (ref * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(lu.numpy(), ref.detach().numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(pivots.numpy(), ref_pivots.numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-10)
    check_gradients(backend, lambda x: anynn.linalg.lu_factor(x).LU, a[0])
    assert gradgrad_check(lambda x: anynn.linalg.lu_factor(x).LU, make(backend, a[1], requires_grad=True))


def test_ex_gradients(backend):
    a, b = R.standard_normal((3, 3)), R.standard_normal((3, 2))
    # cholesky reads one triangle: check it on A Aᵀ + I, whose perturbations stay symmetric
    check_gradients(backend, lambda x: anynn.linalg.cholesky_ex(x @ x.mT + anynn.eye(3, backend=x.backend,
                                                                                        dtype=x.dtype)).L, a)
    check_gradients(backend, lambda x: anynn.linalg.inv_ex(x).inverse, a + 3 * np.eye(3))
    check_gradients(backend, lambda x, y: anynn.linalg.solve_ex(x, y).result, a + 3 * np.eye(3), b)
    # against torch, through a batch with a failed matrix: the others' gradients are unchanged by it
    batch = np.stack([a @ a.T + np.eye(3), -np.eye(3)])
    ours = make(backend, batch, requires_grad=True)
    theirs = torch.tensor(batch, requires_grad=True)
    anynn.linalg.cholesky_ex(ours).L[0].sum().backward()
    torch.linalg.cholesky_ex(theirs).L[0].sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, call", [
    ("cholesky_ex", lambda L, a: L.linalg.cholesky_ex(a, check_errors=True)),
    ("inv_ex", lambda L, a: L.linalg.inv_ex(a, check_errors=True)),
    ("solve_ex", lambda L, a: L.linalg.solve_ex(a, a, check_errors=True)),
    ("lu_factor_ex", lambda L, a: L.linalg.lu_factor_ex(a, check_errors=True)),
    ("lu_factor", lambda L, a: L.linalg.lu_factor(a)),
])
def test_check_errors_raise_as_torch(backend, name, call):
    ours, theirs = _both(backend, MIXED[1:])
    with pytest.raises(RuntimeError) as expected:
        call(torch, theirs)
    with pytest.raises(anynn.linalg.LinAlgError) as found:
        call(anynn, ours)
    assert str(found.value).startswith(f"linalg.{name}: (Batch element ")
    # the same failed matrix and the same words after PyTorch's prefix
    assert str(found.value).split("(Batch element ", 1)[1] == str(expected.value).split("(Batch element ", 1)[1]


def test_refusals_name_the_function():
    with pytest.raises(RuntimeError, match="linalg.cholesky_ex: A must be batches of square matrices"):
        anynn.linalg.cholesky_ex(anynn.ones(2, 3, dtype=anynn.float64))
    with pytest.raises(RuntimeError, match="linalg.lu_factor: Expected a floating point"):
        anynn.linalg.lu_factor(anynn.ones(2, 2, dtype=anynn.int64))


def test_lu_warns_of_its_deprecation_once_as_pytorch(monkeypatch):
    """torch.lu / Tensor.lu warn once per process that linalg.lu_factor replaces them (anynn was silent)."""
    linalg_ex = importlib.import_module("anynn.functional.linalg_ex")
    monkeypatch.setattr(linalg_ex, "_lu_warned", [False])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        anynn.eye(2).lu(), anynn.lu(anynn.eye(2))
    assert [(w.category, str(w.message)) for w in caught] == [(UserWarning, linalg_ex.LU_DEPRECATION)]
    assert linalg_ex.LU_DEPRECATION.startswith("torch.lu is deprecated in favor of torch.linalg.lu_factor / torch.")


@pytest.mark.filterwarnings("ignore:torch.lu is deprecated")
@pytest.mark.parametrize("shape", [(5, 3, 3), (4, 4), (2, 3, 5), (2, 5, 3)], ids=str)
def test_lu_unpack_and_lu_as_torch(backend, shape):
    a = MIXED if shape == (5, 3, 3) else R.standard_normal(shape)
    ours, theirs = _both(backend, a)
    found = anynn.lu_unpack(*ours.lu())  # Glow's Invertible1x1Conv: torch.lu_unpack(*Q.lu())
    expected = torch.lu_unpack(*torch.linalg.lu_factor_ex(theirs)[:2])
    for name, x, y in zip("PLU", found, expected):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-12, atol=1e-12, err_msg=name)
        assert x.dtype == ours.dtype
    for name, x, y in zip("PLU", anynn.linalg.lu(ours), torch.linalg.lu(theirs)):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-12, atol=1e-12, err_msg=f"linalg.lu {name}")
    np.testing.assert_allclose((found.P @ found.L @ found.U).numpy(), a, rtol=1e-12, atol=1e-12)
    lu_, pivots, info = anynn.lu(ours, get_infos=True)
    np.testing.assert_array_equal(info.numpy(), torch.linalg.lu_factor_ex(theirs).info.numpy())
    p_only, l_none, _ = anynn.lu_unpack(lu_, pivots, unpack_data=False)
    assert tuple(l_none.shape) == (0,) and tuple(p_only.shape) == tuple(expected.P.shape)


def test_linalg_lu_gradients_as_torch(backend):
    a, w = R.standard_normal((2, 4, 4)), R.standard_normal((2, 4, 4))
    ours, theirs = make(backend, a, requires_grad=True), torch.tensor(a, requires_grad=True)
    _, lower, upper = anynn.linalg.lu(ours)
    _, ref_lower, ref_upper = torch.linalg.lu(theirs)
    ((lower + upper) * make(backend, w)).sum().backward()
    ((ref_lower + ref_upper) * torch.tensor(w)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-9, atol=1e-10)
    check_gradients(backend, lambda x: anynn.linalg.lu(x).L + anynn.linalg.lu(x).U, a[0])
    with pytest.raises(TypeError, match="lu_unpack: LU_pivots must be an integer Tensor"):
        anynn.lu_unpack(ours.detach(), ours.detach()[..., 0])


# -- cond, tensorinv, tensorsolve, vander, lu_solve, torch.lu_solve, torch.triangular_solve ---------------
SQUARE = R.standard_normal((2, 3, 3)) + 2.0 * np.eye(3)
RIGHT = R.standard_normal((2, 3, 2))
UPPER = np.triu(R.standard_normal((3, 3))) + 2.0 * np.eye(3)
SOLVERS = {  # (call(lib, *tensors), inputs, differentiable inputs)
    "cond": (lambda m, a: m.linalg.cond(a), [SQUARE]),
    "cond_wide": (lambda m, a: m.linalg.cond(a[:, :2], -2), [SQUARE]),
    "cond_fro": (lambda m, a: m.linalg.cond(a, "fro"), [SQUARE]),
    "cond_1": (lambda m, a: m.linalg.cond(a, 1), [SQUARE]),
    "cond_inf": (lambda m, a: m.linalg.cond(a, -np.inf), [SQUARE]),
    "tensorinv": (lambda m, a: m.linalg.tensorinv(a.reshape(6, 3, 2), 1), [np.concatenate([SQUARE, SQUARE.mT])]),
    "tensorsolve": (lambda m, a, b: m.linalg.tensorsolve(a.reshape(3, 2, 6), b.reshape(3, 2)),
                    [R.standard_normal((6, 6)) + 3.0 * np.eye(6), RIGHT[0]]),
    "tensorsolve_dims": (lambda m, a, b: m.linalg.tensorsolve(a.reshape(6, 3, 2), b.reshape(3, 2), dims=(0,)),
                         [R.standard_normal((6, 6)) + 3.0 * np.eye(6), RIGHT[0]]),
    "vander": (lambda m, x: m.linalg.vander(x), [R.standard_normal((2, 4))]),
    "vander_N": (lambda m, x: m.linalg.vander(x, N=2), [R.standard_normal(3)]),
    "lu_solve": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b), [SQUARE, RIGHT]),
    "lu_solve_adjoint": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b, adjoint=True), [SQUARE, RIGHT]),
    "lu_solve_right": (lambda m, a, b: m.linalg.lu_solve(*m.linalg.lu_factor(a), b.mT, left=False), [SQUARE, RIGHT]),
    "torch.lu_solve": (lambda m, a, b: m.lu_solve(b, *m.linalg.lu_factor(a)), [SQUARE, RIGHT]),
    "triangular_solve": (lambda m, a, b: m.triangular_solve(b, a)[0], [UPPER, RIGHT[0]]),
    "triangular_solve_lower_transposed": (lambda m, a, b: m.triangular_solve(b, a.mT, False, True, True)[0],
                                          [UPPER, RIGHT[0]]),
    "tensorsolve_other_shape": (lambda m, a, b: m.linalg.tensorsolve(a.reshape(3, 2, 6), b.reshape(2, 3)),
                                [np.arange(36.0).reshape(6, 6) / 36 + 3.0 * np.eye(6), RIGHT[0]]),  # (no draw)
    "vander_number": (lambda m, x: m.linalg.vander(x[1], N=3), [np.array([0.7, -1.3])]),
}


@pytest.mark.parametrize("name", sorted(SOLVERS))
def test_linalg_solvers_match_torch_with_gradients(backend, name):
    call, inputs = SOLVERS[name]
    ours = [make(backend, a, requires_grad=True) for a in inputs]
    theirs = [torch.tensor(a, requires_grad=True) for a in inputs]
    out, reference = call(anynn, *ours), call(torch, *theirs)
    np.testing.assert_allclose(out.detach().numpy(), reference.detach().numpy(), rtol=1e-10, atol=1e-12)
    if name in ("cond_fro", "cond_1", "cond_inf"):
        # PyTorch 2.13's backward of these raises (linalg.cond writes into inv_ex's output in place): one is
        # checked numerically
        if name == "cond_fro":
            check_gradients(backend, lambda *t: call(anynn, *t), *inputs)
        return
    weights = R.standard_normal(tuple(reference.shape))
    (out * make(backend, weights)).sum().backward()
    (reference * torch.tensor(weights)).sum().backward()
    for a, t in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-11)
    if name in ("cond", "lu_solve_right"):
        check_gradients(backend, lambda *t: call(anynn, *t), *inputs)


def test_linalg_solvers_edges_as_torch(backend):
    singular = np.array([[[1.0, 0.0], [0.0, 0.0]], [[2.0, 1.0], [0.0, 1.0]]])
    for p in (None, -2, "fro", "nuc", 1, np.inf):
        np.testing.assert_allclose(anynn.linalg.cond(make(backend, singular), p).numpy(),
                                   torch.linalg.cond(torch.tensor(singular), p).numpy(), rtol=1e-12)
    triangle = anynn.triangular_solve(make(backend, RIGHT[0]), make(backend, UPPER))
    assert triangle.cloned_coefficient is not None and triangle.solution.shape == (3, 2)
    for lib, wrap in ((torch, torch.tensor), (anynn, lambda v: make(backend, v))):
        with pytest.raises(RuntimeError, match="prod"):
            lib.linalg.tensorinv(wrap(np.ones((2, 3))), 1)
        with pytest.raises(RuntimeError):
            lib.linalg.cond(wrap(SQUARE), 3)
    np.testing.assert_array_equal(anynn.linalg.vander(make(backend, np.array([1, 2, 3])), N=4).numpy(),
                                  torch.linalg.vander(torch.tensor([1, 2, 3]), N=4).numpy())
    # smaller integers count in int64, as PyTorch's cumulative product (uint8 wrapped 16 ** 2 to 0 before)
    powers = anynn.linalg.vander(make(backend, np.array([2, 16], np.uint8)), N=3)
    assert powers.dtype == anynn.int64 and powers.numpy()[1, 2] == 256


# a batch of exact rank 3 (tall and, transposed, wide): the randomized sketch then finds the exact triplets
RANK3 = R.standard_normal((2, 7, 3)) @ R.standard_normal((2, 3, 5))


RANK3_COMPLEX = (R.standard_normal((2, 7, 3)) + 1j * R.standard_normal((2, 7, 3))) @ (
    R.standard_normal((2, 3, 5)) + 1j * R.standard_normal((2, 3, 5)))


@pytest.mark.parametrize(("wide", "complex_"), [(False, False), (True, False), (True, True)], ids=str)
def test_svd_and_pca_lowrank_match_torch_on_low_rank_matrices(backend, wide, complex_):
    """(complex matrices were refused before, where PyTorch computes them)"""
    values = RANK3_COMPLEX if complex_ else RANK3
    values = np.conj(values.transpose(0, 2, 1)) if wide else values
    ours, theirs = make(backend, values, requires_grad=True), torch.tensor(values, requires_grad=True)
    U, S, V = anynn.svd_lowrank(ours, q=4)
    tU, tS, tV = torch.svd_lowrank(theirs, q=4)
    assert (U.shape, S.shape, V.shape) == (tuple(tU.shape), tuple(tS.shape), tuple(tV.shape))
    np.testing.assert_allclose(S.detach().numpy(), tS.detach().numpy(), rtol=1e-10, atol=1e-10)
    rebuilt = (U * S.unsqueeze(-2)) @ V.mH
    np.testing.assert_allclose(rebuilt.detach().numpy(), values, atol=1e-10)
    # the leading singular values' gradient (u v^T) does not depend on the sketch (up to the rounding that the
    # fourth, zero, singular value brings into both libraries' SVD backward: ~1e-8 relative)
    S[..., :3].sum().backward()
    tS[..., :3].sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.resolve_conj().numpy(), rtol=1e-6, atol=1e-8)
    pU, pS, pV = anynn.pca_lowrank(make(backend, values))
    tpU, tpS, tpV = torch.pca_lowrank(torch.tensor(values))
    assert pU.shape == tuple(tpU.shape) and pV.shape == tuple(tpV.shape)
    np.testing.assert_allclose(pS.numpy()[..., :3], tpS.numpy()[..., :3], rtol=1e-10)
    for lib, wrap in ((torch, torch.tensor), (anynn, lambda v: make(backend, v))):
        with pytest.raises(ValueError, match="must be non-negative integer and not greater than"):
            lib.pca_lowrank(wrap(values), q=9)


def _symmetric(shape: tuple[int, ...], complex_: bool, hermitian: bool) -> np.ndarray:
    a = R.standard_normal(shape) + (1j * R.standard_normal(shape) if complex_ else 0)
    a = a + (np.conj(np.swapaxes(a, -1, -2)) if hermitian else np.swapaxes(a, -1, -2))
    a[..., 0, 0] = 0  # a zero first pivot: Bunch-Kaufman takes a 2x2 block (negative pivots)
    return a


# (id, A, hermitian): 1x1 and 2x2 pivots, batches, complex symmetric and Hermitian (LAPACK's |re|+|im| choices),
# a zero matrix (info 1), a 1x1 matrix
LDL_CASES = [("indefinite_batch", _symmetric((3, 5, 5), False, False), False),
             ("mixed", MIXED + np.swapaxes(MIXED, -1, -2), False),
             ("complex_symmetric", _symmetric((2, 4, 4), True, False), False),
             ("complex_hermitian", _symmetric((2, 4, 4), True, True), True),
             ("real_hermitian_flag", _symmetric((4, 4), False, False), True),
             ("one_by_one", np.array([[-3.0]]), False),
             # reshapes with -1 beside a size-0 axis failed: 0x0 matrices, an empty batch
             ("zero_by_zero", np.zeros((2, 0, 0)), False), ("empty_batch", np.zeros((0, 3, 3)), False)]


@pytest.mark.parametrize("name, a, hermitian", LDL_CASES, ids=[c[0] for c in LDL_CASES])
def test_ldl_factor_and_solve_as_torch(backend, name, a, hermitian):
    """linalg.ldl_factor/ldl_factor_ex/ldl_solve were missing: LD, pivots and info as LAPACK's sytrf/hetrf gives
    them through PyTorch, and the solve against PyTorch's (no gradient, as PyTorch has none)."""
    ours, theirs = _both(backend, a)
    found, expected = anynn.linalg.ldl_factor_ex(ours, hermitian=hermitian), torch.linalg.ldl_factor_ex(
        theirs, hermitian=hermitian)
    np.testing.assert_allclose(found.LD.numpy(), expected.LD.numpy(), rtol=1e-10, atol=1e-12)
    for mine, reference in ((found.pivots, expected.pivots), (found.info, expected.info)):
        assert mine.numpy().dtype == np.int32 and np.array_equal(mine.numpy(), reference.numpy())
    pair = anynn.linalg.ldl_factor(ours, hermitian=hermitian)
    assert np.array_equal(pair.LD.numpy(), found.LD.numpy()) and not pair.LD.requires_grad
    if not np.all(expected.info.numpy() == 0):
        return
    b = R.standard_normal(a.shape[:-1] + (2,)).astype(a.dtype)
    solved = anynn.linalg.ldl_solve(found.LD, found.pivots, make(backend, b), hermitian=hermitian)
    reference = torch.linalg.ldl_solve(expected.LD, expected.pivots, torch.tensor(b), hermitian=hermitian)
    np.testing.assert_allclose(solved.numpy(), reference.numpy(), rtol=1e-9, atol=1e-10)


def test_ldl_refusals_as_torch(backend):
    with pytest.raises(RuntimeError, match="square"):
        anynn.linalg.ldl_factor(make(backend, np.zeros((2, 3))))
    with pytest.raises(RuntimeError):
        torch.linalg.ldl_factor(torch.zeros(2, 3))
    ld, pivots = anynn.linalg.ldl_factor(make(backend, np.eye(3)))
    with pytest.raises(RuntimeError, match="ldl_solve"):
        anynn.linalg.ldl_solve(ld, pivots, make(backend, np.ones((2, 1))))
    with pytest.raises(RuntimeError, match="ldl_factor_ex"):
        anynn.linalg.ldl_factor_ex(make(backend, np.zeros((2, 2))), check_errors=True)
    with pytest.raises(RuntimeError):
        torch.linalg.ldl_factor_ex(torch.zeros(2, 2), check_errors=True)
