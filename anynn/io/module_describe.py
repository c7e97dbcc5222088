"""Describe a whole `Module` as JSON plus named host arrays, without pickle (the saving half of ``anynn.save(model)``).

The description of each module: its class (``"module:qualname"``), ``training``, its parameters, buffers
(and which are not persistent) and children in order, and its other attributes. Attribute values may be
None, bool, int, float, str; lists, tuples, dicts, sets of those; Tensors; NumPy arrays; dtypes, devices,
backends and the generators layers hold; modules of the same tree; classes and functions defined at the
top level of a module (``activation = F.relu``); instances of plain top-level classes (a dataclass config:
`safe_globals.plain_state`). JSON objects in the description are always tags
(``{"$tuple": [...]}``, ``{"$tensor": key, ...}``...), so a plain value can never pass for one.

Tensors go to the file under their ``state_dict`` names (a tensor shared by two names is written under
both, as ``state_dict`` lists it); tensors outside the ``state_dict`` (non-persistent buffers, tensor
attributes, generator states) under names starting with ``@``. Anything else (a lambda, a hook, an open
file...) raises `ModuleSaveError` naming the attribute's path and type before anything is written.
"""

from __future__ import annotations

import math
import types
from collections import OrderedDict
from typing import Any

import numpy as np

from ..autograd import hooks as tensor_hooks
from ..autograd.tensor import Tensor
from ..backend import Backend, DeviceRNG, dtype_name
from ..device import device as Device
from . import json_arrays
from .safe_globals import global_name, name_problem, plain_state
from .weights import MODULE_EXTRA_PREFIX as EXTRA_PREFIX
from .weights import to_host

FORMAT_VERSION = 1
_MAX_DEPTH = 100


class ModuleSaveError(TypeError):
    """A module cannot be saved whole: the message names the attribute's path and its type, and the way out."""


def bookkeeping_names() -> frozenset[str]:
    """The attributes `Module.__init__` makes (rebuilt by calling it on load, never saved), plus the hooks table."""
    from ..nn.module import Module

    probe = object.__new__(Module)
    Module.__init__(probe)
    return frozenset(vars(probe)) | {"_hooks"}


class Describer:
    """Walks a module tree once; ``arrays`` collects the host arrays, `describe` returns the JSON-able tree."""

    def __init__(self, model: Any) -> None:
        from ..nn.module import Module, Parameter

        self.Module, self.Parameter = Module, Parameter
        self.root_label = type(model).__name__
        self.skip = bookkeeping_names()
        self.paths = {}
        for path, module in model.named_modules():  # each module at its first path
            self.paths.setdefault(id(module), path)
        self.arrays: dict[str, np.ndarray] = {}
        self.keys: dict[int, str] = {}  # id(tensor) -> the name it is stored under first
        self._alive: list[Any] = []  # keeps ids stable while describing
        for key, t in Module.state_dict(model, keep_vars=True).items():
            self.arrays[key], _ = to_host(t.detach())
            self.keys.setdefault(id(t), key)
            self._alive.append(t)

    def label(self, where: str) -> str:
        return f"{self.root_label}.{where}" if where else self.root_label

    def refuse(self, where: str, value: Any, why: str) -> ModuleSaveError:
        kind = type(value)
        return ModuleSaveError(f"anynn.save: cannot save {self.label(where)} (a {kind.__module__}.{kind.__qualname__})"
                               f" without pickle: {why}. Nothing was written")

    # -- modules ----------------------------------------------------------------------------------
    def describe(self, module: Any, path: str = "") -> dict[str, Any]:
        hooks = module.__dict__.get("_hooks")
        if hooks is not None and (hooks.forward_pre or hooks.forward or hooks.backward):
            raise self.refuse(_join(path, "_hooks"), hooks, "it has hooks (functions registered with "
                              "register_*_hook); remove them (handle.remove()) before saving, register them again "
                              "after loading")
        training = module.__dict__.get("training")
        if not isinstance(training, bool):
            raise self.refuse(_join(path, "training"), training, "training must be a bool")
        node: dict[str, Any] = {"class": self.class_name(type(module), path), "training": training}
        node["parameters"] = [[n, None if p is None else self.tensor(p, _join(path, n))]
                              for n, p in module._parameters.items()]
        node["buffers"] = [[n, None if b is None else self.tensor(b, _join(path, n))]
                           for n, b in module._buffers.items()]
        node["non_persistent"] = sorted(module.__dict__.get("_non_persistent", ()))
        children = []
        for name, child in module._modules.items():
            where = _join(path, name)
            if child is None:
                children.append([name, None])
            elif self.paths.get(id(child)) != where:
                children.append([name, {"$module": self.paths[id(child)]}])
            else:
                children.append([name, self.describe(child, where)])
        node["modules"] = children
        registered = set(module._parameters) | set(module._buffers) | set(module._modules)
        node["attributes"] = [[name, self.value(value, _join(path, name))]
                              for name, value in vars(module).items()
                              if name not in self.skip and name not in registered]
        return node

    def class_name(self, cls: type, where: str) -> str:
        return self.global_ref(cls, where, cls)

    def global_ref(self, obj: Any, where: str, shown: Any) -> str:
        problem = name_problem(obj)
        if problem is not None:
            raise self.refuse(where, shown, problem)
        return global_name(obj)

    # -- tensors ----------------------------------------------------------------------------------
    def tensor(self, t: Any, where: str) -> dict[str, Any]:
        if type(t) not in (Tensor, self.Parameter):
            raise self.refuse(where, t, "only Tensors and Parameters are saved (not Tensor subclasses)")
        if tensor_hooks.leaf_hooks.get(id(t)):
            raise self.refuse(where, t, "it has gradient hooks (register_hook); remove them before saving")
        key = self.keys.get(id(t))
        if key is None:
            key = self.keys[id(t)] = EXTRA_PREFIX + where
            self.arrays[key], _ = to_host(t.detach())
            self._alive.append(t)
        return {"$tensor": key, "parameter": type(t) is self.Parameter, "requires_grad": bool(t.requires_grad),
                "backend": t.backend.key}

    # -- attribute values -------------------------------------------------------------------------
    def value(self, v: Any, where: str, depth: int = 0) -> Any:
        if depth > _MAX_DEPTH:
            raise self.refuse(where, v, f"containers nested deeper than {_MAX_DEPTH} (or holding themselves)")
        kind = type(v)
        if v is None or kind in (bool, int, str):
            return v
        if kind is float:
            return v if math.isfinite(v) else {"$float": repr(v)}
        if isinstance(v, (np.bool_, np.integer, np.floating)):
            return self.value(v.item(), where, depth + 1)
        if kind in (list, tuple, set, frozenset):
            items = [self.value(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)]
            return items if kind is list else {f"${kind.__name__}": items}
        if kind in (dict, OrderedDict):
            items = [[self.value(k, f"{where}[{k!r}]", depth + 1), self.value(x, f"{where}[{k!r}]", depth + 1)]
                     for k, x in v.items()]
            return {"$dict" if kind is dict else "$odict": items}
        if isinstance(v, Tensor):
            return self.tensor(v, where)
        if kind is np.ndarray:
            key = EXTRA_PREFIX + where
            self.arrays[key], _ = to_host(v)
            return {"$ndarray": key}
        if isinstance(v, self.Module):
            if id(v) not in self.paths:
                raise self.refuse(where, v, "a Module outside the module tree (e.g. in a list); register it as a "
                                  "child (attribute, ModuleList or ModuleDict)")
            return {"$module": self.paths[id(v)]}
        if isinstance(v, DeviceRNG):
            state = json_arrays.encode(v.state(), f"{EXTRA_PREFIX}{where}#rng", self.arrays)
            return {"$generator": {"backend": v.backend.key, "state": state}}
        if isinstance(v, Backend):
            return {"$backend": v.key}
        if json_arrays.is_dtype(v):
            return {"$dtype": dtype_name(v)}
        if isinstance(v, Device):
            return {"$device": str(v)}
        if isinstance(v, (type, types.FunctionType, types.BuiltinFunctionType)):
            return {"$global": self.global_ref(v, where, v)}
        state = plain_state(v)
        if state is not None:  # a config object (nanoGPT's GPT keeps its GPTConfig dataclass as self.config)
            return {"$object": [self.global_ref(kind, where, v),
                                [[k, self.value(x, f"{where}.{k}", depth + 1)] for k, x in state.items()]]}
        raise self.refuse(where, v, "only None, bool, int, float, str, lists/tuples/dicts/sets of them, tensors, "
                          "arrays, dtypes, devices, modules of the model, top-level classes and functions and "
                          "instances of plain top-level classes (dataclasses) are saved; keep it out of the module "
                          "(or rebuild it after loading)")


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def describe_module(model: Any) -> tuple[dict[str, np.ndarray], dict[str, Any]]:
    """The host arrays and the JSON-able description of ``model`` (raises `ModuleSaveError`, writes nothing)."""
    describer = Describer(model)
    tree = describer.describe(model)
    return describer.arrays, {"version": FORMAT_VERSION, "root": tree}


__all__ = ["EXTRA_PREFIX", "FORMAT_VERSION", "ModuleSaveError", "bookkeeping_names", "describe_module"]
