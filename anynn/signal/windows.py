"""``anynn.signal.windows``: PyTorch's ``torch.signal.windows`` (SciPy's window names and conventions):
``sym=True`` (the default) gives the symmetric window of ``M`` points, ``sym=False`` the periodic one (the first
``M`` of ``M + 1`` points), for spectral analysis. Computed on the host in float64 and handed to the backend in
``dtype`` (float32 by default), as `anynn.hann_window` and the other top-level windows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.default_dtype import default_float
from ..factories import tensor
from ..layout import check_layout


def _make(name: str, M: int, sym: bool, shape: Callable[[np.ndarray, int], np.ndarray], dtype: Any, layout: Any,  # noqa: N803
          device: Any, requires_grad: bool, backend: Any) -> Tensor:
    check_layout(layout, f"signal.windows.{name}")
    if isinstance(M, bool) or not isinstance(M, int) or M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    kind = default_float() if dtype is None else dtype_name(dtype)
    if not kind.startswith(("float", "bfloat")):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {kind}")
    points = M if sym else M + 1
    values = np.ones(min(M, 1)) if M <= 1 else shape(np.arange(points, dtype=np.float64), points)[:M]
    return tensor(values, dtype=kind, device=device, backend=backend, requires_grad=requires_grad)


def _cosine_terms(a: Iterable[float]) -> Callable[[np.ndarray, int], np.ndarray]:
    coefficients = [float(c) for c in a]

    def shape(n: np.ndarray, points: int) -> np.ndarray:
        return sum(((-1) ** k) * c * np.cos(2 * math.pi * k * n / (points - 1)) for k, c in enumerate(coefficients))
    return shape


def general_cosine(M: int, *, a: Iterable[float], sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
                   device: Any = None, requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``sum_k (-1)^k a_k cos(2 pi k n / (M - 1))``."""
    return _make("general_cosine", M, sym, _cosine_terms(a), dtype, layout, device, requires_grad, backend)


def general_hamming(M: int, *, alpha: float = 0.54, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
                    device: Any = None, requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``alpha - (1 - alpha) cos(2 pi n / (M - 1))``."""
    return _make("general_hamming", M, sym, _cosine_terms((alpha, 1.0 - alpha)), dtype, layout, device,
                 requires_grad, backend)


def hann(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None, device: Any = None,  # noqa: N803
         requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``0.5 - 0.5 cos(2 pi n / (M - 1))``."""
    return _make("hann", M, sym, _cosine_terms((0.5, 0.5)), dtype, layout, device, requires_grad, backend)


def hamming(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None, device: Any = None,  # noqa: N803
            requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``0.54 - 0.46 cos(2 pi n / (M - 1))``."""
    return _make("hamming", M, sym, _cosine_terms((0.54, 0.46)), dtype, layout, device, requires_grad, backend)


def blackman(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None, device: Any = None,  # noqa: N803
             requires_grad: bool = False, backend: Any = None) -> Tensor:
    """The 0.42 / 0.5 / 0.08 cosine sum."""
    return _make("blackman", M, sym, _cosine_terms((0.42, 0.5, 0.08)), dtype, layout, device, requires_grad,
                 backend)


def nuttall(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None, device: Any = None,  # noqa: N803
            requires_grad: bool = False, backend: Any = None) -> Tensor:
    """Nuttall's four-term cosine sum (0.3635819, 0.4891775, 0.1365995, 0.0106411)."""
    return _make("nuttall", M, sym, _cosine_terms((0.3635819, 0.4891775, 0.1365995, 0.0106411)), dtype, layout,
                 device, requires_grad, backend)


def bartlett(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None, device: Any = None,  # noqa: N803
             requires_grad: bool = False, backend: Any = None) -> Tensor:
    """The triangle ``1 - |2 n / (M - 1) - 1|``."""
    return _make("bartlett", M, sym, lambda n, p: 1 - np.abs(2 * n / (p - 1) - 1), dtype, layout, device,
                 requires_grad, backend)


def cosine(M: int, *, sym: bool = True, dtype: Any = None, layout: Any = None, device: Any = None,  # noqa: N803
           requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``sin(pi (n + 1/2) / M)``."""
    return _make("cosine", M, sym, lambda n, p: np.sin(math.pi * (n + 0.5) / p), dtype, layout, device,
                 requires_grad, backend)


def gaussian(M: int, *, std: float = 1.0, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
             device: Any = None, requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``exp(-((n - (M - 1) / 2) / std)^2 / 2)``."""
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    return _make("gaussian", M, sym, lambda n, p: np.exp(-0.5 * ((n - (p - 1) / 2) / std) ** 2), dtype, layout,
                 device, requires_grad, backend)


def exponential(M: int, *, center: float | None = None, tau: float = 1.0, sym: bool = True, dtype: Any = None,  # noqa: N803
                layout: Any = None, device: Any = None, requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``exp(-|n - center| / tau)``, centred at ``(M - 1) / 2`` unless ``center`` is given (periodic windows only)."""
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    return _make("exponential", M, sym,
                 lambda n, p: np.exp(-np.abs(n - ((p - 1) / 2 if center is None else center)) / tau), dtype, layout,
                 device, requires_grad, backend)


def kaiser(M: int, *, beta: float = 12.0, sym: bool = True, dtype: Any = None, layout: Any = None,  # noqa: N803
           device: Any = None, requires_grad: bool = False, backend: Any = None) -> Tensor:
    """``I0(beta sqrt(1 - (2 n / (M - 1) - 1)^2)) / I0(beta)``."""
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    return _make("kaiser", M, sym, lambda n, p: np.i0(beta * np.sqrt(np.clip(1 - (2 * n / (p - 1) - 1) ** 2, 0, None)))
                 / np.i0(beta), dtype, layout, device, requires_grad, backend)


__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine", "general_hamming", "hamming",
           "hann", "kaiser", "nuttall"]
