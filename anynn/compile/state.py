"""Find the state a training step touches, without the user listing it.

A step is an ordinary function closing over a model, a loss and an optimizer. `discover` looks at what
the function can reach — its closure cells, the globals its code names (and those of nested code), its
defaults, ``self`` of a bound method, and, one level down, lists, dicts and plain objects holding them,
and the functions it calls by name; also the modules and optimizers a call hands it as arguments
(`argument_roots`) — and collects:

- every `Module` (with all its submodules), `Optimizer` and learning-rate scheduler (anything holding
  an ``optimizer``);
- every parameter and buffer of those modules, every parameter of those optimizers and every leaf tensor that
  requires grad reached directly (``w = randn(3, requires_grad=True)`` trained by hand: ``w.sub_(lr * w.grad)``)
  (`StepState.tensors`), and among them those that take gradients (`StepState.params`);
- every other tensor reached directly, not inside a list or dict, that takes no gradient (`StepState.captured`:
  a scale, a mask, a counter the step adds to): a traced step holds them as constants of its program (a new value
  compiles again) except those it changes in place, which go in and come out as its state does;
- every device generator (`DeviceRNG`) held by those modules (Dropout's, an RNN's) or reachable directly;
- every `GradScaler`: ``scaler.scale(loss)`` multiplies by its scale, a Python number the program holds as a
  constant, so the scale is part of the program's cache key (`side_effects.static_key`).

`StepState.roots_key` is the identity of what the function reached: when a global or closure cell is
rebound (a new model), the compiled step discovers again. `StepState.structure` is what discovery read from those
objects (`structure_key`): a layer frozen or unfrozen, a parameter group added, a layer or Parameter replaced
also discover again.
"""

from __future__ import annotations

import functools
import types
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..amp.grad_scaler import GradScaler
from ..autograd.tensor import Tensor
from ..backend import DeviceRNG
from ..nn.module import Module
from ..optim.optimizer import Optimizer

_MAX_DEPTH = 3  # plain objects and containers are searched this many levels below the step's own names
_MAX_ITEMS = 10_000  # larger containers are data, not state holders


@dataclass
class StepState:
    """The state one step may read or change, in a fixed order (the order of the compiled program's inputs)."""

    modules: list[Module] = field(default_factory=list)
    optimizers: list[Optimizer] = field(default_factory=list)
    schedulers: list[Any] = field(default_factory=list)
    tensors: list[Tensor] = field(default_factory=list)  # parameters and buffers, each once
    params: list[Tensor] = field(default_factory=list)  # the tensors that take gradients
    captured: list[Tensor] = field(default_factory=list)  # other tensors reached directly, taking no gradient
    generators: list[DeviceRNG] = field(default_factory=list)
    scalers: list[GradScaler] = field(default_factory=list)
    roots_key: tuple[int, ...] = ()
    structure: tuple[Any, ...] = ()

    @property
    def backends(self) -> list[Any]:
        """The distinct backends of the state's tensors, in order of first appearance."""
        seen: list[Any] = []
        for t in self.tensors:
            if t.backend not in seen:
                seen.append(t.backend)
        return seen

    @property
    def counter_generators(self) -> list[DeviceRNG]:
        """The generators whose whole state is ``(seed, counter)`` with the counter an attribute (JAX's)."""
        return [g for g in self.generators if hasattr(g, "counter")]

    def opt_params(self, opt: Optimizer) -> list[Tensor]:
        return [p for group in opt.param_groups for p in group["params"]]


def step_roots(fn: Callable[..., Any]) -> list[Any]:
    """The objects ``fn`` names directly: closure cells, referenced globals, defaults, ``self``, partial args."""
    roots: list[Any] = []
    while True:
        if isinstance(fn, functools.partial):
            roots += list(fn.args) + list(fn.keywords.values())
            fn = fn.func
        elif isinstance(fn, types.MethodType):
            roots.append(fn.__self__)
            fn = fn.__func__
        else:
            break
    if not isinstance(fn, types.FunctionType):
        if isinstance(fn, Module) or hasattr(fn, "__dict__"):
            roots.append(fn)  # a callable object (a Module, a Trainer with __call__)
        call = vars(type(fn)).get("__call__")
        if isinstance(call, types.FunctionType) and not isinstance(fn, Module):
            roots += step_roots(call)
        return roots
    roots += [cell.cell_contents for cell in fn.__closure__ or () if _cell_filled(cell)]
    names = set(_code_names(fn.__code__))
    roots += [fn.__globals__[name] for name in sorted(names) if name in fn.__globals__]
    roots += list(fn.__defaults__ or ()) + list((fn.__kwdefaults__ or {}).values())
    return roots


def _cell_filled(cell: Any) -> bool:
    try:
        _ = cell.cell_contents
    except ValueError:
        return False
    return True


def _code_names(code: types.CodeType) -> Iterable[str]:
    yield from code.co_names
    for const in code.co_consts:
        if isinstance(const, types.CodeType):  # lambdas, comprehensions, nested functions
            yield from _code_names(const)


def discover(fn: Callable[..., Any], given: Iterable[Any] = ()) -> StepState:
    """The `StepState` of ``fn`` (see the module docstring for what is searched); ``given``: the modules and
    optimizers among a call's arguments (`argument_roots`), searched as well."""
    found: dict[int, Any] = {}
    given = list(given)
    roots = step_roots(fn) + given
    seen: set[int] = set()
    for root in roots:
        _walk(root, 0, found, seen)
    state = StepState(roots_key=roots_key(fn) + given_key(given))
    modules: dict[int, Module] = {}
    for obj in found.values():
        if isinstance(obj, Module):
            for m in obj.modules():
                modules.setdefault(id(m), m)
        elif isinstance(obj, Optimizer):
            state.optimizers.append(obj)
        elif isinstance(getattr(obj, "optimizer", None), Optimizer):
            state.schedulers.append(obj)
            if not any(o is obj.optimizer for o in state.optimizers):
                state.optimizers.append(obj.optimizer)
        elif isinstance(obj, DeviceRNG):
            state.generators.append(obj)
        elif isinstance(obj, GradScaler):
            state.scalers.append(obj)
    state.modules = list(modules.values())
    tensors: dict[int, Tensor] = {}
    for m in state.modules:
        for t in list(m._parameters.values()) + list(m._buffers.values()):
            if isinstance(t, Tensor):
                tensors.setdefault(id(t), t)
    for opt in state.optimizers:
        for p in state.opt_params(opt):
            tensors.setdefault(id(p), p)
    for obj in found.values():
        if isinstance(obj, Tensor) and obj.requires_grad:
            tensors.setdefault(id(obj), obj)
    state.captured = [obj for obj in found.values()
                      if isinstance(obj, Tensor) and not obj.requires_grad and id(obj) not in tensors]
    state.tensors = list(tensors.values())
    state.params = [t for t in state.tensors if t.requires_grad]
    for rng in module_generators(state.modules):
        if not any(rng is g for g in state.generators):
            state.generators.append(rng)
    state.structure = structure_key(state)
    return state


def argument_roots(args: tuple[Any, ...], kwargs: dict[str, Any]) -> list[Any]:
    """The modules and optimizers a call hands the step (``train(model, batch)``, the torch.compile tutorials'): their
    parameters, buffers and state are the step's state as those it names are (a BatchNorm's statistics written
    inside the program come back out). Top level, and one level into tuples, lists and dicts."""
    found: list[Any] = []
    for arg in list(args) + list(kwargs.values()):
        items = arg.values() if isinstance(arg, dict) else arg if isinstance(arg, (tuple, list)) else (arg,)
        found += [obj for obj in items if isinstance(obj, (Module, Optimizer))]
    return found


def given_key(given: Iterable[Any]) -> tuple[int, ...]:
    """The identities of the modules and optimizers a call hands the step (`argument_roots`): the part of a
    `StepState`'s ``roots_key`` after the step's own `roots_key`, so another model passed in discovers again."""
    return tuple(id(obj) for obj in given)


def structure_key(st: StepState) -> tuple[Any, ...]:
    """What `discover` read from the state's objects, which a program may change between calls without rebinding a
    name: which tensors take gradients (``requires_grad_``), the parameters of each optimizer (``add_param_group``),
    the layers, parameters and buffers each module holds (one replaced). A change discovers the state again."""
    return (tuple(t.requires_grad for t in st.tensors + st.captured),
            tuple(id(p) for opt in st.optimizers for group in opt.param_groups for p in group["params"]),
            tuple(id(v) for m in st.modules for held in (m._modules, m._parameters, m._buffers) for v in held.values()))


_NOT_STATE = (str, bytes, int, float, bool, complex, type(None), type, types.ModuleType, types.BuiltinFunctionType)


def roots_key(fn: Callable[..., Any]) -> tuple[int, ...]:
    """The identities of the objects ``fn`` names that may hold state: a new model in a global or cell changes it.

    Numbers and strings are left out: a code name such as ``step`` (``opt.step``) may also be a loop
    counter in the module's globals, which changes every call.
    """
    return tuple(id(obj) for obj in step_roots(fn) if not isinstance(obj, _NOT_STATE))


def roots_watch(fn: Callable[..., Any]) -> Callable[[], tuple[int, ...]]:
    """A function returning `roots_key` of ``fn``, cheaper per call: a plain function's cells and global names
    are found once, and each call only looks them up (a call of a compiled step checks it every time)."""
    if not isinstance(fn, types.FunctionType):
        return lambda: roots_key(fn)
    cells = [cell for cell in fn.__closure__ or ()]
    names = sorted(set(_code_names(fn.__code__)))
    env = fn.__globals__
    fixed = list(fn.__defaults__ or ()) + list((fn.__kwdefaults__ or {}).values())
    not_state = _NOT_STATE

    def key() -> tuple[int, ...]:
        objs = [cell.cell_contents for cell in cells if _cell_filled(cell)]
        objs += [env[name] for name in names if name in env]
        objs += fixed
        return tuple([id(obj) for obj in objs if not isinstance(obj, not_state)])

    return key


def _walk(obj: Any, depth: int, found: dict[int, Any], seen: set[int], held: bool = False) -> None:
    """Collect the state objects reachable from ``obj`` into ``found`` (``held``: ``obj`` is an item of a list,
    tuple, set or dict, where a tensor that takes no gradient is data, not state)."""
    if id(obj) in seen or depth > _MAX_DEPTH or obj is None or isinstance(obj, (str, bytes, int, float, bool,
                                                                                   complex, type, types.ModuleType)):
        return
    seen.add(id(obj))
    if isinstance(obj, (Module, Optimizer, DeviceRNG, GradScaler)):
        found[id(obj)] = obj
        if isinstance(obj, Module):
            _walk_dict(obj.__dict__, depth, found, seen, skip=("_parameters", "_buffers", "_modules"))
        return
    if isinstance(obj, Tensor):  # a bare leaf: a parameter trained without a Module, a counter, a scale
        if obj.grad_fn is None and (obj.requires_grad or not held):
            found[id(obj)] = obj
        return
    if isinstance(getattr(obj, "optimizer", None), Optimizer):  # a learning-rate scheduler
        found[id(obj)] = obj
        return
    if isinstance(obj, (list, tuple, set, frozenset)):
        if len(obj) <= _MAX_ITEMS:
            for item in obj:
                _walk(item, depth + 1, found, seen, held=True)
        return
    if isinstance(obj, dict):
        _walk_dict(obj, depth, found, seen, held=True)
        return
    if isinstance(obj, (types.FunctionType, types.MethodType, functools.partial)):
        for root in step_roots(obj):
            _walk(root, depth + 1, found, seen)
        return
    if isinstance(obj, (types.BuiltinFunctionType, types.BuiltinMethodType)):
        return
    attributes = getattr(obj, "__dict__", None)
    if isinstance(attributes, dict):
        _walk_dict(attributes, depth, found, seen)


def _walk_dict(d: dict[Any, Any], depth: int, found: dict[int, Any], seen: set[int],
               skip: tuple[str, ...] = (), held: bool = False) -> None:
    if len(d) > _MAX_ITEMS:
        return
    for key, value in d.items():
        if key not in skip:
            _walk(value, depth + 1, found, seen, held)


def module_generators(modules: Iterable[Module]) -> list[DeviceRNG]:
    """The device generators the modules hold as attributes (directly, or inside a tuple), each once."""
    out: list[DeviceRNG] = []
    for m in modules:
        for value in m.__dict__.values():
            items = value if isinstance(value, tuple) else (value,)
            for item in items:
                if isinstance(item, DeviceRNG) and not any(item is g for g in out):
                    out.append(item)
    return out
