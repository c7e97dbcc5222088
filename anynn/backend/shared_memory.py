"""Host arrays that other processes map: NumPy arrays in anonymous shared segments (`anynn.multiprocessing`).

A segment is an anonymous file (``memfd_create``; where the system has none, a temporary file unlinked at once)
mapped ``MAP_SHARED``. It has no name under ``/dev/shm``, so nothing is left behind when the processes end, even
killed ones: the kernel frees the pages when the last mapping and the last descriptor close. The descriptor stays
open while the array lives, so the array can be sent on: the multiprocessing pickler passes a duplicate of it
(``multiprocessing.reduction.DupFd``: inherited at a spawn start, handed over a Unix socket otherwise) and the
receiver maps the same pages. A fork-started child inherits the mapping itself. This is PyTorch's
``"file_descriptor"`` sharing strategy.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import weakref
from typing import Any, Callable

import numpy as np


class Segment(mmap.mmap):
    """A shared mapping of an anonymous file whose descriptor ``fd`` is closed when the mapping is freed."""

    fd: int


def _anonymous_file(size: int) -> int:
    """A descriptor of a new ``size``-byte file that no path names."""
    if hasattr(os, "memfd_create"):
        fd = os.memfd_create("anynn-shared", os.MFD_CLOEXEC)
    else:  # pragma: no cover - systems without memfd (macOS)
        fd, path = tempfile.mkstemp(prefix="anynn-shared-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        os.unlink(path)
    try:
        os.ftruncate(fd, size)
    except OSError:
        os.close(fd)
        raise
    return fd


def _map(fd: int, size: int) -> Segment:
    """Map ``size`` bytes of ``fd`` shared; the segment owns ``fd`` from here on."""
    try:
        segment = Segment(fd, size)
    except (OSError, ValueError):
        os.close(fd)
        raise
    segment.fd = fd
    weakref.finalize(segment, os.close, fd)
    return segment


def segment_of(array: Any) -> Segment | None:
    """The segment whose memory ``array`` (a NumPy array, or a view of one) uses, or ``None``."""
    owner = array
    while isinstance(owner, np.ndarray):
        owner = owner.base
    if isinstance(owner, memoryview):
        owner = owner.obj
    return owner if isinstance(owner, Segment) else None


def to_shared(array: np.ndarray, op: str = "share_memory_") -> np.ndarray:
    """``array`` itself if it is in a segment already, else a C-ordered copy of it in a new segment."""
    if segment_of(array) is not None:
        return array
    if array.dtype.hasobject:
        raise TypeError(f"{op}: an array of Python objects (dtype {array.dtype}) cannot live in shared memory")
    size = max(array.nbytes, 1)  # an empty array still gets a (one-byte) segment: mmap refuses length 0
    out: np.ndarray = np.ndarray(array.shape, array.dtype, buffer=_map(_anonymous_file(size), size))
    out[...] = array
    return out


def _address(segment: Segment) -> int:
    return np.frombuffer(segment, np.uint8).__array_interface__["data"][0]


def reduction(array: np.ndarray) -> tuple[Callable[..., np.ndarray], tuple[Any, ...]]:
    """How the multiprocessing pickler sends a shared ``array``: the segment's descriptor and the view's place in it."""
    from multiprocessing.reduction import DupFd  # here: `import anynn` need not load multiprocessing

    segment = segment_of(array)
    if segment is None:
        raise ValueError("reduction: the array is not in shared memory (call to_shared first)")
    offset = array.__array_interface__["data"][0] - _address(segment)
    return rebuild, (DupFd(segment.fd), len(segment), offset, array.shape, array.strides, array.dtype)


def rebuild(handle: Any, size: int, offset: int, shape: tuple[int, ...], strides: tuple[int, ...],
            dtype: np.dtype) -> np.ndarray:
    """In the receiving process: map the sender's segment and view it as the sender's array."""
    segment = _map(handle.detach(), size)
    return np.ndarray(shape, dtype, buffer=segment, offset=offset, strides=strides)
