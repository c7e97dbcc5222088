"""Tensor factories with PyTorch's names, in one place: ``tensor``, ``as_tensor``, ``from_numpy``, ``zeros``,
``ones``, ``full``, ``empty``, ``arange``, ``linspace``, ``logspace``, ``eye``, the random ``rand``, ``randn``,
``randint``, ``randperm``, ``normal``, ``bernoulli``, the ``*_like`` forms, and the process-wide settings
``get_default_dtype``/``set_default_dtype``, ``set_printoptions``, ``default_generator``.

Every factory takes ``backend=`` (default: the default backend), ``device=`` (``"cpu"``, ``"cuda"``, ``x.device``;
see `anynn.device`) and ``dtype=`` (floats in the default dtype unless said otherwise, float32 unless
`set_default_dtype` changed it, as in PyTorch). Random tensors are drawn on the
host from NumPy's ``Generator`` and moved to the backend, so one seed gives the same values on every backend: pass
``generator=`` (a seed, an `anynn.Generator` or a ``numpy.random.Generator``), or seed the default one with
`anynn.manual_seed`.
"""

from __future__ import annotations

import functools
import math
import operator
import warnings
from typing import Any

import numpy as np

from . import init
from .autograd.tensor import Tensor
from .autograd.tensor import tensor as _tensor
from .backend import Backend, dtype_name, get_backend
from .backend.base import check_numpy_dtype
from .backend.arrays import check, integer_fill, one_element
from .backend.default_dtype import default_complex, default_float, set_default_float
from .backend.symbolic import is_symbolic
from .memory_format import check_memory_format
from .device import resolve as resolve_device
from .dtypes import dtype as _dtype
from .autograd.primitive import require_tensor


_NO_SIZE: Any = object()


class NegativeSizeError(ValueError, RuntimeError):
    """A factory asked for a negative dimension: PyTorch's RuntimeError, and a ValueError."""


class StorageSizeError(ValueError, RuntimeError):
    """A factory asked for more elements than any storage holds (``zeros(2**40, 2**40)``): PyTorch's RuntimeError
    ('Storage size calculation overflowed'), where NumPy's was a ValueError ('array is too big') alone."""


class HostMemoryError(MemoryError, RuntimeError):
    """A factory's tensor does not fit in memory (``zeros(10**6, 10**6)``): PyTorch's RuntimeError on the CPU
    ('DefaultCPUAllocator: can't allocate memory'), and the MemoryError NumPy raised alone."""


def _allocating(factory: Any) -> Any:
    """``factory`` with NumPy's MemoryError of a tensor too large for memory raised as `HostMemoryError`."""
    @functools.wraps(factory)
    def made(*args: Any, **kwargs: Any) -> Tensor:
        try:
            return factory(*args, **kwargs)
        except MemoryError as error:
            if isinstance(error, RuntimeError):
                raise
            raise HostMemoryError(f"{factory.__name__}(): {error} (PyTorch: 'DefaultCPUAllocator: can't allocate "
                                  "memory')") from error
    return made


def _size(size: tuple[Any, ...], fn: str = "size", keyword: Any = _NO_SIZE) -> tuple[int, ...]:
    """PyTorch's shape forms: ``f(2, 3)``, ``f((2, 3))``, ``f([2, 3])``, ``f(x.size())`` and ``f(size=(2, 3))``
    (``keyword``) all mean shape ``(2, 3)``; the sizes are ints (NumPy integers and 0-d integer tensors too).
    ``fn`` names the factory in errors."""
    if keyword is not _NO_SIZE:
        if size:
            raise TypeError(f"{fn}(): the shape given twice, as {size} and as size={keyword!r}")
        size = (keyword,)
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    elif len(size) == 1 and isinstance(size[0], bool):  # (a bool inside a tuple is taken, as there)
        raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not bool, as in PyTorch")
    try:
        shape = tuple(operator.index(n) for n in size)
    except TypeError:
        if any(is_symbolic(n) for n in size):  # a size of a symbolic axis (ONNX export): made when the graph runs
            return tuple(n if is_symbolic(n) else operator.index(n) for n in size)
        raise TypeError(f"{fn}(): size must be ints or one tuple/list of ints (as PyTorch), got "
                        f"{size[0] if len(size) == 1 else size!r}") from None
    if any(n < 0 for n in shape):
        raise NegativeSizeError(f"{fn}(): cannot make a tensor with a negative dimension, got size {shape}")
    if math.prod(shape) > _MOST_ELEMENTS:
        raise StorageSizeError(f"{fn}(): the size {shape} holds {math.prod(shape)} elements, more than any storage "
                               f"(as PyTorch: 'Storage size calculation overflowed with sizes={list(shape)}')")
    return shape


_MOST_ELEMENTS = (2**63 - 1) // 16  # bytes addressable by an int64, over the widest element (complex128)


def _sized(fn: str, size: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[int, ...]:
    """The shape of ``fn(*size, **kwargs)``, where ``kwargs`` may hold only PyTorch's ``size=``; a shape is required,
    as in PyTorch (``zeros(())`` is 0-d)."""
    keyword = kwargs.pop("size", _NO_SIZE)
    if kwargs:
        raise TypeError(f"{fn}() got an unexpected keyword argument {next(iter(kwargs))!r}")
    if not size and keyword is _NO_SIZE:
        raise TypeError(f"{fn}() missing its size: give {fn}(2, 3), {fn}((2, 3)) or {fn}(size=(2, 3)) "
                        f"({fn}(()) is 0-d), as in PyTorch")
    return _size(size, fn, keyword)


def _made(data: Any, backend: Backend, requires_grad: bool) -> Tensor:
    out = Tensor._make(data, backend, None, 0)
    out.requires_grad = requires_grad
    return out


def _like(other: Tensor, backend: Any, dtype: Any, device: Any = None) -> tuple[Backend, Any]:
    be = other.backend if backend is None else get_backend(backend)
    be = be if device is None else resolve_device(device, be)
    return be, be.dtype(dtype_name(other.dtype) if dtype is None else dtype)


def _symbolic(input: Tensor, backend: Backend) -> bool:
    """``input`` has a symbolic axis (``None`` in its shape: ONNX export with ``dynamic_axes``) and the new tensor
    lives with it: made with the array library's ``*_like``, which reads the size when the graph runs."""
    return None in tuple(input.shape) and backend == input.backend


def _where(backend: Any, device: Any) -> Backend:
    """The backend of a new tensor: ``backend`` (default: the default one), moved to ``device`` if given
    (``"cuda"``, ``"cpu"``, ``x.device``: read against that backend's library, see `anynn.device`)."""
    be = get_backend(backend)
    return be if device is None else resolve_device(device, be)


def from_numpy(array: np.ndarray, backend: Any = None, requires_grad: bool = False) -> Tensor:
    """A tensor that shares the memory of a NumPy array, with its dtype (float64 stays float64), as in PyTorch.

    Changes through either side show in the other, on backends that can use host memory (NumPy,
    PyTorch on the CPU, array_api_strict on its CPU device); a GPU backend or a read-only array gets a
    copy. `anynn.tensor` always copies.
    """
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(array).__module__}.{type(array).__name__}")
    if array.dtype.kind not in "biufc":
        raise TypeError(f"from_numpy: cannot make a tensor of a NumPy array of dtype {array.dtype}")
    check_numpy_dtype("from_numpy", array)
    be = get_backend(backend)
    return _made(be.from_host(array), be, requires_grad)


@_allocating
def zeros(*size: Any, dtype: Any = None, backend: Any = None, device: Any = None,
          requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """A tensor of zeros of shape ``size`` (``zeros(2, 3)``, ``zeros((2, 3))``, ``zeros(size=(2, 3))``)."""
    be = _where(backend, device)
    shape = _sized("zeros", size, kwargs)
    return _made(be.xp.zeros(shape, dtype=be.dtype(dtype or default_float()), device=be.device), be, requires_grad)


@_allocating
def ones(*size: Any, dtype: Any = None, backend: Any = None, device: Any = None, requires_grad: bool = False,
         **kwargs: Any) -> Tensor:
    """A tensor of ones of shape ``size`` (the forms of `zeros`)."""
    be = _where(backend, device)
    shape = _sized("ones", size, kwargs)
    return _made(be.xp.ones(shape, dtype=be.dtype(dtype or default_float()), device=be.device), be, requires_grad)


@_allocating
def full(size: Any, fill_value: Any, dtype: Any = None, backend: Any = None, device: Any = None,
         requires_grad: bool = False) -> Tensor:
    """A tensor of shape ``size`` filled with ``fill_value`` (dtype from the value when not given)."""
    if not isinstance(size, (tuple, list)):  # torch.full takes no bare int (zeros, ones and empty do)
        raise TypeError(f"full(): argument 'size' must be a tuple or list of ints, not {type(size).__name__}; "
                        f"write full(({size!r},), ...)")
    _check_fill_value(fill_value)
    be = _where(backend, device)
    if dtype is None:
        integer = isinstance(fill_value, int) or is_symbolic(fill_value)  # (a SymInt: an exported axis' size)
        dtype = "bool" if isinstance(fill_value, bool) else "int64" if integer else (
            default_complex("full()") if isinstance(fill_value, complex) else default_float())
    native = be.dtype(dtype)  # (NaN or 1e10 into an integer dtype, 1j into a real one: integer_fill refuses them)
    shape = _size((size,), "full")
    data = be.xp.full(shape, integer_fill(be.xp, native, fill_value, "full", wrapped=one_element(shape)),
                      dtype=native, device=be.device)
    return _made(data, be, requires_grad)


def _check_fill_value(value: Any, name: str = "full") -> None:
    """Refuse, as PyTorch's ``full``, a fill value that is no number or 0-d tensor (NumPy read None as NaN, a string
    as its number and broadcast a list)."""
    if value is None or isinstance(value, (str, bytes, list, tuple)) or getattr(value, "ndim", 0):
        what = f" of shape {tuple(value.shape)}" if getattr(value, "ndim", 0) else ""
        raise TypeError(f"{name}(): argument 'fill_value' must be a number or a 0-d tensor, not "
                        f"{type(value).__name__}{what}, as in PyTorch")


def zeros_like(input: Tensor, dtype: Any = None, backend: Any = None, device: Any = None,  # noqa: A002 - PyTorch's name
               requires_grad: bool = False, *, memory_format: Any = None) -> Tensor:
    """Zeros with the shape of ``input`` and its dtype and backend unless given (``memory_format``: a layout hint,
    as optimizers written for PyTorch pass ``torch.preserve_format``)."""
    check_memory_format("zeros_like()", memory_format)
    be, native = _like(input, backend, dtype, device)
    if _symbolic(input, be):
        return _made(be.xp.zeros_like(input.array, dtype=native), be, requires_grad)
    return _made(be.xp.zeros(input.shape, dtype=native, device=be.device), be, requires_grad)


def ones_like(input: Tensor, dtype: Any = None, backend: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, *, memory_format: Any = None) -> Tensor:
    """Ones of ``input``'s shape, on its backend and of its dtype unless ``dtype``/``backend``/``device`` say."""
    check_memory_format("ones_like()", memory_format)
    be, native = _like(input, backend, dtype, device)
    if _symbolic(input, be):
        return _made(be.xp.ones_like(input.array, dtype=native), be, requires_grad)
    return _made(be.xp.ones(input.shape, dtype=native, device=be.device), be, requires_grad)


def full_like(input: Tensor, fill_value: Any, dtype: Any = None, backend: Any = None, device: Any = None,  # noqa: A002
              requires_grad: bool = False, *, memory_format: Any = None) -> Tensor:
    """``fill_value`` in ``input``'s shape, on its backend and of its dtype unless ``dtype``/``backend``/``device``
    say."""
    check_memory_format("full_like()", memory_format)
    _check_fill_value(fill_value, "full_like")
    be, native = _like(input, backend, dtype, device)
    if _symbolic(input, be):
        return _made(be.xp.full_like(input.array, fill_value, dtype=native), be, requires_grad)
    fill_value = integer_fill(be.xp, native, fill_value, "full_like",  # (1j into float32: refused, NaN into int64)
                              wrapped=one_element(input.shape))
    return _made(be.xp.full(input.shape, fill_value, dtype=native, device=be.device), be, requires_grad)


class _OnlyEnd:
    """`arange`'s default ``end``: ``arange(n)`` is ``arange(0, n)``, where an explicit ``None`` is refused."""

    def __repr__(self) -> str:
        return "<start is the end>"


_ONLY_END = _OnlyEnd()


def arange(start: Any, end: Any = _ONLY_END, step: Any = 1, dtype: Any = None, backend: Any = None,
           device: Any = None, requires_grad: bool = False) -> Tensor:
    """``[start, end)`` in steps of ``step`` (``arange(n)`` is ``0 .. n-1``); int64 for integer arguments."""
    if end is _ONLY_END:
        start, end = 0, start
    start, end, step = (_bound_number(v) for v in (start, end, step))
    if start is None or end is None or step is None:  # (arange(0, None) read as arange(0) gave an empty range)
        raise TypeError(f"arange: start, end and step must be numbers, got ({start}, {end}, {step}); None is also the "
                        f"size of a symbolic axis while an ONNX export records (x.size(1) with that axis in "
                        f"dynamic_axes), which has no value until the graph runs")
    if any(isinstance(v, (float, np.floating)) and not np.isfinite(v) for v in (start, end, step)):
        raise RuntimeError(f"arange: unsupported range: {start} -> {end} (step {step}); the bounds and the step must "
                           f"be finite")
    if step == 0 or (end - start) * step < 0:  # NumPy gives an empty range for a step that points away from end
        raise RuntimeError(f"arange: upper bound and lower bound inconsistent with step sign (start {start}, end "
                           f"{end}, step {step})" if step else "arange: step must be nonzero")
    if dtype is None:
        dtype = "int64" if all(isinstance(v, int) or is_symbolic(v) for v in (start, end, step)) else default_float()
    be = _where(backend, device)
    native, wide = be.dtype(dtype), _float64_of(be)
    if wide is None or native == wide or not be.xp.isdtype(native, "real floating"):
        return _made(be.xp.arange(start, end, step, dtype=native, device=be.device), be, requires_grad)
    # computed in float64 and rounded once, as PyTorch's kernel computes in double (NumPy's float32 arange steps by
    # a float32 delta, drifting up to thousands of ulps on long ranges: arange(0, 1, 0.1)[9] was 0.90000004)
    values = be.xp.arange(start, end, step, dtype=wide, device=be.device)
    return _made(be.xp.astype(values, native), be, requires_grad)


def _bound_number(value: Any) -> Any:
    """An arange bound as PyTorch reads it: a 0-d Tensor or NumPy scalar as its Python number (an integer or bool
    one as an int, so ``arange(lengths.max())`` is int64), anything else as it is."""
    if isinstance(value, Tensor) and value.ndim == 0 or isinstance(value, np.generic):
        value = value.item()
    return int(value) if isinstance(value, bool) else value


def _float64_of(be: Backend) -> Any:
    """The backend's float64 dtype, or None where it has none."""
    try:
        return be.dtype("float64")
    except TypeError:
        return None


def _check_steps(name: str, steps: int) -> None:
    if isinstance(steps, float):  # (cut to an int before: steps=n / 2)
        raise TypeError(f"{name}(): argument 'steps' must be int, not float ({steps!r}), as in PyTorch")
    if not is_symbolic(steps) and steps < 0:
        raise RuntimeError(f"{name}: number of steps must be non-negative, got {steps}")


def linspace(start: float, end: float, steps: int, dtype: Any = None, backend: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive, PyTorch's values for real dtypes (see
    `_torch_linspace`); complex ones, and none or a symbolic number of ``steps``, by the array library's
    ``linspace``."""
    _check_steps("linspace", steps)
    be = _where(backend, device)
    start, end = _bound_number(start), _bound_number(end)
    complex_bounds = isinstance(start, complex) or isinstance(end, complex)
    native, wide = be.dtype(dtype or (default_complex("linspace") if complex_bounds else default_float())), \
        _float64_of(be)
    if complex_bounds and not be.xp.isdtype(native, "complex floating"):
        raise RuntimeError(f"linspace(): inferred dtype {default_complex('linspace')} can't be safely cast to passed "
                           f"dtype {dtype_name(native)} (a complex start or end), as PyTorch's")
    if complex_bounds or be.xp.isdtype(native, "complex floating"):
        data = be.xp.linspace(complex(start), complex(end), int(steps), dtype=native, device=be.device)
    elif wide is None or is_symbolic(steps) or not steps or not be.xp.isdtype(native, ("real floating", "integral")):
        data = be.xp.linspace(float(start), float(end), int(steps), dtype=native, device=be.device)
    else:
        data = _torch_linspace(be, start, end, int(steps), native, wide)
    return _made(data, be, requires_grad)


def _torch_linspace(be: Backend, start: float, end: float, steps: int, native: Any, wide: Any) -> Any:
    """PyTorch's linspace kernel: ``start`` and ``end`` in the dtype (an integer dtype truncates them), the step
    ``(end - start) / (steps - 1)`` in the dtype (float64 for integers), the first half ``start + step * i`` and
    the second ``end - step * (steps - 1 - i)``, each a fused multiply-add (one rounding, made exact here in
    float64 by `_fused_multiply_add`), then cast (an integer dtype truncates). float16 rounds after each
    operation, as PyTorch's Half arithmetic. Shape (steps,)."""
    xp, name = be.xp, dtype_name(native)
    if xp.isdtype(native, "integral"):
        start, end = _integer_bound(xp, native, start), _integer_bound(xp, native, end)
        step = (end - start) / (steps - 1) if steps > 1 else 0.0
    else:
        kind = np.dtype(name).type
        start, end = float(kind(start)), float(kind(end))
        step = float(kind((kind(end) - kind(start)) / kind(steps - 1))) if steps > 1 else 0.0
    i = xp.arange(steps, dtype=wide, device=be.device)
    if name == "float16":
        return _half_linspace(xp, start, end, step, steps, i, native)
    first = _fused_multiply_add(xp, xp.full_like(i, step), i, start)
    second = _fused_multiply_add(xp, xp.full_like(i, -step), (steps - 1) - i, end)
    values = xp.where(i < _halfway(steps), first, second)
    return xp.astype(xp.trunc(values) if xp.isdtype(native, "integral") else values, native)


def _integer_bound(xp: Any, native: Any, value: Any, name: str = "linspace") -> float:
    """A linspace (or logspace) bound in an integer dtype, as PyTorch converts it: a float must lie in the dtype's
    range (then it is truncated), an int is `integer_fill`'s (uint8 wraps -255..-1); else `RuntimeError`."""
    info = xp.iinfo(native)
    if isinstance(value, float) and not info.min <= value <= info.max:
        raise RuntimeError(f"{name}: the value {value} cannot be converted to {dtype_name(native)} without overflow "
                           f"(its range is {info.min}..{info.max})")
    return float(integer_fill(xp, native, int(value), name))


def _half_linspace(xp: Any, start: float, end: float, step: float, steps: int, i: Any, native: Any) -> Any:
    """`_torch_linspace` in float16 arithmetic (each product and sum rounded to float16, as PyTorch's Half)."""
    h = xp.astype(i, native)
    step_h, last = xp.full_like(h, step), xp.full_like(h, float(steps - 1))
    return xp.where(i < _halfway(steps), xp.full_like(h, start) + step_h * h,
                    xp.full_like(h, end) - step_h * (last - h))


def _halfway(steps: int) -> int:
    """The first index PyTorch's linspace counts back from ``end`` (one step: the start alone)."""
    return steps // 2 if steps > 1 else 1


def _fused_multiply_add(xp: Any, a: Any, b: Any, c: float) -> Any:
    """``a * b + c`` (float64 arrays, ``b`` whole numbers) with about one rounding, as a C++ ``fma``: the product's
    rounding error by Dekker's split, the sum's by Knuth's two-sum, added back before the last rounding."""
    product = a * b
    a_hi, a_lo = _split(a)
    b_hi, b_lo = _split(b)
    product_error = ((a_hi * b_hi - product) + a_hi * b_lo + a_lo * b_hi) + a_lo * b_lo
    total = product + c
    back = total - c
    sum_error = (c - (total - back)) + (product - back)
    return total + (sum_error + product_error)


def _split(v: Any) -> tuple[Any, Any]:
    """``v`` as ``hi + lo``, each of at most 26 significant bits (Veltkamp's split of a float64)."""
    t = 134217729.0 * v  # 2**27 + 1
    hi = t - (t - v)
    return hi, v - hi


def eye(n: int, m: int | None = None, dtype: Any = None, backend: Any = None, device: Any = None,
        requires_grad: bool = False) -> Tensor:
    """The ``(n, m)`` identity (``m = n`` by default)."""
    for name, value in (("n", n), ("m", m)):
        if isinstance(value, float):  # (cut to an int before)
            raise TypeError(f"eye(): argument '{name}' must be int, not float ({value!r}), as in PyTorch")
        if value is not None and not is_symbolic(value) and value < 0:
            raise RuntimeError(f"eye: {name} must be greater or equal to 0, got {value}")
    be = _where(backend, device)
    return _made(be.xp.eye(int(n), m, dtype=be.dtype(dtype or default_float()), device=be.device), be, requires_grad)


def _drawn(host: np.ndarray, dtype: Any, backend: Any, requires_grad: bool, device: Any = None) -> Tensor:
    be = _where(backend, device)
    native = be.dtype(dtype)
    data = be.from_host(np.asarray(host, order="C"))  # (ascontiguousarray makes a 0-d draw 1-d)
    if data.dtype != native:
        data = be.xp.astype(data, native)
    return _made(data, be, requires_grad)


def _parts(name: str, shape: tuple[int, ...], draw: Any) -> np.ndarray:
    """``draw(shape, real dtype)`` on the host; for a complex ``name`` drawn twice over, as the real and imaginary
    parts (PyTorch draws both alike)."""
    real = np.float64 if name in ("float64", "complex128") else np.float32
    if not name.startswith("complex"):
        return draw(shape, real)
    parts = draw((*shape, 2), real)
    return parts[..., 0] + np.complex64(1j) * parts[..., 1]


def _in_graph(kind: str, size: Any, name: str, backend: Any, device: Any, requires_grad: bool,
              generator: Any = None) -> Tensor | None:
    """Draws of ``kind`` (``"uniform"``, ``"normal"``) made on the backend where `init.graph_draw` gives a draw: a
    random node of the graph where the backend records one (ONNX export: drawn when the graph runs, not one
    constant), the compiled step's own generator for a call given no ``generator`` inside a traced step (new
    numbers every call, as ``torch.compile`` runs ``torch.rand``); None elsewhere (drawn on the host). ``size``: a
    shape, or the array whose shape the draws take."""
    be = _where(backend, device)
    draw = init.graph_draw(be, generator)
    if draw is None or name.startswith("complex"):
        return None
    return _made(draw(kind, size, be.dtype(name)), be, requires_grad)


@_allocating
def rand(*size: Any, generator: Any = None, dtype: Any = None, backend: Any = None, device: Any = None,
         requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """Uniform on ``[0, 1)``, drawn on the host (the same values on every backend for one seed); the shape forms
    of `zeros`.

    ``generator``: an int seed or a ``numpy.random.Generator``; by default the one `anynn.manual_seed` seeds.
    """
    name = dtype_name(dtype or default_float())
    _check_floating("rand()", "check_uniform_bounds", name)
    shape = _sized("rand", size, kwargs)
    drawn = _in_graph("uniform", shape, name, backend, device, requires_grad, generator)
    if drawn is not None:
        return drawn
    host = _parts(name, shape, lambda shape, real: init._rng(generator).random(shape, dtype=real))
    return _drawn(host, name, backend, requires_grad, device=device)


@_allocating
def randn(*size: Any, generator: Any = None, dtype: Any = None, backend: Any = None, device: Any = None,
          requires_grad: bool = False, **kwargs: Any) -> Tensor:
    """Standard normal, drawn on the host (the same values on every backend for one seed); the shape forms of
    `zeros`."""
    name = dtype_name(dtype or default_float())
    _check_floating("randn()", "normal_kernel_cpu", name)
    shape = _sized("randn", size, kwargs)
    drawn = _in_graph("normal", shape, name, backend, device, requires_grad, generator)
    if drawn is not None:
        return drawn
    host = _parts(name, shape, lambda shape, real: init._rng(generator).standard_normal(shape, dtype=real))
    if name.startswith("complex"):  # PyTorch's complex normal: unit variance shared by the two parts
        host = host * np.sqrt(0.5).astype(host.real.dtype)
    return _drawn(host, name, backend, requires_grad, device=device)


@_allocating
def randint(low: int = 0, high: Any = None, size: Any = None, generator: Any = None, dtype: Any = None,
            backend: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Integers uniform on ``[low, high)``; int64 by default. PyTorch's forms: ``randint(low, high, size)``,
    ``randint(high, size)`` and ``randint(high, size=...)`` (from 0), ``randint(low=..., high=..., size=...)``.
    ``requires_grad=True`` takes a floating ``dtype`` (the memory-format tutorial's input), as in PyTorch."""
    if size is None and isinstance(high, (tuple, list)):  # randint(high, size)
        low, high, size = 0, low, high
    elif high is None:
        low, high = 0, low
    if size is None:
        raise TypeError("randint(): missing the size (a tuple of ints), as in PyTorch: randint(high, size) or "
                        "randint(low, high, size)")
    shape = _size((size,), "randint")
    if not is_symbolic(low) and not is_symbolic(high) and low >= high:
        raise RuntimeError(f"randint: expected low < high (values are drawn from [low, high)), got low={low} >= "
                           f"high={high}")
    drawn = _in_graph("uniform", shape, "float64", backend, device, False, generator)
    if drawn is not None:  # (a recorded graph: floor(u * (high - low)) + low)
        return _requiring((drawn * (high - low)).floor().to(dtype or "int64") + low, requires_grad)
    host = init._rng(generator).integers(low, high, size=shape)
    return _requiring(_drawn(host, dtype or "int64", backend, False, device=device), requires_grad)


def _requiring(made: Tensor, requires_grad: bool) -> Tensor:
    """``made`` with ``requires_grad`` set (an integer dtype refuses True, naming itself, as PyTorch's)."""
    if requires_grad:
        made.requires_grad = True
    return made


def randperm(n: int, generator: Any = None, dtype: Any = None, backend: Any = None, device: Any = None,
             requires_grad: bool = False) -> Tensor:
    """A random permutation of ``0 .. n-1`` (int64 by default; ``requires_grad=True`` takes a floating dtype)."""
    if not is_symbolic(n) and n < 0:
        raise RuntimeError(f"randperm: n must be non-negative, got {n}")
    drawn = _in_graph("uniform", (n,), "float32", backend, device, False, generator)
    if drawn is not None:  # (a recorded graph: the order of uniform draws)
        return _requiring(drawn.argsort().to(dtype or "int64"), requires_grad)
    return _requiring(_drawn(init._rng(generator).permutation(int(n)), dtype or "int64", backend, False,
                             device=device), requires_grad)


def _check_floating(where: str, kernel: str, name: str) -> None:
    """PyTorch draws uniform and normal values only in floating dtypes: an integer or bool dtype raises its
    NotImplementedError (anynn drew floats and cast them, giving zeros or True)."""
    if not name.startswith(("float", "bfloat", "complex")):
        raise NotImplementedError(f"{where}: \"{kernel}\" not implemented for {name}: uniform and normal draws "
                                  f"need a floating dtype (float32, float64...); randint draws integers")


def _random_like(kind: str, where: str, input: Tensor, generator: Any, dtype: Any, backend: Any,  # noqa: A002
                 device: Any, requires_grad: bool, layout: Any, memory_format: Any) -> Tensor:
    """``kind`` draws (``"uniform"``, ``"normal"``) of ``input``'s shape, on its backend and of its dtype unless
    ``dtype``/``backend``/``device`` say; ``layout`` and ``memory_format`` are PyTorch's hints."""
    from .layout import check_layout

    check_layout(layout, where)
    check_memory_format(where, memory_format)
    be, _ = _like(input, backend, dtype, device)
    name = dtype_name(dtype or input.dtype)
    _check_floating(where, "check_uniform_bounds" if kind == "uniform" else "normal_kernel_cpu", name)
    drawn = _in_graph(kind, input.array if be == input.backend else tuple(input.shape), name, be, None,
                      requires_grad, generator)
    if drawn is not None:  # (a recorded graph: drawn in the input's shape, symbolic axes included)
        return drawn
    draw = rand if kind == "uniform" else randn
    return draw(tuple(input.shape), generator=generator, dtype=name, backend=be, requires_grad=requires_grad)


def rand_like(input: Tensor, generator: Any = None, dtype: Any = None, *, backend: Any = None,  # noqa: A002
              device: Any = None, requires_grad: bool = False, layout: Any = None,
              memory_format: Any = None) -> Tensor:
    """Uniform draws in [0, 1) of ``input``'s shape, on its backend and of its dtype unless ``dtype``/``backend``/
    ``device`` say (``torch.rand_like``; a floating dtype only, as PyTorch's)."""
    return _random_like("uniform", "rand_like()", input, generator, dtype, backend, device, requires_grad, layout,
                        memory_format)


def randn_like(input: Tensor, generator: Any = None, dtype: Any = None, *, backend: Any = None,  # noqa: A002
               device: Any = None, requires_grad: bool = False, layout: Any = None,
               memory_format: Any = None) -> Tensor:
    """Standard normal draws of ``input``'s shape, on its backend and of its dtype unless ``dtype``/``backend``/
    ``device`` say (``torch.randn_like``; a floating dtype only, as PyTorch's)."""
    return _random_like("normal", "randn_like()", input, generator, dtype, backend, device, requires_grad, layout,
                        memory_format)



def tensor(data: Any, backend: Any = None, dtype: Any = None, requires_grad: bool = False, *, device: Any = None,
           pin_memory: bool = False) -> Tensor:
    """A new tensor holding a copy of ``data`` (``torch.tensor``), on ``backend`` / ``device`` (``"cpu"``,
    ``"cuda"``, ``x.device``; see `anynn.device`). PyTorch's dtype rule: NumPy arrays and scalars keep their dtype
    (float64 stays float64), Python floats take the default dtype (float32 unless `set_default_dtype` changed it),
    Python complex numbers its complex dtype, integers int64; a list takes the widest of its elements' dtypes.
    A Tensor as ``data`` is copied with PyTorch's UserWarning (``detach().clone()`` says it without one)."""
    if isinstance(data, Tensor):
        warnings.warn(COPY_CONSTRUCT_WARNING, UserWarning, stacklevel=2)
    be = _where(backend, device) if device is not None else backend
    return _tensor(data, backend=be, dtype=dtype, requires_grad=requires_grad)


COPY_CONSTRUCT_WARNING = ("To copy construct from a tensor, it is recommended to use sourceTensor.detach().clone() or "
                          "sourceTensor.detach().clone().requires_grad_(True), rather than torch.tensor(sourceTensor).")


def as_tensor(data: Any, dtype: Any = None, device: Any = None, *, backend: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can (``torch.as_tensor``): a `Tensor` already of that dtype
    and backend comes back as it is, a NumPy array shares its memory where the backend can (see `from_numpy`);
    anything else is copied."""
    if isinstance(data, Tensor):
        be = data.backend if backend is None and device is None else _where(
            data.backend if backend is None else backend, device)
        out = data if be == data.backend else data.to(be)
        return out if dtype is None or out.dtype == _dtype(dtype_name(dtype)) else out.astype(dtype)
    if isinstance(data, np.ndarray) and data.dtype.kind in "biufc" and (dtype is None or dtype_name(dtype)
                                                                         == data.dtype.name):
        return from_numpy(data, backend=_where(backend, device))
    return tensor(data, backend=backend, dtype=dtype, device=device)


def empty(*size: Any, dtype: Any = None, backend: Any = None, device: Any = None, requires_grad: bool = False,
          **kwargs: Any) -> Tensor:
    """A tensor of shape ``size`` whose values are not to be relied on (anynn fills zeros; ``torch.empty``).

    The shape forms of `zeros`, PyTorch's keyword too: ``empty(size=(2, 3))`` (gat builds its weights so).
    ``pin_memory=`` and ``memory_format=`` are accepted and change nothing; ``layout=`` takes `anynn.strided`."""
    from .layout import check_layout

    check_layout(kwargs.pop("layout", None), "empty")
    for ignored in ("pin_memory", "memory_format", "out"):
        kwargs.pop(ignored, None)
    shape = _sized("empty", size, kwargs)
    return zeros(shape, dtype=dtype, backend=backend, device=device, requires_grad=requires_grad)


def empty_like(input: Tensor, dtype: Any = None, backend: Any = None, device: Any = None,  # noqa: A002
               requires_grad: bool = False, **_: Any) -> Tensor:
    """`empty` with the shape (and, unless given, the dtype and backend) of ``input``."""
    return zeros_like(input, dtype=dtype, backend=backend, device=device, requires_grad=requires_grad)


def logspace(start: float, end: float, steps: int, base: float = 10.0, dtype: Any = None, backend: Any = None,
             device: Any = None, requires_grad: bool = False) -> Tensor:
    """``base ** linspace(start, end, steps)`` (``torch.logspace``), PyTorch's values for real dtypes (see
    `_torch_logspace`); complex ones, and a symbolic number of ``steps``, ``base`` to the power of `linspace`'s
    float64 exponents, cast."""
    _check_steps("logspace", steps)
    be = _where(backend, device)
    complex_bounds = isinstance(_bound_number(start), complex) or isinstance(_bound_number(end), complex)
    native = be.dtype(dtype or (default_complex("logspace") if complex_bounds else default_float()))
    if complex_bounds and not be.xp.isdtype(native, "complex floating"):
        raise RuntimeError(f"logspace(): inferred dtype {default_complex('logspace')} can't be safely cast to passed "
                           f"dtype {dtype_name(native)} (a complex start or end), as PyTorch's")
    if is_symbolic(steps) or not be.xp.isdtype(native, ("real floating", "integral")):
        wide = "complex128" if complex_bounds or be.xp.isdtype(native, "complex floating") else "float64"
        exponents = linspace(start, end, steps, dtype=wide, backend=be)
        out = (float(base) ** exponents).astype(native)
        out.requires_grad = requires_grad
        return out
    name = dtype_name(native)
    values = _torch_logspace(_bound_number(start), _bound_number(end), int(steps), float(base), name)
    return _drawn(values, name, be, requires_grad)


def _torch_logspace(start: float, end: float, steps: int, base: float, name: str) -> np.ndarray:
    """PyTorch's CPU logspace kernel, on the host (its float64 ``pow`` is the C library's, as NumPy's): one step is
    ``base ** start`` of the number as given; else ``start`` and ``end`` in the dtype (an integer dtype truncates
    them, as `linspace`), the step ``(end - start) / (steps - 1)`` with the difference taken in the dtype and
    divided in float64, the exponents ``start + step * i`` (first half) and ``end - step * (steps - 1 - i)`` and
    the power in float64, then cast (an integer dtype truncates). Shape (steps,), in ``name`` where NumPy has it
    (bfloat16: float64)."""
    integral, host = name.startswith(("int", "uint")), name if name != "bfloat16" else "float64"
    i = np.arange(steps, dtype=np.float64)
    with np.errstate(all="ignore"):
        if steps < 2:  # (one step: base ** start filled in, so an integer dtype checks that value's range)
            value = base ** float(start)
            if integral and steps:
                value = _integer_bound(np, np.dtype(name), value, "logspace")
            return np.full(steps, value).astype(host)
        if integral:
            start_in, end_in = (_integer_bound(np, np.dtype(name), v, "logspace") for v in (start, end))
            step = (end_in - start_in) / (steps - 1)
        else:
            kind = np.dtype(name).type if name != "bfloat16" else np.float32  # (bfloat16's difference: float32's)
            start_in, end_in = float(kind(start)), float(kind(end))
            step = float(kind(kind(end_in) - kind(start_in))) / (steps - 1)
        values = base ** np.where(i < steps // 2, start_in + step * i, end_in - step * ((steps - 1) - i))
        return (np.trunc(values) if integral else values).astype(host)


def normal(mean: Any = 0.0, std: Any = 1.0, size: Any = None, *, generator: Any = None, dtype: Any = None,
           backend: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """Normal samples with ``mean`` and ``std`` (numbers, with ``size``; or tensors, elementwise and broadcast),
    as ``torch.normal``. A ``mean`` or ``std`` that requires grad gets a zero gradient, as PyTorch's (the result
    requires grad: a loss of it alone can be differentiated)."""
    like = mean if isinstance(mean, Tensor) else std if isinstance(std, Tensor) else None
    if isinstance(std, Tensor):
        # (NaN refused too, as PyTorch's std >= 0 test)
        check(std.backend, ~(std.array >= 0), "normal expects all elements of std >= 0.0", error=RuntimeError)
    elif not float(std) >= 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std}")
    if like is None:
        if size is None:
            raise TypeError("normal: with number mean and std, give size")
        z = randn(size, generator=generator, dtype=dtype, backend=backend, device=device)
        out = z * float(std) + float(mean)
    else:
        shape = np.broadcast_shapes(*(tuple(v.shape) for v in (mean, std) if isinstance(v, Tensor)))
        z = randn(shape, generator=generator, dtype=dtype or dtype_name(like.dtype), backend=like.backend)
        out = (z * std.detach() if isinstance(std, Tensor) else z * float(std)) + (
            mean.detach() if isinstance(mean, Tensor) else float(mean))
    out = out.detach()
    out.requires_grad = requires_grad
    return out if requires_grad else _zero_gradient(out, mean, std)


def _zero_gradient(drawn: Tensor, *sources: Any) -> Tensor:
    """``drawn``, recorded as a function of the ``sources`` that require grad with derivative zero in them, as
    PyTorch's samplers (NormalBackward, BernoulliBackward: zeros); as it is where none does."""
    from .autograd.double_backward import TiedGradient

    anchors = [t for t in sources if isinstance(t, Tensor) and t.requires_grad]
    return TiedGradient.apply(drawn, *anchors) if anchors else drawn


def bernoulli(input: Tensor, p: float | None = None, *, generator: Any = None) -> Tensor:  # noqa: A002
    """1 with probability ``input`` (or ``p``) else 0, elementwise, in ``input``'s dtype (``torch.bernoulli``;
    its ``out=``: `anynn.out_argument`)."""
    if p is not None and not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli expects p to be in [0, 1], but got p={p}")
    if p is None:
        check(input.backend, ~((input.array >= 0) & (input.array <= 1)),  # (NaN too, as PyTorch)
              "bernoulli: expected every probability of input in [0, 1]", values=input.array, error=RuntimeError)
    u = rand_like(input, generator=generator, dtype="float64")
    probability = input.detach().astype("float64") if p is None else float(p)
    drawn = (u < probability).astype(input.dtype)  # (with p: PyTorch's backward raises, here it is no function of x)
    return _zero_gradient(drawn, input) if p is None else drawn


def _host_float64(name: str, t: Tensor, role: str) -> np.ndarray:
    """t's values on the host in float64, for a host draw; integer and complex tensors refused, as PyTorch's."""
    if not t.backend.xp.isdtype(t.array.dtype, "real floating"):
        raise RuntimeError(f"{name}: {role} must be a floating tensor (PyTorch has no kernel for "
                           f"{dtype_name(t.dtype)}), got {dtype_name(t.dtype)}")
    return np.asarray(t.backend.to_host(t.detach().array), dtype=np.float64)


def refuse_host_sampler(backend: Any, what: str) -> None:
    """Refuse a sampler NumPy runs on the host (Poisson, binomial, von Mises...) in an ONNX export (the backend that
    records random nodes): the graph would hold its one draw as a constant, the same numbers on every run."""
    if backend.fast_path("random_in_graph") is not None:
        raise NotImplementedError(
            f"{what}: an ONNX export has no such sampler (NumPy draws it on the host), so the graph would hold one "
            f"draw as a constant, the same numbers on every run; draw outside the exported model and pass the draws "
            f"in as an input (normal, uniform, Bernoulli, Gamma, Beta and Dirichlet draws record)")


def poisson(input: Tensor, generator: Any = None) -> Tensor:  # noqa: A002 - PyTorch's name
    """Poisson counts with rates ``input`` (*), in its dtype (``torch.poisson``), drawn on the host as `rand`'s;
    differentiable with a zero gradient, as PyTorch's. A negative or NaN rate is refused with PyTorch's message,
    an infinite one (beyond NumPy's sampler, ~9.2e18) too."""
    refuse_host_sampler(input.backend, "poisson()")
    rate = _host_float64("poisson", input, "input")
    if np.isnan(rate).any() or (rate < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    if (rate > 9.2e18).any():
        raise RuntimeError("poisson: rates above 9.2e18 (or infinite) cannot be drawn")
    counts = _drawn(init._rng(generator).poisson(rate).astype(np.float64), dtype_name(input.dtype), input.backend,
                    False)
    return _zero_gradient(counts, input)


def binomial(count: Tensor, prob: Tensor, generator: Any = None) -> Tensor:
    """Binomial successes of ``count`` trials with probability ``prob`` (broadcast), in ``prob``'s dtype
    (``torch.binomial``), drawn on the host as `rand`'s. As PyTorch's, probabilities are clipped to [0, 1],
    counts below 0 give 0 and a probability of 1 gives the count itself; other fractional counts are truncated.
    The result records no gradient (PyTorch's claims one and its backward raises "derivative for aten::binomial
    is not implemented")."""
    require_tensor("binomial", count, "count", 1)
    require_tensor("binomial", prob, "prob", 2)
    refuse_host_sampler(prob.backend, "binomial()")
    trials = _host_float64("binomial", count, "count")
    chance = _host_float64("binomial", prob, "prob")
    if np.isnan(trials).any() or np.isnan(chance).any() or np.isinf(trials).any():
        raise RuntimeError("binomial: count and prob must be finite numbers (NaN or infinite values given)")
    trials, chance = np.broadcast_arrays(np.maximum(trials, 0.0), np.clip(chance, 0, 1))
    draws = init._rng(generator).binomial(np.trunc(trials).astype(np.int64), chance).astype(np.float64)
    draws = np.where(chance >= 1, trials, draws)  # the count itself, fraction included, as PyTorch's
    return _drawn(draws, dtype_name(prob.dtype), prob.backend, False)


def randint_like(input: Tensor, low: int = 0, high: int | None = None, *, generator: Any = None,  # noqa: A002
                 dtype: Any = None, backend: Any = None, device: Any = None, requires_grad: bool = False,
                 layout: Any = None, memory_format: Any = None) -> Tensor:
    """Integers uniform on ``[low, high)`` with ``input``'s shape (``randint_like(x, high)`` starts at 0);
    ``layout`` / ``memory_format``: PyTorch's hints, checked as `rand_like`'s."""
    from .layout import check_layout

    check_layout(layout, "randint_like()")
    check_memory_format("randint_like()", memory_format)
    if high is None:
        low, high = 0, low
    be = input.backend if backend is None else backend
    drawn = _in_graph("uniform", input.array, "float64", be, device, False, generator)
    if drawn is not None:  # (a recorded graph: in the input's shape, symbolic axes included)
        return _requiring((drawn * (high - low)).floor().to(dtype or dtype_name(input.dtype)) + low, requires_grad)
    return randint(low, high, tuple(input.shape), generator=generator,
                   dtype=dtype or dtype_name(input.dtype), backend=be, device=device, requires_grad=requires_grad)


def get_default_dtype() -> _dtype:
    """The dtype of floating tensors made without one (``torch.get_default_dtype``): float32 unless
    `set_default_dtype` changed it."""
    return _dtype(default_float())


def set_default_dtype(d: Any) -> None:
    """Make ``d`` the dtype of new floating tensors (``torch.set_default_dtype``): factories without ``dtype=``,
    Python floats in `tensor`, new layers' parameters and buffers; its complex dtype (float64 gives complex128) is
    the default for complex numbers. float32, float64, float16 and bfloat16 are accepted, any other dtype raises
    `TypeError`, as in PyTorch. A setting for construction: tensors that exist keep their dtype, and so do operations
    on them, except where PyTorch too makes a float of integers (a Python float operand, true division, ``sqrt``).
    NumPy data keeps its own dtype either way (`tensor` of a float64 array is float64)."""
    set_default_float(d)


def set_printoptions(precision: int | None = None, threshold: int | None = None, edgeitems: int | None = None,
                     linewidth: int | None = None, profile: str | None = None, sci_mode: bool | None = None) -> None:
    """How tensors print (``torch.set_printoptions``): anynn prints through NumPy on the host, so these become
    NumPy's print options. ``profile`` is ``"default"``, ``"short"`` or ``"full"``; ``sci_mode=False``
    suppresses scientific notation (``True`` leaves NumPy's choice)."""
    profiles = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
                "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
                "full": dict(precision=4, threshold=np.inf, edgeitems=3, linewidth=80)}
    if profile is not None and profile not in profiles:
        raise ValueError(f"set_printoptions: profile must be one of {sorted(profiles)}, got {profile!r}")
    options: dict[str, Any] = dict(profiles[profile]) if profile is not None else {}
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems, linewidth=linewidth)
    options.update({k: v for k, v in given.items() if v is not None})
    if sci_mode is not None:
        options["suppress"] = not sci_mode
    np.set_printoptions(**options)


def default_generator() -> np.random.Generator:
    """The generator `anynn.manual_seed` seeds (``torch.default_generator``'s counterpart, as a function)."""
    return init.default_generator()


__all__ = ["arange", "as_tensor", "bernoulli", "binomial", "empty", "empty_like", "eye", "from_numpy", "full",
           "full_like", "get_default_dtype", "linspace", "logspace", "normal", "ones", "ones_like", "poisson", "rand",
           "rand_like", "randint", "randint_like", "randn", "randn_like", "randperm", "set_default_dtype",
           "set_printoptions", "tensor", "zeros", "zeros_like"]
