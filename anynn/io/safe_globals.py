"""Which classes and functions a whole-model file may name: PyTorch's ``torch.serialization`` allow-list.

A file written by ``anynn.save(model, f)`` names the model's classes (and functions held as attributes,
such as ``activation = F.relu``) as ``"module:qualname"`` strings. Loading it never imports a module and
never runs code from the file; a name is turned back into an object only when it is

(a) anynn's own: a `Module` subclass anywhere in anynn, or a function of anynn's math packages;
(b) allowed by the user: `add_safe_globals` or the `safe_globals` context manager (PyTorch's names);
(c) with ``weights_only=False`` (the file is trusted): a class or function of a module that is already
    imported (``sys.modules``; looked up through the modules' and classes' ``__dict__``, never
    ``getattr``, so no module ``__getattr__`` or descriptor runs).

Besides modules, files may hold instances of *plain* classes (a dataclass config such as nanoGPT's
``GPTConfig``, an ``argparse.Namespace``): what pickle saves as the class plus the instance's ``__dict__``
(`plain_state`), rebuilt as pickle does, ``object.__new__`` and the ``__dict__`` set back (`rebuild_plain`):
no ``__init__`` runs, and the class must be allowed as above, as PyTorch's ``weights_only`` load asks.
"""

from __future__ import annotations

import sys
import threading
import types
from pickle import UnpicklingError  # the exception class alone (what torch.load raises): nothing unpickles
from typing import Any, Iterable

# "module:qualname" -> the object the user allowed
_ALLOWED: dict[str, Any] = {}
_LOCK = threading.Lock()
_ANYNN_FUNCTION_PACKAGES = ("anynn.functional", "anynn.nn", "anynn.init", "anynn.factories", "anynn.linalg")


class UnsafeGlobalError(ValueError, UnpicklingError):
    """A whole-model file names a class or function that may not be loaded (not anynn's, not allowed).

    The message names it and says how to allow it. A ``pickle.UnpicklingError`` too, as PyTorch's refusal here
    ("Weights only load failed"), which ported programs catch; anynn has no pickle at all.
    """


def global_name(obj: Any) -> str:
    """``"module:qualname"`` of a class or function (what whole-model files record)."""
    return f"{getattr(obj, '__module__', None)}:{getattr(obj, '__qualname__', None)}"


def _names_of(entry: Any) -> tuple[Any, list[str]]:
    """The object of an allow-list entry and the names it is allowed under (PyTorch takes ``(obj, "a.b.C")``)."""
    if isinstance(entry, tuple):
        if len(entry) != 2 or not isinstance(entry[1], str):
            raise TypeError(f"safe globals: expected an object or (object, 'module.qualname'), got {entry!r}")
        obj, dotted = entry
        module, _, qualname = dotted.rpartition(".")
        return obj, [global_name(obj), f"{module}:{qualname}"]
    if not callable(entry):
        raise TypeError(f"safe globals: expected a class or function, got a {type(entry).__name__}")
    return entry, [global_name(entry)]


def add_safe_globals(safe_globals: Iterable[Any]) -> None:
    """Allow these classes and functions in files loaded from now on (as ``torch.serialization.add_safe_globals``).

    Each entry is a class or function, or ``(obj, "module.qualname")`` for an object saved under another name.
    """
    entries = [_names_of(entry) for entry in safe_globals]
    with _LOCK:
        for obj, names in entries:
            for name in names:
                _ALLOWED[name] = obj


def get_safe_globals() -> list[Any]:
    """The classes and functions allowed by `add_safe_globals` / `safe_globals`, each once."""
    with _LOCK:
        found: dict[int, Any] = {}
        for obj in _ALLOWED.values():
            found.setdefault(id(obj), obj)
        return list(found.values())


def clear_safe_globals() -> None:
    """Forget every class and function allowed by `add_safe_globals`."""
    with _LOCK:
        _ALLOWED.clear()


class safe_globals:  # noqa: N801 - PyTorch's name (a context manager)
    """``with safe_globals([MyModel, F.relu]): model = anynn.load(f)``: allow these only inside the block.

    The allow-list is the process's (as in PyTorch): other threads loading inside the block see the
    entries too. On exit the allow-list is what it was before.
    """

    def __init__(self, safe_globals: Iterable[Any]) -> None:
        self.entries = [_names_of(entry) for entry in safe_globals]
        self._saved: dict[str, Any] | None = None

    def __enter__(self) -> "safe_globals":
        with _LOCK:
            self._saved = dict(_ALLOWED)
            for obj, names in self.entries:
                for name in names:
                    _ALLOWED[name] = obj
        return self

    def __exit__(self, *exc: Any) -> None:
        with _LOCK:
            _ALLOWED.clear()
            _ALLOWED.update(self._saved or {})


def lookup_imported(name: str) -> Any:
    """The object called ``name`` (``"module:qualname"``) in an already imported module, or ``None``.

    Only ``__dict__`` lookups: no import, no module ``__getattr__``, no descriptor is run.
    """
    module_name, sep, qualname = name.partition(":")
    if not sep or not module_name or not qualname:
        return None
    module = sys.modules.get(module_name)
    if not isinstance(module, types.ModuleType):
        return None
    obj: Any = module
    for part in qualname.split("."):
        if not part.isidentifier():
            return None
        space = getattr(obj, "__dict__", None) if isinstance(obj, (types.ModuleType, type)) else None
        if space is None or part not in space:
            return None
        obj = space[part]
    return obj


def name_problem(obj: Any) -> str | None:
    """Why a class or function cannot be named in a file (a lambda, a local class, a replaced name), or None."""
    qualname = getattr(obj, "__qualname__", "")
    module_name = getattr(obj, "__module__", None)
    if "<lambda>" in qualname:
        return "a lambda has no name to be found by; define the function with def at the top level of a module"
    if "<locals>" in qualname:
        return (f"{qualname!r} is defined inside a function, so it has no name to be found by; define it at the top "
                "level of a module")
    if not isinstance(module_name, str) or not qualname:
        return "it has no module and qualified name to be found by"
    if module_name in sys.modules and lookup_imported(global_name(obj)) is not obj:
        return f"{global_name(obj)!r} does not name this object (it was replaced or renamed)"
    return None


# what a class defines to be pickled other than as its __dict__ (or, __new__, to be made otherwise)
_STATE_HOOKS = ("__new__", "__getstate__", "__setstate__", "__getnewargs__", "__getnewargs_ex__", "__slots__")


def is_plain_class(cls: Any) -> bool:
    """A Python class whose instances pickle saves as the class plus their ``__dict__`` and rebuilds without
    ``__init__``: no class in its MRO but ``object`` defines ``__new__``, ``__getstate__``, ``__setstate__``,
    ``__getnewargs__`` or ``__slots__`` (a dataclass, ``argparse.Namespace``; not a builtin type)."""
    return isinstance(cls, type) and cls.__mro__[-1] is object and all(
        hook not in vars(k) for k in cls.__mro__[:-1] for hook in _STATE_HOOKS) and \
        cls.__new__ is object.__new__


def plain_state(obj: Any) -> dict[str, Any] | None:
    """The ``__dict__`` of an instance of a plain class (`is_plain_class`: a dataclass, ``argparse.Namespace``),
    as pickle saves it; None for anything else."""
    state = getattr(obj, "__dict__", None)
    return dict(state) if is_plain_class(type(obj)) and isinstance(state, dict) else None


def rebuild_plain(cls: Any, state: dict[str, Any], name: str, path: Any) -> Any:
    """An instance of ``cls`` (resolved from ``name``) with ``state`` as its ``__dict__``, as pickle rebuilds it
    (``object.__new__``, no ``__init__`` run)."""
    if not is_plain_class(cls):
        raise UnsafeGlobalError(f"{path}: {name!r} is not a plain class (its instances are not rebuilt from their "
                                "__dict__ alone), so anynn will not rebuild it")
    obj = object.__new__(cls)
    obj.__dict__.update(state)
    return obj


def _is_global(obj: Any) -> bool:
    return isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType))


def _anynn_own(name: str, obj: Any, module_class: type) -> bool:
    module_name = name.partition(":")[0]
    if module_name != "anynn" and not module_name.startswith("anynn."):
        return False
    if isinstance(obj, type):
        return issubclass(obj, module_class)
    return isinstance(obj, (types.FunctionType, types.BuiltinFunctionType)) and \
        module_name.startswith(_ANYNN_FUNCTION_PACKAGES) and global_name(obj) == name


def resolve(name: Any, what: str, path: Any, weights_only: bool, module_class: type) -> Any:
    """The class or function a whole-model file calls ``name``, if (a), (b) or (c) of this module's doc allows it.

    ``what`` says where the file names it (for the message). Raises `UnsafeGlobalError` otherwise.
    """
    if not isinstance(name, str):
        raise UnsafeGlobalError(f"{path}: {what} must be named by a 'module:qualname' string, got {name!r}")
    with _LOCK:
        allowed = _ALLOWED.get(name)
    if allowed is not None:
        return allowed
    found = lookup_imported(name)
    if found is not None and _anynn_own(name, found, module_class):
        return found
    if weights_only is False and found is not None and _is_global(found):
        return found
    module_name, _, qualname = name.partition(":")
    why = ("its module is not imported (anynn never imports a module named by a file)"
           if module_name not in sys.modules else "it is not anynn's and was not allowed")
    trust = ("load with weights_only=False" if module_name in sys.modules
             else f"import {module_name!r} yourself and load with weights_only=False")
    raise UnsafeGlobalError(
        f"{path}: {what} is {name!r}, which anynn will not load: {why}. If you trust it, allow it with "
        f"`with anynn.serialization.safe_globals([{qualname}]): anynn.load(...)` (or "
        f"anynn.serialization.add_safe_globals([{qualname}])), or {trust}")


__all__ = ["UnsafeGlobalError", "add_safe_globals", "clear_safe_globals", "get_safe_globals", "global_name",
           "is_plain_class", "lookup_imported", "name_problem", "plain_state", "rebuild_plain", "resolve",
           "safe_globals"]
