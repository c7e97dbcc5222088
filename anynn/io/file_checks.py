"""Check a weights file before any library parses it: a bad file gives `CorruptFileError`, never a crash.

A safetensors file is an 8-byte little-endian header length ``N``, ``N`` bytes of JSON, then the raw
tensor bytes. Everything the header declares is checked against the real file size before anything
is read or allocated, so a huge declared length cannot make the loader hang or run out of memory.
"""

from __future__ import annotations

import json
import math
import os
import zipfile
from pickle import UnpicklingError  # the exception class alone (what torch.load raises): nothing unpickles
from typing import Any

import numpy as np

# the safetensors library refuses headers above 100 MB too
MAX_HEADER_BYTES = 100 * 1024 * 1024

ITEMSIZE = {"BOOL": 1, "U8": 1, "I8": 1, "U16": 2, "I16": 2, "F16": 2, "BF16": 2, "U32": 4, "I32": 4,
            "F32": 4, "U64": 8, "I64": 8, "F64": 8, "C64": 8}


class CorruptFileError(ValueError, RuntimeError, UnpicklingError):
    """A weights or checkpoint file is corrupt, truncated or not in the expected format.

    The message names the file and what is wrong with it; ``.path`` holds the file name. A RuntimeError too, as
    ``torch.load``'s refusal of a truncated or damaged file ("PytorchStreamReader failed reading zip archive"), and
    a ``pickle.UnpicklingError``, as its refusal of a file that is no zip archive ("invalid load key"; "Weights
    only load failed" under ``weights_only``), which ported programs catch.
    """

    def __init__(self, path: Any, reason: str) -> None:
        self.path = os.fspath(path) if isinstance(path, (str, os.PathLike)) else str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class EmptyFileError(CorruptFileError, EOFError):
    """A file of no bytes (an interrupted save's leftover): ``torch.load`` raises EOFError there."""


def read_safetensors_header(path: str | os.PathLike) -> dict[str, Any]:
    """Validate the safetensors file at ``path`` and return its parsed header.

    Checks the header length against the file size, that the header is a JSON object, that every
    tensor entry has a known dtype, a non-negative integer shape and byte offsets matching that
    shape, and that the tensors tile the data section exactly (no gaps, no overlap, nothing beyond
    the end of the file).

    Returns
    -------
    dict
        ``{name: {"dtype": str, "shape": [int], "data_offsets": [begin, end]}}`` plus the optional
        ``"__metadata__"`` dict of strings.

    Raises
    ------
    CorruptFileError
        Anything wrong, with the file name and the reason.
    FileNotFoundError
        There is no file at ``path``.
    """
    return read_header_bytes(path)[0]


def read_header_bytes(path: str | os.PathLike) -> tuple[dict[str, Any], bytes]:
    """`read_safetensors_header`, plus the header's raw bytes (which a whole-file checksum covers)."""
    size = os.path.getsize(path)
    if size < 8:
        raise (EmptyFileError if size == 0 else CorruptFileError)(
            path, f"not a safetensors file: {size} bytes, too short for a header")
    with open(path, "rb") as f:
        header_len = int.from_bytes(f.read(8), "little")
        if header_len > size - 8:
            raise CorruptFileError(path, f"truncated or not a safetensors file: the header declares {header_len} "
                                         f"bytes but the file has only {size - 8} after the length field")
        if header_len > MAX_HEADER_BYTES:
            raise CorruptFileError(path, f"header of {header_len} bytes is larger than the {MAX_HEADER_BYTES} allowed")
        raw = f.read(header_len)
    if len(raw) != header_len:
        raise CorruptFileError(path, "the file changed size while it was read")
    return parse_header(path, raw, size - 8 - header_len), raw


def parse_header(path: Any, raw: bytes, data_size: int) -> dict[str, Any]:
    """Parse and check header bytes ``raw`` of a file whose data section holds ``data_size`` bytes."""
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise CorruptFileError(path, f"the header is not valid JSON ({type(exc).__name__}: {exc})") from None
    if not isinstance(header, dict):
        raise CorruptFileError(path, f"the header is a JSON {type(header).__name__}, not an object")
    spans = []
    for name, entry in header.items():
        if name == "__metadata__":
            if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
                raise CorruptFileError(path, "__metadata__ must be an object of strings")
            continue
        spans.append(_check_entry(path, name, entry))
    spans.sort()
    position = 0
    for begin, end, name in spans:
        if begin != position:
            what = "overlaps another tensor" if begin < position else "leaves a gap before it"
            raise CorruptFileError(path, f"tensor {name!r} starts at byte {begin} and {what}")
        position = end
    if position != data_size:
        raise CorruptFileError(path, f"the tensors cover {position} bytes but the data section has {data_size}"
                                     + (" (truncated file)" if position > data_size else ""))
    return header


def _check_entry(path: Any, name: str, entry: Any) -> tuple[int, int, str]:
    if not isinstance(entry, dict):
        raise CorruptFileError(path, f"tensor {name!r}: entry is not an object")
    dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
    if dtype not in ITEMSIZE:
        raise CorruptFileError(path, f"tensor {name!r}: unsupported dtype {dtype!r}")
    if not isinstance(shape, list) or not all(_is_int(n) and n >= 0 for n in shape):
        raise CorruptFileError(path, f"tensor {name!r}: shape must be a list of non-negative integers, got {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(_is_int(o) for o in offsets)
            and 0 <= offsets[0] <= offsets[1]):
        raise CorruptFileError(path, f"tensor {name!r}: bad data_offsets {offsets!r}")
    nbytes = math.prod(shape) * ITEMSIZE[dtype]
    if offsets[1] - offsets[0] != nbytes:
        raise CorruptFileError(path, f"tensor {name!r}: shape {shape} of {dtype} needs {nbytes} bytes, "
                                     f"the offsets give {offsets[1] - offsets[0]}")
    return offsets[0], offsets[1], name


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_npz(path: str | os.PathLike) -> None:
    """Validate a ``.npz`` archive before NumPy reads it (NumPy allocates what a member declares).

    Every member must be a ``.npy`` file whose declared array fits in the member's stored size, and
    compressed members may not expand more than 1000-fold.
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(path)
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                if not info.filename.endswith(".npy"):
                    raise CorruptFileError(path, f"member {info.filename!r} is not a .npy array")
                if info.compress_type != zipfile.ZIP_STORED and info.file_size > 1000 * max(info.compress_size, 1):
                    raise CorruptFileError(path, f"member {info.filename!r} expands suspiciously "
                                                 f"({info.compress_size} -> {info.file_size} bytes)")
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape, _, dtype = read_header(member)
                    if dtype.hasobject:
                        raise CorruptFileError(path, f"member {info.filename!r} holds Python objects (refused)")
                    if math.prod(shape) * dtype.itemsize > info.file_size:
                        raise CorruptFileError(path, f"member {info.filename!r} declares shape {shape} of {dtype}, "
                                                     f"larger than its {info.file_size} bytes")
    except CorruptFileError:
        raise
    except (zipfile.BadZipFile, ValueError, OSError, EOFError, KeyError, RuntimeError, NotImplementedError,
            zipfile.LargeZipFile, OverflowError) as exc:
        raise CorruptFileError(path, f"not a valid .npz archive ({type(exc).__name__}: {exc})") from None


class restoring:  # noqa: N801 - a context manager
    """Saved state that a restore method cannot take means the file's metadata is damaged: `CorruptFileError`."""

    def __init__(self, path: Any, what: str) -> None:
        self.path, self.what = path, what

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> bool:
        if isinstance(exc, (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError)) and \
                not isinstance(exc, CorruptFileError):
            raise CorruptFileError(self.path, f"the saved {self.what} state cannot be restored "
                                              f"({type(exc).__name__}: {exc})") from exc
        return False
