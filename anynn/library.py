"""``torch.library``'s Python custom operators: a function wrapped as an operator with ``custom_op``, its shapes
given by ``register_fake``, its gradient by ``register_autograd``, a kernel per device by ``register_kernel``,
checked by ``opcheck``, and reached as ``anynn.ops.<namespace>.<name>`` as ``torch.ops`` reaches it. The older
schema API is here too: ``Library(ns, "DEF")`` with ``define("name(Tensor x, float s=1.0) -> Tensor")`` and
``impl(name, fn, "CPU")``, and the functions ``define("ns::name", "(Tensor x) -> Tensor")`` / ``impl``.

PyTorch needs an operator to keep a Python function opaque to its compiler and to give it a gradient. anynn runs
every call in Python (its compiled steps trace the Python as written), so an operator here is its function: the
fake kernel is what ``opcheck`` compares the real outputs with, and a registered gradient runs as a PyTorch-style
`Function` (``setup_context(ctx, inputs, output)`` after the kernel, ``backward(ctx, *grads)`` for the inputs).
An operator whose inputs require grad and which has no gradient registered gives outputs whose backward raises,
naming the operator, as PyTorch's does.
"""

from __future__ import annotations

import ast
import inspect
import re
import weakref
from typing import Any, Callable, Iterable, Sequence

from .autograd import Function
from .autograd.mode import order_observable
from .autograd.mode import is_grad_enabled, no_grad
from .autograd.tensor import Tensor

__all__ = ["CustomOpDef", "Library", "custom_op", "define", "impl", "opcheck", "register_autograd", "register_fake",
           "register_kernel"]

_OPERATORS: dict[str, CustomOpDef] = {}


class CustomOpDef:
    """One operator ``namespace::name``: call it as its function (what ``custom_op`` returns)."""

    def __init__(self, qualname: str, fn: Callable[..., Any], mutates_args: Iterable[str] | str) -> None:
        self._qualname = qualname
        self._init_fn = fn
        self._signature = inspect.signature(fn)
        self._mutates = mutates_args if isinstance(mutates_args, str) else tuple(mutates_args)
        self._kernels: dict[str, Callable[..., Any]] = {}
        self._composite: set[int] = set()  # ids of kernels built from anynn's ops: they differentiate themselves
        self._fake: Callable[..., Any] | None = None
        self._backward: Callable[..., Any] | None = None
        self._setup_context: Callable[..., Any] | None = None
        self.__name__ = qualname.split("::")[-1]
        self.__doc__ = fn.__doc__

    def __repr__(self) -> str:
        return f"<CustomOpDef({self._qualname})>"

    @property
    def default(self) -> CustomOpDef:
        """``torch.ops.ns.name.default``: the operator's one overload, itself."""
        return self

    def register_fake(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """``fn(*inputs)`` gives outputs of the real ones' shapes and dtypes (kept for `opcheck`)."""
        self._fake = fn
        return fn

    def register_autograd(self, backward: Callable[..., Any], /, *,
                          setup_context: Callable[..., Any] | None = None) -> None:
        """The gradient: ``setup_context(ctx, inputs, output)`` after the kernel, ``backward(ctx, *grads)`` giving
        one gradient (or None) per input."""
        self._backward, self._setup_context = backward, setup_context

    def register_kernel(self, device_types: str | Sequence[str] | None,
                        fn: Callable[..., Any] | None = None) -> Any:
        """A kernel for inputs on ``device_types`` (``"cpu"``, ``"cuda"``; None: every device); a decorator
        without ``fn``."""
        def register(kernel: Callable[..., Any]) -> Callable[..., Any]:
            kinds = [None] if device_types is None else [device_types] if isinstance(device_types, str) else list(
                device_types)
            for kind in kinds:
                self._kernels[str(kind)] = kernel
            return kernel
        return register if fn is None else register(fn)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        bound = self._signature.bind(*args, **kwargs)
        bound.apply_defaults()
        inputs = tuple(bound.arguments.values())
        kernel = self._kernel_for(inputs)
        if id(kernel) in self._composite or not (
                is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in inputs)):
            return self._call(kernel, inputs)
        return _autograd_function(self, kernel).apply(*inputs)

    def _kernel_for(self, inputs: tuple[Any, ...]) -> Callable[..., Any]:
        if self._kernels:
            for value in inputs:
                if isinstance(value, Tensor):
                    found = self._kernels.get(value.device.type)
                    if found is not None:
                        return found
            if "None" in self._kernels:
                return self._kernels["None"]
        return self._init_fn

    def _call(self, fn: Callable[..., Any], inputs: tuple[Any, ...]) -> Any:
        """``fn`` on ``inputs`` given in the order of the operator's parameters (keyword-only ones by name)."""
        args, kwargs = [], {}
        for parameter, value in zip(self._signature.parameters.values(), inputs):
            if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
                kwargs[parameter.name] = value
            else:
                args.append(value)
        return fn(*args, **kwargs)


def _autograd_function(op: CustomOpDef, kernel: Callable[..., Any]) -> type[Function]:
    """A PyTorch-style Function running ``kernel`` and the operator's registered gradient (or refusing one)."""

    order_observable[0] = True  # its registered gradient is user code (see `anynn.autograd.mode`)
    class CustomOperator(Function):
        _operator_name = op._qualname  # refused in anynn.func's transforms as PyTorch's operators (transform_levels)

        @staticmethod
        def forward(ctx: Any, *inputs: Any) -> Any:
            output = op._call(kernel, inputs)
            if op._setup_context is not None:
                op._setup_context(ctx, inputs, output)
            return output

        @staticmethod
        def backward(ctx: Any, *grads: Any) -> Any:
            if op._backward is None:
                raise RuntimeError(f"{op._qualname}: autograd has not been implemented for this operator; register a "
                                   "gradient with register_autograd(backward, setup_context=...)")
            return op._backward(ctx, *grads)

    CustomOperator.__name__ = CustomOperator.__qualname__ = f"{op.__name__}_custom_op"
    return CustomOperator


def custom_op(name: str, fn: Callable[..., Any] | None = None, /, *, mutates_args: Iterable[str] | str,
              device_types: str | Sequence[str] | None = None, schema: str | None = None) -> Any:
    """``@anynn.library.custom_op("mylib::crop", mutates_args=())``: ``fn`` as the operator ``mylib::crop``
    (a decorator without ``fn``); ``device_types`` makes ``fn`` the kernel of those devices only."""
    if "::" not in name:
        raise ValueError(f"custom_op: expected a name 'namespace::name', got {name!r}")
    if not isinstance(mutates_args, str) and not isinstance(mutates_args, Iterable):
        raise TypeError(f"custom_op: mutates_args must be 'unknown' or the names of the mutated inputs, got "
                        f"{type(mutates_args).__name__}")

    def wrap(function: Callable[..., Any]) -> CustomOpDef:
        parameters = inspect.signature(function).parameters
        unknown = [] if isinstance(mutates_args, str) else [a for a in mutates_args if a not in parameters]
        if unknown:
            raise ValueError(f"custom_op {name}: mutates_args names {unknown}, which are not arguments of "
                             f"{function.__name__}")
        op = CustomOpDef(name, function, mutates_args)
        if device_types is not None:
            op.register_kernel(device_types, function)
        _OPERATORS[name] = op
        return op

    return wrap if fn is None else wrap(fn)


def _operator(op: str | CustomOpDef, caller: str) -> CustomOpDef:
    if isinstance(op, CustomOpDef):
        return op
    if op not in _OPERATORS:
        raise ValueError(f"{caller}: no operator {op!r} was defined with anynn.library.custom_op")
    return _OPERATORS[op]


def register_fake(op: str | CustomOpDef, fn: Callable[..., Any] | None = None, /, *, lib: Any = None,
                  _stacklevel: int = 1) -> Any:
    """The operator's fake kernel (a decorator without ``fn``)."""
    target = _operator(op, "register_fake")
    return target.register_fake if fn is None else target.register_fake(fn)


def register_autograd(op: str | CustomOpDef, backward: Callable[..., Any], /, *,
                      setup_context: Callable[..., Any] | None = None, lib: Any = None) -> None:
    """The operator's gradient (see `CustomOpDef.register_autograd`)."""
    _operator(op, "register_autograd").register_autograd(backward, setup_context=setup_context)


def register_kernel(op: str | CustomOpDef, device_types: str | Sequence[str] | None,
                    fn: Callable[..., Any] | None = None, /, *, lib: Any = None) -> Any:
    """A kernel of the operator for ``device_types`` (a decorator without ``fn``)."""
    return _operator(op, "register_kernel").register_kernel(device_types, fn)


def opcheck(op: str | CustomOpDef, args: Sequence[Any], kwargs: dict[str, Any] | None = None, *,
            test_utils: str | Sequence[str] | None = None, raise_exception: bool = True,
            atol: float | None = None, rtol: float | None = None) -> dict[str, str]:
    """Check an operator on one example, as ``torch.library.opcheck``: the fake kernel gives the real outputs'
    shapes and dtypes, inputs outside ``mutates_args`` are left unchanged, and a registered gradient runs for the
    inputs that require grad. Returns ``{test: "SUCCESS" or the error}``; raises the first failure unless
    ``raise_exception=False``."""
    target = _operator(op, "opcheck")
    kwargs = dict(kwargs or {})
    results: dict[str, str] = {}
    for test, check in (("test_schema", _check_mutations), ("test_faketensor", _check_fake),
                        ("test_autograd_registration", _check_gradient)):
        try:
            check(target, args, kwargs)
            results[test] = "SUCCESS"
        except Exception as error:
            if raise_exception:
                raise OpCheckError(f"opcheck({target._qualname}): {test} failed: {error}") from error
            results[test] = f"{type(error).__name__}: {error}"
    return results


class OpCheckError(Exception):
    """What `opcheck` raises when a check fails (PyTorch's ``torch.testing._internal.optests.OpCheckError``)."""


def _tensors(value: Any) -> list[Tensor]:
    if isinstance(value, Tensor):
        return [value]
    if isinstance(value, (list, tuple)):
        return [t for v in value for t in _tensors(v)]
    return []


def _detached(value: Any) -> Any:
    if isinstance(value, Tensor):
        return value.detach().clone()
    if isinstance(value, (list, tuple)):
        return type(value)(_detached(v) for v in value)
    return value


def _check_mutations(op: CustomOpDef, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    copies, copied_kwargs = _detached(list(args)), {k: _detached(v) for k, v in kwargs.items()}
    bound = op._signature.bind(*copies, **copied_kwargs)
    before = {name: [t.clone() for t in _tensors(value)] for name, value in bound.arguments.items()}
    with no_grad():
        op(*copies, **copied_kwargs)
    if op._mutates == "unknown":
        return
    for name, value in bound.arguments.items():
        changed = any(not old.equal(new) and not (old.isnan().any() and old.isnan().equal(new.isnan()))
                      for old, new in zip(before[name], _tensors(value)))
        if changed and name not in op._mutates:
            raise RuntimeError(f"argument {name!r} was changed in place but is not in mutates_args")


def _check_fake(op: CustomOpDef, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    with no_grad():
        real = _tensors(op(*_detached(list(args)), **{k: _detached(v) for k, v in kwargs.items()}))
        if op._fake is None:
            if real:
                raise RuntimeError("the operator returns Tensors but has no fake kernel (register_fake)")
            return
        fake = _tensors(op._call(op._fake, tuple(op._signature.bind(*args, **kwargs).arguments.values())))
    if len(fake) != len(real):
        raise RuntimeError(f"the fake kernel gives {len(fake)} Tensors, the operator {len(real)}")
    for f, r in zip(fake, real):
        if tuple(f.shape) != tuple(r.shape) or f.dtype != r.dtype:
            raise RuntimeError(f"the fake kernel gives shape {tuple(f.shape)} and dtype {f.dtype}, the operator "
                               f"shape {tuple(r.shape)} and dtype {r.dtype}")


def _check_gradient(op: CustomOpDef, args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    if not any(t.requires_grad for t in _tensors(list(args)) + _tensors(list(kwargs.values()))):
        return
    outputs = [t for t in _tensors(op(*args, **kwargs)) if t.requires_grad]
    if op._backward is None and outputs:
        raise RuntimeError("inputs require grad but no gradient was registered (register_autograd)")
    for out in outputs:
        out.sum().backward(retain_graph=True)


_KIND = ("DEF", "IMPL", "FRAGMENT")
_KEPT: list[Library] = []  # the libraries `define` made for operators defined without one
# a dispatch key of Library.impl -> the device type of the kernel (None: every device), whether the kernel is built
# from differentiable ops (its gradient is theirs), and whether it is the fake kernel
_DISPATCH = {"": (None, True, False), "CompositeImplicitAutograd": (None, True, False),
             "CompositeExplicitAutograd": (None, False, False), "Autograd": (None, True, False),
             "AutogradCPU": ("cpu", True, False), "AutogradCUDA": ("cuda", True, False), "CPU": ("cpu", False, False),
             "CUDA": ("cuda", False, False), "Meta": (None, False, True)}


def _schema_default(text: str) -> Any:
    """A default as a schema writes it (``1.0``, ``True``, ``None``, ``[1, 1]``, ``"mean"``) as Python's."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


def _split_arguments(text: str) -> list[str]:
    """The comma-separated items of a schema's argument list, commas inside brackets kept."""
    items, depth, start = [], 0, 0
    for i, char in enumerate(text):
        if char in "([":
            depth += 1
        elif char in ")]":
            depth -= 1
        elif char == "," and depth == 0:
            items.append(text[start:i].strip())
            start = i + 1
    last = text[start:].strip()
    return items + [last] if last else items


def parse_schema(schema: str, caller: str) -> tuple[str, inspect.Signature, tuple[str, ...]]:
    """``"name(Tensor(a!) x, *, float s=1.0) -> Tensor"`` -> its name ("" when the schema starts at the
    parenthesis), a signature of the arguments (defaults, keyword-only after ``*``) and the mutated arguments."""
    found = re.fullmatch(r"\s*([\w.]*)\s*\((.*)\)\s*->\s*(.+?)\s*", schema, flags=re.S)
    if found is None:
        raise RuntimeError(f"{caller}: cannot parse the schema {schema!r}; expected 'name(Type arg, ...) -> Type'")
    parameters: list[inspect.Parameter] = []
    mutated: list[str] = []
    kind: inspect._ParameterKind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    for item in _split_arguments(found.group(2)):
        if item == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        declared, _, default = item.partition("=")
        words = declared.split()
        if len(words) < 2:
            raise RuntimeError(f"{caller}: the argument {item!r} of {schema!r} has no type or no name")
        name = words[-1]
        if "!" in declared:
            mutated.append(name)
        parameters.append(inspect.Parameter(name, kind, default=_schema_default(default.strip()) if default
                                            else inspect.Parameter.empty))
    return found.group(1).split(".")[0], inspect.Signature(parameters), tuple(mutated)


def _unimplemented(qualname: str) -> Callable[..., Any]:
    def missing(*args: Any, **kwargs: Any) -> Any:
        device = next((a.device.type for a in args if isinstance(a, Tensor)), "cpu").upper()
        raise NotImplementedError(f"Could not run '{qualname}' with arguments from the '{device}' backend: the "
                                  "operator was defined but has no kernel for it (Library.impl / library.impl)")
    return missing


def define(qualname: str, schema: str, *, lib: Library | None = None, tags: Any = ()) -> None:
    """``torch.library.define("ns::name", "(Tensor x) -> Tensor")``: an operator with no kernel yet
    (`impl` gives one)."""
    namespace, _, name = qualname.partition("::")
    if lib is None:  # kept for the life of the process, as PyTorch keeps the fragment it makes
        lib = Library(namespace, "FRAGMENT")
        _KEPT.append(lib)
    lib.define(name + schema, tags=tags)


def _register(op: CustomOpDef, fn: Callable[..., Any], dispatch_key: str, caller: str) -> None:
    if dispatch_key not in _DISPATCH:
        raise ValueError(f"{caller}: {op._qualname}: unknown dispatch key {dispatch_key!r}; expected one of "
                         f"{sorted(k for k in _DISPATCH if k)}")
    device, composite, fake = _DISPATCH[dispatch_key]
    if fake:
        op.register_fake(fn)
        return
    op.register_kernel(device, fn)
    if composite:
        op._composite.add(id(fn))


def impl(qualname: Any, types: str | Sequence[str], func: Callable[..., Any] | None = None, *,
         lib: Library | None = None) -> Any:
    """``torch.library.impl("ns::name", "cpu")`` (a decorator without ``func``): the operator's kernel for
    those device types or dispatch keys. PyTorch's older ``impl(lib, "name", "CPU")`` works too."""
    if isinstance(qualname, Library):  # impl(lib, name, dispatch_key): a decorator
        library, name, key = qualname, str(types), func if isinstance(func, str) else ""

        def register_in(fn: Callable[..., Any]) -> Callable[..., Any]:
            library.impl(name, fn, key)
            return fn
        return register_in
    keys = [types] if isinstance(types, str) else list(types)
    keys = [{"cpu": "CPU", "cuda": "CUDA", "meta": "Meta", "default": "CompositeExplicitAutograd"}.get(k, k)
            for k in keys]

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        for key in keys:
            _register(_operator(qualname, "library.impl"), fn, key, "library.impl")
        return fn
    return register if func is None else register(func)


class Library:
    """``torch.library.Library(ns, kind)``: defines (kind ``"DEF"`` or ``"FRAGMENT"``) and implements operators
    of the namespace ``ns``; the operators it defined are dropped with it, as PyTorch's."""

    def __init__(self, ns: str, kind: str, dispatch_key: str = "") -> None:
        if kind not in _KIND:
            raise ValueError(f"Unsupported kind: {kind}")
        self.ns, self.kind, self.dispatch_key = ns, kind, dispatch_key
        self._defined: list[str] = []
        weakref.finalize(self, _drop, self._defined)

    def __repr__(self) -> str:
        return f"Library(kind={self.kind}, ns={self.ns}, dispatch_key={self.dispatch_key})>"

    def define(self, schema: str, alias_analysis: str = "", *, tags: Any = ()) -> str:
        """``lib.define("name(Tensor x, float s=1.0) -> Tensor")``: the operator ``ns::name``, with no kernel until
        `impl` gives one; returns its name."""
        if self.kind == "IMPL":
            raise RuntimeError(f"Library(ns={self.ns}, kind=IMPL) cannot define operators (use 'DEF' or 'FRAGMENT')")
        name, signature, mutated = parse_schema(schema, f"Library({self.ns}).define")
        qualname = f"{self.ns}::{name}"
        if qualname in _OPERATORS:
            raise RuntimeError(f"Tried to register an operator ({self.ns}::{schema.strip()}) with the same name and "
                               "overload name multiple times")
        op = CustomOpDef(qualname, _unimplemented(qualname), mutated)
        op._signature = signature
        _OPERATORS[qualname] = op
        self._defined.append(qualname)
        return name

    def impl(self, op_name: str | Callable[..., Any], fn: Callable[..., Any], dispatch_key: str = "", *,
             with_keyset: bool = False, allow_override: bool = False) -> None:
        """``lib.impl("name", fn, "CPU")``: ``fn`` as the kernel of ``ns::name`` for a dispatch key (``"CPU"``,
        ``"CUDA"``, ``"Meta"``: the fake kernel, ``"CompositeImplicitAutograd"`` or none: every device, its
        gradient that of the ops it calls, ``"CompositeExplicitAutograd"``: every device, no gradient)."""
        if with_keyset:
            raise NotImplementedError("Library.impl(with_keyset=True): anynn has no dispatch key sets to pass")
        name = op_name if isinstance(op_name, str) else getattr(op_name, "_qualname", str(op_name))
        qualname = name if "::" in name else f"{self.ns}::{name.split('.')[0]}"
        _register(_operator(qualname, "Library.impl"), fn, dispatch_key or self.dispatch_key, "Library.impl")

    def fallback(self, fn: Callable[..., Any], dispatch_key: str = "", *, with_keyset: bool = False) -> None:
        """``lib.fallback``: refused; a fallback catches every operator of a dispatch key, and anynn has none."""
        raise NotImplementedError(f"Library({self.ns}).fallback: anynn has no dispatcher whose keys a fallback "
                                  "could catch; register each operator's kernel with impl")


def _drop(qualnames: list[str]) -> None:
    for qualname in qualnames:
        _OPERATORS.pop(qualname, None)


class _Namespace:
    """``anynn.ops.mylib``: the operators defined under one namespace."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, name: str) -> CustomOpDef:
        op = _OPERATORS.get(f"{self._name}::{name}")
        if op is None:
            raise AttributeError(f"'_OpNamespace' '{self._name}' object has no attribute '{name}' (anynn.ops holds "
                                 "the operators defined with anynn.library.custom_op)")
        return op


class _Ops:
    """``anynn.ops``: ``anynn.ops.<namespace>.<name>`` is the operator ``namespace::name`` (PyTorch's
    ``torch.ops``; its built-in ``aten`` operators are anynn's functions, not listed here)."""

    def __getattr__(self, name: str) -> _Namespace:
        if name.startswith("__"):
            raise AttributeError(name)
        return _Namespace(name)


ops = _Ops()
