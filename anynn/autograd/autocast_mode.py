"""Autocast (mixed precision), per thread as in PyTorch: the state and the one place inputs are cast.

A `Function` class names its family in the class attribute ``autocast`` (PyTorch's op lists, set in
`anynn.functional.autocast_rules`):

- ``"lower"``: matrix products (linear, matmul, conv, attention, recurrent cells) run in the autocast dtype;
- ``"float32"``: losses and other ops that need range run in float32 on every device;
- ``"float32_cuda"``: float32 on CUDA only (softmax, norms, exp/log/pow, sums...), as PyTorch's CUDA list;
  PyTorch's CPU list leaves them in the input's dtype, and so does anynn on CPU data;
- ``"float32_cpu"``: float32 on CPU only;
- ``"promote"``: every floating input is cast to the widest floating dtype among them;
- ``"binary_cross_entropy"``: float32 on CPU, refused on CUDA (PyTorch's "unsafe to autocast").

`Function.apply` calls `cast_inputs` only when the class has a family and this thread has an autocast region
open, so operations cost nothing extra with autocast off. Each cast is an ordinary differentiable `Cast`
node: gradients reach a float32 parameter in float32.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

from ..backend import Backend
from ..backend.torch_names import device_parts
from ..backend.typing import DType, Namespace
from .tensor import Tensor

LOW_PRECISION = ("float16", "bfloat16")
DEVICE_TYPES = ("cpu", "cuda")

_LOWER, _FLOAT32, _PROMOTE, _BANNED = "lower", "float32", "promote", "banned"
# family -> device type -> what autocast does to the inputs (None: nothing)
RULES: dict[str, dict[str, str | None]] = {
    "lower": {"cpu": _LOWER, "cuda": _LOWER},
    "float32": {"cpu": _FLOAT32, "cuda": _FLOAT32},
    "float32_cuda": {"cpu": None, "cuda": _FLOAT32},
    "float32_cpu": {"cpu": _FLOAT32, "cuda": None},
    "promote": {"cpu": _PROMOTE, "cuda": _PROMOTE},
    "binary_cross_entropy": {"cpu": _FLOAT32, "cuda": _BANNED},
}


class _ThreadAutocast(threading.local):
    """The autocast dtype name per device type in the calling thread (``None``: off there)."""

    def __init__(self) -> None:
        self.cpu: str | None = None
        self.cuda: str | None = None
        self.active = False  # any device type on: the one flag `Function.apply` reads


state = _ThreadAutocast()
# how many threads have autocast on: a plain module global, read before the (slower) thread-local flag, so
# operations pay one global lookup while no thread uses autocast
active_threads = 0
_lock = threading.Lock()


def set_dtypes(cpu: str | None, cuda: str | None) -> tuple[str | None, str | None]:
    """Set this thread's autocast dtypes; returns the previous pair (to restore on exit)."""
    global active_threads
    previous = (state.cpu, state.cuda)
    was_active = state.active
    state.cpu, state.cuda = cpu, cuda
    state.active = cpu is not None or cuda is not None
    if state.active != was_active:
        with _lock:
            active_threads += 1 if state.active else -1
    return previous


def autocast_dtype(device_type: str) -> str | None:
    """The dtype name autocast uses for ``device_type`` in this thread, ``None`` when it is off there."""
    return getattr(state, device_type, None)


_DEVICE_TYPE: dict[int, tuple[Backend, str]] = {}  # id(backend) -> (backend, device type): cached, it never changes
_DTYPES: dict[tuple[int, str], DType | None] = {}  # None: the backend lacks it


def _device_type(backend: Backend) -> str:
    entry = _DEVICE_TYPE.get(id(backend))
    if entry is None or entry[0] is not backend:
        kind = device_parts(backend)[0]
        # accelerators other than CUDA (array_api_strict's fake "device1" included) follow the CUDA lists
        entry = _DEVICE_TYPE[id(backend)] = (backend, kind if kind in DEVICE_TYPES else "cuda")
    return entry[1]


def _low_dtype(backend: Backend, name: str, op: str) -> DType | None:
    """The backend's dtype called ``name``; None where the backend has none (autocast is off for its data)."""
    key = (id(backend), name)
    if key in _DTYPES:
        return _DTYPES[key]
    try:
        dtype = backend.dtype(name)
    except TypeError:
        # PyTorch's answer to an autocast dtype a device cannot run: a warning, and nothing cast (its CPU
        # autocast of a dtype it lacks; build-nanogpt's torch.autocast("cpu", dtype=torch.bfloat16) on NumPy)
        hint = _ALTERNATIVES.get(backend.name, "use a dtype the library has (float16 or bfloat16)")
        warnings.warn(f"In autocast, but the target dtype {name!r} is not supported by backend {backend.key!r} "
                      f"(first met at {op}): {hint}. Disabling autocast for its operations.", UserWarning,
                      stacklevel=4)
        dtype = None
    _DTYPES[key] = dtype
    return dtype


_ALTERNATIVES = {
    "numpy": "NumPy has float16 (autocast(dtype='float16')); bfloat16 runs on the torch backend (model.to('torch'))",
    "cupy": "CuPy has float16 (autocast(dtype='float16')); bfloat16 runs on the torch backend (model.to('torch'))",
    "array_api_strict": "the array API standard has no float16/bfloat16: run autocast on numpy, cupy or torch",
}


def _cast(t: Tensor, dtype: DType) -> Tensor:
    # Tensor.astype records the functional layer's Cast (installed on Tensor by anynn.functional), so this
    # layer needs no import of the one above it
    return t.astype(dtype)


def cast_inputs(cls: type, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` with the floating Tensors cast as autocast's rule for ``cls.autocast`` says (see the module doc)."""
    return cast_family(cls.autocast, cls.__name__, args)  # type: ignore[attr-defined]


def autocast_operands(family: str, op: str, *args: Any) -> tuple[Any, ...]:
    """For composite ops (``addmm``, ``baddbmm``): ``args`` cast as one op of ``family`` would cast them.

    Nothing changes unless autocast is on in this thread.
    """
    if not (active_threads and state.active):
        return args
    return cast_family(family, op, args)


def cast_family(family: str, op: str, args: tuple[Any, ...]) -> tuple[Any, ...]:
    """``args`` with the floating Tensors cast by the rule of ``family`` for their device type."""
    plan = _plan(family, op, args)
    if plan is None:
        return args
    target, cast = plan
    return tuple(_cast(a, target) if isinstance(a, Tensor) and id(a) in cast else a for a in args)


def dtype_under_autocast(family: str, op: str, tensor: Tensor) -> DType:
    """The dtype an op of ``family`` runs ``tensor`` in when it is its only floating operand: its own, or
    autocast's (a float16 input of a float32-family loss: float32). Nothing is cast."""
    if not (active_threads and state.active):
        return tensor.array.dtype
    plan = _plan(family, op, (tensor,))
    return tensor.array.dtype if plan is None else plan[0]


def _plan(family: str, op: str, args: tuple[Any, ...]) -> tuple[DType, set[int]] | None:
    """The dtype autocast's rule of ``family`` casts to and the ids of the ``args`` it casts; None: nothing cast."""
    backend = None
    for a in args:
        if isinstance(a, Tensor):
            backend = a.backend
            break
    if backend is None:
        return None
    device_type = _device_type(backend)
    name = getattr(state, device_type, None)
    if name is None:
        return None
    action = RULES[family][device_type]
    if action is None:
        return None
    xp = backend.xp
    floats = [a for a in args if isinstance(a, Tensor) and _is_float(xp, a.array.dtype)]
    if action == _LOWER:
        floats = [a for a in floats if a.array.dtype != xp.float64]  # float64 is never lowered, as PyTorch
        if not floats:
            return None
        target = _low_dtype(backend, name, op)
        if target is None:
            return None
        cast = {id(a) for a in floats if a.array.dtype != target}
    elif action == _FLOAT32:
        target = xp.float32
        cast = {id(a) for a in floats if a.array.dtype != target and a.array.dtype != xp.float64}
    elif action == _PROMOTE:
        target = _widest(xp, [a.array.dtype for a in floats])
        cast = {id(a) for a in floats if a.array.dtype != target}
    else:
        raise RuntimeError(f"{op}: torch.nn.functional.binary_cross_entropy and torch.nn.BCELoss are "
                           "unsafe to autocast on CUDA; use binary_cross_entropy_with_logits or BCEWithLogitsLoss "
                           "(safe to autocast), or leave the autocast region for this loss (as PyTorch)")
    return (target, cast) if cast else None


def _is_float(xp: Namespace, dtype: DType) -> bool:
    if dtype == xp.float32 or dtype == xp.float64:
        return True
    return any(getattr(xp, n, None) is not None and dtype == getattr(xp, n) for n in LOW_PRECISION)


def _widest(xp: Namespace, dtypes: list[DType]) -> DType:
    if any(d == xp.float64 for d in dtypes):
        return xp.float64
    distinct = {str(d) for d in dtypes}
    if len(distinct) == 1:
        return dtypes[0]
    return xp.float32  # float32 with a low dtype, or float16 with bfloat16: float32 holds both
