"""Reductions: sum, mean, max/min, logsumexp, var, the vector p-norm.

``axis`` is an int, a tuple of ints or ``None`` (all axes); ``keepdims`` keeps reduced axes as 1.
"""

from __future__ import annotations

import math
import operator
import warnings
from typing import Any

from ..autograd.primitive import Function
from ..autograd.tensor import Tensor
from ..backend import dtype_name
from ..backend.typing import Namespace
from .formulas.conjugate import abs_squared, conj, is_complex, sign
from .precision import is_low_precision
from .value_checks import (EmptyReductionError, InvalidValueError, UnsupportedDTypeError, check_floating,
                           check_reducible, refuse_complex)


def _axes(axis: Any, ndim: int) -> tuple[int, ...]:
    """Normalised, checked axes; a 0-d array accepts axis 0 / -1 (as PyTorch) and reduces nothing. A bool is refused,
    as PyTorch's (``x.sum(True)``, ``x.sum((True,))`` are no ``dim=1``; its parser reads a tuple's first entry only)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, bool) or (isinstance(axis, (tuple, list)) and axis and isinstance(axis[0], bool)):
        raise TypeError(f"dim must be an int or a tuple of ints, got {axis!r} (a bool), as in PyTorch; pass "
                        f"keepdim=... by name")
    if isinstance(axis, int) or hasattr(axis, "__index__"):
        axis = (axis,)
    bound = ndim or 1  # (the builtin max is shadowed in this module)
    out = []
    for a in axis:
        try:
            a = operator.index(a)
        except TypeError:  # (a str's letters went to int(): ValueError)
            raise TypeError(f"dim must be an int or a tuple of ints, got {axis!r}, as in PyTorch") from None
        if not -bound <= a < bound:
            raise IndexError(f"axis {a} is out of range for an array of {ndim} dimensions")
        a %= bound
        if a in out:
            raise InvalidValueError(f"dim {a} appears multiple times in the list of dims {tuple(axis)}")
        out.append(a)
    return tuple(out) if ndim else ()


def _expand(xp: Namespace, g: Any, axes: tuple[int, ...], keepdims: bool, shape: tuple[int, ...]) -> Any:
    """Put reduced axes back into ``g`` so it broadcasts against an array of ``shape``."""
    if not keepdims and axes and g.ndim:  # (a 0-d g, every axis reduced, broadcasts as it is)
        kept = [1 if i in axes else n for i, n in enumerate(shape)]
        g = xp.reshape(g, tuple(kept))
    return g


class Sum(Function):
    axis: Any
    keepdims: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.shape = tuple(a.shape)
        self.axes = _axes(self.axis, a.ndim)
        if not xp.isdtype(a.dtype, "real floating"):
            # booleans and integers count in int64, as PyTorch (the standard's sum refuses booleans; uint64 too,
            # whose entries past 2**63 wrap as PyTorch's)
            if xp.isdtype(a.dtype, ("bool", "integral")):
                return xp.sum(xp.astype(a, xp.int64), axis=self.axes, keepdims=self.keepdims)
        return xp.sum(a, axis=self.axes, keepdims=self.keepdims)

    def backward(self, xp: Namespace, g: Any) -> Any:
        g = _expand(xp, g, self.axes, self.keepdims, self.shape)
        return xp.broadcast_to(g, self.shape)


class Mean(Function):
    axis: Any
    keepdims: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.shape = tuple(a.shape)
        self.axes = _axes(self.axis, a.ndim)
        if any(self.shape[ax] == 0 for ax in self.axes):  # NaN, as PyTorch's (NumPy's mean warns of an empty slice)
            return xp.sum(a, axis=self.axes, keepdims=self.keepdims) * float("nan")
        return xp.mean(a, axis=self.axes, keepdims=self.keepdims)

    def backward(self, xp: Namespace, g: Any) -> Any:
        count = 1
        for ax in self.axes:
            count *= self.shape[ax]
        g = _expand(xp, g, self.axes, self.keepdims, self.shape)
        return xp.broadcast_to(g / float(count), self.shape)


def _dropped(xp: Namespace, out: Any, axes: tuple[int, ...]) -> Any:
    """``out`` (a reduction kept with ``keepdims``) without its reduced axes of size 1: a squeeze, not a reshape to
    the other sizes, so the axes left may be any number of symbolic ones (an ONNX export with ``dynamic_axes``)."""
    return xp.squeeze(out, axis=axes) if axes else out


class Max(Function):
    """Maximum (``largest=True``) or minimum; ties share the gradient equally (as ``torch.amax``)."""

    ties_constant_gradient = False  # the gradient through the positions of the extremes

    axis: Any
    keepdims: bool
    largest: bool = True

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        self.axes = _axes(self.axis, a.ndim)
        reduce = xp.max if self.largest else xp.min
        self.out = reduce(a, axis=self.axes, keepdims=True)
        return self.out if self.keepdims else _dropped(xp, self.out, self.axes)

    def backward(self, xp: Namespace, g: Any) -> Any:
        shape = tuple(self.a.shape)
        mask = xp.astype(self.a == self.out, g.dtype)
        count = xp.sum(mask, axis=self.axes, keepdims=True)
        g = _expand(xp, g, self.axes, self.keepdims, shape)
        return g * mask / count


class LogSumExp(Function):
    axis: Any
    keepdims: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        self.axes = _axes(self.axis, a.ndim)
        if any(a.shape[ax] == 0 for ax in self.axes):  # log(0) = -inf, as PyTorch's (a max of nothing fails)
            self.out = xp.log(xp.sum(xp.exp(a), axis=self.axes, keepdims=True))
            return self.out if self.keepdims else _dropped(xp, self.out, self.axes)
        if is_complex(xp, a):  # complex: shift by the largest real part (an order of complex numbers has no max)
            peak = xp.astype(xp.max(xp.real(a), axis=self.axes, keepdims=True), a.dtype)
        else:
            peak = xp.max(a, axis=self.axes, keepdims=True)
        peak = xp.where(xp.isfinite(peak), peak, xp.zeros_like(peak))
        self.out = xp.log(xp.sum(xp.exp(a - peak), axis=self.axes, keepdims=True)) + peak
        return self.out if self.keepdims else _dropped(xp, self.out, self.axes)

    def backward(self, xp: Namespace, g: Any) -> Any:
        g = _expand(xp, g, self.axes, self.keepdims, tuple(self.a.shape))
        return g * conj(xp, xp.exp(self.a - self.out))


class Norm(Function):
    """Vector p-norm over ``axis`` (all axes when ``None``): ``p`` > 0 or ``math.inf``.

    Where the norm is zero the gradient is zero, as in PyTorch.
    """

    p: float
    axis: Any
    keepdims: bool

    def forward(self, xp: Namespace, a: Any) -> Any:
        self.a = a
        self.axes = _axes(self.axis, a.ndim)
        p = self.p
        low = is_low_precision(xp, a.dtype)
        if low:  # float16 squares overflow from |x| ~ 256: summed in float32 and cast back, as PyTorch's kernels
            a = xp.astype(a, xp.float32)
        if p == math.inf:
            out = xp.max(xp.abs(a), axis=self.axes, keepdims=True)
        elif p == 2:
            out = xp.sqrt(xp.sum(abs_squared(xp, a), axis=self.axes, keepdims=True))
        elif p == 1:
            out = xp.sum(xp.abs(a), axis=self.axes, keepdims=True)
        else:
            out = xp.sum(xp.abs(a) ** p, axis=self.axes, keepdims=True) ** (1.0 / p)
        self.out = out  # (float32 for a low-precision input: its backward divides by it)
        if low:
            out = xp.astype(out, self.a.dtype)
        return out if self.keepdims else _dropped(xp, out, self.axes)

    def backward(self, xp: Namespace, g: Any) -> Any:
        if is_low_precision(xp, self.a.dtype):  # in float32, as the forward
            return xp.astype(self._backward(xp, xp.astype(self.a, xp.float32), xp.astype(g, xp.float32)),
                             self.a.dtype)
        return self._backward(xp, self.a, g)

    def _backward(self, xp: Namespace, a: Any, g: Any) -> Any:
        out, p = self.out, self.p
        g = _expand(xp, g, self.axes, self.keepdims, tuple(a.shape))
        if p == 1:
            return g * sign(xp, a)
        if p == math.inf:
            mask = xp.astype(xp.abs(a) == out, a.dtype)
            return g * sign(xp, a) * mask / xp.sum(mask, axis=self.axes, keepdims=True)
        safe = xp.where(out == 0, xp.ones_like(out), out)
        if p == 2:
            return g * a / safe
        # 0 at a zero element, as PyTorch's (|a| ** (p - 1) is inf there when p < 1: kept out of the power)
        magnitude = xp.abs(a)  # (real: a complex 1 beside it made a recorded gradient of |a| complex)
        magnitude = xp.where(a == 0, xp.ones_like(magnitude), magnitude)
        return g * sign(xp, a) * (magnitude / safe) ** (p - 1)



def _torch_names(axis: Any, keepdims: bool, dim: Any, keepdim: bool | None) -> tuple[Any, bool]:
    """Accept PyTorch's spellings ``dim`` / ``keepdim`` as well as the array API's ``axis`` / ``keepdims``."""
    if dim is not None:
        if axis is not None:
            raise TypeError("give either axis or dim, not both")
        axis = dim
    if isinstance(axis, list):
        axis = tuple(axis)
    return axis, bool(keepdims if keepdim is None else keepdim)


def sum(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Any:
    """Sum over ``axis`` (an int, a tuple, or None for all); ``dim``/``keepdim`` are accepted too."""
    axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
    return Sum.apply(x, axis=axis, keepdims=keepdims)


def mean(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None, keepdim: bool | None = None) -> Any:
    """Mean over ``axis``/``dim`` (all axes when ``None``), keeping them with size 1 if ``keepdims``/``keepdim``;
    floating x only."""
    check_floating("mean", x, "pass dtype= or cast it first (x.float())")
    axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
    return Mean.apply(x, axis=axis, keepdims=keepdims)


def max(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Any:
    """Maximum values (like ``torch.amax``: ties share the gradient; no indices are returned)."""
    refuse_complex("max", x)
    axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
    check_reducible("amax", x, axis)
    if isinstance(x, Tensor) and x.backend.xp.isdtype(x.array.dtype, "bool"):  # the standard's max is numeric only
        return Max.apply(x.astype("uint8"), axis=axis, keepdims=keepdims, largest=True).astype("bool")
    return Max.apply(x, axis=axis, keepdims=keepdims, largest=True)


def min(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,  # noqa: A001
        keepdim: bool | None = None) -> Any:
    """Minimum values (like ``torch.amin``)."""
    refuse_complex("min", x)
    axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
    check_reducible("amin", x, axis)
    if isinstance(x, Tensor) and x.backend.xp.isdtype(x.array.dtype, "bool"):  # the standard's min is numeric only
        return Max.apply(x.astype("uint8"), axis=axis, keepdims=keepdims, largest=False).astype("bool")
    return Max.apply(x, axis=axis, keepdims=keepdims, largest=False)


def logsumexp(x: Any, axis: Any = None, keepdims: bool = False, *, dim: Any = None,
              keepdim: bool | None = None) -> Any:
    """``log(sum(exp(x)))`` over ``axis``/``dim``, shifted by the maximum so it does not overflow; integers become
    float32."""
    from .elementwise import as_floating

    axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
    # integers and booleans in float32, as PyTorch's (NumPy's promotion gave float16 for uint8: exp(255) is inf)
    return LogSumExp.apply(as_floating(x), axis=axis, keepdims=keepdims)


def var(x: Any, axis: Any = None, keepdims: bool = False, correction: float = 1.0, *, dim: Any = None,
        keepdim: bool | None = None, unbiased: bool | None = None) -> Any:
    """Variance ``sum((x - mean)^2) / (n - correction)`` with PyTorch's default ``correction=1`` (unbiased), the
    same default as ``x.var()`` and ``anynn.var`` (the array API's ``xp.var`` defaults to 0). ``unbiased=True``
    means ``correction=1``, ``unbiased=False`` ``correction=0``."""
    check_floating("var", x)
    axis, keepdims = _torch_names(axis, keepdims, dim, keepdim)
    if unbiased is not None:
        correction = 1.0 if unbiased else 0.0
    if is_low_precision(x.backend.xp, x.array.dtype):  # squared deviations in float32, as PyTorch's kernels
        return var(x.float(), axis=axis, keepdims=keepdims, correction=correction).to(x.dtype)
    axes = _axes(axis, x.ndim)
    if any(x.shape[ax] is None for ax in axes):  # a symbolic axis (ONNX export): the count as the graph runs
        return _symbolic_var(x, axis, axes, keepdims, correction)
    count = 1
    for ax in axes:
        count *= x.shape[ax]
    freedom = count - correction
    centre = mean(x, axis=axis, keepdims=True)
    if freedom <= 0:  # PyTorch's warning, and its divisor: none left is 0 (NaN, or inf for a spread)
        warnings.warn("var(): degrees of freedom is <= 0. Correction should be strictly less than the reduction "
                      "factor (input numel divided by output numel).", UserWarning, stacklevel=2)
        freedom = 0.0
        # the mean's gradient (zero: the deviations sum to 0) would be inf - inf here; PyTorch's is left out too,
        # so a spread's gradient is inf signed as its deviation, not NaN
        centre = centre.detach()
    centred = x - centre
    if centred.is_complex():  # |x - mean|², real, as PyTorch's variance of complex tensors
        squares = centred.real * centred.real + centred.imag * centred.imag
    else:
        squares = centred * centred
    return sum(squares, axis=axis, keepdims=keepdims) / float(freedom)


def _symbolic_var(x: Any, axis: Any, axes: tuple[int, ...], keepdims: bool, correction: float) -> Any:
    """`var` over axes of which one is symbolic (an ONNX export with it in dynamic_axes): divided by the count read
    from the array as the graph runs, less ``correction`` (no count left gives inf or NaN, as PyTorch's divisor 0)."""
    from ..autograd.tensor import make_tensor
    from .formulas.counts import element_count

    xp = x.backend.xp
    freedom = element_count(xp, x.array, axes) - correction  # (the recording library has no complex dtype)
    centred = x - mean(x, axis=axis, keepdims=True)
    squares = centred * centred
    return sum(squares, axis=axis, keepdims=keepdims) / make_tensor(freedom, x.backend, None, 0)


class NonzeroCount(Function):
    """The nonzeros of x (any shape) counted over ``axis``, in x's dtype: the norm of order 0. Recorded, so the result
    requires grad as PyTorch's, but its backward gives x no gradient (None: ``x.grad`` stays None after
    ``backward()``, as PyTorch's, where a zero derivative would be stored as zeros)."""

    axis: tuple[int, ...]
    keepdims: bool

    def forward(self, xp: Namespace, x: Any) -> Any:
        return xp.sum(xp.astype(x != 0, x.dtype), axis=self.axis, keepdims=self.keepdims)

    def backward(self, xp: Namespace, g: Any) -> None:
        return None


def _nonpositive_norm(x: Any, p: float, dim: Any, keepdim: bool) -> Any:
    """PyTorch's norms of order ``p <= 0`` over ``dim``: ``-inf`` the smallest magnitude; ``0`` the count of nonzeros,
    on the graph without a gradient (`NonzeroCount`); a negative ``p`` 0 on a lane holding a zero, with gradient 0 over
    that lane (``|0| ** p`` is inf there)."""
    from .elementwise import where

    xp = x.backend.xp
    if p == -math.inf:
        return min(abs(x), axis=dim, keepdims=keepdim)
    if p == 0:
        if xp.isdtype(x.array.dtype, "complex floating"):
            x = abs(x)  # a count is real: the magnitudes' (nonzero where x is)
        return NonzeroCount.apply(x, axis=_axes(dim, x.ndim), keepdims=keepdim)
    zero = x.array == 0
    safe = where(zero, xp.ones_like(x.array), x)
    value = (abs(safe) ** p).sum(dim=dim, keepdim=keepdim) ** (1.0 / p)
    return where(xp.any(zero, axis=dim, keepdims=keepdim), xp.zeros_like(value.array), value)


def cast_for_norm(name: str, x: Tensor, dtype: Any) -> Tensor:
    """``x`` checked as PyTorch's norms check it (floating point or complex, whatever ``dtype``) and cast to
    ``dtype`` where one is given: a floating or complex dtype of ``x``'s kind that ``x`` promotes to without
    narrowing (``float64`` into ``float32`` and a real ``x`` into a complex dtype are refused)."""
    from .type_promotion import promote_types

    check_floating(name, x, "cast it first (x.float())")
    if dtype is None:
        return x
    given, wanted = dtype_name(x.dtype), dtype_name(dtype)
    if not (wanted.startswith("float") or wanted.startswith("bfloat") or wanted.startswith("complex")):
        raise UnsupportedDTypeError(f"{name}: dtype should be floating point or complex, but got {wanted}")
    if given.startswith("complex") != wanted.startswith("complex"):
        kind = "complex" if given.startswith("complex") else "real"
        raise UnsupportedDTypeError(f"{name}: dtype should be {kind} for {kind} inputs, but got {wanted}")
    if dtype_name(promote_types(given, wanted)) != wanted:
        raise UnsupportedDTypeError(f"{name}: the dtype of the input ({given}) should be convertible without "
                                    f"narrowing to the specified dtype ({wanted})")
    return x.astype(dtype)


def norm(x: Any, p: Any = 2, dim: Any = None, keepdim: bool = False, *, dtype: Any = None) -> Any:
    """The vector ``p``-norm over ``dim`` (all elements when ``None``); ``p="fro"`` is 2, ``"inf"`` the max; ``0``,
    a negative ``p`` and ``-inf`` as `anynn.linalg.vector_norm` (PyTorch's); ``dtype`` casts ``x`` first (see
    `cast_for_norm`)."""
    x = cast_for_norm("norm", x, dtype)
    if p in ("fro", None):
        p = 2
    p = math.inf if p in ("inf", float("inf")) else float(p)
    if isinstance(dim, (list, tuple)):
        dim = tuple(dim) or None  # (an empty list of dims is every dim, as PyTorch's norm reads it)
    if p < 0 or p == math.inf:  # a max, a min or a sum of inverses: no identity over no elements
        empty = [d for d in ((dim,) if isinstance(dim, int) else dim or ()) if x.shape[d] == 0]
        if empty or (dim is None and 0 in tuple(x.shape)):
            where = f"on the dimension {empty[0]} because this dimension is empty" if empty else "on an empty tensor"
            raise EmptyReductionError(f"linalg.vector_norm cannot compute the {p:g} norm {where} (the operation "
                                      f"does not have an identity)")
    if p <= 0:
        return _nonpositive_norm(x, p, dim, keepdim)
    if math.isnan(p):
        raise ValueError("norm: p must be a number or inf, got nan")
    return Norm.apply(x, p=p, axis=dim, keepdims=keepdim)
