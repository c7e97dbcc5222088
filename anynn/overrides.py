"""``torch.overrides``: the ``__torch_function__`` helpers that code copied from PyTorch calls, and its function
modes refused by name.

PyTorch's own functions (``F.multi_head_attention_forward``, ``F.linear``...) begin with ``if
has_torch_function(...): return handle_torch_function(...)`` so that an argument whose type defines
``__torch_function__`` can take the call over; programs that copy such a function keep those lines. Here
`has_torch_function` and `handle_torch_function` do what PyTorch's do for the objects they are given: an anynn
Tensor defines no ``__torch_function__`` (so for plain Tensors the check is False and the copied function runs on),
and an object that defines one gets the call as PyTorch hands it over.

anynn's own operations do not consult ``__torch_function__``: it has no dispatch through which a
`TorchFunctionMode` could see ``torch.add`` or ``Tensor.__add__``, so entering a mode raises NotImplementedError
rather than run the block unchanged (a mode that rewrites operations would be silently ignored).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from .autograd.tensor import Tensor

__all__ = ["BaseTorchFunctionMode", "TorchFunctionMode", "handle_torch_function", "has_torch_function",
           "has_torch_function_unary", "has_torch_function_variadic", "is_tensor_like"]


def _overrides(obj: Any) -> bool:
    """Whether ``obj``'s type defines ``__torch_function__`` (no anynn Tensor does unless a subclass adds it)."""
    return hasattr(type(obj), "__torch_function__")


def has_torch_function(relevant_args: Iterable[Any]) -> bool:
    """Whether any of ``relevant_args`` (an iterable, as PyTorch's) has a type defining ``__torch_function__``."""
    return any(_overrides(arg) for arg in relevant_args)


def has_torch_function_unary(arg: Any) -> bool:
    """`has_torch_function` of the one argument ``arg``."""
    return _overrides(arg)


def has_torch_function_variadic(*args: Any) -> bool:
    """`has_torch_function` of the arguments given one by one."""
    return has_torch_function(args)


def is_tensor_like(inp: Any) -> bool:
    """Whether ``inp`` is an anynn Tensor (a subclass too: Parameter) or defines ``__torch_function__``."""
    return isinstance(inp, Tensor) or _overrides(inp)


def _overloaded(relevant_args: Iterable[Any]) -> list[Any]:
    """The Tensors and the arguments defining ``__torch_function__``, one per type, each subclass ahead of its base
    classes (PyTorch lists a plain Tensor's type too, whose default declines)."""
    found: list[Any] = []
    for arg in relevant_args:
        kind = type(arg)
        if not is_tensor_like(arg) or any(type(seen) is kind for seen in found):
            continue
        place = next((i for i, seen in enumerate(found) if issubclass(kind, type(seen))), len(found))
        found.insert(place, arg)
    return found


def handle_torch_function(public_api: Callable[..., Any], relevant_args: Iterable[Any], *args: Any,
                          **kwargs: Any) -> Any:
    """Hand the call ``public_api(*args, **kwargs)`` to the ``__torch_function__`` of ``relevant_args``, as
    PyTorch: each overriding type in turn (subclasses first) gets ``(public_api, types, args, kwargs)``; the first
    result that is not ``NotImplemented`` is returned, and a TypeError names the types when every one declines
    (a Tensor type that defines none is listed in ``types`` and declines, as PyTorch's default does)."""
    overloaded = _overloaded(relevant_args)
    types = tuple(type(arg) for arg in overloaded)
    for arg in overloaded:
        if not _overrides(arg):
            continue
        result = arg.__torch_function__(public_api, types, args, kwargs)
        if result is not NotImplemented:
            return result
    name = f"{getattr(public_api, '__module__', '')}.{getattr(public_api, '__name__', public_api)}"
    raise TypeError(f"no implementation found for '{name}' on types that implement __torch_function__: "
                    f"{list(types)}")


def _refuse_mode(mode: Any) -> NoReturn:
    raise NotImplementedError(
        f"{type(mode).__name__}: anynn has no __torch_function__ dispatch, so a torch function mode cannot see or "
        f"rewrite its operations (torch.add, Tensor.__add__, ...); call the function you want directly, or wrap "
        f"the model's functions yourself")


class TorchFunctionMode:
    """``torch.overrides.TorchFunctionMode``: subclassing it works, entering a mode (``with Mode():``) raises
    NotImplementedError (see the module docstring)."""

    def __torch_function__(self, func: Callable[..., Any], types: tuple[type, ...], args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError(f"{type(self).__name__}.__torch_function__ must be defined by the subclass")

    def __enter__(self) -> TorchFunctionMode:
        _refuse_mode(self)

    def __exit__(self, *exc: Any) -> None:
        return None

    @classmethod
    def push(cls, *args: Any, **kwargs: Any) -> NoReturn:
        """``Mode.push(...)``: refused, as entering is."""
        _refuse_mode(cls(*args, **kwargs))


class BaseTorchFunctionMode(TorchFunctionMode):
    """``torch.overrides.BaseTorchFunctionMode``: a mode whose ``__torch_function__`` calls the function; entering
    it is refused as `TorchFunctionMode`'s is."""

    def __torch_function__(self, func: Callable[..., Any], types: tuple[type, ...], args: tuple[Any, ...] = (),
                           kwargs: dict[str, Any] | None = None) -> Any:
        return func(*args, **(kwargs or {}))
