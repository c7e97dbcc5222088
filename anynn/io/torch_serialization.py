"""``torch.save`` / ``torch.load`` under PyTorch's names and call forms: a whole module saved and rebuilt, no pickle.

``save(model, f)`` writes one safetensors file: the model's ``state_dict`` as its tensors (so any
safetensors reader, and `anynn.io.load`, still gets the weights) and, in its metadata, a JSON description
of the module tree (`module_describe`). ``load(f)`` rebuilds the module from it (`module_rebuild`) without
running code from the file. A ``state_dict`` (names to tensors) or one tensor or array is saved and loaded as
`anynn.io.save` / `anynn.io.load` do. Other data (a checkpoint dict holding a ``state_dict``, an optimizer's
``state_dict``, numbers, strings, lists, tuples) is saved as its tensors plus a JSON description of the rest
(`json_arrays`), and comes back as it was given.
"""

from __future__ import annotations

import json
import os
from typing import Any, BinaryIO, Mapping

from ..autograd.tensor import Tensor
from .json_arrays import Decoder, encode
from .module_describe import describe_module
from .module_rebuild import rebuild_module
from .weights import MODULE_KEY, build_metadata, read_checked, single_kind, tensors_from, where_to_load, write_file
from .weights import save as save_weights

DATA_KEY = "anynn_data"  # metadata: the JSON description of data other than a module or a state_dict


def _is_module(obj: Any) -> bool:
    from ..nn.module import Module

    return isinstance(obj, Module)


def save(obj: Any, f: str | os.PathLike | BinaryIO, pickle_module: Any = None, pickle_protocol: Any = None,
         _use_new_zipfile_serialization: bool = True, _disable_byteorder_record: bool = False, *,
         metadata: Mapping[str, Any] | None = None) -> None:
    """Save ``obj`` to ``f`` as ``torch.save`` does, without pickle: a whole `Module`, a ``state_dict``, or one
    Tensor / NumPy array.

    A module is saved whole: its classes, plain attributes, children, parameters and buffers (see
    `anynn.io.module_describe` for what an attribute may hold). A module with hooks, or with an attribute
    that cannot be described (a lambda, an open file...), raises `ModuleSaveError` naming the attribute and
    nothing is written. A path is written atomically; an open binary file gets the bytes written into it.
    ``pickle_module`` and the other PyTorch arguments are accepted and ignored.
    """
    if not _is_module(obj):
        if single_kind(obj) or _is_state_dict(obj):
            save_weights(obj, f, metadata)
        else:
            _save_data(obj, f, metadata)
        return
    arrays, description = describe_module(obj)
    source = next((ref for ref in _tensor_backends(description)), "numpy")
    meta = build_metadata(arrays, source, metadata)
    meta[MODULE_KEY] = json.dumps(description, separators=(",", ":"), allow_nan=False)
    write_file(f, arrays, meta)


def _is_state_dict(obj: Any) -> bool:
    """A mapping of names to Tensors only (what safetensors holds as it is; NumPy arrays, which come back as
    NumPy arrays, go with the other data)."""
    return isinstance(obj, Mapping) and all(isinstance(k, str) and isinstance(v, Tensor) for k, v in obj.items())


def _save_data(obj: Any, f: str | os.PathLike | BinaryIO, metadata: Mapping[str, Any] | None) -> None:
    """Nested data: its arrays as tensors, the rest as JSON in the metadata (nothing written if it fails)."""
    arrays: dict[str, Any] = {}
    tree = encode(obj, "", arrays, caller="save")
    source = next((t.backend.key for t in _tensors_in(obj)), "numpy")
    meta = build_metadata(arrays, source, metadata)
    if DATA_KEY in (metadata or {}):
        raise ValueError(f"save: metadata key {DATA_KEY!r} is reserved (anynn writes it)")
    meta[DATA_KEY] = json.dumps(tree, separators=(",", ":"))
    write_file(f, arrays, meta)


def _tensors_in(obj: Any) -> Any:
    """The Tensors in nested data, depth first."""
    if isinstance(obj, Tensor):
        yield obj
    elif isinstance(obj, Mapping):
        for value in obj.values():
            yield from _tensors_in(value)
    elif isinstance(obj, (list, tuple)):
        for value in obj:
            yield from _tensors_in(value)


def _tensor_backends(description: dict[str, Any]) -> list[str]:
    """The backends the root module's tensors were saved from (first parameter first)."""
    found: list[str] = []

    def walk(node: Any) -> None:
        for _, ref in node["parameters"] + node["buffers"]:
            if ref is not None:
                found.append(ref["backend"])
        for _, child in node["modules"]:
            if isinstance(child, dict) and "class" in child:
                walk(child)

    walk(description["root"])
    return found


def load(f: str | os.PathLike | BinaryIO, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: Any = None, mmap: Any = None, backend: Any = None, check: bool = True,
         **pickle_load_args: Any) -> Any:
    """Load what `save` wrote, as ``torch.load`` does, without unpickling: a whole module comes back rebuilt.

    Parameters
    ----------
    f : path or binary file opened from a path
    map_location : str, device, dict or callable, optional
        Where the tensors go ("cpu", "cuda", a device, a backend name), read against the backend that saved
        the file; a dict (``{"cuda:0": "cpu"}``) or function (``lambda storage, loc: storage``) maps the saved
        location as PyTorch's does (`anynn.io.weights.mapped_location`). Default: a module's tensors go back to
        the backend they were saved from; other files' to the default backend.
    weights_only : bool, optional
        ``None``/``True``: a module's classes and functions (and the classes of plain objects, such as a
        dataclass config in a checkpoint dict) must be anynn's or allowed by
        `anynn.serialization.safe_globals` / `add_safe_globals`. ``False`` (trust the file): classes and
        functions of modules already imported are accepted too (a module is never imported by name).
    backend : str or Backend, optional
        anynn's name for where the tensors go (wins over ``map_location``).
    check : bool
        Compare the SHA-256 checksum that `save` records.

    Raises
    ------
    UnsafeGlobalError
        The file names a class or function that is not allowed (the message says how to allow it).
    CorruptFileError
        The file is damaged, or its module description is.
    """
    path, arrays, metadata = read_checked(f, check)
    if DATA_KEY in metadata:
        return Decoder(arrays, where_to_load(backend, map_location, metadata.get("backend")), weights_only, path)(
            json.loads(metadata[DATA_KEY]))
    if MODULE_KEY not in metadata:
        return tensors_from(arrays, metadata, where_to_load(backend, map_location, metadata.get("backend")))
    return rebuild_module(path, arrays, metadata[MODULE_KEY], backend=backend, map_location=map_location,
                          weights_only=weights_only, saved_backend=metadata.get("backend"))


__all__ = ["load", "save"]
