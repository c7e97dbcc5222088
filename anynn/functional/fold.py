"""`unfold` (im2col) and `fold` (col2im) as PyTorch's ``F.unfold``/``F.fold``, on the convolution's machinery.

unfold: x (N, C, H, W) → (N, C * kh * kw, L), L the number of window positions; fold sums such columns back
into (N, C, H, W) (overlaps add). Each is the other's adjoint, so each one's backward is the other.
"""

from __future__ import annotations

from typing import Any, Sequence

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from . import windows
from .value_checks import require_tensor
from .value_checks import ShapeMismatchError, refuse_kernel

IntOrPair = int | Sequence[int]


def _crop(x: Any, padding: windows.Pair) -> Any:
    ph, pw = padding
    return x[..., ph:x.shape[-2] - ph, pw:x.shape[-1] - pw]


class UnfoldFunction(Function):
    """x (N, C, H, W) → columns (N, C * kh * kw, Ho * Wo)."""

    kernel: windows.Pair
    stride: windows.Pair
    dilation: windows.Pair
    padding: windows.Pair
    count: windows.Pair

    def forward(self, xp: Namespace, x: Any) -> Any:
        if None in self.count:  # (the ONNX lowering, one Slice per tap, takes symbolic sizes of known channels)
            raise NotImplementedError(f"unfold: the window count of symbolic spatial sizes (an ONNX export with "
                                      f"them in dynamic_axes) is known when the graph runs; with {x.shape[1]} "
                                      f"channels it is not recorded: export with static channels and sizes")
        ph, pw = self.padding
        padded = windows.pad2d(xp, x, (ph, ph, pw, pw))
        self.padded_shape = tuple(padded.shape[-2:])
        cols = windows.unfold(self.backend, padded, self.kernel, self.stride, self.dilation, self.count)
        n, c = x.shape[0], x.shape[1]
        return xp.reshape(cols, (n, c * self.kernel[0] * self.kernel[1], self.count[0] * self.count[1]))

    def backward(self, xp: Namespace, g: Any) -> Any:
        n = g.shape[0]
        # explicit sizes, no -1: a reshape of an empty batch cannot infer one
        cols = xp.reshape(g, (n, g.shape[1] // (self.kernel[0] * self.kernel[1])) + self.kernel + self.count)
        return _crop(windows.fold(xp, cols, self.padded_shape, self.stride, self.dilation), self.padding)


class FoldFunction(Function):
    """columns (N, C * kh * kw, Ho * Wo) → x (N, C, H, W), overlapping entries summed."""

    kernel: windows.Pair
    stride: windows.Pair
    dilation: windows.Pair
    padding: windows.Pair
    count: windows.Pair
    size: windows.Pair

    def forward(self, xp: Namespace, cols: Any) -> Any:
        n = cols.shape[0]
        padded_shape = (self.size[0] + 2 * self.padding[0], self.size[1] + 2 * self.padding[1])
        grid = xp.reshape(cols, (n, cols.shape[1] // (self.kernel[0] * self.kernel[1])) + self.kernel + self.count)
        return _crop(windows.fold(xp, grid, padded_shape, self.stride, self.dilation), self.padding)

    def backward(self, xp: Namespace, g: Any) -> Any:
        ph, pw = self.padding
        padded = windows.pad2d(xp, g, (ph, ph, pw, pw))
        cols = windows.unfold(self.backend, padded, self.kernel, self.stride, self.dilation, self.count)
        n, c = g.shape[0], g.shape[1]
        return xp.reshape(cols, (n, c * self.kernel[0] * self.kernel[1], self.count[0] * self.count[1]))


def _geometry(fn: str, size: windows.Pair, kernel_size: IntOrPair, dilation: IntOrPair, padding: IntOrPair,
              stride: IntOrPair) -> dict[str, windows.Pair]:
    kernel = windows.pair(kernel_size, "kernel_size", fn)
    dil = windows.pair(dilation, "dilation", fn)
    pad = windows.pair(padding, "padding", fn)
    step = windows.pair(stride, "stride", fn)
    if min(kernel) < 1 or min(dil) < 1 or min(step) < 1 or min(pad) < 0:
        raise ValueError(f"{fn}: kernel_size, dilation and stride must be positive and padding non-negative, got "
                         f"kernel_size={kernel_size!r}, dilation={dilation!r}, padding={padding!r}, stride={stride!r}")
    # (a symbolic axis, None in an ONNX export with dynamic_axes: its count of windows is known when the graph runs)
    count = tuple(None if n is None else windows.output_size(n, k, s, 2 * p, d)
                  for n, k, s, p, d in zip(size, kernel, step, pad, dil))
    if min((c for c in count if c is not None), default=1) < 1:
        raise ShapeMismatchError(f"{fn}: the spatial size {size} with padding {pad} is smaller than the dilated kernel "
                                 f"{kernel} (dilation {dil}): there are no blocks")
    return dict(kernel=kernel, dilation=dil, padding=pad, stride=step, count=(count[0], count[1]))


def unfold(input: Tensor, kernel_size: IntOrPair, dilation: IntOrPair = 1, padding: IntOrPair = 0,
           stride: IntOrPair = 1) -> Tensor:
    """Sliding blocks of input (N, C, H, W) or (C, H, W) as columns → (N, C * kh * kw, L) or (C * kh * kw, L)."""
    if not isinstance(input, Tensor):
        raise TypeError(f"unfold(): argument 'input' must be Tensor, not {type(input).__module__}."
                        f"{type(input).__name__}; wrap it with anynn.tensor(...)")
    if input.ndim not in (3, 4):
        raise ShapeMismatchError(f"unfold: expected 3-D (C, H, W) or 4-D (N, C, H, W) input, got shape "
                                 f"{tuple(input.shape)}")
    refuse_kernel("unfold", "im2col_out_cpu", ("integral",), input)
    batched = input if input.ndim == 4 else input.unsqueeze(0)
    geometry = _geometry("unfold", tuple(input.shape[-2:]), kernel_size, dilation, padding, stride)
    out = UnfoldFunction.apply(batched, **geometry)
    return out if input.ndim == 4 else out.squeeze(0)


def fold(input: Tensor, output_size: IntOrPair, kernel_size: IntOrPair, dilation: IntOrPair = 1,
         padding: IntOrPair = 0, stride: IntOrPair = 1) -> Tensor:
    """Sum columns (N, C * kh * kw, L) or (C * kh * kw, L) into (N, C, H, W) or (C, H, W), (H, W) = output_size."""
    require_tensor("fold", input)
    if input.ndim not in (2, 3):
        raise ShapeMismatchError(f"fold: expected 2-D (C * kh * kw, L) or 3-D (N, C * kh * kw, L) input, got shape "
                                 f"{input.shape}")
    refuse_kernel("fold", "col2im_out_cpu", ("integral",), input)
    size = windows.pair(output_size, "output_size", "fold")
    geometry = _geometry("fold", size, kernel_size, dilation, padding, stride)
    blocks = geometry["kernel"][0] * geometry["kernel"][1]
    positions = geometry["count"][0] * geometry["count"][1]
    if input.shape[-2] % blocks or input.shape[-1] != positions:
        raise ShapeMismatchError(f"fold: expected input of shape (N, C * {blocks}, {positions}) for output_size "
                                 f"{size}, kernel_size {geometry['kernel']}; got {input.shape}")
    batched = input if input.ndim == 3 else input.unsqueeze(0)
    out = FoldFunction.apply(batched, size=size, **geometry)
    return out if input.ndim == 3 else out.squeeze(0)
