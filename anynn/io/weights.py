"""Save and load weights: safetensors (or ``.npz``), never pickle, loadable on any backend.

The file holds host (NumPy) arrays, so weights saved from CuPy load on a CPU-only machine and the
other way round. Metadata records the anynn version, the dtypes and the backend that saved them.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tempfile
import zipfile
from typing import Any, BinaryIO, Mapping

import numpy as np

from ..autograd.tensor import Tensor, tensor
from ..backend import backend_of, dtype_name, get_backend
from ..backend.torch_names import saved_location
from ..device import resolve as resolve_device
from ..version import release
from .atomic import atomic_write
from .safetensors_format import FILE_CHECKSUM, as_bfloat16_host, decode, encode, is_bfloat16_host
from .torch_files import refuse_torch_pickle
from .file_checks import CorruptFileError, check_npz, read_safetensors_header

FORMAT = "anynn"
NPZ_METADATA_KEY = "__anynn_metadata__"
SINGLE_NAME = "tensor"  # the entry's name when one Tensor/array is saved alone
SINGLE_KIND_KEY = "anynn_single"  # metadata: "tensor" or "ndarray", what `load` gives back
MODULE_KEY = "anynn_module"  # metadata: the JSON description of a whole module (`anynn.save(model, f)`)
MODULE_EXTRA_PREFIX = "@"  # in such files, names of tensors outside the state_dict
# metadata: the dict's key order where it is not sorted (safetensors stores names sorted; torch.load gives them back
# in the order torch.save got them, and state-dict loops and load_state_dict's unexpected_keys follow it)
KEY_ORDER_KEY = "anynn_key_order"
_RESERVED = ("format", "anynn_version", "backend", "dtype", "sha256", FILE_CHECKSUM, SINGLE_KIND_KEY, MODULE_KEY,
             KEY_ORDER_KEY)


def single_kind(obj: Any) -> str | None:
    """``"tensor"`` / ``"ndarray"`` for one Tensor / NumPy array saved alone, ``None`` for modules and dicts."""
    if isinstance(obj, Tensor):
        return "tensor"
    if isinstance(obj, np.ndarray):
        return "ndarray"
    return None


def host_arrays(state: Any) -> tuple[dict[str, np.ndarray], str]:
    """A module's state dict (or a dict of Tensors / arrays) as C-contiguous NumPy arrays.

    Returns the arrays by name and the key of the backend they came from.
    """
    if hasattr(state, "state_dict") and callable(state.state_dict):
        state = state.state_dict()
    if not isinstance(state, Mapping):
        raise TypeError(f"save: expected a Module or a dict of tensors, got {type(state).__name__}")
    arrays: dict[str, np.ndarray] = {}
    source = None
    for name, value in state.items():
        if not isinstance(name, str):
            raise TypeError(f"save: tensor names must be strings, got {name!r}")
        array, key = to_host(value)
        source = source or key
        arrays[name] = array
    return arrays, source or "numpy"


def to_host(value: Any) -> tuple[np.ndarray, str | None]:
    """One Tensor, native array or number as a C-contiguous NumPy array, plus its backend key."""
    if isinstance(value, Tensor):
        if dtype_name(value.dtype) == "bfloat16":
            return _bfloat16_to_host(value.array, value.backend), value.backend.key
        array, key = value.numpy(), value.backend.key
    elif isinstance(value, (np.ndarray, np.generic, int, float, bool)):
        array, key = np.asarray(value), None
    else:
        try:
            backend = backend_of(value)
        except TypeError:
            raise TypeError(f"cannot save a {type(value).__name__}: expected a Tensor or an array") from None
        if dtype_name(value.dtype) == "bfloat16":
            return _bfloat16_to_host(value, backend), backend.key
        array, key = backend.to_host(value), backend.key
    array = np.asarray(array)
    if array.dtype.kind not in "biufc":
        raise TypeError(f"cannot save an array of dtype {array.dtype}: only bool, integer, float and complex arrays")
    if not array.flags.c_contiguous:
        array = array.copy(order="C")
    return array, key


def _bfloat16_to_host(native: Any, backend: Any) -> np.ndarray:
    """NumPy has no bfloat16: widen to float32 on the backend (exact), mark it to be stored as BF16 again."""
    if getattr(native, "requires_grad", False) and callable(getattr(native, "detach", None)):
        native = native.detach()
    return as_bfloat16_host(backend.to_host(backend.xp.astype(native, backend.dtype("float32"))))


def host_dtype_name(array: np.ndarray, backend: Any) -> str:
    """The dtype a loaded host array gets on ``backend``: bfloat16 where the file held it and the backend has it."""
    if is_bfloat16_host(array):
        try:
            backend.dtype("bfloat16")
            return "bfloat16"
        except (TypeError, AttributeError):
            return "float32"  # NumPy, array_api_strict: exactly widened values
    return array.dtype.name


def save(obj: Any, path: str | os.PathLike | BinaryIO, metadata: Mapping[str, Any] | None = None) -> None:
    """Save a module's ``state_dict`` (or a dict name → Tensor/array, or one Tensor/array) to ``path``, atomically.

    Parameters
    ----------
    obj : Module, dict, Tensor or array
        A model, or a dict of Tensors / native arrays of any backend / NumPy arrays, or one of them alone
        (`load` then returns it alone, as ``torch.load`` returns what ``torch.save`` was given).
    path : str, PathLike or binary file
        ``*.npz`` writes a NumPy archive (loaded with ``allow_pickle=False``); anything else writes
        safetensors. An open binary file (``torch.save(obj, open(name, "wb"))``) gets the safetensors
        bytes written into it (not atomically: the caller owns the file).
    metadata : dict, optional
        Extra string metadata (other values are stored as JSON text). The keys ``format``,
        ``anynn_version``, ``backend`` and ``dtype`` are written by anynn.

    Raises
    ------
    AtomicWriteError
        The file could not be written (disk full, read-only folder); the previous file is untouched.
    """
    kind = single_kind(obj)
    arrays, source = host_arrays({SINGLE_NAME: obj} if kind else obj)
    meta = build_metadata(arrays, source, metadata)
    if kind:
        meta[SINGLE_KIND_KEY] = kind
    elif list(arrays) != sorted(arrays):
        meta[KEY_ORDER_KEY] = json.dumps(list(arrays))
    write_file(path, arrays, meta)


def write_file(path: str | os.PathLike | BinaryIO, arrays: Mapping[str, np.ndarray], meta: dict[str, str]) -> None:
    """Write ``arrays`` and ``meta`` to ``path``: ``.npz`` or safetensors, atomically (an open file: into it)."""
    if callable(getattr(path, "write", None)):
        path.write(serialize(arrays, meta))
        return
    if os.fsdecode(path).endswith(".npz"):
        meta["sha256"] = digest(arrays, meta)
        atomic_write(path, _npz_bytes(arrays, meta))
    else:
        atomic_write(path, serialize(arrays, meta))  # with a checksum over every byte of the file


def build_metadata(arrays: Mapping[str, np.ndarray], source: str,
                   metadata: Mapping[str, Any] | None = None) -> dict[str, str]:
    meta = {"format": FORMAT, "anynn_version": release, "backend": source,
            "dtype": ",".join(sorted({a.dtype.name for a in arrays.values() if a.dtype.kind == "f"}))}
    for key, value in (metadata or {}).items():
        if key in _RESERVED:
            raise ValueError(f"save: metadata key {key!r} is reserved (anynn writes it)")
        meta[str(key)] = value if isinstance(value, str) else json.dumps(value)
    return meta


def digest(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> str:
    """SHA-256 of the names, dtypes, shapes and bytes of ``arrays`` and of ``metadata`` (but its checksums).

    Independent of the file layout: the checksum of ``.npz`` files, and of the safetensors files of
    anynn versions before the whole-file ``file_sha256`` (which `load` still checks with it).
    """
    h = hashlib.sha256()
    h.update(json.dumps({k: v for k, v in metadata.items() if k not in ("sha256", FILE_CHECKSUM)},
                        sort_keys=True).encode())
    for name in sorted(arrays):
        array = arrays[name]
        h.update(json.dumps([name, array.dtype.str, list(array.shape)]).encode())
        h.update(np.ascontiguousarray(array).view(np.uint8).reshape(-1).data if array.size else b"")
    return h.hexdigest()


def verify(path: Any, arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> None:
    """Raise `CorruptFileError` if the file records a checksum that its contents do not match."""
    expected = metadata.get("sha256")
    if expected is None:
        if metadata.get("format") in (FORMAT, "anynn-checkpoint") or "anynn_version" in metadata:
            raise CorruptFileError(path, "the checksum anynn records is missing: the header was damaged")
        return
    if digest(arrays, metadata) != expected:
        raise CorruptFileError(path, "checksum mismatch: the file was damaged or modified after it was saved")


def serialize(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> bytes:
    """The safetensors bytes of ``arrays`` with string ``metadata`` and a whole-file checksum."""
    return encode(arrays, metadata)


def _npz_bytes(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> bytes:
    if NPZ_METADATA_KEY in arrays:
        raise ValueError(f"save: the name {NPZ_METADATA_KEY!r} is reserved in .npz files")
    buffer = io.BytesIO()
    meta = np.frombuffer(json.dumps(dict(metadata)).encode(), dtype=np.uint8)
    np.savez(buffer, **arrays, **{NPZ_METADATA_KEY: meta})
    return buffer.getvalue()


def load(path: str | os.PathLike | BinaryIO, backend: Any = None, check: bool = True, *,
         map_location: Any = None, weights_only: Any = None) -> Any:
    """Load weights saved by `save` (or any safetensors / ``.npz`` file) as Tensors on ``backend``.

    The result fits ``model.load_state_dict`` whatever backend saved the file. A file holding one
    Tensor or NumPy array saved alone gives that Tensor (on ``backend``) or array back.

    Parameters
    ----------
    path : str, PathLike or a binary file opened from a path
    backend : str or Backend, optional
        Where the tensors go (default: the default backend, NumPy unless changed).
    check : bool
        Compare the SHA-256 checksum that `save` records (files from other tools have none).
    map_location : str, device, dict or callable, optional
        ``torch.load``'s name for where the tensors go ("cpu", "cuda", a device, a backend name), read as
        ``Module.to`` reads it against the default backend; ``backend`` wins when both are given. A dict or
        function maps the saved location as PyTorch's does (`mapped_location`).
    weights_only : bool, optional
        Accepted for ``torch.load``'s signature: anynn never unpickles, this load gives tensors only. A file
        holding a whole module (``anynn.save(model, f)``) gives its ``state_dict`` here; ``anynn.load``
        rebuilds the module.

    Raises
    ------
    CorruptFileError
        The file is truncated, corrupt or not safetensors / ``.npz`` (the message names the file).
    """
    path, arrays, metadata = read_checked(path, check)  # (a bad path first: load(model, path) named no backend)
    return tensors_from(arrays, metadata, where_to_load(backend, map_location, metadata.get("backend")))


def mapped_location(map_location: Any, saved: str | None) -> Any:
    """Where ``torch.load``'s ``map_location`` sends data saved from backend key ``saved``: a dict maps the saved
    location ({"cuda:0": "cpu"} loads a GPU checkpoint on the host; a location it does not name gives None, the
    tensors staying where they were saved), a function is called as PyTorch calls it, ``(storage, location)``, with a
    host tensor standing for the storage, and gives its result's device (``lambda storage, loc: storage``: the
    host); a device or name is itself."""
    if isinstance(map_location, Mapping):
        return map_location.get(saved_location(saved))
    if callable(map_location):
        result = map_location(tensor(np.zeros(0, np.float32)), saved_location(saved))
        return getattr(result, "device", result)
    return map_location


def where_to_load(backend: Any, map_location: Any, saved: str | None = None) -> Any:
    """The backend `load` puts tensors on: ``backend``, else ``map_location`` (`mapped_location` of the saving
    backend ``saved``) read against the default backend."""
    location = mapped_location(map_location, saved) if backend is None else None
    if location is not None:
        backend = resolve_device(location, get_backend(None))
    return get_backend(backend)


def tensors_from(arrays: dict[str, np.ndarray], metadata: Mapping[str, str], backend: Any) -> Any:
    """What `load` gives for a file's validated ``arrays``: a dict of Tensors on ``backend``, or the one saved alone."""
    be = backend
    if MODULE_KEY in metadata:
        arrays = {name: array for name, array in arrays.items() if not name.startswith(MODULE_EXTRA_PREFIX)}
    kind = metadata.get(SINGLE_KIND_KEY)
    if kind == "ndarray" and list(arrays) == [SINGLE_NAME]:
        return arrays[SINGLE_NAME]
    loaded = {name: tensor(array, backend=be, dtype=host_dtype_name(array, be)) for name, array in arrays.items()}
    if kind == "tensor" and list(loaded) == [SINGLE_NAME]:
        return loaded[SINGLE_NAME]
    order = json.loads(metadata.get(KEY_ORDER_KEY, "[]"))
    if sorted(order) == sorted(loaded):  # the order the dict had when it was saved
        loaded = {name: loaded[name] for name in order}
    return loaded


def read_checked(path: str | os.PathLike | BinaryIO, check: bool) -> tuple[str, dict[str, np.ndarray], dict[str, str]]:
    """The file's path, arrays and metadata, validated (and its checksum compared with ``check``).

    An open file is read by its name (validated as a path); a file object without one (``io.BytesIO``, a
    socket's file) is read from its position to its end, as ``torch.load`` reads it.
    """
    if callable(getattr(path, "read", None)):
        name = getattr(path, "name", None)
        if not isinstance(name, (str, bytes, os.PathLike)):
            return _read_stream(path, check)
        path = name
    path = as_path(path, "load", "a file path or a binary file")
    arrays, metadata, checked = _read(path, check)
    if check and not checked:
        verify(path, arrays, metadata)
    return path, arrays, metadata


def as_path(path: Any, where: str, what: str = "a file path") -> str:
    """``path`` (str, bytes or PathLike) as a str; anything else a TypeError naming ``where``, with the way to load into
    a model where ``path`` is one (``load(model, path)``: save's order, the model first)."""
    if not isinstance(path, (str, bytes, os.PathLike)):
        hint = (" (to load into a model: model.load_state_dict(anynn.io.load(path)), or load_checkpoint(path, "
                "model=model))" if callable(getattr(path, "load_state_dict", None)) else "")
        raise TypeError(f"{where}: expected {what}, got {type(path).__name__}{hint}")
    return os.fsdecode(path)


def _read_stream(stream: BinaryIO, check: bool) -> tuple[str, dict[str, np.ndarray], dict[str, str]]:
    """`read_checked` of a file object without a path: its remaining bytes, checked through a temporary file
    (the readers validate files by path); the arrays are copies in memory, so the file is removed at once."""
    data = stream.read()
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"load: the file object gave {type(data).__name__}, not bytes; open it in binary mode ('rb')")
    fd, temp = tempfile.mkstemp(prefix="anynn-load-from-file-object-", suffix=".safetensors")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        return read_checked(temp, check)
    finally:
        os.unlink(temp)


def load_arrays(path: str | os.PathLike, check: bool = True) -> dict[str, np.ndarray]:
    """The arrays of a safetensors or ``.npz`` file as NumPy arrays (validated, checksum compared)."""
    path = os.fsdecode(path)  # str, bytes or PathLike
    arrays, metadata, checked = _read(path, check)
    if check and not checked:  # files without a whole-file checksum: earlier anynn versions, .npz
        verify(path, arrays, metadata)
    return arrays


def load_metadata(path: str | os.PathLike) -> dict[str, str]:
    """The string metadata of a file written by `save` (``{}`` for files without any)."""
    path = os.fsdecode(path)
    if _is_zip(path):
        return _read(path, check=False)[1]
    return dict(read_safetensors_header(path).get("__metadata__") or {})


def _read(path: str | os.PathLike, check: bool) -> tuple[dict[str, np.ndarray], dict[str, str], bool]:
    """Arrays, metadata, and whether a whole-file checksum was verified."""
    refuse_torch_pickle(path)
    if _is_zip(path):
        return (*_read_npz(path), False)
    with _as_corrupt(path):
        return decode(path, check)


def _read_npz(path: str | os.PathLike) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    check_npz(path)
    with _as_corrupt(path):
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    meta_array = arrays.pop(NPZ_METADATA_KEY, None)
    metadata: dict[str, str] = {}
    if meta_array is not None:
        with _as_corrupt(path):
            metadata = json.loads(meta_array.tobytes().decode())
        if not isinstance(metadata, dict):
            raise CorruptFileError(path, "the .npz metadata is not a JSON object")
    for name, array in arrays.items():
        if array.dtype.kind not in "biufc":
            raise CorruptFileError(path, f"array {name!r} has unsupported dtype {array.dtype}")
    return arrays, metadata


def _is_zip(path: str | os.PathLike) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"PK\x03\x04"


class _as_corrupt:  # noqa: N801 - used as a context manager, reads like one
    """Turn any parser failure (including a Rust panic, a BaseException) into `CorruptFileError`."""

    def __init__(self, path: Any) -> None:
        self.path = path

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if exc is None or isinstance(exc, (CorruptFileError, KeyboardInterrupt, SystemExit, MemoryError,
                                           FileNotFoundError, IsADirectoryError, PermissionError)):
            return False
        if isinstance(exc, (Exception, zipfile.BadZipFile)) or type(exc).__name__ == "PanicException":
            raise CorruptFileError(self.path, f"cannot be read ({type(exc).__name__}: {exc})") from exc
        return False


__all__ = ["digest", "host_arrays", "host_dtype_name", "load", "load_arrays", "load_metadata", "read_checked", "save",
           "serialize", "tensors_from", "to_host", "verify", "where_to_load", "write_file"]
