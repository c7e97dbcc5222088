"""``anynn.linalg`` decompositions and triangular solves (anynn.functional.cholesky, anynn.functional.spectral):
forward values and gradients against PyTorch in float32 and float64 and float64 gradient checks on every backend
(one table), second derivatives by central differences, and PyTorch's refusals. Vector-valued results enter the
table through functions that do not depend on the library's choice of signs (``V * V``, ``U diag(S) Vh``)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.testing import gradgrad_check

from tests.helpers import case_table_tests, make

pytestmark = [pytest.mark.jax, pytest.mark.filterwarnings("ignore::UserWarning")]  # torch.svd/qr/cholesky deprecated

R = np.random.default_rng(11)
SQUARE = R.standard_normal((2, 3, 3))
TRIANGULAR = SQUARE + 3 * np.eye(3)
SPD = SQUARE @ np.swapaxes(SQUARE, -1, -2) + 3 * np.eye(3)
RHS = R.standard_normal((2, 3, 2))
TALL, WIDE = R.standard_normal((2, 4, 3)), R.standard_normal((3, 5))


def _eye_like(lib, a):
    return lib.ones_like(a).tril().triu()  # identity matrices of a's batch, backend and dtype


def _sym(lib, a):
    return a + a.mT


def _eigh(lib, a):
    w, v = lib.linalg.eigh(_sym(lib, a))
    return w.unsqueeze(-2) * v * v  # column j scaled by w_j: each eigenpair counts


def _svd(full):
    def fn(lib, a):
        u, s, vh = lib.linalg.svd(a, full_matrices=full)
        k = s.shape[-1]
        rebuilt = (u[..., :, :k] * s.unsqueeze(-2)) @ vh[..., :k, :]
        return (u[..., :, :k] ** 2).sum(-1, keepdim=True) * rebuilt.sin() + (vh[..., :k, :] ** 2).sum(-2, keepdim=True)
    return fn


def _qr(mode):
    def fn(lib, a):
        q, r = lib.linalg.qr(a, mode=mode)
        return q.sum(-1, keepdim=True) * r[..., :1, :] + (r * r).sum(-2, keepdim=True)
    return fn


def _solve_triangular(upper, left, unitriangular):
    def fn(lib, a, b):
        return lib.linalg.solve_triangular(a, b, upper=upper, left=left, unitriangular=unitriangular)
    return fn


CASES = [
    (f"solve_triangular_{'upper' if upper else 'lower'}_{'left' if left else 'right'}{'_unit' if unit else ''}",
     _solve_triangular(upper, left, unit), [TRIANGULAR, RHS if left else np.swapaxes(RHS, -1, -2)])
    for upper in (False, True) for left in (True, False) for unit in (False, True)
] + [
    ("solve_triangular_broadcast", _solve_triangular(True, True, False), [TRIANGULAR[0], RHS]),
    ("cholesky", lambda lib, a: lib.linalg.cholesky(a @ a.mT + 3 * _eye_like(lib, a)), [SQUARE]),
    ("cholesky_upper", lambda lib, a: lib.linalg.cholesky(a @ a.mT + 3 * _eye_like(lib, a), upper=True), [SQUARE]),
    ("cholesky_solve", lambda lib, b, a: lib.cholesky_solve(b, lib.linalg.cholesky(a @ a.mT + 3 * _eye_like(lib, a))),
     [RHS, SQUARE]),
    ("eigh", _eigh, [SQUARE]),
    ("eigvalsh", lambda lib, a: lib.linalg.eigvalsh(_sym(lib, a)), [SQUARE]),
    ("svd_tall", _svd(False), [TALL]), ("svd_wide", _svd(False), [WIDE]),
    ("svd_full_tall", _svd(True), [TALL]), ("svd_full_wide", _svd(True), [WIDE]),
    ("svdvals", lambda lib, a: lib.linalg.svdvals(a), [TALL]),
    ("qr_tall", _qr("reduced"), [TALL]), ("qr_wide", _qr("reduced"), [WIDE]), ("qr_square", _qr("reduced"), [SQUARE]),
    ("qr_complete_wide", _qr("complete"), [WIDE]),
    ("logdet", lambda lib, a: lib.logdet(a @ a.mT + _eye_like(lib, a)), [SQUARE]),
    ("pinv_tall", lambda lib, a: lib.linalg.pinv(a), [TALL]), ("pinv_wide", lambda lib, a: lib.linalg.pinv(a), [WIDE]),
    ("pinv_atol", lambda lib, a: lib.linalg.pinv(a, atol=1e-3), [TALL]),
    ("pinv_hermitian", lambda lib, a: lib.linalg.pinv(_sym(lib, a), hermitian=True), [SQUARE]),
    ("matrix_power_5", lambda lib, a: lib.linalg.matrix_power(a, 5), [SQUARE]),
    ("matrix_power_inverse", lambda lib, a: lib.linalg.matrix_power(a, -2), [TRIANGULAR]),
    ("lstsq", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [TALL, R.standard_normal((2, 4, 2))]),
    ("lstsq_wide_vector", lambda lib, a, b: lib.linalg.lstsq(a, b).solution, [WIDE, R.standard_normal(3)]),
    # the top-level and Tensor-method spellings (torch.svd's V, torch.qr's some, torch.cholesky's upper...)
    ("T_logdet", lambda lib, a: (a @ a.mT + _eye_like(lib, a)).logdet(), [SQUARE]),
    ("T_matrix_power", lambda lib, a: a.matrix_power(3) + lib.matrix_power(a, -1), [TRIANGULAR]),
    ("T_pinverse", lambda lib, a: a.pinverse() + lib.pinverse(a, rcond=1e-3), [TALL]),
    ("T_matrix_exp", lambda lib, a: a.matrix_exp() + lib.matrix_exp(a.mT * 0.5), [SQUARE]),
    ("T_svd", lambda lib, a: (lambda u, s, v: (u * s.unsqueeze(-2)) @ v.mT * (u ** 2).sum(-1, keepdim=True))(
        *lib.svd(a)), [TALL]),
    ("T_svd_all", lambda lib, a: a.svd(some=False).V[..., :3] ** 2, [WIDE]),  # the rest: any basis of the null space
    ("T_qr", lambda lib, a: lib.qr(a).Q * a.qr(some=False).R.sum(-1).unsqueeze(-2), [SQUARE]),
    ("T_cholesky", lambda lib, a: lib.cholesky(a @ a.mT + _eye_like(lib, a), upper=True), [SQUARE]),
    ("T_cholesky_inverse", lambda lib, a: lib.cholesky_inverse(
        lib.linalg.cholesky(a @ a.mT + _eye_like(lib, a))), [SQUARE]),
    ("T_cholesky_solve", lambda lib, b, a: b.cholesky_solve(lib.linalg.cholesky(a @ a.mT + _eye_like(lib, a)).mT,
                                                            upper=True), [RHS, SQUARE]),
]

test_gradients, test_matches_torch = case_table_tests(CASES)

SECOND_ORDER = ["solve_triangular_upper_left", "solve_triangular_lower_right_unit", "cholesky", "cholesky_solve",
                "eigh", "svd_tall", "svd_full_wide", "qr_tall", "qr_wide", "pinv_wide", "pinv_hermitian"]


@pytest.mark.parametrize("name", SECOND_ORDER)
def test_second_derivatives(backend, name):
    _, fn, arrays = next(case for case in CASES if case[0] == name)
    assert gradgrad_check(lambda *t: fn(anynn, *t), *(make(backend, a, requires_grad=True) for a in arrays))


def test_result_tuples_and_shapes_as_torch(backend):
    a = make(backend, TALL)
    for ours, theirs in [(anynn.linalg.svd(a), torch.linalg.svd(torch.tensor(TALL))),
                         (anynn.linalg.svd(a, full_matrices=False),
                          torch.linalg.svd(torch.tensor(TALL), full_matrices=False)),
                         (anynn.linalg.qr(a), torch.linalg.qr(torch.tensor(TALL))),
                         (anynn.linalg.qr(a, mode="complete"), torch.linalg.qr(torch.tensor(TALL), mode="complete")),
                         (anynn.linalg.qr(a, mode="r"), torch.linalg.qr(torch.tensor(TALL), mode="r")),
                         (anynn.linalg.eigh(make(backend, SPD)), torch.linalg.eigh(torch.tensor(SPD)))]:
        assert ours._fields == tuple(type(theirs)._fields if hasattr(type(theirs), "_fields") else ours._fields)
        assert [tuple(x.shape) for x in ours] == [tuple(x.shape) for x in theirs]
    r = anynn.linalg.qr(make(backend, TALL), mode="r").R
    np.testing.assert_allclose(abs(r.numpy()), abs(torch.linalg.qr(torch.tensor(TALL)).R.numpy()), rtol=1e-10)


def test_qr_backward_refusals_as_torch(backend):
    for mode, shape, message in [("r", (3, 3), "depends on Q, which is not computed when mode='r'"),
                                 ("complete", (4, 3), "not differentiable when mode='complete' and nrows > ncols")]:
        x = R.standard_normal(shape)
        with pytest.raises(RuntimeError, match=message):
            torch.linalg.qr(torch.tensor(x, requires_grad=True), mode=mode)[1].sum().backward()
        with pytest.raises(RuntimeError, match=f"linalg.qr: .*{message}"):
            anynn.linalg.qr(make(backend, x, requires_grad=True), mode=mode)[1].sum().backward()


def test_cholesky_refuses_indefinite(backend):
    indefinite = np.diag([1.0, -1.0, 2.0])
    with pytest.raises(RuntimeError, match="not positive-definite"):
        torch.linalg.cholesky(torch.tensor(indefinite))
    try:
        factor = anynn.linalg.cholesky(make(backend, indefinite))
    except RuntimeError as error:
        assert str(error).startswith("linalg.cholesky: The factorization could not be completed because the input "
                                     "is not positive-definite")
        assert isinstance(error, anynn.linalg.LinAlgError)  # PyTorch's torch.linalg.LinAlgError (a plain one before)
    else:  # a library that does not raise (JAX) gives NaN, as documented
        assert np.isnan(factor.numpy()).any()


@pytest.mark.parametrize("name", ["cholesky", "eigh", "eigvalsh", "solve_triangular"])
def test_refusals_as_torch(backend, name):
    def call(lib, a):
        fn = getattr(lib.linalg, name)
        return fn(a, a, upper=False) if name == "solve_triangular" else fn(a)

    for bad, message in [(np.zeros((3, 4)), "A must be batches of square matrices, but they are 3 by 4 matrices"),
                         (np.zeros(3), "The input tensor A must have at least 2 dimensions"),
                         (np.zeros((2, 2), dtype=np.int64), "Expected a floating point or complex tensor as input")]:
        # PyTorch's kernels refuse integers themselves here: "linalg_eigh_cpu" not implemented for 'Long'
        kernel = bad.dtype.kind == "i" and name != "cholesky"
        refusal = "not implemented for 'Long'" if kernel else message
        with pytest.raises((NotImplementedError, RuntimeError), match=refusal):
            call(torch, torch.tensor(bad))
        with pytest.raises(RuntimeError, match=f"linalg.{name}: {message}"):
            call(anynn, make(backend, bad))


def test_matrix_refusals_as_torch(backend):
    for name in ("svd", "qr"):
        for bad, message in [(np.zeros(3), "The input tensor A must have at least 2 dimensions"),
                             (np.zeros((2, 2), dtype=np.int64), "Expected a floating point or complex tensor")]:
            with pytest.raises(RuntimeError, match=message):
                getattr(torch.linalg, name)(torch.tensor(bad))
            with pytest.raises(RuntimeError, match=f"linalg.{name}: {message}"):
                getattr(anynn.linalg, name)(make(backend, bad))
    with pytest.raises(RuntimeError, match="unrecognized mode 'full'"):
        anynn.linalg.qr(make(backend, TALL), mode="full")


def test_solve_triangular_refusals_as_torch(backend):
    a, b = make(backend, TRIANGULAR), make(backend, RHS)
    with pytest.raises(RuntimeError, match=r"Incompatible shapes of A and B for the equation XA = B \(3x3 and 3x2\)"):
        anynn.linalg.solve_triangular(a, b, upper=True, left=False)
    with pytest.raises(RuntimeError, match="Incompatible shapes of A and B for the equation XA = B"):
        torch.linalg.solve_triangular(torch.tensor(TRIANGULAR), torch.tensor(RHS), upper=True, left=False)
    # a complex B beside a real A is refused (PyTorch casts it to A's dtype, dropping the imaginary parts with a
    # warning); a B of another real dtype is cast to A's (test_solve_triangular_computes_in_the_dtype_of_a_as_torch)
    with pytest.raises(RuntimeError, match="linalg.solve_triangular: Expected A and B to have the same dtype"):
        anynn.linalg.solve_triangular(a, make(backend, RHS.astype(np.complex128)), upper=True)
    with pytest.raises(TypeError, match="upper"):
        anynn.linalg.solve_triangular(a, b)  # upper is required, as in PyTorch


def test_logdet_of_negative_and_singular_as_torch(backend):
    for matrix in (np.diag([1.0, -2.0, 3.0]), np.diag([1.0, 0.0, 3.0])):
        np.testing.assert_array_equal(anynn.logdet(make(backend, matrix)).numpy(),
                                      torch.logdet(torch.tensor(matrix)).numpy())
    # a batch holding a negative determinant: NaN there with a zero gradient (it got slogdet's inv(A)ᵀ), as PyTorch's
    batch = np.stack([np.diag([1.0, -2.0, 3.0]), [[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]]])
    ours, theirs = make(backend, batch, requires_grad=True), torch.tensor(batch, requires_grad=True)
    out, ref = anynn.logdet(ours), torch.logdet(theirs)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    (out * make(backend, np.array([2.0, 3.0]))).sum().backward()
    (ref * torch.tensor([2.0, 3.0], dtype=torch.float64)).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)
    assert not np.any(ours.grad.numpy()[0])


def test_pinv_of_repeated_singular_values_as_torch(backend):
    """PyTorch's closed-form gradient needs no singular vectors: finite at the identity, where an SVD's is not."""
    ours, theirs = make(backend, np.eye(3), requires_grad=True), torch.eye(3, dtype=torch.float64, requires_grad=True)
    anynn.linalg.pinv(ours).sum().backward()
    torch.linalg.pinv(theirs).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_matrix_rank_and_power_as_torch(backend):
    low = R.standard_normal((2, 4, 2)) @ R.standard_normal((2, 2, 5))  # rank 2
    for options in ({}, {"atol": 1.0}, {"rtol": 0.5}, {"atol": 0.1, "rtol": 0.01}):
        ours = anynn.linalg.matrix_rank(make(backend, low), **options)
        theirs = torch.linalg.matrix_rank(torch.tensor(low), **options)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        assert ours.dtype == anynn.int64
    gram = low[0] @ low[0].T
    assert anynn.linalg.matrix_rank(make(backend, gram), hermitian=True).item() == 2
    # PyTorch's older spellings, positional too: matrix_rank(A, tol) is atol=tol, rtol=0; pinv(A, rcond) is rtol
    # (TypeError 'takes 1 positional argument' before)
    for call in (lambda lib, a: lib.linalg.matrix_rank(a, 1.0), lambda lib, a: lib.linalg.matrix_rank(a, tol=5.0),
                 lambda lib, a: lib.linalg.pinv(a, 0.3), lambda lib, a: lib.linalg.pinv(a, rcond=0.3)):
        np.testing.assert_allclose(call(anynn, make(backend, low)).numpy(), call(torch, torch.tensor(low)).numpy(),
                                   rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(anynn.linalg.matrix_power(make(backend, SQUARE), 0).numpy(),
                                  torch.linalg.matrix_power(torch.tensor(SQUARE), 0).numpy())
    with pytest.raises(TypeError, match="linalg.matrix_power: n must be an int"):
        anynn.linalg.matrix_power(make(backend, SQUARE), 1.5)
    with pytest.raises(RuntimeError, match="linalg.pinv: A must be batches of square matrices when hermitian=True"):
        anynn.linalg.pinv(make(backend, TALL), hermitian=True)
    # empty matrices with hermitian= or atol= (the largest singular value of none raised ValueError), as PyTorch's
    for shape, options in (((2, 0, 0), dict(hermitian=True)), ((3, 0), dict(atol=0.1))):
        assert anynn.linalg.pinv(make(backend, np.zeros(shape)), **options).shape == tuple(
            torch.linalg.pinv(torch.zeros(shape), **options).shape)
    # a batch of none, 0 x 0 matrices: PyTorch's empty results and zeros (anynn: NumPy's ValueError, IndexError)
    for call in (lambda lib, a: lib.linalg.matrix_exp(a), lambda lib, a: lib.linalg.cond(a),
                 lambda lib, a: lib.linalg.cond(a, "fro"), lambda lib, a: lib.linalg.matrix_norm(a, 2)):
        for shape in ((0, 3, 3), (2, 0, 0)):
            np.testing.assert_array_equal(call(anynn, make(backend, np.zeros(shape))).numpy(),
                                          call(torch, torch.zeros(shape, dtype=torch.float64)).numpy())


@pytest.mark.parametrize("n", [0, 1])
def test_matrix_power_zero_and_one_stay_on_the_graph_as_torch(backend, n):
    """A**0 (the identity) and A**1 are functions of A as in PyTorch: they require grad (gradient zeros for n = 0)
    and A**1 is a new tensor, not A itself."""
    ours, theirs = make(backend, SQUARE, requires_grad=True), torch.tensor(SQUARE, requires_grad=True)
    out_ours, out_theirs = anynn.linalg.matrix_power(ours, n), torch.linalg.matrix_power(theirs, n)
    assert out_ours.requires_grad and out_theirs.requires_grad and out_ours is not ours
    (out_ours * out_ours).sum().backward()
    (out_theirs * out_theirs).sum().backward()
    np.testing.assert_allclose(out_ours.detach().numpy(), out_theirs.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-12)


def test_lstsq_results_as_torch(backend):
    a, b = R.standard_normal((2, 4, 3)), R.standard_normal((2, 4, 2))
    ours, theirs = anynn.linalg.lstsq(make(backend, a), make(backend, b)), torch.linalg.lstsq(torch.tensor(a),
                                                                                             torch.tensor(b))
    assert [tuple(x.shape) for x in ours] == [tuple(x.shape) for x in theirs]
    np.testing.assert_array_equal(ours.rank.numpy(), theirs.rank.numpy())
    with pytest.raises(RuntimeError, match="linalg.lstsq: input.size.-2. should match other.size.-2."):
        anynn.linalg.lstsq(make(backend, a), make(backend, b[:, :3]))
    with pytest.raises(RuntimeError, match="input.size.-2. should match other.size.-2."):
        torch.linalg.lstsq(torch.tensor(a), torch.tensor(b[:, :3]))


@pytest.mark.parametrize("driver", ["gelsd", "gels", "gelsy"])  # (gelss gives what gelsd gives, None gelsy)
@pytest.mark.parametrize("shape", [(2, 4, 3), (3, 3), (2, 5)], ids=["tall", "square", "wide"])
def test_lstsq_driver_results_as_torch(backend, driver, shape):
    """gelsd/gelss give A's singular values and, for a tall A of full rank, the residuals (with their gradient);
    gels the residuals alone; anynn gave gelsy's empty ones for every driver. A rank-deficient tall A: none (checked
    with the SVD drivers: LAPACK's gelsy finds rank 1 for two equal columns beside an independent one)."""
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal(shape), rng.standard_normal(shape[:-1] + (2,))
    deficient = a.copy()
    deficient[..., 1] = deficient[..., 0]
    for matrix in (a, deficient) if driver == "gelsd" else (a,):
        ours, theirs = make(backend, matrix, requires_grad=True), torch.tensor(matrix, requires_grad=True)
        got = anynn.linalg.lstsq(ours, make(backend, b), driver=driver)
        expected = torch.linalg.lstsq(theirs, torch.tensor(b), driver=driver)
        for name in ("residuals", "rank", "singular_values"):
            mine, reference = getattr(got, name), getattr(expected, name)
            assert tuple(mine.shape) == tuple(reference.shape), name
            np.testing.assert_allclose(mine.detach().numpy(), reference.detach().numpy(), rtol=1e-9, atol=1e-12)
        if tuple(expected.residuals.shape) != (0,):
            got.residuals.sum().backward()
            expected.residuals.sum().backward()
            np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), rtol=1e-8, atol=1e-10)
    with pytest.raises(RuntimeError, match="parameter `driver` should be one of"):
        anynn.linalg.lstsq(make(backend, a), make(backend, b), driver="gelsx")


@pytest.mark.parametrize("dtypes", [("float64", "float32"), ("float32", "float64"), ("float32", "int64")], ids=str)
def test_solve_triangular_computes_in_the_dtype_of_a_as_torch(backend, dtypes):
    """PyTorch casts B to A's dtype (anynn refused B of another dtype); the gradients come back in each one's."""
    a = np.array([[2.0, 1.0], [0.0, 3.0]], dtype=dtypes[0])
    b = np.array([[1.0], [2.0]]).astype(dtypes[1])
    ours = [make(backend, a, requires_grad=True), make(backend, b, requires_grad=b.dtype.kind == "f")]
    theirs = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=b.dtype.kind == "f")]
    out = anynn.linalg.solve_triangular(*ours, upper=True)
    expected = torch.linalg.solve_triangular(*theirs, upper=True)
    assert anynn.backend.dtype_name(out.dtype) == str(expected.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-6)
    out.sum().backward()
    expected.sum().backward()
    for mine, reference in zip(ours, theirs):
        if reference.grad is not None:
            assert anynn.backend.dtype_name(mine.grad.dtype) == str(reference.grad.dtype).removeprefix("torch.")
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-6)
