"""``torch.library``'s Python custom operators: a function wrapped as an operator with ``custom_op``, its shapes
given by ``register_fake``, its gradient by ``register_autograd``, a kernel per device by ``register_kernel``,
checked by ``opcheck``, and reached as ``anynn.ops.<namespace>.<name>`` as ``torch.ops`` reaches it.

PyTorch needs an operator to keep a Python function opaque to its compiler and to give it a gradient. anynn runs
every call in Python (its compiled steps trace the Python as written), so an operator here is its function: the
fake kernel is what ``opcheck`` compares the real outputs with, and a registered gradient runs as a PyTorch-style
`Function` (``setup_context(ctx, inputs, output)`` after the kernel, ``backward(ctx, *grads)`` for the inputs).
An operator whose inputs require grad and which has no gradient registered gives outputs whose backward raises,
naming the operator, as PyTorch's does.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Iterable, Sequence

from .autograd import Function
from .autograd.mode import is_grad_enabled, no_grad
from .autograd.tensor import Tensor

__all__ = ["CustomOpDef", "custom_op", "opcheck", "register_autograd", "register_fake", "register_kernel"]

_OPERATORS: dict[str, CustomOpDef] = {}


class CustomOpDef:
    """One operator ``namespace::name``: call it as its function (what ``custom_op`` returns)."""

    def __init__(self, qualname: str, fn: Callable[..., Any], mutates_args: Iterable[str] | str) -> None:
        self._qualname = qualname
        self._init_fn = fn
        self._signature = inspect.signature(fn)
        self._mutates = mutates_args if isinstance(mutates_args, str) else tuple(mutates_args)
        self._kernels: dict[str, Callable[..., Any]] = {}
        self._fake: Callable[..., Any] | None = None
        self._backward: Callable[..., Any] | None = None
        self._setup_context: Callable[..., Any] | None = None
        self.__name__ = qualname.split("::")[-1]
        self.__doc__ = fn.__doc__

    def __repr__(self) -> str:
        return f"<CustomOpDef({self._qualname})>"

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
        if not (is_grad_enabled() and any(isinstance(a, Tensor) and a.requires_grad for a in inputs)):
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

    class CustomOperator(Function):
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
