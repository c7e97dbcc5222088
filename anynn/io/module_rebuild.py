"""Rebuild a whole `Module` from the description `module_describe` wrote (the loading half of ``anynn.load``).

No code from the file runs: every class and function is looked up by `safe_globals.resolve` (anynn's
own, those the user allowed, or with ``weights_only=False`` those of already imported modules); each
module is made with ``object.__new__(cls)`` and anynn's ``Module.__init__`` (the bookkeeping tables,
never the class's own ``__init__``), then its parameters, buffers, children and attributes are written
into its ``__dict__`` (no ``__setattr__``, no property setter runs). Every field is checked; a damaged
description raises `CorruptFileError`, a class or function that is not allowed `UnsafeGlobalError`.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any, Mapping

import numpy as np

from ..autograd.tensor import Tensor, tensor
from ..backend import DTYPE_NAMES, Backend, BackendUnavailable, get_backend
from ..device import device as Device
from ..device import resolve as resolve_device
from ..dtypes import dtype as Dtype
from .file_checks import CorruptFileError
from .json_arrays import Decoder
from .module_describe import FORMAT_VERSION, bookkeeping_names
from .safe_globals import UnsafeGlobalError, rebuild_plain, resolve
from .weights import host_dtype_name, mapped_location

_NODE_KEYS = {"class", "training", "parameters", "buffers", "non_persistent", "modules", "attributes"}
_TENSOR_KEYS = {"$tensor", "parameter", "requires_grad", "backend"}
_FLOATS = {"nan", "inf", "-inf"}
_MAX_DEPTH = 200


class _Dropped(Exception):
    """A generator saved on another backend than the one loaded to: its attribute becomes None (made anew)."""


class Rebuilder:
    """Turns a description and the file's arrays back into modules (``build``)."""

    def __init__(self, path: Any, arrays: Mapping[str, np.ndarray], target: Backend | None,
                 weights_only: Any) -> None:
        from ..nn.module import Module, Parameter

        self.Module, self.Parameter = Module, Parameter
        self.path, self.arrays, self.target = path, arrays, target
        self.weights_only = weights_only
        self.skip = bookkeeping_names()
        self.modules: dict[str, Any] = {}  # path -> module
        self.tensors: dict[str, Tensor] = {}  # file key -> tensor (tied weights stay one object)
        self.pending: list[tuple[Any, dict[str, Any], str]] = []

    def damaged(self, what: str) -> CorruptFileError:
        return CorruptFileError(self.path, f"the saved module description is damaged: {what}")

    def expect(self, condition: bool, what: str) -> None:
        if not condition:
            raise self.damaged(what)

    def build(self, description: Any) -> Any:
        version = description.get("version") if isinstance(description, dict) else None
        if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
            raise CorruptFileError(self.path, f"written by a newer anynn: its module description is version {version}, "
                                              f"this anynn reads version {FORMAT_VERSION}; upgrade anynn, or load the "
                                              "state_dict alone with anynn.io.load(path)")
        self.expect(isinstance(description, dict) and description.get("version") == FORMAT_VERSION,
                    f"expected a version {FORMAT_VERSION} description")
        root = self.create(description.get("root"), "", 0)
        for module, node, path in self.pending:
            self.fill(module, node, path)
        return root

    # -- pass 1: one object per module, before any reference between them is followed ----------------
    def create(self, node: Any, path: str, depth: int) -> Any:
        where = _label(path)
        self.expect(depth < _MAX_DEPTH, f"modules nested deeper than {_MAX_DEPTH}")
        self.expect(isinstance(node, dict) and set(node) == _NODE_KEYS, f"{where} is not a module entry")
        cls = resolve(node["class"], f"the class of {where}", self.path, self.weights_only, self.Module)
        if not (isinstance(cls, type) and issubclass(cls, self.Module)):
            raise UnsafeGlobalError(f"{self.path}: the class of {where}, {node['class']!r}, is not an anynn.nn.Module "
                                    "subclass; only modules are rebuilt")
        try:
            module = object.__new__(cls)
        except TypeError as exc:
            raise UnsafeGlobalError(f"{self.path}: {node['class']!r} ({where}) cannot be rebuilt: {exc}") from None
        self.Module.__init__(module)
        self.modules[path] = module
        self.pending.append((module, node, path))
        for name, child in self.pairs(node["modules"], f"{where}'s children", registered=True):
            if isinstance(child, dict) and "class" in child:
                self.create(child, _join(path, name), depth + 1)
        return module

    def pairs(self, items: Any, what: str, registered: bool) -> list[tuple[str, Any]]:
        self.expect(isinstance(items, list) and all(isinstance(p, list) and len(p) == 2 for p in items),
                    f"{what} are not a list of [name, value] pairs")
        for name, _ in items:
            self.expect(isinstance(name, str) and name and not (name.startswith("__") and name.endswith("__")),
                        f"{what}: bad name {name!r}")
            self.expect(not registered or "." not in name, f"{what}: a name with a dot, {name!r}")
        self.expect(len({name for name, _ in items}) == len(items), f"{what}: a name appears twice")
        return [(name, value) for name, value in items]

    # -- pass 2: tables and attributes ------------------------------------------------------------
    def fill(self, module: Any, node: dict[str, Any], path: str) -> None:
        where, state = _label(path), module.__dict__
        self.expect(isinstance(node["training"], bool), f"{where}.training is not a bool")
        state["training"] = node["training"]
        for table, key in ((module._parameters, "parameters"), (module._buffers, "buffers")):
            for name, ref in self.pairs(node[key], f"{where}'s {key}", registered=True):
                t = None if ref is None else self.tensor(ref, f"{where}.{name}", key == "parameters")
                table[name] = state[name] = t
        non_persistent = node["non_persistent"]
        self.expect(isinstance(non_persistent, list) and all(n in module._buffers for n in non_persistent),
                    f"{where}'s non-persistent buffers are not among its buffers")
        state["_non_persistent"] = set(non_persistent)
        for name, child in self.pairs(node["modules"], f"{where}'s children", registered=True):
            if child is None:
                value = None
            elif isinstance(child, dict) and "class" in child:
                value = self.modules[_join(path, name)]
            else:
                value = self.module_ref(child, f"{where}.{name}")
            module._modules[name] = state[name] = value
        taken = set(module._parameters) | set(module._buffers) | set(module._modules) | self.skip
        for name, saved in self.pairs(node["attributes"], f"{where}'s attributes", registered=False):
            self.expect(name not in taken, f"{where}: attribute {name!r} would replace a registered entry")
            try:
                state[name] = self.value(saved, f"{where}.{name}", 0)
            except _Dropped:
                state[name] = None

    def module_ref(self, ref: Any, where: str) -> Any:
        self.expect(isinstance(ref, dict) and set(ref) == {"$module"} and ref["$module"] in self.modules,
                    f"{where} refers to a module that is not in the file")
        return self.modules[ref["$module"]]

    # -- tensors ------------------------------------------------------------------------------------
    def tensor(self, ref: Any, where: str, parameter: bool | None) -> Tensor:
        self.expect(isinstance(ref, dict) and set(ref) == _TENSOR_KEYS, f"{where} is not a tensor entry")
        key, is_parameter, requires_grad = ref["$tensor"], ref["parameter"], ref["requires_grad"]
        self.expect(isinstance(key, str) and key in self.arrays, f"{where} names a tensor the file lacks ({key!r})")
        self.expect(isinstance(is_parameter, bool) and isinstance(requires_grad, bool),
                    f"{where}: parameter/requires_grad are not bools")
        self.expect(parameter is not True or is_parameter, f"{where} is a parameter entry holding a plain tensor")
        known = self.tensors.get(key)
        if known is not None:
            self.expect(isinstance(known, self.Parameter) == is_parameter, f"{where}: one tensor saved as two kinds")
            return known
        backend = self.target if self.target is not None else self.backend(ref["backend"], where)
        array = self.arrays[key]
        kind = self.Parameter if is_parameter else tensor  # (Tensor(...) itself reads PyTorch's legacy forms)
        try:
            t = kind(array, backend=backend, dtype=host_dtype_name(array, backend), requires_grad=requires_grad)
        except TypeError as exc:
            raise self.damaged(f"{where}: {exc}") from None
        self.tensors[key] = t
        return t

    def backend(self, key: Any, where: str) -> Backend:
        self.expect(isinstance(key, str), f"{where}: the backend is not a string")
        try:
            return get_backend(key)
        except ValueError:
            raise self.damaged(f"{where}: unknown backend {key!r}") from None
        except BackendUnavailable as exc:
            raise BackendUnavailable(f"{self.path}: {where} was saved on backend {key!r}, which is not available "
                                     f"here ({exc}); load with map_location= (e.g. 'cpu' or 'numpy')") from None

    # -- attribute values -------------------------------------------------------------------------
    def value(self, v: Any, where: str, depth: int) -> Any:
        self.expect(depth < _MAX_DEPTH, f"{where}: containers nested deeper than {_MAX_DEPTH}")
        if v is None or isinstance(v, (bool, int, float, str)):
            return v
        if isinstance(v, list):
            return [self.value(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(v)]
        self.expect(isinstance(v, dict), f"{where}: unexpected {type(v).__name__}")
        if "$tensor" in v:
            return self.tensor(v, where, None)
        self.expect(len(v) == 1, f"{where}: unknown entry {sorted(v)!r}")
        tag, body = next(iter(v.items()))
        try:
            return self.tagged(tag, body, where, depth)
        except (TypeError, ValueError) as exc:
            if isinstance(exc, (CorruptFileError, UnsafeGlobalError)):
                raise
            raise self.damaged(f"{where}: bad {tag} entry ({type(exc).__name__}: {exc})") from None

    def tagged(self, tag: str, body: Any, where: str, depth: int) -> Any:
        if tag in ("$tuple", "$set", "$frozenset"):
            self.expect(isinstance(body, list), f"{where}: {tag} is not a list")
            items = [self.value(x, f"{where}[{i}]", depth + 1) for i, x in enumerate(body)]
            return {"$tuple": tuple, "$set": set, "$frozenset": frozenset}[tag](items)
        if tag in ("$dict", "$odict"):
            self.expect(isinstance(body, list) and all(isinstance(p, list) and len(p) == 2 for p in body),
                        f"{where}: {tag} is not a list of pairs")
            items = [(self.value(k, f"{where}[key]", depth + 1), self.value(x, f"{where}[{k!r}]", depth + 1))
                     for k, x in body]
            return dict(items) if tag == "$dict" else OrderedDict(items)
        if tag == "$float":
            self.expect(body in _FLOATS, f"{where}: {body!r} is not nan/inf/-inf")
            return float(body)
        if tag == "$ndarray":
            self.expect(isinstance(body, str) and body in self.arrays, f"{where} names an array the file lacks")
            return np.array(self.arrays[body])
        if tag == "$module":
            return self.module_ref({"$module": body}, where)
        if tag == "$generator":
            return self.generator(body, where)
        if tag == "$backend":
            return self.target if self.target is not None else self.backend(body, where)
        if tag == "$dtype":
            self.expect(body in DTYPE_NAMES, f"{where}: unknown dtype {body!r}")
            return Dtype(body)
        if tag == "$device":
            self.expect(isinstance(body, str), f"{where}: the device is not a string")
            return Device(body)
        if tag == "$global":
            return resolve(body, f"the attribute {where}", self.path, self.weights_only, self.Module)
        if tag == "$object":
            self.expect(isinstance(body, list) and len(body) == 2, f"{where}: $object is not [class, attributes]")
            cls = resolve(body[0], f"the class of {where}", self.path, self.weights_only, self.Module)
            state = {k: self.value(x, f"{where}.{k}", depth + 1) for k, x in self.pairs(body[1], where, False)}
            return rebuild_plain(cls, state, body[0], self.path)
        raise self.damaged(f"{where}: unknown entry {tag!r}")

    def generator(self, body: Any, where: str) -> Any:
        self.expect(isinstance(body, dict) and set(body) == {"backend", "state"}, f"{where}: bad generator entry")
        key = body["backend"]
        if self.target is not None and self.target.key != key:
            raise _Dropped  # saved on another backend: the layer draws a new one at its next call
        backend = self.backend(key, where)
        try:
            rng = backend.rng(0)
            rng.set_state(Decoder(self.arrays)(body["state"]))
        except (TypeError, ValueError, KeyError, IndexError, RuntimeError, AttributeError) as exc:
            raise self.damaged(f"{where}: the generator state cannot be restored ({type(exc).__name__})") from None
        return rng


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _label(path: str) -> str:
    return f"model.{path}" if path else "model"


def target_backend(saved: Any, backend: Any, map_location: Any) -> Backend | None:
    """Where the tensors go: ``backend``, else ``map_location`` read against the saving backend, else None (each
    tensor back on the backend it was saved from)."""
    if backend is not None:
        return get_backend(backend)
    map_location = mapped_location(map_location, saved if isinstance(saved, str) else None)
    if map_location is None:
        return None
    try:
        like = get_backend(saved) if isinstance(saved, str) else get_backend(None)
    except (ValueError, BackendUnavailable):
        like = get_backend(None)
    return resolve_device(map_location, like)


def rebuild_module(path: Any, arrays: Mapping[str, np.ndarray], text: str, *, backend: Any = None,
                   map_location: Any = None, weights_only: Any = None, saved_backend: Any = None) -> Any:
    """The module described by the JSON ``text`` of a file whose arrays are ``arrays``."""
    try:
        description = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CorruptFileError(path, f"the saved module description is not valid JSON ({type(exc).__name__})") from None
    target = target_backend(saved_backend, backend, map_location)
    try:
        return Rebuilder(path, arrays, target, weights_only).build(description)
    except RecursionError:
        raise CorruptFileError(path, "the saved module description is nested too deeply") from None


__all__ = ["rebuild_module", "target_backend"]
