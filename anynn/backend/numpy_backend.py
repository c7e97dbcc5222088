"""NumPy backend: the CPU reference, with NumPy-only fast paths."""

from __future__ import annotations

import math
import types
from typing import Any, Callable

import array_api_compat.numpy as compat_numpy
import numpy as np

from .base import Backend, BackendUnavailable, dtype_name
from . import shared_memory
from .host_memory import settle_malloc_thresholds
from .numpy_reductions import max_, mean, min_, sum_
from .quiet_float_errors import QUIET


def _like(value: int, standard: Callable[..., Any]) -> Callable[..., Any]:
    """``ones_like``/``zeros_like``: what ``numpy.ones_like`` does (``empty_like``, then a fill), minus its wrappers.

    A 0-d input (the seed gradient of every ``backward()``) takes ``numpy.array``, a fifth of the cost.
    """

    def like(x: Any, /, *, dtype: Any = None, device: Any = None) -> Any:
        if device is not None and device != "cpu":
            return standard(x, dtype=dtype, device=device)
        if x.ndim == 0 and type(x) is np.ndarray:
            return np.array(value, dtype=x.dtype if dtype is None else dtype)
        out = np.empty_like(x, dtype=dtype)
        out.fill(value)
        return out

    return like


_ONES: dict[Any, Any] = {}  # dtype -> a 0-d one of it (an array operand costs half of a Python float)


def _tanh_grad(g: Any, t: Any) -> Any:
    """``g * (1 - t^2)`` as the portable version computes it, with a cached 0-d one for the ``1``."""
    one = _ONES.get(t.dtype)
    if one is None:
        one = _ONES[t.dtype] = np.ones((), dtype=t.dtype)
        one.flags.writeable = False
    return g * (one - t * t)


def _square_grad(g: Any, a: Any) -> Any:
    """``2 g a`` (the gradient of ``a ** 2``) in one pass: where ``g`` is one value broadcast (all strides 0, a sum's
    gradient, as in a penalty ``(w ** 2).sum()``) that value scales ``a``; else the product is doubled in place.
    Graph Tensors (a recorded backward) take the portable formula."""
    if type(g) is np.ndarray and type(a) is np.ndarray:
        if g.size > 1 and not any(g.strides) and g.shape == a.shape:
            return a * (g[(0,) * g.ndim] * 2.0)
        out = g * a
        if out.flags.writeable:
            out *= 2.0
            return out
    return 2.0 * (g * a)


def _bfloat16_rounded(x: Any) -> Any:
    """float32 ``x`` rounded to bfloat16's 8 significant bits (ties to even), as float32: on the bits, as PyTorch's
    float-to-bfloat16 cast rounds (`anynn.backend.portable.bfloat16_rounded` computes the same portably). NaN stays."""
    bits = x.view(np.uint32)
    rounded = ((bits + (np.uint32(0x7FFF) + ((bits >> 16) & np.uint32(1)))) & np.uint32(0xFFFF0000)).view(np.float32)
    return np.where(np.isnan(x), x, rounded)


def _broadcast_to(x: Any, /, shape: Any) -> Any:
    """``numpy.broadcast_to``; a 0-d array (a reduction's gradient, a loss's seed) as a read-only view with zero
    strides made directly (a third of the cost of NumPy's general path). Results are identical."""
    if type(x) is np.ndarray and x.ndim == 0 and type(shape) is tuple and all(type(n) is int and n >= 0 for n in shape):
        out = np.ndarray(shape, x.dtype, x, 0, (0,) * len(shape))
        out.flags.writeable = False
        return out
    return np.broadcast_to(x, shape)


def _reshape(x: Any, /, shape: Any, *args: Any, copy: Any = None, **kwargs: Any) -> Any:
    """``numpy.reshape``; an ndarray without ``copy`` straight through its method (what NumPy's wrapper calls)."""
    if copy is None and type(x) is np.ndarray and not args and not kwargs:
        return x.reshape(shape)
    return compat_numpy.reshape(x, shape, *args, copy=copy, **kwargs)  # type: ignore[attr-defined]


def _permute_dims(x: Any, /, axes: Any) -> Any:
    """The standard's ``permute_dims``; an ndarray straight through ``transpose`` (what the wrappers call)."""
    return x.transpose(axes) if type(x) is np.ndarray else compat_numpy.permute_dims(x, axes)  # type: ignore[attr-defined]


def _matrix_transpose(x: Any, /) -> Any:
    """The standard's ``matrix_transpose``; an ndarray of two axes or more straight through ``swapaxes``."""
    return x.swapaxes(-1, -2) if type(x) is np.ndarray and x.ndim >= 2 else compat_numpy.matrix_transpose(x)


def _astype(x: Any, dtype: Any, /, *, copy: bool = True, device: Any = None) -> Any:
    """The standard's ``astype``; an ndarray without ``device`` straight through its method (the wrapper's call after
    its device check): every ReLU and max-pool backward casts its mask."""
    if device is None and type(x) is np.ndarray:
        if x.dtype.kind in "fc" and np.dtype(dtype).kind in "iu":  # NaN, inf or a value out of range: PyTorch's cast
            with np.errstate(invalid="ignore", over="ignore"):  # is silent (NumPy warned 'invalid value in cast')
                return x.astype(dtype, copy=copy)
        return x.astype(dtype, copy=copy)
    return compat_numpy.astype(x, dtype, copy=copy, device=device)  # type: ignore[attr-defined]


def _asarray(obj: Any, /, *, dtype: Any = None, device: Any = None, copy: Any = None, **kwargs: Any) -> Any:
    """The standard's ``asarray``; an ndarray without ``dtype`` or ``device`` is itself, or with ``copy=True`` its
    copy in its own memory order (what the wrapper's ``numpy.array`` gives): the LSTM copies two slices a step."""
    if type(obj) is np.ndarray and dtype is None and device is None and not kwargs:
        if copy is True:
            return obj.copy(order="K")
        if copy is None or copy is False:
            return obj
    return compat_numpy.asarray(obj, dtype=dtype, device=device, copy=copy, **kwargs)  # type: ignore[attr-defined]


_ISDTYPE: dict[tuple[Any, Any], bool] = {}  # (dtype, kind) -> answer: few dtypes and kinds are ever asked


def _isdtype(dtype: Any, kind: Any) -> bool:
    """``numpy.isdtype`` (Python code that costs more than most checks it serves) answered from a cache for a NumPy
    dtype and a kind name or tuple of names; anything else (and every error) from NumPy."""
    if isinstance(dtype, np.dtype) and (type(kind) is str or type(kind) is tuple):
        key = (dtype, kind)
        try:
            answer = _ISDTYPE.get(key)
        except TypeError:  # a tuple holding something unhashable: NumPy's own error
            return np.isdtype(dtype, kind)
        if answer is None:
            answer = np.isdtype(dtype, kind)
            if len(_ISDTYPE) < 1024:
                _ISDTYPE[key] = answer
        return answer
    return np.isdtype(dtype, kind)


def _namespace() -> types.ModuleType:
    """array_api_compat's NumPy namespace with the calls of every training step made cheaper.

    Small networks are bound by per-call overhead: ``numpy.sum`` spends half its time in a Python
    wrapper, and the standard ``ones_like``/``zeros_like`` wrappers check their ``device`` argument;
    ``reshape``/``permute_dims``/``matrix_transpose`` pass two Python wrappers to reach one method
    (``astype``/``asarray`` of an ndarray one wrapper and a device check),
    and ``isdtype`` is Python code asked the same few questions (results identical). Last-axis
    ``sum``/``mean``/``max``/``min`` avoid NumPy's cost per row (`numpy_reductions`: a sum's last bits
    may differ from NumPy's order of additions).
    """
    xp = types.ModuleType("anynn.backend.numpy", compat_numpy.__doc__)
    xp.__dict__.update({k: v for k, v in vars(compat_numpy).items() if not k.startswith("__")})
    xp.__dict__.update(sum=sum_, mean=mean, max=max_, min=min_,  # type: ignore[attr-defined]
                       ones_like=_like(1, compat_numpy.ones_like),  # type: ignore[attr-defined]
                       zeros_like=_like(0, compat_numpy.zeros_like),  # type: ignore[attr-defined]
                       broadcast_to=_broadcast_to, reshape=_reshape, permute_dims=_permute_dims,
                       matrix_transpose=_matrix_transpose, isdtype=_isdtype, astype=_astype,
                       asarray=_asarray)  # type: ignore[attr-defined]
    return xp


np_xp = _namespace()


def _scatter_add(index: Any, values: Any, num_rows: int) -> Any:
    """Sum ``values[i]`` into row ``index[i]`` of a ``(num_rows, ...)`` zero array (duplicates add)."""
    out = np.zeros((num_rows,) + values.shape[1:], dtype=values.dtype)
    np.add.at(out, index, values)
    return out


_REDUCE_UFUNCS = {"prod": np.multiply, "amax": np.maximum, "amin": np.minimum}


def _scatter_reduce(index: Any, values: Any, num_rows: int, reduce: str) -> Any:
    """Reduce ``values[i]`` into row ``index[i]`` with ``reduce`` ("prod", "amax", "amin"); untouched rows hold
    the reduction's identity (see `anynn.backend.portable.scatter.scatter_reduce`)."""
    from .portable.scatter import reduction_identity

    out = np.full((num_rows,) + values.shape[1:], reduction_identity(np_xp, reduce, values.dtype), dtype=values.dtype)
    _REDUCE_UFUNCS[reduce].at(out, index, values)
    return out


def _sliding_window_view(x: Any, window_shape: tuple[int, ...], axis: tuple[int, ...]) -> Any:
    return np.lib.stride_tricks.sliding_window_view(x, window_shape, axis=axis)


_HALF = np.dtype(np.float16)
# ndarray.dot zeroes its whole result before BLAS writes it (NumPy's cblas_matrixproduct), a pass that ``@`` does
# not make; from this many result bytes on, that pass costs more than ``@``'s dearer dispatch saves
_DOT_RESULT_BYTES = 64 * 1024


def _matmul(a: Any, b: Any) -> Any:
    """``a @ b``; 2-D products with a small result through ``ndarray.dot`` (the same BLAS call, half the dispatch
    cost), larger ones through ``@`` (no zeroing pass over the result). Both give the same bits. A stacked
    C-contiguous ``a`` (..., n, k) times a matrix (k, m) (a Linear layer on (batch, time, features)) is one product
    of its rows: NumPy's ``@`` would call BLAS once per leading index (1.3-2.3x slower on a transformer's shapes).

    float16 products run in float32 and are rounded once: NumPy has no float16 BLAS (its own loop took ~100 ms
    for 256 x 256 and rounds every partial sum); PyTorch's CPU float16 matmul also accumulates in float32.
    """
    if a.dtype is _HALF and b.dtype is _HALF:
        return _matmul(a.astype(np.float32), b.astype(np.float32)).astype(_HALF)
    if b.ndim == 2:
        if a.ndim == 2:
            return a.dot(b) if a.shape[0] * b.shape[1] * a.itemsize < _DOT_RESULT_BYTES else a @ b
        if a.ndim > 2 and a.flags.c_contiguous:  # (..., n, k) @ (k, m) as one (N, k) @ (k, m) product
            rows = math.prod(a.shape[:-1])
            return _matmul(a.reshape(rows, a.shape[-1]), b).reshape(a.shape[:-1] + (b.shape[1],))
    return a @ b


def _erf(x: Any) -> Any:
    from scipy.special import erf  # only reached when fast_path found SciPy

    return erf(x).astype(x.dtype, copy=False)  # SciPy computes float16 in float64


def _erfc(x: Any) -> Any:
    from scipy.special import erfc  # only reached when fast_path found SciPy

    return erfc(x).astype(x.dtype, copy=False)


class NumpyBackend(Backend):
    name = "numpy"
    quiet_float_errors = QUIET

    @classmethod
    def build(cls, device: str | None) -> "NumpyBackend":
        if device not in (None, "cpu"):
            raise BackendUnavailable(f"backend 'numpy' has only the 'cpu' device, not {device!r}")
        return cls()

    @classmethod
    def owns(cls, array: Any) -> bool:
        return isinstance(array, np.ndarray)

    def __init__(self) -> None:
        super().__init__(np_xp, "cpu")
        settle_malloc_thresholds()  # a step's freed arrays stay with malloc for the next step (host_memory.py)

    @property
    def key(self) -> str:
        return "numpy"

    def is_native(self, array: Any) -> bool:
        return isinstance(array, np.ndarray)

    def dtype(self, dtype: Any) -> Any:
        try:
            return super().dtype(dtype)
        except TypeError:
            if dtype_name(dtype) != "bfloat16":
                raise
            # ml_dtypes' bfloat16 runs without BLAS: a 256x256 product measured ~200x slower than float32
            raise TypeError("backend 'numpy' has no dtype 'bfloat16': NumPy has float16 (e.g. "
                            "anynn.autocast(dtype='float16'), model.half()); bfloat16 runs on the torch backend "
                            "(model.to('torch'))") from None

    def from_host(self, array: np.ndarray) -> Any:
        return np.asarray(array)

    def to_host(self, array: Any) -> np.ndarray:
        return array

    def from_dlpack(self, array: Any) -> Any:
        return np.from_dlpack(array)

    def share_memory(self, array: Any) -> Any:
        return shared_memory.to_shared(array)

    def reinterpret(self, array: Any, dtype: Any) -> Any:
        # shares memory where the array is row-major already
        return (array if array.flags.c_contiguous else array.copy()).view(dtype)

    def is_shared(self, array: Any) -> bool:
        return shared_memory.segment_of(array) is not None

    def shared_reduction(self, array: Any) -> tuple[Callable[..., Any], tuple[Any, ...]]:
        return shared_memory.reduction(array)

    def fast_path(self, name: str) -> Callable[..., Any] | None:
        if name in ("erf", "erfc"):
            try:
                import scipy.special  # noqa: F401
            except ImportError:
                return None
            return _erf if name == "erf" else _erfc
        paths: dict[str, Callable[..., Any]] = {"scatter_add": _scatter_add, "scatter_reduce": _scatter_reduce,
                                                "tanh_grad": _tanh_grad, "square_grad": _square_grad,
                                                "bfloat16_rounded": _bfloat16_rounded,
                                                "sliding_window_view": _sliding_window_view, "matmul": _matmul}
        return paths.get(name)
