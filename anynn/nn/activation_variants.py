"""More of PyTorch's activation layers: shrinkage, squashing and rectifier variants, `Softmin`, `Softmax2d`.

Thin modules over `anynn.functional` with PyTorch's constructor arguments; ``inplace=True`` overwrites the
input and returns it, as for every anynn activation that takes it.
"""

from __future__ import annotations

from .. import functional as F
from ..autograd.tensor import Tensor
from .activation import _Elementwise, _ElementwiseInplace
from .layer_generator import LayerGenerator
from .module import Module
from .validate import check_floating, check_input


class LogSigmoid(_Elementwise):
    """``log(sigmoid(x))``, finite for any input. x (*) → same shape."""

    fn = staticmethod(F.logsigmoid)


class Softsign(_Elementwise):
    """``x / (1 + |x|)``. x (*) → same shape."""

    fn = staticmethod(F.softsign)
    dtypes = "promote"


class Tanhshrink(_Elementwise):
    """``x - tanh(x)``. x (*) → same shape."""

    fn = staticmethod(F.tanhshrink)
    dtypes = "promote"


class Hardsigmoid(_ElementwiseInplace):
    """``relu6(x + 3) / 6``. x (*) → same shape."""

    fn = staticmethod(F.hardsigmoid)

    def extra_repr(self) -> str:
        return ""  # PyTorch prints Hardsigmoid() whatever inplace is


class CELU(_Elementwise):
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))``. x (*) → same shape."""

    fn = staticmethod(F.celu)
    args = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace


class Threshold(_Elementwise):
    """``x`` where ``x > threshold``, else ``value``. x (*) → same shape."""

    fn = staticmethod(F.threshold)
    dtypes = "numeric"
    args = ("threshold", "value")

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace


class _Shrink(_Elementwise):
    """The shrink activations: one threshold, ``lambd`` (PyTorch's spelling), printed bare."""

    args = ("lambd",)

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Hardshrink(_Shrink):
    """``x`` where ``|x| > lambd``, else 0. x (*) → same shape."""

    fn = staticmethod(F.hardshrink)


class Softshrink(_Shrink):
    """``x - lambd * sign(x)`` where ``|x| > lambd``, else 0. x (*) → same shape."""

    fn = staticmethod(F.softshrink)


class Softmin(_Elementwise):
    """``softmax(-x)`` along ``dim`` (``None``: PyTorch's implicit choice, with its warning)."""

    fn = staticmethod(F.softmin)
    args = ("dim",)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim


class Softmax2d(Module):
    """Softmax over the channels at every location: x (N, C, H, W) or (C, H, W) → same shape."""

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input, ndim=(3, 4))
        check_floating(self, input)
        return F.softmax(input, -3)


class RReLU(LayerGenerator, Module):
    """Randomized leaky ReLU: in training each negative element gets a slope drawn from ``U[lower, upper)``;
    in evaluation the slope is ``(lower + upper) / 2``. x (*) → same shape.

    ``seed`` seeds the backend generator the slopes are drawn from (as `Dropout`'s ``seed``; ``None``: from
    `anynn.manual_seed`, as PyTorch's RReLU follows ``torch.manual_seed``).
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False,
                 seed: int | None = None) -> None:
        super().__init__()
        if float(lower) > float(upper):
            raise ValueError(f"RReLU: lower bound {lower} must be less than or equal to the upper bound {upper}")
        self.lower = lower
        self.upper = upper
        self.inplace = inplace
        self.seed = seed
        self._generator = None
        self._generator_backend = None

    def forward(self, input: Tensor) -> Tensor:
        check_input(self, input)
        check_floating(self, input)
        generator = self.generator(input.backend) if self.training else None
        return F.rrelu(input, self.lower, self.upper, training=self.training, inplace=self.inplace,
                       generator=generator)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace else "")
