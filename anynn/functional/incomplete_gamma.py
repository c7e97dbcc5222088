"""The regularized incomplete gamma functions under PyTorch's names: ``igamma(a, x) = P(a, x)``
(``torch.special.gammainc``) and ``igammac(a, x) = Q(a, x) = 1 - P(a, x)`` (``torch.special.gammaincc``).

One `Function` for both (the formulas are `anynn.functional.formulas.incomplete_gamma`'s). Shapes: a and x
broadcast, the output has the broadcast shape. The gradient with respect to x is ``±x^(a-1) e^-x / Gamma(a)``;
PyTorch has none with respect to a and raises ``NotImplementedError`` when a backward needs it, and so does this.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import Function
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor
from ..backend.typing import Namespace
from .binary_math import _floating_pair
from .formulas.incomplete_gamma import regularized_gamma, regularized_gamma_slope
from .precision import is_low_precision
from .type_promotion import result_type_of
from .value_checks import _TORCH_DTYPE_NAMES, KernelNotImplementedError, dtype_name, refuse_numbers


class IncompleteGammaFunction(Function):
    """``P(a, x)`` (``upper``: ``Q(a, x)``) of broadcast a, x; gradient ``±g dP/dx`` for x, none for a."""

    upper: bool

    def forward(self, xp: Namespace, a: Any, x: Any) -> Any:
        self.a, self.x = a, x
        return regularized_gamma(xp, a, x, self.upper)

    def backward(self, xp: Namespace, g: Any) -> tuple[None, Any]:
        if self.needs_input_grad[0]:
            name = "igammac" if self.upper else "igamma"
            raise NotImplementedError(f"the derivative for '{name}: input' is not implemented.")
        slope = regularized_gamma_slope(xp, self.a, self.x)
        return None, sum_to_shape(xp, -g * slope if self.upper else g * slope, tuple(self.x.shape))


def _incomplete_gamma(name: str, input: Any, other: Any, upper: bool) -> Tensor:  # noqa: A002
    """`IncompleteGammaFunction` of the promoted operands; float16/bfloat16 in float32 and rounded once, as PyTorch's
    kernels (a series of 256 terms summed in float16 gave P(100, 100) = 0.4495 for 0.5133)."""
    refuse_numbers(name, input=input, other=other)
    promoted = dtype_name(result_type_of(input, other))
    if promoted == "bool" or "int" in promoted:  # (PyTorch's kernel runs in the promoted dtype)
        raise KernelNotImplementedError(f"{name}: \"{name}_cpu\" not implemented for "
                                        f"'{_TORCH_DTYPE_NAMES.get(promoted, promoted)}', as in PyTorch (integer and "
                                        f"bool operands are not promoted to floating point); cast one first (.float())")
    a, x = _floating_pair(name, input, other)
    if is_low_precision(a.backend.xp, a.array.dtype):
        return IncompleteGammaFunction.apply(a.float(), x.float(), upper=upper).to(a.dtype)
    return IncompleteGammaFunction.apply(a, x, upper=upper)


def igamma(input: Any, other: Any) -> Tensor:  # noqa: A002 - PyTorch's name
    """The regularized lower incomplete gamma function ``P(input, other)`` (``torch.igamma``,
    ``torch.special.gammainc``), broadcast; differentiable in ``other`` only, as PyTorch's; complex refused; two
    tensors, as PyTorch's."""
    return _incomplete_gamma("igamma", input, other, upper=False)


def igammac(input: Any, other: Any) -> Tensor:  # noqa: A002
    """The regularized upper incomplete gamma function ``Q(input, other) = 1 - P(input, other)``
    (``torch.igammac``, ``torch.special.gammaincc``), broadcast; differentiable in ``other`` only; two tensors."""
    return _incomplete_gamma("igammac", input, other, upper=True)


gammainc, gammaincc = igamma, igammac  # torch.special's names

FUNCTIONS: dict[str, Any] = {"igamma": igamma, "igammac": igammac}

__all__ = ["FUNCTIONS", "IncompleteGammaFunction", "gammainc", "gammaincc", "igamma", "igammac"]
