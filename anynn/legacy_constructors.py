"""PyTorch's legacy constructors, one formula: ``Tensor(...)`` and the typed ``FloatTensor``, ``DoubleTensor``,
``HalfTensor``, ``LongTensor``, ``IntTensor``, ``ShortTensor``, ``ByteTensor``, ``CharTensor``, ``BoolTensor``.

Each takes PyTorch's forms (``torch.Tensor`` is ``FloatTensor`` with the default dtype, float32):

- sizes: ``Tensor(2, 3)``, ``Tensor(x.size())`` (a `Size`), ``Tensor(size=(2, 3))``, ``Tensor(3)`` (shape (3,),
  not a 0-d tensor holding 3), ``Tensor()`` (shape (0,)): zeros (PyTorch leaves the memory uninitialised);
- data: ``Tensor([1, 2])``, ``Tensor((2, 3))`` (a tuple is data), ``Tensor(ndarray)``: the constructor's dtype
  (``Tensor``'s: the default dtype, NumPy float64 cast to it as PyTorch does; floats truncate toward zero in the
  integer types), sharing a NumPy array's memory where the dtype already fits and the backend can (as
  `anynn.as_tensor`), a copy otherwise;
- a Tensor: ``Tensor(t)`` is an alias of ``t`` (the same memory, gradients flow back to ``t``), refused with
  ``device=``; ``FloatTensor(t)`` of a tensor of another dtype raises `TypeError`, as in PyTorch.

``device=`` (PyTorch's) and ``backend=`` (anynn's) place the sizes and data forms; ``anynn.cuda.FloatTensor`` and its
kin (`CUDA_TYPES`) place them on ``"cuda"``. ``dtype=`` and ``requires_grad=``
are refused, as PyTorch does: `anynn.tensor` takes them. ``isinstance(t, anynn.FloatTensor)`` asks whether ``t`` is
a float32 Tensor, as in PyTorch (gcn/gat build their features with ``torch.FloatTensor(array)``).
"""

from __future__ import annotations

import numbers
import operator
from collections.abc import Sequence
from typing import Any

import numpy as np

from .autograd.size import Size
from .autograd.tensor import Tensor, install_legacy_constructor
from .backend import dtype_name
from .backend.default_dtype import default_float
from .dtypes import dtype as _dtype


def legacy_new(dtype: str | None, name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Tensor:
    """``name(*args, **kwargs)`` for the legacy constructor of dtype ``dtype`` (None: ``Tensor(...)``, the default
    dtype, as PyTorch's ``torch.Tensor`` casts even NumPy float64 data to it)."""
    from .factories import as_tensor, zeros

    target = dtype or default_float()
    kwargs = dict(kwargs)
    device, backend = kwargs.pop("device", None), kwargs.pop("backend", None)
    as_data = "data" in kwargs
    for key in ("size", "data"):
        if key in kwargs:
            if args:
                raise TypeError(f"{name}(): got positional arguments {args!r} and {key}=; give one of them")
            args = (Size(kwargs.pop(key)) if key == "size" else kwargs.pop(key),)
    if kwargs:
        raise TypeError(f"{name}(): unexpected keyword argument(s) {', '.join(sorted(kwargs))}; PyTorch's legacy "
                        f"constructor takes sizes or data, and device= (anynn: backend= too). For dtype= or "
                        f"requires_grad= use anynn.tensor(data, dtype=..., requires_grad=...)")
    if len(args) == 1 and isinstance(args[0], Tensor) and not as_data:
        return _alias(name, target, args[0], device, backend)
    shape = None if as_data else _sizes(args)
    if shape is not None:
        if any(n < 0 for n in shape):
            raise ValueError(f"{name}(): cannot make a tensor with a negative dimension, got sizes {shape}")
        return zeros(shape, dtype=target, backend=backend, device=device)
    if len(args) != 1:
        raise TypeError(f"{name}(): expected sizes (ints), a Size, or one sequence or array of data, got {args!r}")
    data = args[0]
    if isinstance(data, (str, bytes)) or isinstance(data, (numbers.Number, np.generic)) or not (
            isinstance(data, Sequence) or hasattr(data, "shape")):
        raise TypeError(f"{name}(): data must be a sequence or an array (got {type(data).__name__}); "
                        f"a 0-d tensor of a number is anynn.tensor(value)")
    if isinstance(data, Tensor):
        raise TypeError(f"{name}(data=...): data must be a sequence or an array; Tensor(t) aliases a Tensor")
    if _truncating(target, data):  # floats into an integer type: made as float first, cast (truncates to zero)
        return as_tensor(data, backend=backend, device=device).to(target)
    return as_tensor(data, dtype=target, backend=backend, device=device)


def _sizes(args: tuple[Any, ...]) -> tuple[int, ...] | None:
    """The shape ``args`` give (``()`` for no arguments), or None when they are data."""
    if len(args) == 1 and isinstance(args[0], Size):
        return tuple(args[0])
    if len(args) == 1 and isinstance(args[0], Tensor):
        return None
    shape = []
    for a in args if args else (0,):
        if isinstance(a, (bool, np.bool_)):
            return None
        try:
            shape.append(operator.index(a))  # ints, NumPy integers, 0-d integer arrays (as PyTorch)
        except TypeError:
            return None
    return tuple(shape)


def _alias(name: str, target: str, t: Tensor, device: Any, backend: Any) -> Tensor:
    """``Tensor(t)``: a new Tensor sharing ``t``'s memory whose gradient flows back to ``t`` (PyTorch's alias)."""
    if device is not None or backend is not None:
        raise RuntimeError(f"Legacy tensor constructor of the form {name}(tensor, device=device) is not supported. "
                           f"Use anynn.tensor(...) or anynn.as_tensor(...) instead.")
    if name != "Tensor" and t.dtype != _dtype(target):
        raise TypeError(f"{name}(): expected a {target} tensor, got a {dtype_name(t.dtype)} tensor; convert it "
                        f"with .to(anynn.{target})")
    return t.reshape(t.shape)


def _truncating(target: str, data: Any) -> bool:
    """Floats into an integer type (made as float first, then cast: truncation toward zero, as PyTorch)."""
    return target not in ("float32", "float64", "float16", "bfloat16", "bool") and np.asarray(data).dtype.kind == "f"


class _TypedMeta(type):
    _dtype_name: str
    is_cuda: bool

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, Tensor) and obj.dtype == _dtype(cls._dtype_name) and obj.is_cuda == cls.is_cuda

    @property
    def dtype(cls) -> Any:
        """The class's dtype (``torch.FloatTensor.dtype`` is ``torch.float32``)."""
        return _dtype(cls._dtype_name)


class _TypedTensor(metaclass=_TypedMeta):
    _dtype_name = "float32"
    is_cuda = False

    def __new__(cls, *args: Any, **kwargs: Any) -> Tensor:  # type: ignore[misc]
        if cls.is_cuda:
            from .backend import default_backend
            from .backend.torch_names import cuda_available

            if not cuda_available(default_backend()):  # PyTorch's CPU build: a TypeError, also for data
                raise TypeError(f"type torch.cuda.{cls.__name__} not available. Torch not compiled with CUDA enabled. "
                                f"(anynn: no CUDA device is usable for the default backend; the CPU's is "
                                f"anynn.{cls.__name__}, or check anynn.cuda.is_available() first)")
            kwargs.setdefault("device", "cuda")
        return legacy_new(cls._dtype_name, cls.__name__, args, kwargs)


def _typed(name: str, dtype_name: str, cuda: bool = False) -> Any:
    where = "torch.cuda" if cuda else "torch"
    return _TypedMeta(name, (_TypedTensor,), {
        "_dtype_name": dtype_name, "is_cuda": cuda, "__module__": "anynn.cuda" if cuda else __name__,
        "__doc__": f"A {dtype_name} Tensor{' on a CUDA device' if cuda else ''} (``{where}.{name}``): ``{name}(data)`` "
                   f"converts data, ``{name}(*sizes)`` gives zeros, ``{name}(t)`` aliases a {dtype_name} Tensor (see "
                   f"`anynn.legacy_constructors`)."})


FloatTensor = _typed("FloatTensor", "float32")
DoubleTensor = _typed("DoubleTensor", "float64")
HalfTensor = _typed("HalfTensor", "float16")
LongTensor = _typed("LongTensor", "int64")
IntTensor = _typed("IntTensor", "int32")
ShortTensor = _typed("ShortTensor", "int16")
CharTensor = _typed("CharTensor", "int8")
ByteTensor = _typed("ByteTensor", "uint8")
BoolTensor = _typed("BoolTensor", "bool")

# ``torch.cuda.FloatTensor`` and its kin (anynn.cuda's): PyTorch-GAN's ``Tensor = torch.cuda.FloatTensor if cuda else
# torch.FloatTensor`` names them on every machine; they make tensors on "cuda" (a TypeError where none is usable)
CUDA_TYPES = {name: _typed(name, dtype_name, cuda=True) for name, dtype_name in (
    ("FloatTensor", "float32"), ("DoubleTensor", "float64"), ("HalfTensor", "float16"), ("BFloat16Tensor", "bfloat16"),
    ("LongTensor", "int64"), ("IntTensor", "int32"), ("ShortTensor", "int16"), ("CharTensor", "int8"),
    ("ByteTensor", "uint8"), ("BoolTensor", "bool"))}

install_legacy_constructor(legacy_new)  # Tensor(...) itself: the same formula, dtype float32

__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor", "HalfTensor", "IntTensor",
           "LongTensor", "ShortTensor", "Size"]
