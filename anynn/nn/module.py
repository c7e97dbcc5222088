"""`Module` and `Parameter`: layers that own parameters, buffers and child modules."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Iterator

import numpy as np

from ..autograd.tensor import Tensor, transfer
from ..backend import Backend, dtype_name, get_backend


class Parameter(Tensor):
    """A `Tensor` that a `Module` owns and an optimizer updates (``requires_grad`` by default)."""

    __slots__ = ()

    def __init__(self, data: Any, backend: Any = None, dtype: Any = None, requires_grad: bool = True) -> None:
        super().__init__(data, backend=backend, dtype=dtype, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter(" + super().__repr__() + ")"


class StateDictError(KeyError, ValueError):
    """A state dict does not fit a module: lists every missing, unexpected and mismatched key at once."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class Module:
    """Base class of layers and models.

    Assigning a `Parameter`, a `Module` or (through `register_buffer`) a state tensor as an
    attribute registers it, so `parameters`, `state_dict` and `to` find it. Subclasses define
    ``forward``; calling the module calls ``forward``.
    """

    training: bool

    def __init__(self) -> None:
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())
        object.__setattr__(self, "training", True)

    # -- registration ---------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if params is None:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() first")
        if name in self._buffers and (value is None or (isinstance(value, Tensor)
                                                        and not isinstance(value, Parameter))):
            self._buffers[name] = value
            object.__setattr__(self, name, value)
            return
        if name in params and isinstance(value, Tensor) and not isinstance(value, Parameter):
            raise TypeError(f"{type(self).__name__}.{name} is a Parameter: assign a Parameter (or None), not a "
                            "plain Tensor; to change its values assign to .data or use load_state_dict")
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        if isinstance(value, Parameter):
            params[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def register_buffer(self, name: str, value: Tensor | None, persistent: bool = True) -> None:
        """Register state that moves with the module but is not trained (e.g. running means).

        Persistent buffers are saved in `state_dict`; ``persistent=False`` ones (caches, masks) are not.
        """
        for table in (self._parameters, self._modules):
            table.pop(name, None)
        object.__setattr__(self, name, value)
        self._buffers[name] = value
        non_persistent = self.__dict__.setdefault("_non_persistent", set())
        if persistent:
            non_persistent.discard(name)
        else:
            non_persistent.add(name)

    def forward(self, *args: Any, **kwargs: Any) -> Any:  # pragma: no cover - interface
        raise NotImplementedError(f"{type(self).__name__} must define forward")  # abstract

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    # -- traversal ------------------------------------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def children(self) -> Iterator["Module"]:
        yield from self._modules.values()

    def named_parameters(self, prefix: str = "", remove_duplicate: bool = True) -> Iterator[tuple[str, Parameter]]:
        """``(dotted name, Parameter)`` pairs; a Parameter shared by two names is listed once by default."""
        seen: set[int] = set()
        for mod_name, module in self.named_modules(prefix):
            for name, p in module._parameters.items():
                if p is not None and not (remove_duplicate and id(p) in seen):
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self) -> Iterator[Parameter]:
        for _, p in self.named_parameters():
            yield p

    def named_buffers(self, prefix: str = "") -> Iterator[tuple[str, Tensor]]:
        for mod_name, module in self.named_modules(prefix):
            for name, b in module._buffers.items():
                if b is not None:
                    yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self) -> Iterator[Tensor]:
        for _, b in self.named_buffers():
            yield b

    # -- modes ----------------------------------------------------------------------------------
    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", mode)
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = None

    # -- backend and dtype ----------------------------------------------------------------------
    @property
    def backend(self) -> Backend | None:
        """The backend of the first parameter or buffer (``None`` for a module without state)."""
        for t in self.parameters():
            return t.backend
        for t in self.buffers():
            return t.backend
        return None

    def to(self, backend: Any = None, dtype: Any = None) -> "Module":
        """Move every parameter and buffer to ``backend`` and/or cast floating ones to ``dtype``.

        Parameters keep their identity (an optimizer made earlier still updates them); gradients
        are dropped.
        """
        target = None if backend is None else get_backend(backend)
        for t in list(self.parameters()) + list(self.buffers()):
            _move_in_place(t, target, dtype)
        return self

    def float(self) -> "Module":
        return self.to(dtype="float32")

    def double(self) -> "Module":
        return self.to(dtype="float64")

    def reset_parameters(self, seed: int | np.random.Generator | None = None) -> "Module":
        """Re-draw every parameter from one host generator, module by module in order.

        ``seed`` makes the draw reproducible (the same on every backend).
        """
        rng = seed if isinstance(seed, np.random.Generator) else (
            np.random.default_rng(seed) if seed is not None else None)
        for m in self.modules():
            reset = getattr(type(m), "_reset_own_parameters", None)
            if reset is not None:
                reset(m, rng)
        return self

    # -- state ----------------------------------------------------------------------------------
    def state_dict(self) -> "OrderedDict[str, Tensor]":
        """Parameters and buffers by dotted name (PyTorch's names and shapes), detached."""
        return OrderedDict((name, t.detach()) for name, t in self._state_items())

    def _state_items(self) -> Iterator[tuple[str, Tensor]]:
        """Every saved tensor in PyTorch's order: module by module, its parameters then its persistent
        buffers; a tensor shared by two names (tied weights) appears under both, as in PyTorch."""
        for mod_name, module in self.named_modules():
            prefix = f"{mod_name}." if mod_name else ""
            for name, p in module._parameters.items():
                if p is not None:
                    yield prefix + name, p
            skip = module.__dict__.get("_non_persistent", ())
            for name, b in module._buffers.items():
                if b is not None and name not in skip:
                    yield prefix + name, b

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> tuple[list[str], list[str]]:
        """Copy values (Tensors, NumPy or native arrays of any backend) into this module.

        Values move to each parameter's backend and dtype. With ``strict=True`` missing or
        unexpected keys and shape/dtype mismatches raise one `StateDictError` (a `KeyError` and a
        `ValueError`) listing them all; with ``strict=False`` the missing and unexpected keys are
        returned and mismatched entries are skipped (left unchanged).
        """
        own: dict[str, Tensor] = dict(self._state_items())
        missing = [k for k in own if k not in state]
        unexpected = [k for k in state if k not in own]
        problems = []
        for name, target in own.items():
            if name not in state:
                continue
            value = state[name]
            shape = tuple(value.shape)
            if shape != tuple(target.shape):
                problems.append(f"{name}: expected shape {tuple(target.shape)}, got {shape}")
                continue
            kind = dtype_name(value.dtype)[:3]
            if kind != dtype_name(target.dtype)[:3]:
                problems.append(f"{name}: expected dtype {dtype_name(target.dtype)}, got {dtype_name(value.dtype)}")
        if strict and (missing or unexpected or problems):
            lines = [f"missing key: {k}" for k in missing] + [f"unexpected key: {k}" for k in unexpected]
            raise StateDictError(f"{type(self).__name__}.load_state_dict: " + "; ".join(lines + problems))
        for name, target in own.items():
            if name in state and not any(p.startswith(name + ":") for p in problems):
                _assign(target, state[name])
        return missing, unexpected

    # -- display --------------------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"  ({name}): " + repr(m).replace("\n", "\n  ") for name, m in self._modules.items()]
        head = f"{type(self).__name__}({self.extra_repr()}"
        return head + ("\n" + "\n".join(lines) + "\n)" if lines else ")")


def _move_in_place(t: Tensor, target: Backend | None, dtype: Any) -> None:
    data = t.data
    backend = t.backend
    if target is not None and target != backend:
        data = transfer(data, backend, target)
        backend = target
    if dtype is not None and dtype_name(data.dtype).startswith("float"):
        native = backend.dtype(dtype)
        if data.dtype != native:
            data = backend.xp.astype(data, native)
    t.data = data
    t.backend = backend
    t.grad = None


def _assign(target: Tensor, value: Any) -> None:
    backend = target.backend
    if isinstance(value, Tensor):
        data = value.data if value.backend == backend else transfer(value.data, value.backend, backend)
    elif isinstance(value, np.ndarray):
        data = backend.from_host(value)
    elif backend.is_native(value):
        data = value
    else:
        data = Tensor(value, backend=backend, dtype=target.dtype).data
    if data.dtype != target.data.dtype:
        data = backend.xp.astype(data, target.data.dtype)  # astype copies
    else:
        # parameters own their memory: optimizers update them in place, which must never write
        # through to the caller's arrays (torch.from_numpy and DLPack share memory)
        data = backend.xp.asarray(data, copy=True)
    target.data = data
