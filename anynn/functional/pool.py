"""Pooling, one fused primitive each: ``max_pool1d/2d/3d`` (optionally with indices), ``avg_pool1d/2d``,
``adaptive_avg_pool1d/2d``; unpooling is in `unpool`.

Pools act on the last one, two or three axes, of inputs of PyTorch's ranks: (C, *spatial) or (N, C, *spatial)
(`check_rank`; the ``*_nd`` forms take any leading axes, for the composite pools). Max and average pooling
visit the kernel offsets as strided slices (no window copy); adaptive average pooling is two small matmuls with
averaging matrices.
"""

from __future__ import annotations

import itertools
from functools import lru_cache
from typing import Any, Sequence


from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.arrays import any_true, at_add, at_set
from ..backend.arrays import device_of as device
from ..backend.averaging import averaging_matrix as _averaging_matrix
from ..backend.typing import Namespace
from .dtype_kinds import isdtype
from .value_checks import python_ints, require_tensor
from .value_checks import ShapeMismatchError
from .value_checks import InvalidValueError
from .value_checks import KernelNotImplementedError, refuse_complex, refuse_kernel
from .pool_symbolic import adaptive_bins, bins_over_symbolic_sizes, global_window, symbolic_kernel
from .resample import gather_taps, taps
from .windows import ntuple, output_size, pad_last_axes, window_slice

IntOrPair = int | Sequence[int]
Pads = tuple[tuple[int, int], ...]


class _PoolNd(Function):
    """Shared geometry of the last n = 2 or 3 axes: kernel, stride, padding, dilation (n-tuples), ceil_mode.

    x (..., H, W) or (..., D, H, W); 1-D pools (``spatial_dims == 1``) run as 2-D ones over (..., 1, L).
    """

    kernel: tuple[int, ...]
    stride: tuple[int, ...]
    padding: tuple[int, ...]
    dilation: tuple[int, ...]
    ceil_mode: bool
    spatial_dims: int

    def _setup(self, xp: Namespace, x: Any) -> Any:
        self.x_shape = tuple(x.shape)
        if self.spatial_dims == 1:
            x = xp.reshape(x, self.x_shape[:-1] + (1, self.x_shape[-1]))
        self.sizes = tuple(x.shape[-len(self.kernel):])
        self.count, self.pads = self.windows(self.sizes)
        self.padded = tuple(size + before + after for size, (before, after) in zip(self.sizes, self.pads))
        return x

    def windows(self, sizes: Sequence[int]) -> tuple[tuple[int, ...], Pads]:
        """Window positions per axis of spatial ``sizes`` (those of the 2-D or 3-D form) as PyTorch counts them,
        and the ``(before, after)`` padding whose floor-mode windows are exactly those: in ceil mode the last
        window may run past the padded input, so the end is padded that far too (ONNX's ceil_mode may count one
        more window, one starting in the padding, than PyTorch)."""
        geometry = list(zip(sizes, self.kernel, self.stride, self.padding, self.dilation))
        count = tuple(output_size(size, k, s, 2 * p, d, self.ceil_mode, p) for size, k, s, p, d in geometry)
        needed = [(c - 1) * s + (k - 1) * d + 1 for c, (_, k, s, _, d) in zip(count, geometry)]
        pads = tuple((p, p + max(0, need - size - 2 * p)) for need, (size, _, _, p, _) in zip(needed, geometry))
        return count, pads

    def _offsets(self) -> list[tuple[Any, ...]]:
        ranges = [range(0, k * d, d) for k, d in zip(self.kernel, self.dilation)]
        return [window_slice(offset, self.count, self.stride) for offset in itertools.product(*ranges)]

    def _finish(self, xp: Namespace, out: Any) -> Any:
        if self.spatial_dims == 1:
            return xp.reshape(out, out.shape[:-2] + (out.shape[-1],))
        return out

    def _unpad(self, xp: Namespace, grad_padded: Any) -> Any:
        inside = tuple(slice(before, before + size) for size, (before, _) in zip(self.sizes, self.pads))
        return xp.reshape(grad_padded[(Ellipsis,) + inside], self.x_shape)

    def _grad_lifted(self, xp: Namespace, grad: Any) -> Any:
        if self.spatial_dims == 1:
            return xp.reshape(grad, grad.shape[:-1] + (1, grad.shape[-1]))
        return grad


class MaxPool(_PoolNd):
    """Window maximum; the gradient goes to the first maximal element of each window, as in PyTorch.

    NaN propagates forward; a window holding NaN sends its gradient to its last NaN, as PyTorch does
    (that is the position its index names too). With ``return_indices`` the forward
    also returns, as a second output (int64, no gradient), each maximum's flat position in its unpadded
    input plane (``h * W + w``; ``(d * H + h) * W + w`` in 3-D), exactly as PyTorch chooses it.
    """

    ties_constant_gradient = True  # PyTorch's max pooling backward reads the input

    return_indices: bool = False

    def forward(self, xp: Namespace, x: Any) -> Any:
        x = self._setup(xp, x)
        padded = pad_last_axes(xp, x, self.pads, value=-float("inf"))
        # maximum over the input under each kernel offset, then one boolean mask per offset marking
        # where that offset holds the window's first maximum, as PyTorch routes the gradient
        # (`where`/`argmax` per element are ~10x slower than these elementwise ops on NumPy)
        views = self._window_views(xp, padded)
        best = views[0]
        for view in views[1:]:
            best = xp.maximum(best, view)  # propagates NaN, as PyTorch's forward does
        if self.needs_input_grad[0]:  # the masks (13 passes for a 2x2 window, the maxima 3) only for a backward
            self.masks = self._first_maxima(xp, views, best)
        if self.return_indices:
            return self._finish(xp, best), self._finish(xp, self._indices(xp, views, best))
        return self._finish(xp, best)

    def _first_maxima(self, xp: Namespace, views: list[Any], best: Any) -> list[Any]:
        """One boolean mask per kernel offset (``views`` in `_offsets` order): where that offset holds its window's
        first maximum ``best``, as PyTorch routes the gradient."""
        taken = views[0] == best
        masks = [taken]
        for view in views[1:]:
            first_here = (view == best) & ~taken
            masks.append(first_here)
            taken = taken | first_here
        if isdtype(xp, best.dtype, "real floating") and any_true(self.backend, xp.isnan(best), if_traced=True):
            # a window holding NaN routes its gradient to its last NaN, as PyTorch does (the masks above
            # are all False there, since NaN == NaN is False); the check reads one flag back from the device,
            # so it runs only when a gradient will be asked for (traced arrays always take this path)
            later = xp.zeros(best.shape, dtype=xp.bool, device=device(best))
            for i in reversed(range(len(views))):
                here = xp.isnan(views[i]) & ~later
                masks[i] = masks[i] | here
                later = later | here
        return masks

    def _window_views(self, xp: Namespace, padded: Any) -> list[Any]:
        """The padded input under each kernel offset, in `_offsets` order: (..., *count) each.

        Strided views of ``padded`` in general. Windows that tile it (stride = kernel, no dilation, as in
        ``MaxPool2d(2)``) are instead split, with one copy, into one contiguous plane per offset: the maximum and
        the comparisons then read contiguous memory, which NumPy runs several times faster than the strided views
        (the CNN benchmark's two pools, forward and backward: 22% fewer instructions).
        """
        offsets = self._offsets()
        n = len(self.kernel)
        lead = tuple(padded.shape[:-n])
        if (len(offsets) == 1 or tuple(self.stride) != tuple(self.kernel) or any(d != 1 for d in self.dilation)
                or None in lead):
            return [padded[where] for where in offsets]
        covered = padded[(Ellipsis,) + tuple(slice(0, c * k) for c, k in zip(self.count, self.kernel))]
        # (..., c0, k0, c1, k1[, c2, k2]) -> (k0, k1[, k2], ..., c0, c1[, c2]), flattened over the offsets
        tiles = xp.reshape(covered, lead + tuple(itertools.chain.from_iterable(zip(self.count, self.kernel))))
        m = len(lead)
        order = tuple(m + 2 * i + 1 for i in range(n)) + tuple(range(m)) + tuple(m + 2 * i for i in range(n))
        planes = xp.reshape(xp.permute_dims(tiles, order), (len(offsets),) + lead + tuple(self.count))
        return [planes[i, ...] for i in range(len(offsets))]

    def _indices(self, xp: Namespace, views: list[Any], best: Any) -> Any:
        """PyTorch's choice: the first maximum in window order, padding never; in a window with NaN, its last NaN."""
        dev = device(best)
        # flat in-plane position of every padded position, -1 on the padding
        flat, inside, step = None, None, 1
        for axis in reversed(range(len(self.sizes))):
            coord = xp.arange(self.padded[axis], dtype=xp.int64, device=dev) - self.pads[axis][0]
            shape = tuple(-1 if a == axis else 1 for a in range(len(self.sizes)))
            ok = xp.reshape((coord >= 0) & (coord < self.sizes[axis]), shape)
            coord = xp.reshape(coord * step, shape)
            flat = coord if flat is None else flat + coord
            inside = ok if inside is None else inside & ok
            step *= self.sizes[axis]
        grid = xp.where(inside, flat, xp.full(self.padded, -1, dtype=xp.int64, device=dev))
        positions = [grid[where] for where in self._offsets()]
        index = self._empty_window_index(xp, best.shape, dev)
        for view, position in zip(reversed(views), reversed(positions)):  # the earliest hit is written last
            index = xp.where((view == best) & (position >= 0), position, index)
        if xp.isdtype(best.dtype, "real floating"):
            for view, position in zip(views, positions):
                index = xp.where(xp.isnan(view), position, index)
        return index

    def _empty_window_index(self, xp: Namespace, shape: tuple[int, ...], dev: Any) -> Any:
        """PyTorch's index where no window element beats -inf: its first dilated position at or past 0 on
        each axis (the first element of the window inside the input; past its end for an all-padding window)."""
        index, step = None, 1
        for axis in reversed(range(len(self.sizes))):
            d = self.dilation[axis]
            start = xp.arange(self.count[axis], dtype=xp.int64, device=dev) * self.stride[axis] - self.pads[axis][0]
            start = xp.where(start < 0, start + ((d - 1 - start) // d) * d, start)
            start = xp.reshape(start * step, tuple(-1 if a == axis else 1 for a in range(len(self.sizes))))
            index = start if index is None else index + start
            step *= self.sizes[axis]
        if None in shape:  # a symbolic batch (ONNX export): the `where`s that take this index broadcast it
            return index
        return xp.broadcast_to(index, shape)

    def backward(self, xp: Namespace, grad: Any, grad_indices: Any = None) -> Any:
        grad = self._grad_lifted(xp, grad)
        out = xp.zeros(grad.shape[:-len(self.padded)] + self.padded, dtype=grad.dtype, device=device(grad))
        # each element in one window at most: assign instead of accumulate
        disjoint = all(s >= (k - 1) * d + 1 for k, s, d in zip(self.kernel, self.stride, self.dilation))
        for mask, where in zip(self.masks, self._offsets()):
            routed = grad * xp.astype(mask, grad.dtype)
            if disjoint:
                out = at_set(out, where, routed)
            else:
                out = at_add(out, where, routed)
        return self._unpad(xp, out)


class AvgPool(_PoolNd):
    """Window mean; the divisor follows PyTorch (``count_include_pad``, ``divisor_override``, ceil mode)."""

    count_include_pad: bool
    divisor_override: int | None

    @property
    def ties_constant_gradient(self) -> bool | None:  # type: ignore[override]
        """PyTorch's gradient with a ``divisor_override`` (its avg_pool2d/3d_backward node) reads the input: a
        function of it with derivative zero; without one it is a constant, as here."""
        return True if self.divisor_override is not None else None

    def forward(self, xp: Namespace, x: Any) -> Any:
        x = self._setup(xp, x)
        padded = pad_last_axes(xp, x, self.pads)
        offsets = self._offsets()
        total = padded[offsets[0]]
        for where in offsets[1:]:
            total = total + padded[where]
        self.divisor = self._divisor(xp, x)
        return self._finish(xp, total / self.divisor)

    def window_counts(self, sizes: Sequence[int], include_pad: bool) -> list[tuple[float, ...]]:
        """PyTorch's divisor along each axis of spatial ``sizes`` (2-D form), per window position: the elements of
        the window inside the input, and with ``include_pad`` inside its padding too (`windows`)."""
        count, _ = self.windows(sizes)
        return [_window_counts(size, c, k, s, p, include_pad)
                for size, c, k, s, p in zip(sizes, count, self.kernel, self.stride, self.padding)]

    def _divisor(self, xp: Namespace, x: Any) -> Any:
        if self.divisor_override is not None:
            return float(self.divisor_override)
        n = len(self.kernel)
        divisor = None
        for axis, counts in enumerate(self.window_counts(x.shape[-n:], self.count_include_pad)):
            per_axis = xp.reshape(xp.asarray(counts, dtype=x.dtype, device=device(x)),
                                  (len(counts),) + (1,) * (n - 1 - axis))
            divisor = per_axis if divisor is None else divisor * per_axis
        return divisor

    def backward(self, xp: Namespace, grad: Any) -> Any:
        grad = self._grad_lifted(xp, grad) / self.divisor
        out = xp.zeros(grad.shape[:-2] + self.padded, dtype=grad.dtype, device=device(grad))
        for where in self._offsets():
            out = at_add(out, where, grad)
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


class AdaptiveAvgPool(Function):
    """``A_h @ x @ A_wᵀ`` with averaging matrices: x (..., H, W) → (..., out_h, out_w); 1-D: ``x @ A_wᵀ``
    (the forward gathers each window's elements, the backward multiplies by the matrices)."""

    output_size: tuple[int, ...]

    def forward(self, xp: Namespace, x: Any) -> Any:
        dev = device(x)
        sizes = [x.shape[x.ndim - len(self.output_size) + i] for i in range(len(self.output_size))]
        self.sizes = sizes  # (the backward's averaging matrices are built there: inference needs none)
        lead = tuple(x.shape[:x.ndim - len(sizes)])
        if all(n > 0 and size % n == 0 for size, n in zip(sizes, self.output_size)) and None not in lead:
            # equal windows, as a global pool's (output 1) or 8 -> 4: split each axis into (bins, window) and take
            # the mean of each window at once (the taps below cost two dozen small array calls per axis)
            split = tuple(itertools.chain.from_iterable((n, size // n) for size, n in zip(sizes, self.output_size)))
            windows = tuple(len(lead) + 2 * i + 1 for i in range(len(sizes)))
            return xp.mean(xp.reshape(x, lead + split), axis=windows)
        # the windows' taps gathered, not the matrices' products: their zeros would spread an inf or NaN over
        # every output of its row (0 * inf); PyTorch's inf stays in its window
        for i, n in enumerate(self.output_size):
            axis = x.ndim - len(self.output_size) + i
            if x.shape[axis] == 0:  # the mean of nothing (an output size of 1: `check_windows`), NaN as PyTorch's
                x = xp.full(x.shape[:axis] + (1,) + x.shape[axis + 1:], float("nan"), dtype=x.dtype, device=dev)
                continue
            x = gather_taps(xp, x, axis, taps(x.shape[axis], n, "area", None, False), skip_zero_weights=True)
        return x

    def backward(self, xp: Namespace, grad: Any) -> Any:
        mats = [xp.reshape(xp.asarray(_averaging_matrix(size, n), dtype=grad.dtype, device=device(grad)), (n, size))
                for size, n in zip(self.sizes, self.output_size)]  # (reshaped: a size of 0 makes no rows)
        if len(mats) == 2:
            grad = mats[0].mT @ grad
        return grad @ mats[-1]


# -- functional wrappers ------------------------------------------------------------------------


_SPATIAL = {1: "L", 2: "H, W", 3: "D, H, W"}


def check_rank(fn: str, x: Any, spatial_dims: int, low: int | None = None) -> None:
    """PyTorch's ranks for a pool over ``spatial_dims`` axes: unbatched (C, *spatial) or batched (N, C, *spatial);
    ``low``: any rank from ``low`` up instead (adaptive average pooling to all-ones sizes, PyTorch's mean path)."""
    require_tensor(fn, x)
    if x.ndim in (spatial_dims + 1, spatial_dims + 2) or (low is not None and x.ndim >= low):
        return
    where = _SPATIAL[spatial_dims]
    raise ShapeMismatchError(f"{fn}: expected a {spatial_dims + 1}-D (C, {where}) or {spatial_dims + 2}-D "
                             f"(N, C, {where}) input, got a {x.ndim}-D input of shape {tuple(x.shape)}")


def _pool_args(fn: str, x: Any, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
               dilation: IntOrPair, spatial_dims: int, ceil_mode: bool) -> dict[str, tuple[int, ...]]:
    """Checked geometry as n-tuples, n = max(spatial_dims, 2) (a 1-D pool runs over (..., 1, L))."""
    if x.ndim < spatial_dims + 1:
        raise ValueError(f"{fn}: expected an input with at least {spatial_dims + 1} dimensions "
                         f"(C, {_SPATIAL[spatial_dims]}), got shape {x.shape}")
    lift = max(spatial_dims, 2) - spatial_dims
    stride = python_ints(stride)

    def spatial(value: IntOrPair, name: str, neutral: int) -> tuple[int, ...]:
        return (neutral,) * lift + ntuple(value, spatial_dims, name, fn, one=True)  # [2] is (2, 2), as PyTorch

    kernel = spatial(kernel_size, "kernel_size", 1)
    stride_n = kernel if stride is None or (not isinstance(stride, int) and len(tuple(stride)) == 0) else \
        spatial(stride, "stride", 1)
    padding_n = spatial(padding, "padding", 0)
    dilation_n = spatial(dilation, "dilation", 1)
    if min(kernel) < 1 or min(stride_n) < 1 or min(dilation_n) < 1:
        raise InvalidValueError(f"{fn}: kernel_size, stride and dilation must be positive")
    if any(p < 0 or p > k // 2 for p, k in zip(padding_n, kernel)):
        raise InvalidValueError(f"{fn}: padding must be non-negative and at most half the kernel size, "
                                f"got padding {padding!r} for kernel_size {kernel_size!r}")
    size = x.shape[-spatial_dims:]
    geometry = list(zip(size, kernel[lift:], stride_n[lift:], padding_n[lift:], dilation_n[lift:]))
    # (a symbolic axis, None in ONNX export with dynamic_axes, is sized when the graph runs: no check here)
    counts = [output_size(n, k, s, 2 * p, d, ceil_mode, p) for n, k, s, p, d in geometry if n is not None]
    if counts and min(counts) < 1:
        spans = tuple((k - 1) * d + 1 for _, k, _, _, d in geometry)
        pads = tuple(p for _, _, _, p, _ in geometry)
        raise ShapeMismatchError(f"{fn}: input of shape {x.shape} is smaller than the kernel {spans} (padding {pads}, "
                                 f"ceil_mode={ceil_mode}): the output would be empty")
    return dict(kernel=kernel, stride=stride_n, padding=padding_n, dilation=dilation_n)


def _max_pool(fn: str, x: Any, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
              dilation: IntOrPair, ceil_mode: bool, return_indices: bool, spatial_dims: int) -> Any:
    check_rank(fn, x, spatial_dims)
    refuse_complex(fn, x)
    if isinstance(x, Tensor) and dtype_name(x.dtype) == "bool":  # (the maximum of booleans is their any(): in uint8,
        # as the array API has no maximum of bools; PyTorch has no bool kernel, differences page)
        pooled = _max_pool(fn, x.to("uint8"), kernel_size, stride, padding, dilation, ceil_mode, return_indices,
                           spatial_dims)
        return (pooled[0].to("bool"), pooled[1]) if return_indices else pooled.to("bool")
    if symbolic_kernel(kernel_size) and global_window(fn, x, kernel_size, stride, padding, dilation, spatial_dims):
        if return_indices:
            raise NotImplementedError(f"{fn}: return_indices=True with a kernel of symbolic sizes (an ONNX export "
                                      f"with them in dynamic_axes) is not recorded; export with static sizes")
        return x.amax(dim=tuple(range(x.ndim - spatial_dims, x.ndim)), keepdim=True)
    args = _pool_args(fn, x, kernel_size, stride, padding, dilation, spatial_dims, ceil_mode)
    if not return_indices:
        return MaxPool.apply(x, ceil_mode=ceil_mode, spatial_dims=spatial_dims, **args)
    out, indices = MaxPool.apply(x, ceil_mode=ceil_mode, spatial_dims=spatial_dims, return_indices=True, **args)
    return out, indices.detach()


def max_pool1d(input: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,  # noqa: A002 - PyTorch's name
               dilation: IntOrPair = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over windows of the last axis: input (N, C, L) or (C, L) → (..., L_out); ``stride`` defaults to
    ``kernel_size``.

    With ``return_indices`` returns ``(out, indices)``: indices (int64, out's shape, no gradient) are the
    position of each maximum along L, for `max_unpool1d`.
    """
    return _max_pool("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 1)


def max_pool2d(input: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,  # noqa: A002 - PyTorch's name
               dilation: IntOrPair = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over (kh, kw) windows: input (N, C, H, W) or (C, H, W) → (..., H_out, W_out).

    Padding counts as -inf; ``stride`` defaults to ``kernel_size``; ``ceil_mode`` keeps a last partial
    window. The gradient flows to the first maximum of each window. With ``return_indices`` returns
    ``(out, indices)``: indices (int64, out's shape, no gradient) are ``h * W + w`` of each maximum in the
    unpadded input, as PyTorch's (ties: the first in window order), for `max_unpool2d`.
    """
    return _max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 2)


def max_pool3d(input: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,  # noqa: A002 - PyTorch's name
               dilation: IntOrPair = 1, ceil_mode: bool = False, return_indices: bool = False) -> Any:
    """Max over (kd, kh, kw) windows: input (N, C, D, H, W) or (C, D, H, W) → (..., D_out, H_out, W_out).

    Arguments as `max_pool2d`, each an int or a 3-tuple; indices are ``(d * H + h) * W + w``.
    """
    return _max_pool("max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode, return_indices, 3)


# PyTorch's *_with_indices spellings: always (out, indices), whatever return_indices says (as PyTorch's)
def max_pool1d_with_indices(input: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None,  # noqa: A002
                            padding: IntOrPair = 0, dilation: IntOrPair = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Any:
    """`max_pool1d` returning ``(out, indices)``."""
    return _max_pool("max_pool1d_with_indices", input, kernel_size, stride, padding, dilation, ceil_mode, True, 1)


def max_pool2d_with_indices(input: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None,  # noqa: A002
                            padding: IntOrPair = 0, dilation: IntOrPair = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Any:
    """`max_pool2d` returning ``(out, indices)``."""
    return _max_pool("max_pool2d_with_indices", input, kernel_size, stride, padding, dilation, ceil_mode, True, 2)


def max_pool3d_with_indices(input: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None,  # noqa: A002
                            padding: IntOrPair = 0, dilation: IntOrPair = 1, ceil_mode: bool = False,
                            return_indices: bool = False) -> Any:
    """`max_pool3d` returning ``(out, indices)``."""
    return _max_pool("max_pool3d_with_indices", input, kernel_size, stride, padding, dilation, ceil_mode, True, 3)


def avg_pool1d(input: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,  # noqa: A002 - PyTorch's name
               ceil_mode: bool = False, count_include_pad: bool = True) -> Any:
    """Mean over windows of the last axis: input (N, C, L) or (C, L) → (..., L_out)."""
    check_rank("avg_pool1d", input, 1)
    if is_int64(input):
        return int64_mean(lambda x: avg_pool1d(x, kernel_size, stride, padding, ceil_mode, count_include_pad), input)
    return avg_pool_nd("avg_pool1d", input, kernel_size, stride, padding, ceil_mode, count_include_pad, None, 1)


def avg_pool2d(input: Any, kernel_size: IntOrPair, stride: IntOrPair | None = None, padding: IntOrPair = 0,  # noqa: A002 - PyTorch's name
               ceil_mode: bool = False, count_include_pad: bool = True, divisor_override: int | None = None) -> Any:
    """Mean over (kh, kw) windows: input (N, C, H, W) or (C, H, W) → (..., H_out, W_out).

    ``count_include_pad`` counts the zero padding in the divisor (PyTorch's default);
    ``divisor_override`` replaces the divisor altogether.
    """
    check_rank("avg_pool2d", input, 2)
    if is_int64(input):
        return int64_mean(lambda x: avg_pool2d(x, kernel_size, stride, padding, ceil_mode, count_include_pad,
                                               divisor_override), input)
    return avg_pool_nd("avg_pool2d", input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override, 2)


def avg_pool_nd(fn: str, x: Any, kernel_size: IntOrPair, stride: IntOrPair | None, padding: IntOrPair,
                ceil_mode: bool, count_include_pad: bool, divisor_override: int | None, spatial_dims: int) -> Any:
    """`avg_pool1d`/`avg_pool2d` over the last ``spatial_dims`` axes of x (..., *spatial), any leading axes (the
    composite pools run them on other ranks); ``fn`` names the caller in errors."""
    check_floating(fn, x)
    refuse_kernel(fn, "avg_pool3d_out_frame" if fn == "avg_pool3d" else "avg_pool2d", ("complex floating",), x)
    if divisor_override is not None and divisor_override <= 0:
        raise InvalidValueError(f"{fn}: divisor_override must be positive, got {divisor_override}")
    if symbolic_kernel(kernel_size) and global_window(fn, x, kernel_size, stride, padding, 1, spatial_dims):
        axes = tuple(range(x.ndim - spatial_dims, x.ndim))  # one window: the mean (or sum / divisor_override)
        return x.mean(dim=axes, keepdim=True) if divisor_override is None else \
            x.sum(dim=axes, keepdim=True) / divisor_override
    args = _pool_args(fn, x, kernel_size, stride, padding, 1, spatial_dims, ceil_mode)
    return AvgPool.apply(x, ceil_mode=ceil_mode, count_include_pad=count_include_pad,
                         divisor_override=divisor_override, spatial_dims=spatial_dims, **args)


def is_int64(x: Any) -> bool:
    return isinstance(x, Tensor) and dtype_name(x.dtype) == "int64"


def int64_mean(average: Any, x: Tensor) -> Any:
    """PyTorch's average pools of int64 (its only integer dtype there): the window's sum divided in integers,
    toward zero; here the float64 mean truncated (exact while sums stay below 2**53), as int64."""
    return average(x.astype("float64")).trunc().astype("int64")


def check_floating(where: str, x: Any) -> None:
    """Averages of integers have no integer answer: refuse them (PyTorch does too, int64 average pools aside:
    `int64_mean`), naming ``where``: PyTorch's NotImplementedError ("adaptive_avg_pool2d" not implemented for
    'Long'), a TypeError too."""
    name = dtype_name(x.dtype)
    if not name.startswith(("float", "bfloat", "complex")):
        raise KernelNotImplementedError(f"{where}: expected a floating-point input, got {name}; convert it first "
                                        f"(x.float() or x.astype('float32'))")


def _adaptive_sizes(fn: str, x: Any, output_size: Any, spatial_dims: int) -> tuple[int, ...]:
    check_floating(fn, x)
    if x.ndim < spatial_dims:
        raise ValueError(f"{fn}: expected an input with at least {spatial_dims} dimensions, got shape {x.shape}")
    output_size = python_ints(output_size)
    sizes = (output_size,) * spatial_dims if output_size is None or isinstance(output_size, int) \
        else tuple(output_size)
    if len(sizes) != spatial_dims:
        raise ValueError(f"{fn}: output_size must be an int or a {spatial_dims}-tuple, got {output_size!r}")
    if spatial_dims == 1 and None in sizes:  # PyTorch keeps an axis' size with None in 2-D and 3-D only
        raise TypeError(f"{fn}(): argument 'output_size' must be an int or a tuple of ints, got {output_size!r}")
    given = x.shape[-spatial_dims:]
    sizes = tuple(n if s is None else s for s, n in zip(sizes, given))
    if any(not isinstance(s, int) or s < 0 for s in sizes):  # 0 gives an empty result, as PyTorch's
        raise InvalidValueError(f"{fn}: output_size must be non-negative, got {output_size!r}")
    check_windows(fn, x, sizes)
    return sizes


def check_windows(fn: str, x: Any, sizes: tuple[int | None, ...]) -> None:
    """Refuse an empty spatial axis of x (..., *spatial) unless every output size is 1 (PyTorch's mean path, which
    gives NaN), with PyTorch's message (a RuntimeError there)."""
    for axis in range(x.ndim - len(sizes), x.ndim):
        if x.shape[axis] == 0 and any(s != 1 for s in sizes):  # (None, a symbolic size, is never 0)
            raise InvalidValueError(f"{fn}(): Expected input to have non-zero size for non-batch dimensions, but "
                                    f"input has sizes {list(x.shape)} with dimension {axis} being empty")


def check_adaptive_avg_rank(fn: str, x: Any, output_size: Any, spatial_dims: int) -> None:
    """`check_rank`, with PyTorch's exception for all-ones output sizes in 2-D and 3-D (its mean path): any rank
    from ``spatial_dims + 1`` up, from ``spatial_dims`` up for the int 1."""
    refuse_complex(fn, x)  # as PyTorch (no complex kernel); the bin arithmetic of the portable path compares values
    low = None
    if spatial_dims > 1:
        if isinstance(output_size, int) and not isinstance(output_size, bool) and output_size == 1:
            low = spatial_dims
        elif not isinstance(output_size, int) and output_size is not None and all(
                s == 1 for s in output_size):
            low = spatial_dims + 1
    check_rank(fn, x, spatial_dims, low)


def adaptive_avg_pool_nd(fn: str, x: Any, output_size: Any, spatial_dims: int) -> Any:
    """Adaptive average over the last ``spatial_dims`` (1 or 2) axes of x (..., *spatial), any leading axes."""
    requested = bins_over_symbolic_sizes(x, output_size, spatial_dims)
    if requested is not None:
        # bins over symbolic sizes (an ONNX export with dynamic height and width: coordinate attention's pools to
        # (H, 1) and (1, W), a classifier's pool to (7, 7)); to all ones the lowering's ReduceMean records
        check_floating(fn, x)
        return adaptive_bins(x, requested, "mean")
    return AdaptiveAvgPool.apply(x, output_size=_adaptive_sizes(fn, x, output_size, spatial_dims))


def adaptive_avg_pool1d(input: Any, output_size: int | Sequence[int]) -> Any:  # noqa: A002 - PyTorch's name
    """Average into ``output_size`` bins along the last axis: input (N, C, L) or (C, L) → (..., output_size)."""
    check_adaptive_avg_rank("adaptive_avg_pool1d", input, output_size, 1)
    return adaptive_avg_pool_nd("adaptive_avg_pool1d", input, output_size, 1)


def adaptive_avg_pool2d(input: Any, output_size: int | Sequence[int | None]) -> Any:  # noqa: A002 - PyTorch's name
    """Average into (out_h, out_w) bins (PyTorch's bin edges; ``None`` keeps that size): input (N, C, H, W) or
    (C, H, W) → (..., out_h, out_w); to size 1 (or (1, 1)) any leading axes, as PyTorch."""
    check_adaptive_avg_rank("adaptive_avg_pool2d", input, output_size, 2)
    return adaptive_avg_pool_nd("adaptive_avg_pool2d", input, output_size, 2)
