"""Errors raised while a module runs name the layer: a safety net under the checks of `validate.py`.

The checks at the public boundary (`check_input`, the functional wrappers) say what is wrong; they name
the function or the layer that found it, which may sit deep inside a model. When such an error leaves a
`Module` call, this adds what the user needs to find it:

- a message that does not name any layer gets the layer's class name in front
  (``"pad: mode 'reflect' ..."`` -> ``"ReflectionPad1d: pad: mode 'reflect' ..."``);
- an error that leaves a container gets where it happened at the end
  (``"Linear: expected ... (in Sequential, submodule '0' (Linear))"``), the outermost container winning;
- a NumPy/PyTorch/other array passed where a Tensor belongs is reported as that (`TypeError`), not as
  whatever the math tripped on (``'numpy.ndarray' object has no attribute 'permute'``); so is a Python list,
  tuple or number that the math read an array attribute of (``'list' object has no attribute 'ndim'``).

The class of the error is kept (the same exception object is re-raised, its traceback intact). Only the
plain built-in classes and anynn's own input errors are touched; anything else (a JAX tracing error, a
KeyboardInterrupt, an error with structured arguments) passes through unchanged. None of this runs unless
an error was raised.
"""

from __future__ import annotations

from typing import Any

from ..autograd.primitive import BroadcastError
from ..autograd.tensor import Tensor
from ..backend import BackendMismatch
from ..functional.scatter_reduce import IndexingError
from ..functional.value_checks import (DTypeMismatchError, InvalidValueError, KernelNotImplementedError,
                                       NotATensorError, ShapeMismatchError, UnsupportedDTypeError)
from ..functional.windows import WindowArgumentTypeError
from .validate import ShapeMismatch

# anynn's own error classes: renamed with their subclasses (a function's refinement, pad's UnsupportedPadError)
_OWN = (BackendMismatch, InvalidValueError, UnsupportedDTypeError, KernelNotImplementedError, DTypeMismatchError,
        ShapeMismatch, ShapeMismatchError, IndexingError, NotATensorError, BroadcastError, WindowArgumentTypeError)
# Python's: renamed only as themselves (a library's subclass may hold other arguments than one message)
_TYPES = frozenset((TypeError, ValueError, IndexError, RuntimeError, NotImplementedError, ZeroDivisionError) + _OWN)
RENAMED = tuple(_TYPES) + (AttributeError,)  # caught by Module.__call__; AttributeError only for a foreign array


def _foreign_array(value: Any) -> bool:
    """An array of some library that is not an anynn Tensor (NumPy, PyTorch, CuPy, JAX, array-api)."""
    if isinstance(value, Tensor):
        return False
    kind = type(value)
    return any(hasattr(kind, attr) for attr in ("__array_namespace__", "__array__", "__dlpack__"))


def _host_value_without(error: BaseException, value: Any) -> bool:
    """A Python list, tuple or number that the layer's math read an array attribute of (PyTorch: TypeError)."""
    return (type(error) is AttributeError and isinstance(value, (list, tuple, int, float, complex))
            and str(error).startswith(f"'{type(value).__name__}' object has no attribute"))


def _where(module: Any, inner: Any) -> str:
    """``"Sequential, submodule '0' (Linear)"`` for an error found by ``inner`` inside ``module``."""
    outer = type(module).__name__
    if inner is None or inner is module:
        return outer
    for path, child in module.named_modules():
        if child is inner:
            return f"{outer}, submodule '{path}' ({type(inner).__name__})"
    return outer


def name_the_layer(module: Any, error: BaseException, args: tuple[Any, ...]) -> BaseException | None:
    """Rewrite ``error`` (raised by ``module``'s forward) to name the layer.

    Returns a new exception to raise from ``error`` (a Tensor was expected and an array came), or None
    when ``error`` was renamed in place (or left alone) and should be re-raised as it is.
    """
    name = type(module).__name__
    state = getattr(error, "_anynn_layer", None)
    if state is None:
        if (type(error) in (TypeError, AttributeError, ValueError) and not str(error).startswith(f"{name}: ")
                and any(_foreign_array(a) or _host_value_without(error, a) for a in args)):
            given = next(a for a in args if _foreign_array(a) or _host_value_without(error, a))
            # (an AttributeError too: PyTorch's Python forwards trip on input.dim() where its C functions raise
            # TypeError)
            replacement = NotATensorError(f"{name}: expected an anynn Tensor, got "
                                          f"{type(given).__module__}.{type(given).__name__}; wrap it with "
                                          "anynn.tensor(...) (or anynn.from_numpy(...) to share the memory)")
            replacement._anynn_layer = (module, str(replacement))  # type: ignore[attr-defined]
            return replacement
        if (type(error) not in _TYPES and not isinstance(error, _OWN)) or len(error.args) != 1 \
                or not isinstance(error.args[0], str):
            return None
        message = error.args[0]
        if name not in message:
            message = f"{name}: {message}"
            error.args = (message,)
        error._anynn_layer = (module, message)  # type: ignore[attr-defined]
        return None
    inner, message = state
    if inner is not module and len(error.args) == 1 and isinstance(error.args[0], str):
        error.args = (f"{message} (in {_where(module, inner)})",)
    return None
