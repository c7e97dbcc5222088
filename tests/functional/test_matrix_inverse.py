"""``anynn.linalg.inv``, ``det``, ``slogdet``, ``solve`` (anynn.functional.matrix_inverse): second derivatives by
central differences on every backend, slogdet's sign, and PyTorch's refusals. Forward values and first-order
gradients against PyTorch are rows of tests/autograd/test_tensor_math_torch.py; second order against PyTorch's,
rows of the double-backward sweep."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
from anynn.testing import gradgrad_check

from tests.helpers import make

pytestmark = pytest.mark.jax

R = np.random.default_rng(7)
A = R.standard_normal((2, 3, 3)) + 2.5 * np.eye(3)
B = R.standard_normal((2, 3, 2))

SECOND_ORDER = {
    "inv": (lambda a: anynn.linalg.inv(a), (A,)),
    "det": (lambda a: anynn.linalg.det(a), (A,)),
    "slogdet": (lambda a: anynn.linalg.slogdet(a).logabsdet, (A,)),
    "solve": (lambda a, b: anynn.linalg.solve(a, b), (A, B)),
    "solve_vector": (lambda a, b: anynn.linalg.solve(a, b), (A, B[:, :, 0])),
    "solve_right": (lambda a, b: anynn.linalg.solve(a, b, left=False), (A[0], B[0].T)),
}


@pytest.mark.parametrize("name", list(SECOND_ORDER))
def test_second_derivatives(backend, name):
    fn, arrays = SECOND_ORDER[name]
    assert gradgrad_check(fn, *(make(backend, a, requires_grad=True) for a in arrays))


def test_slogdet_sign_as_torch_without_gradient(backend):
    flipped = A[:, ::-1].copy()  # one row swap: the determinant changes sign
    a = make(backend, flipped, requires_grad=True)
    ours, theirs = anynn.linalg.slogdet(a), torch.linalg.slogdet(torch.tensor(flipped, requires_grad=True))
    np.testing.assert_array_equal(ours.sign.detach().numpy(), theirs.sign.detach().numpy())
    np.testing.assert_allclose(ours[1].detach().numpy(), theirs[1].detach().numpy(), rtol=1e-12)
    # the sign requires grad, as PyTorch's (it did not), and passes no gradient back
    assert ours.sign.requires_grad == theirs.sign.requires_grad and ours.logabsdet.requires_grad
    ours.sign.sum().backward()
    assert a.grad is None


@pytest.mark.parametrize("name", ["inv", "det", "slogdet"])
def test_refusals_as_torch(backend, name):
    ours, theirs = getattr(anynn.linalg, name), getattr(torch.linalg, name)
    for bad, message in [(np.zeros((3, 4)), "A must be batches of square matrices, but they are 3 by 4 matrices"),
                         (np.zeros(3), "The input tensor A must have at least 2 dimensions"),
                         (np.zeros((2, 2), dtype=np.int64), "Expected a floating point or complex tensor as input")]:
        with pytest.raises(RuntimeError, match=message):
            theirs(torch.tensor(bad))
        with pytest.raises(RuntimeError, match=f"linalg.{name}: {message}"):
            ours(make(backend, bad))


def test_solve_refuses_mismatched_shapes(backend):
    a = make(backend, A)
    with pytest.raises(RuntimeError, match=r"linalg.solve: Incompatible shapes of A and B for the equation AX = B "
                                           r"\(3x3 and 4x1\)"):
        anynn.linalg.solve(a[0], make(backend, np.zeros(4)))
    with pytest.raises(RuntimeError, match="Incompatible shapes"):
        torch.linalg.solve(torch.tensor(A[0]), torch.zeros(4, dtype=torch.float64))
    with pytest.raises(RuntimeError, match="linalg.solve: Expected A and B to have the same dtype"):
        anynn.linalg.solve(a, make(backend, B.astype(np.float32)))
    with pytest.raises(RuntimeError, match="linalg.solve: Expected A and B to have the same dtype"):
        torch.linalg.solve(torch.tensor(A), torch.tensor(B, dtype=torch.float32))
    with pytest.raises(RuntimeError, match=r"equation XA = B \(3x3 and 3x1\)"):
        anynn.linalg.solve(a[0], make(backend, np.zeros(3)), left=False)
    with pytest.raises(RuntimeError, match=r"equation XA = B \(3x3 and 3x1\)"):
        torch.linalg.solve(torch.tensor(A[0]), torch.zeros(3, dtype=torch.float64), left=False)
    with pytest.raises(RuntimeError, match="linalg.solve: the batch dimensions"):
        anynn.linalg.solve(a, make(backend, np.zeros((3, 3, 2))))


SINGULAR = np.array([[[1.0, 2.0], [2.0, 4.0]], [[1.0, 0.0], [0.0, 1.0]]])
SINGULAR_CALLS = {"inv": lambda lib, a: lib.linalg.inv(a), "solve": lambda lib, a: lib.linalg.solve(a, a[..., 0]),
                  "inverse": lambda lib, a: lib.inverse(a)}


@pytest.mark.parametrize("name", list(SINGULAR_CALLS))
def test_a_singular_matrix_raises_linalg_error_as_torch(backend, name):
    """PyTorch's torch.linalg.LinAlgError is a RuntimeError; anynn's is also a ValueError (NumPy's class)."""
    call = SINGULAR_CALLS[name]
    with pytest.raises(torch.linalg.LinAlgError):
        call(torch, torch.tensor(SINGULAR))
    if backend.name == "jax":
        pytest.skip("JAX's solvers return inf/NaN for singular matrices, without an error to translate")
    with pytest.raises(anynn.linalg.LinAlgError, match=r"linalg\.(inv|solve): .*singular") as info:
        call(anynn, make(backend, SINGULAR))
    assert isinstance(info.value, RuntimeError) and isinstance(info.value, ValueError)
    regular = SINGULAR[1:]
    np.testing.assert_allclose(call(anynn, make(backend, regular)).numpy(), call(torch, torch.tensor(regular)))


# singular matrices whose zero pivots put inf and NaN in different places: rank one, zero, nilpotent, rank two with
# row swaps, a zero in the middle of a diagonal, and one next to a regular matrix in a batch. (A matrix such as
# [[1, 2, 3], [4, 5, 6], [7, 8, 9]], singular in exact arithmetic but whose LU meets no exactly zero pivot, gets huge
# finite values that depend on which of LU(A) and LU(Aᵀ) the library factors: not compared.)
LOGDET_SINGULAR = [np.array(m, dtype=np.float64) for m in (
    [[1.0, 2.0], [2.0, 4.0]], [[0.0, 0.0], [0.0, 0.0]], [[0.0, 1.0], [0.0, 0.0]],
    [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]], [[2.0, 1.0, 0.0], [4.0, 2.0, 0.0], [1.0, 1.0, 1.0]])] + [
    np.diag([2.0, 0.0, 3.0]), np.stack([np.diag([2.0, 0.0, 3.0]), A[0]])]


@pytest.mark.parametrize("call", ["logdet", "slogdet"])
@pytest.mark.parametrize("index", range(len(LOGDET_SINGULAR)))
def test_logdet_of_a_singular_matrix_is_minus_inf_with_torch_gradient(backend, call, index):
    """PyTorch's gradient is solve(Aᵀ, I) by LAPACK, whose zero pivot gives inf and NaN; NumPy's and PyTorch's inv
    would raise. The value is -inf (logdet: NaN where the determinant is negative)."""
    if backend.name == "jax":
        pytest.skip("JAX's inv gives its own inf/NaN for a singular matrix")
    matrix = LOGDET_SINGULAR[index]

    def run(lib, a):
        value = lib.logdet(a) if call == "logdet" else lib.linalg.slogdet(a).logabsdet
        value.sum().backward()
        return value, a.grad

    theirs = run(torch, torch.tensor(matrix, requires_grad=True))
    ours = run(anynn, make(backend, matrix, requires_grad=True))
    for mine, reference in zip(ours, theirs):
        np.testing.assert_allclose(mine.numpy(), reference.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("index", range(len(LOGDET_SINGULAR)))
def test_det_of_a_singular_matrix_has_the_cofactor_gradient(backend, index):
    """det's gradient is the cofactor matrix, also where A is singular and the library's inv refuses it
    (LinAlgError before): PyTorch's create_graph branch (an SVD); its plain backward gives zeros (differences
    page)."""
    if backend.name == "jax":
        pytest.skip("JAX's inv gives its own inf/NaN for a singular matrix")
    matrix = LOGDET_SINGULAR[index]
    a = make(backend, matrix, requires_grad=True)
    anynn.linalg.det(a).sum().backward()
    t = torch.tensor(matrix, requires_grad=True)
    (reference,) = torch.autograd.grad(torch.linalg.det(t).sum(), t, create_graph=True)
    np.testing.assert_allclose(a.grad.numpy(), reference.detach().numpy(), rtol=1e-12, atol=1e-12)
