"""The differentiable namespace: the array API spelt with anynn Tensors and recorded Functions.

`anynn.autograd.double_backward` runs a Function's own ``forward``/``backward`` with ``xp`` set to a
`DifferentiableNamespace` when ``create_graph=True``: each call here records one node (``exp`` is `Exp`,
``sum`` is `Sum`, ``where`` is `Where`...), so the gradient formulas written once in ``xp`` give a gradient
that is itself differentiable. Results that carry no derivative (comparisons, ``sign``, ``argmax``, new
arrays) are constant Tensors. A function of the array API without a differentiable form here raises
`DoubleBackwardError` naming it. Fast paths (``op(backend, name)``) resolve to their portable versions on
this namespace, except a few kept as recorded primitives (``erf``, ``scatter_add``, ``matmul``).
"""

from __future__ import annotations

import builtins
import math
from types import SimpleNamespace
from typing import Any

from ..autograd.double_backward import DoubleBackwardError, register_namespace
from ..autograd.primitive import Function
from ..autograd.tensor import Tensor, make_tensor
from ..backend import arrays as _arrays
from ..backend import op, portable
from ..backend.typing import Namespace
from . import (activation, broadcast, cholesky, complex_numbers, eigen_general, elementwise, fourier, linalg,
               matrix_inverse, pinv, products, reduce, shape, sorting, spectral, unary)
from .binary_math import Atan2, Hypot, LogAddExp
from .formulas.conjugate import conj
from .fused_recorded import SLOPES

_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16",
                     "bfloat16", "float32", "float64", "complex64", "complex128"})
_CONSTANTS = frozenset({"e", "pi", "inf", "nan", "newaxis", "__array_api_version__", "__name__"})
# functions whose result carries no derivative: computed on the raw arrays, returned as constant Tensors
_NO_DERIVATIVE = ("sign", "floor", "ceil", "trunc", "round", "isnan", "isinf", "isfinite", "logical_and",
                  "logical_or", "logical_xor", "logical_not", "bitwise_invert", "bitwise_and", "bitwise_or",
                  "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "argmax", "argmin",
                  "argsort", "nonzero", "searchsorted", "unique_values", "unique_counts", "unique_inverse",
                  "count_nonzero", "any", "all", "floor_divide", "signbit", "zeros", "ones", "full", "empty",
                  "arange", "eye", "linspace", "zeros_like", "ones_like", "full_like", "empty_like", "tril_indices")
# ``xp.linalg`` in a recorded backward: each decomposition as its recorded Function
_LINALG = SimpleNamespace(**vars(matrix_inverse.RECORDED), **vars(cholesky.RECORDED), **vars(spectral.RECORDED),
                          **vars(pinv.RECORDED), **vars(eigen_general.RECORDED))


class RecordingBackend:
    """The Backend seen by a Function during a recorded backward: ``xp`` is the differentiable namespace,
    fast paths are the recorded ones (or the portable versions), and every array counts as traced (host
    checks ran in the first forward). Everything else is the real backend's."""

    def __init__(self, base: Any, namespace: "DifferentiableNamespace") -> None:
        self.base = base
        self.xp = namespace
        self._namespace = namespace

    def fast_path(self, name: str) -> Any:
        return self._namespace.fast_paths.get(name)

    def is_traced(self, array: Any) -> bool:
        return True

    def __getattr__(self, name: str) -> Any:
        return getattr(self.base, name)


class ScatterAddRows(Function):
    """``out[index[i]] += values[i]`` into ``num_rows`` zero rows (the adjoint of `shape.Take`)."""

    num_rows: int

    def forward(self, xp: Namespace, index: Any, values: Any) -> Any:
        self.index = index
        return op(self.backend, "scatter_add")(index, values, self.num_rows)

    def backward(self, xp: Namespace, g: Any) -> tuple[None, Any]:
        return None, xp.take(g, self.index, axis=0)


class _ActivationGrad(Function):
    """``grad(g, y)``: a fused activation-gradient fast path (``g * f'(x)`` from the saved output ``y``) as one
    recorded node; its own derivative is ``(grad(gg, y), gg * g * d f'/d y)``."""

    kernel: str

    def forward(self, xp: Namespace, g: Any, y: Any) -> Any:
        self.g, self.y = g, y
        return op(self.backend, self.kernel)(g, y)

    def backward(self, xp: Namespace, gg: Any) -> tuple[Any, Any]:
        need_g, need_y = self.needs_input_grad
        g, y = self.g, self.y
        # conj: PyTorch's rule for complex (the value is holomorphic in g and y); the identity for real arrays
        grad_g = op(self.backend, self.kernel)(gg, conj(xp, y)) if need_g else None
        grad_y = None
        if need_y and self.kernel != "relu_grad":  # relu's f' is piecewise constant in y
            grad_y = gg * conj(xp, g * SLOPES[self.kernel](y))
        return grad_g, grad_y


class DifferentiableNamespace:
    """The array API over anynn Tensors of one backend, recording each differentiable call."""

    def __init__(self, backend: Any) -> None:
        self._base = backend
        self._xp = backend.xp
        self.backend = RecordingBackend(backend, self)
        self.fast_paths = {
            "erf": lambda x: unary.erf(x),
            "matmul": lambda a, b: self.matmul(a, b),
            "scatter_add": lambda index, values, num_rows: ScatterAddRows.apply(
                self._raw(index), self._tensor(values), num_rows=num_rows),
        }
        for kernel in ("relu_grad", "sigmoid_grad", "tanh_grad"):
            self.fast_paths[kernel] = lambda g, y, kernel=kernel: _ActivationGrad.apply(g, y, kernel=kernel)
        # a backward's op(backend, "sigmoid"): the Function, whose derivatives are exact at 0 (the stable formula's
        # min(x, 0) and |x| have ties there, which made third derivatives of softplus and log_sigmoid off)
        self.fast_paths["sigmoid"] = lambda x: activation.SigmoidFunction.apply(self._tensor(x))
        # a backward's op(backend, "square_grad") (``x ** 2``'s): PyTorch's pow_backward, g * 2 x^1, whose recorded
        # x^1 makes the second derivative a function of x (its own is zero), as PyTorch's x.pow(0) does
        self.fast_paths["square_grad"] = lambda g, a: g * (2.0 * self._tensor(a) ** 1)

    def __repr__(self) -> str:
        return f"DifferentiableNamespace({self._base.key!r})"

    def __getattr__(self, name: str) -> Any:
        if name in _DTYPES or name in _CONSTANTS:
            return getattr(self._xp, name)
        if name in _NO_DERIVATIVE:
            return self._constant_function(name)
        if name in unary.FUNCTIONS:  # log1p, expm1, tan, sinh, asin, ... (their derivative is written in unary.py)
            return unary.FUNCTIONS[name]
        if name == "linalg":  # inv, det, slogdet, solve, cholesky, eigh, eig, svd, qr, pinv as recorded Functions
            return _LINALG
        if name == "fft":  # fftn, ifftn, rfftn as the transforms' recorded Functions
            return fourier.RECORDED
        raise DoubleBackwardError(f"create_graph=True: the array function xp.{name} has no differentiable form in "
                                  f"anynn's recorded backward; the Function using it has no second-order rule yet")

    # -- plumbing ---------------------------------------------------------------------------------------------
    def _tensor(self, x: Any, like: Any = None) -> Any:
        """``x`` as a Tensor: Tensors as they are, native arrays as constants, numbers in ``like``'s dtype."""
        if isinstance(x, Tensor):
            return x
        if isinstance(x, (bool, int, float)) and not isinstance(x, bool) or isinstance(x, bool):
            if like is None:
                raise TypeError("a Python number needs an array beside it")
            like = self._raw(like)
            return self._const(self._xp.full_like(like, x))
        return self._const(x)

    def _const(self, data: Any) -> Tensor:
        return make_tensor(data, self._base, None, 0)

    @staticmethod
    def _raw(x: Any) -> Any:
        return x.array if isinstance(x, Tensor) else x

    def _raw_dtype(self, dtype: Any) -> Any:
        return None if dtype is None else self._base.dtype(dtype)

    def _constant_function(self, name: str) -> Any:
        function = getattr(self._xp, name)

        def constant(*args: Any, **kwargs: Any) -> Any:
            args = tuple(self._raw(a) if not isinstance(a, (list, tuple)) else type(a)(self._raw(v) for v in a)
                         for a in args)
            kwargs = {k: self._raw(v) for k, v in kwargs.items()}
            if "device" in kwargs:
                kwargs["device"] = self._base.device
            if "dtype" in kwargs and kwargs["dtype"] is not None:
                kwargs["dtype"] = self._raw_dtype(kwargs["dtype"])
            out = function(*args, **kwargs)
            if isinstance(out, tuple):
                return type(out)(*(self._const(o) for o in out)) if hasattr(out, "_fields") else tuple(
                    self._const(o) for o in out)
            return self._const(out)

        constant.__name__ = name
        return constant

    # -- array facts (not recorded) -----------------------------------------------------------------------------
    def isdtype(self, dtype: Any, kind: Any) -> bool:
        return self._xp.isdtype(self._raw_dtype(dtype), kind)

    def finfo(self, dtype: Any) -> Any:
        return self._xp.finfo(self._raw_dtype(dtype) if not isinstance(dtype, Tensor) else dtype.array.dtype)

    def iinfo(self, dtype: Any) -> Any:
        return self._xp.iinfo(self._raw_dtype(dtype) if not isinstance(dtype, Tensor) else dtype.array.dtype)

    def result_type(self, *args: Any) -> Any:
        return self._xp.result_type(*(a.array.dtype if isinstance(a, Tensor) else
                                      (self._raw_dtype(a) if not isinstance(a, (int, float)) else a) for a in args))

    def asarray(self, obj: Any, dtype: Any = None, device: Any = None, copy: Any = None) -> Any:
        if isinstance(obj, Tensor):
            return obj if dtype is None else self.astype(obj, dtype)
        return self._const(self._xp.asarray(self._raw(obj), dtype=self._raw_dtype(dtype), device=self._base.device))

    def astype(self, x: Any, dtype: Any, copy: bool = True, device: Any = None) -> Any:
        return self._tensor(x).astype(self._raw_dtype(dtype))

    # -- elementwise ----------------------------------------------------------------------------------------------
    def exp(self, x: Any) -> Any:
        return elementwise.exp(x)

    def log(self, x: Any) -> Any:
        return elementwise.log(x)

    def sqrt(self, x: Any) -> Any:
        return elementwise.sqrt(x)

    def abs(self, x: Any) -> Any:
        return elementwise.abs(x)

    def sin(self, x: Any) -> Any:
        return elementwise.sin(x)

    def cos(self, x: Any) -> Any:
        return elementwise.cos(x)

    def tanh(self, x: Any) -> Any:
        return activation.TanhFunction.apply(x)

    def negative(self, x: Any) -> Any:
        return -x

    def conj(self, x: Any) -> Any:
        return complex_numbers.conj(self._tensor(x))

    def real(self, x: Any) -> Any:
        return complex_numbers.real(self._tensor(x))

    def imag(self, x: Any) -> Any:
        return complex_numbers.imag(self._tensor(x))

    def positive(self, x: Any) -> Any:
        return x

    def square(self, x: Any) -> Any:
        return x * x

    def add(self, a: Any, b: Any) -> Any:
        return self._tensor(a, b) + b

    def subtract(self, a: Any, b: Any) -> Any:
        return self._tensor(a, b) - b

    def multiply(self, a: Any, b: Any) -> Any:
        return self._tensor(a, b) * b

    def divide(self, a: Any, b: Any) -> Any:
        return self._tensor(a, b) / b

    def pow(self, a: Any, b: Any) -> Any:
        return self._tensor(a, b) ** b

    def maximum(self, a: Any, b: Any) -> Any:
        if not isinstance(a, Tensor) and not self._base.is_native(a):
            a, b = b, a
        return elementwise.Maximum.apply(self._tensor(a), self._tensor(b, a))

    def minimum(self, a: Any, b: Any) -> Any:
        if not isinstance(a, Tensor) and not self._base.is_native(a):
            a, b = b, a
        return elementwise.Minimum.apply(self._tensor(a), self._tensor(b, a))

    def clip(self, x: Any, min: Any = None, max: Any = None) -> Any:  # noqa: A002 - the standard's names
        x = self._tensor(x)
        if min is None or isinstance(min, (int, float)):
            if max is None or isinstance(max, (int, float)):
                return elementwise.Clip.apply(x, min=min, max=max)
        if min is not None:
            x = self.maximum(x, min)
        if max is not None:
            x = self.minimum(x, max)
        return x

    def where(self, condition: Any, a: Any, b: Any) -> Any:
        like = a if isinstance(a, Tensor) or self._base.is_native(a) else b
        return elementwise.Where.apply(self._raw(condition), self._tensor(a, like), self._tensor(b, like))

    def atan2(self, a: Any, b: Any) -> Any:
        return Atan2.apply(self._tensor(a, b), self._tensor(b, a))

    def hypot(self, a: Any, b: Any) -> Any:
        return Hypot.apply(self._tensor(a, b), self._tensor(b, a))

    def logaddexp(self, a: Any, b: Any) -> Any:
        return LogAddExp.apply(self._tensor(a, b), self._tensor(b, a))

    def remainder(self, a: Any, b: Any) -> Any:
        a = self._tensor(a, b)
        return a - self.floor_divide(a, b) * b

    # -- reductions ------------------------------------------------------------------------------------------------
    def sum(self, x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        x = self._tensor(x)
        if dtype is not None:
            x = self.astype(x, dtype)
        return reduce.Sum.apply(x, axis=axis, keepdims=keepdims)

    def mean(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return reduce.Mean.apply(self._tensor(x), axis=axis, keepdims=keepdims)

    def max(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return reduce.Max.apply(self._tensor(x), axis=axis, keepdims=keepdims, largest=True)

    def min(self, x: Any, axis: Any = None, keepdims: bool = False) -> Any:
        return reduce.Max.apply(self._tensor(x), axis=axis, keepdims=keepdims, largest=False)

    def prod(self, x: Any, axis: Any = None, dtype: Any = None, keepdims: bool = False) -> Any:
        x = self._tensor(x)
        if axis is None:
            return products.prod(self.reshape(x, (-1,)), 0, keepdims) if not keepdims else self.reshape(
                products.prod(self.reshape(x, (-1,)), 0), (1,) * x.ndim)
        for ax in sorted(reduce._axes(axis, x.ndim), reverse=True):
            x = products.prod(x, ax, keepdims)
        return x

    def var(self, x: Any, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
        return reduce.var(self._tensor(x), axis, keepdims, correction)

    def std(self, x: Any, axis: Any = None, correction: float = 0.0, keepdims: bool = False) -> Any:
        return self.sqrt(self.var(x, axis=axis, correction=correction, keepdims=keepdims))

    def cumulative_sum(self, x: Any, axis: Any = None, dtype: Any = None, include_initial: bool = False) -> Any:
        x = self._tensor(x)
        axis = 0 if axis is None else axis % x.ndim
        return self._with_initial(sorting.CumSum.apply(x, axis=axis), axis, 0.0, include_initial)

    def cumulative_prod(self, x: Any, axis: Any = None, dtype: Any = None, include_initial: bool = False) -> Any:
        x = self._tensor(x)
        axis = 0 if axis is None else axis % x.ndim
        return self._with_initial(products.cumprod(x, axis), axis, 1.0, include_initial)

    def _with_initial(self, running: Any, axis: int, initial: float, include_initial: bool) -> Any:
        """``running`` with a constant slice of ``initial`` put before it along ``axis`` (``include_initial``)."""
        if not include_initial:
            return running
        shape_ = tuple(1 if k == axis else n for k, n in enumerate(running.shape))
        start = self._const(self._xp.full(shape_, initial, dtype=running.array.dtype, device=self._base.device))
        return self.concat([start, running], axis=axis)

    def vecdot(self, a: Any, b: Any, axis: int = -1) -> Any:
        return self.sum(a * b, axis=axis)

    def matmul(self, a: Any, b: Any) -> Any:
        return linalg.MatMul.apply(self._tensor(a), self._tensor(b))

    def tensordot(self, a: Any, b: Any, axes: Any = 2) -> Any:
        a, b = self._tensor(a), self._tensor(b)
        if isinstance(axes, int):
            axes = (tuple(range(a.ndim - axes, a.ndim)), tuple(range(axes)))
        ax_a = tuple(i % a.ndim for i in axes[0])
        ax_b = tuple(i % b.ndim for i in axes[1])
        free_a = tuple(i for i in range(a.ndim) if i not in ax_a)
        free_b = tuple(i for i in range(b.ndim) if i not in ax_b)
        inner = math.prod(a.shape[i] for i in ax_a)
        a2 = self.reshape(self.permute_dims(a, free_a + ax_a), (-1, inner))
        b2 = self.reshape(self.permute_dims(b, ax_b + free_b), (inner, -1))
        return self.reshape(a2 @ b2, tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b))

    def matrix_transpose(self, x: Any) -> Any:
        return shape.transpose(self._tensor(x), -2, -1)

    # -- shapes and indexing ------------------------------------------------------------------------------------------
    def reshape(self, x: Any, shape_: Any, copy: Any = None) -> Any:
        x = self._tensor(x)
        target = tuple(shape_)
        if target == tuple(x.shape):
            return x
        return shape.Reshape.apply(x, shape=target)

    def permute_dims(self, x: Any, axes: Any) -> Any:
        axes = tuple(int(a) % builtins.max(x.ndim, 1) for a in axes)
        if axes == tuple(range(x.ndim)):
            return x
        return shape.Permute.apply(self._tensor(x), axes=axes)

    def moveaxis(self, x: Any, source: Any, destination: Any) -> Any:
        src = (source,) if isinstance(source, int) else tuple(source)
        dst = (destination,) if isinstance(destination, int) else tuple(destination)
        src = tuple(s % x.ndim for s in src)
        dst = tuple(d % x.ndim for d in dst)
        order = [i for i in range(x.ndim) if i not in src]
        for d, s in sorted(zip(dst, src)):
            order.insert(d, s)
        return self.permute_dims(x, tuple(order))

    def expand_dims(self, x: Any, axis: Any = 0) -> Any:
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        ndim = x.ndim + len(axes)
        axes = sorted(a % ndim for a in axes)
        new = list(x.shape)
        for a in axes:
            new.insert(a, 1)
        return self.reshape(x, tuple(new))

    def squeeze(self, x: Any, axis: Any) -> Any:
        axes = {a % x.ndim for a in ((axis,) if isinstance(axis, int) else axis)}
        return self.reshape(x, tuple(n for i, n in enumerate(x.shape) if i not in axes))

    def broadcast_to(self, x: Any, shape_: Any) -> Any:
        x = self._tensor(x)
        if tuple(shape_) == tuple(x.shape):
            return x
        return broadcast.Expand.apply(x, shape=tuple(shape_))

    def broadcast_arrays(self, *arrays: Any) -> list[Any]:
        target = tuple(self._xp.broadcast_arrays(*(self._raw(a) for a in arrays))[0].shape)
        return [self.broadcast_to(a, target) for a in arrays]

    def flip(self, x: Any, axis: Any = None) -> Any:
        x = self._tensor(x)
        axes = set(range(x.ndim)) if axis is None else {a % x.ndim for a in ((axis,) if isinstance(axis, int)
                                                                          else axis)}
        index = tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(x.ndim))
        return shape.GetItem.apply(x, index=index)

    def roll(self, x: Any, shift: Any, axis: Any = None) -> Any:
        from .rearrange import roll

        return roll(self._tensor(x), shift, axis)

    def tile(self, x: Any, repetitions: Any) -> Any:
        x = self._tensor(x)
        repetitions = tuple(repetitions)
        repeats = (1,) * (x.ndim - len(repetitions)) + repetitions
        return broadcast.Repeat.apply(x, repeats=repeats)

    def repeat(self, x: Any, repeats: Any, axis: Any = None) -> Any:
        from .rearrange import repeat_interleave

        return repeat_interleave(self._tensor(x), repeats, axis)

    def concat(self, arrays: Any, axis: Any = 0) -> Any:
        arrays = [self._tensor(a) for a in arrays]
        if axis is None:
            arrays, axis = [self.reshape(a, (-1,)) for a in arrays], 0
        return shape.Concat.apply(*arrays, axis=axis)

    def stack(self, arrays: Any, axis: int = 0) -> Any:
        return shape.Stack.apply(*(self._tensor(a) for a in arrays), axis=axis)

    def take(self, x: Any, indices: Any, axis: Any = None) -> Any:
        x = self._tensor(x)
        if axis is None:
            x, axis = self.reshape(x, (-1,)), 0
        axis %= x.ndim
        moved = self.moveaxis(x, axis, 0) if axis else x
        out = shape.Take.apply(moved, self._raw(indices))
        return self.moveaxis(out, 0, axis) if axis else out

    def take_along_axis(self, x: Any, indices: Any, axis: int = -1) -> Any:
        from .indexing import Gather

        x = self._tensor(x)
        return Gather.apply(x, self._raw(indices), dim=axis % x.ndim)


def _differentiable_write(name: str, x: Any, index: Any, value: Any) -> Any:
    """`anynn.backend.arrays.at_set` / ``at_add`` on Tensors: the standard-only version, recorded. A write of an
    empty block leaves ``x`` as it was, tied to a ``value`` that requires grad (PyTorch's gradient of an empty
    selection is recorded too: differentiating it gives zeros, not 'does not require grad')."""
    written = getattr(portable, name)(DifferentiableNamespace.of(x.backend), x, index, value)
    if written is x and isinstance(value, Tensor) and value.requires_grad and not written.requires_grad:
        from ..autograd.double_backward import TiedGradient

        return TiedGradient.apply(written, value)
    return written


def _namespace_of(backend: Any) -> DifferentiableNamespace:
    from ..autograd.double_backward import namespace

    return namespace(backend)


DifferentiableNamespace.of = staticmethod(_namespace_of)  # type: ignore[attr-defined]
register_namespace(DifferentiableNamespace)
_arrays.register_recording_type(Tensor, _differentiable_write)
