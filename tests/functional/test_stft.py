"""``anynn.stft`` / ``Tensor.stft`` and ``istft`` against ``torch.stft``/``torch.istft``: values, shapes and dtypes,
gradients of real and complex signals and spectra (and of the window), central differences, second order, the
round trip, warnings and refusals, on every backend."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import anynn
from anynn.autograd.grad_check import grad_check
from anynn.backend import dtype_name
from anynn.testing import gradgrad_check

from tests.helpers import make, weighted_real_sum

RNG = np.random.default_rng(5)
SIGNAL = RNG.standard_normal((2, 40))
COMPLEX_SIGNAL = SIGNAL + 1j * RNG.standard_normal((2, 40))
WINDOW = RNG.uniform(0.5, 1.0, 10)

# (name, keyword arguments, signal, window or None)
CASES = [
    ("defaults", dict(n_fft=16), SIGNAL, None),
    ("one_signal_hann", dict(n_fft=16, hop_length=5), SIGNAL[0], np.hanning(16)),
    ("short_window", dict(n_fft=16, hop_length=3, win_length=10), SIGNAL, WINDOW),
    ("short_rectangle", dict(n_fft=16, win_length=9), SIGNAL, None),
    ("odd_constant_normalized", dict(n_fft=15, hop_length=4, pad_mode="constant", normalized=True), SIGNAL, None),
    ("not_centred_two_sided", dict(n_fft=12, center=False, onesided=False), SIGNAL, WINDOW[:8].repeat(2)[:12]),
    ("complex_signal", dict(n_fft=16, hop_length=6), COMPLEX_SIGNAL, np.hanning(16)),
    ("circular", dict(n_fft=8, pad_mode="circular"), SIGNAL, None),
    ("replicate_real_pairs", dict(n_fft=8, pad_mode="replicate", return_complex=False), SIGNAL, None),
]


def _call(lib, kwargs, signal, window):
    kwargs = dict(kwargs)
    kwargs.setdefault("return_complex", True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # no window / return_complex=False: PyTorch's warnings
        return lib.stft(signal, window=window, **kwargs)




def _compare(name, out, ref, ours, theirs) -> None:
    """Values, shape and dtype of ``out`` against torch's ``ref``, then the gradients of ``ours`` against ``theirs``
    through the same real loss."""
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12, err_msg=name)
    assert tuple(out.shape) == tuple(ref.shape)
    assert dtype_name(out.dtype) == str(ref.dtype).removeprefix("torch.")
    weighted_real_sum(anynn, out).backward()
    weighted_real_sum(torch, ref).backward()
    for i, (mine, reference) in enumerate(zip(ours, theirs)):
        np.testing.assert_allclose(mine.grad.numpy(), reference.grad.numpy(), rtol=1e-9, atol=1e-11,
                                   err_msg=f"gradient {i} of {name}")


@pytest.mark.parametrize("name, kwargs, signal, window", CASES, ids=[case[0] for case in CASES])
def test_matches_torch(backend, name, kwargs, signal, window):
    """Values, shape and dtype, and the gradients of the signal and of the window, against PyTorch's (float64 and
    complex128)."""
    ours = [make(backend, signal, requires_grad=True)]
    theirs = [torch.tensor(signal, requires_grad=True)]
    if window is not None:
        ours.append(make(backend, window, requires_grad=True))
        theirs.append(torch.tensor(window, requires_grad=True))
    out = _call(anynn, kwargs, ours[0], ours[1] if window is not None else None)
    ref = _call(torch, kwargs, theirs[0], theirs[1] if window is not None else None)
    _compare(name, out, ref, ours, theirs)


@pytest.mark.parametrize("name", ["short_window", "complex_signal", "not_centred_two_sided"])
def test_gradients(backend, name):
    """Central differences (complex signals' parts in turn) agree with the gradients of the signal and window."""
    _, kwargs, signal, window = next(case for case in CASES if case[0] == name)
    tensors = [make(backend, signal[..., :24], requires_grad=True), make(backend, window, requires_grad=True)]
    kwargs = dict(kwargs, return_complex=True)
    assert grad_check(lambda x, w: anynn.stft(x, window=w, **kwargs), *tensors)


def test_second_order(backend):
    """The recorded gradient differentiates again (through pad, unfold, the window product and rfft)."""
    signal = make(backend, SIGNAL[0, :20], requires_grad=True)
    assert gradgrad_check(lambda x: anynn.stft(x * x, 8, hop_length=3, window=make(backend, np.hanning(8)),
                                               return_complex=True).abs(), signal)


def test_method_and_warnings_as_torch(backend):
    x = make(backend, SIGNAL)
    window = make(backend, np.hanning(16))
    np.testing.assert_allclose(x.stft(16, window=window, return_complex=True).numpy(),
                               torch.tensor(SIGNAL).stft(16, window=torch.tensor(np.hanning(16)),
                                                         return_complex=True).numpy(), atol=1e-12)
    with pytest.warns(UserWarning, match="A window was not provided"):
        anynn.stft(x, 16, return_complex=True)
    with pytest.warns(UserWarning, match="return_complex=False is deprecated"):
        pairs = anynn.stft(x, 16, window=window, return_complex=False)
    assert tuple(pairs.shape) == (2, 9, 11, 2) and dtype_name(pairs.dtype) == "float64"


SPECTRUM = torch.stft(torch.tensor(SIGNAL), 16, hop_length=4, window=torch.tensor(np.hanning(16)),
                      return_complex=True).numpy()
TWO_SIDED = torch.stft(torch.tensor(COMPLEX_SIGNAL), 12, hop_length=3, window=torch.ones(12, dtype=torch.float64),
                       return_complex=True).numpy()
# (name, keyword arguments, spectrum, window or None): istft's inputs, the spectra of stft
INVERSE_CASES = [
    ("hann", dict(n_fft=16, hop_length=4), SPECTRUM, np.hanning(16)),
    ("one_signal_length", dict(n_fft=16, hop_length=4, length=37), SPECTRUM[0], np.hanning(16)),
    ("rectangle_padded_length", dict(n_fft=16, hop_length=4, length=55), SPECTRUM, None),
    ("short_window_normalized", dict(n_fft=16, hop_length=3, win_length=12, normalized=True), SPECTRUM,
     np.hanning(14)[1:-1]),
    ("two_sided_complex", dict(n_fft=12, hop_length=3, return_complex=True), TWO_SIDED, np.ones(12)),
    ("two_sided_real", dict(n_fft=12, hop_length=3, onesided=False), TWO_SIDED, WINDOW[:6].repeat(2)),
    ("not_centred", dict(n_fft=8, hop_length=2, center=False), SPECTRUM[:, :5], np.ones(8)),
]


@pytest.mark.parametrize("name, kwargs, spectrum, window", INVERSE_CASES, ids=[case[0] for case in INVERSE_CASES])
def test_istft_matches_torch(backend, name, kwargs, spectrum, window):
    """istft's values, shape and dtype, and the gradients of the spectrum and the window, against PyTorch's."""
    ours = [make(backend, spectrum, requires_grad=True)]
    theirs = [torch.tensor(spectrum, requires_grad=True)]
    if window is not None:
        ours.append(make(backend, window, requires_grad=True))
        theirs.append(torch.tensor(window, requires_grad=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = anynn.istft(ours[0], window=ours[1] if window is not None else None, **kwargs)
        ref = torch.istft(theirs[0], window=theirs[1] if window is not None else None, **kwargs)
    _compare(name, out, ref, ours, theirs)


def test_istft_inverts_stft_and_its_gradients(backend):
    """istft(stft(x)) is x (Hann window, 75 % overlap), and central differences agree with the gradients of the
    spectrum and the window; the method spelling gives the same."""
    x = make(backend, SIGNAL)
    window = make(backend, np.hanning(16))
    spectrum = x.stft(16, hop_length=4, window=window, return_complex=True)
    np.testing.assert_allclose(spectrum.istft(16, hop_length=4, window=window, length=40).numpy(), SIGNAL,
                               atol=1e-12)
    small = make(backend, SPECTRUM[0, :5, :5], requires_grad=True)
    assert grad_check(lambda s, w: anynn.istft(s, 8, hop_length=2, window=w), small,
                      make(backend, np.hanning(10)[1:-1], requires_grad=True))


def test_half_signal_with_a_float32_window_as_torch(backend):
    """The window's float32 promotes a float16 signal's frames before the transform, so PyTorch computes it (a half
    signal alone is refused, see the refusals)."""
    if backend.key.startswith("array_api_strict"):
        pytest.skip("array_api_strict has no float16")
    signal, window = SIGNAL.astype(np.float16), np.hanning(16).astype(np.float32)
    ours = anynn.stft(make(backend, signal), 16, window=make(backend, window), return_complex=True)
    theirs = torch.stft(torch.tensor(signal), 16, window=torch.tensor(window), return_complex=True)
    assert dtype_name(ours.dtype) == str(theirs.dtype).removeprefix("torch.") == "complex64"
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-4, atol=1e-4)


# (what, fn(lib, x, window), message); PyTorch raises RuntimeError for each
REFUSALS = [
    ("return_complex_missing", lambda lib, x, w: lib.stft(x, 16, window=w), "requires the return_complex parameter"),
    ("window_size", lambda lib, x, w: lib.stft(x, 16, window=w[:10], return_complex=True),
     "expected a 1D window tensor of size equal to win_length=16"),
    ("n_fft_too_long", lambda lib, x, w: lib.stft(x, 64, center=False, return_complex=True, window=w.repeat(4)),
     "expected 0 < n_fft"),
    ("win_length_over_n_fft", lambda lib, x, w: lib.stft(x, 8, win_length=16, window=w, return_complex=True),
     "win_length"),
    ("three_d", lambda lib, x, w: lib.stft(x[None], 16, window=w, return_complex=True), "1D or 2D"),
    ("onesided_complex", lambda lib, x, w: lib.stft(x * 1j, 16, window=w, onesided=True, return_complex=True),
     "onesided"),
    ("align_with_center", lambda lib, x, w: lib.stft(x, 16, window=w, return_complex=True, align_to_window=True),
     "align_to_window should only be set when center = false"),
    # PyTorch's CPU transforms take float32/float64 (complex) only; anynn took integers and half precision
    ("integer_input", lambda lib, x, w: lib.stft((x * 8).long(), 16, window=w.float(), return_complex=True),
     "expected a tensor of floating point or complex values"),
    ("half_input", lambda lib, x, w: lib.stft(x.half(), 16, return_complex=True), "got float16"),
    ("half_input_and_window", lambda lib, x, w: lib.stft(x.half(), 16, window=w.half(), return_complex=True),
     "got float16"),
    ("istft_real_input", lambda lib, x, w: lib.istft(x, 16, window=w), "requires a complex-valued input"),
    ("istft_frequencies", lambda lib, x, w: lib.istft(x[:, :10] * 1j, 16, window=w), "frequency dimension"),
    ("istft_onesided_complex", lambda lib, x, w: lib.istft(x.T[:9] * 1j, 16, window=w, return_complex=True),
     "onesided"),
    ("istft_zero_envelope", lambda lib, x, w: lib.istft(x.T[:9] * 1j, 16, window=w, center=False),
     "window overlap add min"),
    ("istft_hop_over_window", lambda lib, x, w: lib.istft(x.T[:9] * 1j, 16, hop_length=20, window=w),
     "hop_length"),
]


@pytest.mark.parametrize("what, fn, message", REFUSALS, ids=[row[0] for row in REFUSALS])
def test_refusals_as_torch(backend, what, fn, message):
    with pytest.raises(RuntimeError):
        fn(torch, torch.tensor(SIGNAL), torch.tensor(np.hanning(16)))
    if what.startswith("half_input") and backend.key.startswith("array_api_strict"):
        pytest.skip("array_api_strict has no float16")
    with pytest.raises(RuntimeError, match=message):
        fn(anynn, make(backend, SIGNAL), make(backend, np.hanning(16)))
