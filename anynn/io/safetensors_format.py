"""The safetensors format, written and read by anynn itself, with a checksum over every byte of the file.

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON (padded with
spaces to a multiple of 8), then the raw little-endian tensor bytes. Writing it here (rather than through
``safetensors.numpy``) lets anynn store bfloat16, which NumPy lacks, and lets the checksum cover the header
bytes themselves: the metadata entry ``file_sha256`` is the SHA-256 of the whole file with that entry's
own 64 hex digits replaced by zeros, so any damaged byte (a space of the header turned into ``\\r``
included) is detected. The files stay plain safetensors: the ``safetensors`` library and PyTorch read them.
"""

from __future__ import annotations

import hashlib
import json
import os
from typing import Any, Mapping

import numpy as np

from .file_checks import CorruptFileError, read_header_bytes

FILE_CHECKSUM = "file_sha256"
_BLANK = "0" * 64
_CODES = {"bool": "BOOL", "uint8": "U8", "int8": "I8", "uint16": "U16", "int16": "I16", "float16": "F16",
          "uint32": "U32", "int32": "I32", "float32": "F32", "uint64": "U64", "int64": "I64", "float64": "F64",
          "complex64": "C64"}
_NUMPY = {code: np.dtype(name).newbyteorder("<") for name, code in _CODES.items()}
# metadata: the names of complex128 tensors, which safetensors has no code for: each is stored as its float64 real
# view, shape (..., 2) (real and imaginary parts), and read back as complex128
COMPLEX128 = "anynn_complex128"


class Bfloat16Host(np.ndarray):
    """Float32 host values that are exactly bfloat16 ones (NumPy has no bfloat16): stored as ``BF16``.

    bfloat16 is float32's upper 16 bits, so widening is exact and storing drops only zero bits.
    """


def as_bfloat16_host(values: np.ndarray) -> Bfloat16Host:
    """Mark float32 ``values`` (widened from bfloat16) to be stored as bfloat16."""
    return np.ascontiguousarray(values, dtype=np.float32).view(Bfloat16Host)


def is_bfloat16_host(array: Any) -> bool:
    return isinstance(array, Bfloat16Host)


def _code_and_bytes(name: str, array: np.ndarray) -> tuple[str, bytes | memoryview]:
    if isinstance(array, Bfloat16Host):
        bits = (np.asarray(array, dtype="<f4").view("<u4") >> 16).astype("<u2")
        return "BF16", bits.data if bits.size else b""
    code = _CODES.get(array.dtype.name)
    if code is None:
        raise TypeError(f"save: tensor {name!r} has dtype {array.dtype}, which safetensors cannot store")
    little = np.ascontiguousarray(array, dtype=_NUMPY[code])
    return code, little.reshape(-1).view(np.uint8).data if little.size else b""


def encode(arrays: Mapping[str, np.ndarray], metadata: Mapping[str, str]) -> bytes:
    """The safetensors bytes of ``arrays`` with string ``metadata``, plus the ``file_sha256`` entry.

    Tensors are laid out largest item size first, then by name (as the safetensors library does), so
    every tensor starts aligned to its item size.
    """
    if FILE_CHECKSUM in metadata or COMPLEX128 in metadata:
        raise ValueError(f"save: metadata keys {FILE_CHECKSUM!r} and {COMPLEX128!r} are reserved (anynn writes them)")
    wide = sorted(name for name, array in arrays.items() if array.dtype == np.complex128)
    if wide:
        arrays = {**arrays, **{name: _real_view(arrays[name]) for name in wide}}
        metadata = {**metadata, COMPLEX128: json.dumps(wide)}
    parts = []
    header: dict[str, Any] = {"__metadata__": {**metadata, FILE_CHECKSUM: _BLANK}}
    position = 0
    for name in sorted(arrays, key=lambda n: (-_itemsize(arrays[n]), n)):
        if name == "__metadata__":
            raise ValueError("save: the tensor name '__metadata__' is reserved by safetensors")
        code, raw = _code_and_bytes(name, arrays[name])
        size = len(raw) if isinstance(raw, bytes) else raw.nbytes
        header[name] = {"dtype": code, "shape": list(arrays[name].shape),
                        "data_offsets": [position, position + size]}
        parts.append(raw)
        position += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    blob = bytearray(len(text).to_bytes(8, "little") + text)
    for raw in parts:
        blob += raw
    marker = _marker(_BLANK)
    at = blob.index(marker, 8)
    checksum = hashlib.sha256(blob).hexdigest()
    blob[at:at + len(marker)] = _marker(checksum)
    return bytes(blob)


def _real_view(array: np.ndarray) -> np.ndarray:
    """A complex128 array as float64 of shape ``(..., 2)``: real and imaginary parts side by side."""
    return np.ascontiguousarray(array, dtype="<c16").view("<f8").reshape(array.shape + (2,))


def _complex_again(name: str, array: np.ndarray, path: str | os.PathLike) -> np.ndarray:
    if array.dtype != np.float64 or array.ndim == 0 or array.shape[-1] != 2:
        raise CorruptFileError(path, f"tensor {name!r} is listed as complex128 but holds {array.dtype} of shape "
                                     f"{array.shape}, not float64 pairs")
    return np.ascontiguousarray(array).view(np.complex128).reshape(array.shape[:-1])


def _itemsize(array: np.ndarray) -> int:
    return 2 if isinstance(array, Bfloat16Host) else array.dtype.itemsize


def _marker(checksum: str) -> bytes:
    return f'"{FILE_CHECKSUM}":"{checksum}"'.encode()


def decode(path: str | os.PathLike, check: bool = True) -> tuple[dict[str, np.ndarray], dict[str, str], bool]:
    """Read and validate the safetensors file at ``path``.

    Returns the arrays (bfloat16 widened exactly to float32, as `Bfloat16Host`), the metadata, and
    whether a whole-file checksum was found and matched (False for files without one; with ``check``
    a mismatch raises `CorruptFileError`).
    """
    header, raw = read_header_bytes(path)
    metadata = dict(header.get("__metadata__") or {})
    with open(path, "rb") as f:
        f.seek(8 + len(raw))
        data = bytearray(f.read())
    checked = False
    expected = metadata.get(FILE_CHECKSUM)
    if check and expected is not None:
        marker = _marker(expected)
        if raw.count(marker) != 1:
            raise CorruptFileError(path, "checksum mismatch: the header was damaged (its checksum entry is altered)")
        h = hashlib.sha256(len(raw).to_bytes(8, "little"))
        h.update(raw.replace(marker, _marker(_BLANK)))
        h.update(data)
        if h.hexdigest() != expected:
            raise CorruptFileError(path, "checksum mismatch: the file was damaged or modified after it was saved")
        checked = True
    arrays = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        shape = tuple(entry["shape"])
        if entry["dtype"] == "BF16":
            bits = np.frombuffer(data, dtype="<u2", count=(end - begin) // 2, offset=begin)
            arrays[name] = (bits.astype(np.uint32) << 16).view(np.float32).reshape(shape).view(Bfloat16Host)
            continue
        dtype = _NUMPY[entry["dtype"]]
        array = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize, offset=begin).reshape(shape)
        if begin % dtype.itemsize or not dtype.isnative:
            array = array.astype(dtype.newbyteorder("="))  # aligned, native copy
        arrays[name] = array  # a writeable view of the file's bytes (one buffer, read once)
    if COMPLEX128 in metadata:
        try:
            wide = json.loads(metadata.pop(COMPLEX128))
        except ValueError:
            raise CorruptFileError(path, f"the metadata entry {COMPLEX128!r} is not JSON") from None
        if not isinstance(wide, list) or not all(isinstance(n, str) and n in arrays for n in wide):
            raise CorruptFileError(path, f"the metadata entry {COMPLEX128!r} names tensors the file does not hold")
        arrays.update({name: _complex_again(name, arrays[name], path) for name in wide})
    return arrays, metadata, checked
