"""JSON with arrays: nested Python data as JSON-able data plus a dict of named host arrays.

Arrays (Tensors, NumPy arrays and scalars, native arrays of any backend) are stored apart, under a
name made from their place in the tree, and replaced by ``{"__array__": name, "kind": ..., "backend": ...}``;
tuples and dicts with non-string keys get markers too, so `Decoder` gives back what `encode` was given
(Tensors and native arrays on their backend where it is available here, else on NumPy). Sets come back as
sets, dtypes as anynn dtypes, devices as devices, ``pathlib`` paths as paths. An instance of a plain top-level
class (a dataclass config: `safe_globals.plain_state`) is its class's name and its attributes, rebuilt only
where `safe_globals.resolve` allows the class, as PyTorch's ``weights_only`` load.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from typing import Any, Mapping

import numpy as np

from ..autograd.tensor import Tensor, tensor
from ..backend import DTYPE_NAMES, BackendUnavailable, dtype_name, get_backend
from ..device import device as Device
from ..dtypes import dtype as Dtype
from .safe_globals import global_name, name_problem, plain_state, rebuild_plain, resolve
from .weights import host_dtype_name, to_host


def encode(obj: Any, where: str, tensors: dict[str, np.ndarray], caller: str = "save_checkpoint") -> Any:
    """``obj`` as JSON-able data; arrays go to ``tensors`` under a name made from ``where``.

    ``caller`` names the public function in the error raised for an object that cannot be stored.
    """
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, Tensor) or isinstance(obj, (np.ndarray, np.generic)) or hasattr(obj, "__dlpack__"):
        array, key = to_host(obj)
        name = where
        while name in tensors:
            name += "_"
        tensors[name] = array
        kind = "tensor" if isinstance(obj, Tensor) else ("scalar" if isinstance(obj, np.generic) else
                                                          "numpy" if isinstance(obj, np.ndarray) else "native")
        return {"__array__": name, "kind": kind, "backend": key}
    if isinstance(obj, tuple):
        return {"__tuple__": [encode(v, f"{where}/{i}", tensors, caller) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [encode(v, f"{where}/{i}", tensors, caller) for i, v in enumerate(obj)]
    if isinstance(obj, (set, frozenset)):  # a vocabulary kept as a set; PyTorch's default load allows sets
        return {"__set__": [encode(v, f"{where}/{i}", tensors, caller) for i, v in enumerate(obj)],
                "frozen": isinstance(obj, frozenset)}
    if isinstance(obj, Mapping):
        if all(isinstance(k, str) and not k.startswith("__") for k in obj):
            return {k: encode(v, f"{where}/{k}", tensors, caller) for k, v in obj.items()}
        return {"__items__": [[encode(k, f"{where}/{i}/key", tensors, caller),
                               encode(v, f"{where}/{i}", tensors, caller)] for i, (k, v) in enumerate(obj.items())]}
    if is_dtype(obj):
        return {"__dtype__": dtype_name(obj)}
    if isinstance(obj, Device):
        return {"__device__": str(obj)}
    if isinstance(obj, PurePath):  # argparse options of type=Path, saved with the run's args
        return {"__path__": [type(obj).__name__, str(obj)]}
    state = plain_state(obj)
    if state is not None:  # build-nanogpt's checkpoint holds {'config': raw_model.config, ...}, a dataclass
        problem = name_problem(type(obj))
        if problem is not None:
            raise TypeError(f"{caller}: cannot store the {type(obj).__name__} at {where or '/'!r}: {problem}")
        return {"__object__": [global_name(type(obj)), encode(state, where, tensors, caller)]}
    raise TypeError(f"{caller}: cannot store a {type(obj).__name__} at {where or '/'!r} (use numbers, strings, "
                    "lists, tuples, dicts, arrays or instances of plain top-level classes such as dataclasses)")


class Decoder:
    """Turn `encode`'s output back into Python data, reading arrays from ``tensors``.

    Tensors and native arrays go back to the backend that saved them (NumPy where it is not available
    here), or all to ``backend`` when one is given. Objects of plain classes are rebuilt where
    `safe_globals.resolve` allows their class (``weights_only`` as in `anynn.load`; ``path`` names the file
    in its error).
    """

    def __init__(self, tensors: Mapping[str, np.ndarray], backend: Any = None, weights_only: Any = None,
                 path: Any = "the file") -> None:
        self.tensors = tensors
        self.backend = backend
        self.weights_only = weights_only
        self.path = path

    def __call__(self, obj: Any) -> Any:
        if isinstance(obj, list):
            return [self(v) for v in obj]
        if not isinstance(obj, dict):
            return obj
        if "__array__" in obj:
            array = self.tensors[obj["__array__"]]
            if obj["kind"] == "scalar":
                return array[()]
            if obj["kind"] in ("tensor", "native") and (obj.get("backend") or self.backend is not None):
                be = self.backend if self.backend is not None else (
                    get_backend(obj["backend"]) if _available(obj["backend"]) else get_backend("numpy"))
                t = tensor(array, backend=be, dtype=host_dtype_name(array, be))
                return t if obj["kind"] == "tensor" else t.array
            return array
        if "__tuple__" in obj:
            return tuple(self(v) for v in obj["__tuple__"])
        if "__items__" in obj:
            return {_hashable(self(k)): self(v) for k, v in obj["__items__"]}
        if "__set__" in obj:
            items = [_hashable(self(v)) for v in obj["__set__"]]
            return frozenset(items) if obj.get("frozen") else set(items)
        if "__object__" in obj:
            from ..nn.module import Module  # resolve tells anynn's own classes by it (imported late, as module_rebuild)

            name, state = obj["__object__"]
            cls = resolve(name, "the class of an object", self.path, self.weights_only, Module)
            return rebuild_plain(cls, self(state), name, self.path)
        if "__dtype__" in obj:
            if obj["__dtype__"] not in DTYPE_NAMES:
                raise ValueError(f"unknown dtype {obj['__dtype__']!r}")
            return Dtype(obj["__dtype__"])
        if "__device__" in obj:
            return Device(obj["__device__"])
        if "__path__" in obj:
            kind, text = obj["__path__"]
            return _PATHS[kind](text)
        return {k: self(v) for k, v in obj.items()}


# the pathlib classes a file may name; a concrete path of another system comes back as its pure form (pathlib
# makes no WindowsPath on Linux)
_PATHS = {"Path": Path, "PurePath": PurePath, "PurePosixPath": PurePosixPath, "PureWindowsPath": PureWindowsPath,
          "PosixPath": PurePosixPath if os.name == "nt" else Path,
          "WindowsPath": Path if os.name == "nt" else PureWindowsPath}


def is_dtype(obj: Any) -> bool:
    """An anynn dtype, a NumPy dtype or a backend library's dtype object (not a dtype class)."""
    return isinstance(obj, (Dtype, np.dtype)) or (type(obj).__name__ in ("dtype", "DType")
                                                   and not isinstance(obj, type))


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def _available(key: str) -> bool:
    try:
        get_backend(key)
        return True
    except (BackendUnavailable, ValueError):
        return False
