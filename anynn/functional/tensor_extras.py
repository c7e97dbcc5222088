"""PyTorch's spellings on `Tensor` and at the top level: ``dim``/``keepdim``, ``size()``, ``masked_fill``...

Reductions take PyTorch's ``dim``/``keepdim`` and the array API's ``axis``/``keepdims`` alike. One
difference follows the name: ``x.max(dim)`` / ``x.min(dim)`` (positional or ``dim=``) return
``(values, indices)`` as in PyTorch, while ``x.max(axis=...)`` returns the values alone, as in the
array API (``x.amax(dim)`` too).
"""

from __future__ import annotations

import warnings
from typing import Any

from ..autograd.tensor import Tensor
from ..backend.arrays import any_true, integer_fill
from ..backend import dtype_name
from ..backend.default_dtype import default_float
from . import activation, broadcast, elementwise, indexing, linalg, matrix_norm, reduce, shape
from .operands import kinds_agree
from .sorting import ValuesIndices
from .statistics import unbiased_given_first
from .type_promotion import result_type
from .value_checks import (ShapeMismatchError, check_one_backend, check_reducible, refuse_bool_dims, refuse_complex,
                           refuse_numbers, refuse_single_tensor, require_tensor)


def _axis(dim: Any, axis: Any) -> Any:
    if dim is not None and axis is not None:
        raise TypeError("give dim (PyTorch) or axis (array API), not both")
    chosen = dim if axis is None else axis
    return tuple(chosen) if isinstance(chosen, list) else chosen


def _reduced_dims(dim: Any, axis: Any) -> Any:
    """`_axis`, where PyTorch's empty ``dim`` (``()``, ``[]``) reduces every dim, as ``None`` (sum, mean, amax, var,
    logsumexp...); the array API's ``axis=()`` reduces none."""
    chosen = _axis(dim, axis)
    return None if axis is None and isinstance(chosen, tuple) and not chosen else chosen


def _keep(keepdim: bool, keepdims: bool | None) -> bool:
    return bool(keepdim if keepdims is None else keepdims)


def _reduction(original: Any) -> Any:
    def method(self: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None, dtype: Any = None) -> Any:
        source = self if dtype is None else self.astype(dtype)
        out = original(source, _reduced_dims(dim, axis), _keep(keepdim, keepdims))
        # integers count in int64: an integer dtype= asked for is the result's, as PyTorch's
        return out if dtype is None or out.dtype == source.dtype else out.astype(source.dtype)

    method.__doc__ = ("Reduce over ``dim`` (alias ``axis``; all axes when ``None``), keeping them if ``keepdim``; "
                      "``dtype`` casts first, as PyTorch's.")
    return method


def _reduction_without_dtype(original: Any, name: str) -> Any:
    """`_reduction` for PyTorch's reductions that take no ``dtype`` (``amax``, ``amin``, ``logsumexp``: its
    TypeError 'unexpected keyword argument', where anynn cast)."""
    reduction = _reduction(original)

    def method(self: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None) -> Any:
        return reduction(self, dim, keepdim, axis=axis, keepdims=keepdims)

    method.__doc__ = "Reduce over ``dim`` (alias ``axis``; all axes when ``None``), keeping them if ``keepdim``."
    method.__name__ = method.__qualname__ = name  # (named in a TypeError)
    return method


def _logsumexp(self: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None) -> Any:
    """``x.logsumexp(dim)``: PyTorch's ``dim`` is required (``x.logsumexp()`` is its TypeError; anynn reduced every
    dim); ``dim=()`` reduces all, as the other reductions."""
    if dim is None and axis is None:
        raise TypeError('logsumexp() missing 1 required positional arguments: "dim" (as PyTorch; dim=() reduces all)')
    return _LOGSUMEXP(self, dim, keepdim, axis=axis, keepdims=keepdims)


_LOGSUMEXP = _reduction_without_dtype(reduce.logsumexp, "logsumexp")


def _arg_reduction(name: str) -> Any:
    def method(self: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None) -> Tensor:
        axis = _axis(dim, axis)
        if name.startswith("arg") and dtype_name(self.array.dtype) == "bool":
            raise RuntimeError(f"{name}(): does not support bool input; cast it first (x.int())")
        if name.startswith("arg"):
            refuse_complex(f"{name}()", self)  # (any and all test complex numbers against 0, as PyTorch's)
            check_reducible(name, self, axis)
        elif axis is not None:  # PyTorch's checks of all / any dims (a repeated one: NumPy's ValueError before)
            reduce._axes(axis, self.ndim)
        xp = self.backend.xp
        found = getattr(xp, name)(self.array, axis=axis, keepdims=_keep(keepdim, keepdims))
        if name in ("any", "all") and dtype_name(self.array.dtype) == "uint8":
            found = xp.astype(found, xp.uint8)  # PyTorch keeps uint8 (its masks before bool tensors)
        return Tensor._make(found, self.backend, None, 0)

    method.__doc__ = f"``{name}`` over ``dim`` (alias ``axis``; everything when ``None``); not differentiable."
    return method


def _extreme(largest: bool) -> Any:
    def method(self: Tensor, dim: Any = None, keepdim: bool = False, *, axis: Any = None,
               keepdims: bool | None = None) -> Any:
        if isinstance(dim, Tensor):  # x.max(other): elementwise, as in PyTorch
            kind = elementwise.Maximum if largest else elementwise.Minimum
            refuse_complex("maximum" if largest else "minimum", self, dim)
            return kind.apply(*kinds_agree(kind, self, dim))
        check_reducible("max" if largest else "min", self, _axis(dim, axis))
        if dim is None:  # everything, or the array API's axis=: ties share the gradient (amax)
            return (reduce.max if largest else reduce.min)(self, _axis(dim, axis), _keep(keepdim, keepdims))
        # PyTorch's max(dim): the values gathered at the indices, so the gradient goes to the index returned
        # (the first of tied entries), not shared among the ties
        ranked = self.astype("uint8") if dtype_name(self.array.dtype) == "bool" else self  # (argmax refuses bool)
        kept = (_ARGMAX if largest else _ARGMIN)(ranked, dim, True)
        values = indexing.gather(self, dim, kept) if self.ndim else elementwise.clone(self)
        if _keep(keepdim, keepdims) or self.ndim == 0:
            return ValuesIndices(values, kept)
        return ValuesIndices(shape.squeeze(values, dim), shape.squeeze(kept, dim))

    kind = "max" if largest else "min"
    method.__doc__ = (f"The {kind}imum: of everything; ``(values, indices)`` over ``dim`` (PyTorch); the values "
                      f"over ``axis`` (array API). ``x.{kind}(other)`` is elementwise.")
    return method


def _softmax(original: Any) -> Any:
    def method(self: Tensor, dim: int | None = None, dtype: Any = None, *, axis: int | None = None) -> Any:
        """``dim`` (or ``axis``) is required, as in PyTorch's method, ``torch.softmax`` and ``torch.special``'s:
        only ``F.softmax`` (and the layers) fall back on the implicit dim."""
        chosen = _axis(dim, axis)
        if chosen is None:
            raise TypeError(f'{original.__name__}() missing 1 required positional arguments: "dim" (only '
                            f"nn.functional.{original.__name__} chooses one implicitly)")
        return original(self, chosen, dtype=dtype)

    return method


_ARGMAX = _arg_reduction("argmax")
_ARGMIN = _arg_reduction("argmin")


def _where(self: Tensor, condition: Any, other: Any) -> Tensor:
    """``self`` where ``condition`` holds, else ``other`` (a tensor or a number)."""
    return where(condition, self, other)


def _truth(xp: Any, value: Any) -> Any:
    """``value != 0`` (a boolean array or Python bool) unless it is boolean: PyTorch's logical ops take any dtype,
    the standard's booleans only."""
    if isinstance(value, bool) or getattr(value, "dtype", None) == xp.bool:
        return value
    return value != 0


def _logical(name: str) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        xp = self.backend.xp
        refuse_numbers(name, other=other)  # (a tensor, as PyTorch's)
        check_one_backend(name, self, other)
        other = other.array if isinstance(other, Tensor) else other
        return Tensor._make(getattr(xp, name)(_truth(xp, self.array), _truth(xp, other)), self.backend, None, 0)

    return method


def _logical_not(self: Tensor) -> Tensor:
    """The negated truth values (nonzero is true), a boolean tensor; no argument, as PyTorch's (``x.logical_not(y)``
    was NumPy's ``logical_not(x, out=y)``)."""
    xp = self.backend.xp
    return Tensor._make(xp.logical_not(_truth(xp, self.array)), self.backend, None, 0)


def _unbind(self: Tensor, dim: int = 0) -> tuple[Tensor, ...]:
    refuse_bool_dims("unbind", dim)
    if self.ndim and self.shape[dim] == 0:  # no slices, as PyTorch's (split gives one empty piece)
        return ()
    return tuple(shape.squeeze(piece, dim) for piece in shape.split(self, 1, dim))


def _tensor_argument(name: str, other: Any) -> Any:
    """``other``, the Tensor argument of the method ``name``; PyTorch's TypeError for anything else (None, a list:
    AttributeError '... has no attribute' before)."""
    require_tensor(name, other, "other", 1)
    return other


def _expand_as(self: Tensor, other: Tensor) -> Tensor:
    """``self`` broadcast to ``other``'s shape. In an ONNX export anynn's own code reads ``None`` for a symbolic axis
    of ``other``: kept as it runs where ``self`` has that axis too, and broadcast to its `SymInt` where ``self`` has
    1 there (timm's ECA gate, ``y.expand_as(x)`` to a symbolic height and width, was refused)."""
    shape = tuple(_tensor_argument("expand_as", other).array.shape)
    lead = len(shape) - self.ndim
    if any(n is None and (i < lead or self.array.shape[i - lead] is not None) for i, n in enumerate(shape)):
        shape = other.backend.symbolic_shape(other.array)
    return broadcast.expand(self, shape)


def _split(self: Tensor, split_size: Any, dim: int = 0) -> tuple[Tensor, ...]:
    """``x.split(split_size, dim)``: PyTorch's method names its first argument ``split_size`` (``torch.split``'s is
    ``split_size_or_sections``); an int gives equal pieces, a list the pieces' sizes."""
    return shape.split(self, split_size, dim)


def _t(self: Tensor) -> Tensor:
    if self.ndim > 2:
        raise ShapeMismatchError(f"t() expects a tensor with at most 2 dimensions, got shape {self.shape}")
    return self if self.ndim < 2 else shape.transpose(self, 0, 1)


METHODS: dict[str, Any] = {
    "sum": _reduction(reduce.sum), "mean": _reduction(reduce.mean), "logsumexp": _logsumexp,
    "softmax": _softmax(activation.softmax), "log_softmax": _softmax(activation.log_softmax),
    "max": _extreme(True), "min": _extreme(False),
    "amax": _reduction_without_dtype(reduce.max, "amax"), "amin": _reduction_without_dtype(reduce.min, "amin"),
    "argmax": _ARGMAX, "argmin": _ARGMIN,
    "norm": matrix_norm.norm, "masked_fill": elementwise.masked_fill, "where": _where,
    "split": _split, "chunk": shape.chunk, "unbind": _unbind,
    "squeeze": shape.squeeze, "unsqueeze": shape.unsqueeze,
    "expand": broadcast.expand, "broadcast_to": broadcast.expand,
    "expand_as": _expand_as,
    "repeat": broadcast.repeat, "clone": elementwise.clone,
    "pow": lambda self, exponent: self ** exponent,
    "mul": lambda self, other: self * other,  # add, sub, div (with alpha= / rounding_mode=): tensor_math
    "matmul": lambda self, other: self @ other, "neg": lambda self: -self,
    "square": lambda self: self ** 2,
    "clamp_min": lambda self, min: elementwise.clip(self, min=min),  # noqa: A006 - PyTorch's name
    "clamp_max": lambda self, max: elementwise.clip(self, max=max),  # noqa: A006
    "type_as": lambda self, other: self.astype(_tensor_argument("type_as", other).dtype),
    "t": _t,
    "all": _arg_reduction("all"), "any": _arg_reduction("any"),
    "logical_not": _logical_not, "logical_and": _logical("logical_and"),
    "logical_or": _logical("logical_or"),
}


def _var(self: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
         correction: float | None = None, axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Variance with PyTorch's default (unbiased, ``correction=1``), as `anynn.functional.var` and `anynn.var`."""
    dim, unbiased = unbiased_given_first(dim, unbiased)
    if correction is None:
        correction = 0.0 if unbiased is False else 1.0
    return reduce.var(self, _reduced_dims(dim, axis), keepdim if keepdims is None else keepdims, float(correction))


def _std(self: Tensor, dim: Any = None, unbiased: bool | None = None, keepdim: bool = False, *,
         correction: float | None = None, axis: Any = None, keepdims: bool | None = None) -> Tensor:
    """Standard deviation, the square root of `Tensor.var` (same arguments and defaults). Where it is 0 (a lane of
    equal values) the gradient is 0, as PyTorch's (the square root's own is inf there: inf * 0 = NaN).

    float32: where the variance leaves float32's normal range (deviations beyond ~1.8e19 or below ~1e-19) while
    the std itself is within it, the lanes are computed again as ``s * std(x / s)`` with ``s`` each lane's largest
    deviation (a constant to autograd: the identity holds for any s), finite and accurate as PyTorch's double
    accumulation; the common case pays one check of the variances."""
    dim, unbiased = unbiased_given_first(dim, unbiased)
    if dtype_name(self.dtype) in ("float16", "bfloat16"):  # in float32, as PyTorch: the variance of a float16
        return _std(self.float(), dim, unbiased, keepdim, correction=correction, axis=axis,  # std above 256
                    keepdims=keepdims).to(self.dtype)  # overflows float16
    variance = _var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)
    xp, a = variance.backend.xp, variance.array
    if a.dtype == xp.float32:
        tiny = 1.1754944e-38  # float32's smallest normal number
        if any_true(variance.backend, xp.isinf(a) | ((a > 0) & (a < tiny)), if_traced=True):
            return _rescaled_std(self, dim, unbiased, keepdim, correction, axis, keepdims)
    return _square_root(variance)


def _square_root(variance: Tensor) -> Tensor:
    xp, a = variance.backend.xp, variance.array
    zero = a == 0
    root = elementwise.sqrt(elementwise.where(zero, xp.ones_like(a), variance))
    return elementwise.where(zero, xp.zeros_like(a), root)


def _rescaled_std(self: Tensor, dim: Any, unbiased: bool | None, keepdim: bool, correction: float | None,
                  axis: Any, keepdims: bool | None) -> Tensor:
    """``s * std(x / s)``, ``s`` the largest ``|x - mean|`` of each lane (1 where that is 0), detached; the largest
    ``|x|`` where the mean itself overflowed (``[1e38, 3e38, -3e38]``: the deviations were inf, the std NaN)."""
    dims, keep = _reduced_dims(dim, axis), _keep(keepdim, keepdims)
    xp, a = self.backend.xp, self.array
    largest = xp.max(xp.abs(a - xp.mean(a, axis=dims, keepdims=True)), axis=dims, keepdims=True)
    largest = xp.where(xp.isfinite(largest), largest, xp.max(xp.abs(a), axis=dims, keepdims=True))
    scale = xp.where(largest == 0, xp.ones_like(largest), largest)
    variance = _var(self / Tensor._make(scale, self.backend, None, 0), dims, unbiased, keep, correction=correction)
    lanes = Tensor._make(scale if keep else xp.reshape(scale, tuple(variance.shape)), self.backend, None, 0)
    return _square_root(variance) * lanes


METHODS["var"] = _var
METHODS["std"] = _std


# -- top-level functions with PyTorch's names (``anynn.cat``, ``anynn.sum``...) -------------------------
def cat(tensors: Any, dim: int = 0, *, axis: int | None = None) -> Any:
    """Join tensors along an existing axis ``dim``."""
    refuse_single_tensor("cat", tensors)
    return shape.concat(list(tensors), _axis(dim if axis is None else None, axis))


concat = cat


def stack(tensors: Any, dim: int = 0, *, axis: int | None = None) -> Any:
    """Join tensors along a new axis ``dim``."""
    refuse_single_tensor("stack", tensors)
    return shape.stack(list(tensors), _axis(dim if axis is None else None, axis))


_uint8_where_warned = [False]  # PyTorch warns once per process (TORCH_WARN_ONCE)


def where(condition: Any, input: Any = None, other: Any = None) -> Any:  # noqa: A002 - PyTorch's name
    """``input`` where ``condition`` holds, else ``other``; either (or both) may be a Python number.

    A number takes the tensor operand's dtype (float32 when it is a float meeting an integer tensor, or when both
    are numbers, as PyTorch's default dtype); ``where(condition)`` alone is ``condition.nonzero(as_tuple=True)``.
    """
    if input is None and other is None:
        from .set_ops import nonzero  # (a 0-d condition too: the standard's nonzero refuses it)

        return nonzero(condition, as_tuple=True)
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else condition
    if not isinstance(like, Tensor):
        raise TypeError("where needs a Tensor among condition, input and other")
    check_one_backend("where", condition, input, other)
    kind = dtype_name((condition.array if isinstance(condition, Tensor) else condition).dtype)
    if kind not in ("bool", "uint8"):  # (uint8: PyTorch's deprecated mask, accepted with its warning)
        raise RuntimeError(f"where expected condition to be a boolean tensor, but got a tensor with dtype {kind}")
    if kind == "uint8":  # read as condition != 0 (the standard's where takes booleans only: array_api_strict)
        if not _uint8_where_warned[0]:
            _uint8_where_warned[0] = True
            warnings.warn("where received a uint8 condition tensor. This behavior is deprecated and will be removed "
                          "in a future version of PyTorch. Use a boolean condition instead.", UserWarning, stacklevel=2)
        condition = condition != 0
    xp, be = like.backend.xp, like.backend
    if isinstance(input, Tensor) and isinstance(other, Tensor):  # promoted together, as PyTorch does
        input, other = kinds_agree(None, input, other)
        dtype = xp.result_type(input.array.dtype, other.array.dtype)
    elif like is condition:  # two numbers: PyTorch's dtype of the pair (float32 for a float, int64, bool)
        dtype = be.dtype(_numbers_dtype(input, other))
    else:  # a tensor and a number: torch.result_type (bool with 2 is int64, complex64 with 1.5 stays complex)
        number = other if like is input else input
        dtype = like.array.dtype if be.is_native(number) else be.dtype(result_type(like, number).name)

    def as_tensor(value: Any) -> Any:
        if isinstance(value, Tensor) or be.is_native(value):
            return value.astype(dtype) if isinstance(value, Tensor) and value.array.dtype != dtype else value
        # in the dtype's range as PyTorch converts it (uint8: -1 is 255), else refused (300 became 44 in uint8)
        value = integer_fill(xp, dtype, value, "where", wrapped=True)
        return Tensor._make(xp.full_like(like.array, value, dtype=dtype), be, None, 0)

    return elementwise.where(condition, as_tensor(input), as_tensor(other))


def _numbers_dtype(a: Any, b: Any) -> str:
    """The dtype name of ``where`` of two Python numbers, as PyTorch: complex, float (the default), int64 or bool."""
    if any(isinstance(v, complex) for v in (a, b)):
        return "complex128" if default_float() == "float64" else "complex64"
    if any(isinstance(v, float) for v in (a, b)):
        return default_float()
    return "bool" if all(isinstance(v, bool) for v in (a, b)) else "int64"


def _function(method_name: str) -> Any:
    def function(input: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
        return getattr(input, method_name)(*args, **kwargs)

    function.__name__ = method_name
    function.__doc__ = f"``anynn.{method_name}(x, ...)`` is ``x.{method_name}(...)``; see `Tensor`."
    return function


matmul = linalg.matmul
exp, log, sqrt, abs = elementwise.exp, elementwise.log, elementwise.sqrt, elementwise.abs  # noqa: A001
clamp = elementwise.clip
sum = _function("sum")  # noqa: A001 - PyTorch's names
mean = _function("mean")
max = _function("max")  # noqa: A001
min = _function("min")  # noqa: A001
amax, amin = _function("amax"), _function("amin")
argmax, argmin = _function("argmax"), _function("argmin")
softmax, log_softmax = _function("softmax"), _function("log_softmax")
norm = matrix_norm.norm
masked_fill, clone = elementwise.masked_fill, elementwise.clone
split, chunk, squeeze, unsqueeze = shape.split, shape.chunk, shape.squeeze, shape.unsqueeze
reshape = _function("reshape")
flatten = _function("flatten")
transpose = _function("transpose")
permute = _function("permute")
