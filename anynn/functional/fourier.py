"""Discrete Fourier transforms: three `Function`s over the array API's ``fft`` extension (``xp.fft``), one per
transform family, behind every name of `anynn.fft`.

- `FftFunction`: complex to complex, forward (``fftn``) or inverse (``ifftn``); a real input is read as complex;
- `RfftFunction`: real to the one-sided spectrum (``rfftn``: the last transformed axis keeps ``n // 2 + 1`` bins);
- `IrfftFunction`: one-sided spectrum to real (``irfftn``: the last axis is read as the Hermitian half of ``n``).

Each transforms ``axes`` at ``sizes`` points (the input zero-padded or truncated to them first, PyTorch's ``n``/``s``)
under ``norm``: "backward" scales the inverse by 1/n, "forward" the forward transform, "ortho" both by 1/sqrt(n).

Gradients, in PyTorch's convention (``G = dL/dx + i dL/dy`` of a real loss): a transform is linear, so ``G`` is its
adjoint applied to the incoming ``g``. The adjoint of a DFT is the DFT of the other direction under the *dual* norm
("backward" <-> "forward", "ortho" its own), and the adjoint of padding (truncating) the input is truncating
(zero-padding) the gradient back to the input's sizes ("resize"):

- ``fftn``: ``G = resize(ifftn_dual(g))`` (``ifftn``: ``fftn_dual``); of a real input, its real part;
- ``rfftn``: the one-sided spectrum is the full one's first bins, so ``G = Re resize(ifftn_dual(g zero-extended
  to n bins)))``;
- ``irfftn``: each interior bin 1 .. n - n//2 - 1 stands for itself and its mirror image, so
  ``G = resize(w * rfftn_dual(g))`` with ``w`` 2 there and 1 on bin 0 (and bin n/2 of an even n), whose imaginary
  parts the transform ignores (they get a zero gradient).

Every backward is written with ``xp.fft``, which in a recorded backward (``create_graph=True``) is `RECORDED`:
these Functions again, so the transforms differentiate to any order.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from ..autograd.primitive import Function
from ..backend.typing import Namespace

# the norm of the adjoint transform
DUAL_NORM = {"backward": "forward", "forward": "backward", "ortho": "ortho"}


def _as_complex(xp: Namespace, a: Any) -> Any:
    """``a`` as complex64 (float32) or complex128 (float64); complex arrays as they are."""
    return a if xp.isdtype(a.dtype, "complex floating") else xp.astype(a, xp.result_type(a.dtype, xp.complex64))


def resize(xp: Namespace, a: Any, axes: tuple[int, ...], sizes: tuple[int, ...], device: Any) -> Any:
    """``a`` truncated or zero-padded at the end of each of ``axes`` to the matching one of ``sizes``."""
    for axis, size in zip(axes, sizes):
        have = a.shape[axis]
        if have > size:
            a = a[tuple(slice(0, size) if i == axis else slice(None) for i in range(a.ndim))]
        elif have < size:
            shape = tuple(size - have if i == axis else n for i, n in enumerate(a.shape))
            a = xp.concat([a, xp.zeros(shape, dtype=a.dtype, device=device)], axis=axis)
    return a


class FftFunction(Function):
    """``fftn``/``ifftn`` of ``axes`` at ``sizes`` points: (*) real or complex -> (*) complex, each of ``axes``
    ``sizes`` long."""

    axes: tuple[int, ...]
    sizes: tuple[int, ...]
    norm: str
    inverse: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.in_sizes = tuple(a.shape[axis] for axis in self.axes)
        self.real_input = not xp.isdtype(a.dtype, "complex floating")
        transform = xp.fft.ifftn if self.inverse else xp.fft.fftn
        return transform(_as_complex(xp, a), s=self.sizes, axes=self.axes, norm=self.norm)

    def backward(self, xp: Namespace, g: Any) -> Any:
        adjoint = xp.fft.fftn if self.inverse else xp.fft.ifftn
        grad = resize(xp, adjoint(g, axes=self.axes, norm=DUAL_NORM[self.norm]), self.axes, self.in_sizes,
                      self.backend.device)
        return xp.real(grad) if self.real_input else grad


class RfftFunction(Function):
    """``rfftn`` of ``axes`` at ``sizes`` points: (*) real -> (*) complex, the last of ``axes`` ``sizes[-1] // 2 + 1``
    long, the others ``sizes`` long."""

    axes: tuple[int, ...]
    sizes: tuple[int, ...]
    norm: str

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.in_sizes = tuple(a.shape[axis] for axis in self.axes)
        return xp.fft.rfftn(a, s=self.sizes, axes=self.axes, norm=self.norm)

    def backward(self, xp: Namespace, g: Any) -> Any:
        device = self.backend.device
        full = resize(xp, g, self.axes[-1:], self.sizes[-1:], device)  # the bins rfftn left out: no gradient
        grad = xp.fft.ifftn(full, axes=self.axes, norm=DUAL_NORM[self.norm])
        return xp.real(resize(xp, grad, self.axes, self.in_sizes, device))


class IrfftFunction(Function):
    """``irfftn`` of ``axes`` to ``sizes`` points: (*) complex (or real, read as complex) -> (*) real, each of
    ``axes`` ``sizes`` long; the last of ``axes`` is read as the first ``sizes[-1] // 2 + 1`` bins of a Hermitian
    spectrum."""

    axes: tuple[int, ...]
    sizes: tuple[int, ...]
    norm: str

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.in_sizes = tuple(a.shape[axis] for axis in self.axes)
        self.real_input = not xp.isdtype(a.dtype, "complex floating")
        if 0 in self.in_sizes:  # zero-pad an empty axis here: NumPy's irfftn of one reads uninitialised memory
            bins = self.sizes[:-1] + (self.sizes[-1] // 2 + 1,)
            a = resize(xp, a, self.axes, tuple(b if n == 0 else n for b, n in zip(bins, self.in_sizes)),
                       self.backend.device)
        return xp.fft.irfftn(_as_complex(xp, a), s=self.sizes, axes=self.axes, norm=self.norm)

    def backward(self, xp: Namespace, g: Any) -> Any:
        n, axis = self.sizes[-1], self.axes[-1]
        half = xp.fft.rfftn(g, axes=self.axes, norm=DUAL_NORM[self.norm])
        doubled = n - (n // 2 + 1)  # bins 1 .. doubled have a mirror image in the full spectrum
        if doubled > 0:
            weights = xp.asarray([1.0] + [2.0] * doubled + [1.0] * (n // 2 - doubled), dtype=g.dtype,
                                 device=self.backend.device)
            half = half * xp.reshape(weights, tuple(-1 if i == axis else 1 for i in range(g.ndim)))
        grad = resize(xp, half, self.axes, self.in_sizes, self.backend.device)
        return xp.real(grad) if self.real_input else grad


def _sizes(x: Any, s: Any, axes: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(x.shape[axis] for axis in axes) if s is None else tuple(s)


def _recorded_fftn(inverse: bool) -> Any:
    def transform(x: Any, s: Any = None, axes: Any = None, norm: str = "backward") -> Any:
        axes = tuple(range(x.ndim)) if axes is None else tuple(a % x.ndim for a in axes)
        return FftFunction.apply(x, axes=axes, sizes=_sizes(x, s, axes), norm=norm, inverse=inverse)

    return transform


def _recorded_rfftn(x: Any, s: Any = None, axes: Any = None, norm: str = "backward") -> Any:
    axes = tuple(range(x.ndim)) if axes is None else tuple(a % x.ndim for a in axes)
    return RfftFunction.apply(x, axes=axes, sizes=_sizes(x, s, axes), norm=norm)


# ``xp.fft`` of the differentiable namespace (a recorded backward): the transforms the backwards above call
RECORDED = SimpleNamespace(fftn=_recorded_fftn(False), ifftn=_recorded_fftn(True), rfftn=_recorded_rfftn)

__all__ = ["DUAL_NORM", "FftFunction", "IrfftFunction", "RECORDED", "RfftFunction", "resize"]
