"""Operators and methods of `Tensor`, bound to the primitives of this package.

`Tensor` lives in ``autograd`` (the lower layer); its arithmetic is made of the Functions defined
here, so they are attached when ``anynn.functional`` is imported (``import anynn`` does it).
"""

from __future__ import annotations

import numbers
from typing import Any

from ..autograd.tensor import Tensor
from ..backend import BackendMismatch, host_array
from . import activation, elementwise, linalg, reduce, shape
from .elementwise import Add, Div, Mul, Neg, Pow, PowTensor, Sub


def _operand(self: Tensor, other: Any) -> Any:
    """Accept Tensors and Python numbers as they are; a native array of our backend becomes a Tensor.

    NumPy scalars (``np.float64``, ``np.float32``, ``np.int64``...) become plain Python numbers: kept
    as they are, ``np.float64`` would promote float32 arrays to float64, and strict libraries refuse them.
    """
    if isinstance(other, (Tensor, bool)):
        return other
    if isinstance(other, numbers.Integral):
        return int(other)
    if isinstance(other, numbers.Real):
        return float(other)
    if self.backend.is_native(other):
        return Tensor._make(other, self.backend, None, 0)
    raise BackendMismatch(
        f"cannot combine a tensor on backend {self.backend.key!r} with a {type(other).__module__}."
        f"{type(other).__name__}; wrap it with anynn.tensor(..., backend={self.backend.key!r})"
    )


def _binary(cls: Any, reflected: bool = False) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        other = _operand(self, other)
        return cls.apply(other, self) if reflected else cls.apply(self, other)

    return method


def _pow(self: Tensor, exponent: Any) -> Any:
    exponent = _operand(self, exponent)
    if isinstance(exponent, (int, float)):
        return Pow.apply(self, exponent=exponent)
    return PowTensor.apply(self, exponent)


def _rpow(self: Tensor, base: Any) -> Any:
    base = _operand(self, base)
    if not isinstance(base, Tensor):
        xp = self.backend.xp
        base = Tensor._make(xp.full_like(self.data, base), self.backend, None, 0)
    return PowTensor.apply(base, self)


def _compare(name: str) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        other = _operand(self, other)
        data = getattr(self.data, name)(other.data if isinstance(other, Tensor) else other)
        return Tensor._make(data, self.backend, None, 0)

    return method


def _getitem(self: Tensor, index: Any) -> Any:
    """Basic indexing, or rows ``x[indices]`` for integer indices (a Tensor, native array or list)."""
    if isinstance(index, numbers.Integral) and not isinstance(index, bool):
        index = int(index)  # np.int64 too
    elif isinstance(index, list):
        index = self.backend.from_host(host_array(index))
    if isinstance(index, Tensor) or (hasattr(index, "dtype") and hasattr(index, "shape")):
        return shape.take_rows(self, index)
    return shape.GetItem.apply(self, index=index)


def _argmax(self: Tensor, axis: int | None = None, keepdims: bool = False) -> Tensor:
    xp = self.backend.xp
    return Tensor._make(xp.argmax(self.data, axis=axis, keepdims=keepdims), self.backend, None, 0)


def _astype(self: Tensor, dtype: Any) -> Any:
    native = self.backend.dtype(dtype)
    if native == self.data.dtype:
        return self
    return elementwise.Cast.apply(self, dtype=native)


def _reshape(self: Tensor, *shape_args: Any) -> Any:
    new_shape = shape_args[0] if len(shape_args) == 1 and isinstance(shape_args[0], (tuple, list)) else shape_args
    return shape.reshape(self, tuple(new_shape))


def _permute(self: Tensor, *axes: Any) -> Any:
    order = axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else axes
    return shape.permute(self, tuple(order))


METHODS: dict[str, Any] = {
    "__add__": _binary(Add), "__radd__": _binary(Add, True),
    "__sub__": _binary(Sub), "__rsub__": _binary(Sub, True),
    "__mul__": _binary(Mul), "__rmul__": _binary(Mul, True),
    "__truediv__": _binary(Div), "__rtruediv__": _binary(Div, True),
    "__matmul__": _binary(linalg.MatMul), "__rmatmul__": _binary(linalg.MatMul, True),
    "__neg__": lambda self: Neg.apply(self),
    "__pow__": _pow, "__rpow__": _rpow,
    "__lt__": _compare("__lt__"), "__le__": _compare("__le__"),
    "__gt__": _compare("__gt__"), "__ge__": _compare("__ge__"),
    "__eq__": _compare("__eq__"), "__ne__": _compare("__ne__"),
    "__getitem__": _getitem,
    "sum": lambda self, axis=None, keepdims=False: reduce.sum(self, axis, keepdims),
    "mean": lambda self, axis=None, keepdims=False: reduce.mean(self, axis, keepdims),
    "max": lambda self, axis=None, keepdims=False: reduce.max(self, axis, keepdims),
    "min": lambda self, axis=None, keepdims=False: reduce.min(self, axis, keepdims),
    "var": lambda self, axis=None, keepdims=False, correction=0.0: reduce.var(self, axis, keepdims, correction),
    "logsumexp": lambda self, axis=None, keepdims=False: reduce.logsumexp(self, axis, keepdims),
    "argmax": _argmax,
    "reshape": _reshape, "view": _reshape,
    "permute": _permute,
    "transpose": lambda self, axis0=-2, axis1=-1: shape.transpose(self, axis0, axis1),
    "flatten": lambda self, start_dim=0, end_dim=-1: shape.flatten(self, start_dim, end_dim),
    "exp": elementwise.exp, "log": elementwise.log, "sqrt": elementwise.sqrt, "abs": elementwise.abs,
    "sin": elementwise.sin, "cos": elementwise.cos,
    "clip": elementwise.clip, "clamp": elementwise.clip,
    "tanh": activation.tanh, "sigmoid": activation.sigmoid, "relu": activation.relu,
    "softmax": lambda self, axis=-1: activation.softmax(self, axis),
    "log_softmax": lambda self, axis=-1: activation.log_softmax(self, axis),
    "astype": _astype,
    "T": property(lambda self: shape.permute(self, tuple(reversed(range(self.ndim))))),
    "mT": property(lambda self: shape.transpose(self, -2, -1)),
}


def attach() -> None:
    for name, method in METHODS.items():
        setattr(Tensor, name, method)
    Tensor.__hash__ = lambda self: id(self)  # defining __eq__ would otherwise drop hashing


attach()
