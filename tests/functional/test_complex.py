# ruff: noqa: B023  (the lambdas run inside the loop iteration that makes them)
"""Complex tensors: forward values and PyTorch's gradients (``dL/dx + i dL/dy`` of a real loss) for the arithmetic,
the products, the reductions, the elementwise math and the complex parts (``real``, ``imag``, ``conj``, ``angle``,
``view_as_real``/``view_as_complex``, ``complex``, ``polar``), against PyTorch and by complex central differences
on every backend; PyTorch's promotion of real with complex operands; PyTorch's refusals."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import anynn
import anynn.nn.functional as F
from anynn.autograd.primitive import Function
from anynn.autograd.grad_check import GradientCheckError, grad_check
from anynn.backend import dtype_name

from tests.helpers import complex_second_order_against_torch, make

RNG = np.random.default_rng(7)


def _complex(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


def _away_from_zero(*shape: int) -> np.ndarray:
    z = _complex(*shape)
    return z + 0.5 * z / np.abs(z)


Z, W, V = _complex(2, 3), _complex(2, 3), _away_from_zero(2, 3)
M, N, B3 = _complex(3, 4), _complex(4, 2), _complex(2, 3, 4)
R, S = RNG.standard_normal((2, 3)), RNG.uniform(0.5, 2.0, (2, 3))

# (name, fn(lib, *tensors) with lib anynn or torch, arrays); every array requires a gradient
CASES = [
    ("add", lambda lib, a, b: a + b, [Z, W]),
    ("sub", lambda lib, a, b: a - b, [Z, W]),
    ("mul", lambda lib, a, b: a * b, [Z, W]),
    ("mul_broadcast", lambda lib, a, b: a * b[0], [Z, W]),
    ("div", lambda lib, a, b: a / b, [Z, V]),
    ("rdiv_number", lambda lib, a: 2.0 / a, [V]),
    ("neg", lambda lib, a: -a, [Z]),
    ("mul_complex_number", lambda lib, a: a * (2 - 1j), [Z]),
    ("radd_complex_number", lambda lib, a: (0.5 + 3j) + a, [Z]),
    ("real_times_complex_number", lambda lib, r: r * (1 + 2j), [R]),
    ("real_times_complex", lambda lib, r, a: r * a, [R, Z]),
    ("complex_div_real", lambda lib, a, s: a / s, [Z, S]),
    ("pow2", lambda lib, a: a ** 2, [Z]),
    ("pow3", lambda lib, a: a ** 3, [Z]),
    ("pow_half", lambda lib, a: a ** 0.5, [V]),
    ("pow_tensor", lambda lib, a, b: a ** b, [V, W * 0.3]),
    ("abs_of_square", lambda lib, a: (a * a).abs(), [V]),
    ("abs", lambda lib, a: lib.abs(a), [V]),
    ("exp", lambda lib, a: lib.exp(a), [Z]),
    ("log", lambda lib, a: lib.log(a), [V]),
    ("sqrt", lambda lib, a: lib.sqrt(a), [V]),
    ("sin", lambda lib, a: lib.sin(a), [Z]),
    ("cos", lambda lib, a: lib.cos(a), [Z]),
    ("tanh", lambda lib, a: lib.tanh(a), [Z * 0.5]),
    ("sigmoid", lambda lib, a: lib.sigmoid(a), [Z * 0.5]),
    ("conj", lambda lib, a: lib.conj(a) * a, [Z]),
    ("conj_physical", lambda lib, a: lib.conj_physical(a), [Z]),
    ("real", lambda lib, a: lib.real(a) * 3.0, [Z]),
    ("imag", lambda lib, a: lib.imag(a) * 3.0, [Z]),
    ("real_imag_attributes", lambda lib, a: a.real * a.imag, [Z]),
    ("angle", lambda lib, a: lib.angle(a), [V]),
    ("angle_method", lambda lib, a: (a * a).angle(), [V]),
    ("view_as_real", lambda lib, a: lib.view_as_real(a) ** 2, [Z]),
    ("view_as_complex", lambda lib, r: lib.view_as_complex(r.reshape(3, 2)) ** 2, [R]),
    ("complex", lambda lib, r, s: lib.complex(r, s) ** 2, [R, S]),
    ("polar", lambda lib, r, s: lib.polar(s, r) ** 2, [R, S]),
    # complex and polar broadcast their operands, as PyTorch (refused before: 'anynn does not broadcast them')
    ("complex_broadcast", lambda lib, r, s: lib.complex(r[:, :1], s[0]) ** 2, [R, S]),
    ("polar_broadcast", lambda lib, r, s: lib.polar(s[0, 0], r) ** 2, [R, S]),
    # an empty size against 1 broadcasts to empty (the complex shape was max(0, 1) = 1: expand refused)
    ("complex_broadcast_empty", lambda lib, r, s: lib.complex(r[:0, 0], s[0, :1]) * 2.0, [R, S]),
    ("matmul", lambda lib, a, b: a @ b, [M, N]),
    ("matmul_vector", lambda lib, a, b: a @ b[:, 0], [M, N]),
    ("dot", lambda lib, a, b: lib.dot(a[0], b[1]), [Z, W]),
    ("mm", lambda lib, a, b: lib.mm(a, b), [M, N]),
    ("bmm", lambda lib, a, b: lib.bmm(a, b.mT), [B3, B3]),
    ("linear", lambda lib, x, w, b: lib.nn.functional.linear(x, w, b), [Z, _complex(4, 3), _complex(4)]),
    ("einsum", lambda lib, a, b: lib.einsum("ij,jk->ik", a, b), [M, N]),
    ("outer", lambda lib, a, b: lib.outer(a[0], b[1]), [Z, W]),
    ("sum", lambda lib, a: a.sum(), [Z]),
    ("sum_dim", lambda lib, a: a.sum(dim=1), [Z]),
    ("mean", lambda lib, a: a.mean(dim=0), [Z]),
    ("prod", lambda lib, a: lib.prod(a, 1), [Z]),
    ("cumprod", lambda lib, a: lib.cumprod(a, 1), [Z]),
    ("reshape_transpose", lambda lib, a: a.reshape(3, 2).mT, [Z]),
    ("mH", lambda lib, a: a.mH @ a, [Z]),
    ("H", lambda lib, a: a.H, [Z]),
    ("adjoint", lambda lib, a: a.adjoint() @ a, [Z]),
    ("index", lambda lib, a: a[1, ::2] * a[0, :2], [Z]),
    ("cat", lambda lib, a, b: lib.cat([a, b * b], dim=1), [Z, W]),
    ("tan", lambda lib, a: lib.tan(a * 0.5), [Z]),
    ("sinh", lambda lib, a: lib.sinh(a), [Z]),
    ("cosh", lambda lib, a: lib.cosh(a), [Z]),
    ("asin", lambda lib, a: lib.asin(a * 0.5), [Z]),
    ("atan", lambda lib, a: lib.atan(a * 0.5), [Z]),
    ("asinh", lambda lib, a: lib.asinh(a * 0.5), [Z]),
    ("acosh", lambda lib, a: lib.acosh(a + 2.0), [Z]),
    ("acosh_left_half_plane", lambda lib, a: lib.acosh(a - 1.0), [Z]),  # 1/sqrt(z^2 - 1) had the other branch
    ("sinc", lambda lib, a: lib.sinc(a), [Z]),  # the slope was not conjugated
    ("atanh", lambda lib, a: lib.atanh(a * 0.5), [Z]),
    ("rsqrt", lambda lib, a: lib.rsqrt(a), [V]),
    ("reciprocal", lambda lib, a: lib.reciprocal(a), [V]),
    ("square", lambda lib, a: lib.square(a), [Z]),
    ("log1p", lambda lib, a: lib.log1p(a), [V]),
    ("expm1", lambda lib, a: lib.expm1(a), [Z]),
    ("log2", lambda lib, a: lib.log2(a), [V]),
    ("log10", lambda lib, a: lib.log10(a), [V]),
    ("exp2", lambda lib, a: lib.exp2(a), [Z]),
    ("sgn", lambda lib, a: lib.sgn(a), [V]),
    ("var", lambda lib, a: lib.var(a), [Z]),
    ("var_dim", lambda lib, a: a.var(dim=1), [Z]),
    ("std_dim", lambda lib, a: a.std(dim=0), [Z]),
    ("norm", lambda lib, a: lib.norm(a), [Z]),
    ("vector_norm_1", lambda lib, a: lib.linalg.vector_norm(a, 1, dim=1), [V]),
    ("vector_norm_3", lambda lib, a: lib.linalg.vector_norm(a, 3), [V]),
    ("matrix_norm_fro", lambda lib, a: lib.linalg.matrix_norm(a), [Z]),
    ("normalize", lambda lib, a: lib.nn.functional.normalize(a), [Z]),
    ("logsumexp", lambda lib, a: lib.logsumexp(a, 1), [Z]),
    ("tanhshrink", lambda lib, a: lib.nn.functional.tanhshrink(a), [Z]),
    ("softsign", lambda lib, a: lib.nn.functional.softsign(a * 2.0), [Z]),
    ("l1_loss", lambda lib, a, b: lib.nn.functional.l1_loss(a, b), [Z, W]),
    ("l1_loss_real_target_none", lambda lib, a, r: lib.nn.functional.l1_loss(a, r, reduction="none"), [Z, R]),
    ("l1_loss_sum_at_zero", lambda lib, a, b: lib.nn.functional.l1_loss(a * (a.real > 0), b * (a.real > 0),
                                                                       reduction="sum"), [Z, W]),
    ("L1Loss", lambda lib, a, b: lib.nn.L1Loss()(a, b), [Z, W]),
    ("softsign_at_zero", lambda lib, a: lib.nn.functional.softsign(a * (a.real > -0.3)), [Z]),
    ("cumsum", lambda lib, a: lib.cumsum(a, 1), [Z]),
    ("where", lambda lib, a, b: lib.where(a.real > 0, a, b), [Z, W]),
    ("gather", lambda lib, a: a.gather(1, a.real.argsort(dim=1)), [Z]),
    ("stack", lambda lib, a, b: lib.stack([a, b], dim=0), [Z, W]),
    # logaddexp of complex operands (refused before)
    ("logaddexp", lambda lib, a, b: lib.logaddexp(a, b), [Z, W]),
    # a real tensor joined with complex ones gets a real gradient (the join sent it a complex one: RuntimeError)
    ("logcumsumexp", lambda lib, a: lib.logcumsumexp(a * 3, 1), [Z]),  # (refused before: 'expected floating')
    ("cat_real_with_complex", lambda lib, a, b: lib.cat([a.real, b, a.imag], dim=0), [Z, W]),
    ("stack_real_with_complex", lambda lib, a, b: lib.stack([b, a.imag * 2], dim=1), [Z, W]),
    ("conv1d", lambda lib, x, w, b: lib.nn.functional.conv1d(x, w, b, padding=1), [B3, _complex(2, 3, 3), _complex(2)]),
    ("conv2d_groups", lambda lib, x, w: lib.nn.functional.conv2d(x, w, stride=2, groups=2),
     [_complex(1, 4, 5, 5), _complex(2, 2, 3, 3)]),
    ("conv3d", lambda lib, x, w: lib.nn.functional.conv3d(x, w), [_complex(1, 2, 3, 3, 3), _complex(2, 2, 2, 2, 2)]),
    ("conv_transpose1d", lambda lib, x, w: lib.nn.functional.conv_transpose1d(x, w, stride=2), [B3, _complex(3, 2, 3)]),
    ("conv_transpose2d", lambda lib, x, w, b: lib.nn.functional.conv_transpose2d(x, w, b, padding=1),
     [_complex(1, 2, 3, 3), _complex(2, 3, 3, 3), _complex(3)]),
    ("conv_transpose3d", lambda lib, x, w: lib.nn.functional.conv_transpose3d(x, w),
     [_complex(1, 2, 2, 2, 2), _complex(2, 1, 2, 2, 2)]),
]
IDS = [case[0] for case in CASES]


def _loss(lib, out, seed: int = 0):
    """A real loss of ``out``: ``sum(re(out * w))`` with fixed weights, complex ones for a complex ``out``."""
    rng = np.random.default_rng(seed)
    shape = tuple(out.shape)
    w = rng.standard_normal(shape)
    if out.is_complex():
        w = w + 1j * rng.standard_normal(shape)
    if lib is torch:
        product = out * torch.tensor(w, dtype=out.dtype)
    else:
        product = out * anynn.tensor(w, backend=out.backend, dtype=out.dtype)
    return (product.real if product.is_complex() else product).sum()


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=IDS)
def test_matches_torch(backend, name, fn, arrays):
    """Forward (values, shape, dtype) and every input's gradient of a real loss, against PyTorch in float64 and
    complex128."""
    ours = [make(backend, a, requires_grad=True) for a in arrays]
    theirs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = fn(anynn, *ours), fn(torch, *theirs)
    np.testing.assert_allclose(out.numpy(), ref.detach().resolve_conj().numpy(), rtol=1e-10, atol=1e-12,
                               err_msg=f"forward {name}")
    assert tuple(out.shape) == tuple(ref.shape)
    assert dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
    _loss(anynn, out).backward()
    _loss(torch, ref).backward()
    for i, (mine, reference) in enumerate(zip(ours, theirs)):
        assert mine.grad is not None, f"{name}: no gradient for input {i}"
        assert mine.grad.dtype == mine.dtype, f"{name}: gradient {i} is {mine.grad.dtype}, input {mine.dtype}"
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=f"gradient {i} of {name}")


@pytest.mark.parametrize("name, fn, arrays", CASES, ids=IDS)
def test_gradients(backend, name, fn, arrays):
    """Complex central differences (real and imaginary parts moved in turn) agree with the analytic gradients."""
    tensors = [make(backend, a, requires_grad=True) for a in arrays]
    assert grad_check(lambda *t: fn(anynn, *t), *tensors)


class _UnconjugatedMul(Function):
    """``a * b`` whose backward forgets the conjugate: right for real inputs only."""

    def forward(self, xp, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, xp, g):
        return g * self.b, g * self.a


def test_grad_check_catches_a_missing_conjugate(backend):
    a, b = make(backend, Z, requires_grad=True), make(backend, W, requires_grad=True)
    with pytest.raises(GradientCheckError, match="gradient check failed"):
        grad_check(lambda x, y: _UnconjugatedMul.apply(x, y), a, b)
    real = [make(backend, R, requires_grad=True), make(backend, S, requires_grad=True)]
    assert grad_check(lambda x, y: _UnconjugatedMul.apply(x, y), *real)


def test_brief_example_abs_of_square(backend):
    """``(x * x).abs().sum()``: PyTorch's [2+4j, 1-2j] (a backward without conjugates gave [-4.4-0.8j, ...])."""
    x = anynn.tensor([1 + 2j, 0.5 - 1j], backend=backend, dtype="complex128", requires_grad=True)
    (x * x).abs().sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2 + 4j, 1 - 2j])


# (real dtype, complex dtype, which is 0-d): PyTorch's result dtype of real * complex
PROMOTIONS = [("float32", "complex128", "complex"), ("float64", "complex64", "complex"),
              ("float64", "complex64", None), ("float32", "complex128", None), ("float64", "complex64", "real"),
              ("float32", "complex64", None), ("int64", "complex64", None)]


@pytest.mark.parametrize("real_dtype, complex_dtype, zero_dim", PROMOTIONS)
def test_real_with_complex_promotes_as_torch(backend, real_dtype, complex_dtype, zero_dim):
    real = np.array(1.5 if zero_dim == "real" else [1.5, -2.0]).astype(real_dtype)
    cplx = np.array(1 - 2j if zero_dim == "complex" else [1 - 2j, 0.5j]).astype(complex_dtype)
    floating = real_dtype.startswith("float")
    ours = (make(backend, real, requires_grad=floating), make(backend, cplx, requires_grad=True))
    theirs = (torch.tensor(real, requires_grad=floating), torch.tensor(cplx, requires_grad=True))
    for order in ((0, 1), (1, 0)):
        out, ref = ours[order[0]] * ours[order[1]], theirs[order[0]] * theirs[order[1]]
        assert dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch."), order
        np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-6)
    _loss(anynn, out).backward()
    _loss(torch, ref).backward()
    for mine, reference in zip(ours, theirs):
        if reference.requires_grad:
            assert mine.grad.dtype == mine.dtype  # a real input's gradient is real (the real part)
            np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("real_dtype", ["float32", "float64", "int64"])
def test_python_complex_number_promotes_as_torch(backend, real_dtype):
    x = np.array([1.0, -2.0]).astype(real_dtype)
    out, ref = make(backend, x) * 1j, torch.tensor(x) * 1j
    assert dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
    np.testing.assert_allclose(out.numpy(), ref.numpy())


def test_python_complex_data_is_complex64_as_torch(backend):
    """``tensor([1+2j])`` is complex64 as torch's (complex128 beside float64 host data becoming float32)."""
    assert anynn.tensor([1 + 2j, 3j], backend=backend).dtype == anynn.complex64
    assert str(torch.tensor([1 + 2j, 3j]).dtype) == "torch.complex64"
    assert anynn.tensor([1j], backend=backend, dtype="complex128").dtype == anynn.complex128


def test_facts_and_identities(backend):
    z, r = make(backend, Z), make(backend, R)
    assert z.is_complex() and anynn.is_complex(z) and not r.is_complex()
    assert z.is_floating_point() is torch.tensor(Z).is_floating_point() is False  # complex is not floating
    assert r.real is r and anynn.real(r) is r and r.conj() is r and anynn.resolve_conj(z) is z
    assert not z.is_conj() and not anynn.is_conj(z.conj())
    assert z.abs().dtype == z.real.dtype == z.imag.dtype == z.angle().dtype == anynn.float64


@pytest.mark.parametrize("call", [lambda lib, z: lib.linalg.vector_norm(z, 0, dim=1), lambda lib, z: lib.norm(z, 0),
                                  lambda lib, z: z.norm(0, dim=0, keepdim=True)], ids=["vector_norm", "norm", "method"])
def test_norm_of_order_zero_of_complex_is_a_real_count_as_torch(backend, call):
    """The count of nonzeros is real (it was complex128), on the graph (it requires grad) but with no gradient: the
    input's .grad stays None after backward, as PyTorch's (it was zeros), of complex and of real inputs."""
    z = np.array([[0.1 - 1.2j, 0j, 2 + 1j], [0j, 1j, 0j]])
    for values in (z, z.real):
        ours, theirs = make(backend, values, requires_grad=True), torch.tensor(values, requires_grad=True)
        out, ref = call(anynn, ours), call(torch, theirs)
        assert dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.") == "float64"
        np.testing.assert_array_equal(out.detach().numpy(), ref.detach().numpy())
        assert out.requires_grad and ref.requires_grad
        out.sum().backward()
        ref.sum().backward()
        assert ours.grad is None and theirs.grad is None


def test_angle_of_real_and_of_zero_as_torch(backend):
    values = np.array([-2.0, 0.0, 3.0, -0.5])
    x, t = make(backend, values, requires_grad=True), torch.tensor(values, requires_grad=True)
    np.testing.assert_allclose(x.angle().numpy(), t.angle().detach().numpy())
    x.angle().sum().backward()
    t.angle().sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())
    zero = np.array([0j, 1 + 1j])
    z, tz = make(backend, zero, requires_grad=True), torch.tensor(zero, requires_grad=True)
    z.angle().sum().backward()
    tz.angle().sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), tz.grad.numpy())


REFUSALS = [
    ("imag of a real tensor", lambda lib, r, z: lib.imag(r), "imag is not implemented"),
    ("view_as_real of a real tensor", lambda lib, r, z: lib.view_as_real(r), "view_as_real is only supported"),
    ("view_as_complex without a last axis of 2", lambda lib, r, z: lib.view_as_complex(r), "last dimension of size 2"),
    ("view_as_complex of complex", lambda lib, r, z: lib.view_as_complex(z), "view_as_complex is only supported"),
    ("complex of two dtypes", lambda lib, r, z: lib.complex(r, r.float()), "scalar type"),
    ("polar of complex", lambda lib, r, z: lib.polar(z, z), "Float or Double"),
    ("sign of complex", lambda lib, r, z: lib.sign(z), "sgn"),
    ("relu", lambda lib, r, z: lib.relu(z), "relu"),
    ("relu in place", lambda lib, r, z: lib.nn.functional.relu(z, inplace=True), "relu"),
    ("clamp", lambda lib, r, z: lib.clamp(z, -1.0, 1.0), "clamp"),
    ("clamp_min method", lambda lib, r, z: z.clamp(min=0.5), "clamp"),
    ("maximum", lambda lib, r, z: lib.maximum(z, z), "maximum"),
    ("max", lambda lib, r, z: lib.max(z), "max"),
    ("amin", lambda lib, r, z: lib.amin(z, 0), "min"),
    ("hardtanh", lambda lib, r, z: lib.nn.functional.hardtanh(z), "hardtanh"),
    ("softmax", lambda lib, r, z: lib.softmax(z, 1), "softmax"),
    ("log_softmax", lambda lib, r, z: lib.log_softmax(z, 1), "log_softmax"),
    ("gelu", lambda lib, r, z: lib.nn.functional.gelu(z), "gelu"),
    ("elu", lambda lib, r, z: lib.nn.functional.elu(z), "elu"),
    ("leaky_relu", lambda lib, r, z: lib.nn.functional.leaky_relu(z), "leaky_relu"),
    ("softplus", lambda lib, r, z: lib.nn.functional.softplus(z), "softplus"),
    ("logsigmoid", lambda lib, r, z: lib.nn.functional.logsigmoid(z), "logsigmoid"),
    ("layer_norm", lambda lib, r, z: lib.nn.functional.layer_norm(z, (3,)), "layer_norm"),
    ("batch_norm", lambda lib, r, z: lib.nn.functional.batch_norm(z, None, None, training=True), "batch_norm"),
    ("atan2", lambda lib, r, z: lib.atan2(z, z), "atan2"),
    ("hypot", lambda lib, r, z: lib.hypot(r, z), "hypot"),
    ("fmod", lambda lib, r, z: lib.fmod(z, 2.0), "fmod"),
    ("remainder", lambda lib, r, z: lib.remainder(z, 2.0), "remainder"),
    ("fmod by a complex number (zeros before)", lambda lib, r, z: lib.fmod(r, 1j), "fmod"),
    # (the in-place forms computed a formula that orders values: elu_ and hardswish of complex numbers)
    ("elu in place", lambda lib, r, z: lib.nn.functional.elu_(z), "elu"),
    ("hardswish in place", lambda lib, r, z: lib.nn.functional.hardswish(z, inplace=True), "hardswish"),
    ("abs in place (|z| written back as complex before)", lambda lib, r, z: z.clone().abs_(), "In-place abs"),
    ("max over a dim", lambda lib, r, z: z.max(dim=1), "argmax"),
    ("max of two tensors", lambda lib, r, z: z.max(z), "maximum"),
    ("argmin", lambda lib, r, z: lib.argmin(z), "argmin"),
    ("less than (NumPy's lexicographic order before)", lambda lib, r, z: r < z, r"lt \(<\)"),
    ("sort", lambda lib, r, z: lib.sort(z), "sort"),
    ("argsort", lambda lib, r, z: lib.argsort(z), "argsort"),
    ("topk", lambda lib, r, z: lib.topk(z, 2), "sort"),
    ("mse_loss", lambda lib, r, z: lib.nn.functional.mse_loss(z, z * 2), "mse_loss"),
    ("cosine_similarity", lambda lib, r, z: lib.nn.functional.cosine_similarity(z, z), "cosine_similarity"),
    ("cdist", lambda lib, r, z: lib.cdist(z, z), "cdist"),
    ("kl_div", lambda lib, r, z: lib.nn.functional.kl_div(z, z), "kl_div"),
    ("scaled_dot_product_attention", lambda lib, r, z: lib.nn.functional.scaled_dot_product_attention(z, z, z),
     "scaled_dot_product_attention"),
    # these took the largest complex number in NumPy's lexicographic order (real part, then imaginary)
    ("max_pool1d", lambda lib, r, z: lib.nn.functional.max_pool1d(z, 2), "max_pool1d"),
    ("max_pool2d_with_indices", lambda lib, r, z: lib.nn.functional.max_pool2d(z[None], 2, return_indices=True),
     "max_pool2d"),
    ("adaptive_max_pool1d", lambda lib, r, z: lib.nn.functional.adaptive_max_pool1d(z, 2), "adaptive_max_pool1d"),
    ("prelu", lambda lib, r, z: lib.nn.functional.prelu(z, z[0, :1]), "prelu"),
    # these computed on NumPy (a complex loss) and raised the array library's "gt_cpu" / "Only real numeric" on
    # torch and array-api-strict
    ("threshold", lambda lib, r, z: lib.nn.functional.threshold(z, 0.1, 2.0), "threshold"),
    ("hinge_embedding_loss", lambda lib, r, z: lib.nn.functional.hinge_embedding_loss(z, r * 0 + 1),
     "hinge_embedding_loss"),
    ("margin_ranking_loss", lambda lib, r, z: lib.nn.functional.margin_ranking_loss(z, z, r * 0 + 1),
     "margin_ranking_loss"),
    ("cosine_embedding_loss", lambda lib, r, z: lib.nn.functional.cosine_embedding_loss(z, z, r[:, 0] * 0 + 1),
     "cosine_embedding_loss"),
    ("multi_margin_loss", lambda lib, r, z: lib.nn.functional.multi_margin_loss(z, (r[:, 0] * 0).long()),
     "multi_margin_loss"),
    ("multilabel_margin_loss", lambda lib, r, z: lib.nn.functional.multilabel_margin_loss(z, (r * 0).long()),
     "multilabel_margin_loss"),
    ("multilabel_soft_margin_loss", lambda lib, r, z: lib.nn.functional.multilabel_soft_margin_loss(z, r * 0 + 1),
     "multilabel_soft_margin_loss"),
    ("adaptive_avg_pool1d", lambda lib, r, z: lib.nn.functional.adaptive_avg_pool1d(z[None], 2), "adaptive_avg_pool1d"),
    ("gaussian_nll_loss var", lambda lib, r, z: lib.nn.functional.gaussian_nll_loss(r, r, z), "gaussian_nll_loss"),
]


@pytest.mark.parametrize("what, fn, message", REFUSALS, ids=[r[0] for r in REFUSALS])
def test_refusals_as_torch(backend, what, fn, message):
    with pytest.raises(RuntimeError):
        fn(torch, torch.tensor(R), torch.tensor(Z))
    with pytest.raises(RuntimeError, match=message):
        fn(anynn, make(backend, R), make(backend, Z))


def test_linear_layer_with_complex_parameters(backend):
    """``nn.Linear`` in complex128 trains with PyTorch's gradients (weights copied from torch)."""
    layer = anynn.nn.Linear(3, 2).to(backend, dtype="complex128")
    reference = torch.nn.Linear(3, 2).to(torch.complex128)
    layer.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x = _complex(4, 3)
    _loss(anynn, F.relu(layer(make(backend, x)).abs())).backward()
    _loss(torch, torch.relu(reference(torch.tensor(x)).abs())).backward()
    for (name, p), q in zip(layer.named_parameters(), reference.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-10, err_msg=name)


# second order: (name, real loss f(lib, a, b)); the recorded gradients (create_graph=True) are differentiated again
SECOND_ORDER = [
    ("mul", lambda lib, a, b: ((a * b) * (a * b).conj()).real.sum()),
    ("abs", lambda lib, a, b: (a * b).abs().sum()),
    ("abs_squared", lambda lib, a, b: ((a * b).abs() ** 2).sum()),
    ("exp", lambda lib, a, b: lib.exp(a * b).real.sum() + lib.exp(a).imag.sum()),
    ("div", lambda lib, a, b: (a / b).real.sum()),
    ("matmul", lambda lib, a, b: (a @ b.mT).abs().sum()),
    ("sin_tanh", lambda lib, a, b: (lib.sin(a) * lib.tanh(b)).real.sum()),
    ("sigmoid", lambda lib, a, b: (lib.sigmoid(a * 0.5) * b).real.sum()),
    ("angle", lambda lib, a, b: (a * b).angle().sum()),
    ("view_as_real", lambda lib, a, b: (lib.view_as_real(a * b) ** 3).sum()),
    ("pow3", lambda lib, a, b: (a ** 3 * b).imag.sum()),
    ("log", lambda lib, a, b: lib.log(a).real.sum() * 2 + (lib.log(b) * a).imag.sum()),
    ("var_sqrt", lambda lib, a, b: (a * b).var() + lib.sqrt(a).real.sum()),
    ("sgn", lambda lib, a, b: (lib.sgn(a) * b).real.sum()),
    ("linear", lambda lib, a, b: lib.nn.functional.linear(a, b, b[:, 0]).abs().sum()),
    ("prod", lambda lib, a, b: lib.prod(a * b, 1).real.sum()),
    ("softsign", lambda lib, a, b: (lib.nn.functional.softsign(a * b) * a).imag.sum()),
    ("logcumsumexp", lambda lib, a, b: (lib.logcumsumexp(a * b, 1) ** 2).real.sum()),
    # p-norms other than 2 (their gradients' sign(a) was a constant in the recorded backward)
    ("vector_norm_p1", lambda lib, a, b: lib.linalg.vector_norm(a * b, ord=1, dim=1).sum() ** 2),
    ("vector_norm_p3", lambda lib, a, b: lib.linalg.vector_norm(a * b, ord=3, dim=0).sum() ** 2),
    ("vector_norm_p0.5", lambda lib, a, b: lib.linalg.vector_norm(a, ord=0.5).sum() * b.abs().sum()),
    ("vector_norm_inf", lambda lib, a, b: lib.linalg.vector_norm(a * b, ord=float("inf"), dim=1).sum() ** 2),
    # inv, det and solve of complex matrices (refused before: their gradients had transposes for adjoints)
    ("linalg_inv_det", lambda lib, a, b: (lib.linalg.inv(a @ b.mT).abs() ** 2).sum() + (
        lib.linalg.det(a @ b.mT) * a[0, 0]).real + lib.linalg.det(a[:, 1:]).abs()),
    ("linalg_solve", lambda lib, a, b: (lib.linalg.solve(a @ b.mT, a) * b).imag.sum() + (
        lib.linalg.solve(a[:, :2], b[:, 1:], left=False) ** 2).real.sum()),
    # eigh of a Hermitian matrix: the values, and the vectors through a phase-invariant |V|²
    ("linalg_eigh", lambda lib, a, b: (lambda w, v: (w ** 3).sum() + (v.abs() ** 2 * w.unsqueeze(-2)).sum())(
        *lib.linalg.eigh(a @ a.mH + b @ b.mH))),
    # slogdet's sign (the phase of det) and log|det|, and logdet (log|det| + i arg det)
    ("linalg_slogdet_logdet", lambda lib, a, b: (lambda s, l: (s * b[0, 0]).real + s.imag * l + l ** 2)(
        *lib.linalg.slogdet(a @ b.mT)) + (lib.logdet(a @ b.mT) * a[1, 2]).real),
    # cholesky of a Hermitian positive-definite matrix (upper=True: Lᴴ)
    ("linalg_cholesky", lambda lib, a, b: (lib.linalg.cholesky(a @ a.mH + b @ b.mH) * (a @ b.mT)).real.sum() + (
        lib.linalg.cholesky(a @ a.mH + b @ b.mH, upper=True) * b[:, :2]).imag.sum()),
    # triangular solves, cholesky_solve / cholesky_inverse (upper: Lᴴ), the _ex forms and matrix_power of complex
    # matrices (refused before)
    ("linalg_triangular_and_ex", lambda lib, a, b: (lambda h, t: (
        lib.linalg.solve_triangular(t, b, upper=True) * a).real.sum() + (lib.linalg.solve_triangular(
            t.mT, b.mT, upper=False, left=False, unitriangular=True) * b.mT).imag.sum() + (lib.cholesky_solve(
            a, lib.linalg.cholesky_ex(h, upper=True)[0], upper=True) * b).real.sum() + (lib.cholesky_inverse(
            lib.linalg.cholesky(h)) * a[:, 1:]).imag.sum() + (lib.linalg.solve_ex(t, b)[0].abs() ** 2).sum() + (
            lib.linalg.inv_ex(h)[0] * a[:, :2]).real.sum() + (lib.linalg.matrix_power(t, -2) * a[:, :2]).real.sum())(
        a[:, :2] @ a[:, :2].mH + b[:, :2] @ b[:, :2].mH + lib.diag(a[:, 0].real * 0 + 0.5), a[:, :2] + lib.diag(
            a[:, 0] * 0 + 2))),
    # svd of a wide (2 x 3) and a tall matrix, reduced and full, through phase-invariant U Vh, |U|², |Vh|³ and S;
    # torch.svd's V = Vhᴴ; pinv (default, atol, hermitian) and lstsq (refused before)
    ("linalg_svd", lambda lib, a, b: sum((s ** 3).sum() + (u[..., :2] @ vh[..., :2, :] * w).real.sum() + (
        u[..., :2].abs() ** 2 * s).sum() + (vh[..., :2, :].abs() ** 3).sum() for m, w, full in (
            (a * b + a, b, False), (a.mT + b.mT, a.mT, True)) for u, s, vh in [lib.linalg.svd(m, full_matrices=full)])
        + (lambda u, s, v: (u @ v.mH * a).imag.sum() + s.sum())(*lib.svd(a - b)) + lib.linalg.svdvals(a @ b.mH).sum()),
    ("linalg_pinv_lstsq", lambda lib, a, b: (lib.linalg.pinv(a + b) * a.mT).real.sum() + (lib.linalg.pinv(
        a.mT * b.mT, atol=1e-3).abs() ** 2).sum() + (lib.linalg.pinv(a @ a.mH + b @ b.mH, hermitian=True) * (
        a @ b.mH)).imag.sum() + (lib.linalg.lstsq(a.mT, b.mT).solution * a[:, :2]).real.sum()),
    # lu_factor / lu (square, wide and tall; pivots as LAPACK's |Re| + |Im|), lu_solve (adjoint) and
    # householder_product (H_i = I - tau_i v_i v_iᴴ) (refused before)
    ("linalg_lu_householder", lambda lib, a, b: (lib.linalg.lu_solve(*lib.linalg.lu_factor(
        a[:, :2] + b[:, 1:]), b[:, :2], adjoint=True) * a[:, 1:]).real.sum() + (
        lib.linalg.lu(a * b)[1] * a[:, :2]).real.sum() + (lib.linalg.lu(a.mT * b.mT)[2].abs() ** 2).sum() + (
        lib.linalg.householder_product(a.mT + b.mT, b[0, :2]) * a.mT).real.sum()),
    ("linalg_matrix_exp", lambda lib, a, b: (lib.linalg.matrix_exp(a @ b.mT) * (a @ b.mH)).real.sum()),
    # qr of a tall (3 x 2) and a wide (2 x 3) matrix, through phase-invariant products Q diag(R) R and R
    ("linalg_qr", lambda lib, a, b: sum(((q * r.diagonal().unsqueeze(-2)) @ r * w).real.sum() + (r * w[:2]).imag.sum()
                                        for (q, r), w in ((lib.linalg.qr(a.mT), b.mT), (lib.linalg.qr(a * b), a)))),
]


@pytest.mark.parametrize("name, fn", SECOND_ORDER, ids=[row[0] for row in SECOND_ORDER])
def test_second_order_matches_torch(backend, name, fn):
    """The gradient of ``re(sum(grad_a * w)) + sum(|grad_b|²)``, the first gradients recorded, against PyTorch's."""
    complex_second_order_against_torch(backend, fn, V, W, Z)


def test_complex_fill_values_as_torch(backend):
    """``full`` infers complex64 from a complex value, ``masked_fill`` of a complex tensor takes a complex one."""
    filled = anynn.full((2,), 1 + 2j, backend=backend)
    assert filled.dtype == anynn.complex64
    np.testing.assert_allclose(filled.numpy(), torch.full((2,), 1 + 2j).numpy())
    z, mask = make(backend, Z), np.array([[True, False, True], [False, False, True]])
    out = z.masked_fill(make(backend, mask), 3 - 1j)
    np.testing.assert_allclose(out.numpy(), torch.tensor(Z).masked_fill(torch.tensor(mask), 3 - 1j).numpy())


EIG_MATRICES = [_complex(4, 4), RNG.standard_normal((2, 3, 3)), np.array([[0.0, -1.0], [1.0, 0.0]])]


@pytest.mark.parametrize("source", EIG_MATRICES, ids=["complex", "real batch", "rotation"])
def test_eig_forward_matches_torch(backend, source):
    """``linalg.eig``/``eigvals``: torch's dtype and eigenvalues (LAPACK's order), unit eigenvectors with
    ``A V = V diag(w)``, and torch's gradient of a phase-invariant loss of both (second order: the sweep's
    ``linalg_eig`` row)."""
    a = make(backend, source)
    values, vectors = anynn.linalg.eig(a)
    reference = torch.linalg.eigvals(torch.tensor(source)).numpy()
    assert dtype_name(values.dtype) == str(torch.linalg.eigvals(torch.tensor(source)).dtype).removeprefix("torch.")
    key = lambda w: np.lexsort((np.round(w.imag, 8), np.round(w.real, 8)), axis=-1)  # noqa: E731
    np.testing.assert_allclose(np.take_along_axis(values.numpy(), key(values.numpy()), -1),
                               np.take_along_axis(reference, key(reference), -1), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(anynn.linalg.eigvals(a).numpy(), values.numpy())
    v, w = vectors.numpy(), values.numpy()
    np.testing.assert_allclose(source @ v, v * w[..., None, :], atol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(v, axis=-2), 1.0, rtol=1e-12)
    grads = []
    pair = ((anynn, make(backend, source, requires_grad=True)), (torch, torch.tensor(source, requires_grad=True)))
    for lib, m in pair:
        w, v = lib.linalg.eig(m)
        (w.real ** 3 + w.imag * w.real + lib.linalg.eigvals(m).imag ** 2).sum().add((v.abs() ** 3).sum()).backward()
        grads.append(m.grad.numpy() if lib is anynn else m.grad.resolve_conj().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9, atol=1e-11)
    if np.iscomplexobj(source):  # a real A's second order is the sweep's row
        complex_second_order_against_torch(backend, lambda lib, a, b: (lib.linalg.eig(a + b)[1].abs() ** 3).sum() + (
            lib.linalg.eigvals(a * b).abs() ** 2).sum(), source, source.T * 0.5, source)
    with pytest.raises(RuntimeError, match="square"):
        anynn.linalg.eigvals(make(backend, np.zeros((2, 3))))


@pytest.mark.parametrize("name, fn", [("pairwise_distance", lambda z: anynn.nn.functional.pairwise_distance(z, z)),
                                      ("silu", lambda z: anynn.nn.functional.silu(z)),
                                      ("triplet_margin_loss",
                                       lambda z: anynn.nn.functional.triplet_margin_loss(z, z, z)),
                                      ("soft_margin_loss", lambda z: anynn.nn.functional.soft_margin_loss(z, z.real))])
def test_refused_where_torch_computes(backend, name, fn):
    """PyTorch computes these for complex inputs (silu without a gradient only); anynn's formulas would not give
    its values or gradients, so they refuse by name (docs/differences.md), and say that PyTorch computes them (the
    message said 'as PyTorch's'). (The recurrent layers compute complex inputs as PyTorch:
    tests/nn/test_recurrent.py.)"""
    with pytest.raises(RuntimeError, match=f"{name}.*PyTorch supports it, anynn does not") as refused:
        fn(make(backend, Z))
    assert "as PyTorch's" not in str(refused.value)


def test_bilinear_gradients_of_complex_operands(backend):
    """bilinear of complex operands: PyTorch computes the forward but refuses its gradient; anynn's (conjugated as
    for matmul) agrees with complex central differences, and its forward with PyTorch's."""
    arrays = (_complex(2, 3), _complex(2, 4), _complex(5, 3, 4), _complex(5))
    tensors = [make(backend, a, requires_grad=True) for a in arrays]
    np.testing.assert_allclose(anynn.nn.functional.bilinear(*tensors).detach().numpy(),
                               torch.nn.functional.bilinear(*map(torch.tensor, arrays)).numpy(), rtol=1e-12)
    assert grad_check(anynn.nn.functional.bilinear, *tensors)


@pytest.mark.parametrize("through", ["backward", "grad"])
def test_implicit_seed_of_a_complex_output_refused_as_torch(backend, through):
    # backward() of a complex scalar names no real loss: PyTorch refuses, and so does anynn (it seeded with ones,
    # silently giving the gradient of the real part)
    messages = []
    for lib in (anynn, torch):
        x = make(backend, Z[0, :1], requires_grad=True) if lib is anynn else torch.tensor(Z[0, :1], requires_grad=True)
        out = (x * x).sum()
        with pytest.raises(RuntimeError) as error:
            out.backward() if through == "backward" else lib.autograd.grad(out, x)
        messages.append(str(error.value))
    assert messages[0].split(" but got")[0] == messages[1].split(" but got")[0]
    x = make(backend, Z[0, :1], requires_grad=True)
    (x * x).sum().backward(make(backend, np.array(1 + 0j)))  # an explicit seed is accepted, as in PyTorch
    assert x.grad is not None


def _real_to_complex(base: type) -> type:
    """A custom Function of ``base`` (anynn's or torch's): x (real) -> x * (1 + 2j), whose backward wrongly hands
    back a complex gradient for the real x."""

    class _RealToComplex(base):
        @staticmethod
        def forward(ctx, x):
            return x * (1 + 2j)

        @staticmethod
        def backward(ctx, g):
            return g * (1 - 2j)

    return _RealToComplex


def test_complex_gradient_of_a_real_input_refused_as_torch(backend):
    # a custom Function whose backward returns a complex gradient for a real input: PyTorch's engine refuses it, and
    # so does anynn's, naming the Function (a cast dropped the imaginary part with a NumPy warning)
    for x, fn in ((make(backend, R[0], requires_grad=True), _real_to_complex(anynn.autograd.Function)),
                  (torch.tensor(R[0], requires_grad=True), _real_to_complex(torch.autograd.Function))):
        out = (fn.apply(x) * (0.5 - 1j)).abs().sum()
        with pytest.raises(RuntimeError, match="_RealToComplex.*complex128.*float64" if x is not None and
                           not isinstance(x, torch.Tensor) else "input_is_complex"):
            out.backward()


# (what, draw(lib) of a complex64 tensor, bounded); PyTorch draws the real and imaginary parts alike
COMPLEX_DRAWS = [
    ("rand", lambda lib: lib.rand(200, 100, dtype=lib.cfloat), True),
    ("randn", lambda lib: lib.randn(200, 100, dtype=lib.cfloat), False),
    ("uniform_", lambda lib: lib.nn.init.uniform_(lib.empty(200, 100, dtype=lib.cfloat), -1.0, 3.0), True),
    ("normal_", lambda lib: lib.nn.init.normal_(lib.empty(200, 100, dtype=lib.cfloat), 2.0, 3.0), False),
    ("xavier_normal_", lambda lib: lib.nn.init.xavier_normal_(lib.empty(200, 100, dtype=lib.cfloat)), False),
    ("linear_weight", lambda lib: lib.nn.Linear(100, 200, dtype=lib.cfloat).weight.detach(), True),
    ("conv2d_weight", lambda lib: lib.nn.Conv2d(8, 50, 5, dtype=lib.cfloat).weight.detach().reshape(50, -1), True),
]


@pytest.mark.parametrize("what, draw, bounded", COMPLEX_DRAWS, ids=[row[0] for row in COMPLEX_DRAWS])
def test_complex_draws_as_torch(what, draw, bounded):
    """Random complex tensors and complex layers' initial weights have random real and imaginary parts, each with
    PyTorch's range, mean and spread (they had a zero imaginary part); real draws keep their values."""
    anynn.manual_seed(0)
    torch.manual_seed(0)
    ours, theirs = draw(anynn), draw(torch)
    assert dtype_name(ours.dtype) == "complex64"
    for part in ("real", "imag"):
        mine, reference = getattr(ours, part).numpy(), getattr(theirs, part).numpy()
        if bounded:
            np.testing.assert_allclose([mine.min(), mine.max()], [reference.min(), reference.max()], rtol=0.05,
                                       atol=0.02, err_msg=f"{what}: range of the {part} part")
        np.testing.assert_allclose([mine.mean(), mine.std()], [reference.mean(), reference.std()], rtol=0.05,
                                   atol=0.02, err_msg=f"{what}: mean and spread of the {part} part")
    anynn.manual_seed(0)
    real = anynn.randn(3, 4).numpy()
    np.testing.assert_array_equal(real, np.random.default_rng(0).standard_normal((3, 4), dtype=np.float32))
