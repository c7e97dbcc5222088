"""``torch.conv_tbc`` / ``F.conv_tbc``: a 1-D convolution over time-major sequences (fairseq's ConvTBC layout).

The input is (T, B, C_in), the weight (K, C_in, C_out) and the output (T + 2 pad - K + 1, B, C_out). The math is
`conv1d`'s (one fused node) on the channels-first views; a negative ``pad`` crops the sequence as PyTorch's does.
"""

from __future__ import annotations

from typing import Any

from .conv import conv1d
from .value_checks import ShapeMismatchError


def _check_shapes(input: Any, weight: Any, bias: Any) -> None:  # noqa: A002 - PyTorch's name
    """PyTorch's refusals, with the shapes given."""
    if input.ndim != 3:
        raise ShapeMismatchError(f"conv_tbc: input must have 3 dims (time, batch, in_channels), got shape "
                                 f"{tuple(input.shape)}")
    if weight.ndim != 3:
        raise ShapeMismatchError(f"conv_tbc: weight must have 3 dims (kernel_width, in_channels, out_channels), got "
                                 f"shape {tuple(weight.shape)}")
    if bias.ndim != 1 or bias.shape[0] != weight.shape[2]:
        raise ShapeMismatchError(f"conv_tbc: bias must have shape ({weight.shape[2]},) (the weight's out_channels), "
                                 f"got {tuple(bias.shape)}")
    if input.shape[2] != weight.shape[1]:
        raise ShapeMismatchError(f"conv_tbc: input has {input.shape[2]} channels (dim 2) but the weight expects "
                                 f"{weight.shape[1]} (dim 1); input {tuple(input.shape)}, weight "
                                 f"{tuple(weight.shape)}")


def conv_tbc(input: Any, weight: Any, bias: Any, pad: int = 0) -> Any:  # noqa: A002 - PyTorch's name
    """1-D convolution of a time-major sequence, as ``torch.conv_tbc``.

    Parameters
    ----------
    input : Tensor (T, B, C_in)
    weight : Tensor (K, C_in, C_out)
    bias : Tensor (C_out,)
    pad : int
        Time steps of zeros on each side; a negative ``pad`` drops that many from each end.

    Returns
    -------
    Tensor (T + 2 pad - K + 1, B, C_out); no time steps when the sequence is exactly one short of the kernel.
    """
    _check_shapes(input, weight, bias)
    steps = input.shape[0] + 2 * pad - weight.shape[0] + 1
    if steps < 0:
        raise ShapeMismatchError(f"conv_tbc: a sequence of {input.shape[0]} steps with pad {pad} is shorter than the "
                                 f"kernel width {weight.shape[0]} (output length {steps})")
    if pad < 0:
        input, pad = input[-pad:input.shape[0] + pad], 0  # noqa: A001
    if steps == 0:  # conv1d refuses an empty output; this one keeps the graph with no rows
        return input[:0] @ weight[0] + bias
    return conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad).permute(2, 0, 1)
