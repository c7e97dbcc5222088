"""Dense layers: `Linear` and `Identity`."""

from __future__ import annotations

import math
from typing import Any


from ..init import HostGenerator, host_generator
from .. import init
from ..autograd.tensor import Tensor
from ..backend import get_backend
from ..backend.default_dtype import default_float
from ..functional.linalg import LinearFunction, linear
from ..functional.value_checks import InvalidValueError
from .module import Module, Parameter
from .validate import check_input


def new_parameter(shape: tuple[int, ...], backend: Any, dtype: Any) -> Parameter:
    """An uninitialised (zero) parameter of ``shape`` on ``backend`` (of the default dtype, float32 unless
    `anynn.set_default_dtype` changed it)."""
    negative = [n for n in shape if n < 0]
    if negative:  # (NumPy's ValueError 'negative dimensions are not allowed' before: Conv2d(2, 3, -1), PReLU(-1))
        raise InvalidValueError(f"Trying to create tensor with negative dimension {negative[0]}: {list(shape)}, as "
                                "PyTorch refuses")
    be = get_backend(backend)
    native = be.dtype(dtype or default_float())
    data = be.xp.zeros(shape, dtype=native, device=be.device)
    return Parameter(data, backend=be, dtype=native)


def _size(name: str, value: Any, layer: str = "Linear") -> int:
    """A feature or channel count as a non-negative int (NumPy integers too), or an error naming ``layer``."""
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{layer}: {name} must be an int, got {type(value).__name__} {value!r}")
    if value.__index__() < 0:  # (PyTorch's RuntimeError: 'Trying to create tensor with negative dimension')
        raise InvalidValueError(f"{layer}: {name} must be >= 0, got {value}")
    return value.__index__()


class Linear(Module):
    """``y = x @ weight.T + bias``.

    Parameters
    ----------
    in_features, out_features : int
        Sizes of the last axis of input and output: x (..., in_features) → y (..., out_features).
    bias : bool
        Learn an additive bias (out_features,).
    backend, dtype, seed :
        Where the parameters live (default backend, float32) and the seed of their initial draw.

    Notes
    -----
    ``weight`` is (out_features, in_features), drawn as PyTorch does: Kaiming-uniform with
    ``a = sqrt(5)``, i.e. U(-1/sqrt(in), 1/sqrt(in)), and the bias from the same range.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True, backend: Any = None,
                 dtype: Any = None, seed: int | None = None) -> None:
        super().__init__()
        in_features = _size("in_features", in_features)
        out_features = _size("out_features", out_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = new_parameter((out_features, in_features), backend, dtype)
        self.bias = new_parameter((out_features,), backend, dtype) if bias else None
        self._reset_own_parameters(host_generator(seed))

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=rng)
        if self.bias is not None:
            bound = 1.0 / math.sqrt(self.in_features) if self.in_features > 0 else 0.0
            init.uniform_(self.bias, -bound, bound, generator=rng)

    def forward(self, input: Tensor) -> Tensor:
        """input: (..., in_features) → (..., out_features)."""
        weight = self.weight
        bias = self.bias
        # the checks of check_input, inline for the common case (it runs them again to raise); the weight's own
        # in_features, as PyTorch's F.linear reads them (functional_call may hand in weights of another size)
        in_features = weight.array.shape[-1] if weight.array.ndim == 2 else self.in_features
        if not (isinstance(input, Tensor) and input.backend is weight.backend
                and input.array.dtype == weight.array.dtype and input.array.shape
                and input.array.shape[-1] == in_features):
            check_input(self, input, last_dim=in_features)
        if bias is None:
            return LinearFunction.apply(input, weight)
        if weight.array.ndim != 2 or bias.array.shape != weight.array.shape[:1]:
            return linear(input, weight, bias)  # F.linear checks that weight and bias go together, naming both
        return LinearFunction.apply(input, weight, bias)

    def extra_repr(self) -> str:
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class Identity(Module):
    """Returns its input unchanged (a placeholder in a `Sequential`)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input
