"""Convolutions as im2col + matmul, one fused primitive each: ``conv1d``, ``conv2d``, ``conv_transpose1d/2d/3d``.

Layouts are PyTorch's: input (N, C_in, H, W), conv weight (C_out, C_in / groups, kh, kw), transposed-conv
weight (C_in, C_out / groups, kh, kw). The 1-D versions run the 2-D primitive on (N, C, 1, L) views.
"""

from __future__ import annotations

import math
from typing import Any, Sequence

from ..autograd.primitive import Function
from ..backend import op
from ..backend.typing import Namespace
from .conv3d import check_bias, fold3d, unfold3d
from .formulas.conjugate import conj
from .precision import is_low_precision
from .value_checks import ShapeMismatchError
from .value_checks import InvalidValueError
from .value_checks import check_same_dtype, require_tensor
from .windows import (Pair, fold, fold_channels_last, ntuple, output_size, pad2d, pad_last_axes, pair, same_padding,
                      unfold)

IntOrPair = int | Sequence[int]


def _to_4d(x_shape: tuple[int, ...], spatial_dims: int) -> tuple[int, ...]:
    """(N, C, L) → (N, C, 1, L); unbatched (C, L) / (C, H, W) / (C, D, H, W) get N = 1 (3-D stays 5-D)."""
    if spatial_dims == 1:
        return (1, x_shape[0], 1, x_shape[1]) if len(x_shape) == 2 else (x_shape[0], x_shape[1], 1, x_shape[2])
    return (1,) + tuple(x_shape) if len(x_shape) == spatial_dims + 1 else tuple(x_shape)


def _kernel_4d(w_shape: tuple[int, ...]) -> tuple[int, ...]:
    return (w_shape[0], w_shape[1], 1, w_shape[2]) if len(w_shape) == 3 else tuple(w_shape)


def _as_4d(fn: Function, xp: Namespace, x: Any, weight: Any) -> tuple[Any, Any]:
    """x and weight as 4-D (N, C, H, W) / (O, I, kh, kw) arrays; their own shapes kept on ``fn``
    (``x_shape``, ``w_shape``) for the backward and `_from_4d`."""
    fn.x_shape, fn.w_shape = tuple(x.shape), tuple(weight.shape)
    return xp.reshape(x, _to_4d(fn.x_shape, fn.spatial_dims)), xp.reshape(weight, _kernel_4d(fn.w_shape))


def _from_4d(fn: Function, xp: Namespace, out: Any, n: int, o: int, ho: int, wo: int) -> Any:
    """A 4-D result (N, O, Ho, Wo) in the input's layout: (N, O, Lo) for 1-D, without N for unbatched input."""
    out_shape = (n, o, wo) if fn.spatial_dims == 1 else (n, o, ho, wo)
    if len(fn.x_shape) == fn.spatial_dims + 1:  # unbatched input, unbatched output
        out_shape = out_shape[1:]
    return xp.reshape(out, out_shape)


def _matmul(a: Any, b: Any) -> Any:
    return a @ b


def scatter_windows(xp: Namespace, y: Any, w_mat: Any, kernel: Pair, padded: Pair, stride: Pair, dilation: Pair,
                    matmul: Any = _matmul) -> Any:
    """col2im of ``w_matᵀ @ y``: y (N, g*a, Ho, Wo), w_mat (g, a, b*kh*kw) → image (N, g*b, Hp, Wp).

    The input gradient of a convolution and the forward of a transposed one. With more channels than
    output columns the columns are built channels-last, so the slice-adds run over contiguous memory.
    ``matmul`` is the backend's ``matmul`` op where the caller has it (NumPy's float16 product runs in float32).
    """
    n, _, ho, wo = y.shape
    g, a, bk = w_mat.shape
    (kh, kw), b = kernel, bk // (kernel[0] * kernel[1])
    y = xp.reshape(y, (n, g, a, ho * wo))
    if g * b <= wo or n is None:  # (a symbolic batch, ONNX export: the layout that never multiplies by n)
        cols = xp.reshape(matmul(w_mat.mT, y), (n, g * b, kh, kw, ho, wo))
        return fold(xp, cols, padded, stride, dilation)
    rows = xp.reshape(xp.permute_dims(y, (1, 3, 0, 2)), (g, 1, ho * wo * n, a))
    # one (a, b) block of the weight per kernel offset (made contiguous for BLAS), so that each offset's columns
    # come out as one contiguous (Ho, Wo, N, b) block for its slice-add
    w_offsets = xp.permute_dims(xp.reshape(w_mat, (g, a, b, kh * kw)), (0, 3, 1, 2))
    w_offsets = xp.reshape(xp.reshape(w_offsets, (g * kh * kw, a * b)), (g, kh * kw, a, b))
    cols = xp.reshape(matmul(rows, w_offsets), (g, kh, kw, ho, wo, n, b))  # (g, kh*kw, L*N, b) viewed
    cols = xp.reshape(xp.permute_dims(cols, (1, 2, 3, 4, 5, 0, 6)), (kh, kw, ho, wo, n, g * b))
    image = xp.permute_dims(fold_channels_last(xp, cols, padded, stride, dilation), (2, 3, 0, 1))
    # one copy into (N, C, H, W) order (flat and back, a copy on every library): the elementwise steps that take
    # this array run several times slower on NumPy while their operands' memory orders differ (the CNN
    # benchmark's first max-pool backward: 5.9 ms on the (H, W, N, C)-ordered gradient, 1.3 ms after this copy of 1 ms)
    return xp.reshape(xp.reshape(image, (-1,)), image.shape)


class ConvNd(Function):
    """Cross-correlation of x (N, C_in, H, W) with weight (C_out, C_in/groups, kh, kw), plus bias (C_out,).

    ``padding`` is (top, bottom, left, right). Forward: columns (N, g, C_in/g * kh * kw, Ho * Wo), one
    batched matmul with the weight (g, C_out/g, C_in/g * kh * kw). The columns are kept for the weight
    gradient only when the weight wants one; the input gradient is `scatter_windows` (matmul + col2im).
    A backend with vendor kernels (cuDNN on CuPy: ``conv_forward``, ``conv_backward_data``,
    ``conv_backward_weight``) runs them instead, per call, wherever they take the dtype and shape.
    """

    stride: Pair
    padding: tuple[int, int, int, int]
    dilation: Pair
    groups: int
    spatial_dims: int

    def forward(self, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
        check_same_dtype(f"conv{self.spatial_dims}d", ("input", "weight", "bias"), (x, weight, bias))
        x, weight = _as_4d(self, xp, x, weight)
        n, c, h, w = x.shape
        o, cg, kh, kw = weight.shape
        g = self.groups
        top, bottom, left, right = self.padding
        self.padded = (h + top + bottom, w + left + right)
        ho = output_size(h, kh, self.stride[0], top + bottom, self.dilation[0])
        wo = output_size(w, kw, self.stride[1], left + right, self.dilation[1])
        w_mat = xp.reshape(weight, (g, o // g, cg * kh * kw))
        # float16/bfloat16 with a bias: the product and the bias summed in float32 and rounded once, as PyTorch's
        # kernels (a float16 bias add after the rounded product put about 1 output in 3 an ulp off)
        wide = bias is not None and is_low_precision(xp, x.dtype)
        as_wide = (lambda a: xp.astype(a, xp.float32)) if wide else (lambda a: a)
        out = op(self.backend, "conv_forward")(as_wide(x), as_wide(weight), (n, o, ho, wo), self.stride, self.padding,
                                               self.dilation)
        self.vendor = out is not NotImplemented
        if self.vendor:  # the backward asks the vendor for both gradients, from the image itself
            self.cols = None
            self.x4 = x if self.needs_input_grad[1] else None
        else:
            cols = unfold(self.backend, pad2d(xp, x, self.padding), (kh, kw), self.stride, self.dilation, (ho, wo))
            cols = xp.reshape(cols, (n, g, cg * kh * kw, ho * wo))
            out = xp.reshape(op(self.backend, "matmul")(as_wide(w_mat), as_wide(cols)), (n, o, ho, wo))
            self.cols = cols if self.needs_input_grad[1] else None
            self.x4 = None
        if bias is not None:
            out += xp.reshape(as_wide(bias), (o, 1, 1))  # in place: `out` is the matmul's (or the vendor's) fresh array
        if wide:
            out = xp.astype(out, x.dtype)
        self.has_bias = bias is not None
        self.w_mat = w_mat
        self.out_hw = (ho, wo)
        return _from_4d(self, xp, out, n, o, ho, wo)

    def backward(self, xp: Namespace, grad: Any) -> tuple[Any, Any, Any]:
        n, _, h, w = _to_4d(self.x_shape, self.spatial_dims)
        o, cg, kh, kw = _kernel_4d(self.w_shape)
        g = self.groups
        ho, wo = self.out_hw
        grad = xp.reshape(grad, (n, o, ho, wo))
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        grad_x = grad_w = grad_b = None
        vendor = getattr(self, "vendor", False)
        matmul = op(self.backend, "matmul")
        args = (self.stride, self.padding, self.dilation)
        if need_x:
            grad_x = NotImplemented
            if vendor:
                grad_x = op(self.backend, "conv_backward_data")(grad, xp.reshape(self.w_mat, (o, cg, kh, kw)),
                                                                 (n, cg * g, h, w), *args)
            if grad_x is NotImplemented:
                # complex weights: the adjoint multiplies by their conjugate (free on real arrays)
                grad_padded = scatter_windows(xp, grad, conj(xp, self.w_mat), (kh, kw), self.padded, self.stride,
                                              self.dilation, matmul)
                top, left = self.padding[0], self.padding[2]
                grad_x = grad_padded[:, :, top:top + h, left:left + w]
            grad_x = xp.reshape(grad_x, self.x_shape)
        if need_w:
            grad_w = NotImplemented
            if vendor:
                grad_w = op(self.backend, "conv_backward_weight")(self.x4, grad, (o, cg, kh, kw), *args)
            if grad_w is NotImplemented:
                cols = self.cols
                if cols is None:  # the vendor ran the forward but refuses this gradient: build the columns now
                    cols = unfold(self.backend, pad2d(xp, self.x4, self.padding), (kh, kw), self.stride,
                                  self.dilation, (ho, wo))
                    cols = xp.reshape(cols, (n, g, cg * kh * kw, ho * wo))
                grad_w = xp.sum(matmul(xp.reshape(grad, (n, g, o // g, ho * wo)), conj(xp, cols).mT), axis=0)
            grad_w = xp.reshape(grad_w, self.w_shape)
        grad = xp.reshape(grad, (n, g, o // g, ho * wo))
        if self.has_bias and self.needs_input_grad[2]:
            grad_b = xp.reshape(xp.sum(grad, axis=(0, 3)), (o,))
        return grad_x, grad_w, grad_b


class ConvTransposeNd(Function):
    """Transposed convolution (the adjoint of `ConvNd` in x): x (N, C_in, *S), weight (C_in, C_out/g, *kernel),
    for 1-D (run as 2-D with height 1), 2-D and 3-D.

    Forward: columns = weightᵀ @ x, then col2im onto the full output and crop ``padding``; the
    ``output_padding`` rows/columns extend the far end of each axis. Backward is an ordinary convolution.
    """

    stride: tuple[int, ...]
    padding: tuple[int, ...]
    output_padding: tuple[int, ...]
    dilation: tuple[int, ...]
    groups: int
    spatial_dims: int

    def forward(self, xp: Namespace, x: Any, weight: Any, bias: Any = None) -> Any:
        check_same_dtype(f"conv_transpose{self.spatial_dims}d", ("input", "weight", "bias"), (x, weight, bias))
        x, weight = _as_4d(self, xp, x, weight)
        n, c, *size = x.shape
        _, og, *kernel = weight.shape
        g = self.groups
        self.full = tuple((s - 1) * st + (k - 1) * d + 1 + op_ for s, k, st, d, op_
                          in zip(size, kernel, self.stride, self.dilation, self.output_padding))
        out_size = tuple(f - 2 * p for f, p in zip(self.full, self.padding))
        x_mat = xp.reshape(x, (n, g, c // g, math.prod(size)))
        w_mat = xp.reshape(weight, (g, c // g, og * math.prod(kernel)))
        if len(size) == 2:
            out = scatter_windows(xp, x, w_mat, (kernel[0], kernel[1]), self.full, self.stride, self.dilation)
        else:
            cols = xp.reshape(w_mat.mT @ x_mat, (n, g * og, math.prod(kernel), *size))
            out = fold3d(xp, cols, self.full, kernel, self.stride, self.dilation)
        out = out[(Ellipsis,) + tuple(slice(p, p + o) for p, o in zip(self.padding, out_size))]
        if bias is not None:
            out = out + xp.reshape(bias, (g * og,) + (1,) * len(size))
        self.has_bias = bias is not None
        self.x_mat, self.w_mat = x_mat, w_mat
        out_shape = (n, g * og) + (out_size[-1:] if self.spatial_dims == 1 else out_size)
        if len(self.x_shape) == self.spatial_dims + 1:  # unbatched input, unbatched output
            out_shape = out_shape[1:]
        return xp.reshape(out, out_shape)

    def backward(self, xp: Namespace, grad: Any) -> tuple[Any, Any, Any]:
        n, c, *size = _to_4d(self.x_shape, self.spatial_dims)
        _, og, *kernel = _kernel_4d(self.w_shape)
        g = self.groups
        out_size = tuple(f - 2 * p for f, p in zip(self.full, self.padding))
        grad = xp.reshape(grad, (n, g * og) + out_size)
        grad_full = pad_last_axes(xp, grad, tuple((p, p) for p in self.padding))
        if len(size) == 2:
            cols = unfold(self.backend, grad_full, (kernel[0], kernel[1]), self.stride, self.dilation,
                          (size[0], size[1]))
        else:
            cols = unfold3d(xp, grad_full, kernel, self.stride, self.dilation, tuple(size))
        cols = xp.reshape(cols, (n, g, og * math.prod(kernel), math.prod(size)))
        grad_x = grad_w = grad_b = None
        if self.needs_input_grad[0]:
            grad_x = xp.reshape(conj(xp, self.w_mat) @ cols, self.x_shape)
        if self.needs_input_grad[1]:
            grad_w = xp.reshape(xp.sum(conj(xp, self.x_mat) @ cols.mT, axis=0), self.w_shape)
        if self.has_bias and self.needs_input_grad[2]:
            grad_b = xp.sum(grad, axis=(0,) + tuple(range(2, grad.ndim)))
        return grad_x, grad_w, grad_b


# -- argument handling --------------------------------------------------------------------------


def _spatial_args(value: IntOrPair, name: str, fn: str, spatial_dims: int) -> tuple[int, ...]:
    if spatial_dims == 2:  # [s] is (s, s), as PyTorch's convolutions expand a 1-sequence
        return pair(value, name, fn, one=True)
    if spatial_dims == 3:
        return ntuple(value, 3, name, fn, one=True)
    if not isinstance(value, int):
        values = tuple(value)
        if len(values) != 1 or not isinstance(values[0], int):
            raise ValueError(f"{fn}: {name} must be an int or a 1-tuple, got {value!r}")
        value = values[0]
    return (0 if name in ("padding", "output_padding") else 1, value)


def conv_padding(padding: IntOrPair | str, kernel: Pair, stride: Pair, dilation: Pair, fn: str,
                 spatial_dims: int = 2) -> tuple[int, int, int, int]:
    """PyTorch's ``padding`` (int, tuple, ``"valid"``, ``"same"``) as (top, bottom, left, right).

    ``"same"`` needs stride 1; an odd total goes one more to the bottom/right, as PyTorch does.
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0, 0, 0)
        if padding != "same":
            raise ValueError(f"{fn}: padding must be an int, a tuple, 'valid' or 'same', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"{fn}: padding='same' needs stride 1, got stride {stride}")
        top, bottom, left, right = same_padding(kernel, dilation)
        return (top, bottom, left, right)
    ph, pw = _spatial_args(padding, "padding", fn, spatial_dims)
    if ph < 0 or pw < 0:
        raise ValueError(f"{fn}: padding must be non-negative, got {padding!r}")
    return (ph, ph, pw, pw)


def _check(fn: str, x: Any, weight: Any, groups: int, spatial_dims: int, transposed: bool) -> None:
    require_tensor(fn, x, "input", 1)
    require_tensor(fn, weight, "weight", 2)
    ranks = (spatial_dims + 1, spatial_dims + 2)
    if x.ndim not in ranks:
        raise ShapeMismatchError(f"{fn}: expected a {ranks[0]}-D (unbatched) or {ranks[1]}-D input, got shape "
                                 f"{x.shape}")
    if weight.ndim != spatial_dims + 2:
        raise ValueError(f"{fn}: expected a {spatial_dims + 2}-D weight, got shape {weight.shape}")
    if groups < 1 or weight.shape[0] % groups:
        raise ValueError(f"{fn}: groups={groups} must be positive and divide weight.shape[0] = {weight.shape[0]}")
    channels = x.shape[-spatial_dims - 1]
    expected = weight.shape[0] if transposed else weight.shape[1] * groups
    if channels != expected:
        raise ShapeMismatchError(f"{fn}: weight of shape {weight.shape} with groups={groups} expects {expected} input "
                                 f"channels, got input of shape {x.shape}")


def _common_args(fn: str, x: Any, weight: Any, stride: IntOrPair, dilation: IntOrPair, groups: int,
                 spatial_dims: int, transposed: bool) -> tuple[Any, Any, Any]:
    """Check the shapes; ``(stride, dilation, kernel)`` as (height, width) pairs (height 1 for 1-D), triples
    for 3-D."""
    _check(fn, x, weight, groups, spatial_dims, transposed)
    kernel = (1, weight.shape[-1]) if spatial_dims == 1 else tuple(weight.shape[2:])
    return (_spatial_args(stride, "stride", fn, spatial_dims), _spatial_args(dilation, "dilation", fn, spatial_dims),
            kernel)


def _optional(bias: Any) -> tuple[Any, ...]:
    """The bias as an input of ``apply`` only where there is one."""
    return () if bias is None else (bias,)


def _conv(x: Any, weight: Any, bias: Any, stride: IntOrPair, padding: IntOrPair | str, dilation: IntOrPair,
          groups: int, spatial_dims: int, fn: str) -> Any:
    stride2, dilation2, kernel = _common_args(fn, x, weight, stride, dilation, groups, spatial_dims, False)
    check_bias(fn, bias, weight, weight.shape[0])
    pads = conv_padding(padding, kernel, stride2, dilation2, fn, spatial_dims)
    if min(stride2) < 1 or min(dilation2) < 1:
        raise InvalidValueError(f"{fn}: stride and dilation must be positive, got {stride!r} and {dilation!r}")
    size = x.shape[-spatial_dims:]
    spans = [(k - 1) * d + 1 for k, d in zip(kernel[2 - spatial_dims:], dilation2[2 - spatial_dims:])]
    totals = [pads[0] + pads[1], pads[2] + pads[3]][2 - spatial_dims:]
    if any(s is not None and s + p < span for s, p, span in zip(size, totals, spans)):  # (None: a symbolic axis)
        raise ShapeMismatchError(f"{fn}: input of shape {x.shape} (padding {totals}) is smaller than the "
                                 f"dilated kernel {tuple(spans)}")
    return ConvNd.apply(x, weight, *_optional(bias), stride=stride2, padding=pads, dilation=dilation2, groups=groups,
                        spatial_dims=spatial_dims)


def conv1d(input: Any, weight: Any, bias: Any = None, stride: IntOrPair = 1, padding: IntOrPair | str = 0,  # noqa: A002 - PyTorch's name
           dilation: IntOrPair = 1, groups: int = 1) -> Any:
    """1-D convolution: input (N, C_in, L) or (C_in, L), weight (C_out, C_in/groups, k) → (N, C_out, L_out)."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input: Any, weight: Any, bias: Any = None, stride: IntOrPair = 1, padding: IntOrPair | str = 0,  # noqa: A002 - PyTorch's name
           dilation: IntOrPair = 1, groups: int = 1) -> Any:
    """2-D convolution (cross-correlation, as PyTorch).

    Parameters
    ----------
    input : Tensor (N, C_in, H, W) or (C_in, H, W)
    weight : Tensor (C_out, C_in / groups, kh, kw)
    bias : Tensor (C_out,) or None
    stride, dilation : int or (int, int)
    padding : int, (int, int), ``"valid"`` or ``"same"``
    groups : int
        Split the channels into ``groups`` independent convolutions.

    Returns
    -------
    Tensor (N, C_out, H_out, W_out) with ``H_out = (H + 2 p - d (kh - 1) - 1) // s + 1``.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transpose(x: Any, weight: Any, bias: Any, stride: IntOrPair, padding: IntOrPair,
                    output_padding: IntOrPair, groups: int, dilation: IntOrPair, spatial_dims: int,
                    fn: str) -> Any:
    stride2, dilation2, kernel = _common_args(fn, x, weight, stride, dilation, groups, spatial_dims, True)
    check_bias(fn, bias, weight, weight.shape[1] * groups)
    padding2 = _spatial_args(padding, "padding", fn, spatial_dims)
    output_padding2 = _spatial_args(output_padding, "output_padding", fn, spatial_dims)
    if min(stride2) < 1 or min(dilation2) < 1 or min(padding2) < 0:
        raise InvalidValueError(f"{fn}: stride and dilation must be positive and padding non-negative")
    for op_, s, d in zip(output_padding2, stride2, dilation2):
        if not 0 <= op_ < max(s, d):
            raise InvalidValueError(f"{fn}: output_padding {output_padding!r} must be smaller than stride or "
                                    "dilation")
    size = (1,) * (2 - spatial_dims) + tuple(x.shape[-spatial_dims:])
    if 0 in size and x.ndim > spatial_dims and 0 not in tuple(x.shape[:-spatial_dims]):  # (anynn computed an output)
        raise ShapeMismatchError(f"{fn}: Only zero batch or zero channel inputs are supported, but got input shape: "
                                 f"{list(x.shape)}, as PyTorch")
    out = [(n - 1) * s - 2 * p + d * (k - 1) + op_ + 1  # (a symbolic axis, None in ONNX export: sized as it runs)
           for n, s, p, d, k, op_ in zip(size, stride2, padding2, dilation2, kernel, output_padding2) if n is not None]
    if out and min(out) < 1:
        raise ValueError(f"{fn}: input of shape {x.shape} gives an empty output {tuple(out)}")
    return ConvTransposeNd.apply(x, weight, *_optional(bias), stride=stride2, padding=padding2,
                                 output_padding=output_padding2, dilation=dilation2, groups=groups,
                                 spatial_dims=spatial_dims)


def conv_transpose1d(input: Any, weight: Any, bias: Any = None, stride: IntOrPair = 1, padding: IntOrPair = 0,  # noqa: A002 - PyTorch's name
                     output_padding: IntOrPair = 0, groups: int = 1, dilation: IntOrPair = 1) -> Any:
    """1-D transposed convolution: input (N, C_in, L), weight (C_in, C_out/groups, k) → (N, C_out, L_out)."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 1,
                           "conv_transpose1d")


def conv_transpose2d(input: Any, weight: Any, bias: Any = None, stride: IntOrPair = 1, padding: IntOrPair = 0,  # noqa: A002 - PyTorch's name
                     output_padding: IntOrPair = 0, groups: int = 1, dilation: IntOrPair = 1) -> Any:
    """2-D transposed convolution ("deconvolution"), PyTorch's argument order.

    Parameters
    ----------
    input : Tensor (N, C_in, H, W) or (C_in, H, W)
    weight : Tensor (C_in, C_out / groups, kh, kw)
    bias : Tensor (C_out,) or None

    Returns
    -------
    Tensor (N, C_out, H_out, W_out), ``H_out = (H - 1) s - 2 p + d (kh - 1) + output_padding + 1``.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 2,
                           "conv_transpose2d")


def conv_transpose3d(input: Any, weight: Any, bias: Any = None, stride: IntOrPair = 1, padding: IntOrPair = 0,
                     output_padding: IntOrPair = 0, groups: int = 1, dilation: IntOrPair = 1) -> Any:
    """3-D transposed convolution, PyTorch's argument order.

    Parameters
    ----------
    input : Tensor (N, C_in, D, H, W) or (C_in, D, H, W)
    weight : Tensor (C_in, C_out / groups, kd, kh, kw)
    bias : Tensor (C_out,) or None
    stride, padding, output_padding, dilation : int or (int, int, int)

    Returns
    -------
    Tensor (N, C_out, D_out, H_out, W_out), ``D_out = (D - 1) s - 2 p + d (kd - 1) + output_padding + 1``.
    """
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups, dilation, 3,
                           "conv_transpose3d")
