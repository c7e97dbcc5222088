"""``torch.jit``'s names, for programs that script or trace parts of a model.

TorchScript compiles a function or Module to an intermediate representation that runs without Python, computing
exactly what the eager code computes. anynn has no such representation, so the names here keep that contract the
only way they can: ``script`` and ``trace`` hand back the object itself, which computes the same values and
gradients; the decorators (``ignore``, ``unused``, ``export``...) mark nothing; ``fork``/``wait`` run the call
at once. What asks for the representation itself (``save``, ``load``, ``.code``, ``.graph``) is refused with the way
anynn does it: ``anynn.compile`` for speed, ``anynn.onnx.export`` for a file that runs without Python, and
``anynn.save(model.state_dict(), path)`` for the weights.
"""

from __future__ import annotations

import builtins
import contextlib
import os
import sys
import types
import typing
from collections.abc import Iterator
from typing import Any, Callable, Final, Generic, NamedTuple, TypeVar  # noqa: F401 - torch.jit.Final is typing's

from .nn.module import Module

__all__ = ["Attribute", "Error", "Future", "ScriptModule", "annotate", "enable_onednn_fusion", "export", "fork",
           "freeze", "fuser", "ignore", "interface", "is_scripting", "is_tracing", "isinstance", "load",
           "onednn_fusion_enabled", "optimize_for_inference", "optimized_execution", "save", "script",
           "script_if_tracing", "script_method", "trace", "trace_module", "unused", "wait"]

T = TypeVar("T")


class Error(RuntimeError):
    """``torch.jit.Error``: what ``save``/``load`` raise here (anynn writes no TorchScript archive)."""


def _no_archive(name: str) -> Error:
    return Error(f"anynn.jit.{name}: anynn has no TorchScript archive. Save the weights with "
                 "anynn.save(model.state_dict(), path) and rebuild the model from its code, or write a file that runs "
                 "without Python with anynn.onnx.export(model, example_inputs, path)")


def script(obj: T, optimize: Any = None, _frames_up: int = 0, _rcb: Any = None, example_inputs: Any = None) -> T:
    """``torch.jit.script``: ``obj`` (a function, Module or class) itself, which computes what the scripted one does.

    A decorator too (``@anynn.jit.script``). For a compiled step use `anynn.compile`.
    """
    return obj


def trace(func: T, example_inputs: Any = None, optimize: Any = None, check_trace: bool = True,
          check_inputs: Any = None, check_tolerance: float = 1e-5, strict: bool = True, _force_outplace: bool = False,
          _module_class: Any = None, _compilation_unit: Any = None, example_kwarg_inputs: Any = None,
          _store_inputs: bool = True) -> T:
    """``torch.jit.trace``: ``func`` itself, not run on ``example_inputs``.

    A trace records one path through the code; the function itself takes that same path on inputs like the example,
    and its own path on others (where a trace would repeat the recorded one).
    """
    return func


def trace_module(mod: T, inputs: Any = None, *args: Any, **kwargs: Any) -> T:
    """``torch.jit.trace_module``: the Module itself (see `trace`)."""
    return mod


def freeze(mod: T, preserved_attrs: Any = None, optimize_numerics: bool = True) -> T:
    """``torch.jit.freeze``: the Module itself (freezing inlines weights into an archive's graph: same values)."""
    return mod


def optimize_for_inference(mod: T, other_methods: Any = None) -> T:
    """``torch.jit.optimize_for_inference``: the Module itself."""
    return mod


def script_if_tracing(fn: T) -> T:
    """``torch.jit.script_if_tracing``: ``fn`` itself."""
    return fn


def _marker(fn: Any = None, **options: Any) -> Any:
    """A decorator that marks nothing; usable bare (``@ignore``) or called (``@ignore(drop=True)``)."""
    if fn is None or not callable(fn):  # called with options
        return lambda f: f
    return fn


def ignore(drop: Any = False, **kwargs: Any) -> Any:
    """``torch.jit.ignore``: the function itself (left to Python by the compiler; here everything is Python)."""
    return _marker(drop)


def unused(fn: T) -> T:
    """``torch.jit.unused``: ``fn`` itself."""
    return fn


def export(fn: T) -> T:
    """``torch.jit.export``: ``fn`` itself (a method compiled as an entry point; here every method is callable)."""
    return fn


def interface(obj: T) -> T:
    """``torch.jit.interface``: the class itself."""
    return obj


def _overload(func: T) -> T:
    """``torch.jit._overload``: ``func`` itself. An overload declares a typed signature for the compiler; the
    implementation that follows it under the same name is what Python calls."""
    return func


def _overload_method(func: T) -> T:
    """``torch.jit._overload_method``: ``func`` itself (torchvision's DenseNet declares ``forward``'s overloads with
    it); the method defined after it under the same name is the one that runs."""
    return func


def is_scripting() -> bool:
    """``torch.jit.is_scripting``: False (code runs eagerly, never under the TorchScript compiler)."""
    return False


def is_tracing() -> bool:
    """``torch.jit.is_tracing``: False (`trace` does not run the code under a tracer)."""
    return False


def annotate(the_type: Any, the_value: T) -> T:
    """``torch.jit.annotate``: ``the_value`` (a type hint for the compiler)."""
    return the_value


class Attribute(NamedTuple):
    """``torch.jit.Attribute(value, type)``: a typed attribute for the compiler; outside it (eager PyTorch, and
    here) the pair itself, as PyTorch keeps it."""

    value: Any
    type: Any


class ScriptModule(Module):
    """``torch.jit.ScriptModule``: a `Module` (old code subclasses it and marks methods with `script_method`)."""


def script_method(fn: T) -> T:
    """``torch.jit.script_method``: ``fn`` itself."""
    return fn


def isinstance(obj: Any, target_type: Any) -> bool:  # noqa: A001 - torch.jit.isinstance's name
    """``torch.jit.isinstance``: ``isinstance`` that also checks the element types of ``List[int]``,
    ``Dict[str, Tensor]``, ``Tuple[...]`` and ``Optional[...]`` annotations, as PyTorch's eager version does."""
    origin, args = typing.get_origin(target_type), typing.get_args(target_type)
    if target_type in (list, dict, tuple) or (origin in (list, dict, tuple) and not args):
        name = getattr(target_type, "__name__", str(target_type))
        raise RuntimeError(f"anynn.jit.isinstance: {name} needs its element types, as in torch.jit.isinstance "
                           f"({name}[int]{', Dict[str, int]' if (origin or target_type) is dict else ''})")
    if origin is None:
        return builtins.isinstance(obj, target_type)
    if origin in (typing.Union, types.UnionType):
        return any(isinstance(obj, option) for option in args)
    if origin is list:
        return builtins.isinstance(obj, list) and (not args or all(isinstance(v, args[0]) for v in obj))
    if origin is dict:
        return builtins.isinstance(obj, dict) and (not args or all(
            isinstance(k, args[0]) and isinstance(v, args[1]) for k, v in obj.items()))
    if origin is tuple:
        return builtins.isinstance(obj, tuple) and (not args or (len(obj) == len(args) and all(
            isinstance(v, a) for v, a in zip(obj, args))))
    return builtins.isinstance(obj, origin)


@contextlib.contextmanager
def optimized_execution(should_optimize: bool) -> Iterator[None]:
    """``torch.jit.optimized_execution``: a context with no effect (no TorchScript executor to tune)."""
    yield


@contextlib.contextmanager
def fuser(name: str) -> Iterator[None]:
    """``torch.jit.fuser``: a context with no effect (no TorchScript fuser)."""
    yield


def enable_onednn_fusion(enabled: bool) -> None:
    """``torch.jit.enable_onednn_fusion`` (PyTorch's tuning guide): kept for `onednn_fusion_enabled`, with no
    effect (no TorchScript graph to fuse)."""
    _onednn_fusion[0] = bool(enabled)


def onednn_fusion_enabled() -> bool:
    """The value last given to `enable_onednn_fusion` (False until then, as PyTorch's)."""
    return _onednn_fusion[0]


_onednn_fusion = [False]


class Future(Generic[T]):
    """``torch.jit.Future``: the result of a `fork`, already computed (``wait()`` returns it)."""

    def __init__(self, value: T) -> None:
        self._value = value

    def wait(self) -> T:
        return self._value

    def value(self) -> T:
        return self._value

    def done(self) -> bool:
        return True


def fork(func: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
    """``torch.jit.fork``: ``func(*args, **kwargs)`` run now (TorchScript may run it in parallel; eager PyTorch runs it
    at once too), its result in a `Future`."""
    return Future(func(*args, **kwargs))


def wait(future: Future[T]) -> T:
    """``torch.jit.wait``: the value of a `fork`."""
    if not builtins.isinstance(future, Future):
        raise TypeError(f"anynn.jit.wait: expected the Future that anynn.jit.fork returned, got "
                        f"{type(future).__name__}")
    return future.wait()


def save(m: Any, f: str | os.PathLike[str] | Any, _extra_files: Any = None) -> None:
    """``torch.jit.save``: refused (no TorchScript archive); the message names what to use instead."""
    raise _no_archive("save")


def load(f: str | os.PathLike[str] | Any, map_location: Any = None, _extra_files: Any = None) -> Any:
    """``torch.jit.load``: refused (no TorchScript archive); the message names what to use instead."""
    raise _no_archive("load")


# ``torch.jit.annotations`` is a module of its own; typed programs import typing's names from it
# (``from torch.jit.annotations import List``, torchvision's and timm's densenet). jit is a module here, so the
# submodule is registered under its dotted name for the import statement.
annotations = types.ModuleType(__name__ + ".annotations", "torch.jit.annotations: typing's names for annotations.")
for _name in ("Any", "Dict", "List", "Optional", "Tuple", "Union"):
    setattr(annotations, _name, getattr(typing, _name))
sys.modules[annotations.__name__] = annotations
del _name
