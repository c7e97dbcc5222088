"""`anynn.fft` against ``torch.fft``: forward values, shapes and dtypes, PyTorch's gradients of real and complex
inputs (``irfft``'s doubled interior bins included) for odd and even sizes, ``n``/``s`` padding and truncation and
every ``norm``; complex central differences, second order, PyTorch's refusals, the frequency helpers, and an
FNO-style spectral convolution trained against PyTorch's, on every backend."""

from __future__ import annotations

import inspect

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd.grad_check import grad_check
from anynn.backend import dtype_name
from anynn.testing import gradgrad_check

from tests.helpers import complex_second_order_against_torch, make, weighted_real_sum

pytestmark = pytest.mark.jax

RNG = np.random.default_rng(11)


def _complex(*shape: int) -> np.ndarray:
    return RNG.standard_normal(shape) + 1j * RNG.standard_normal(shape)


R5, R6, R3D = RNG.standard_normal((2, 5)), RNG.standard_normal((2, 6)), RNG.standard_normal((3, 4, 5))
Z5, Z4, Z3D = _complex(2, 5), _complex(3, 4), _complex(3, 4, 3)

# (name, fn(lib, norm, x), input): real inputs take real gradients, complex ones PyTorch's dL/dx + i dL/dy
CASES = [
    ("fft_real_odd", lambda lib, norm, x: lib.fft.fft(x, norm=norm), R5),
    ("fft_complex_padded", lambda lib, norm, x: lib.fft.fft(x, n=8, norm=norm), Z5),
    ("fft_complex_truncated_dim0", lambda lib, norm, x: lib.fft.fft(x, n=2, dim=0, norm=norm), Z4),
    ("ifft_complex_truncated", lambda lib, norm, x: lib.fft.ifft(x, n=3, norm=norm), Z5),
    ("ifft_real_even", lambda lib, norm, x: lib.fft.ifft(x, norm=norm), R6),
    ("fft2_complex_resized", lambda lib, norm, x: lib.fft.fft2(x, s=(2, 7), norm=norm), Z4),
    ("ifft2_real", lambda lib, norm, x: lib.fft.ifft2(x, norm=norm), R3D),
    ("fftn_dims_02", lambda lib, norm, x: lib.fft.fftn(x, s=(2, -1), dim=(0, 2), norm=norm), Z3D),
    ("ifftn_all", lambda lib, norm, x: lib.fft.ifftn(x, norm=norm), Z3D),
    ("rfft_even", lambda lib, norm, x: lib.fft.rfft(x, norm=norm), R6),
    ("rfft_odd", lambda lib, norm, x: lib.fft.rfft(x, norm=norm), R5),
    ("rfft_padded", lambda lib, norm, x: lib.fft.rfft(x, n=9, norm=norm), R5),
    ("rfft_truncated_dim0", lambda lib, norm, x: lib.fft.rfft(x, n=1, dim=0, norm=norm), R6),
    ("rfft2", lambda lib, norm, x: lib.fft.rfft2(x, norm=norm), R3D),
    ("rfft2_resized", lambda lib, norm, x: lib.fft.rfft2(x, s=(5, 4), norm=norm), R3D),
    ("rfftn_dims_20", lambda lib, norm, x: lib.fft.rfftn(x, dim=(2, 0), norm=norm), R3D),
    # (a single int s and dim, as PyTorch's int lists read them: TypeError "no len()" before)
    ("rfftn_int_s_and_dim", lambda lib, norm, x: lib.fft.rfftn(x, 6, 0, norm=norm), R3D),
    ("irfft_even_default", lambda lib, norm, x: lib.fft.irfft(x, norm=norm), Z4),
    ("irfft_odd", lambda lib, norm, x: lib.fft.irfft(x, n=7, norm=norm), Z4),
    ("irfft_padded_input", lambda lib, norm, x: lib.fft.irfft(x, n=11, norm=norm), Z4),
    ("irfft_truncated_input", lambda lib, norm, x: lib.fft.irfft(x, n=4, norm=norm), Z4),
    ("irfft_real_input", lambda lib, norm, x: lib.fft.irfft(x, n=5, norm=norm), R6),
    ("irfft_n1", lambda lib, norm, x: lib.fft.irfft(x, n=1, norm=norm), Z4),
    ("irfft2_empty_padded", lambda lib, norm, x: lib.fft.irfft2(x, s=(3, 5), norm=norm), np.zeros((2, 0), complex)),
    ("irfft2", lambda lib, norm, x: lib.fft.irfft2(x, norm=norm), Z3D),
    ("irfft2_odd", lambda lib, norm, x: lib.fft.irfft2(x, s=(2, 5), norm=norm), Z3D),
    ("irfftn_dims_10", lambda lib, norm, x: lib.fft.irfftn(x, dim=(1, 0), norm=norm), Z3D),
    ("hfft_default", lambda lib, norm, x: lib.fft.hfft(x, norm=norm), Z4),
    ("hfft_odd_dim0", lambda lib, norm, x: lib.fft.hfft(x, n=5, dim=0, norm=norm), Z4),
    ("ihfft_odd", lambda lib, norm, x: lib.fft.ihfft(x, norm=norm), R5),
    ("ihfft_padded", lambda lib, norm, x: lib.fft.ihfft(x, n=8, norm=norm), R5),
    ("hfft2", lambda lib, norm, x: lib.fft.hfft2(x, norm=norm), Z3D),
    ("hfftn_dims_02", lambda lib, norm, x: lib.fft.hfftn(x, s=(4, 5), dim=(0, 2), norm=norm), Z3D),
    ("ihfft2", lambda lib, norm, x: lib.fft.ihfft2(x, norm=norm), R3D),
    ("ihfftn_resized", lambda lib, norm, x: lib.fft.ihfftn(x, s=(2, 6), dim=(1, 2), norm=norm), R3D),
    ("round_trip", lambda lib, norm, x: lib.fft.irfft(lib.fft.rfft(x, norm=norm) ** 2, n=5, norm=norm), R5),
    ("shifts", lambda lib, norm, x: lib.fft.ifftshift(lib.fft.fftshift(x, dim=(0, 2)) * x, dim=1), Z3D),
]
# the rows run under "ortho" and "forward" too: each family, odd and even sizes, padding and truncation
NORM_ROWS = ("fft_complex_padded", "ifft_complex_truncated", "fftn_dims_02", "rfft_odd", "rfft_truncated_dim0",
             "rfft2_resized", "irfft_even_default", "irfft_odd", "irfft_padded_input", "irfft_truncated_input",
             "irfft2_odd", "hfft_odd_dim0", "ihfft_padded", "hfftn_dims_02", "ihfftn_resized")
# eager JAX dispatches every call: these rows (default norm) are its subset
JAX_ROWS = ("fft_complex_padded", "fftn_dims_02", "rfft_odd", "irfft_odd", "irfft_truncated_input", "hfft_default")
_NOT_JAX = pytest.mark.jax(run=False)
NORM_CASES = [pytest.param(*case, norm, id=f"{case[0]}-{norm}",
                           marks=() if norm is None and case[0] in JAX_ROWS else _NOT_JAX)
              for case in CASES for norm in (None, "ortho", "forward") if norm is None or case[0] in NORM_ROWS]
GRADIENT_CASES = [pytest.param(*case, id=case[0], marks=() if case[0] in JAX_ROWS[2:5] else _NOT_JAX)
                  for case in CASES]




@pytest.mark.parametrize("name, fn, array, norm", NORM_CASES)
def test_matches_torch(backend, name, fn, array, norm):
    """Forward (values, shape, dtype) and the input's gradient of a real loss, against PyTorch in float64 and
    complex128, under every norm."""
    ours, theirs = make(backend, array, requires_grad=True), torch.tensor(array, requires_grad=True)
    out, ref = fn(anynn, norm, ours), fn(torch, norm, theirs)
    np.testing.assert_allclose(out.numpy(), ref.detach().resolve_conj().numpy(), rtol=1e-10, atol=1e-12,
                               err_msg=f"forward {name}")
    assert tuple(out.shape) == tuple(ref.shape)
    assert dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
    weighted_real_sum(anynn, out).backward()
    weighted_real_sum(torch, ref).backward()
    assert ours.grad.dtype == ours.dtype
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.resolve_conj().numpy(), rtol=1e-9, atol=1e-11,
                               err_msg=f"gradient of {name}")


@pytest.mark.parametrize("name, fn, array", GRADIENT_CASES)
def test_gradients(backend, name, fn, array):
    """Central differences (a complex input's real and imaginary parts moved in turn) agree with the gradients."""
    assert grad_check(lambda x: fn(anynn, "ortho", x), make(backend, array, requires_grad=True))


@pytest.mark.parametrize("op", ["irfft", "hfft", "irfftn"])
def test_an_empty_spectrum_padded_gives_zeros(backend, op):
    """NumPy's irfft of an empty axis padded to n read uninitialised memory (values of earlier arrays came out)."""
    for _ in range(3):
        np.random.default_rng(0).standard_normal(4096)  # freed memory full of numbers
        out = getattr(anynn.fft, op)(make(backend, np.zeros((2, 0), complex)), 6 if op != "irfftn" else (6,))
        assert tuple(out.shape) == (2, 6)
        np.testing.assert_array_equal(out.numpy(), np.zeros((2, 6)))


SECOND_ORDER = [
    ("fft", lambda lib, x, y: (lib.fft.fft(x * y, n=7, norm="forward").abs() ** 2).sum()),
    ("rfft", lambda lib, x, y: lib.fft.rfft(x.real * y.real, n=4).abs().sum()),
    ("irfft", lambda lib, x, y: (lib.fft.irfft(x * y, n=5) ** 3).sum()),
    ("fft2_ifft2", lambda lib, x, y: (lib.fft.ifft2(lib.fft.fft2(x, norm="ortho") * y) ** 2).imag.sum()),
    ("hfft_ihfft", lambda lib, x, y: (lib.fft.hfft(x * y) ** 2).sum() + lib.fft.ihfft(x.real ** 2).abs().sum()),
    ("hfft2_ihfft2", lambda lib, x, y: (lib.fft.hfft2(x * y) ** 2).sum() + lib.fft.ihfft2(x.imag * y.real).abs().sum()),
]


@pytest.mark.parametrize("name, fn", [pytest.param(*row, id=row[0], marks=() if row[0] == "fft2_ifft2" else _NOT_JAX)
                                      for row in SECOND_ORDER])
def test_second_order_matches_torch(backend, name, fn):
    """The gradient of ``re(sum(grad_x * w)) + sum(|grad_y|²)``, the first gradients recorded, against PyTorch's."""
    complex_second_order_against_torch(backend, fn, _complex(3, 4), _complex(3, 4), _complex(3, 4))


GRADGRAD = [
    ("FftFunction", lambda x: (anynn.fft.fft(x, n=6) * anynn.fft.ifft(x, n=6, norm="ortho")).abs(), R5),
    ("RfftFunction", lambda x: anynn.fft.rfft2(x * x, s=(3, 4)).abs(), R3D[:2]),
    ("IrfftFunction", lambda x: anynn.fft.irfft(x * x, n=5, norm="forward") ** 2, R6),
]


@pytest.mark.parametrize("name, fn, array", GRADGRAD, ids=[row[0] for row in GRADGRAD])
def test_gradgrad(backend, name, fn, array):
    """Second derivatives of each transform's Function by central differences of its recorded gradient."""
    assert gradgrad_check(fn, make(backend, array, requires_grad=True))


@pytest.mark.jax(run=False)
def test_func_transforms_as_torch(backend):
    """anynn.func over the transforms: per-sample gradients (vmap of grad), a Jacobian and a Hessian, as torch.func's;
    ``dim`` counts per sample under vmap."""
    x = R3D[0]
    grads = anynn.func.vmap(anynn.func.grad(lambda t: anynn.fft.rfft(t).abs().sum()))(make(backend, x))
    reference = torch.func.vmap(torch.func.grad(lambda t: torch.fft.rfft(t).abs().sum()))(torch.tensor(x))
    np.testing.assert_allclose(grads.numpy(), reference.numpy(), rtol=1e-10, atol=1e-12)
    jacobian = anynn.func.jacrev(lambda t: anynn.fft.irfft(t * t, n=6))(make(backend, x[0, :4]))
    np.testing.assert_allclose(jacobian.numpy(), torch.func.jacrev(lambda t: torch.fft.irfft(t * t, n=6))(
        torch.tensor(x[0, :4])).numpy(), rtol=1e-10, atol=1e-12)
    hessian = anynn.func.hessian(lambda t: (anynn.fft.fft(t, n=7).abs() ** 3).sum())(make(backend, x[1]))
    np.testing.assert_allclose(hessian.numpy(), torch.func.hessian(lambda t: (torch.fft.fft(t, n=7).abs() ** 3).sum())(
        torch.tensor(x[1])).numpy(), rtol=1e-9, atol=1e-10)
    batched = anynn.func.vmap(lambda t: anynn.fft.fft(t, dim=0))(make(backend, R3D))
    np.testing.assert_allclose(batched.numpy(), torch.fft.fft(torch.tensor(R3D), dim=1).numpy(), atol=1e-12)


@pytest.mark.parametrize("dtype, complex_dtype", [("float32", "complex64"), ("float64", "complex128")])
def test_dtypes_as_torch(backend, dtype, complex_dtype):
    """Real float32 (float64) in: complex64 (complex128) spectra, float32 (float64) back; integers read as float32;
    the gradient of a float32 input is float32."""
    x = RNG.standard_normal((3, 8)).astype(dtype)
    ours = make(backend, x, requires_grad=True)
    spectrum = anynn.fft.rfft(ours)
    assert dtype_name(spectrum.dtype) == complex_dtype
    assert dtype_name(anynn.fft.fft(ours).dtype) == complex_dtype
    back = anynn.fft.irfft(spectrum, n=8)
    assert dtype_name(back.dtype) == dtype
    np.testing.assert_allclose(back.numpy(), x, rtol=1e-5, atol=1e-5)
    (back * back).sum().backward()
    assert dtype_name(ours.grad.dtype) == dtype
    np.testing.assert_allclose(ours.grad.numpy(), 2 * x, rtol=1e-4, atol=1e-5)
    integers = make(backend, np.arange(6))
    np.testing.assert_allclose(anynn.fft.fft(integers).numpy(), torch.fft.fft(torch.arange(6)).numpy(), atol=1e-5)
    assert dtype_name(anynn.fft.fft(integers).dtype) == "complex64"


def test_frequencies_and_shifts_as_torch(backend):
    for n, d in ((0, 1.0), (1, 1.0), (4, 0.5), (5, 2.0), (8, 0.1)):  # n = 0: rfftfreq's one bin is 0 / 0
        for dtype, torch_dtype in ((None, None), (anynn.float64, torch.float64)):
            mine = anynn.fft.fftfreq(n, d, dtype=dtype, backend=backend)
            theirs = torch.fft.fftfreq(n, d, dtype=torch_dtype)
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy(), err_msg=f"fftfreq({n}, {d})")
            assert dtype_name(mine.dtype) == str(theirs.dtype).removeprefix("torch.")
            mine = anynn.fft.rfftfreq(n, d, dtype=dtype, backend=backend)
            np.testing.assert_array_equal(mine.numpy(), torch.fft.rfftfreq(n, d, dtype=torch_dtype).numpy())
    assert anynn.fft.fftfreq(3, backend=backend, requires_grad=True).requires_grad
    x = RNG.standard_normal((3, 4, 5))
    for dim in (None, 0, (1, 2), [-1]):
        for ours, theirs in ((anynn.fft.fftshift, torch.fft.fftshift), (anynn.fft.ifftshift, torch.fft.ifftshift)):
            np.testing.assert_array_equal(ours(make(backend, x), dim=dim).numpy(),
                                          theirs(torch.tensor(x), dim=dim).numpy())


@pytest.mark.parametrize("name", anynn.fft.__all__)
def test_signatures_as_torch(name):
    """Each function takes PyTorch's arguments in PyTorch's order with PyTorch's defaults (its builtins state them on
    their docstrings' first line); ``backend=`` is anynn's own, after them."""
    theirs = getattr(torch.fft, name).__doc__.strip().split("\n")[0]
    theirs = theirs[theirs.index("(") + 1:theirs.rindex(")")].replace("torch.", "anynn.")
    ours = inspect.signature(getattr(anynn.fft, name))
    parts = []
    for parameter in ours.parameters.values():
        if parameter.name == "backend":
            continue
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and "*" not in parts:
            parts.append("*")
        default = parameter.default
        parts.append(parameter.name if default is inspect.Parameter.empty else
                     f"{parameter.name}={default!r}".replace("'", ""))
    assert ", ".join(parts) == theirs.replace("'", "")


def test_out_argument_as_torch(backend):
    x = make(backend, R6)
    out = make(backend, np.zeros(4, dtype=np.complex128))
    result = anynn.fft.rfft(x, out=out)
    assert result is out and tuple(out.shape) == (2, 4)
    np.testing.assert_allclose(out.numpy(), torch.fft.rfft(torch.tensor(R6)).numpy(), atol=1e-12)
    frequencies = make(backend, np.zeros(5))
    anynn.fft.fftfreq(5, out=frequencies)
    np.testing.assert_array_equal(frequencies.numpy(), torch.fft.fftfreq(5, dtype=torch.float64).numpy())


# (what, fn(lib, real x, complex z), error, message): PyTorch raises the same error class
REFUSALS = [
    ("dim_out_of_range", lambda lib, x, z: lib.fft.fft(x, dim=2), IndexError, r"fft.fft: Dimension out of range"),
    ("dims_out_of_range", lambda lib, x, z: lib.fft.fftn(z, dim=(0, -3)), IndexError, "expected to be in range of"),
    ("zero_d", lambda lib, x, z: lib.fft.rfft(x[0, 0]), IndexError, "tensor has no dimensions"),
    ("bad_norm", lambda lib, x, z: lib.fft.fft(x, norm="foo"), RuntimeError, 'Invalid normalization mode: "foo"'),
    ("bad_norm_irfft", lambda lib, x, z: lib.fft.irfft(z, norm="Ortho"), RuntimeError, "Invalid normalization"),
    ("n_zero", lambda lib, x, z: lib.fft.fft(x, n=0), RuntimeError, r"Invalid number of data points \(0\)"),
    # -1 keeps a size only in s; a 1-D transform's n=-1 was read as that and accepted
    ("n_minus_one", lambda lib, x, z: lib.fft.irfft(z, n=-1), RuntimeError, r"data points \(-1\)"),
    ("ihfft_n_minus_one", lambda lib, x, z: lib.fft.ihfft(x, n=-1, dim=0), RuntimeError, r"data points \(-1\)"),
    ("fftshift_zero_d", lambda lib, x, z: lib.fft.fftshift(x[0, 0]), RuntimeError, "`shifts` required"),
    ("ifftshift_no_dims", lambda lib, x, z: lib.fft.ifftshift(z, dim=()), RuntimeError, "`shifts` required"),
    ("s_negative", lambda lib, x, z: lib.fft.rfft2(x, s=(2, -3)), RuntimeError, r"data points \(-3\)"),
    ("irfft_of_one_bin", lambda lib, x, z: lib.fft.irfft(z[:, :1]), RuntimeError, r"data points \(0\)"),
    ("float_n", lambda lib, x, z: lib.fft.fft(x, n=3.0), TypeError, "argument 'n' must be int"),
    # a 1-D transform's dims as a tuple (fft(x, dim=(0, 1)) computed a 2-D transform before)
    ("tuple_dim", lambda lib, x, z: lib.fft.rfft(x, dim=(0, 1)), TypeError, "argument 'dim' must be int, not tuple"),
    ("rfft_complex", lambda lib, x, z: lib.fft.rfft(z), RuntimeError, "rfft expects a real input tensor"),
    ("ihfft_complex", lambda lib, x, z: lib.fft.ihfft(z), RuntimeError, "ihfft expects a real input tensor"),
    ("ihfft2_complex", lambda lib, x, z: lib.fft.ihfft2(z), RuntimeError, "ihfft2 expects a real input tensor"),
    ("hfftn_dim_out_of_range", lambda lib, x, z: lib.fft.hfftn(z, dim=(0, 2)), IndexError, "Dimension out of range"),
    ("duplicate_dims", lambda lib, x, z: lib.fft.fft2(x, dim=(1, -1)), RuntimeError, "FFT dims must be unique"),
    ("s_and_dim_lengths", lambda lib, x, z: lib.fft.fftn(x, s=(3,), dim=(0, 1)), RuntimeError,
     "dim and shape arguments must have the same length"),
    ("s_too_long", lambda lib, x, z: lib.fft.fftn(x, s=(2, 2, 2)), RuntimeError, "Got shape with 3 values"),
    ("rfftn_no_axes", lambda lib, x, z: lib.fft.rfftn(x, dim=()), RuntimeError, "must transform at least one axis"),
    ("half", lambda lib, x, z: lib.fft.fft(x.half()), RuntimeError, "Unsupported dtype Half"),
    ("fftfreq_integer_dtype", lambda lib, x, z: lib.fft.fftfreq(4, dtype=lib.int64), RuntimeError,
     "fftfreq requires a floating point"),
]


@pytest.mark.parametrize("what, fn, error, message", REFUSALS, ids=[row[0] for row in REFUSALS])
def test_refusals_as_torch(backend, what, fn, error, message):
    with pytest.raises(error):
        fn(torch, torch.tensor(R5, dtype=torch.float32), torch.tensor(Z4))
    if what == "half" and backend.key.startswith("array_api_strict"):
        pytest.skip("array_api_strict has no float16")
    with pytest.raises(error, match=message):
        fn(anynn, make(backend, R5, dtype="float32"), make(backend, Z4))


def _spectral_conv(lib):
    """An FNO spectral convolution (Li et al.) written once against ``lib``'s names: the lowest ``modes`` rows (top
    and bottom) and columns of ``rfft2`` mixed across channels by complex weights, then ``irfft2``."""

    class SpectralConv2d(lib.nn.Module):
        def __init__(self, weights1, weights2, modes):
            super().__init__()
            self.modes = modes
            self.weights1 = lib.nn.Parameter(weights1)
            self.weights2 = lib.nn.Parameter(weights2)

        def forward(self, x):
            m = self.modes
            x_ft = lib.fft.rfft2(x, norm="ortho")
            batch, _, height, width = x_ft.shape
            out_ft = lib.zeros(batch, self.weights1.shape[1], height, width, dtype=x_ft.dtype)
            if lib is anynn:
                out_ft = out_ft.to(x.backend)
            out_ft[:, :, :m, :m] = lib.einsum("bixy,ioxy->boxy", x_ft[:, :, :m, :m], self.weights1)
            out_ft[:, :, -m:, :m] = lib.einsum("bixy,ioxy->boxy", x_ft[:, :, -m:, :m], self.weights2)
            return lib.fft.irfft2(out_ft, s=(x.shape[-2], x.shape[-1]), norm="ortho")

    return SpectralConv2d


@pytest.mark.jax(run=False)
def test_spectral_convolution_trains_as_torch(backend):
    """Three SGD steps of an FNO spectral convolution with complex weights: the same losses and weights as PyTorch's
    (same start), float64."""
    rng = np.random.default_rng(3)
    w1, w2 = 0.3 * _complex(2, 3, 3, 3), 0.3 * _complex(2, 3, 3, 3)
    x, target = rng.standard_normal((4, 2, 8, 8)), rng.standard_normal((4, 3, 8, 8))
    ours = _spectral_conv(anynn)(make(backend, w1), make(backend, w2), 3)
    theirs = _spectral_conv(torch)(torch.tensor(w1), torch.tensor(w2), 3)
    optimizers = anynn.optim.SGD(ours.parameters(), lr=0.5), torch.optim.SGD(theirs.parameters(), lr=0.5)
    for _ in range(3):
        losses = []
        for model, optimizer, inputs, wanted in ((ours, optimizers[0], make(backend, x), make(backend, target)),
                                                 (theirs, optimizers[1], torch.tensor(x), torch.tensor(target))):
            optimizer.zero_grad()
            loss = ((model(inputs) - wanted) ** 2).mean()
            loss.backward()
            optimizer.step()
            losses.append(float(loss.item()))
        np.testing.assert_allclose(losses[0], losses[1], rtol=1e-10)
    for name in ("weights1", "weights2"):
        np.testing.assert_allclose(getattr(ours, name).detach().numpy(), getattr(theirs, name).detach().numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=name)
