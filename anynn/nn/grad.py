"""``torch.nn.grad``: the gradients of a convolution with respect to its input and its weight, which custom
autograd Functions call in their backward (feedback alignment, fused conv-bn, low-precision convolutions):
``conv2d_input(input.shape, weight, grad_output, stride, padding, dilation, groups)`` and
``conv2d_weight(input, weight.shape, grad_output, ...)``, in 1, 2 and 3 dimensions.

Each is the vector-Jacobian product of the convolution at a zero tensor of the given size (the convolution is
linear in each argument, so that point changes nothing): the same sizes, strides, padding, dilation and groups as
the forward, and differentiable in the other argument and ``grad_output`` where grad mode is on."""

from __future__ import annotations

from typing import Any, Callable, Sequence

from ..autograd.grad_api import grad as _vjp
from ..autograd.mode import enable_grad, is_grad_enabled
from ..autograd.tensor import Tensor
from ..functional.conv import conv1d, conv2d
from ..functional.conv3d import conv3d

__all__ = ["conv1d_input", "conv1d_weight", "conv2d_input", "conv2d_weight", "conv3d_input", "conv3d_weight"]

Size = Sequence[int]


def _gradient(conv: Callable[..., Tensor], name: str, of_input: bool, given: Tensor, size: Size,
              grad_output: Tensor, options: tuple[Any, ...]) -> Tensor:
    """The gradient of ``conv(x, w, None, *options)`` with respect to x (``of_input``: w is ``given``, x has shape
    ``size``) or to w (x is ``given``, w has shape ``size``), for the output gradient ``grad_output``."""
    if not isinstance(given, Tensor) or not isinstance(grad_output, Tensor):
        raise TypeError(f"torch.nn.grad.{name}: expected Tensors for {'weight' if of_input else 'input'} and "
                        f"grad_output, got {type(given).__name__} and {type(grad_output).__name__}")
    # differentiable where grad mode is on (a backward with create_graph=True) and what it reads requires grad
    outer = is_grad_enabled() and (given.requires_grad or grad_output.requires_grad)
    with enable_grad():
        point = given.new_zeros(tuple(int(n) for n in size)).requires_grad_()
        out = conv(point, given, None, *options) if of_input else conv(given, point, None, *options)
        if tuple(out.shape) != tuple(grad_output.shape):
            raise RuntimeError(f"torch.nn.grad.{name}: grad_output has shape {tuple(grad_output.shape)}, but the "
                               f"convolution gives {tuple(out.shape)} for these sizes and options")
        (result,) = _vjp(out, point, grad_output, create_graph=outer)
    return result if outer else result.detach()


def conv1d_input(input_size: Size, weight: Tensor, grad_output: Tensor, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1) -> Tensor:
    """Gradient of conv1d with respect to its input, of shape ``input_size`` (N, C_in, L)."""
    return _gradient(conv1d, "conv1d_input", True, weight, input_size, grad_output, (stride, padding, dilation, groups))


def conv1d_weight(input: Tensor, weight_size: Size, grad_output: Tensor, stride: Any = 1,  # noqa: A002
                  padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """Gradient of conv1d with respect to its weight, of shape ``weight_size`` (C_out, C_in / groups, K)."""
    return _gradient(conv1d, "conv1d_weight", False, input, weight_size, grad_output,
                     (stride, padding, dilation, groups))


def conv2d_input(input_size: Size, weight: Tensor, grad_output: Tensor, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1) -> Tensor:
    """Gradient of conv2d with respect to its input, of shape ``input_size`` (N, C_in, H, W)."""
    return _gradient(conv2d, "conv2d_input", True, weight, input_size, grad_output, (stride, padding, dilation, groups))


def conv2d_weight(input: Tensor, weight_size: Size, grad_output: Tensor, stride: Any = 1,  # noqa: A002
                  padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """Gradient of conv2d with respect to its weight, of shape ``weight_size`` (C_out, C_in / groups, kH, kW)."""
    return _gradient(conv2d, "conv2d_weight", False, input, weight_size, grad_output,
                     (stride, padding, dilation, groups))


def conv3d_input(input_size: Size, weight: Tensor, grad_output: Tensor, stride: Any = 1, padding: Any = 0,
                 dilation: Any = 1, groups: int = 1) -> Tensor:
    """Gradient of conv3d with respect to its input, of shape ``input_size`` (N, C_in, D, H, W)."""
    return _gradient(conv3d, "conv3d_input", True, weight, input_size, grad_output, (stride, padding, dilation, groups))


def conv3d_weight(input: Tensor, weight_size: Size, grad_output: Tensor, stride: Any = 1,  # noqa: A002
                  padding: Any = 0, dilation: Any = 1, groups: int = 1) -> Tensor:
    """Gradient of conv3d with respect to its weight, of shape ``weight_size`` (C_out, C_in / groups, kD, kH, kW)."""
    return _gradient(conv3d, "conv3d_weight", False, input, weight_size, grad_output,
                     (stride, padding, dilation, groups))
