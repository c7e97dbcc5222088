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
            head = f.read(2)
    except OSError:
        return  # the reader reports missing or unreadable files itself
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        raise CorruptFileError(path, ADVICE)
    if head == b"PK":
        try:
            with zipfile.ZipFile(path) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError, NotImplementedError, EOFError,
                OverflowError, zipfile.LargeZipFile):
            return  # not a readable zip: the .npz reader says what is wrong with it
        if any(n == "data.pkl" or n.endswith("/data.pkl") for n in names):
            raise CorruptFileError(path, ADVICE)
