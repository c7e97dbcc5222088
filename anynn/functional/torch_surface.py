"""More of PyTorch's Tensor surface: item assignment, comparisons by name, ``new_*`` factories, ``narrow``,
``view_as``, ordering, gather/scatter, triangles, sampling, batched products, and the matching top-level functions.

The methods are installed on `Tensor` together with those of `tensor_extras` (one table); the functions are
re-exported as ``anynn.<name>``.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from ..autograd.autocast_mode import autocast_operands
from ..autograd.tensor import Tensor, make_tensor, tensor
from ..backend import dtype_name
from ..backend.arrays import integer_fill, one_element
from ..backend.symbolic import is_symbolic
from ..backend.torch_names import refuse_pinning
from . import activation, elementwise, indexing, linalg, operands, sampling, shape, sorting, triangular
from .einsum import einsum
from .value_checks import (InvalidValueError, ShapeMismatchError, check_same_dtype, python_ints, refuse_bool_dims,
                           refuse_float_ints)
from .value_checks import refuse_numbers, require_tensor


def _elementwise_flag(name: str) -> Any:
    def method(self: Tensor) -> Tensor:
        xp, array = self.backend.xp, self.array
        if xp.isdtype(array.dtype, "bool"):  # the standard's flags take numbers only: a bool is a finite number
            array = xp.astype(array, xp.uint8)
        return make_tensor(getattr(xp, name)(array), self.backend, None, 0)

    method.__name__ = name
    method.__doc__ = f"Boolean ``{name}`` of each element (not differentiable)."
    return method


def _new(fill: Any, name: str) -> Any:
    def method(self: Tensor, *size: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               **options: Any) -> Tensor:
        # PyTorch's keywords: size= (it was swallowed: x.new_zeros(size=(2, 3)) gave a 0-d tensor), layout and
        # pin_memory (meaningless here); others, and no size at all, are its TypeError
        unknown = sorted(set(options) - {"size", "layout", "pin_memory"})
        if unknown:
            raise TypeError(f"{name}() got an unexpected keyword argument '{unknown[0]}'")
        refuse_pinning(options.get("pin_memory"))
        if "size" in options:
            if size:
                raise TypeError(f"{name}() got multiple values for argument 'size'")
            size = (options["size"],)
        if not size:
            raise TypeError(f'{name}() missing 1 required positional arguments: "size"')
        if len(size) == 1 and isinstance(size[0], (tuple, list)):
            size = tuple(size[0])
        return _filled(self, _sizes(size, name), fill, dtype, requires_grad)

    method.__doc__ = f"A tensor of shape ``size`` filled with {fill}, on this tensor's backend and (by default) dtype."
    return method


def _sizes(size: tuple[Any, ...], name: str) -> tuple[Any, ...]:
    """Ints, and sizes of symbolic axes (`SymInt`s of an ONNX export) as they are; a float is refused."""
    refuse_float_ints(name, size=size)
    sizes = tuple(n if is_symbolic(n) else int(n) for n in size)
    if min((n for n in sizes if not is_symbolic(n)), default=0) < 0:  # (NumPy's ValueError alone before)
        raise InvalidValueError(f"{name}(): Trying to create tensor with negative dimension, got size {sizes}, as "
                                "PyTorch")
    return sizes


def _filled(self: Tensor, size: tuple[int, ...], fill: Any, dtype: Any, requires_grad: bool) -> Tensor:
    if fill is None or isinstance(fill, (str, bytes, list, tuple, dict)):  # (NumPy's ValueError or a filled array)
        raise TypeError(f"new_full(): argument 'fill_value' (position 2) must be Number, not {type(fill).__name__}")
    be = self.backend
    native = self.array.dtype if dtype is None else be.dtype(dtype)
    fill = integer_fill(be.xp, native, fill, "new_full", wrapped=one_element(size))
    out = make_tensor(be.xp.full(size, fill, dtype=native, device=be.device), be, None, 0)
    out.requires_grad = requires_grad
    return out


def new_empty_strided(self: Tensor, size: Any, stride: Any, *, dtype: Any = None, device: Any = None,
                      requires_grad: bool = False, **_: Any) -> Tensor:
    """``torch.Tensor.new_empty_strided``: `new_empty` of shape ``size``; ``stride`` is checked and then has no
    effect (anynn tensors are dense row-major arrays, as `anynn.empty_strided` says)."""
    size, stride = _sizes(tuple(size), "new_empty_strided"), _sizes(tuple(stride), "new_empty_strided")
    if len(size) != len(stride):
        raise RuntimeError(f"new_empty_strided: mismatch in length of strides and shape ({len(stride)} strides, "
                           f"{len(size)} sizes)")
    return _filled(self, size, 0, dtype, requires_grad)


def new_full(self: Tensor, size: Any, fill_value: Any, *, dtype: Any = None, device: Any = None,
             requires_grad: bool = False, **options: Any) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value``, on this tensor's backend and (by default) dtype."""
    refuse_pinning(options.get("pin_memory"))
    return _filled(self, _sizes(size, "new_full"), fill_value, dtype, requires_grad)


def new_tensor(self: Tensor, data: Any, *, dtype: Any = None, device: Any = None, requires_grad: bool = False,
               **_: Any) -> Tensor:
    """A copy of ``data`` (host data or a tensor) on this tensor's backend, in its dtype unless given (a leaf)."""
    from ..backend import dtype_name

    source = data.detach() if isinstance(data, Tensor) else data
    out = tensor(source, backend=self.backend, dtype=dtype_name(self.array.dtype) if dtype is None else dtype)
    if isinstance(data, Tensor) and out.array is source.array:
        out.array = self.backend.xp.asarray(out.array, copy=True)
    out.requires_grad = requires_grad
    return out


def new(self: Tensor, *args: Any, device: Any = None) -> Tensor:
    """The legacy ``x.new(...)`` of pre-0.4 programs (``weight.new(bsz, hidden).zero_()``): sizes (ints or one
    ``Size``) give a tensor of ``x``'s dtype (zeros; PyTorch's are uninitialised), a list, tuple or NumPy array is data
    in ``x``'s dtype (an array of that dtype shares its memory where the backend can, as PyTorch's), a tensor of
    ``x``'s dtype is returned as it is, detached (PyTorch's shares its storage); nothing gives an empty tensor.
    Another dtype's tensor and a bare number are refused, as PyTorch refuses them."""
    from ..autograd.size import Size
    from ..backend import dtype_name

    if len(args) == 1 and isinstance(args[0], Tensor):
        if args[0].dtype != self.dtype:
            raise TypeError(f"new(): expected a tensor of dtype {dtype_name(self.dtype)}, got "
                            f"{dtype_name(args[0].dtype)}")
        return args[0].detach()
    if len(args) == 1 and isinstance(args[0], Size):
        args = tuple(args[0])
    if [n for n in args if not isinstance(n, int) or isinstance(n, bool)] == []:  # sizes ("all" is torch.all here)
        return _filled(self, _sizes(args or (0,), "new"), 0, None, False)
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        return new_tensor(self, args[0])
    if len(args) == 1 and hasattr(args[0], "__array__") and not isinstance(args[0], numbers.Number):
        from ..factories import as_tensor  # a NumPy array (the numpy-extensions tutorial's input.new(rfft2(...)))

        return as_tensor(args[0], dtype=dtype_name(self.dtype), backend=self.backend)
    raise TypeError(f"new(): data must be a sequence (got {type(args[0]).__name__})")


def narrow(input: Tensor, dim: int, start: Any, length: int) -> Tensor:  # noqa: A002 - PyTorch's name
    """``length`` entries of ``input`` along ``dim`` from ``start`` (negative counts from the end); shares the graph."""
    refuse_bool_dims("narrow", dim)
    refuse_float_ints("narrow", start=start, length=length)
    ndim = input.ndim
    if not ndim:
        raise ShapeMismatchError("narrow() cannot be applied to a 0-dim tensor.")
    if not -ndim <= dim < ndim:
        raise IndexError(f"narrow: dim {dim} is out of range for a tensor of shape {input.shape}")
    dim %= ndim
    size = input.shape[dim]
    start = int(start)
    if not -size <= start <= size:  # (PyTorch's IndexError; a start below -size was wrapped once more before)
        raise IndexError(f"narrow: start out of range (expected to be in range of [{-size}, {size}], but got "
                         f"{start})")
    if start < 0:
        start += size
    if not (0 <= start <= size and 0 <= length <= size - start):
        raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dim {dim} of size {size}")
    index = tuple(slice(start, start + length) if a == dim else slice(None) for a in range(ndim))
    return shape.GetItem.apply(input, index=index)


def flip(input: Tensor, dims: Sequence[int]) -> Tensor:  # noqa: A002
    """A copy of ``input`` reversed along each axis of the sequence ``dims`` (``torch.flip``: a bare int is a TypeError
    there).

    Raises IndexError for an axis outside ``[-ndim, ndim)`` and RuntimeError for an axis named twice, as PyTorch.
    """
    dims = python_ints(dims)
    if not isinstance(dims, Sequence) or isinstance(dims, str):
        raise TypeError(f"flip(): argument 'dims' must be a tuple of ints, not {type(dims).__name__}")
    refuse_bool_dims("flip", dims, "dims")
    ndim = max(input.ndim, 1)
    axes: set[int] = set()
    for d in dims:
        if not -ndim <= d < ndim:
            raise IndexError(f"flip: dim {d} is out of range for a tensor of shape {tuple(input.shape)} "
                             f"(expected in [{-ndim}, {ndim - 1}])")
        if d % ndim in axes:
            raise RuntimeError(f"flip: dim {d % ndim} appears multiple times in the list of dims {tuple(dims)}")
        axes.add(d % ndim)
    index = tuple(slice(None, None, -1) if a in axes else slice(None) for a in range(input.ndim))
    # PyTorch's flip copies (a reversed slice is a view of the input here): a write into the result must not reach
    # the input (timm's Mixup scales x.flip(0) in place, then mixes it into x)
    return shape.GetItem.apply(input, index=index).clone()


def _flip_method(self: Tensor, *dims_args: Any, dims: Sequence[int] | None = None) -> Tensor:
    """``Tensor.flip``: the axes as separate ints (``x.flip(0, 1)``) or one sequence, as PyTorch's method takes."""
    if dims is None:
        if not dims_args:
            raise TypeError("flip() missing 1 required positional argument: 'dims'")
        dims_args = python_ints(dims_args)
        dims = dims_args[0] if len(dims_args) == 1 and not isinstance(dims_args[0], int) else dims_args
    elif dims_args:
        raise TypeError("flip() got multiple values for argument 'dims'")
    return flip(self, dims)


def bmm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Batched matrix product: (B, N, M) @ (B, M, P) → (B, N, P), no broadcasting (``torch.bmm``)."""
    require_tensor("bmm", input, "input", 1)
    require_tensor("bmm", mat2, "mat2", 2)
    if input.ndim != 3 or mat2.ndim != 3 or input.shape[0] != mat2.shape[0] or input.shape[2] != mat2.shape[1]:
        raise RuntimeError(f"bmm: expected (B, N, M) and (B, M, P) tensors, got {input.shape} and {mat2.shape}")
    return linalg.matmul(input, mat2)


def mm(input: Tensor, mat2: Tensor) -> Tensor:  # noqa: A002
    """Matrix product of two 2-D tensors: (N, M) @ (M, P) → (N, P) (``torch.mm``)."""
    require_tensor("mm", input, "input", 1)
    require_tensor("mm", mat2, "mat2", 2)
    if input.ndim != 2 or mat2.ndim != 2 or input.shape[1] != mat2.shape[0]:
        raise RuntimeError(f"mm: expected (N, M) and (M, P) matrices, got {input.shape} and {mat2.shape}")
    return linalg.matmul(input, mat2)


def baddbmm(input: Tensor, batch1: Tensor, batch2: Tensor, *, beta: float = 1.0,  # noqa: A002
            alpha: float = 1.0) -> Tensor:
    """``beta * input + alpha * bmm(batch1, batch2)``; ``input`` broadcasts to (B, N, P), of the batches' dtype."""
    input, batch1, batch2 = autocast_operands("lower", "baddbmm", input, batch1, batch2)  # noqa: A001
    check_same_dtype("baddbmm", ("input", "batch1", "batch2"), (input, batch1, batch2))
    return scaled_product_sum("baddbmm", input, bmm(batch1, batch2), beta, alpha)


def addmm(input: Tensor, mat1: Tensor, mat2: Tensor, *, beta: float = 1.0, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """``beta * input + alpha * mm(mat1, mat2)``; ``input`` broadcasts to (N, P), of the matrices' dtype."""
    input, mat1, mat2 = autocast_operands("lower", "addmm", input, mat1, mat2)  # noqa: A001
    check_same_dtype("addmm", ("input", "mat1", "mat2"), (input, mat1, mat2))
    return scaled_product_sum("addmm", input, mm(mat1, mat2), beta, alpha)


def scaled_product_sum(name: str, input: Tensor, product: Tensor, beta: Any, alpha: Any,  # noqa: A002
                       floats: bool = True) -> Tensor:
    """``beta * input + alpha * product`` of the add-a-product family (``addmm``, ``baddbmm``, ``addmv``, ``addr``,
    ``addbmm``), ``beta`` and ``alpha`` converted as PyTorch converts them (see `product_scale`); a ``beta`` of 0
    ignores ``input`` (NaN in it too), keeping it on the graph (`product_alone`). input: broadcasting to product's
    shape."""
    from .type_promotion import result_type

    like = product.backend.dtype(result_type(input, product).name)
    beta, alpha = (product_scale(name, which, value, like, product.backend.xp, floats)
                   for which, value in (("beta", beta), ("alpha", alpha)))
    product = product if alpha == 1 else product * alpha
    if beta == 0:  # PyTorch ignores input then (even NaN in it)
        return product_alone(input, product)
    return (input if beta == 1 else input * beta) + product


def product_scale(name: str, which: str, value: Any, dtype: Any, xp: Any, floats: bool = True) -> Any:
    """``alpha`` or ``beta`` (``which``) of ``name`` converted to the result's ``dtype`` as PyTorch converts it: a
    bool dtype takes its truth, an integer dtype truncates a float (refused where not ``floats``: ``addr``) and
    refuses a value out of its range, a real dtype refuses a complex value with an imaginary part."""
    if not isinstance(value, numbers.Number) or xp.isdtype(dtype, "complex floating"):
        return value
    kind = dtype_name(dtype)
    if isinstance(value, numbers.Complex) and not isinstance(value, numbers.Real):
        if value.imag != 0:
            raise RuntimeError(f"{name}: {which}={value} cannot be converted to {kind} without overflow (an "
                               f"imaginary part beside real tensors), as in PyTorch")
        value = value.real
    if kind == "bool":
        return bool(value)
    if not xp.isdtype(dtype, "integral"):
        return value
    if isinstance(value, numbers.Integral):
        return integer_fill(xp, dtype, int(value), f"{name}: {which}")
    if not floats:
        raise RuntimeError(f"{name}: For integral input tensors, argument {which} must not be a floating point "
                           f"number (got {value} beside {kind} tensors), as in PyTorch")
    info = xp.iinfo(dtype)
    if not info.min <= value <= info.max:
        raise RuntimeError(f"{name}: {which}={value} cannot be converted to {kind} without overflow (its range is "
                           f"{info.min}..{info.max}), as in PyTorch")
    return int(value)  # (toward zero, as C converts it)


def product_alone(input: Tensor, product: Tensor) -> Tensor:  # noqa: A002
    """``product``, the ignored ``input`` of ``beta = 0`` (NaN in it too) kept on the graph with a zero gradient, as
    PyTorch's (its ``input.grad`` is zeros, not None). input: broadcasting to product's shape."""
    if not (isinstance(input, Tensor) and input.requires_grad):
        return product
    xp = product.backend.xp
    keep = xp.ones_like(product.array, dtype=xp.bool)
    return elementwise.where(keep, product, input if input.dtype == product.dtype else input.astype(product.dtype))


def maximum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise maximum (ties share the gradient, as PyTorch); mixed dtypes promote by PyTorch's rules. Two
    tensors: a number is refused, as PyTorch's (its number overload is ``clamp_min``)."""
    refuse_numbers("maximum", input=input, other=other)
    return elementwise.maximum(*operands.kinds_agree(elementwise.Maximum, input, other))


def minimum(input: Tensor, other: Tensor) -> Tensor:  # noqa: A002
    """Elementwise minimum (ties share the gradient, as PyTorch); mixed dtypes promote by PyTorch's rules. Two
    tensors: a number is refused, as PyTorch's (its number overload is ``clamp_max``)."""
    refuse_numbers("minimum", input=input, other=other)
    return elementwise.minimum(*operands.kinds_agree(elementwise.Minimum, input, other))


def _flag_function(name: str) -> Any:
    def function(input: Tensor) -> Tensor:  # noqa: A002
        return getattr(input, name)()

    function.__name__ = name
    function.__doc__ = f"Elementwise ``{name}`` of input (*), a boolean tensor of its shape; not differentiable."
    return function


_SYMBOLS = {"__eq__": "==", "__ne__": "!=", "__lt__": "<", "__le__": "<=", "__gt__": ">", "__ge__": ">="}


def _compare_function(operator: str) -> Any:
    def function(input: Any, other: Any) -> Tensor:  # noqa: A002
        refuse_numbers(function.__name__, input=input)  # (PyTorch's overloads take a number second only)
        if not isinstance(input, Tensor):  # a native array first: flip the comparison
            flipped = {"__lt__": "__gt__", "__le__": "__ge__", "__gt__": "__lt__", "__ge__": "__le__"}
            out = getattr(other, flipped.get(operator, operator))(input)
        else:
            out = getattr(input, operator)(other)
        if out is NotImplemented:  # (the operator's answer to Python, returned as the result before: x.eq(None))
            raise TypeError(f"{function.__name__}(): argument 'other' must be Tensor or Number, not "
                            f"{type(other).__name__}, as in PyTorch")
        return out

    function.__name__ = operator.strip("_")
    function.__doc__ = (f"Elementwise ``input {_SYMBOLS[operator]} other`` (broadcast; other may be a number), a "
                        "boolean tensor; not differentiable.")
    return function


def _shape_of(name: str, other: Any) -> tuple[Any, ...]:
    require_tensor(name, other, "other", 1)
    return tuple(other.shape)


def setitem(self: Tensor, index: Any, value: Any) -> None:
    """``x[index] = value`` (see `anynn.functional.indexing.setitem`)."""
    indexing.setitem(self, index, value)


eq, ne = _compare_function("__eq__"), _compare_function("__ne__")
lt, le = _compare_function("__lt__"), _compare_function("__le__")
gt, ge = _compare_function("__gt__"), _compare_function("__ge__")
isnan, isinf, isfinite = _flag_function("isnan"), _flag_function("isinf"), _flag_function("isfinite")
sigmoid, tanh = activation.sigmoid, activation.tanh
sin, cos = elementwise.sin, elementwise.cos
gather, scatter, scatter_add = indexing.gather, indexing.scatter, indexing.scatter_add
index_select, masked_select, take = indexing.index_select, indexing.masked_select, indexing.take
sort, argsort, topk, cumsum = sorting.sort, sorting.argsort, sorting.topk, sorting.cumsum
tril, triu = triangular.tril, triangular.triu
multinomial = sampling.multinomial


def pow(input: Any, exponent: Any) -> Tensor:  # noqa: A001 - PyTorch's name
    """``input ** exponent``; either may be a number."""
    return input ** exponent if isinstance(input, Tensor) else exponent.__rpow__(input)


def numel(input: Tensor) -> int:  # noqa: A002
    """The number of elements of ``input`` (the product of its shape), a Python int."""
    return input.numel()


def _method_function(name: str) -> Any:
    def function(input: Tensor, *args: Any, **kwargs: Any) -> Any:  # noqa: A002 - PyTorch's name
        return getattr(input, name)(*args, **kwargs)

    function.__name__ = name
    function.__doc__ = f"``anynn.{name}(x, ...)`` is ``x.{name}(...)`` (PyTorch's arguments and defaults)."
    return function


var, std, logsumexp = _method_function("var"), _method_function("std"), _method_function("logsumexp")
all, any = _method_function("all"), _method_function("any")  # noqa: A001 - PyTorch's names


METHODS: dict[str, Any] = {
    "__setitem__": setitem,
    "__abs__": elementwise.abs, "__pos__": lambda self: self,
    "isnan": _elementwise_flag("isnan"), "isinf": _elementwise_flag("isinf"), "isfinite": _elementwise_flag("isfinite"),
    "eq": eq, "ne": ne, "lt": lt, "le": le, "gt": gt, "ge": ge,
    "greater": gt, "greater_equal": ge, "less": lt, "less_equal": le, "not_equal": ne,
    "view_as": lambda self, other: shape.reshape(self, _shape_of("view_as", other)),
    "reshape_as": lambda self, other: shape.reshape(self, _shape_of("reshape_as", other)),
    "narrow": narrow, "flip": _flip_method,
    "new_zeros": _new(0, "new_zeros"), "new_ones": _new(1, "new_ones"), "new_empty": _new(0, "new_empty"),
    "new_full": new_full, "new_tensor": new_tensor, "new_empty_strided": new_empty_strided,
    "new": new,
    "sort": sort, "argsort": argsort, "topk": topk, "cumsum": cumsum,
    "gather": gather, "scatter": scatter, "scatter_add": scatter_add,
    "index_select": index_select, "masked_select": masked_select, "take": take,
    "tril": tril, "triu": triu, "multinomial": multinomial,
    "bmm": bmm, "mm": mm, "baddbmm": baddbmm, "addmm": addmm,
    "maximum": maximum, "minimum": minimum,
}

__all__ = [
    "all", "any", "logsumexp", "std", "var",
    "addmm", "argsort", "baddbmm", "bmm", "cos", "cumsum", "einsum", "eq", "flip", "gather", "ge", "gt", "index_select",
    "isfinite", "isinf", "isnan", "le", "lt", "masked_select", "maximum", "minimum", "mm", "multinomial", "narrow",
    "ne", "numel", "pow", "scatter", "scatter_add", "sigmoid", "sin", "sort", "take", "tanh", "topk", "tril", "triu",
]
