"""In-place operators and methods of `Tensor` (``+=``, ``add_``, ``zero_``, ``copy_``...), with PyTorch's rules.

``x += y`` changes ``x`` itself, so ``with no_grad(): for p in model.parameters(): p -= lr * p.grad``
updates the model. The new values are computed out of place by the ordinary primitives (PyTorch's
promotion, broadcasting and error messages), then:

- outside recording (``no_grad()``, or nothing requires grad) they are written into the tensor's array
  where the library allows it (`is_writeable`, and only for leaves, whose array no Function saved as an
  output), else ``.array`` is rebound;
- while recording, a leaf that requires grad refuses (PyTorch's "a leaf Variable that requires grad is
  being used in an in-place operation"); any other tensor becomes the output of the operation, its old
  value the operation's input, so gradients flow as in PyTorch.

Either way the tensor's version goes up (`mark_modified`): a Function recorded earlier with this
tensor as an input refuses to run backward ("modified by an inplace operation").
"""

from __future__ import annotations

import inspect
import math
import numbers
import warnings
from typing import Any, Callable

from ..autograd import inference, mode
from ..autograd.primitive import Function, is_writeable, note_new_producer
from ..autograd.graph import sum_to_shape
from ..autograd.tensor import Tensor, make_tensor, mark_modified
from ..autograd.tensor_surface import TensorSurface
from ..autograd.views import copy_holding, handing_to_source, refresh_after_change
from ..backend import BackendMismatch, dtype_name, host_array
from ..backend.broadcasting import broadcast_shapes
from ..backend.arrays import integer_fill, one_element, write_all
from ..backend.typing import Namespace
from . import elementwise, scaled_sum, shape
from .operands import refusal_of, scale_first
from .value_checks import KernelNotImplementedError, ShapeMismatchError, check_draw_range, check_draw_std

_KINDS = ("bool", "integral", "real floating", "complex floating")


def _kind(xp: Namespace, dtype: Any) -> int:
    """0 bool, 1 integer, 2 real floating, 3 complex: an in-place result may not climb this ladder."""
    for i, kind in enumerate(_KINDS):
        if xp.isdtype(dtype, kind):
            return i
    return 2  # bfloat16 and other floating types a library adds


def _fit(self: Tensor, name: str, new: Tensor) -> Tensor:
    """``new`` checked against ``self``'s shape and cast to its dtype, as PyTorch's in-place ops require."""
    if tuple(new.shape) != tuple(self.array.shape):
        raise RuntimeError(f"{name}: output with shape {tuple(self.array.shape)} doesn't match the broadcast shape "
                           f"{tuple(new.shape)} (an in-place operation keeps the tensor's shape)")
    old_dtype, new_dtype = self.array.dtype, new.array.dtype
    if new_dtype == old_dtype:
        return new
    xp = self.backend.xp
    if _kind(xp, new_dtype) > _kind(xp, old_dtype):
        raise RuntimeError(f"{name}: result type {dtype_name(new_dtype)} can't be cast to the desired output type "
                           f"{dtype_name(old_dtype)}")
    return elementwise.Cast.apply(new, dtype=old_dtype)


def _update(self: Tensor, name: str, compute: Callable[[Tensor], Tensor], operand: Any = None,
            reshapes: bool = False) -> Tensor:
    """Replace ``self``'s values by ``compute(self)`` in place (see the module docstring); returns ``self``.

    ``reshapes``: ``compute`` changes the shape (``unsqueeze_``, ``t_``...): the tensor takes the new array.
    """
    if inference.made[0]:
        inference.refuse_inplace(self, name)
    recording = mode.local.modes.grad_enabled and (
        self._requires_grad or (isinstance(operand, Tensor) and operand._requires_grad))
    view_of = holder = None
    before = self.array
    if recording:
        if self._ctx is None and self._requires_grad:
            raise RuntimeError(f"a leaf Variable that requires grad is being used in an in-place operation "
                               f"({name}); update parameters inside `with anynn.no_grad():`")
        if _views_a_leaf_that_requires_grad(self):
            raise RuntimeError(f"a view of a leaf Variable that requires grad is being used in an in-place "
                               f"operation ({name}); change the leaf inside `with anynn.no_grad():`")
        refuse_piece_of_split(self, name)
        view_of = self._ctx
        old = make_tensor(self.array, self.backend, self._ctx, self._index)  # the value before, as an input
        old._requires_grad = self._requires_grad
        new = compute(old) if reshapes else _fit(self, name, compute(old))
        self.array, self._ctx, self._index, self._requires_grad = new.array, new._ctx, new._index, new._requires_grad
    else:
        new = compute(self) if reshapes else _fit(self, name, compute(self))
        if not reshapes and self._ctx is None and is_writeable(self.array):
            write_all(self.array, new.array)  # (a view's source shares the array: it changes too)
            holder = copy_holding(self)  # (a copy along the chain of views passes the change on)
        else:  # an immutable array, or one the Function that made this tensor may have saved
            self.array = new.array
            if not reshapes:  # a view's source takes the new values
                view_of = self.__dict__.get("_view_of", self._ctx)
    mark_modified(self)
    if recording:
        note_new_producer(self, old)
        if not reshapes:
            write_back_to_base(view_of, self)
    elif holder is not None:
        write_back_to_base(holder[1], holder[0])
    elif view_of is not None:
        write_back_to_base(view_of, self)
    if not reshapes:
        refresh_after_change(self, self.array is not before)
    return self


def write_back_to_base(view_of: Any, view: Tensor) -> None:
    """After an in-place change of ``view`` that gave it a new array, hand its new values to its source.

    ``view_of``: the Function that made ``view`` before its first change; a view made while nothing was recorded
    notes its own (``view.__dict__["_view_of"]``, see `Function.makes_view`). Where it is a view operation (basic
    indexing, reshape, permute) of a tensor ``base``, ``base`` takes the new values through a write
    (``base[index] = view``, ``base.copy_(...)``), recorded where the change was, as PyTorch's shared storage and
    its CopySlices node do: the overwritten part of ``base`` gets no gradient, the rest flows through ``view``'s
    new value. A view of a view passes the change on up the chain. (A change written into a shared array needs
    none of this: NumPy's and PyTorch's views see it.)
    """
    view_of = view.__dict__.get("_view_of", view_of)  # the first change's record: later ones follow it too
    if not getattr(view_of, "makes_view", False):
        return
    view.__dict__["_view_of"] = view_of
    base = view_of.inputs[0] if getattr(view_of, "inputs", None) else None
    if not isinstance(base, Tensor):
        return
    with handing_to_source(view):  # the source's other views are taken again; this one holds its values
        _hand_to_source(view_of, base, view)


def _hand_to_source(view_of: Any, base: Tensor, view: Tensor) -> None:
    """`write_back_to_base`'s write of ``view``'s values into ``base``, per kind of view operation."""
    # the value as of now: a later change of the view must not reach back into the write recorded here
    requires_grad = view._requires_grad
    view = make_tensor(view.array, view.backend, view._ctx, view._index)
    view._requires_grad = requires_grad
    if isinstance(view_of, shape.GetItem):
        if view_of.flips or tuple(base.shape) != view_of.shape:  # a reversed slice, or a base reshaped since
            return
        base[view_of.index] = view  # (Tensor.__setitem__: indexing imports this module)
    elif view_of.view_is_copy:  # (a diagonal) the Function writes its values back itself
        view_of.write_back(base, view)
    elif isinstance(view_of, shape.Split):  # piece ``_index`` (a change outside recording: see refuse_piece_of_split)
        if tuple(base.shape) == view_of.shape:
            start = sum(view_of.sizes[:view._index])
            index = (slice(None),) * view_of.axis + (slice(start, start + view_of.sizes[view._index]),)
            base[index] = view
    elif isinstance(view_of, shape.Reshape):
        if tuple(base.shape) == view_of.source:
            base.copy_(shape.reshape(view, view_of.source))
    else:
        inverse = [0] * len(view_of.axes)
        for i, axis in enumerate(view_of.axes):
            inverse[axis] = i
        if base.ndim == len(inverse):
            base.copy_(shape.permute(view, tuple(inverse)))


def _itself(before: Tensor, self: Tensor, operand: Any) -> Any:
    """``operand``, or ``before`` (the tensor's value before the change) where the operand is the changed tensor
    itself (``x.mul_(x)``, ``x.copy_(x)``, ``x.addcmul_(x, y)``): the recorded Function must read the old value,
    not the Tensor object that the change rebinds to the Function's own output (a loop in the graph)."""
    return before if operand is self else operand


def refuse_piece_of_split(x: Tensor, name: str) -> None:
    """PyTorch's refusal of a recorded in-place change of a view made by an operation that returns several views
    (``split``, ``chunk``, ``unbind``), or of a view of one: its source would not see the change."""
    ctx = x.__dict__.get("_view_of", x._ctx)
    while getattr(ctx, "makes_view", False) and not isinstance(ctx, shape.Split):
        source = ctx.inputs[0] if getattr(ctx, "inputs", None) else None
        if not isinstance(source, Tensor):
            return
        ctx = source.__dict__.get("_view_of", source._ctx)
    if isinstance(ctx, shape.Split):
        raise RuntimeError(f"{name}: this tensor is a view made by an operation that returns several views (split, "
                           f"chunk, unbind), and such views cannot be changed in place while gradients are recorded "
                           f"(PyTorch refuses it too); change a .clone() of it, or index the source instead")


def _views_a_leaf_that_requires_grad(x: Tensor) -> bool:
    """Whether ``x`` comes from a leaf that requires grad through view operations only (indexing, reshape,
    permute): PyTorch refuses in-place changes of such views while recording, as of the leaf itself."""
    ctx = x._ctx
    while isinstance(ctx, (shape.GetItem, shape.Reshape, shape.Permute)) and ctx.makes_view:
        source = ctx.inputs[0] if ctx.inputs else None
        if not isinstance(source, Tensor):
            return False
        if source._ctx is None:
            return source._requires_grad
        ctx = source._ctx
    return False


def _operand(self: Tensor, name: str, value: Any) -> Any:
    """A Tensor or native array of ``self``'s backend, or a Python number; host lists become arrays."""
    if isinstance(value, Tensor):
        if value.backend != self.backend:
            raise BackendMismatch(f"{name}: the tensor is on backend {self.backend.key!r}, the source on "
                                  f"{value.backend.key!r}; move it first with .to({self.backend.key!r})")
        return value
    if isinstance(value, bool):
        return value
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    if isinstance(value, numbers.Complex):
        return complex(value)
    if self.backend.is_native(value):
        return make_tensor(value, self.backend, None, 0)
    if isinstance(value, (list, tuple)):
        return make_tensor(self.backend.asarray(host_array(value, None)), self.backend, None, 0)
    raise refusal_of(value)(f"{name}: cannot use a {type(value).__module__}.{type(value).__name__} with a tensor on "
                          f"backend {self.backend.key!r}; wrap it with anynn.tensor(..., backend={self.backend.key!r})")


class Assign(Function):
    """The overwrite ``old <- new`` as a graph node (``fill_``, ``copy_``, ``zero_``, ``normal_``...).

    ``old``: any shape S; ``new``: a number or an array broadcastable to S, cast to ``old``'s dtype. The
    output is a fresh array of shape S. Gradient: zeros for ``old`` (its values are gone; PyTorch's
    ``zeros_like(grad)``, so a leaf under it gets a zero ``.grad``, not None); for ``new`` the output's gradient
    summed to ``new``'s shape (and cast to its dtype where the copy cast it, kept by name): it saves sizes and names
    only, as PyTorch's copy node saves nothing, so a later change of ``new`` is allowed and a second backward without
    retain_graph runs.
    """

    new_dtype: str | None = None  # the name of new's dtype where it differs from old's (a name: no saved object)

    def forward(self, xp: Namespace, old: Any, new: Any) -> Any:
        if not hasattr(new, "shape"):  # a Python number
            return xp.full_like(old, _number_for(xp, old.dtype, new, one_element(old.shape)))
        self.new_shape = tuple(new.shape)
        if new.dtype != old.dtype:
            self.new_dtype = dtype_name(new.dtype)
            new = elementwise.cast_array(xp, new, old.dtype)  # (complex into real: its real part, on every library)
        return xp.asarray(xp.broadcast_to(new, tuple(old.shape)), copy=True)

    def backward(self, xp: Namespace, g: Any) -> Any:
        grad_old = xp.zeros_like(g) if self.needs_input_grad[0] else None
        if not self.needs_input_grad[1]:
            return grad_old, None
        g_new = sum_to_shape(xp, g, self.new_shape)
        return grad_old, g_new if self.new_dtype is None else xp.astype(g_new, self.backend.dtype(self.new_dtype))


def _number_for(xp: Namespace, dtype: Any, value: Any, wrapped: bool = False) -> Any:
    """``value`` as the Python type the array API accepts beside an array of ``dtype`` (``wrapped``: as
    `integer_fill`'s)."""
    kind = _kind(xp, dtype)
    # PyTorch's conversion: -1 into uint8 is 255, 300 into int8,
    value = integer_fill(xp, dtype, value, "fill_", wrapped=wrapped)
    if kind == 1:  # NaN into int64 and 1j into float32 are refused
        return value
    return bool(value) if kind == 0 else complex(value) if kind == 3 else float(value)


def _binary(name: str, op: Callable[[Any, Any], Any]) -> Any:
    def method(self: Tensor, other: Any, *deprecated: Any, alpha: Any = None) -> Tensor:
        if deprecated:  # PyTorch's deprecated add_(alpha, other), as in older optimizers' p.add_(-lr, grad)
            alpha, (other,) = other, scale_first(name, other, deprecated, "Number alpha, Tensor other",
                                                 "Tensor other, *, Number alpha = 1")
        other = _operand(self, name, other)
        if alpha is not None and alpha != 1:  # add's formula (float16: as PyTorch's kernel rounds it)
            scaled = scaled_sum.add if name == "add_" else scaled_sum.sub
            return _update(self, name, lambda s: scaled(s, _itself(s, self, other), alpha=alpha), other)
        return _update(self, name, lambda s: op(s, _itself(s, self, other)), other)

    method.__name__ = name
    method.__doc__ = f"``{name}(other, alpha=1)``: the in-place form of the operation, returning this tensor."
    return method


def _operator(name: str, op: Callable[[Any, Any], Any]) -> Any:
    def method(self: Tensor, other: Any) -> Tensor:
        other = _operand(self, name, other)
        return _update(self, name, lambda s: op(s, _itself(s, self, other)), other)

    method.__name__ = name
    return method


def _assign(self: Tensor, name: str, value: Any) -> Tensor:
    return _update(self, name, lambda s: Assign.apply(s, _itself(s, self, value)), value)


def fill_(self: Tensor, value: Any) -> Tensor:
    """Fill with ``value`` (a number or a one-element tensor), in place."""
    value = _operand(self, "fill_", value)
    if isinstance(value, Tensor) and value.ndim != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with {value.ndim} dimensions")
    return _assign(self, "fill_", value)


def resize_(self: Tensor, *sizes: Any, memory_format: Any = None) -> Tensor:
    """``x.resize_(*sizes)``: ``x`` takes the shape ``sizes``, keeping its first elements in row-major order (older
    programs write ``label.resize_(batch).fill_(1)``); new elements are zeros (PyTorch's are uninitialised memory).
    Refused for a tensor that requires grad, as PyTorch refuses it."""
    shape = tuple(sizes[0] if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)) else sizes)
    if not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) and s >= 0 for s in shape):
        raise RuntimeError(f"resize_: sizes must be non-negative ints, got {shape}")
    if self.requires_grad:
        raise RuntimeError("resize_: cannot resize variables that require grad")
    count = math.prod(shape)

    def compute(x: Tensor) -> Tensor:
        xp = x.backend.xp
        flat = xp.reshape(x.array, (-1,))
        flat = flat[:count] if count < flat.shape[0] else flat  # the standard leaves stops past the end unspecified
        if flat.shape[0] < count:
            flat = xp.concat([flat, xp.zeros((count - flat.shape[0],), dtype=flat.dtype, device=x.backend.device)])
        return make_tensor(xp.reshape(flat, tuple(int(s) for s in shape)), x.backend, None, 0)

    return _update(self, "resize_", compute, reshapes=True)


def resize_as_(self: Tensor, other: Tensor, memory_format: Any = None) -> Tensor:
    """``x.resize_as_(other)``: `resize_` to ``other``'s shape."""
    return resize_(self, tuple(other.shape))


def zero_(self: Tensor) -> Tensor:
    """Fill with zeros, in place."""
    return _assign(self, "zero_", 0)


def copy_(self: Tensor, src: Any, non_blocking: bool = False) -> Tensor:
    """Copy the values of ``src`` (broadcast to this shape, cast to this dtype) into this tensor, in place.

    ``src`` lives on this tensor's backend (a tensor of another backend raises `BackendMismatch`: move it
    with ``.to()``); the gradient flows to ``src`` where it requires grad.
    """
    src = _operand(self, "copy_", src)
    if not isinstance(src, Tensor):
        src = make_tensor(self.backend.asarray(host_array(src, None)), self.backend, None, 0)
    if src.array is self.array:
        return self
    shape, given = tuple(self.array.shape), tuple(src.array.shape)
    if shape != given and None not in shape + given and broadcast_shapes(shape, given) != shape:
        raise ShapeMismatchError(f"copy_: output with shape {list(shape)} doesn't match the broadcast shape "
                                 f"{list(given)}: the source must broadcast to the tensor's shape, as PyTorch's "
                                 "(NumPy's ValueError before)")
    if not _complex_cast_warned[0] and src.is_complex() and not self.is_complex():
        _complex_cast_warned[0] = True
        warnings.warn("Casting complex values to real discards the imaginary part", UserWarning, stacklevel=2)
    return _assign(self, "copy_", src)


_complex_cast_warned = [False]  # PyTorch warns once per process (TORCH_WARN_ONCE in its copy kernel)


def clamp_(self: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Clamp to ``[min, max]`` in place."""
    return _update(self, "clamp_", lambda s: elementwise.clip(s, min, max))


def normal_(self: Tensor, mean: float = 0.0, std: float = 1.0, *, generator: Any = None) -> Tensor:
    """Fill with samples of N(mean, std²), drawn on the host (``generator``: a seed or a NumPy ``Generator``;
    by default the one `anynn.manual_seed` seeds), in place."""
    from .. import init

    check_draw_std("normal_", std)
    z = drawn_in_graph(self, "normal", generator=generator)
    if z is not None:
        return _random_fill(self, "normal_", z * std + mean)
    host = init._rng(generator).normal(mean, std, size=tuple(self.shape))
    return _random_fill(self, "normal_", host)


def uniform_(self: Tensor, a: float = 0.0, b: float = 1.0, *, generator: Any = None, **torch_names: Any) -> Tensor:
    """Fill with samples of U(a, b) (PyTorch's ``from``/``to`` are accepted too), drawn on the host, in place."""
    from .. import init

    a, b = torch_names.pop("from", a), torch_names.pop("to", b)
    if torch_names:
        raise TypeError(f"uniform_() got unexpected keyword arguments {sorted(torch_names)}")
    check_draw_range("uniform_", a, b)
    u = drawn_in_graph(self, "uniform", generator=generator)
    if u is not None:
        return _random_fill(self, "uniform_", u * (b - a) + a)
    host = init._rng(generator).uniform(a, b, size=tuple(self.shape))
    return _random_fill(self, "uniform_", host)


def drawn_in_graph(self: Tensor, kind: str, dtype: Any = None, generator: Any = None) -> Any:
    """``kind`` draws (``"uniform"`` on [0, 1), ``"normal"``) of this tensor's shape made on its backend where
    `anynn.init.graph_draw` gives a draw: a random node of the graph where the backend records one (ONNX export:
    drawn each time the graph runs, where a host draw would be one constant of it; the ``generator=`` of a fill is
    not used there, onnxruntime draws), or a compiled step's own generator for a fill given no ``generator`` in a
    traced step; in ``dtype`` (default: this tensor's if floating, else float64). None elsewhere: the fill draws on
    the host."""
    from ..init import graph_draw

    draw = graph_draw(self.backend, generator)
    if draw is None:
        return None
    xp = self.backend.xp
    if dtype is None:
        dtype = self.array.dtype if xp.isdtype(self.array.dtype, "real floating") else xp.float64
    return draw(kind, self.array, dtype)


def _random_fill(self: Tensor, name: str, values: Any) -> Tensor:
    """Write ``values`` (a host array, or an array of this tensor's backend drawn in a recorded graph) into this
    floating tensor in place, in its dtype."""
    if _kind(self.backend.xp, self.array.dtype) < 2:
        # (PyTorch: NotImplementedError '"normal_kernel_cpu" not implemented for 'Long'', or RuntimeError)
        raise KernelNotImplementedError(f"{name} expects a floating-point tensor, got {dtype_name(self.array.dtype)}, "
                                        "as PyTorch's kernels")
    be = self.backend
    native = values if be.is_native(values) else be.from_host(values)
    return _assign(self, name, make_tensor(be.asarray(native, self.array.dtype), be, None, 0))


def _twin(name: str, reshapes: bool = False, compares: bool = False) -> Any:
    """``x.<name>_(...)``: ``x.<name>(...)``, PyTorch's in-place twin, written back into ``x`` by `_update` (same
    arguments; the shape kept and the dtype cast back, except for the ``reshapes`` twins). ``compares``: a
    comparison, whose booleans stay on the graph with a zero gradient (`_compared`)."""
    in_place = name + "_"

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
        operand = next((a for a in (*args, *kwargs.values()) if isinstance(a, Tensor) and a._requires_grad), None)

        def compute(s: Tensor) -> Tensor:
            out = getattr(s, name)(*[_itself(s, self, a) for a in args],
                                   **{k: _itself(s, self, v) for k, v in kwargs.items()})
            return _compared(s, out, operand) if compares else out

        return _update(self, in_place, compute, operand, reshapes)

    method.__name__ = in_place
    method.__doc__ = f"``{name}`` in place: ``x.{in_place}(...)`` sets ``x`` to ``x.{name}(...)`` and returns ``x``."
    method.__signature__ = inspect.signature(getattr(TensorSurface, name))  # type: ignore[attr-defined]
    return method


def _compared(before: Tensor, out: Tensor, operand: Any) -> Tensor:
    """``out``, the booleans of comparing ``before`` (and ``operand``), in ``before``'s floating dtype and on the
    graph with a zero gradient where either requires grad, as PyTorch's in-place comparisons (``x.eq_(2)`` keeps
    ``x`` requiring grad, its gradient zero); otherwise as it is."""
    from .rounding import Steps

    inputs = [t for t in (before, operand) if isinstance(t, Tensor) and t._requires_grad]
    if not inputs or not before.backend.xp.isdtype(before.array.dtype, ("real floating", "complex floating")):
        return out
    return Steps.apply(out.astype(before.dtype).array, *inputs)


def detach_(self: Tensor) -> Tensor:
    """Cut this tensor from the graph that made it, in place: a leaf that does not require grad. A view (a slice,
    ``view``/``reshape`` that shares memory, ``t()``...) is refused, as PyTorch's: its later changes must still
    reach its source; use ``detach()``."""
    from ..autograd.views import view_root

    if view_root(self) is not self:
        raise RuntimeError("detach_: can't detach views in-place (this tensor is a view of another one, which its "
                           "in-place changes reach); use detach() instead")
    self._ctx, self._index, self._requires_grad = None, 0, False
    return self


# PyTorch's in-place twins of out-of-place methods, one `_twin` each
_VALUE_TWINS = ("abs", "absolute", "acos", "acosh", "addbmm", "addcdiv", "addcmul", "addmm", "addmv", "addr", "arccos",
                "arccosh", "arcsin", "arcsinh", "arctan", "arctan2", "arctanh", "asin", "asinh", "atan", "atan2",
                "atanh", "baddbmm", "bitwise_and", "bitwise_left_shift", "bitwise_not", "bitwise_or",
                "bitwise_right_shift", "bitwise_xor", "ceil", "clamp_max", "clamp_min", "conj_physical", "copysign",
                "cos", "cosh", "cumprod", "cumsum", "deg2rad", "digamma", "divide", "eq", "erf", "erfc", "erfinv",
                "exp", "exp2", "expm1", "fix", "floor", "floor_divide", "fmod", "frac", "gcd", "ge", "greater",
                "greater_equal", "gt", "heaviside", "hypot", "i0", "index_reduce", "lcm", "ldexp", "le", "lerp", "less",
                "less_equal", "lgamma", "log", "log10", "log1p", "log2", "logical_and", "logical_not", "logical_or",
                "logical_xor", "logit", "lt", "masked_fill", "multiply", "mvlgamma", "nan_to_num", "ne", "neg",
                "negative", "nextafter", "not_equal", "polygamma", "pow", "put", "rad2deg", "reciprocal", "remainder",
                "round", "rsqrt", "sgn", "sign", "sin", "sinc", "sinh", "sqrt", "square", "subtract", "tan", "tril",
                "triu", "true_divide", "trunc", "xlogy", "igamma", "igammac")
_SHAPE_TWINS = ("as_strided", "squeeze", "swapaxes", "swapdims", "t", "transpose", "unsqueeze")


def float_power_(self: Tensor, exponent: Any) -> Tensor:
    """``x.float_power_(exponent)``: ``x`` set to ``x.float_power(exponent)``, which is float64 (complex128 when
    either is complex); PyTorch refuses any other dtype of ``x`` rather than cast the result down, and so does this."""
    complex_kind = isinstance(exponent, complex) or any(
        isinstance(t, Tensor) and t.backend.xp.isdtype(t.array.dtype, "complex floating") for t in (self, exponent))
    wanted = "complex128" if complex_kind else "float64"
    if dtype_name(self.dtype) != wanted:
        raise RuntimeError(f"float_power_: the base has dtype {dtype_name(self.dtype)} but the result is {wanted}")
    return _FLOAT_POWER_TWIN(self, exponent)


_FLOAT_POWER_TWIN = _twin("float_power")
_DIVIDE = _operator("div_", lambda a, b: a / b)
_DIV_TWIN = _twin("div")


def div_(self: Tensor, other: Any, *, rounding_mode: str | None = None) -> Tensor:
    """``x.div_(other, rounding_mode=None)``: ``x`` set to ``x.div(other, rounding_mode=...)`` ("trunc"/"floor" keep
    an integer tensor's dtype, as PyTorch's; a true quotient into an integer tensor is refused)."""
    return _DIVIDE(self, other) if rounding_mode is None else _DIV_TWIN(self, other, rounding_mode=rounding_mode)


_ABS_TWIN = _twin("abs")


def abs_(self: Tensor) -> Tensor:
    """``x.abs_()``: ``x`` set to ``|x|``; a complex ``x`` is refused, as PyTorch refuses it (its real magnitudes
    were written back as complex numbers)."""
    if self.backend.xp.isdtype(self.array.dtype, "complex floating"):
        raise RuntimeError("In-place abs is not supported for complex tensors (as in PyTorch); use x = x.abs()")
    return _ABS_TWIN(self)


_COMPARISONS = ("eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal")

METHODS: dict[str, Any] = {
    **{name + "_": _twin(name, compares=name in _COMPARISONS) for name in _VALUE_TWINS},
    **{name + "_": _twin(name, reshapes=True) for name in _SHAPE_TWINS},
    "detach_": detach_, "resize_": resize_, "resize_as_": resize_as_,
    "__iadd__": _operator("__iadd__", lambda a, b: a + b),
    "__isub__": _operator("__isub__", lambda a, b: a - b),
    "__imul__": _operator("__imul__", lambda a, b: a * b),
    "__itruediv__": _operator("__itruediv__", lambda a, b: a / b),
    "__ifloordiv__": _operator("__ifloordiv__", lambda a, b: a // b),
    "__imod__": _operator("__imod__", lambda a, b: a % b),
    "__ipow__": _operator("__ipow__", lambda a, b: a ** b),
    "__iand__": _operator("__iand__", lambda a, b: a & b),
    "__ior__": _operator("__ior__", lambda a, b: a | b),
    "__ixor__": _operator("__ixor__", lambda a, b: a ^ b),
    "__ilshift__": _operator("__ilshift__", lambda a, b: a << b),
    "__irshift__": _operator("__irshift__", lambda a, b: a >> b),
    "add_": _binary("add_", lambda a, b: a + b),
    "sub_": _binary("sub_", lambda a, b: a - b),
    "mul_": _operator("mul_", lambda a, b: a * b),
    "div_": div_,
    "zero_": zero_, "fill_": fill_, "copy_": copy_, "clamp_": clamp_, "clip_": clamp_,
    "normal_": normal_, "uniform_": uniform_, "float_power_": float_power_, "abs_": abs_, "absolute_": abs_,
}

