"""Activation layers: thin modules over `anynn.functional` (PyTorch's names and arguments)."""

from __future__ import annotations

import warnings
from typing import Any


from ..init import HostGenerator
from .. import functional as F
from .. import init
from ..functional.activation import check_axis
from ..autograd.tensor import Tensor
from .linear import new_parameter
from .module import Module
from .validate import ArgumentAssertionError, check_input, dtype_kind, refuse_dtype


class _Elementwise(Module):
    """An activation without parameters: ``forward`` calls ``fn`` with the stored keyword args."""

    fn: Any = None
    args: tuple[str, ...] = ()
    # integer and bool inputs: "floating" refuses both (PyTorch's kernels do), "numeric" refuses bool and
    # keeps integers integer (ReLU, Hardtanh: PyTorch's too), "promote" computes in float32 (Sigmoid, Tanh)
    dtypes = "floating"
    inplace = False  # PyTorch's option, on the layers that take it: overwrite the input and return it

    def forward(self, input: Tensor) -> Tensor:
        if not isinstance(input, Tensor) or self._parameters:  # check_input's work only where it can fail
            check_input(self, input)
        if dtype_kind(input.array.dtype) != "f":
            return self._non_floating(input)
        if not self.args:
            return type(self).fn(input, inplace=True) if self.inplace else type(self).fn(input)
        if "axis" in self.args or "dim" in self.args and self.dim is not None:  # name the layer, not the function
            check_axis(type(self).__name__, input, self.axis if "axis" in self.args else self.dim)
        if self.inplace:
            return type(self).fn(input, **{a: getattr(self, a) for a in self.args}, inplace=True)
        return type(self).fn(input, **{a: getattr(self, a) for a in self.args})

    def _non_floating(self, x: Tensor) -> Tensor:
        if self.dtypes == "promote":
            return self.forward(x.float())
        if self.dtypes == "numeric" and dtype_kind(x.array.dtype) == "i":
            # exact below 2**53; computed in float64 because the portable math mixes in float scalars
            out = self.forward(x.double()).astype(x.dtype)
            return x.copy_(out) if self.inplace else out
        refuse_dtype(self, x, "a floating-point" if self.dtypes == "floating" else "a numeric (not bool)")
        raise AssertionError("unreachable")  # pragma: no cover

    def extra_repr(self) -> str:
        """PyTorch's: the arguments (``axis`` printed as ``dim``), then ``inplace=True`` where set."""
        parts = [f"{'dim' if a == 'axis' else a}={getattr(self, a)}" for a in self.args]
        return ", ".join(parts + ["inplace=True"] if self.inplace else parts)


class _ElementwiseInplace(_Elementwise):
    """PyTorch's ``inplace`` argument: ``True`` overwrites the input and returns it (`F.relu(x, inplace=True)`)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class Sigmoid(_Elementwise):
    fn = staticmethod(F.sigmoid)
    dtypes = "promote"


class Tanh(_Elementwise):
    fn = staticmethod(F.tanh)
    dtypes = "promote"


class ReLU(_ElementwiseInplace):
    fn = staticmethod(F.relu)
    dtypes = "numeric"


class ReLU6(_ElementwiseInplace):
    fn = staticmethod(F.relu6)
    dtypes = "numeric"


class SELU(_ElementwiseInplace):
    fn = staticmethod(F.selu)


class SiLU(_ElementwiseInplace):
    fn = staticmethod(F.silu)


class Mish(_ElementwiseInplace):
    fn = staticmethod(F.mish)


class Hardswish(_ElementwiseInplace):
    fn = staticmethod(F.hardswish)

    def extra_repr(self) -> str:
        return ""  # PyTorch prints Hardswish() whatever inplace is


class LeakyReLU(_Elementwise):
    fn = staticmethod(F.leaky_relu)
    args = ("negative_slope",)

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace


class ELU(_Elementwise):
    fn = staticmethod(F.elu)
    args = ("alpha",)

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace


class GELU(_Elementwise):
    """``approximate="none"`` uses erf (a library fast path, or a portable float64-accurate erf)."""

    fn = staticmethod(F.gelu)
    args = ("approximate",)

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Softplus(_Elementwise):
    fn = staticmethod(F.softplus)
    args = ("beta", "threshold")

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold


class Hardtanh(_Elementwise):
    fn = staticmethod(F.hardtanh)
    dtypes = "numeric"
    args = ("min_val", "max_val")

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False,
                 min_value: float | None = None, max_value: float | None = None) -> None:
        super().__init__()
        if min_value is not None:  # PyTorch's deprecated spellings, with its warning
            warnings.warn("keyword argument `min_value` is deprecated and renamed to `min_val`", FutureWarning,
                          stacklevel=2)
            min_val = min_value
        if max_value is not None:
            warnings.warn("keyword argument `max_value` is deprecated and renamed to `max_val`", FutureWarning,
                          stacklevel=2)
            max_val = max_value
        if isinstance(min_val, (int, float)) and isinstance(max_val, (int, float)) and not max_val > min_val:
            # PyTorch asserts it when the layer is made (F.hardtanh refuses only min_val > max_val)
            raise ArgumentAssertionError(f"Hardtanh: max_val ({max_val}) must be greater than min_val ({min_val})")
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def _non_floating(self, x: Tensor) -> Tensor:
        if dtype_kind(x.array.dtype) == "i":  # F's integer path, with its refusal of uint8 below negative limits
            # (the float64 round trip of the other "numeric" layers clamped uint8 to [-1, 1] without it)
            return F.hardtanh(x, self.min_val, self.max_val, inplace=self.inplace)
        return super()._non_floating(x)


class Softmax(_Elementwise):
    """Softmax along ``dim`` (``None``, the default: PyTorch's legacy choice, see `implicit_softmax_axis`)."""

    args = ("axis",)
    fn = staticmethod(F.softmax)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.axis = dim

    def forward(self, input: Tensor) -> Tensor:
        return _softmax_forward(self, input)


class LogSoftmax(_Elementwise):
    args = ("axis",)
    fn = staticmethod(F.log_softmax)

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.axis = dim

    def forward(self, input: Tensor) -> Tensor:
        return _softmax_forward(self, input)


def implicit_softmax_axis(name: str, ndim: int) -> int:
    """PyTorch's deprecated choice when no ``dim`` is given: axis 0 for 0-, 1- and 3-D input, else axis 1."""
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call to include dim=X "
                  "as an argument.", UserWarning, stacklevel=4)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_forward(layer: _Elementwise, x: Tensor) -> Tensor:
    if layer.axis is not None:
        return _Elementwise.forward(layer, x)
    check_input(layer, x)
    if dtype_kind(x.array.dtype) != "f":
        refuse_dtype(layer, x)
    return type(layer).fn(x, axis=implicit_softmax_axis(type(layer).__name__.lower(), x.ndim))


class GLU(_Elementwise):
    args = ("axis",)
    fn = staticmethod(F.glu)

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.axis = dim


class PReLU(Module):
    """``max(0, x) + weight * min(0, x)`` with a learned slope: one, or one per channel (axis 1)."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, backend: Any = None,
                 dtype: Any = None) -> None:
        super().__init__()
        self.num_parameters = num_parameters
        self.init_value = init
        self.weight = new_parameter((num_parameters,), backend, dtype)
        self._reset_own_parameters(None)

    def _reset_own_parameters(self, rng: HostGenerator | None) -> None:
        init.constant_(self.weight, self.init_value)

    def forward(self, input: Tensor) -> Tensor:
        if self.num_parameters > 1:
            check_input(self, input, dim=1 if getattr(input, "ndim", 0) > 1 else 0, size=self.num_parameters,
                        what="channels")
        else:
            check_input(self, input)
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
