"""Recognise a ``torch.save`` file (a pickle, or a zip holding one) and refuse it with the way out."""

from __future__ import annotations

import os
import zipfile

from .file_checks import CorruptFileError

ADVICE = ("it is a torch.save (pickle) file, and anynn never unpickles (a pickle can run code). Save the weights "
          "with safetensors instead: `from safetensors.torch import save_file; "
          "save_file(model.state_dict(), 'model.safetensors')`, then anynn.load('model.safetensors')")


def refuse_torch_pickle(path: str | os.PathLike) -> None:
    """Raise `CorruptFileError` with `ADVICE` if ``path`` is a ``torch.save`` file (zip with ``data.pkl``, or a
    bare pickle, whose first byte is the PROTO opcode 0x80)."""
    try:
        with open(path, "rb") as f:
            head = f.read(9)
            size = os.fstat(f.fileno()).st_size
    except OSError:
        return  # the reader reports missing or unreadable files itself
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05") and not _safetensors_head(head, size):
        raise CorruptFileError(path, ADVICE)
    if head[:2] == b"PK":
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError, NotImplementedError, EOFError,
                OverflowError, zipfile.LargeZipFile):
            return  # not a readable zip: the .npz reader says what is wrong with it
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            raise CorruptFileError(path, ADVICE)


def _safetensors_head(head: bytes, size: int) -> bool:
    """A safetensors file whose 8-byte header length starts with the bytes of a pickle's PROTO opcode (a header of
    640, 896, 1152 or 1408 bytes): the length fits the file and the JSON header follows."""
    return len(head) == 9 and head[8:9] == b"{" and int.from_bytes(head[:8], "little") <= size - 8
