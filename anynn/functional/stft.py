"""``stft`` and ``istft``: PyTorch's short-time Fourier transform and its inverse, composed from differentiable
pieces (``pad``, ``Tensor.unfold`` for the frames, the window product, the transforms of
`anynn.functional.fourier`, ``fold`` for the overlap-add), so their gradients are theirs, to any order.

Shapes: input (L) or (B, L), real or complex -> (n_freq, n_frames) or (B, n_freq, n_frames) complex, with
``n_freq = n_fft // 2 + 1`` (onesided) or ``n_fft``, and ``n_frames = 1 + (L' - n_fft) // hop_length`` where ``L'``
is L plus ``n_fft // 2`` on each side when ``center``.
"""

from __future__ import annotations

import warnings

from ..autograd.autocast_mode import autocast_operands
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from .complex_numbers import view_as_real
from .fold import fold
from .fourier import FftFunction, IrfftFunction, RfftFunction
from .padding import pad as _pad
from .value_checks import check_values

_NO_WINDOW = ("A window was not provided. A rectangular window will be applied,which is known to cause spectral "
              "leakage. Other windows such as torch.hann_window or torch.hamming_window are recommended to reduce "
              "spectral leakage.To suppress this warning and use a rectangular window, explicitly set "
              "`window=torch.ones(n_fft, device=<device>)`.")
_RETURN_COMPLEX = ("stft requires the return_complex parameter be given for real inputs, and will further require "
                   "that return_complex=True in a future PyTorch release.")


def _checked(input: Tensor, n_fft: int, hop: int, win: int, window: Tensor | None, length: int) -> None:
    if not 0 < n_fft <= length:
        raise RuntimeError(f"stft: expected 0 < n_fft <= {length}, but got n_fft={n_fft}")
    if hop <= 0:
        raise RuntimeError(f"stft: expected hop_length > 0, but got hop_length={hop}")
    if not 0 < win <= n_fft:
        raise RuntimeError(f"stft: expected 0 < win_length <= n_fft, but got win_length={win}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(f"stft: expected a 1D window tensor of size equal to win_length={win}, but got window with "
                           f"size {list(window.shape)}")
    if window is not None and window.backend != input.backend:
        raise RuntimeError(f"stft: the window is on backend {window.backend.key!r} but the input on "
                           f"{input.backend.key!r}; move one with .to(...)")


def stft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,  # noqa: A002
         window: Tensor | None = None, center: bool = True, pad_mode: str = "reflect", normalized: bool = False,
         onesided: bool | None = None, return_complex: bool | None = None,
         align_to_window: bool | None = None) -> Tensor:
    """The short-time Fourier transform (``torch.stft``): frames of ``n_fft`` samples every ``hop_length``
    (``n_fft // 4`` by default), each multiplied by ``window`` (``win_length`` long, centred in the frame; a
    rectangular one, with PyTorch's warning, when None) and transformed along the frame.

    input: (L) or (B, L) -> (n_freq, n_frames) or (B, n_freq, n_frames) complex (``return_complex=True``, which
    real inputs must give, as in PyTorch), or with a last axis of 2 (real, imaginary) for ``return_complex=False``.
    ``center`` pads ``n_fft // 2`` samples on each side with ``pad_mode`` ("reflect", "constant", "replicate",
    "circular"); ``normalized`` multiplies by ``n_fft ** -0.5``; ``onesided`` (default: real input and window)
    keeps the ``n_fft // 2 + 1`` non-negative frequencies.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"stft(): argument 'input' must be Tensor, not {type(input).__name__}")
    if input.ndim not in (1, 2):
        raise RuntimeError(f"stft: expected a 1D or 2D tensor, but got a {input.ndim}D tensor of shape "
                           f"{tuple(input.shape)}")
    kind = dtype_name(input.dtype)
    if kind in ("float16", "bfloat16"):
        (input,) = autocast_operands("float32", "stft", input)  # under autocast the transform runs in float32
        kind = dtype_name(input.dtype)
    # half precision is refused where nothing promotes it: a float32 window makes the frames float32, as in PyTorch
    half = kind in ("float16", "bfloat16") and (window is None or dtype_name(window.dtype) in ("float16", "bfloat16"))
    if half or not input.backend.xp.isdtype(input.dtype, ("real floating", "complex floating")):
        raise RuntimeError(f"stft: expected a tensor of floating point or complex values, float32/float64 or "
                           f"complex64/complex128 as PyTorch's CPU transforms, but got {kind} (cast it first, "
                           f"x.float())")
    complex_input = input.is_complex() or (window is not None and window.is_complex())
    if return_complex is None and not complex_input:
        raise RuntimeError(_RETURN_COMPLEX)
    if center and align_to_window is not None:
        raise RuntimeError("stft align_to_window should only be set when center = false")
    if align_to_window:
        raise NotImplementedError("stft: align_to_window=True is not supported by anynn; pad the signal by "
                                  "(n_fft - win_length) // 2 samples instead")
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    frames = input if input.ndim == 2 else input.unsqueeze(0)
    if center:
        half = n_fft // 2
        frames = _pad(frames.unsqueeze(1), (half, half), mode=pad_mode).squeeze(1)
    _checked(input, n_fft, hop, win, window, frames.shape[-1])
    frames = frames.unfold(-1, n_fft, hop)  # (B, n_frames, n_fft)
    left = (n_fft - win) // 2
    if window is None:
        warnings.warn(_NO_WINDOW, UserWarning, stacklevel=2)
        if win < n_fft:  # the rectangular window's zero padding: only the middle win samples count
            frames = _pad(frames[..., left:left + win], (left, n_fft - win - left))
    else:
        frames = frames * (window if win == n_fft else _pad(window, (left, n_fft - win - left)))
    if onesided is None:
        onesided = not complex_input
    elif onesided and complex_input:
        raise RuntimeError("stft: Cannot have onesided output if window or input is complex")
    if onesided:
        spectrum = RfftFunction.apply(frames, axes=(2,), sizes=(n_fft,), norm="backward")
    else:
        spectrum = FftFunction.apply(frames, axes=(2,), sizes=(n_fft,), norm="backward", inverse=False)
    if normalized:
        spectrum = spectrum * n_fft ** -0.5
    spectrum = spectrum.transpose(-1, -2)
    if input.ndim == 1:
        spectrum = spectrum.squeeze(0)
    if return_complex is False:
        warnings.warn("stft with return_complex=False is deprecated. In a future pytorch release, stft will return "
                      "complex tensors for all inputs, and return_complex=False will raise an error.", UserWarning,
                      stacklevel=2)
        return view_as_real(spectrum)
    return spectrum


def _full_window(input: Tensor, window: Tensor | None, win: int, n_fft: int) -> Tensor:
    """``window`` (rectangular when None) zero-padded to ``n_fft``, centred."""
    left = (n_fft - win) // 2
    if window is None:
        be = input.backend
        real = be.xp.real(input.array[(0,) * input.ndim]).dtype
        window = Tensor._make(be.xp.ones((win,), dtype=real, device=be.device), be, None, 0)
    return window if win == n_fft else _pad(window, (left, n_fft - win - left))


def istft(input: Tensor, n_fft: int, hop_length: int | None = None, win_length: int | None = None,  # noqa: A002
          window: Tensor | None = None, center: bool = True, normalized: bool = False, onesided: bool | None = None,
          length: int | None = None, return_complex: bool = False) -> Tensor:
    """The inverse of `stft` (``torch.istft``): each frame's inverse transform (``irfft``, or ``ifft`` for
    ``return_complex=True``) times ``window``, overlap-added every ``hop_length`` samples (`fold`) and divided by the
    overlap-added squared window; the ``center`` padding is cut off, and ``length`` truncates or zero-pads the end.

    input: (n_freq, n_frames) or (B, n_freq, n_frames) complex -> (L) or (B, L), real unless ``return_complex``.
    A window whose overlap-added square vanishes somewhere (a Hann window with ``center=False``) is refused, as by
    PyTorch.
    """
    if not isinstance(input, Tensor) or not input.is_complex():
        raise RuntimeError("istft requires a complex-valued input tensor matching the output from stft with "
                           "return_complex=True.")
    if input.ndim not in (2, 3):
        raise RuntimeError(f"istft: expected a tensor with 2 or 3 dimensions of complex dtype, but got a "
                           f"{input.ndim}D tensor of shape {tuple(input.shape)}")
    hop = n_fft // 4 if hop_length is None else int(hop_length)
    win = n_fft if win_length is None else int(win_length)
    if not 0 < win <= n_fft:
        raise RuntimeError(f"istft: expected 0 < win_length <= n_fft, but got win_length={win}")
    if not 0 < hop <= win:
        raise RuntimeError(f"istft: expected 0 < hop_length <= win_length, but got hop_length={hop}")
    if window is not None and (window.ndim != 1 or window.shape[0] != win):
        raise RuntimeError(f"istft: expected a 1D window tensor of size equal to win_length={win}, but got window "
                           f"with size {list(window.shape)}")
    spectrum = input if input.ndim == 3 else input.unsqueeze(0)
    n_freq, n_frames = spectrum.shape[1], spectrum.shape[2]
    if onesided is None:
        onesided = n_freq != n_fft
    if onesided and n_freq != n_fft // 2 + 1:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
                           f"n_fft / 2 + 1 when onesided=True, but got {n_freq}")
    if not onesided and n_freq != n_fft:
        raise RuntimeError(f"istft: expected the frequency dimension (3rd to the last) of the input tensor to match "
                           f"n_fft when onesided=False, but got {n_freq}")
    frames = spectrum.transpose(1, 2)  # (B, n_frames, n_freq)
    if normalized:
        frames = frames * n_fft ** 0.5
    if return_complex:
        if onesided:
            raise RuntimeError("istft: Cannot have onesided output if window or input is complex")
        frames = FftFunction.apply(frames, axes=(2,), sizes=(n_fft,), norm="backward", inverse=True)
    else:
        if window is not None and window.is_complex():
            raise RuntimeError("istft: Complex windows are incompatible with return_complex=False")
        if not onesided:
            frames = frames[..., :n_fft // 2 + 1]
        frames = IrfftFunction.apply(frames, axes=(2,), sizes=(n_fft,), norm="backward")
    if window is None:
        warnings.warn("A window was not provided. A rectangular window will be applied.Please provide the same "
                      "window used by stft to make the inversion lossless.To suppress this warning and use a "
                      "rectangular window, explicitly set `window=torch.ones(n_fft, device=<device>)`.", UserWarning,
                      stacklevel=2)
    full = _full_window(input, window, win, n_fft)
    total = n_fft + hop * (n_frames - 1)
    signal = _overlap_add((frames * full).transpose(1, 2), total, n_fft, hop)  # (B, total)
    envelope = _overlap_add((full * full).reshape(1, n_fft, 1).expand(1, n_fft, n_frames), total, n_fft, hop)[0]
    start = n_fft // 2 if center else 0
    end = start + length if length is not None else (total - n_fft // 2 if center else total)
    signal, envelope = signal[:, start:end], envelope[start:end]
    check_values(input.backend, envelope.abs().array < 1e-11, "istft: window overlap add min: the overlap-added "
                 "squared window is (nearly) zero at some output sample, so the frames cannot be divided by it; use "
                 "the window and hop_length of the stft, with center=True for a window that starts at zero",
                 error=RuntimeError)
    signal = signal / envelope
    if length is not None and signal.shape[-1] < length:
        warnings.warn("The length of signal is shorter than the length parameter. Result is being padded with zeros "
                      "in the tail. Please check your center and hop_length settings.", UserWarning, stacklevel=2)
        signal = _pad(signal, (0, length - signal.shape[-1]))
    return signal if input.ndim == 3 else signal.squeeze(0)


def _overlap_add(columns: Tensor, total: int, n_fft: int, hop: int) -> Tensor:
    """(B, n_fft, n_frames) frames summed into (B, total) samples, frame j starting at ``j * hop``."""
    return fold(columns, (1, total), (1, n_fft), stride=(1, hop)).reshape(columns.shape[0], total)


METHODS = {"stft": stft, "istft": istft}  # Tensor.stft(n_fft, ...), Tensor.istft(n_fft, ...)

__all__ = ["METHODS", "istft", "stft"]
