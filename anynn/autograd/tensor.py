"""`Tensor`: a native array of one backend, plus what autograd needs (grad, creator)."""

from __future__ import annotations

import itertools
import numbers
import threading
import warnings
import weakref
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, overload

from ..backend import DTYPE_NAMES, Backend, BackendMismatch, backend_of, dtype_name, get_backend, host_array
from ..backend.symbolic import symbolic_array
from ..backend.arrays import is_writeable, row_major, sum_to_shape, write_all
from ..backend.base import check_numbers_fit, check_numpy_dtype, read_wide_ints, refuse_wide_ints
from ..backend.default_dtype import default_float, host_dtype
from ..backend.torch_names import comparable_dtype
from ..backend.transfer import (format_host_array, is_foreign_array, is_numpy_array, scalar_to_array,
                               transfer)
from ..backend.typing import Array, BackendLike, DeviceLike, DType, DTypeLike
from ..memory_format import check_memory_format
from . import inference as _inference
from .mode import inference_flag, is_grad_enabled
from .mode import inference_threads as _inference_threads
from .size import Size

if TYPE_CHECKING:  # the methods installed by anynn.functional.tensor_methods, declared for type checkers
    from ..device import device as AnynnDevice
    from .primitive import Function
    from .tensor_surface import TensorSurface
else:
    TensorSurface = object


class _Size(int):
    """The element count (the array API's ``x.size``) that is also callable like ``torch.Tensor.size``.

    ``x.size`` is an int; ``x.size()`` is the shape tuple and ``x.size(dim)`` one of its entries.
    """

    shape: tuple[int, ...]

    def __new__(cls, shape: tuple[int, ...]) -> "_Size":
        n = 1
        for s in shape:
            n *= s
        obj = super().__new__(cls, n)
        obj.shape = shape
        return obj

    @overload
    def __call__(self, dim: None = None) -> tuple[int, ...]: ...
    @overload
    def __call__(self, dim: int) -> int: ...

    def __call__(self, dim: int | None = None) -> tuple[int, ...] | int:
        return Size(self.shape) if dim is None else _size_along(self.shape, dim)


def _size_along(shape: tuple[Any, ...], dim: Any) -> Any:
    """``shape[dim]`` as PyTorch's ``x.size(dim)`` checks it: a dim that is no int (a bool, ``x.size(True)``, too)
    is a `TypeError`, one out of range an `IndexError` naming the range."""
    if isinstance(dim, bool) or not hasattr(dim, "__index__"):
        raise TypeError(f"size(): argument 'dim' must be int, not {type(dim).__name__}")
    dim = dim.__index__()
    if not -len(shape) <= dim < len(shape):
        raise IndexError(f"size(): dim {dim} is out of range for a tensor of shape {shape} (expected in "
                         f"[{-len(shape)}, {len(shape) - 1}])")
    return shape[dim]


class _SymbolicSize:
    """``x.size`` of a tensor with a symbolic axis (``None`` in its shape: ONNX export with ``dynamic_axes``):
    ``x.size()`` and ``x.size(dim)`` answer as `_Size`'s (``None`` for the symbolic axis); the element count has no
    value until the graph runs, so using it as a number raises."""

    def __init__(self, shape: tuple[int | None, ...]) -> None:
        self.shape = shape

    def __call__(self, dim: int | None = None) -> Any:
        return Size(self.shape) if dim is None else _size_along(self.shape, dim)  # type: ignore[arg-type]

    def _unknown(self, *args: Any) -> Any:
        raise TypeError(f"the element count of a tensor of shape {self.shape} is unknown: its None axes are "
                        f"symbolic (an ONNX export with dynamic_axes) and have a size only when the graph runs")

    __int__ = __index__ = __bool__ = __float__ = _unknown
    __mul__ = __rmul__ = __add__ = __radd__ = __sub__ = __rsub__ = __floordiv__ = __rfloordiv__ = _unknown
    __truediv__ = __rtruediv__ = __mod__ = __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _unknown
    __hash__ = None  # type: ignore[assignment]


NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad attribute won't be "
    "populated during autograd.backward(). If you indeed want the .grad field to be populated for a non-leaf Tensor, "
    "use .retain_grad() on the non-leaf Tensor. If you access the non-leaf Tensor by mistake, make sure you access "
    "the leaf Tensor instead.")

SCALAR_OF_GRAD_WARNING = ("Converting a tensor with requires_grad=True to a scalar may lead to unexpected behavior.\n"
                          "Consider using tensor.detach() first.")
_scalar_of_grad_warned = [False]  # PyTorch warns once per process (float(loss) in a loop warns at the first call)


class UnreadableDataError(TypeError, RuntimeError):
    """``tensor(None)``, ``tensor({"a": 1})``: data that is no number, list of numbers or array (PyTorch's
    RuntimeError "Could not infer dtype of NoneType"; a TypeError too)."""


class ScalarConversionError(ValueError, RuntimeError):
    """``float(t)`` / ``int(t)`` of a tensor that does not hold one value: PyTorch's ValueError (and ``item()``'s
    RuntimeError)."""


def _warn_scalar_of_grad() -> None:
    """PyTorch's warning for ``float(t)`` / ``complex(t)`` of a tensor that requires grad, given once, and only
    while grad mode is on (PyTorch's LBFGS reads ``float(closure())`` under no_grad and stays quiet)."""
    if not _scalar_of_grad_warned[0] and is_grad_enabled():
        _scalar_of_grad_warned[0] = True
        warnings.warn(SCALAR_OF_GRAD_WARNING, UserWarning, stacklevel=3)


GRAD_LOCK = threading.Lock()  # held while a gradient is added into a leaf's .grad (see `Tensor._accumulate`)
# [`anynn.autograd.views.refresh_views`], set when that module loads (it imports this one): a ``.grad`` given a new
# array takes its views again (`Tensor._rebind_grad`); a tensor has views only once views was loaded
refresh_views_hook: list[Any] = [None]


class Tensor(TensorSurface):
    """An n-dimensional array on one backend that records how it was made.

    ``.array`` is the native array (``numpy.ndarray``, ``cupy.ndarray``, ``torch.Tensor`` or an
    ``array_api_strict`` array; Chainer's name). ``.data`` is PyTorch's: a Tensor that shares that
    array outside autograd (see `Tensor.data`). Arithmetic operators, ``@``, reductions, reshaping and
    slicing build the graph when any input has ``requires_grad``; ``backward()`` fills ``.grad`` of the
    leaves. Create tensors with `anynn.tensor`.

    This module holds the data and its facts; the methods that compute (operators, reductions...) and
    those that run the graph engine (``backward``, ``register_hook``: `anynn.autograd.engine_methods`)
    are installed once from one table (`anynn.functional.tensor_methods.install`), so this module
    imports no module that imports it.
    """

    # _data_of: only on the Tensors that `data` hands out: (owner, the array both share); __dict__: programs
    # hang their own attributes on tensors as on PyTorch's (AdaHessian's p.hess), made only when one is set
    __slots__ = ("array", "backend", "_grad", "_requires_grad", "_ctx", "_index", "_retains_grad", "_version",
                 "_modified_at", "_data_of", "_owned_grad", "__weakref__", "__dict__")  # _owned_grad: see _accumulate
    __array_priority__ = 1000  # so ndarray + Tensor defers to Tensor.__radd__
    array: Array
    backend: Backend
    _grad: Tensor | None
    _owned_grad: Array  # the array an earlier sum made for this .grad Tensor (see _accumulate)
    _requires_grad: bool
    _ctx: Function | None  # the Function that made this tensor (None: a leaf)
    _index: int  # which output of _ctx
    _retains_grad: bool
    _version: int
    _modified_at: int
    _data_of: tuple[Tensor | weakref.ref[Tensor], Array]  # weak: `detach`'s

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:
        """PyTorch's ``torch.Tensor(...)`` forms (`anynn.legacy_constructors`): ``Tensor(2, 3)`` or
        ``Tensor(size)`` a float32 (2, 3) tensor (zeros), ``Tensor()`` shape (0,), ``Tensor(data)`` float32 data
        (lists, tuples, arrays), ``Tensor(t)`` an alias of the Tensor ``t``; ``device=``/``backend=`` place it.
        Make tensors with `anynn.tensor` (it keeps integer data integer); a subclass (`Parameter`) fills itself
        in its own ``__init__``."""
        if cls is not Tensor:
            return _new_tensor(cls)
        if legacy_constructor is None:
            raise RuntimeError("anynn.Tensor(...) is ready once anynn is imported; inside anynn use tensor()")
        return legacy_constructor(None, "Tensor", args, kwargs)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        """Made by ``__new__``."""

    @classmethod
    def _make(cls, data: Array, backend: Backend, ctx: Function | None, index: int) -> "Tensor":
        """A Tensor of class ``cls`` around ``data``, made by ``ctx`` (see `make_tensor`)."""
        t = make_tensor(data, backend, ctx, index)
        if cls is not Tensor:
            t.__class__ = cls
        return t

    def __deepcopy__(self, memo: dict[int, Any]) -> "Tensor":
        """``copy.deepcopy(t)`` of a leaf, as PyTorch's: same class and backend, a copy of the values, of ``grad``
        and of the attributes a program set on it; a tensor made by an operation refuses (PyTorch's error)."""
        if self._ctx is not None:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) support the deepcopy "
                               "protocol at the moment; detach() it first, or deepcopy the leaves it came from")
        import copy  # (rarely used: not worth an import at start-up)
        new = type(self)._make(self.backend.xp.asarray(self.array, copy=True), self.backend, None, 0)
        memo[id(self)] = new
        new._requires_grad = self._requires_grad
        if self._grad is not None:
            new._grad = copy.deepcopy(self._grad, memo)
        for name, value in getattr(self, "__dict__", {}).items():
            # the records of what a view was taken from and of the views taken: the copy is no view (PyTorch's)
            if name not in ("_view_of", "_views"):
                setattr(new, name, copy.deepcopy(value, memo))
        return new

    # -- autograd -------------------------------------------------------------------------------
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value: bool) -> None:
        if value and self._ctx is None and not _is_floating(self.array.dtype):
            raise RuntimeError(  # PyTorch's class and words
                f"only Tensors of floating point and complex dtype can require gradients, not "
                f"{dtype_name(self.array.dtype)}"
            )
        if not value and self._ctx is not None:
            raise RuntimeError("requires_grad can only be switched off on a leaf tensor; use .detach()")
        if value and _inference.made[0]:
            _inference.refuse_requires_grad(self)
        self._requires_grad = bool(value)

    @property
    def grad(self) -> Tensor | None:
        """The gradient accumulated by ``backward()`` (leaves, and non-leaves after ``retain_grad()``).

        Reading it on a non-leaf that does not retain its gradient warns as PyTorch does: it stays None.
        """
        grad = self._grad
        if grad is None and self._ctx is not None and not self._retains_grad:
            warnings.warn(NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return grad

    @grad.setter
    def grad(self, value: Tensor | None) -> None:
        """Assign a gradient: None, or a Tensor of this tensor's backend, shape and dtype (PyTorch refuses others:
        an optimizer would step with a gradient that does not fit)."""
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of type "
                                f"{type(value).__name__}")
            if value is self:  # each backward would add into the tensor itself
                raise RuntimeError("can't assign Variable as its own grad")
            if value.backend != self.backend:
                raise BackendMismatch(f"assigned grad lives on backend {value.backend.key!r}, the tensor on "
                                      f"{self.backend.key!r}; move it with .to({self.backend.key!r})")
            if tuple(value.array.shape) != tuple(self.array.shape):
                raise RuntimeError(f"attempting to assign a gradient of shape {tuple(value.array.shape)} to a tensor "
                                   f"of shape {tuple(self.array.shape)}; they must match")
            if value.array.dtype != self.array.dtype:
                raise RuntimeError(f"attempting to assign a gradient of dtype {dtype_name(value.array.dtype)} to a "
                                   f"tensor of dtype {dtype_name(self.array.dtype)}; they must match")
        self._grad = value

    @grad.deleter
    def grad(self) -> None:
        """``del t.grad``: as ``t.grad = None`` (PyTorch's)."""
        self._grad = None

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def grad_fn(self) -> Function | None:
        """The `Function` that made this tensor (``None`` for leaves)."""
        return self._ctx

    @property
    def output_nr(self) -> int:
        """Which output of its `grad_fn` this tensor is (0 for a leaf and a single output), as PyTorch's."""
        return self._index

    def retain_grad(self) -> None:
        """Keep ``.grad`` for this non-leaf tensor too."""
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor after `retain_grad` (a leaf keeps its grad anyway: False, as PyTorch's)."""
        return self._retains_grad and self._ctx is not None

    def _accumulate(self, g: Array) -> None:
        """``.grad += g`` outside a recorded pass, as PyTorch's gradient accumulation.

        The first gradient becomes ``.grad`` as given (the engine copies one that another tensor holds too). A
        later one is added into that same ``.grad`` Tensor, so whoever holds ``t.grad`` sees the sum: in place
        into an array made by an earlier sum (the grad Tensor's `_owned_grad`), else out of place once, that sum
        being its own from then on. One lock: threads running backward through shared leaves lose no gradient.
        """
        data = self.array
        if g.dtype != data.dtype:
            g = self.backend.xp.astype(g, data.dtype)
        if g.shape != data.shape and tuple(g.shape) != tuple(data.shape):
            g = sum_to_shape(self.backend.xp, g, tuple(data.shape))
        with GRAD_LOCK:
            grad = self._grad  # (the slot: the property's non-leaf warning is for users, and costs a call)
            if grad is None:
                self._grad = make_tensor(g, self.backend, None, 0)
                return
            if self._ctx is not None:  # a non-leaf's retain_grad: a new sum, as PyTorch's hook (the old .grad may
                self._grad = make_tensor(grad.array + g, self.backend, None, 0)  # be saved in a recorded graph)
                return
            current = grad.array
            if current is getattr(grad, "_owned_grad", None) and is_writeable(current):
                current += g
            else:
                grad._rebind_grad(current + g)

    def _zero_as_grad(self) -> None:
        """Zero this ``.grad`` Tensor as PyTorch's ``zero_grad(set_to_none=False)`` (``grad.zero_()``): in place into
        an array an earlier sum made for it (see `_accumulate`), so a view of the gradient held elsewhere sees the
        zeros and the next backward's sum, else into fresh zeros that are its own from then on. A gradient a
        ``create_graph`` backward recorded is cut from its graph first (PyTorch's ``detach_()``, or
        ``requires_grad_(False)``), so the next gradients are not added into a recorded tensor."""
        if self._ctx is not None or self._requires_grad:
            self._ctx, self._index, self._requires_grad = None, 0, False
        with GRAD_LOCK:
            current = self.array
            if current is getattr(self, "_owned_grad", None) and is_writeable(current):
                write_all(current, 0)
            else:
                self._rebind_grad(self.backend.xp.zeros_like(current))

    def _rebind_grad(self, array: Array) -> None:
        """Give this ``.grad`` Tensor a new array of its own (its shape), out of place: the array could not be written
        (JAX's) or belonged to another tensor. Views of the gradient held elsewhere (``w.grad[0]``) are taken again,
        so they see the zeros and the sums, as PyTorch's views of the one storage do."""
        self.array = self._owned_grad = array
        if self.__dict__.get("_views"):
            refresh_views_hook[0](self)

    def detach(self) -> "Tensor":
        """The same data, cut from the graph. As PyTorch's, it shares this tensor's version: an in-place change of
        the result counts as a change of this tensor (a backward through a Function that saved it refuses), and a
        new array it is given comes here too. The link is weak: a kept detached loss does not keep its graph."""
        alias = make_tensor(self.array, self.backend, None, 0)
        alias._data_of = (weakref.ref(self), self.array)
        if _inference.made[0] and _inference.is_inference(self):  # a view of an inference tensor is one too
            _inference.mark(alias)
        return alias

    @property
    def data(self) -> "Tensor":
        """PyTorch's ``.data``: a new Tensor sharing this tensor's array, outside autograd.

        It does not require grad and has no creator. In-place methods on it write into the shared array,
        so ``p.data.add_(p.grad, alpha=-lr)`` updates ``p`` (where a library cannot write in place, the
        new array is handed back to ``p``). As in PyTorch, this tensor's version does not move: a graph
        recorded before such a change does not notice it (``.data`` is the way around that check; use
        ``no_grad()`` and in-place methods on the tensor itself to keep it). The native array is `array`.
        """
        alias = make_tensor(self.array, self.backend, None, 0)
        alias._data_of = (self, self.array)
        if _inference.made[0] and _inference.is_inference(self):
            _inference.mark(alias)
        return alias

    @data.setter
    def data(self, value: Tensor | Array) -> None:
        """``t.data = x``: ``t`` holds ``x``'s array from now on (``x``: a Tensor or a native array of ``t``'s
        backend; the shape and dtype may change, as in PyTorch). Its version does not move (as in PyTorch)."""
        self.array = _array_for_data(self, value)

    def zero_grad(self) -> None:
        self.grad = None

    def _bump_version(self) -> None:
        """Record an in-place change of this tensor's values (see `mark_modified`)."""
        mark_modified(self)

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Set `requires_grad` in place and return this tensor, as in PyTorch."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"requires_grad_(): argument 'requires_grad' must be bool, not "
                            f"{type(requires_grad).__name__}")
        self.requires_grad = requires_grad
        return self

    # -- array facts ----------------------------------------------------------------------------
    @property
    def shape(self) -> Size:
        """The shape, a tuple of ints (`Size`, ``torch.Size``)."""
        return Size(self.array.shape)

    @property
    def ndim(self) -> int:
        return self.array.ndim

    @property
    def dtype(self) -> DType:
        """The backend's native dtype; it compares equal to ``anynn.float32`` etc. on every backend."""
        return comparable_dtype(self.array.dtype)

    @property
    def size(self) -> _Size:
        """The number of elements (an int); called, ``size()`` / ``size(dim)`` as in PyTorch."""
        shape = tuple(self.array.shape)
        return _Size(shape) if None not in shape else _SymbolicSize(shape)  # type: ignore[return-value]

    def dim(self) -> int:
        """The number of dimensions (``ndim``), as in PyTorch."""
        return self.array.ndim

    ndimension = dim  # PyTorch's older spelling

    def numel(self) -> int:
        """The number of elements."""
        return int(self.size)

    nelement = numel

    def is_floating_point(self) -> bool:
        """Whether the dtype is a real floating one (complex is not, as in PyTorch)."""
        return dtype_name(self.array.dtype).startswith(("float", "bfloat"))

    def contiguous(self, memory_format: Any = None) -> "Tensor":
        """This tensor where its array is row-major; else a row-major copy, as PyTorch's (a transposed view or a step
        slice: ``y = x.t().contiguous(); y.add_(1)`` leaves ``x`` as it was). Where the library shows no layout
        (JAX), a view is copied and any other tensor returned. ``memory_format`` is checked only."""
        check_memory_format("contiguous()", memory_format)
        ordered = row_major(self.array)
        if ordered:
            return self
        if ordered is None:  # no layout to see: a view is copied (it is mostly a transpose), the rest returned
            return self.clone() if getattr(self.__dict__.get("_view_of", self._ctx), "makes_view", False) else self
        flat = self.reshape(-1)  # a strided array reshaped: a row-major copy
        made = flat.__dict__.get("_view_of", flat._ctx)
        if made is not None:
            made.makes_view = False  # a copy, whatever the source's layout: changes of it stay there (PyTorch's)
        return flat.reshape(tuple(self.shape))

    @property
    def device(self) -> AnynnDevice:
        """An `anynn.device` (``.type``, ``.index``, PyTorch's ``str``) that remembers this tensor's backend,
        so ``x.to(y.device)`` and ``anynn.zeros(3, device=y.device)`` land exactly where ``y`` is."""
        from ..device import device

        return device.of(self.backend)

    @property
    def is_cuda(self) -> bool:
        """True on a CUDA device (CuPy, or PyTorch's ``cuda``)."""
        return self.device.type == "cuda"

    @property
    def is_cpu(self) -> bool:
        """True on the host (NumPy, PyTorch's ``cpu``, array_api_strict's devices)."""
        return self.device.type == "cpu"

    @property
    def is_meta(self) -> bool:
        """True on PyTorch's storage-less ``meta`` device (the torch backend's ``torch:meta``)."""
        return self.device.type == "meta"

    @property
    def is_xpu(self) -> bool:
        """True on an Intel GPU: never for anynn's backends (dcgan tests ``input.is_cuda or input.is_xpu``)."""
        return self.device.type == "xpu"

    @property
    def is_mps(self) -> bool:
        """True on Apple's GPU: never for anynn's backends."""
        return self.device.type == "mps"

    def __len__(self) -> int:
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self) -> Iterator[Tensor]:
        """The sub-tensors along the first axis (each ``self[i]``, in the graph), as PyTorch's iteration."""
        if self.array.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.array.shape[0]))

    def __reversed__(self) -> Tensor:
        """``reversed(t)``: ``t`` flipped along its first axis, a Tensor (a 0-d tensor itself), as PyTorch's (Python's
        own reversed() gave an iterator of rows)."""
        return self if self.array.ndim == 0 else self.flip(0)

    def __contains__(self, element: Any) -> bool:
        """``v in t``: whether any element of ``t`` equals ``v`` (a number, or a tensor broadcast against ``t``), as
        PyTorch's (iterating compared whole rows: ``2 in`` a matrix raised 'Boolean value ... is ambiguous')."""
        if not isinstance(element, (Tensor, numbers.Number)):
            raise RuntimeError(f"Tensor.__contains__ only supports Tensor or scalar, but you passed in a "
                               f"{type(element)}.")
        return bool((self == element).any().item())

    def __repr__(self) -> str:
        grad = ", requires_grad=True" if self._requires_grad else ""
        if self.backend.is_traced(self.array):  # no values to show (the meta device, a tracer): PyTorch's '...'
            return (f"tensor(..., backend={self.backend.key!r}, size={tuple(self.array.shape)}, "
                    f"dtype={dtype_name(self.dtype)}{grad})")
        body = format_host_array(self.numpy(), prefix="tensor(")
        return f"tensor({body}, backend={self.backend.key!r}, dtype={dtype_name(self.dtype)}{grad})"

    def __array__(self, dtype: DTypeLike = None, copy: bool | None = None) -> Any:
        """``np.asarray(tensor)``: the data on the host (a copy unless the backend is NumPy)."""
        host = self.numpy()
        if dtype is not None and host.dtype != dtype:
            return host.astype(dtype)
        return host.copy() if copy else host

    def __array_wrap__(self, array: Any, context: Any = None, return_scalar: bool = False) -> Tensor:
        """``np.sin(t)``, ``np.maximum(t, 2)``: a NumPy ufunc's result on a tensor is a tensor on its backend, as
        PyTorch's (a bool result is uint8, as PyTorch's, which predates its bool tensors)."""
        if array.dtype == bool:
            array = array.astype("uint8")
        return make_tensor(self.backend.from_host(array), self.backend, None, 0)

    def __bool__(self) -> bool:
        if self.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape})")
        return bool(self.item())

    def __float__(self) -> float:
        if self._requires_grad:
            _warn_scalar_of_grad()
        return float(self._python_scalar())

    def __int__(self) -> int:
        return int(self._python_scalar())

    def __complex__(self) -> complex:
        if self._requires_grad:
            _warn_scalar_of_grad()
        return complex(self._python_scalar())

    def _python_scalar(self) -> float | int | bool:
        """``item()`` for ``float(t)`` / ``int(t)`` / ``complex(t)``, refusing other sizes with PyTorch's ValueError."""
        if self.size != 1:
            raise ScalarConversionError(f"only one element tensors can be converted to Python scalars (this one has "
                                        f"{self.size} elements, shape {self.shape})")
        return self.item()

    def __index__(self) -> int:
        """An integer tensor of one element used as an index (``range(n)``, ``lst[i]``), as in PyTorch."""
        if self.size != 1 or _is_floating(self.array.dtype):
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, format_spec: str) -> str:
        """A 0-d tensor formats as its value (``f"{loss:.4f}"``), any other as ``str`` (as PyTorch does)."""
        if self.array.ndim == 0:
            return self.item().__format__(format_spec)
        return object.__format__(self, format_spec)

    def __hash__(self) -> int:
        return id(self)

    # -- leaving the backend --------------------------------------------------------------------
    def numpy(self, *, force: bool = False) -> Any:
        """A NumPy copy (or view, on NumPy) of the data on the host. ``force`` is PyTorch's flag for a tensor that
        requires grad or lives on a device; anynn hands those over anyway, so it changes nothing. A NumPy array with
        a negative stride (a view ``x[::-1]`` or a flip inside a formula made) comes back copied: PyTorch's arrays
        never have one, and `from_numpy` / `tensor` refuse them as PyTorch's do."""
        host = self.backend.to_host(self.array)
        return host.copy() if host.ndim and min(host.strides) < 0 else host

    def item(self) -> float | int | bool:
        """The single value of a one-element tensor as a Python number."""
        if self.size != 1:
            raise RuntimeError(f"a Tensor with {self.size} elements cannot be converted to Scalar "
                               f"(item() needs a one-element tensor, this one has shape {self.shape})")
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def to(self, *args: Any, backend: BackendLike = None, dtype: DTypeLike = None, device: DeviceLike = None,
           copy: bool = False, non_blocking: bool = False, memory_format: Any = None) -> "Tensor":
        """This tensor on another backend and/or dtype (DLPack when possible, else a host copy).

        Accepts PyTorch's forms: ``x.to("float64")``, ``x.to(torch.float64)``, ``x.to("double")``,
        ``x.to("cpu")``, ``x.to("cuda")``, ``x.to(other_tensor)``, as well as ``x.to("torch")``,
        ``x.to("array_api_strict", dtype="float64")``. A dtype change on the same backend is
        differentiable (as in PyTorch); a move to another backend gives a new leaf that keeps
        ``requires_grad``. Nothing to change returns this tensor itself (unless ``copy``). What "cpu"
        and "cuda" mean depends on this tensor's library (NumPy <-> CuPy; PyTorch: its devices); see
        `anynn.device`. ``non_blocking`` and ``memory_format`` (`anynn.memory_format`: a layout hint, no value
        changes) are accepted for PyTorch's signature.
        """
        check_memory_format("to()", memory_format)
        args, copy = positional_flags(args, copy)
        backend, dtype = to_arguments("to()", args, backend, dtype, device)
        target = self.backend if backend is None else self._target_backend(backend)
        if target == self.backend:
            out = self if dtype is None else self.astype(dtype)
            return self.clone() if copy and out is self else out
        data = transfer(self.array, self.backend, target)
        if dtype is not None:
            native = target.dtype(dtype)
            if data.dtype != native:
                data = target.xp.astype(data, native)
        out = Tensor._make(data, target, None, 0)
        out._requires_grad = self._requires_grad
        return out

    def _target_backend(self, spec: BackendLike | DeviceLike) -> Backend:
        """A backend from a name, or from a device (``"cpu"``, ``"cuda:1"``, ``y.device``) on this tensor's library."""
        from ..device import resolve

        return resolve(spec, self.backend)

    def cuda(self, device: int | str | None = None, non_blocking: bool = False) -> "Tensor":
        """This tensor on a CUDA device (``device``: an index or ``"cuda:i"``): NumPy becomes CuPy, torch moves to
        ``cuda``; raises `BackendUnavailable` where there is no GPU."""
        where = "cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device)
        return self.to(where)

    @overload
    def type(self, dtype: None = None, non_blocking: bool = False) -> str: ...
    @overload
    def type(self, dtype: DTypeLike, non_blocking: bool = False) -> Tensor: ...

    def type(self, dtype: DTypeLike = None, non_blocking: bool = False) -> str | Tensor:
        """Without ``dtype``: PyTorch's type string (``"torch.FloatTensor"``, ``"torch.cuda.LongTensor"``), so
        ported code comparing against those strings keeps working. With ``dtype`` (a dtype, a dtype name or such
        a string, or a legacy type class such as ``anynn.FloatTensor``): this tensor cast to it."""
        from ..dtypes import type_string, type_target

        if dtype is None:
            return type_string(self.array.dtype, self.device.type == "cuda")
        if dtype is Tensor:  # x.type(torch.Tensor): the default tensor type, so the default floating dtype
            from ..backend.default_dtype import default_float

            return self.astype(default_float())
        # a legacy type class, x.type(torch.FloatTensor) (PyTorch-GAN's `Tensor` idiom), or a type string
        target, on_cuda = type_target(dtype)
        if target is not dtype:
            return (self.to("cuda") if on_cuda and not self.is_cuda else self).astype(target)
        if isinstance(dtype, str):
            try:  # a dtype name ("float32"): anynn's own
                return self.astype(dtype)
            except TypeError:
                raise ValueError(f"invalid type: {dtype!r} (PyTorch's type strings are 'torch.FloatTensor', "
                                 f"'torch.cuda.LongTensor'...)") from None
        return self.astype(dtype)

    # -- other libraries ----------------------------------------------------------------------
    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        """DLPack export of the data (``np.from_dlpack(x)``, ``torch.from_dlpack(x)``), as the native array does."""
        if self._requires_grad:
            raise RuntimeError("Can't export a tensor that requires grad through DLPack; use tensor.detach() "
                               "(as in PyTorch)")
        return self.array.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self) -> Any:
        return self.array.__dlpack_device__()

    def cpu(self, memory_format: Any = None) -> "Tensor":
        """This tensor on the host: torch stays torch, CuPy becomes NumPy, device1 becomes CPU."""
        check_memory_format("cpu()", memory_format)
        return self.to("cpu")

    def float(self, memory_format: Any = None) -> "Tensor":
        return self._converted("float32", memory_format, "float")

    def double(self, memory_format: Any = None) -> "Tensor":
        return self._converted("float64", memory_format, "double")

    def half(self, memory_format: Any = None) -> "Tensor":
        """float16, where the backend has it (not array_api_strict)."""
        return self._converted("float16", memory_format, "half")

    def bfloat16(self, memory_format: Any = None) -> "Tensor":
        """bfloat16, where the backend has it (PyTorch)."""
        return self._converted("bfloat16", memory_format, "bfloat16")

    def long(self, memory_format: Any = None) -> "Tensor":
        return self._converted("int64", memory_format, "long")

    def int(self, memory_format: Any = None) -> "Tensor":
        return self._converted("int32", memory_format, "int")

    def bool(self, memory_format: Any = None) -> "Tensor":
        return self._converted("bool", memory_format, "bool")

    def short(self, memory_format: Any = None) -> "Tensor":
        return self._converted("int16", memory_format, "short")

    def char(self, memory_format: Any = None) -> "Tensor":
        return self._converted("int8", memory_format, "char")

    def byte(self, memory_format: Any = None) -> "Tensor":
        return self._converted("uint8", memory_format, "byte")

    def cfloat(self, memory_format: Any = None) -> "Tensor":
        return self._converted("complex64", memory_format, "cfloat")

    def cdouble(self, memory_format: Any = None) -> "Tensor":
        return self._converted("complex128", memory_format, "cdouble")

    def _converted(self, dtype: str, memory_format: Any, name: str) -> "Tensor":
        """``x.float()``, ``x.half(memory_format=...)``: a cast; ``memory_format`` PyTorch's layout hint."""
        if memory_format is not None:
            check_memory_format(f"{name}()", memory_format)
        return self.astype(dtype)


def init_tensor(t: Tensor, data: Any, backend: BackendLike = None, dtype: DTypeLike = None,
                requires_grad: bool = False) -> None:
    """Fill the new Tensor ``t`` with a copy of ``data`` (host data, a native array of any backend, a Tensor):
    `tensor`'s rules. The internal constructor (``Tensor(...)`` itself takes PyTorch's legacy forms)."""
    if isinstance(data, Tensor):  # a copy keeps the backend and dtype, like a native array
        backend = data.backend if backend is None else backend
        dtype = dtype_name(data.dtype) if dtype is None else dtype
        data = data.array
    elif isinstance(data, (list, tuple)):
        data = _tensor_leaves_as_scalars(data)
    if backend is None:
        try:
            be = backend_of(data) if not is_numpy_array(data) else get_backend(None)
        except TypeError:
            be = get_backend(None)
    else:
        be = get_backend(backend)
    native_dtype = be.dtype(dtype)
    # the tensor owns its data: a copy of the caller's array, as torch.tensor makes (from_numpy shares)
    if be.is_native(data) and not is_numpy_array(data):
        data = be.adopt(data)  # e.g. a torch tensor: anynn does the autograd, torch must record nothing
        t.array = _private_copy(be, data, native_dtype)
    elif is_foreign_array(data):
        t.array = _private_copy(be, transfer(data, backend_of(data), be), native_dtype)
    else:
        if is_numpy_array(data) and data.dtype.kind in "biufc":  # (other kinds: the error below)
            check_numpy_dtype("tensor()", data)
        # host data, by PyTorch's rule: NumPy's dtypes kept (float64 too), Python floats the default dtype
        host = read_wide_ints(data, host_array(data, None), None if native_dtype is None else dtype_name(native_dtype))
        if native_dtype is None and host.dtype.kind in "fc":
            name = host_dtype(data, host)
            if name == "bfloat16":  # a bfloat16 default: NumPy has none, the backend casts
                native_dtype = be.dtype(name)
            elif host.dtype.kind == "f" and name.startswith(("int", "uint")):
                # Python ints that NumPy read as float64: some past int64's range beside others ([1, 2**63]; alone
                # they read as uint64), which the cast wrapped to -2**63: PyTorch's ValueError
                refuse_wide_ints(data)
                host = host.astype(name)
            elif name != dtype_name(host.dtype):
                host = host.astype(name)
        symbolic = symbolic_array(data) if host.dtype.kind == "O" else None  # (sizes of a symbolic axis, read as
        if symbolic is not None:  # the recorded graph runs: torch.tensor(x.size(0)) in an ONNX export)
            t.array = be.asarray(symbolic, native_dtype)
        elif host.dtype.kind not in "biufc":
            raise UnreadableDataError(f"tensor(): cannot make a tensor of {type(data).__name__} {_short(data)} (NumPy "
                                      f"reads it as dtype {host.dtype}); give numbers, nested lists of numbers or a "
                                      "numeric array")
        if symbolic is None:
            if native_dtype is not None:
                check_numbers_fit(data, host, dtype_name(native_dtype))
            if host is data or host.base is not None:  # the caller's array or a view of it
                host = host.copy()
            t.array = be.asarray(be.from_host(host), native_dtype)
    t.backend = be
    t._grad = None
    t._ctx = None
    t._index = 0
    t._retains_grad = False
    t._requires_grad = False
    t._version = 0
    if _inference_threads[0] and inference_flag.enabled:  # made inside inference_mode(): an inference tensor
        _inference.mark(t)
    t.requires_grad = requires_grad


def _tensor_leaves_as_scalars(data: list[Any] | tuple[Any, ...]) -> Any:
    """``data`` with each Tensor in it read as one number, as ``torch.tensor([t0, t1])`` reads it: a one-element
    tensor of any shape is its value (0-d, keeping its dtype), a larger one PyTorch's ValueError (NumPy stacked
    them: ``[ones(2), ones(2)]`` became a (2, 2) tensor, ``[ones(1), ones(1)]`` (2, 1) where PyTorch gives (2,)).
    ``data`` itself when it holds no Tensor."""
    items = list(data)
    changed = False
    for i, item in enumerate(items):
        if isinstance(item, Tensor):
            if item.size != 1:
                raise ScalarConversionError(f"tensor(): only one element tensors can be converted to Python "
                                            f"scalars, as in PyTorch (element {i} has shape {tuple(item.shape)}); "
                                            f"use anynn.stack or anynn.cat to join tensors")
            items[i], changed = item.reshape(()), changed or item.ndim != 0
        elif isinstance(item, (list, tuple)):
            inner = _tensor_leaves_as_scalars(item)
            items[i], changed = inner, changed or inner is not item
    return items if changed else data


def make_tensor(data: Array, backend: Backend, ctx: Function | None, index: int) -> Tensor:
    """A `Tensor` around the native array ``data`` (a NumPy scalar becomes a 0-d array), made by ``ctx``.

    The hot path of every operation: ``Tensor._make`` without the classmethod lookup.
    """
    t = _new_tensor(Tensor)
    t.array = scalar_to_array(data)
    t.backend = backend
    t._grad = None
    t._ctx = ctx
    t._index = index
    t._retains_grad = False
    t._requires_grad = ctx is not None
    t._version = 0
    if ctx is None and _inference_threads[0] and inference_flag.enabled:  # a factory's tensor in inference_mode()
        _inference.mark(t)
    return t


_new_tensor = object.__new__

# ``Tensor(...)``'s PyTorch forms, installed by anynn.legacy_constructors (one formula with FloatTensor...; it
# builds on the factories, a layer above): (dtype name or None, constructor name, args, kwargs) -> Tensor
legacy_constructor: Callable[[str | None, str, tuple[Any, ...], dict[str, Any]], Tensor] | None = None


def install_legacy_constructor(new: Callable[[str | None, str, tuple[Any, ...], dict[str, Any]], Tensor]) -> None:
    """Make ``new`` the formula of ``Tensor(...)`` (called once, by anynn.legacy_constructors)."""
    global legacy_constructor
    legacy_constructor = new


def mark_modified(t: Tensor) -> None:
    """Record that ``t``'s values changed in place: its ``_version`` goes up by one, as in PyTorch.

    Every in-place write into a tensor calls it: the in-place operators and methods, item assignment,
    optimizer steps (which rebind ``p.array``). Backward refuses to run through a `Function` recorded
    before an in-place change of one of its inputs. Assigning ``t.array = ...`` or ``t.data = ...`` by hand,
    and in-place changes through ``t.data``, do not count (as in PyTorch, ``.data`` is the way around the check).
    """
    global last_modification
    t._version += 1
    if getattr(t, "_data_of", None) is not None:  # a `data` or `detach` alias: its owner sees a rebound array too
        written = t._data_of[1]  # the array it shared with its owner (JAX: replaced by the change, not written)
        _write_through(t)
        _count_in_owner(t, written)
    # a process-wide, strictly increasing stamp (itertools.count is atomic): a Function remembers the last
    # stamp handed out when it was recorded; backward compares one number per Function while no tensor changed
    with _STAMP_LOCK:  # (threads: a stamp taken earlier never replaces a later one, see `_STAMP_LOCK`)
        t._modified_at = stamp = next(_stamps)
        if stamp > last_modification:
            last_modification = stamp
    # each change counts as a write into the array until `note_new_producer` says it gave the tensor a new array
    found = t.__dict__
    found["_written_before"] = found.get("_written_at", 0)
    found["_written_at"] = stamp


def unmark_written(t: Tensor) -> None:
    """The last `mark_modified` of ``t`` gave it a new array (a recorded in-place operation): its old array, which a
    Function may have saved, was not written."""
    found = t.__dict__
    found["_written_at"] = found.get("_written_before", 0)


def mark_all_modified(tensors: list[Tensor]) -> None:
    """`mark_modified` of each of ``tensors``, changed one after another with no Function recorded in between (an
    optimizer step): each version goes up by one, and one stamp, taken after the last change, orders them all."""
    global last_modification
    stamp = next(_stamps)
    aliases = []
    for t in tensors:
        t._version += 1
        # only `data` and `detach` set _data_of, on a plain Tensor: a Parameter skips the lookup (a miss raises
        # inside getattr)
        if t.__class__ is Tensor and getattr(t, "_data_of", None) is not None:
            written = t._data_of[1]
            _write_through(t)
            aliases.append((t, written))
        t._modified_at = stamp
    with _STAMP_LOCK:
        if stamp > last_modification:
            last_modification = stamp
    for t, written in aliases:  # after: their owners' stamps come later, so the last stamp handed out stays the largest
        _count_in_owner(t, written)


def _count_in_owner(alias: Tensor, written: Any) -> None:
    """An in-place change of a `detach` alias is one of its owner too (PyTorch's shared version counter), while the
    owner still holds the alias's array; a `data` alias's is not (PyTorch's way around the check). ``written``: the
    array the alias shared with its owner before the change (the one its owner's Function may have saved; on a
    library that cannot write in place the change gave both a new array)."""
    ref = alias._data_of[0]
    if isinstance(ref, weakref.ref):
        owner = ref()
        if owner is not None and owner.array is alias.array:
            mark_modified(owner)
            producer = owner._ctx
            if producer is not None:  # a Function's output written in place (b.detach().zero_()): if that Function
                # saved the array (sigmoid, exp), its backward would read the new values; `_check_unmodified` refuses
                producer.output_written_at, producer.output_written_id = owner._modified_at, id(written)


def _write_through(alias: Tensor) -> None:
    """After an in-place change of a `Tensor.data` alias that rebound its array (a library that cannot write
    in place, or a recorded operation), hand the new array to the owner, if the owner still holds the old one."""
    while True:
        link = getattr(alias, "_data_of", None)
        if link is None:
            return
        ref, shared = link
        owner = ref() if isinstance(ref, weakref.ref) else ref  # (weak: a `detach` alias)
        if owner is None:
            return
        new = alias.array
        if new is shared:
            return
        alias._data_of = (ref, new)
        if owner.array is not shared:  # the owner was given another array since: the alias is on its own
            return
        owner.array = new
        alias = owner


def _array_for_data(t: Tensor, value: Tensor | Array) -> Array:
    """The native array that ``t.data = value`` gives ``t`` (checked as PyTorch's ``set_data``)."""
    be = t.backend
    if isinstance(value, Tensor):
        if value.backend != be:
            raise BackendMismatch(f"Tensor.data = ...: the tensor is on backend {be.key!r}, the new data on "
                                  f"{value.backend.key!r}; move it first with .to({be.key!r})")
        array = value.array
    elif be.is_native(value) and be.same_device(value):
        array = be.adopt(value)
    elif is_foreign_array(value) or is_numpy_array(value) or be.is_native(value):
        raise BackendMismatch(f"Tensor.data = ...: the tensor is on backend {be.key!r}, the new data is a "
                              f"{type(value).__module__}.{type(value).__name__} elsewhere; wrap it with "
                              f"anynn.tensor(..., backend={be.key!r})")
    else:
        raise TypeError(f"Tensor.data = ...: expected a Tensor or a native array of backend {be.key!r}, got "
                        f"{type(value).__name__} (as in PyTorch, data has to be a tensor)")
    if t._requires_grad and not _is_floating(array.dtype):
        raise RuntimeError(f"data set to a tensor that requires gradients must be floating point or complex dtype, "
                           f"not {dtype_name(array.dtype)}")
    return array


_stamps = itertools.count(1)
last_modification = 0  # the stamp of the latest in-place change (0: none yet); read by Function.apply
# taking a stamp and publishing it as last_modification is one step: a thread preempted in between published an older
# stamp after another thread's newer one, and a Function recorded next then saw its own inputs as changed after it
_STAMP_LOCK = threading.Lock()


def _private_copy(be: Backend, array: Array, native_dtype: DType | None) -> Array:
    """``array`` as ``native_dtype`` (its own dtype if ``None``) in fresh memory that no caller holds."""
    if native_dtype is not None and array.dtype != native_dtype:
        return be.xp.astype(array, native_dtype)  # astype copies
    return be.xp.asarray(array, copy=True)


def _short(data: Any) -> str:
    text = repr(data)
    return text if len(text) <= 40 else text[:37] + "..."


def _names_dtype(spec: Any) -> bool:
    """Whether ``spec`` (a string, or a NumPy/torch/array API dtype) names a dtype rather than a backend."""
    if isinstance(spec, Backend) or hasattr(spec, "__name__") and not isinstance(spec, type):
        return False  # a Backend or an array namespace module
    if type(spec).__name__ == "device":
        return False
    try:
        return dtype_name(spec) in DTYPE_NAMES
    except TypeError:
        return False


def positional_flags(args: tuple[Any, ...], copy: bool) -> tuple[tuple[Any, ...], bool]:
    """PyTorch's ``.to(device, dtype, non_blocking, copy)`` / ``.to(dtype, non_blocking, copy)``: the booleans after
    the leading arguments are ``non_blocking`` (nothing to do here) and ``copy``. Returns the other arguments and
    ``copy``."""
    flags = [a for a in args if isinstance(a, bool)]
    if not flags or not args or isinstance(args[0], bool):
        return args, copy
    return tuple(a for a in args if not isinstance(a, bool)), copy or (len(flags) > 1 and flags[1])


def to_arguments(name: str, args: tuple[Any, ...], backend: Any, dtype: Any, device: Any) -> tuple[Any, Any]:
    """``(backend, dtype)`` from the positional forms of PyTorch's ``.to`` (a dtype, a device or backend, a
    Tensor whose backend and dtype are taken) and the keywords; ``device`` stands for an unnamed backend.
    ``name`` starts the error raised for a second backend."""
    for arg in args:
        if arg is None:
            continue
        if isinstance(arg, Tensor):
            backend = arg.backend if backend is None else backend
            dtype = arg.dtype if dtype is None else dtype
        elif _names_dtype(arg):
            dtype = arg
        elif backend is None:
            backend = arg
        else:
            raise TypeError(f"{name}: cannot read {arg!r} as a dtype, and the backend is already {backend!r}")
    if device is not None and backend is None:
        backend = device
    return backend, dtype


def _is_floating(dtype: DType) -> bool:
    return dtype_name(dtype).startswith(("float", "bfloat", "complex"))


def tensor(data: Any, backend: BackendLike = None, dtype: DTypeLike = None, requires_grad: bool = False) -> Tensor:
    """Create a `Tensor` from host data (lists, NumPy arrays) or a native array; it copies ``data``.

    As ``torch.tensor``, the tensor owns a copy: changing it never changes the caller's array, and two
    tensors made from one array are independent (`anynn.from_numpy` shares the array instead).
    Strings, ``None`` and other objects raise `TypeError`.

    Parameters
    ----------
    data : array_like
        Python numbers, nested lists, a NumPy array, or an array of any backend.
    backend : str or Backend, optional
        ``"numpy"``, ``"cupy"``, ``"torch"``, ``"array_api_strict"`` or ``"auto"``; by default the
        backend of ``data`` if it is a native array, else the default backend (NumPy).
    dtype : str or dtype, optional
        ``"float32"``, ``"float64"``, ``"int64"``...; by default PyTorch's rule: NumPy arrays and scalars
        keep their dtype (float64 stays float64), Python floats take the default dtype (float32 unless
        `anynn.set_default_dtype` changed it), Python ints int64, a list the widest of its elements'
        dtypes, and native arrays of a backend keep theirs.
    requires_grad : bool
        Record operations on this tensor for `Tensor.backward`.
    """
    t = _new_tensor(Tensor)
    init_tensor(t, data, backend, dtype, requires_grad)
    return t


def zeros(shape: tuple[int, ...], backend: BackendLike = None, dtype: DTypeLike = None,
          requires_grad: bool = False) -> Tensor:
    """A tensor of zeros of ``shape`` on ``backend`` (the default backend when ``None``), of the default
    dtype unless ``dtype`` says."""
    be = get_backend(backend)
    native = be.dtype(dtype or default_float())
    out = make_tensor(be.xp.zeros(tuple(shape), dtype=native, device=be.device), be, None, 0)
    out.requires_grad = requires_grad
    return out


def ones(shape: tuple[int, ...], backend: BackendLike = None, dtype: DTypeLike = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of ones of ``shape`` on ``backend`` (the default backend when ``None``), of the default
    dtype unless ``dtype`` says."""
    be = get_backend(backend)
    out = make_tensor(be.xp.ones(tuple(shape), dtype=be.dtype(dtype or default_float()), device=be.device), be, None, 0)
    out.requires_grad = requires_grad
    return out


def note_new_producer(t: Tensor, before: Tensor) -> None:
    """After a recorded in-place operation on ``t`` (stamped by `mark_modified`) gave it a new producer: keep the
    producer ``before`` held, so Functions recorded earlier still send their gradient there (PyTorch's edges are
    fixed when a node is recorded). The entry also names the array ``t`` held (``id``: a Function that saved it
    holds it alive), and the change counts as no write: ``t`` got a new array, the old one is unchanged."""
    found = t.__dict__.get("_producers_before")
    if found is None:
        found = t.__dict__["_producers_before"] = []
    found.append((t._modified_at, before._ctx, before._index, before.array.dtype, before.array.shape,
                  id(before.array)))
    unmark_written(t)
