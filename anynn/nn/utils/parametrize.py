"""``nn.utils.parametrize``: PyTorch's parametrization API (``register_parametrization`` and friends).

Parametrizing ``module.weight`` with a module ``P`` moves the tensor into
``module.parametrizations.weight.original`` (a `ParametrizationList`, itself a `ModuleList` holding ``P``) and
swaps the module's class for a subclass ``Parametrized<Class>`` with a property ``weight`` that returns
``P(original)`` on every read. Assigning ``module.weight = X`` runs ``P.right_inverse(X)`` into ``original``.
Several parametrizations on one name chain (the first registered is applied first). The state-dict keys
(``parametrizations.weight.original``, or ``original0``, ``original1``... when ``right_inverse`` returns a
sequence) and the order of `Module.parameters` are PyTorch's, so checkpoints load across.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from typing import Any, Iterator, TypeVar

from ...autograd.mode import no_grad
from ...autograd.tensor import Tensor
from ...backend import dtype_name
from ..container import ModuleDict, ModuleList
from ..module import Module, Parameter

T_module = TypeVar("T_module", bound=Module)

# the `cached()` context: depth of nested contexts and the values computed inside them, keyed by
# (id(module), name); global as in PyTorch
_cache_enabled = 0
_cache: dict[tuple[int, str], Tensor] = {}

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization", "remove_parametrizations",
           "transfer_parametrizations_and_params", "type_before_parametrizations"]


@contextmanager
def cached() -> Iterator[None]:
    """Inside the context a parametrized tensor is computed on its first read and reused after (one graph node
    shared by every use, as for an RNN's recurrent weight); the values are dropped when the outermost context
    exits."""
    global _cache_enabled, _cache
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _set_values(dest: Tensor, src: Tensor) -> None:
    """PyTorch's ``dest.set_(src)``: ``dest`` keeps its identity (an optimizer still holds it) and its gradient,
    and takes ``src``'s values, shape included."""
    if src.backend != dest.backend:
        raise ValueError(f"right_inverse returned a tensor on backend {src.backend.name}, but the original is on "
                         f"{dest.backend.name}")
    dest.array = src.array


def _dtype(t: Tensor) -> str:
    return dtype_name(t.dtype)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, in registration order, with the unconstrained tensor(s): ``original``
    when the first parametrization's ``right_inverse`` returns one tensor (or it has none), ``original0``,
    ``original1``, ... when it returns a sequence. Made by `register_parametrization`, not by users.

    Calling it gives the parametrized tensor: ``P_n(... P_1(P_0(original)))``.
    """

    original: Tensor
    is_tensor: bool
    ntensors: int
    unsafe: bool

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        object.__setattr__(self, "unsafe", unsafe)
        original_shape, original_dtype = tuple(original.shape), _dtype(original)
        with no_grad():
            new: Any = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                             f"Got {type(new).__name__}")
        object.__setattr__(self, "is_tensor", isinstance(new, Tensor))
        object.__setattr__(self, "ntensors", 1 if self.is_tensor else len(new))
        if isinstance(new, Tensor):
            if _dtype(new) != original_dtype:
                raise ValueError("When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                                 f"original.dtype: {original_dtype}\nright_inverse(original).dtype: {_dtype(new)}")
            _set_values(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, value in enumerate(new):
                if not isinstance(value, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...)"
                                     f". Got element {i} of the sequence with type {type(value).__name__}.")
                if isinstance(original, Parameter):
                    value = Parameter(value.array, backend=value.backend, dtype=value.dtype,
                                      requires_grad=original.requires_grad)
                else:
                    value = value.detach().requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", value)
        if not unsafe:
            out = self()
            if not isinstance(out, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(out).__name__}.")
            if _dtype(out) != original_dtype:
                raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless "
                                 f"`unsafe` flag is enabled.\nunparametrized dtype: {original_dtype}\n"
                                 f"parametrized dtype: {_dtype(out)}")
            if tuple(out.shape) != original_shape:
                raise ValueError("Registering a parametrization may not change the shape of the tensor, unless "
                                 f"`unsafe` flag is enabled.\nunparametrized shape: {original_shape}\n"
                                 f"parametrized shape: {tuple(out.shape)}")

    def right_inverse(self, value: Tensor) -> None:
        """Run the ``right_inverse`` of every parametrization, last registered first, and store the result in
        ``original`` (or ``original0``, ``original1``, ...) in place."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse.")
                value = module.right_inverse(value)
            if self.is_tensor:
                if not isinstance(value, Tensor):
                    raise ValueError(f"`right_inverse` should return a tensor. Got {type(value).__name__}")
                if _dtype(value) != _dtype(self.original):
                    raise ValueError(f"The tensor returned by `right_inverse` has dtype {_dtype(value)} while "
                                     f"`original` has dtype {_dtype(self.original)}")
                _set_values(self.original, value)
                return
            if not isinstance(value, Sequence):
                raise ValueError(f"'right_inverse' must return a sequence of tensors. Got {type(value).__name__}.")
            if len(value) != self.ntensors:
                raise ValueError(f"'right_inverse' must return a sequence of tensors of length {self.ntensors}. "
                                 f"Got a sequence of length {len(value)}.")
            for i, tensor in enumerate(value):
                original_i = getattr(self, f"original{i}")
                if not isinstance(tensor, Tensor):
                    raise ValueError("'right_inverse' must return a sequence of tensors. Got element "
                                     f"{i} of type {type(tensor).__name__}.")
                if _dtype(tensor) != _dtype(original_i):
                    raise ValueError(f"Tensor {i} returned by `right_inverse` has dtype {_dtype(tensor)} while "
                                     f"`original{i}` has dtype {_dtype(original_i)}")
                _set_values(original_i, tensor)

    def forward(self) -> Tensor:  # type: ignore[override]
        """The parametrized tensor: the first parametrization on the original(s), then each next one."""
        modules = list(self)
        if self.is_tensor:
            x = modules[0](self.original)
        else:
            x = modules[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for module in modules[1:]:
            x = module(x)
        return x


def _inject_new_class(module: Module) -> None:
    """Swap ``module``'s class for a fresh subclass ``Parametrized<Class>`` that will carry the properties."""
    cls = module.__class__

    def __setattr__(self: Module, name: str, value: Any) -> None:  # noqa: N807
        if name in self.__dict__.get("_modules", {}).get("parametrizations", {}):
            if isinstance(value, Parameter):  # PyTorch's register_parameter refuses a name that is a property
                raise KeyError(f"attribute '{name}' already exists")
            object.__setattr__(self, name, value)  # the property: right_inverse into the original
            return
        cls.__setattr__(self, name, value)

    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {"__setattr__": __setattr__})


def _inject_property(module: Module, tensor_name: str) -> None:
    """Give ``module``'s (already swapped) class the property ``tensor_name``."""
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self: Module) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        value = _cache.get(key)
        if value is None:
            value = _cache[key] = parametrization()
        return value

    def set_original(self: Module, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(module.__class__, tensor_name, property(get_parametrized, set_original))


def register_parametrization(module: T_module, tensor_name: str, parametrization: Module, *,
                             unsafe: bool = False) -> T_module:
    """Make ``module.<tensor_name>`` read as ``parametrization(original)``, as
    ``torch.nn.utils.parametrize.register_parametrization``.

    ``tensor_name`` names a parameter or buffer (or an already parametrized tensor: the new parametrization is
    applied after the others). If ``parametrization`` has ``right_inverse(X)``, it gives the original's initial
    value (one tensor, or a sequence stored as ``original0``, ``original1``, ...); a one-tensor original keeps
    the Parameter's identity. Unless ``unsafe``, the parametrized tensor must keep its shape and dtype. The
    parametrization takes the module's training mode. Returns the module.
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            current = getattr(module, tensor_name)
            out = parametrization(current)
            if not isinstance(out, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(out).__name__}.")
            if _dtype(out) != _dtype(current):
                raise ValueError("Registering a parametrization may not change the dtype of the tensor, unless "
                                 f"the `unsafe` flag is enabled.\nmodule.{tensor_name}.dtype: {_dtype(current)}\n"
                                 f"parametrization(module.{tensor_name}).dtype: {_dtype(out)}")
            if tuple(out.shape) != tuple(current.shape):
                raise ValueError("Registering a parametrization may not change the shape of the tensor, unless "
                                 f"the `unsafe` flag is enabled.\nmodule.{tensor_name}.shape: "
                                 f"{tuple(current.shape)}\nparametrization(module.{tensor_name}).shape: "
                                 f"{tuple(out.shape)}")
            if hasattr(parametrization, "right_inverse"):
                try:
                    inverse = parametrization.right_inverse(out)
                except NotImplementedError:
                    pass
                else:
                    if not isinstance(inverse, Tensor):
                        raise ValueError("parametrization.right_inverse must return a tensor. Got: "
                                         f"{type(inverse).__name__}")
                    if _dtype(inverse) != _dtype(current) or tuple(inverse.shape) != tuple(current.shape):
                        raise ValueError("The tensor returned by parametrization.right_inverse must have the same "
                                         f"dtype and shape as module.{tensor_name}, unless the `unsafe` flag is "
                                         f"enabled.\nmodule.{tensor_name}: {_dtype(current)} "
                                         f"{tuple(current.shape)}\nreturned: {_dtype(inverse)} "
                                         f"{tuple(inverse.shape)}")
        chain = module.parametrizations[tensor_name]
        chain.append(parametrization)
        object.__setattr__(chain, "unsafe", chain.unsafe or unsafe)
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        if original is None:
            raise ValueError(f"Module '{type(module).__name__}' has its {tensor_name} set to None: nothing to "
                             "parametrize")
        chain = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = chain
    else:
        raise ValueError(f"Module '{module}' does not have a parameter, a buffer, or a parametrized element with "
                         f"name '{tensor_name}'")
    return module


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether ``module`` has a parametrization on ``tensor_name`` (on anything, when ``None``)."""
    parametrizations = module.__dict__.get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module: T_module, tensor_name: str, leave_parametrized: bool = True) -> T_module:
    """Take every parametrization off ``module.<tensor_name>``, which becomes a plain Parameter (or buffer) again.

    ``leave_parametrized=True``: it holds the current parametrized value (in the original Parameter object when
    there is one original); ``False``: the unconstrained ``original`` itself (impossible with
    ``original0``, ``original1``, ...). When no parametrization is left the module gets its class back.
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    chain = module.parametrizations[tensor_name]
    if chain.is_tensor:
        original = chain.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            _set_values(original, value)
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = (Parameter(value.array, backend=value.backend, dtype=value.dtype) if value.requires_grad
                    else value.detach())
    else:
        raise ValueError("Cannot leave unparametrized (`leave_parametrized=False`) a tensor that is parametrized "
                         "in terms of a sequence of tensors.")
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = module.__class__.__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before parametrizations swapped it (its class when it has none)."""
    return module.__class__.__bases__[0] if is_parametrized(module) else type(module)


def transfer_parametrizations_and_params(from_module: Module, to_module: T_module,
                                         tensor_name: str | None = None) -> T_module:
    """Register ``from_module``'s parametrizations (all, or those of ``tensor_name``) on ``to_module`` too, sharing
    the parametrization modules and the original tensors; a name ``to_module`` lacks is created first."""
    if not is_parametrized(from_module):
        return to_module
    names = list(from_module.parametrizations) if tensor_name is None else [tensor_name]
    for name in names:
        if not hasattr(to_module, name):
            value = getattr(from_module, name)
            setattr(to_module, name, Parameter(value.array, backend=value.backend, dtype=value.dtype))
        source = from_module.parametrizations[name]
        for parametrization in source:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        if source.is_tensor:
            target.original = source.original
        else:
            for i in range(source.ntensors):
                setattr(target, f"original{i}", getattr(source, f"original{i}"))
    return to_module
