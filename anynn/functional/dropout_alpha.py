"""Alpha dropout (for SELU networks): dropped elements take SELU's negative saturation value, then an
affine map restores zero mean and unit variance, as PyTorch's ``alpha_dropout`` / ``feature_alpha_dropout``."""

from __future__ import annotations

from typing import Any

from ..backend.arrays import device_of as device

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import DeviceRNG
from ..backend.typing import Namespace
from .dropout import check_dropout_p, _generator, keep_mask
from .inplace_option import in_place
from .value_checks import require_tensor
from .value_checks import ShapeMismatchError

# -SELU's saturation value: -scale * alpha
SELU_SATURATION = 1.7580993408473766


class AlphaDropoutFunction(Function):
    """``x * a * keep + a * alpha' * (p - 1 + keep)``, ``a = 1 / sqrt((alpha'^2 p + 1)(1 - p))``.

    ``keep`` is 1 with probability ``1 - p`` (drawn in ``mask_shape``, broadcast against x); the
    gradient is ``a * keep``.
    """
    constants = ("scale",)  # drawn, not computed from x: kept as it is by a create_graph backward

    p: float
    generator: DeviceRNG
    mask_shape: tuple[int, ...]

    def forward(self, xp: Namespace, x: Any) -> Any:
        p, alpha = self.p, SELU_SATURATION
        a = 1.0 / ((alpha * alpha * p + 1.0) * (1.0 - p)) ** 0.5
        keep = xp.astype(keep_mask(self.generator, self.mask_shape, x.dtype, p, x), x.dtype)
        self.scale = keep * a
        return x * self.scale + (keep - 1.0) * (alpha * a) + alpha * a * p

    def backward(self, xp: Namespace, g: Any) -> Any:
        return g * self.scale


def _zeros(input: Tensor) -> Tensor:
    """p = 1: all zeros (PyTorch multiplies by zero, so the gradient is zero too)."""
    xp = input.backend.xp
    zero = Tensor._make(xp.zeros((), dtype=input.array.dtype, device=device(input.array)), input.backend, None, 0)
    return input * zero


def _alpha(name: str, input: Tensor, inplace: bool, p: float, **params: Any) -> Tensor:
    """`AlphaDropoutFunction` of input (zeros for ``p = 1``); with ``inplace`` written into the input (`in_place`)."""
    def compute(x: Tensor) -> Tensor:
        return _zeros(x) if p == 1.0 else AlphaDropoutFunction.apply(x, p=p, **params)

    return in_place(input, name + "_", compute) if inplace else compute(input)


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False,
                  generator: DeviceRNG | int | None = None) -> Tensor:
    """Alpha dropout of each element of input (any shape); identity unless ``training`` (default False, as PyTorch).

    ``p`` in [0, 1] (``p=1`` gives zeros); ``generator`` as in `dropout`.
    """
    require_tensor("alpha_dropout", input)
    p = check_dropout_p("alpha_dropout", p)
    if not training or p == 0.0:
        return input
    return _alpha("alpha_dropout", input, inplace, p, generator=_generator(input, generator, "alpha_dropout"),
                  mask_shape=tuple(input.shape))


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False, inplace: bool = False,
                          generator: DeviceRNG | int | None = None) -> Tensor:
    """Alpha dropout of whole channels of input (N, C, *): one draw per (N, C) pair, as PyTorch."""
    require_tensor("feature_alpha_dropout", input)
    p = check_dropout_p("feature_alpha_dropout", p)
    if not training or p == 0.0:
        return input
    if input.ndim < 2:  # (only a mask needs the channel axis: PyTorch passes a 1-D input through otherwise)
        raise ShapeMismatchError(f"feature_alpha_dropout: feature dropout requires at least 2 dimensions in the input, "
                                 f"got {input.ndim}-D input of shape {input.shape}")
    mask_shape = tuple(input.shape[:2]) + (1,) * (input.ndim - 2)
    generator = _generator(input, generator, "feature_alpha_dropout")
    return _alpha("feature_alpha_dropout", input, inplace, p, generator=generator, mask_shape=mask_shape)

