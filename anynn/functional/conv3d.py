"""3-D convolution as one fused primitive: im2col over (D, H, W) by strided slices, one batched matmul.

Layouts are PyTorch's: input (N, C_in, D, H, W), weight (C_out, C_in / groups, kd, kh, kw). The columns
are built from ``kd * kh * kw`` strided slices of the padded input (portable, no sliding-window view),
and the input gradient is their adjoint: one strided slice-add per kernel offset.
"""

from __future__ import annotations

import itertools
from typing import Any, Sequence

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..backend.arrays import at_add
from ..backend.typing import Namespace
from .formulas.conjugate import conj
from .value_checks import InvalidValueError, ShapeMismatchError, check_same_dtype, require_tensor
from .windows import full_as, ntuple, output_size, pad_last_axes, same_padding, window_slice

Triple = tuple[int, int, int]


def _offset_slices(offset: Sequence[int], dilation: Triple, stride: Triple, count: Triple) -> tuple[Any, ...]:
    """Index of the window elements at kernel ``offset`` along the last three axes."""
    return window_slice(tuple(o * d for o, d in zip(offset, dilation)), count, stride)


def unfold3d(xp: Namespace, x: Any, kernel: Sequence[int], stride: Triple, dilation: Triple, count: Triple) -> Any:
    """im2col over (D, H, W): x (N, C, Dp, Hp, Wp), already padded → columns (N, C, kd*kh*kw, Do, Ho, Wo)."""
    offsets = itertools.product(*(range(k) for k in kernel))
    return xp.stack([x[_offset_slices(off, dilation, stride, count)] for off in offsets], axis=2)


def fold3d(xp: Namespace, cols: Any, padded: Sequence[int], kernel: Sequence[int], stride: Triple,
           dilation: Triple) -> Any:
    """col2im over (D, H, W), the adjoint of `unfold3d`: columns (N, C, kd*kh*kw, Do, Ho, Wo) summed back into
    an image (N, C, Dp, Hp, Wp), one strided slice-add per kernel offset."""
    n, c, _, *count = cols.shape
    if n is None:  # a symbolic batch (ONNX export): zeros of the batch cols has when the graph runs
        image = full_as(xp, (n, c) + tuple(padded), 0, cols[:, :, 0, ...])
    else:
        image = xp.zeros((n, c) + tuple(padded), dtype=cols.dtype, device=device(cols))
    for k, off in enumerate(itertools.product(*(range(s) for s in kernel))):
        image = at_add(image, _offset_slices(off, dilation, stride, tuple(count)), cols[:, :, k, ...])
    return image


class Conv3dFunction(Function):
    """Cross-correlation of x (N, C_in, D, H, W) with weight (C_out, C_in/groups, kd, kh, kw), plus bias."""

    stride: Triple
    padding: tuple[int, int, int, int, int, int]  # (front, back, top, bottom, left, right)
    dilation: Triple
    groups: int

    def forward(self, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
        check_same_dtype("conv3d", ("input", "weight", "bias"), (x, weight, bias))
        self.x_shape, self.w_shape = tuple(x.shape), tuple(weight.shape)
        if x.ndim == 4:
            x = xp.reshape(x, (1,) + self.x_shape)
        n, c, *size = x.shape
        o, cg, *kernel = weight.shape
        pads = self.padding
        self.padded = tuple(s + pads[2 * k] + pads[2 * k + 1] for k, s in enumerate(size))
        out = tuple(output_size(s, k, st, pads[2 * i] + pads[2 * i + 1], d)
                    for i, (s, k, st, d) in enumerate(zip(size, kernel, self.stride, self.dilation)))
        self.out_size, self.kernel = out, tuple(kernel)
        x = pad_last_axes(xp, x, tuple((pads[2 * k], pads[2 * k + 1]) for k in range(3)))
        g = self.groups
        k_count = kernel[0] * kernel[1] * kernel[2]
        length = out[0] * out[1] * out[2]
        cols = xp.reshape(unfold3d(xp, x, kernel, self.stride, self.dilation, out), (n, g, cg * k_count, length))
        w_mat = xp.reshape(weight, (g, o // g, cg * k_count))
        y = xp.reshape(w_mat @ cols, (n, o) + out)
        if bias is not None:
            y = y + xp.reshape(bias, (o, 1, 1, 1))
        self.has_bias = bias is not None
        self.w_mat = w_mat
        self.cols = cols if self.needs_input_grad[1] else None
        return y if len(self.x_shape) == 5 else xp.reshape(y, y.shape[1:])

    def backward(self, xp: Namespace, grad: Any) -> tuple[Any, Any, Any]:
        n = self.x_shape[0] if len(self.x_shape) == 5 else 1
        c = self.x_shape[-4]
        o = self.w_shape[0]
        g = self.groups
        out = self.out_size
        length = out[0] * out[1] * out[2]
        grad = xp.reshape(grad, (n, g, o // g, length))
        grad_x = grad_w = grad_b = None
        if self.needs_input_grad[0]:
            k_count = self.kernel[0] * self.kernel[1] * self.kernel[2]
            cols = xp.reshape(conj(xp, self.w_mat).mT @ grad, (n, c, k_count) + out)  # conj: complex weights
            image = fold3d(xp, cols, self.padded, self.kernel, self.stride, self.dilation)
            size = self.x_shape[-3:]
            pads = self.padding
            crop = (Ellipsis,) + tuple(slice(pads[2 * k], pads[2 * k] + s) for k, s in enumerate(size))
            grad_x = xp.reshape(image[crop], self.x_shape)
        if self.needs_input_grad[1]:
            grad_w = xp.reshape(xp.sum(grad @ conj(xp, self.cols).mT, axis=0), self.w_shape)
        if self.has_bias and self.needs_input_grad[2]:
            grad_b = xp.reshape(xp.sum(grad, axis=(0, 3)), (o,))
        return grad_x, grad_w, grad_b


def check_bias(fn: str, bias: Any, weight: Any, out_channels: int) -> None:
    """A convolution's bias (any rank, transposed too) must be (C_out,), as PyTorch requires: none broadcasts."""
    if bias is not None and tuple(bias.shape) != (out_channels,):
        raise ShapeMismatchError(f"{fn}: weight of shape {tuple(weight.shape)} expects a 1-D bias of {out_channels} "
                                 f"elements (C_out), got bias of shape {tuple(bias.shape)}")


def conv3d(input: Any, weight: Any, bias: Any = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1, groups: int = 1) -> Any:
    """3-D convolution (cross-correlation, as PyTorch).

    input (N, C_in, D, H, W) or (C_in, D, H, W), weight (C_out, C_in / groups, kd, kh, kw), bias (C_out,)
    → (N, C_out, D_out, H_out, W_out); ``padding`` an int, a 3-tuple, ``"valid"`` or ``"same"`` (stride 1).
    """
    require_tensor("conv3d", input, "input", 1)
    require_tensor("conv3d", weight, "weight", 2)
    if input.ndim not in (4, 5) or weight.ndim != 5:
        raise ShapeMismatchError(f"conv3d: expected a 4-D (unbatched) or 5-D input and a 5-D weight, got input "
                                 f"shape {input.shape} and weight shape {weight.shape}")
    if groups < 1 or weight.shape[0] % groups or input.shape[-4] != weight.shape[1] * groups:
        raise ShapeMismatchError(f"conv3d: weight of shape {weight.shape} with groups={groups} expects "
                                 f"{weight.shape[1] * groups} input channels, got input of shape {input.shape}")
    check_bias("conv3d", bias, weight, weight.shape[0])
    stride3 = ntuple(stride, 3, "stride", "conv3d", one=True)  # [s] is (s, s, s), as PyTorch expands it
    dilation3 = ntuple(dilation, 3, "dilation", "conv3d", one=True)
    if min(stride3) < 1 or min(dilation3) < 1:
        raise InvalidValueError(f"conv3d: stride and dilation must be positive, got {stride!r} and {dilation!r}")
    kernel = tuple(weight.shape[2:])
    if padding == "valid":
        pads: tuple[int, ...] = (0,) * 6
    elif padding == "same":
        if stride3 != (1, 1, 1):
            raise ValueError(f"conv3d: padding='same' needs stride 1, got stride {stride3}")
        pads = same_padding(kernel, dilation3)
    elif isinstance(padding, str):
        raise ValueError(f"conv3d: padding must be an int, a 3-tuple, 'valid' or 'same', got {padding!r}")
    else:
        pads = tuple(p for p in ntuple(padding, 3, "padding", "conv3d", one=True) for _ in range(2))
        if min(pads) < 0:
            raise ValueError(f"conv3d: padding must be non-negative, got {padding!r}")
    size = input.shape[-3:]
    spans = [(k - 1) * d + 1 for k, d in zip(kernel, dilation3)]
    if any(s is not None and s + pads[2 * i] + pads[2 * i + 1] < span  # (None: a symbolic axis)
           for i, (s, span) in enumerate(zip(size, spans))):
        raise ShapeMismatchError(f"conv3d: input of shape {input.shape} (padding {padding!r}) is smaller than the "
                                 f"dilated kernel {tuple(spans)}")
    params = dict(stride=stride3, padding=pads, dilation=dilation3, groups=groups)
    if bias is None:
        return Conv3dFunction.apply(input, weight, **params)
    return Conv3dFunction.apply(input, weight, bias, **params)
