"""Operators and methods of `Tensor`, bound to the primitives of this package.

`Tensor` lives in ``autograd`` (the lower layer); its arithmetic is made of the Functions defined
here, so they are attached when ``anynn.functional`` is imported (``import anynn`` does it).
"""

from __future__ import annotations

import numbers
from typing import Any

from ..autograd.tensor import Tensor
from ..backend import BackendMismatch
from . import activation, activation_shrink, elementwise, linalg, reduce, shape
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


def _is_float(x: Any) -> bool:
    if isinstance(x, Tensor):
        return x.backend.xp.isdtype(x.data.dtype, ("real floating", "complex floating"))
    return isinstance(x, float)


def _kinds_agree(cls: Any, a: Any, b: Any) -> tuple[Any, Any]:
    """PyTorch's promotion across kinds, the same on every backend (the standard leaves mixed kinds undefined).

    An integer or boolean tensor meeting a floating operand takes the floating tensor's dtype (float32 for a
    Python float), and true division of integers gives float32, as in PyTorch with its default dtype.
    """
    tensors = [x for x in (a, b) if isinstance(x, Tensor)]
    if all(_is_float(t) for t in tensors):
        return a, b
    floating = next((t.data.dtype for t in tensors if _is_float(t)), None)
    if floating is None and (cls is Div or any(isinstance(x, float) for x in (a, b))):
        floating = "float32"
    if floating is None:
        bools = [t for t in tensors if t.backend.xp.isdtype(t.data.dtype, "bool")]
        if not bools or len(bools) == 2 or any(isinstance(x, bool) for x in (a, b)):
            return a, b
        other = next((t.data.dtype for t in tensors if not any(t is u for u in bools)), "int64")
        return tuple(_astype(x, other) if any(x is t for t in bools) else x for x in (a, b))  # type: ignore
    return tuple(_astype(x, floating) if isinstance(x, Tensor) and not _is_float(x) else x  # type: ignore
                 for x in (a, b))


def _binary(cls: Any, reflected: bool = False) -> Any:
    def method(self: Tensor, other: Any) -> Any:
        other = _operand(self, other)
        a, b = (other, self) if reflected else (self, other)
        a, b = _kinds_agree(cls, a, b)
        return cls.apply(a, b)

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
        a, other = _kinds_agree(None, self, other)
        data = getattr(a.data, name)(other.data if isinstance(other, Tensor) else other)
        return Tensor._make(data, self.backend, None, 0)

    return method


def _getitem(self: Tensor, index: Any) -> Any:
    """PyTorch's indexing: ints, slices (any step), ``...``, ``None`` and integer/boolean index arrays."""
    return shape.index(self, index)


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
    "sum": lambda self, axis=None, keepdims=False, **torch_names: reduce.sum(self, axis, keepdims, **torch_names),
    "mean": lambda self, axis=None, keepdims=False, **torch_names: reduce.mean(self, axis, keepdims, **torch_names),
    "max": lambda self, axis=None, keepdims=False, **torch_names: reduce.max(self, axis, keepdims, **torch_names),
    "min": lambda self, axis=None, keepdims=False, **torch_names: reduce.min(self, axis, keepdims, **torch_names),
    "var": lambda self, axis=None, keepdims=False, correction=1.0, **torch_names: reduce.var(
        self, axis, keepdims, correction, **torch_names),
    "logsumexp": lambda self, axis=None, keepdims=False, **torch_names: reduce.logsumexp(
        self, axis, keepdims, **torch_names),
    "argmax": _argmax,
    "reshape": _reshape, "view": _reshape,
    "permute": _permute,
    "transpose": lambda self, axis0=-2, axis1=-1: shape.transpose(self, axis0, axis1),
    "flatten": lambda self, start_dim=0, end_dim=-1: shape.flatten(self, start_dim, end_dim),
    "exp": elementwise.exp, "log": elementwise.log, "sqrt": elementwise.sqrt, "abs": elementwise.abs,
    "sin": elementwise.sin, "cos": elementwise.cos,
    "clip": elementwise.clip, "clamp": elementwise.clip,
    "tanh": activation.tanh, "sigmoid": activation.sigmoid, "relu": activation.relu,
    "softmax": lambda self, axis=-1, dim=None: activation.softmax(self, axis if dim is None else dim),
    "log_softmax": lambda self, axis=-1, dim=None: activation.log_softmax(self, axis if dim is None else dim),
    "hardshrink": activation_shrink.hardshrink,
    "astype": _astype,
    "T": property(lambda self: shape.permute(self, tuple(reversed(range(self.ndim))))),
    "mT": property(lambda self: shape.transpose(self, -2, -1)),
}


def attach() -> None:
    for name, method in METHODS.items():
        setattr(Tensor, name, method)


attach()
from . import tensor_extras  # noqa: E402,F401  (PyTorch spellings: dim/keepdim, size(), masked_fill...)
from . import inplace  # noqa: E402,F401  (+=, add_, zero_, copy_... with PyTorch's in-place rules)
