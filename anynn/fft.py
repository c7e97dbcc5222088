"""PyTorch's ``torch.fft``: discrete Fourier transforms with PyTorch's names, arguments and dtypes.

``fft``/``ifft``/``fft2``/``ifft2``/``fftn``/``ifftn`` (complex to complex), ``rfft``/``rfft2``/``rfftn`` (real to the
one-sided spectrum), ``irfft``/``irfft2``/``irfftn`` (one-sided spectrum to real), ``hfft``/``ihfft`` and their 2-D
and N-D forms (the Hermitian pair), ``fftfreq``/``rfftfreq`` (the sample frequencies) and ``fftshift``/``ifftshift``.

Arguments as PyTorch's: ``n`` (1-D) or ``s`` (2-D, N-D) zero-pads or truncates the input along each transformed
``dim`` first (``-1`` in ``s`` keeps that size); ``norm`` is "backward" (the default: the inverse scales by 1/n),
"forward" (the forward transform scales by 1/n) or "ortho" (both by 1/sqrt(n)). Real float32 (float64) input gives
complex64 (complex128); integer input is read as float32; float16 and bfloat16 are refused, as on PyTorch's CPU.

The transforms are three Functions (`anynn.functional.fourier`) over the array API's ``fft`` extension, with
PyTorch's gradients (``irfft``'s interior bins doubled) to any order. Example, a low-pass filter::

    import anynn
    x = anynn.randn(8, 64)
    spectrum = anynn.fft.rfft(x)                                # (8, 33) complex64
    kept = spectrum * (anynn.fft.rfftfreq(64) < 0.1)            # the bins under 0.1 cycles per sample
    smooth = anynn.fft.irfft(kept, n=64)                        # (8, 64) float32
"""

from __future__ import annotations

import math
import operator
from typing import Any

from .autograd.autocast_mode import autocast_operands
from .autograd.tensor import Tensor
from .backend import dtype_name, get_backend
from .backend.default_dtype import default_float
from .device import resolve as resolve_device
from .functional.complex_numbers import conj
from .functional.fourier import DUAL_NORM, FftFunction, IrfftFunction, RfftFunction
from .functional.rearrange import roll
from .functional.value_checks import refuse_bool_dims
from .layout import check_layout, strided
from .out_argument import with_out

_NORMS = ("backward", "ortho", "forward")
_TORCH_NAMES = {"float16": "Half", "bfloat16": "BFloat16", "complex64": "ComplexFloat", "complex128": "ComplexDouble"}


def _norm(op: str, norm: str | None) -> str:
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise RuntimeError(f'fft.{op}: Invalid normalization mode: "{norm}" (expected "backward", "ortho" or '
                           f'"forward")')
    return norm


def _input(op: str, x: Tensor, real_only: bool = False) -> Tensor:
    """``x`` ready for a transform: integers and booleans as float32; half precision refused (as PyTorch's CPU
    kernels) outside autocast (float32 inside it), complex input refused by the real-input transforms."""
    if not isinstance(x, Tensor):
        raise TypeError(f"fft.{op}(): argument 'input' must be a Tensor, not {type(x).__name__}")
    name = dtype_name(x.dtype)
    if name in ("float16", "bfloat16"):
        (x,) = autocast_operands("float32", f"fft.{op}", x)  # under autocast the transforms run in float32
        name = dtype_name(x.dtype)
    if name in ("float16", "bfloat16"):
        raise RuntimeError(f"fft.{op}: Unsupported dtype {_TORCH_NAMES[name]} (cast it to float32 first)")
    if name.startswith("complex"):
        if real_only:
            raise RuntimeError(f"fft.{op} expects a real input tensor, but got {_TORCH_NAMES[name]}")
        return x
    return x if name in ("float32", "float64") else x.astype("float32")


def _points(op: str, n: Any) -> int:
    if isinstance(n, bool) or not isinstance(n, int):
        try:
            n = operator.index(n)
        except TypeError:
            raise TypeError(f"fft.{op}(): argument 'n' must be int, not {type(n).__name__}") from None
    if n < 1:
        raise RuntimeError(f"fft.{op}: Invalid number of data points ({n}) specified")
    return n


def _axis(op: str, x: Tensor, dim: Any) -> int:
    refuse_bool_dims(f"fft.{op}", dim)
    ndim = x.ndim
    if ndim == 0:
        raise IndexError(f"fft.{op}: Dimension specified as {dim} but tensor has no dimensions")
    if not -ndim <= dim < ndim:
        raise IndexError(f"fft.{op}: Dimension out of range (expected to be in range of [{-ndim}, {ndim - 1}], but "
                         f"got {dim})")
    return dim % ndim


def _plan(op: str, x: Tensor, s: Any, dim: Any) -> tuple[tuple[int, ...], list[int | None]]:
    """``(axes, sizes)`` as PyTorch reads ``s`` and ``dim``: ``dim`` None takes the last ``len(s)`` axes (every axis
    without ``s``); a size None (or -1 in ``s``) is the transform's default. A single int ``s`` is one size, as
    PyTorch's int-list arguments read it (``fftn(x, 8)``, ``fft2(x, 8, 1)``)."""
    if isinstance(s, int) and not isinstance(s, bool):
        s = (s,)
    if dim is not None:
        axes = tuple(_axis(op, x, d) for d in ((dim,) if isinstance(dim, int) else dim))
        if len(set(axes)) != len(axes):
            raise RuntimeError(f"fft.{op}: FFT dims must be unique (got dim={dim})")
        if s is not None and len(s) != len(axes):
            raise RuntimeError(f"fft.{op}: When given, dim and shape arguments must have the same length (got "
                               f"s={tuple(s)} and dim={dim})")
    elif s is not None:
        if len(s) > x.ndim:
            raise RuntimeError(f"fft.{op}: Got shape with {len(s)} values but input tensor only has {x.ndim} "
                               f"dimensions.")
        axes = tuple(range(x.ndim - len(s), x.ndim))
    else:
        axes = tuple(range(x.ndim))
    sizes: list[int | None] = [None] * len(axes)
    if s is not None:
        sizes = [None if size == -1 else _points(op, size) for size in s]
    return axes, sizes


def _c2c(op: str, x: Tensor, s: Any, dim: Any, norm: str | None, inverse: bool) -> Tensor:
    norm = _norm(op, norm)
    x = _input(op, x)
    axes, sizes = _plan(op, x, s, dim)
    if not axes:  # nothing to transform: the input as complex, as PyTorch's
        return x if x.is_complex() else x.astype("complex64" if dtype_name(x.dtype) == "float32" else "complex128")
    points = tuple(x.shape[a] if size is None else size for a, size in zip(axes, sizes))
    for count in points:
        _points(op, count)
    return FftFunction.apply(x, axes=axes, sizes=points, norm=norm, inverse=inverse)


def _r2c(op: str, x: Tensor, s: Any, dim: Any, norm: str | None) -> Tensor:
    norm = _norm(op, norm)
    x = _input(op, x, real_only=True)
    axes, sizes = _plan(op, x, s, dim)
    if not axes:
        raise RuntimeError(f"fft.{op} must transform at least one axis")
    points = tuple(x.shape[a] if size is None else size for a, size in zip(axes, sizes))
    for count in points:
        _points(op, count)
    return RfftFunction.apply(x, axes=axes, sizes=points, norm=norm)


def _c2r(op: str, x: Tensor, s: Any, dim: Any, norm: str) -> Tensor:
    x = _input(op, x)
    axes, sizes = _plan(op, x, s, dim)
    if not axes:
        raise RuntimeError(f"fft.{op} must transform at least one axis")
    points = [x.shape[a] if size is None else size for a, size in zip(axes, sizes)]
    if sizes[-1] is None:  # the full length of the Hermitian spectrum the last axis is half of
        points[-1] = 2 * (x.shape[axes[-1]] - 1)
    for count in points:
        _points(op, count)
    return IrfftFunction.apply(x, axes=axes, sizes=tuple(points), norm=norm)


def _one(op: str, n: Any) -> tuple[int] | None:
    """A 1-D transform's ``n`` as ``s``; -1 means no size only in ``s``, so it is refused here, as PyTorch's."""
    return None if n is None else (_points(op, n),)


def _single_dim(op: str, dim: Any) -> Any:
    """A 1-D transform's ``dim``: one int (a tuple, a list or a float is PyTorch's TypeError; the n-D transforms take
    several: fft(x, dim=(0, 1)) computed a 2-D transform before)."""
    if isinstance(dim, bool) or not isinstance(dim, int) and not hasattr(dim, "__index__"):
        raise TypeError(f"fft_{op}(): argument 'dim' must be int, not {type(dim).__name__}")
    return dim


def fft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,  # noqa: A002
        out: None = None) -> Tensor:
    """The 1-D discrete Fourier transform along ``dim`` (``torch.fft.fft``): (*) -> (*) complex, ``dim`` ``n`` long
    (the input zero-padded or truncated to ``n``)."""
    return _c2c("fft", input, _one("fft", n), _single_dim("fft", dim), norm, inverse=False)


def ifft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,  # noqa: A002
         out: None = None) -> Tensor:
    """The 1-D inverse discrete Fourier transform along ``dim`` (``torch.fft.ifft``): (*) -> (*) complex."""
    return _c2c("ifft", input, _one("ifft", n), _single_dim("ifft", dim), norm, inverse=True)


def fft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,  # noqa: A002
         out: None = None) -> Tensor:
    """The 2-D discrete Fourier transform over ``dim`` (``torch.fft.fft2``): (*, H, W) -> (*, H, W) complex, or
    ``s`` sizes."""
    return _c2c("fft2", input, s, dim, norm, inverse=False)


def ifft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,  # noqa: A002
          out: None = None) -> Tensor:
    """The 2-D inverse discrete Fourier transform over ``dim`` (``torch.fft.ifft2``)."""
    return _c2c("ifft2", input, s, dim, norm, inverse=True)


def fftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,  # noqa: A002
         out: None = None) -> Tensor:
    """The N-D discrete Fourier transform over ``dim`` (``torch.fft.fftn``; every axis, or the last ``len(s)``, by
    default)."""
    return _c2c("fftn", input, s, dim, norm, inverse=False)


def ifftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,  # noqa: A002
          out: None = None) -> Tensor:
    """The N-D inverse discrete Fourier transform over ``dim`` (``torch.fft.ifftn``)."""
    return _c2c("ifftn", input, s, dim, norm, inverse=True)


def rfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,  # noqa: A002
         out: None = None) -> Tensor:
    """The one-sided transform of a real input along ``dim`` (``torch.fft.rfft``): (*, n) real -> (*, n // 2 + 1)
    complex."""
    return _r2c("rfft", input, _one("rfft", n), _single_dim("rfft", dim), norm)


def rfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,  # noqa: A002
          out: None = None) -> Tensor:
    """The 2-D one-sided transform of a real input (``torch.fft.rfft2``): (*, H, W) -> (*, H, W // 2 + 1)."""
    return _r2c("rfft2", input, s, dim, norm)


def rfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,  # noqa: A002
          out: None = None) -> Tensor:
    """The N-D one-sided transform of a real input (``torch.fft.rfftn``): the last of ``dim`` halved."""
    return _r2c("rfftn", input, s, dim, norm)


def irfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,  # noqa: A002
          out: None = None) -> Tensor:
    """The inverse of `rfft` (``torch.fft.irfft``): (*, m) complex, half of a Hermitian spectrum -> (*, n) real,
    ``n = 2 (m - 1)`` by default."""
    return _c2r("irfft", input, _one("irfft", n), _single_dim("irfft", dim), _norm("irfft", norm))


def irfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,  # noqa: A002
           out: None = None) -> Tensor:
    """The inverse of `rfft2` (``torch.fft.irfft2``): (*, H, m) complex -> (*, H, 2 (m - 1)) real by default."""
    return _c2r("irfft2", input, s, dim, _norm("irfft2", norm))


def irfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,  # noqa: A002
           out: None = None) -> Tensor:
    """The inverse of `rfftn` (``torch.fft.irfftn``): real output, the last of ``dim`` ``2 (m - 1)`` long by
    default."""
    return _c2r("irfftn", input, s, dim, _norm("irfftn", norm))


def hfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,  # noqa: A002
         out: None = None) -> Tensor:
    """The transform of a Hermitian-symmetric signal given by its first half (``torch.fft.hfft``): (*, m) -> (*, n)
    real, ``n = 2 (m - 1)`` by default; ``irfft`` of the conjugate under the dual norm."""
    norm = DUAL_NORM[_norm("hfft", norm)]
    return _c2r("hfft", conj(_input("hfft", input)), _one("hfft", n), _single_dim("hfft", dim), norm)


def ihfft(input: Tensor, n: int | None = None, dim: int = -1, norm: str | None = None, *,  # noqa: A002
          out: None = None) -> Tensor:
    """The inverse of `hfft` (``torch.fft.ihfft``): (*, n) real -> (*, n // 2 + 1) complex; the conjugate of
    ``rfft`` under the dual norm."""
    return conj(_r2c("ihfft", input, _one("ihfft", n), _single_dim("ihfft", dim), DUAL_NORM[_norm("ihfft", norm)]))


def _hermitian_nd(op: str, x: Tensor, s: Any, dim: Any, norm: str | None) -> Tensor:
    """``hfftn``: the forward transform of the axes before the last, then ``hfft`` of the last (``irfft`` of the
    conjugate under the dual norm), as PyTorch composes it."""
    norm = _norm(op, norm)
    x = _input(op, x)
    axes, sizes = _plan(op, x, s, dim)
    if not axes:
        raise RuntimeError(f"fft.{op} must transform at least one axis")
    if len(axes) > 1:
        x = _c2c(op, x, [-1 if size is None else size for size in sizes[:-1]], axes[:-1], norm, inverse=False)
    return _c2r(op, conj(x), None if sizes[-1] is None else (sizes[-1],), (axes[-1],), DUAL_NORM[norm])


def _inverse_hermitian_nd(op: str, x: Tensor, s: Any, dim: Any, norm: str | None) -> Tensor:
    """``ihfftn``: ``ihfft`` of the last axis (the conjugate of ``rfft`` under the dual norm), then the inverse
    transform of the others."""
    norm = _norm(op, norm)
    x = _input(op, x, real_only=True)
    axes, sizes = _plan(op, x, s, dim)
    if not axes:
        raise RuntimeError(f"fft.{op} must transform at least one axis")
    half = conj(_r2c(op, x, None if sizes[-1] is None else (sizes[-1],), (axes[-1],), DUAL_NORM[norm]))
    if len(axes) == 1:
        return half
    return _c2c(op, half, [-1 if size is None else size for size in sizes[:-1]], axes[:-1], norm, inverse=True)


def hfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,  # noqa: A002
          out: None = None) -> Tensor:
    """The 2-D `hfft` (``torch.fft.hfft2``): (*, H, m) complex, half of a Hermitian signal -> (*, H, 2 (m - 1))
    real by default."""
    return _hermitian_nd("hfft2", input, s, dim, norm)


def hfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,  # noqa: A002
          out: None = None) -> Tensor:
    """The N-D `hfft` (``torch.fft.hfftn``): real output, the last of ``dim`` ``2 (m - 1)`` long by default."""
    return _hermitian_nd("hfftn", input, s, dim, norm)


def ihfft2(input: Tensor, s: Any = None, dim: Any = (-2, -1), norm: str | None = None, *,  # noqa: A002
           out: None = None) -> Tensor:
    """The inverse of `hfft2` (``torch.fft.ihfft2``): (*, H, W) real -> (*, H, W // 2 + 1) complex."""
    return _inverse_hermitian_nd("ihfft2", input, s, dim, norm)


def ihfftn(input: Tensor, s: Any = None, dim: Any = None, norm: str | None = None, *,  # noqa: A002
           out: None = None) -> Tensor:
    """The inverse of `hfftn` (``torch.fft.ihfftn``): real input, the last of ``dim`` halved."""
    return _inverse_hermitian_nd("ihfftn", input, s, dim, norm)


def _frequencies(op: str, count: int, n: int, scale: float, dtype: Any, layout: Any, backend: Any, device: Any,
                 requires_grad: bool) -> Tensor:
    check_layout(layout, f"fft.{op}")
    if n < 0:
        raise RuntimeError(f"fft.{op}: Trying to create tensor with negative dimension {n}: [{n}]")
    name = default_float() if dtype is None else dtype_name(dtype)
    if name not in ("float16", "bfloat16", "float32", "float64"):
        raise RuntimeError(f"fft.{op} requires a floating point dtype (got {name})")
    be = get_backend(backend)
    be = be if device is None else resolve_device(device, be)
    xp = be.xp
    index = xp.arange(count, dtype=be.dtype(name), device=be.device)
    if op == "fftfreq":  # the upper half are the negative frequencies
        index = xp.where(index >= (n + 1) // 2, index - n, index)
    out = Tensor._make(index * scale, be, None, 0)
    out.requires_grad = requires_grad
    return out


def fftfreq(n: int, d: float = 1.0, *, out: None = None, dtype: Any = None, layout: Any = strided,
            device: Any = None, requires_grad: bool = False, backend: Any = None) -> Tensor:
    """The sample frequencies of an ``n``-point `fft` with sample spacing ``d`` (``torch.fft.fftfreq``):
    ``[0, 1, ..., (n - 1) // 2, -(n // 2), ..., -1] / (n d)``, float32 unless ``dtype`` says otherwise."""
    return _frequencies("fftfreq", n, n, 1.0 / (n * d) if n else 0.0, dtype, layout, backend, device,
                        requires_grad)


def rfftfreq(n: int, d: float = 1.0, *, out: None = None, dtype: Any = None, layout: Any = strided,
             device: Any = None, requires_grad: bool = False, backend: Any = None) -> Tensor:
    """The sample frequencies of an ``n``-point `rfft` (``torch.fft.rfftfreq``): ``[0, 1, ..., n // 2] / (n d)``."""
    # n = 0: one bin, 0 / 0 (NaN) as PyTorch's
    return _frequencies("rfftfreq", max(n // 2 + 1, 0) if n >= 0 else n, n, 1.0 / (n * d) if n else math.nan, dtype,
                        layout, backend, device, requires_grad)


def _shifted(op: str, x: Tensor, dim: Any, half: Any) -> Tensor:
    dims = tuple(range(x.ndim)) if dim is None else ((dim,) if isinstance(dim, int) else tuple(dim))
    if not dims:
        raise RuntimeError(f"fft.{op}: `shifts` required: no dimension to shift (a 0-d input, or dim=())")
    return roll(x, tuple(half(x.shape[d]) for d in dims), dims)


def fftshift(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """The zero frequency moved to the middle of each of ``dim`` (every axis by default; ``torch.fft.fftshift``):
    a roll by ``size // 2``."""
    return _shifted("fftshift", input, dim, lambda size: size // 2)


def ifftshift(input: Tensor, dim: Any = None) -> Tensor:  # noqa: A002
    """The inverse of `fftshift` (``torch.fft.ifftshift``): a roll by ``(size + 1) // 2``."""
    return _shifted("ifftshift", input, dim, lambda size: (size + 1) // 2)


# PyTorch's out= (the result written into a given tensor of the result's dtype)
fft, ifft, fft2, ifft2, fftn, ifftn = (with_out(f, f"fft.{f.__name__}", "exact") for f in (fft, ifft, fft2, ifft2,
                                                                                          fftn, ifftn))
rfft, rfft2, rfftn, ihfft, ihfft2, ihfftn = (with_out(f, f"fft.{f.__name__}", "exact") for f in (rfft, rfft2, rfftn,
                                                                                             ihfft, ihfft2, ihfftn))
# (a real result: cast into any real floating out, as PyTorch's c2r kernels)
irfft, irfft2, irfftn, hfft, hfft2, hfftn = (with_out(f, f"fft.{f.__name__}", "real") for f in (irfft, irfft2, irfftn,
                                                                                           hfft, hfft2, hfftn))
fftfreq, rfftfreq = (with_out(f, f"fft.{f.__name__}", "factory") for f in (fftfreq, rfftfreq))

__all__ = ["fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "hfft2", "hfftn", "ifft", "ifft2", "ifftn",
           "ifftshift", "ihfft", "ihfft2", "ihfftn", "irfft", "irfft2", "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn"]

from .functional.numpy_spellings import install as _install_numpy_spellings  # noqa: E402

_install_numpy_spellings(globals(), __all__, "fft.")  # torch.fft.fft(x=t, axis=0): PyTorch's parser reads NumPy's names
