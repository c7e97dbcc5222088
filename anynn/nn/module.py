"""`Module` and `Parameter`: layers that own parameters, buffers and child modules."""

from __future__ import annotations

import copy
import warnings
from collections import OrderedDict
from typing import Any, Iterator, Mapping, NamedTuple


from ..autograd.inference import refuse_requires_grad
from ..autograd.primitive import NotATensorError
from ..autograd.tensor import Tensor
from ..backend.transfer import transfer
from ..backend import Backend, DeviceRNG, dtype_name, get_backend
from ..backend.default_dtype import default_float
from ..device import resolve as resolve_device
from ..memory_format import check_memory_format
from ..autograd.tensor import init_tensor, positional_flags, to_arguments
from ..init import HostGenerator, host_generator
from .call_errors import RENAMED, name_the_layer
from . import hooks as _module_hooks
from . import state_hooks, state_protocol
from .state_protocol import array_like as _array_like, assigned as _assigned, converted as _converted, \
    value_kind as _kind
from .hooks import ModuleHooks, add_hook, call_with_hooks
from .device_argument import add_device_argument


class Parameter(Tensor):
    """A `Tensor` that a `Module` owns and an optimizer updates (``requires_grad`` by default)."""

    __slots__ = ()

    def __init__(self, data: Any = None, backend: Any = None, dtype: Any = None, requires_grad: bool = True) -> None:
        if isinstance(data, (list, tuple, str, bytes, int, float, complex)):
            # PyTorch takes tensors only (a list fails in its .detach(): AttributeError); anynn also takes any
            # backend's arrays
            raise NotATensorError(f"Parameter: expected a Tensor or an array, got {type(data).__name__}; "
                                  f"make one with anynn.tensor(...) first")
        if data is None:  # PyTorch's Parameter(): an empty tensor of the default dtype
            data, dtype = [], default_float() if dtype is None else dtype
        if requires_grad and isinstance(data, Tensor):  # PyTorch's would share an inference tensor's data
            refuse_requires_grad(data)
        init_tensor(self, data, backend, dtype, requires_grad)  # a copy of data (Tensor(...) reads PyTorch's forms)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"

    def __deepcopy__(self, memo: dict[int, Any]) -> "Parameter":
        """PyTorch's: a new Parameter with a copy of the values and the same ``requires_grad``; unlike a plain
        Tensor's copy, its ``grad`` and the attributes a program set on it stay behind."""
        new = type(self)._make(self.backend.xp.asarray(self.array, copy=True), self.backend, None, 0)
        new._requires_grad = self._requires_grad
        memo[id(self)] = new
        return new


class StateDictError(KeyError, ValueError, RuntimeError):
    """A state dict does not fit a module: lists every missing, unexpected and mismatched key at once."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class IncompatibleKeys(NamedTuple):
    """What `Module.load_state_dict` returns: the keys it did not find and those it did not expect."""

    missing_keys: list[str]
    unexpected_keys: list[str]

    def __repr__(self) -> str:  # print(model.load_state_dict(...)) shows PyTorch's text (its class: _IncompatibleKeys)
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return f"_IncompatibleKeys(missing_keys={self.missing_keys!r}, unexpected_keys={self.unexpected_keys!r})"

    __str__ = __repr__


class Module:
    """Base class of layers and models.

    Assigning a `Parameter`, a `Module` or (through `register_buffer`) a state tensor as an
    attribute registers it, so `parameters`, `state_dict` and `to` find it. Subclasses define
    ``forward``; calling the module calls ``forward``.
    """

    training: bool
    # state names that a state dict may lack (they keep their value, as PyTorch's _load_from_state_dict fills them)
    _state_kept_when_missing: tuple[str, ...] = ()
    # the module's hook tables, set on the instance by the first register_*_hook; the class default lets
    # __call__ test ``self._hooks is None`` with one attribute read
    _hooks: ModuleHooks | None = None

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "training", True)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        add_device_argument(cls)  # PyTorch's device= on every layer that takes backend=

    # -- registration ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:  # before Module.__init__: plain values are set, as PyTorch's (entmax's losses set self.k)
            _set_before_init(self, name, value)
            return
        if (isinstance(value, Tensor) and not isinstance(value, Parameter) and name not in params
                and value.__dict__.get("_is_buffer")):  # nn.Buffer(t, persistent=...): registers, as PyTorch's
            self.register_buffer(name, value, persistent=value.__dict__.get("persistent", True))
            return
        if name in self._buffers and (value is None or (isinstance(value, Tensor)
                                                        and not isinstance(value, Parameter))):
            self._buffers[name] = value
            object.__setattr__(self, name, value)
            return
        if name in params and value is not None and not isinstance(value, Parameter):
            raise TypeError(f"{type(self).__name__}.{name} is a Parameter: assign a Parameter (or None), not a "
                            f"{'plain Tensor' if isinstance(value, Tensor) else type(value).__name__}; to change "
                            "its values assign to .data or use load_state_dict")
        if name in self._buffers and not isinstance(value, (Tensor, Module)):
            raise TypeError(f"{type(self).__name__}.{name} is a buffer: assign a Tensor or None, not "
                            f"{type(value).__name__}")
        if name in self._modules and value is not None and not isinstance(value, (Module, Parameter)):
            raise TypeError(f"{type(self).__name__}.{name} is a child module: assign a Module or None, not "
                            f"{'a Tensor' if isinstance(value, Tensor) else type(value).__name__}")
        # replacing a parameter or child keeps its place (state_dict order stays PyTorch's)
        if isinstance(value, Parameter):
            _pop_other(self, name, self._parameters)
            params[name] = value
        elif isinstance(value, Module):
            _pop_other(self, name, self._modules)
            self._modules[name] = value
        elif value is None and name in params:
            params[name] = None
        elif value is None and name in self._modules:
            self._modules[name] = None
        else:
            _pop_other(self, name, None)
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Register state that moves with the module but is not trained (e.g. running means).

        Persistent buffers are saved in `state_dict`; ``persistent=False`` ones (caches, masks) are not.
        """
        _check_name(self, name, "buffer")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"{type(self).__name__}.register_buffer: {name!r} must be a Tensor or None, got "
                            f"{type(tensor).__name__}")
        for table in (self._parameters, self._modules):
            table.pop(name, None)
        object.__setattr__(self, name, tensor)
        self._buffers[name] = tensor
        non_persistent = self.__dict__.setdefault("_non_persistent", set())
        if persistent:
            non_persistent.discard(name)
        else:
            non_persistent.add(name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define forward")  # abstract

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        try:
            hooks = self._hooks
            if _module_hooks.global_hooks is not None:  # (hooks of every module: PyTorch's register_module_*_hook)
                hooks = _module_hooks.with_global_hooks(hooks)
            if hooks is None:
                return self.forward(*args, **kwargs)
            return call_with_hooks(self, hooks, args, kwargs)
        except RENAMED as error:  # (free unless raised) errors name the layer and where it sits
            replacement = name_the_layer(self, error, args)
            if replacement is None:
                raise
            raise replacement from error

    # -- hooks (PyTorch's) -------------------------------------------------------------------------
    def _hook_tables(self) -> ModuleHooks:
        hooks = self.__dict__.get("_hooks")
        if hooks is None:
            hooks = ModuleHooks()
            object.__setattr__(self, "_hooks", hooks)
        return hooks

    # PyTorch's private hook tables (hook id -> hook), which programs read and edit (the pruning tutorial
    # finds its pruning method among _forward_pre_hooks)
    _forward_pre_hooks = property(lambda self: self._hook_tables().forward_pre)
    _forward_hooks = property(lambda self: self._hook_tables().forward)
    _backward_hooks = property(lambda self: self._hook_tables().backward)

    def register_forward_pre_hook(self, hook: Any, *, prepend: bool = False, with_kwargs: bool = False) -> Any:
        """Call ``hook(module, args)`` before ``forward`` (``hook(module, args, kwargs)`` with ``with_kwargs``).

        A return value other than None replaces the inputs (a tuple, or one value; with ``with_kwargs`` a
        ``(args, kwargs)`` pair). Returns a handle whose ``remove()`` unregisters the hook.
        """
        tables = self._hook_tables()
        handle = add_hook(tables.forward_pre, hook, prepend)
        if with_kwargs:
            tables.with_kwargs.add(handle.id)
        return handle

    def register_forward_hook(self, hook: Any, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> Any:
        """Call ``hook(module, args, output)`` after ``forward`` (``hook(module, args, kwargs, output)`` with
        ``with_kwargs``); a return value other than None replaces the output. With ``always_call`` the hook is
        also called (with ``output`` None) when ``forward`` or an earlier hook raises. Returns a removable handle."""
        tables = self._hook_tables()
        handle = add_hook(tables.forward, hook, prepend)
        if with_kwargs:
            tables.with_kwargs.add(handle.id)
        if always_call:
            tables.always_call.add(handle.id)
        return handle

    def register_full_backward_hook(self, hook: Any, prepend: bool = False) -> Any:
        """Call ``hook(module, grad_input, grad_output)`` when the gradients of the module's inputs are computed.

        ``grad_input`` and ``grad_output`` are tuples with one entry (a Tensor or None) per tensor input and
        per output; a returned tuple replaces ``grad_input``. Returns a removable handle.
        """
        return add_hook(self._hook_tables().backward, hook, prepend)

    register_backward_hook = register_full_backward_hook

    def register_full_backward_pre_hook(self, hook: Any, prepend: bool = False) -> Any:
        """Call ``hook(module, grad_output)`` when the gradients of the module's outputs are known, before the
        gradients of its inputs are computed; a returned tuple replaces ``grad_output``. Returns a removable
        handle."""
        return add_hook(self._hook_tables().backward_pre, hook, prepend)

    # -- registration as PyTorch spells it -------------------------------------------------------
    def add_module(self, name: str, module: "Module | None") -> None:
        """Register ``module`` (or None, a placeholder) as the child ``name``."""
        _check_name(self, name, "module")
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}.add_module: {name!r} must be a Module or None, "
                            f"got {type(module).__name__}")
        for table in (self._parameters, self._buffers):
            table.pop(name, None)
        self._modules[name] = module
        object.__setattr__(self, name, module)

    register_module = add_module

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Register ``param`` (or None, a parameter slot left empty) under ``name``."""
        _check_name(self, name, "parameter")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter: {name!r} must be a Parameter or None, "
                            f"got {type(param).__name__}")
        for table in (self._buffers, self._modules):
            table.pop(name, None)
        self._parameters[name] = param
        object.__setattr__(self, name, param)

    def __getattr__(self, name: str) -> Any:
        """Registered state by name, for programs that call ``self.__getattr__(name)`` as PyTorch allows.

        State also lives in the instance ``__dict__``, so ordinary lookup never comes here for it; Python calls
        this only for a name that lookup missed, and then it raises PyTorch's message.
        """
        state = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            entries = state.get(table)
            if entries is not None and name in entries:
                return entries[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        self.__dict__.get("_non_persistent", set()).discard(name)
        object.__delattr__(self, name)

    def get_submodule(self, target: str) -> "Module":
        """The module at the dotted path ``target`` (``""`` is this module)."""
        module: Module = self
        if target == "":
            return module
        for part in target.split("."):
            child = module._modules.get(part)
            if child is None:
                raise AttributeError(f"{type(module).__name__} has no submodule {part!r} (looking up {target!r})")
            module = child
        return module

    def set_submodule(self, target: str, module: "Module", strict: bool = False) -> None:
        """Put ``module`` at the dotted path ``target`` (its parent must exist; with ``strict`` the name too), as
        PyTorch's."""
        if target == "":
            raise ValueError("Cannot set the submodule without a target name!")
        if not isinstance(module, Module):
            raise ValueError(f"`module` is not an nn.Module, found {type(module)}")
        *path, name = target.split(".")
        parent: Any = self
        for part in path:
            if not hasattr(parent, part):
                raise AttributeError(f"{type(parent).__name__} has no attribute `{part}` (setting {target!r})")
            parent = getattr(parent, part)
            if not isinstance(parent, Module):
                raise AttributeError(f"`{part}` is not an nn.Module (setting {target!r})")
        if strict and not hasattr(parent, name):
            raise AttributeError(f"{type(parent).__name__} has no attribute `{name}` (setting {target!r})")
        if hasattr(parent, name) and not isinstance(getattr(parent, name), Module):
            raise AttributeError(f"`{name}` is not an nn.Module (setting {target!r})")
        setattr(parent, name, module)

    def get_parameter(self, target: str) -> Parameter:
        """The Parameter at the dotted path ``target`` (e.g. ``"encoder.0.weight"``)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if module._parameters.get(name) is None:
            raise AttributeError(f"{type(module).__name__} has no parameter {name!r} (looking up {target!r})")
        return module._parameters[name]

    def get_buffer(self, target: str) -> Tensor:
        """The buffer at the dotted path ``target`` (e.g. ``"bn.running_mean"``)."""
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if module._buffers.get(name) is None:
            raise AttributeError(f"{type(module).__name__} has no buffer {name!r} (looking up {target!r})")
        return module._buffers[name]

    # -- traversal ------------------------------------------------------------------------------
    def named_modules(self, memo: set["Module"] | None = None, prefix: str = "",
                      remove_duplicate: bool = True) -> Iterator[tuple[str, "Module"]]:
        """``(dotted name, module)`` for this module and every descendant, depth first.

        A module reachable by two paths is listed once (at its first path) unless
        ``remove_duplicate=False``, as in PyTorch; modules in ``memo`` (a set the walk adds to) are skipped.
        """
        if isinstance(memo, str):  # named_modules("prefix"), the old positional form
            memo, prefix = None, memo
        if remove_duplicate:
            memo = set() if memo is None else memo
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo if remove_duplicate else None,
                                               f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        """``(name, child)`` for the direct children (each module once)."""
        seen: set[int] = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self) -> Iterator["Module"]:
        for _, child in self.named_children():
            yield child

    def apply(self, fn: Any) -> "Module":
        """Call ``fn(module)`` on every child (recursively), then on this module; returns self."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def _named_members(self, table: str, prefix: str, recurse: bool,
                       remove_duplicate: bool) -> Iterator[tuple[str, Any]]:
        seen: set[int] = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [
            (prefix, self)]
        for mod_name, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield (f"{mod_name}.{name}" if mod_name else name), value

    def named_parameters(self, prefix: str = "", recurse: bool = True,
                         remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` pairs; a Parameter shared by two names is listed once by default.

        ``recurse=False`` lists only this module's own parameters.
        """
        yield from self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True,
                      remove_duplicate: bool = True) -> Iterator[tuple[str, Tensor]]:
        yield from self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # -- modes ----------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        if not isinstance(mode, bool):
            raise ValueError(f"{type(self).__name__}.train: mode is expected to be a bool, got {mode!r}")
        object.__setattr__(self, "training", mode)
        for m in self.children():  # each child's own train(), as PyTorch: a layer may override it (loralib merges)
            m.train(mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def compile(self, *args: Any, **kwargs: Any) -> None:
        """PyTorch's in-place ``model.compile(...)`` (its arguments those of ``torch.compile``): the module keeps
        running as written, its type and state_dict keys unchanged, as ``anynn.compile(model)``'s wrapper runs it;
        compile the training step (``anynn.compile(step)``) to have it traced."""

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop every parameter's gradient (or, with ``set_to_none=False``, fill it with zeros: the same ``.grad``
        Tensor, in place where it can, so whoever holds it or a view of it sees the zeros and the next gradients, as
        in PyTorch and `Optimizer.zero_grad`)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad._zero_as_grad()

    def requires_grad_(self, requires_grad: bool = True) -> "Module":
        """Switch gradient tracking of every parameter (``False`` freezes the module); returns self."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"{type(self).__name__}.requires_grad_: requires_grad must be a bool, got "
                            f"{type(requires_grad).__name__}")
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    # -- backend and dtype ----------------------------------------------------------------------
    @property
    def backend(self) -> Backend | None:
        """The backend of the first parameter or buffer (``None`` for a module without state)."""
        for t in self.parameters():
            return t.backend
        for t in self.buffers():
            return t.backend
        return None

    def to(self, *args: Any, backend: Any = None, dtype: Any = None, device: Any = None,
           non_blocking: bool = False, memory_format: Any = None) -> "Module":
        """Move every parameter and buffer to a backend or device and/or cast floating ones to ``dtype``.

        Accepts PyTorch's forms, ``model.to("cuda")``, ``model.to(device)``, ``model.to(torch.float64)``,
        ``model.to(device, dtype)``, ``model.to(tensor)``, and backend names (``model.to("torch")``). "cpu" and
        "cuda" are read against the library the module is on (NumPy <-> CuPy; PyTorch: its devices; see
        `anynn.device`). Parameters keep their identity (an optimizer made earlier still updates them);
        their gradients are moved and cast with them. ``memory_format`` (`anynn.memory_format`, a layout
        hint) changes nothing.
        """
        check_memory_format(f"{type(self).__name__}.to()", memory_format)
        args, copy = positional_flags(args, False)
        if copy:
            raise RuntimeError(f"{type(self).__name__}.to() does not accept copy argument")
        backend, dtype = to_arguments(f"{type(self).__name__}.to()", args, backend, dtype, device)
        target = None if backend is None else resolve_device(backend, self.backend or get_backend(None))
        if dtype is not None and not dtype_name(dtype).startswith(("float", "bfloat", "complex")):
            raise TypeError(f"{type(self).__name__}.to() only accepts floating point or complex dtypes, "
                            f"but got desired dtype={dtype_name(dtype)}")
        for t in list(self.parameters()) + list(self.buffers()):
            _move_in_place(t, target, dtype)
        return self

    def to_empty(self, *, device: Any, recurse: bool = True) -> "Module":
        """Give every parameter and buffer (and gradient) a new array of its shape and dtype on ``device``, without
        copying its values: PyTorch's way out of a ``"meta"`` skeleton (``model.to_empty(device="cpu")``, then
        re-initialise). Identities are kept; anynn's new arrays are zeros. ``recurse=False``: this module's own."""
        from ..factories import empty_like  # (factories sit above nn: imported when used)

        for t in list(self.parameters(recurse)) + list(self.buffers(recurse)):
            fresh = empty_like(t, device=device)
            grad = None if t.grad is None else empty_like(t.grad, device=device).array
            t.array = fresh.array
            if fresh.backend != t.backend:
                t.backend = fresh.backend
            t.grad = None if grad is None else Tensor._make(grad, t.backend, None, 0)
        return self

    def cuda(self, device: Any = None) -> "Module":
        """Move to a CUDA device: NumPy becomes CuPy, torch moves to ``cuda`` (`BackendUnavailable` without a GPU)."""
        return self.to("cuda" if device is None else (f"cuda:{device}" if isinstance(device, int) else device))

    def cpu(self) -> "Module":
        """Move to the CPU of the module's library (CuPy becomes NumPy; torch stays torch)."""
        return self.to("cpu")

    def float(self) -> "Module":
        return self.to(dtype="float32")

    def double(self) -> "Module":
        return self.to(dtype="float64")

    def half(self) -> "Module":
        """Cast floating parameters and buffers to float16 (not on array_api_strict, which has none)."""
        return self.to(dtype="float16")

    def bfloat16(self) -> "Module":
        """Cast floating parameters and buffers to bfloat16 (the PyTorch backend has it)."""
        return self.to(dtype="bfloat16")

    def type(self, dst_type: Any) -> "Module":  # noqa: A003 - PyTorch's name
        """Cast every parameter and buffer (floating or not) to ``dst_type``, as PyTorch's ``Module.type``: a dtype,
        or a legacy type class or string (``torch.DoubleTensor``, ``"torch.cuda.FloatTensor"``: moved to "cuda").

        A parameter that requires grad takes only a floating or complex dtype (PyTorch's RuntimeError), checked
        before anything is cast."""
        from ..dtypes import type_target

        dst_type, on_cuda = type_target(dst_type)
        if on_cuda:
            self.cuda()
        tensors = list(self.parameters()) + list(self.buffers())
        name = dtype_name(tensors[0].backend.dtype(dst_type)) if tensors else "float32"
        if not name.startswith(("float", "bfloat", "complex")) and any(t.requires_grad for t in tensors):
            raise RuntimeError(f"{type(self).__name__}.type({name}): a parameter that requires grad must stay "
                               "floating point or complex; call requires_grad_(False) first")
        for t in tensors:
            native = t.backend.dtype(dst_type)
            grad = None if t.grad is None else t.backend.xp.astype(t.grad.array, native)
            t.array = t.backend.xp.astype(t.array, native)
            t.grad = None if grad is None else Tensor._make(grad, t.backend, None, 0)
        return self

    def share_memory(self) -> "Module":
        """Move every parameter, buffer and existing gradient to memory other processes share (`Tensor.share_memory_`),
        in place; returns self. Processes started afterwards (``anynn.multiprocessing.Process``) that get the module
        update the same parameters: PyTorch's Hogwild training. Tensors keep their identity, so an optimizer made
        earlier still updates them."""
        for t in list(self.parameters()) + list(self.buffers()):
            t.share_memory_()
            if t.is_leaf and t.grad is not None:
                t.grad.share_memory_()
        return self

    def reset_parameters(self, seed: int | HostGenerator | None = None) -> "Module":
        """Re-draw every parameter from one host generator, module by module in order.

        ``seed`` makes the draw reproducible (the same on every backend).
        """
        rng = host_generator(seed)
        for _, m in self.named_modules(remove_duplicate=False):
            reset = getattr(type(m), "_reset_own_parameters", None)
            if reset is not None:
                reset(m, rng)
        return self

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self, *args: Any, destination: Any = None, prefix: str = "",
                   keep_vars: bool = False) -> "OrderedDict[str, Tensor]":
        """Parameters and buffers by dotted name (PyTorch's names and shapes), detached.

        As in PyTorch, ``prefix`` is put before every name, ``destination`` (a dict) is filled and
        returned, and ``keep_vars=True`` keeps the Parameters themselves instead of detached Tensors; the three
        given by position are read in that order with PyTorch's FutureWarning.
        """
        if args:
            warnings.warn("Positional args are being deprecated, use kwargs instead. Refer to https://pytorch.org/"
                          "docs/main/generated/torch.nn.Module.html#torch.nn.Module.state_dict for details.",
                          FutureWarning, stacklevel=2)
            if len(args) > 3:
                raise TypeError(f"state_dict() takes at most 3 positional arguments ({len(args)} given)")
            destination = args[0] if destination is None else destination
            prefix = args[1] if len(args) > 1 and prefix == "" else prefix
            keep_vars = args[2] if len(args) > 2 and keep_vars is False else keep_vars
        out = OrderedDict() if destination is None else destination
        return state_hooks.save_into(self, out, prefix, keep_vars, Module)

    # -- state-dict hooks and extra state (PyTorch's; see `state_hooks`) ----------------------------
    def get_extra_state(self) -> Any:
        """State other than tensors to save under ``<prefix>_extra_state``: override with `set_extra_state`."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never be called. Please "
                           "implement get_extra_state() in your module to return the extra state.")

    def set_extra_state(self, state: Any) -> None:
        """Restore what `get_extra_state` returned (override both)."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never be called. Please "
                           "implement set_extra_state() in your module to restore the extra state.")

    def register_state_dict_pre_hook(self, hook: Any) -> Any:
        """Call ``hook(module, prefix, keep_vars)`` before this module writes its part of `state_dict`."""
        return state_hooks.register(self, "save_pre", hook)

    def register_state_dict_post_hook(self, hook: Any) -> Any:
        """Call ``hook(module, state_dict, prefix, local_metadata)`` after this module's part of `state_dict`
        (it may change the dict in place; it must return None)."""
        return state_hooks.register(self, "save_post", hook)

    def _register_state_dict_hook(self, hook: Any) -> Any:
        """PyTorch's private post-hook, ``hook(module, state_dict, prefix, local_metadata)``, which may return a dict
        that the module's own `state_dict` call returns instead (its parent's call keeps its dict)."""
        return state_hooks.register(self, "save_post", state_hooks.may_replace(hook))

    def register_load_state_dict_pre_hook(self, hook: Any) -> Any:
        """Call ``hook(module, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
        error_msgs)`` before `load_state_dict` reads anything (it may rename keys of the copy it is given)."""
        return state_hooks.register(self, "load_pre", hook)

    def _register_load_state_dict_pre_hook(self, hook: Any, with_module: bool = False) -> Any:
        """PyTorch's older private spelling, still what checkpoint converters use (gpt-fast's merged ``wqkv``, timm):
        ``hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs)``, with the
        module first only where ``with_module``."""
        return state_hooks.register(self, "load_pre", hook if with_module else state_hooks.without_module(hook))

    def _load_from_state_dict(self, state_dict: dict[str, Any], prefix: str, local_metadata: dict[str, Any],
                              strict: bool, missing_keys: list[str], unexpected_keys: list[str],
                              error_msgs: list[str]) -> None:
        """PyTorch's per-module step of `load_state_dict`: this module's pre-hooks, then its own entries under
        ``prefix`` (children load theirs after). Override it to convert old checkpoints (call this one for the
        rest); a tree with an override is loaded module by module, as PyTorch does (`state_protocol`)."""
        state_protocol.load_own_entries(self, state_dict, prefix, strict, missing_keys, unexpected_keys, error_msgs,
                                        Module, bool(local_metadata.get("assign_to_params_buffers", False)))

    def register_load_state_dict_post_hook(self, hook: Any) -> Any:
        """Call ``hook(module, incompatible_keys)`` once the keys are matched, before ``strict`` judges them (it
        may remove entries from the two lists in place; it must return None)."""
        return state_hooks.register(self, "load_post", hook)

    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """Every saved tensor in PyTorch's order: module by module, its parameters then its persistent
        buffers; a tensor shared by two names (tied weights) appears under both, as in PyTorch."""
        for mod_name, module in self.named_modules(remove_duplicate=False):
            prefix = f"{mod_name}." if mod_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    yield prefix + name, p
            skip = module.__dict__.get("_non_persistent", ())
            for name, b in module._buffers.items():
                if b is not None and name not in skip:
                    yield prefix + name, b

    def load_state_dict(self, state_dict: dict[str, Any], strict: bool = True,
                        assign: bool = False) -> "IncompatibleKeys":
        """Copy values (Tensors, NumPy or native arrays of any backend) into this module, all or nothing.

        Values move to each parameter's backend and dtype. As in PyTorch, an entry whose shape differs
        from the parameter's is an error whatever ``strict`` says ("size mismatch for <key>: copying a
        param with shape ... from checkpoint, the shape in current model is ..."), and so is (unlike
        PyTorch, which casts) a value of another kind (integer into float). With ``strict=True`` missing
        and unexpected keys are errors too; with ``strict=False`` they are returned. Every problem is
        listed in one `StateDictError` (a `RuntimeError` as PyTorch's, and a `KeyError` and `ValueError`),
        and when it is raised the module is unchanged: every value is checked and converted before
        the first one is written. Returns ``(missing_keys, unexpected_keys)`` as a named tuple, as
        PyTorch. With ``assign=True`` each parameter and buffer takes the value's dtype, and the value's device
        where it was on the meta device (a skeleton made under ``torch.device("meta")``), as PyTorch's; the values
        are still copied into the existing Parameters, which keep their identity (and ``requires_grad``).
        """
        if not isinstance(state_dict, Mapping):
            raise TypeError(f"{type(self).__name__}.load_state_dict: expected a dict of name -> tensor, got "
                            f"{type(state_dict).__name__}")
        named = list(self.named_modules())
        if any(state_protocol.overrides_loading(m, Module) for _, m in named):
            return state_protocol.load(self, state_dict, strict, StateDictError, IncompatibleKeys, assign)
        missing: list[str] = []
        unexpected: list[str] = []
        problems: list[str] = []
        if any(m.__dict__.get("_state_hooks") is not None for _, m in named):
            state_dict = OrderedDict(state_dict)  # the hooks' copy, as PyTorch's
            state_hooks.run_load_pre_hooks(named, state_dict, strict, missing, unexpected, problems)
        own: dict[str, Tensor] = dict(self._state_items())
        extra = {f"{name}.{state_hooks.EXTRA_STATE}" if name else state_hooks.EXTRA_STATE: m for name, m in named
                 if state_hooks.has_extra_state(m, "set_extra_state", Module)}
        kept = {f"{prefix}.{key}" if prefix else key for prefix, m in named for key in m._state_kept_when_missing}
        missing += [k for k in own if k not in state_dict and k not in kept]
        missing += [k for k in extra if k not in state_dict]
        unexpected += _in_pytorch_order([k for k in state_dict if k not in own and k not in extra], named)
        values = {}
        for name, target in own.items():
            if name not in state_dict:
                continue
            value = values[name] = _array_like(self, name, state_dict[name], target)
            shape = tuple(value.shape)
            if shape != tuple(target.shape):
                problems.append(f"size mismatch for {name}: copying a param with shape {shape} from checkpoint, "
                                f"the shape in current model is {tuple(target.shape)}.")
                continue
            given = dtype_name(value.dtype)
            if _kind(given) != _kind(dtype_name(target.dtype)):
                problems.append(f"dtype mismatch for {name}: expected dtype {dtype_name(target.dtype)}, got {given}")
        keys = IncompatibleKeys(missing, unexpected)
        state_hooks.run_load_post_hooks(named, keys)  # before strict judges, as PyTorch's (nothing written yet)
        if problems or (strict and (missing or unexpected)):
            raise StateDictError(state_protocol.loading_errors(type(self).__name__, missing if strict else [],
                                                               unexpected if strict else [], problems))
        # all or nothing: convert every value first (a conversion may fail), then write them all
        if assign:
            for target, (data, backend) in [(t, _assigned(t, values[n])) for n, t in own.items() if n in values]:
                state_protocol.take_assigned(target, data, backend)
        else:
            converted = [(target, _converted(target, values[name])) for name, target in own.items() if name in values]
            for target, data in converted:
                target.array = data
        for key, module in extra.items():
            if key in state_dict:
                module.set_extra_state(state_dict[key])
        return keys

    # -- copying --------------------------------------------------------------------------------
    def __deepcopy__(self, memo: dict[int, Any]) -> "Module":
        """``copy.deepcopy(model)``: new parameters and buffers (same values, same backend); the backends
        and device generators are shared handles (they hold library modules), never copied."""
        for m in self.modules():
            for t in list(m._parameters.values()) + list(m._buffers.values()):
                if t is not None:
                    memo.setdefault(id(t.backend), t.backend)
            for value in vars(m).values():
                for item in (value if isinstance(value, tuple) else (value,)):
                    if isinstance(item, (Backend, DeviceRNG)):
                        memo.setdefault(id(item), item)
        new = type(self).__new__(type(self))
        memo[id(self)] = new
        for name, value in self.__dict__.items():
            object.__setattr__(new, name, copy.deepcopy(value, memo))
        return new

    # -- display --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        # PyTorch's layout: a one-line extra_repr of a module without children stays on the first line; otherwise
        # every line of it, then every child, goes on its own indented line
        extra = self.extra_repr()
        extra_lines = extra.split("\n") if extra else []
        children = [f"({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        if not children and len(extra_lines) <= 1:
            return f"{type(self).__name__}({extra})"
        return f"{type(self).__name__}(\n  " + "\n  ".join(extra_lines + children) + "\n)"


def _in_pytorch_order(keys: list[str], named: list[tuple[str, Module]]) -> list[str]:
    """Unexpected state-dict keys in the order PyTorch reports them: grouped by the deepest module on each key's
    path (modules in ``named_modules`` order, the root first), in the state dict's order within a module."""
    if len(keys) < 2:
        return keys
    position = {name: i for i, (name, _) in enumerate(named)}

    def owner(key: str) -> int:
        parts = key.split(".")
        for end in range(len(parts) - 1, 0, -1):
            found = position.get(".".join(parts[:end]))
            if found is not None:
                return found
        return 0

    return sorted(keys, key=owner)


def _set_before_init(module: Module, name: str, value: Any) -> None:
    """``self.name = value`` before ``super().__init__()``: a plain value (a Tensor too) is set, as PyTorch's;
    a Parameter, a Module or a Buffer raise PyTorch's AttributeError, naming the missing call."""
    kind = ("parameters" if isinstance(value, Parameter) else "module" if isinstance(value, Module) else
            "buffer" if isinstance(value, Tensor) and value.__dict__.get("_is_buffer") else None)
    if kind is not None:
        raise AttributeError(f"cannot assign {kind} before Module.__init__() call ({type(module).__name__}.__init__ "
                             "must call super().__init__() first)")
    object.__setattr__(module, name, value)


def _pop_other(module: Module, name: str, keep: Any) -> None:
    for table in (module._parameters, module._buffers, module._modules):
        if table is not keep:
            table.pop(name, None)


def _check_name(module: Module, name: Any, what: str) -> None:
    where = f"{type(module).__name__}.register_{what}"
    if "_parameters" not in module.__dict__:  # else "object has no attribute '_buffers'", as if ours broke
        raise AttributeError(f"{type(module).__name__}.__init__ must call super().__init__() first "
                             f"(before register_{what})")
    if not isinstance(name, str):
        raise TypeError(f"{where}: name must be a str, got {type(name).__name__}")
    if not name or "." in name:
        raise KeyError(f"{where}: name must be non-empty and without dots, got {name!r}")
    # as PyTorch: a name may be registered again only as its own kind (a buffer never replaces a parameter)
    own = {"buffer": module._buffers, "parameter": module._parameters, "module": module._modules}[what]
    if hasattr(module, name) and name not in own:
        raise KeyError(f"{where}: attribute {name!r} already exists")


def _move_in_place(t: Tensor, target: Backend | None, dtype: Any) -> None:
    grad = None if t.grad is None else _moved(t.grad.array, t.backend, target, dtype)  # moved along, as PyTorch
    t.array = _moved(t.array, t.backend, target, dtype)
    if target is not None and target != t.backend:  # an equal backend (a fast-path variant) leaves it as it was
        t.backend = target
    t.grad = None if grad is None else Tensor._make(grad, t.backend, None, 0)


def _moved(data: Any, backend: Backend, target: Backend | None, dtype: Any) -> Any:
    """``data`` on ``target`` (if given) and, if floating, cast to ``dtype`` (if given)."""
    if target is not None and target != backend:
        data = transfer(data, backend, target)
        backend = target
    if dtype is not None and dtype_name(data.dtype).startswith(("float", "bfloat")):
        native = backend.dtype(dtype)
        if data.dtype != native:
            data = backend.xp.astype(data, native)
    return data
