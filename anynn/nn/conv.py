"""Convolution layers: `Conv1d`, `Conv2d`, `ConvTranspose1d`, `ConvTranspose2d` (PyTorch's arguments and shapes)."""

from __future__ import annotations

import math
from typing import Any, Sequence


from ..init import HostGenerator, host_generator
from .. import init
from ..autograd.tensor import Tensor
from ..functional.conv import conv1d, conv2d, conv_transpose1d, conv_transpose2d
from ..functional.padding import pad
from ..functional.value_checks import python_ints
from ..functional.windows import ntuple, same_padding
from .linear import _size, new_parameter
from .module import Module
from .validate import ShapeMismatch, check_input

IntOrTuple = int | Sequence[int]
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")
SPATIAL_AXES = {1: "L", 2: "H, W", 3: "D, H, W"}


def check_spatial_input(layer: Module, x: Any, channels: int | None, spatial: str) -> None:
    """Raise unless x is (N, C, *spatial) or unbatched (C, *spatial) with ``channels`` channels.

    ``spatial`` names the spatial axes (``"L"`` or ``"H, W"``); ``channels=None`` accepts any C.
    """
    check_input(layer, x)
    name = type(layer).__name__
    rank = spatial.count(",") + 2
    c = "C" if channels is None else str(channels)
    expected = f"(N, {c}, {spatial}) or ({c}, {spatial})"
    if x.ndim not in (rank, rank + 1):
        raise ShapeMismatch(f"{name}: expected input of shape {expected}, got {x.ndim}-D input of shape {x.shape}")
    if channels is not None and x.shape[x.ndim - rank] != channels:
        raise ShapeMismatch(f"{name}: expected input of shape {expected} ({channels} channels), got input of "
                            f"shape {x.shape} ({x.shape[x.ndim - rank]} channels)")


class _ConvNd(Module):
    """Shared constructor, initialisation and repr of the convolution layers."""

    spatial_dims = 2
    transposed = False

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple,
                 padding: IntOrTuple | str, dilation: IntOrTuple, groups: int, bias: bool, padding_mode: str,
                 output_padding: IntOrTuple, backend: Any, dtype: Any, seed: int | None) -> None:
        super().__init__()
        name, n = type(self).__name__, self.spatial_dims
        in_channels, out_channels = _size("in_channels", in_channels, name), _size("out_channels", out_channels, name)
        groups = _size("groups", groups, name)
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels ({out_channels}) must be "
                             f"divisible by groups ({groups})")
        if padding_mode not in PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {PADDING_MODES}, got {padding_mode!r}")
        if self.transposed and padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported (as in PyTorch), got {padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = ntuple(kernel_size, n, "kernel_size", name, kind=f"a {n}-tuple")
        # stride=[s] means (s,) * n, as PyTorch's convolutions expand it (EfficientNet's blocks pass stride=[1]); the
        # attribute keeps it as given, (s,), as PyTorch's does (its repr shows stride=(2,))
        self.stride = _as_given(stride, ntuple(stride, n, "stride", name, kind=f"a {n}-tuple", one=True))
        self.dilation = _as_given(dilation, ntuple(dilation, n, "dilation", name, kind=f"a {n}-tuple", one=True))
        self.output_padding = _as_given(output_padding, ntuple(output_padding, n, "output_padding", name,
                                                               kind=f"a {n}-tuple", one=True))
        if isinstance(padding, str):
            if padding not in ("valid", "same") or self.transposed:
                allowed = "an int or a tuple" if self.transposed else "an int, a tuple, 'valid' or 'same'"
                raise ValueError(f"{name}: padding must be {allowed}, got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' needs stride 1, got stride {self.stride}")
            self.padding: tuple[int, ...] | str = padding
        else:
            self.padding = _as_given(padding, ntuple(padding, n, "padding", name, kind=f"a {n}-tuple", one=True))
        self.padding_mode = padding_mode
        self._mode_pad = self._pad_for_mode()
        shape = ((in_channels, out_channels // groups) if self.transposed else
                 (out_channels, in_channels // groups)) + self.kernel_size
        self.weight = new_parameter(shape, backend, dtype)
        self.bias = new_parameter((out_channels,), backend, dtype) if bias else None
        self._reset_own_parameters(host_generator(seed))

    def _pad_for_mode(self) -> tuple[int, ...]:
        """The ``pad`` argument (last axis first) that PyTorch applies with ``padding_mode`` before a
        convolution with no padding of its own; ``"same"`` puts the odd extra at the end, as PyTorch does."""
        if self.padding == "valid":
            return (0, 0) * self.spatial_dims
        if self.padding == "same":
            return same_padding(tuple(reversed(self.kernel_size)), tuple(reversed(self._expanded(self.dilation))))
        # (padding=[p] gives one axis's pair, as PyTorch's _reverse_repeat_tuple: a mode's pad of 2-D images refuses it)
        return tuple(p for p in reversed(self.padding) for _ in range(2))

    def _padded(self, x: Tensor) -> tuple[Tensor, IntOrTuple | str]:
        """x and the padding to convolve it with: unchanged for ``"zeros"`` (the convolution pads itself),
        else x padded with ``padding_mode`` and a padding of 0."""
        if self.padding_mode == "zeros" or not any(self._mode_pad):
            return x, self.padding
        return pad(x, self._mode_pad, mode=self.padding_mode), 0

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        # PyTorch's default: Kaiming-uniform with a = sqrt(5), i.e. U(±1/sqrt(fan_in)), bias from the same range
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=rng)
        if self.bias is not None:
            fan_in, _ = init.calculate_fan_in_and_fan_out(self.weight.shape)
            bound = 1.0 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=rng)

    def _check(self, x: Tensor) -> None:
        check_spatial_input(self, x, self.in_channels, SPATIAL_AXES[self.spatial_dims])

    def _expanded(self, value: Any) -> tuple[int, ...]:
        """A stride, padding or dilation attribute as one int per spatial axis (``(s,)`` as given: ``(s,) * n``)."""
        return tuple(value) * self.spatial_dims if len(value) == 1 else tuple(value)

    def extra_repr(self) -> str:
        text = f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, stride={self.stride}"
        if self.padding != (0,) * len(self.padding):  # PyTorch's format: padding=same, padding=valid
            text += f", padding={self.padding}"
        if self.dilation != (1,) * len(self.dilation):
            text += f", dilation={self.dilation}"
        if self.transposed and self.output_padding != (0,) * len(self.output_padding):
            text += f", output_padding={self.output_padding}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return text


class _Conv(_ConvNd):
    """A convolution: pads by ``padding_mode`` where it is not zeros, then applies ``convolve``."""

    convolve: Any

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                 padding: IntOrTuple | str = 0, dilation: IntOrTuple = 1, groups: int = 1, bias: bool = True,
                 padding_mode: str = "zeros", backend: Any = None, dtype: Any = None,
                 seed: int | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, 0, backend, dtype, seed)

    def forward(self, input: Tensor) -> Tensor:
        if type(self)._conv_forward is _Conv._conv_forward:  # an override may cast the weight: it checks its own
            self._check(input)
        return self._conv_forward(input, self.weight, self.bias)  # (self.weight read once: a parametrization runs once)

    def _conv_forward(self, input: Tensor, weight: Tensor, bias: Tensor | None) -> Tensor:
        """The layer's convolution of ``input`` with the given ``weight`` and ``bias`` (PyTorch's hook: subclasses
        call it with a weight of their own, e.g. standardized, or override it, e.g. to cast the weight to the
        input's dtype). `forward` checks the input against the layer's own weight where ``_conv_forward`` is not
        overridden; a weight given here is checked by the convolution itself."""
        input, padding = self._padded(input)
        return self.convolve(input, weight, bias, self.stride, padding, self.dilation, self.groups)


class _ConvTranspose(_ConvNd):
    """A transposed convolution: ``convolve(x, weight, bias, stride, padding, output_padding, groups, dilation)``."""

    transposed = True
    convolve: Any

    def __init__(self, in_channels: int, out_channels: int, kernel_size: IntOrTuple, stride: IntOrTuple = 1,
                 padding: IntOrTuple = 0, output_padding: IntOrTuple = 0, groups: int = 1, bias: bool = True,
                 dilation: IntOrTuple = 1, padding_mode: str = "zeros", backend: Any = None, dtype: Any = None,
                 seed: int | None = None) -> None:
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias,
                         padding_mode, output_padding, backend, dtype, seed)

    def forward(self, input: Tensor, output_size: Sequence[int] | None = None) -> Tensor:
        """input (N, C_in, *S) or (C_in, *S); ``output_size`` (the spatial sizes, or the whole shape) picks the
        ``output_padding`` that gives it, as PyTorch (a size outside the reachable range raises `ValueError`)."""
        self._check(input)
        output_padding = self.output_padding if output_size is None else self._output_padding(input, output_size)
        return self.convolve(input, self.weight, self.bias, self.stride, self.padding, output_padding, self.groups,
                             self.dilation)

    def _output_padding(self, input: Tensor, output_size: Sequence[int]) -> tuple[int, ...]:
        """PyTorch's choice: ``output_size - min_size`` per spatial axis, where sizes from ``min_size`` to
        ``min_size + stride - 1`` are reachable."""
        n = self.spatial_dims
        lead = 2 if input.ndim == n + 2 else 1
        if len(output_size) == lead + n:  # the whole shape: its leading sizes are not checked (as PyTorch)
            output_size = output_size[lead:]
        sizes = [int(s) for s in output_size]
        if len(sizes) != n:
            raise ValueError(f"ConvTranspose{n}D: for {input.ndim}D input, output_size must have {n} or {lead + n} "
                             f"elements (got {len(sizes)})")
        spatial = tuple(input.shape[lead:])
        stride, dilation = self._expanded(self.stride), self._expanded(self.dilation)
        padding = self._expanded(self.padding)
        min_sizes = [(spatial[d] - 1) * stride[d] - 2 * padding[d] + dilation[d] * (
            self.kernel_size[d] - 1) + 1 for d in range(n)]
        max_sizes = [low + stride[d] - 1 for d, low in enumerate(min_sizes)]
        if any(not low <= size <= high for size, low, high in zip(sizes, min_sizes, max_sizes)):
            raise ValueError(f"requested an output size of {output_size}, but valid sizes range from {min_sizes} "
                             f"to {max_sizes} (for an input of {tuple(input.shape[2:])})")
        return tuple(size - low for size, low in zip(sizes, min_sizes))


class Conv1d(_Conv):
    """1-D convolution: x (N, C_in, L) or (C_in, L) → (N, C_out, L_out).

    ``weight`` is (out_channels, in_channels / groups, kernel_size), ``bias`` (out_channels,); arguments
    as `Conv2d`, with ints or 1-tuples.
    """

    spatial_dims = 1

    convolve = staticmethod(conv1d)


class Conv2d(_Conv):
    """2-D convolution (cross-correlation): x (N, C_in, H, W) or (C_in, H, W) → (N, C_out, H_out, W_out).

    Parameters
    ----------
    in_channels, out_channels : int
    kernel_size, stride, dilation : int or (int, int)
    padding : int, (int, int), ``"valid"`` or ``"same"`` (zeros; ``"same"`` needs stride 1)
    groups : int
        Both channel counts must be divisible by it; ``groups == in_channels`` is depthwise.
    bias : bool
    padding_mode : ``"zeros"``, ``"reflect"``, ``"replicate"`` or ``"circular"``
        How ``padding`` fills the border; the last three pad with `anynn.functional.pad` first (as PyTorch).
    backend, dtype, seed :
        Where the parameters live (default backend, float32) and the seed of their initial draw.

    Notes
    -----
    ``weight`` is (out_channels, in_channels / groups, kh, kw), ``bias`` (out_channels,), both drawn as
    PyTorch does: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with ``fan_in = in_channels / groups * kh * kw``.
    ``H_out = (H + 2 padding - dilation (kh - 1) - 1) // stride + 1``.
    """

    convolve = staticmethod(conv2d)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution: x (N, C_in, L) → (N, C_out, L_out); arguments as `ConvTranspose2d`."""

    spatial_dims = 1

    convolve = staticmethod(conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution: x (N, C_in, H, W) or (C_in, H, W) → (N, C_out, H_out, W_out).

    The gradient of `Conv2d` with respect to its input, used for upsampling. ``weight`` is
    (in_channels, out_channels / groups, kh, kw), ``bias`` (out_channels,);
    ``H_out = (H - 1) stride - 2 padding + dilation (kh - 1) + output_padding + 1``, where
    ``output_padding`` (smaller than stride or dilation) adds rows/columns at the bottom/right.
    """

    convolve = staticmethod(conv_transpose2d)


def _as_given(value: IntOrTuple, expanded: tuple[int, ...]) -> tuple[int, ...]:
    """A layer's stride/padding/dilation attribute as PyTorch's ``_pair``/``_triple`` keeps it: an int expanded to
    one per axis, a sequence as a tuple of what was given (``[2]`` stays ``(2,)``; ``expanded`` has it per axis)."""
    value = python_ints(value)
    return expanded if isinstance(value, int) else tuple(value)
