"""Pooling, one fused primitive each: ``max_pool1d/2d``, ``avg_pool1d/2d``, ``adaptive_avg_pool1d/2d``.

Pools act on the last one or two axes; any leading axes (batch, channels) ride along, so unbatched
inputs work too. Max and average pooling visit the ``kh * kw`` kernel offsets as strided slices (no
window copy); adaptive average pooling is two small matmuls with averaging matrices.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Sequence

from array_api_compat import device

from ..autograd.function import Function
from .im2col import Pair, output_size, pad2d, pair, window_slice

IntOrPair = int | Sequence[int]


class _Pool2d(Function):
    """Shared geometry: kernel, stride, padding (ph, pw), dilation, ceil_mode; x (..., H, W)."""

    kernel: Pair
    stride: Pair
    padding: Pair
    dilation: Pair
    ceil_mode: bool
    spatial_dims: int

    def _setup(self, xp: Any, x: Any) -> Any:
        self.x_shape = tuple(x.shape)
        if self.spatial_dims == 1:
            x = xp.reshape(x, self.x_shape[:-1] + (1, self.x_shape[-1]))
        h, w = x.shape[-2], x.shape[-1]
        self.count = tuple(output_size(size, k, s, 2 * p, d, self.ceil_mode, p) for size, k, s, p, d in
                           zip((h, w), self.kernel, self.stride, self.padding, self.dilation))
        # in ceil mode the last window may run past the padded input: pad that far too
        needed = [(c - 1) * s + (k - 1) * d + 1 for c, s, k, d in zip(self.count, self.stride, self.kernel,
                                                                       self.dilation)]
        ph, pw = self.padding
        extra = (max(0, needed[0] - h - 2 * ph), max(0, needed[1] - w - 2 * pw))
        self.pads = (ph, ph + extra[0], pw, pw + extra[1])
        self.padded = (h + 2 * ph + extra[0], w + 2 * pw + extra[1])
        return x

    def _offsets(self) -> list[tuple[Any, ...]]:
        (kh, kw), (dh, dw) = self.kernel, self.dilation
        return [window_slice((i * dh, j * dw), self.count, self.stride) for i in range(kh) for j in range(kw)]

    def _finish(self, xp: Any, out: Any) -> Any:
        if self.spatial_dims == 1:
            return xp.reshape(out, out.shape[:-2] + (out.shape[-1],))
        return out

    def _unpad(self, xp: Any, grad_padded: Any) -> Any:
        top, _, left, _ = self.pads
        h, w = (1, self.x_shape[-1]) if self.spatial_dims == 1 else self.x_shape[-2:]
        return xp.reshape(grad_padded[..., top:top + h, left:left + w], self.x_shape)

    def _grad_4d(self, xp: Any, grad: Any) -> Any:
        if self.spatial_dims == 1:
            return xp.reshape(grad, grad.shape[:-1] + (1, grad.shape[-1]))
        return grad


class MaxPool(_Pool2d):
    """Window maximum; the gradient goes to the first maximal element of each window, as in PyTorch.

    NaN propagates forward; a window holding NaN sends its gradient to its first maximum before the NaN
    (PyTorch sends it to the NaN itself; the loss is NaN either way).
    """

    def forward(self, xp: Any, x: Any) -> Any:
        x = self._setup(xp, x)
        padded = pad2d(xp, x, self.pads, value=-float("inf"))
        # maximum over the kh*kw strided views (no copies), then one boolean mask per offset marking
        # where that offset holds the window's first maximum, as PyTorch routes the gradient
        # (`where`/`argmax` per element are ~10x slower than these elementwise ops on NumPy)
        views = [padded[where] for where in self._offsets()]
        best = views[0]
        for view in views[1:]:
            best = xp.maximum(best, view)  # propagates NaN, as PyTorch's forward does
        taken = views[0] == best
        masks = [taken]
        for view in views[1:]:
            first_here = (view == best) & ~taken
            masks.append(first_here)
            taken = taken | first_here
        self.masks = masks
        return self._finish(xp, best)

    def backward(self, xp: Any, grad: Any) -> Any:
        grad = self._grad_4d(xp, grad)
        out = xp.zeros(grad.shape[:-2] + self.padded, dtype=grad.dtype, device=device(grad))
        (kh, kw), (sh, sw), (dh, dw) = self.kernel, self.stride, self.dilation
        disjoint = sh >= (kh - 1) * dh + 1 and sw >= (kw - 1) * dw + 1  # each element in one window at most
        for mask, where in zip(self.masks, self._offsets()):
            routed = grad * xp.astype(mask, grad.dtype)
            if disjoint:
                out[where] = routed
            else:
                out[where] += routed
        return self._unpad(xp, out)


class AvgPool(_Pool2d):
    """Window mean; the divisor follows PyTorch (``count_include_pad``, ``divisor_override``, ceil mode)."""

    count_include_pad: bool
    divisor_override: int | None

    def forward(self, xp: Any, x: Any) -> Any:
        x = self._setup(xp, x)
        padded = pad2d(xp, x, self.pads)
        offsets = self._offsets()
        total = padded[offsets[0]]
        for where in offsets[1:]:
            total = total + padded[where]
        self.divisor = self._divisor(xp, x)
        return self._finish(xp, total / self.divisor)

    def _divisor(self, xp: Any, x: Any) -> Any:
        if self.divisor_override is not None:
            return float(self.divisor_override)
        h, w = x.shape[-2], x.shape[-1]
        rows = _window_counts(h, self.count[0], self.kernel[0], self.stride[0], self.padding[0],
                              self.count_include_pad)
        cols = _window_counts(w, self.count[1], self.kernel[1], self.stride[1], self.padding[1],
                              self.count_include_pad)
        dev = device(x)
        return (xp.asarray(rows, dtype=x.dtype, device=dev)[:, None] *
                xp.asarray(cols, dtype=x.dtype, device=dev)[None, :])

    def backward(self, xp: Any, grad: Any) -> Any:
        grad = self._grad_4d(xp, grad) / self.divisor
        out = xp.zeros(grad.shape[:-2] + self.padded, dtype=grad.dtype, device=device(grad))
        for where in self._offsets():
            out[where] += grad
        return self._unpad(xp, out)


@lru_cache(maxsize=256)
def _window_counts(size: int, count: int, kernel: int, stride: int, padding: int,
                   include_pad: bool) -> tuple[float, ...]:
    """PyTorch's average-pool divisor along one axis, per output position."""
    counts = []
    for o in range(count):
        start = o * stride - padding
        end = min(start + kernel, size + padding)
        if not include_pad:
            start, end = max(start, 0), min(end, size)
        counts.append(float(end - start))
    return tuple(counts)


@lru_cache(maxsize=256)
def _averaging_matrix(size: int, out: int) -> tuple[tuple[float, ...], ...]:
    """(out, size) rows averaging PyTorch's adaptive bins [floor(i size/out), ceil((i+1) size/out))."""
    rows = []
    for i in range(out):
        start, end = (i * size) // out, -((-(i + 1) * size) // out)
        rows.append(tuple(1.0 / (end - start) if start <= j < end else 0.0 for j in range(size)))
    return tuple(rows)


class AdaptiveAvgPool(Function):
    """``A_h @ x @ A_wᵀ`` with averaging matrices: x (..., H, W) → (..., out_h, out_w); 1-D: ``x @ A_wᵀ``."""

    output_size: tuple[int, ...]

    def forward(self, xp: Any, x: Any) -> Any:
        dev = device(x)
        self.mats = [xp.asarray(_averaging_matrix(x.shape[x.ndim - len(self.output_size) + i], n),
                                dtype=x.dtype, device=dev) for i, n in enumerate(self.output_size)]
        out = x @ self.mats[-1].mT
        if len(self.mats) == 2:
            out = self.mats[0] @ out
        return out

    def backward(self, xp: Any, grad: Any) -> Any:
        if len(self.mats) == 2:
            grad = self.mats[0].mT @ grad
        return grad @ self.mats[-1]


# -- functional wrappers ------------------------------------------------------------------------


def _pool_args(fn: str, x: Any, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
               dilation: IntOrPair, spatial_dims: int, ceil_mode: bool) -> dict[str, Pair]:
    if x.ndim < spatial_dims + 1:
        raise ValueError(f"{fn}: expected an input with at least {spatial_dims + 1} dimensions "
                         f"(C, {'L' if spatial_dims == 1 else 'H, W'}), got shape {x.shape}")

    def spatial(value: IntOrPair, name: str, neutral: int) -> Pair:
        if spatial_dims == 2:
            return pair(value, name, fn)
        values = (value,) if isinstance(value, int) else tuple(value)
        if len(values) != 1 or not isinstance(values[0], int):
            raise ValueError(f"{fn}: {name} must be an int or a 1-tuple, got {value!r}")
        return (neutral, values[0])

    kernel = spatial(kernel_size, "kernel_size", 1)
    stride2 = kernel if stride is None or (not isinstance(stride, int) and len(tuple(stride)) == 0) else \
        spatial(stride, "stride", 1)
    padding2 = spatial(padding, "padding", 0)
    dilation2 = spatial(dilation, "dilation", 1)
    if min(kernel) < 1 or min(stride2) < 1 or min(dilation2) < 1:
        raise ValueError(f"{fn}: kernel_size, stride and dilation must be positive")
    if any(p < 0 or p > k // 2 for p, k in zip(padding2, kernel)):
        raise ValueError(f"{fn}: padding must be non-negative and at most half the kernel size, "
                         f"got padding {padding!r} for kernel_size {kernel_size!r}")
    size = x.shape[-spatial_dims:]
    geometry = list(zip(size, kernel[2 - spatial_dims:], stride2[2 - spatial_dims:], padding2[2 - spatial_dims:],
                        dilation2[2 - spatial_dims:]))
    counts = [output_size(n, k, s, 2 * p, d, ceil_mode, p) for n, k, s, p, d in geometry]
    if min(counts) < 1:
        spans = tuple((k - 1) * d + 1 for _, k, _, _, d in geometry)
        pads = tuple(p for _, _, _, p, _ in geometry)
        raise ValueError(f"{fn}: input of shape {x.shape} is smaller than the kernel {spans} (padding {pads}, "
                         f"ceil_mode={ceil_mode}): the output would be empty")
    return dict(kernel=kernel, stride=stride2, padding=padding2, dilation=dilation2)


def max_pool1d(x: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,
               dilation: IntOrPair = 1, ceil_mode: bool = False) -> Any:
    """Max over windows of the last axis: x (..., L) → (..., L_out). ``stride`` defaults to ``kernel_size``."""
    args = _pool_args("max_pool1d", x, kernel_size, stride, padding, dilation, 1, ceil_mode)
    return MaxPool.apply(x, ceil_mode=ceil_mode, spatial_dims=1, **args)


def max_pool2d(x: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,
               dilation: IntOrPair = 1, ceil_mode: bool = False) -> Any:
    """Max over (kh, kw) windows: x (N, C, H, W) or (C, H, W) → (..., H_out, W_out).

    Padding counts as -inf; ``stride`` defaults to ``kernel_size``; ``ceil_mode`` keeps a last partial
    window. The gradient flows to the first maximum of each window.
    """
    args = _pool_args("max_pool2d", x, kernel_size, stride, padding, dilation, 2, ceil_mode)
    return MaxPool.apply(x, ceil_mode=ceil_mode, spatial_dims=2, **args)


def avg_pool1d(x: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """Mean over windows of the last axis: x (..., L) → (..., L_out)."""
    args = _pool_args("avg_pool1d", x, kernel_size, stride, padding, 1, 1, ceil_mode)
    return AvgPool.apply(x, ceil_mode=ceil_mode, count_include_pad=count_include_pad, divisor_override=None,
                         spatial_dims=1, **args)


def avg_pool2d(x: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Any:
    """Mean over (kh, kw) windows: x (N, C, H, W) or (C, H, W) → (..., H_out, W_out).

    ``count_include_pad`` counts the zero padding in the divisor (PyTorch's default);
    ``divisor_override`` replaces the divisor altogether.
    """
    args = _pool_args("avg_pool2d", x, kernel_size, stride, padding, 1, 2, ceil_mode)
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"avg_pool2d: divisor_override must be positive, got {divisor_override}")
    return AvgPool.apply(x, ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                         divisor_override=divisor_override, spatial_dims=2, **args)


def _adaptive_sizes(fn: str, x: Any, output_size: Any, spatial_dims: int) -> tuple[int, ...]:
    if x.ndim < spatial_dims + 1:
        raise ValueError(f"{fn}: expected an input with at least {spatial_dims + 1} dimensions, got shape {x.shape}")
    sizes = (output_size,) * spatial_dims if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != spatial_dims:
        raise ValueError(f"{fn}: output_size must be an int or a {spatial_dims}-tuple, got {output_size!r}")
    given = x.shape[-spatial_dims:]
    sizes = tuple(n if s is None else s for s, n in zip(sizes, given))
    if any(not isinstance(s, int) or s < 1 for s in sizes):
        raise ValueError(f"{fn}: output_size must be positive, got {output_size!r}")
    return sizes


def adaptive_avg_pool1d(x: Any, output_size: int | Sequence[int]) -> Any:
    """Average into ``output_size`` bins along the last axis: x (..., L) → (..., output_size)."""
    return AdaptiveAvgPool.apply(x, output_size=_adaptive_sizes("adaptive_avg_pool1d", x, output_size, 1))


def adaptive_avg_pool2d(x: Any, output_size: int | Sequence[int | None]) -> Any:
    """Average into (out_h, out_w) bins (PyTorch's bin edges; ``None`` keeps that size): → (..., out_h, out_w)."""
    return AdaptiveAvgPool.apply(x, output_size=_adaptive_sizes("adaptive_avg_pool2d", x, output_size, 2))
