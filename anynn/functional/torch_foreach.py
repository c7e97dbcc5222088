"""PyTorch's ``torch._foreach_*`` list ops: one op applied to every tensor of a list (or tuple) of tensors.

Optimizers and EMA helpers copied from PyTorch's multi-tensor code call them (timm's ``ModelEmaV3`` and its
optimizers, hand-written Adam/Lion variants). PyTorch fuses the list into few kernel launches; here each element
runs the Tensor method of the same name, so values, dtype promotion, broadcasting, in-place rules and gradients are
those of ``x.add(y)``, ``x.lerp_(y, w)``... Out-of-place ops return a tuple, in-place ones the very list they were
given, as PyTorch's do. The second argument takes PyTorch's overloads: a number, a list of numbers (one per
tensor), a list of tensors, and for ``add``/``mul``/``div`` one 0-d tensor shared by all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Callable

from ..autograd.tensor import Tensor

_UNARY = ("abs", "acos", "asin", "atan", "ceil", "cos", "cosh", "erf", "erfc", "exp", "expm1", "floor", "frac",
          "lgamma", "log", "log10", "log1p", "log2", "neg", "reciprocal", "round", "rsqrt", "sigmoid", "sign", "sin",
          "sinh", "sqrt", "tan", "tanh", "trunc")
_SHARED_TENSOR = ("add", "mul", "div")  # the binary ops with PyTorch's 0-d Tensor overload


def _tensors(op: str, value: Any, name: str = "self") -> Sequence[Tensor]:
    if isinstance(value, Tensor) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{op}(): argument '{name}' must be a list or tuple of Tensors, not {type(value).__name__}")
    if not value:
        raise RuntimeError(f"{op}(): Tensor list must have at least one tensor.")
    for item in value:
        if not isinstance(item, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be a list of Tensors, but one element is "
                            f"{type(item).__name__}")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (bool, int, float, complex)) or (hasattr(value, "dtype") and hasattr(value, "item")
                                                               and not isinstance(value, Tensor))


def _per_tensor(op: str, self: Sequence[Tensor], other: Any, name: str, shared_tensor: bool) -> list[Any]:
    """``other`` as one operand per tensor of ``self``: a number, numbers, tensors, or a shared 0-d tensor."""
    if isinstance(other, Tensor):  # a 0-d tensor also stands for a number, as in PyTorch's argument parsing
        if other.ndim != 0 and not shared_tensor:
            raise TypeError(f"{op}(): argument '{name}' must be a number, a list or a 0-d Tensor, not a Tensor of "
                            f"{other.ndim} dimensions")
        if other.ndim != 0:
            raise RuntimeError(f"{op}(): scalar tensor expected to be 0 dim but it has {other.ndim} dimensions and "
                               f"{other.numel()} elements.")
        return [other] * len(self)
    if isinstance(other, (list, tuple)):
        if other and all(isinstance(item, Tensor) for item in other):
            if len(other) != len(self):
                raise RuntimeError(f"{op}(): Tensor lists must have the same number of tensors, got {len(self)} and "
                                   f"{len(other)}")
            return list(other)
        if not all(_is_number(item) for item in other):
            raise TypeError(f"{op}(): argument '{name}' must be a list of numbers or a list of Tensors")
        if len(other) != len(self):
            raise RuntimeError(f"{op}(): Tensor list must have same number of elements as scalar list.")
        return list(other)
    if _is_number(other):
        return [other] * len(self)
    raise TypeError(f"{op}(): argument '{name}' must be a number, a list or a Tensor, not {type(other).__name__}")


def _run(op: str, self: Any, inplace: bool, each: Callable[[Tensor, int], Tensor | None]) -> Any:
    tensors = _tensors(op, self)
    results = [each(x, i) for i, x in enumerate(tensors)]
    return self if inplace else tuple(results)


def _unary(name: str, inplace: bool) -> Callable[..., Any]:
    method = name + ("_" if inplace else "")
    op_name = f"_foreach_{method}"

    def op(self: Any) -> Any:
        return _run(op_name, self, inplace, lambda x, i: getattr(x, method)())

    op.__name__ = op.__qualname__ = op_name
    op.__doc__ = f"``torch.{op_name}``: ``x.{method}()`` for every tensor ``x`` of the list."
    return op


def _binary(name: str, inplace: bool) -> Callable[..., Any]:
    """add/sub (``alpha`` with a tensor operand), mul, div, pow, clamp_min/clamp_max, maximum/minimum."""
    op_name = f"_foreach_{name}" + ("_" if inplace else "")
    shared = name in _SHARED_TENSOR

    def apply(x: Tensor, y: Any, alpha: Any) -> Tensor:
        if name in ("maximum", "minimum") and not isinstance(y, Tensor):
            y_op = "clamp_min" if name == "maximum" else "clamp_max"  # the number overloads: PyTorch's clamp
            return getattr(x, y_op + ("_" if inplace else ""))(y)
        if name in ("maximum", "minimum"):
            result = getattr(x, name)(y)
            return x.copy_(result) if inplace else result
        method = getattr(x, name + ("_" if inplace else ""))
        return method(y, alpha=alpha) if alpha is not None else method(y)

    def op(self: Any, other: Any, *, alpha: Any = None) -> Any:
        tensors = _tensors(op_name, self)
        operands = _per_tensor(op_name, tensors, other, "other", shared)
        if alpha is not None and (name not in ("add", "sub") or not isinstance(operands[0], Tensor)):
            raise TypeError(f"{op_name}(): alpha is taken with a tensor operand of add or sub only")
        return _run(op_name, tensors, inplace, lambda x, i: apply(x, operands[i], alpha))

    op.__name__ = op.__qualname__ = op_name
    op.__doc__ = (f"``torch.{op_name}``: ``x.{name}{'_' if inplace else ''}(y)`` for every tensor ``x`` of the list, "
                  "``y`` a number, the matching number or tensor of a list, or (add/mul/div) one 0-d tensor.")
    return op


def _pointwise(name: str, inplace: bool) -> Callable[..., Any]:
    """addcdiv/addcmul (``value``: a number, one number per tensor, or a 1-D tensor of them)."""
    op_name = f"_foreach_{name}" + ("_" if inplace else "")

    def op(self: Any, tensor1: Any, tensor2: Any, value: Any = 1) -> Any:
        tensors = _tensors(op_name, self)
        first, second = (_per_tensor(op_name, tensors, t, n, False) for t, n in ((tensor1, "tensor1"),
                                                                                  (tensor2, "tensor2")))
        if isinstance(value, Tensor):
            if value.ndim != 1 or value.shape[0] != len(tensors):
                raise RuntimeError(f"{op_name}(): Tensor list must have same number of elements as scalar list.")
            values: list[Any] = [value[i] for i in range(len(tensors))]
        else:
            values = _per_tensor(op_name, tensors, value, "value", False)

        def each(x: Tensor, i: int) -> Tensor:
            if isinstance(values[i], Tensor):  # a 0-d tensor weight: the product written out (the method takes numbers)
                term = first[i] * second[i] if name == "addcmul" else first[i] / second[i]
                term = term * values[i]
                return x.add_(term) if inplace else x + term
            return getattr(x, name + ("_" if inplace else ""))(first[i], second[i], value=values[i])

        return _run(op_name, tensors, inplace, each)

    op.__name__ = op.__qualname__ = op_name
    op.__doc__ = f"``torch.{op_name}``: ``x.{name}(t1, t2, value=v)`` for every tensor ``x`` of the list."
    return op


def _lerp(inplace: bool) -> Callable[..., Any]:
    op_name = "_foreach_lerp" + ("_" if inplace else "")

    def op(self: Any, tensors1: Any, weight: Any) -> Any:
        tensors = _tensors(op_name, self)
        ends = _per_tensor(op_name, tensors, tensors1, "tensors1", False)
        weights = _per_tensor(op_name, tensors, weight, "weight", False)
        return _run(op_name, tensors, inplace,
                    lambda x, i: (x.lerp_ if inplace else x.lerp)(ends[i], weights[i]))

    op.__name__ = op.__qualname__ = op_name
    op.__doc__ = f"``torch.{op_name}``: ``x.lerp{'_' if inplace else ''}(end, weight)`` for every tensor of the list."
    return op


def _foreach_norm(self: Any, ord: Any = 2, dtype: Any = None) -> tuple[Tensor, ...]:  # noqa: A002 - PyTorch's name
    """``torch._foreach_norm``: each tensor's vector norm of order ``ord`` (0-d tensors), in ``dtype`` if given."""
    return _run("_foreach_norm", self, False, lambda x, i: (x if dtype is None else x.to(dtype)).norm(ord))


def _foreach_powsum(self: Any, ord: Any = 2, dtype: Any = None) -> tuple[Tensor, ...]:  # noqa: A002
    """``torch._foreach_powsum``: each tensor's sum of ``|x| ** ord`` (the norm before its root), 0-d tensors."""
    def each(x: Tensor, i: int) -> Tensor:
        x = x if dtype is None else x.to(dtype)
        return (x != 0).sum().to(x.dtype) if ord == 0 else x.abs().pow(ord).sum()

    return _run("_foreach_powsum", self, False, each)


def _foreach_max(self: Any) -> tuple[Tensor, ...]:
    """``torch._foreach_max``: each tensor's largest element (0-d tensors)."""
    return _run("_foreach_max", self, False, lambda x, i: x.max())


def _foreach_clone(self: Any) -> tuple[Tensor, ...]:
    """``torch._foreach_clone``: a copy of each tensor."""
    return _run("_foreach_clone", self, False, lambda x, i: x.clone())


def _foreach_zero_(self: Any) -> Any:
    """``torch._foreach_zero_``: every tensor of the list set to zero in place."""
    return _run("_foreach_zero_", self, True, lambda x, i: x.zero_())


def _foreach_copy_(self: Any, src: Any, non_blocking: bool = False) -> Any:
    """``torch._foreach_copy_``: ``x.copy_(s)`` for each pair of the two lists."""
    tensors = _tensors("_foreach_copy_", self)
    sources = _per_tensor("_foreach_copy_", tensors, src, "src", False)
    return _run("_foreach_copy_", tensors, True, lambda x, i: x.copy_(sources[i], non_blocking=non_blocking))


def _foreach_mm(self: Any, mat2: Any) -> tuple[Tensor, ...]:
    """``torch._foreach_mm``: ``a.mm(b)`` for each pair of the two lists."""
    tensors = _tensors("_foreach_mm", self)
    others = _per_tensor("_foreach_mm", tensors, mat2, "mat2", False)
    return _run("_foreach_mm", tensors, False, lambda x, i: x.mm(others[i]))


def _foreach_pow(self: Any, exponent: Any) -> tuple[Tensor, ...]:
    """``torch._foreach_pow``: ``x ** e`` per tensor; a number ``self`` with a list of exponents gives
    ``self ** e`` for each."""
    if _is_number(self) and isinstance(exponent, (list, tuple)):
        exponents = _tensors("_foreach_pow", exponent, "exponent")
        return tuple(_rpow(self, e) for e in exponents)
    return _POW(self, exponent)


def _rpow(base: Any, exponent: Tensor) -> Tensor:
    return base ** exponent


_POW = _binary("pow", False)


def _build() -> dict[str, Callable[..., Any]]:
    table: dict[str, Callable[..., Any]] = {}
    for name in _UNARY:
        for inplace in (False, True):
            fn = _unary(name, inplace)
            table[fn.__name__] = fn
    for name in ("add", "sub", "mul", "div", "clamp_min", "clamp_max", "maximum", "minimum", "pow"):
        for inplace in (False, True):
            fn = _binary(name, inplace)
            table[fn.__name__] = fn
    for name in ("addcdiv", "addcmul"):
        for inplace in (False, True):
            fn = _pointwise(name, inplace)
            table[fn.__name__] = fn
    for inplace in (False, True):
        fn = _lerp(inplace)
        table[fn.__name__] = fn
    for fn in (_foreach_norm, _foreach_powsum, _foreach_max, _foreach_clone, _foreach_zero_, _foreach_copy_,
               _foreach_mm, _foreach_pow):
        table[fn.__name__] = fn
    return table


FOREACH = _build()
