"""Atomic file writes: the file at ``path`` is either the old one or the complete new one, never half.

The bytes go to a temporary file in the same folder (so the rename stays on one file system), which
is flushed and fsync'ed, renamed over ``path`` with `os.replace` (atomic on POSIX and Windows), and
the folder is fsync'ed so the rename itself survives a power cut. On any error the temporary file is
removed and a clear `AtomicWriteError` says what happened. A process killed mid-write leaves at most
a stray ``.<name>.*.tmp`` file next to an intact ``path``.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from typing import IO, Iterator

_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


class AtomicWriteError(OSError):
    """Saving failed (disk full, read-only or missing folder...); the previous file is untouched."""


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a temporary binary file that replaces ``path`` when the ``with`` block ends without error.

    Example
    -------
    >>> with atomic_open("weights.safetensors") as f:  # doctest: +SKIP
    ...     f.write(payload)
    """
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise AtomicWriteError(errno.ENOENT, f"cannot save {path!r}: the folder {folder!r} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _explain(exc, path, folder) from exc
    try:
        _copy_mode(fd, path)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as exc:  # KeyboardInterrupt too: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, AtomicWriteError):
            raise _explain(exc, path, folder) from exc
        raise
    _fsync_folder(folder)


def atomic_write(path: str | os.PathLike, data: bytes | bytearray | memoryview) -> None:
    """Write ``data`` to ``path`` atomically (see `atomic_open`)."""
    with atomic_open(path) as f:
        f.write(data)


def _copy_mode(fd: int, path: str) -> None:
    """Give the new file the old one's permissions (``mkstemp`` makes it owner-only)."""
    if not hasattr(os, "fchmod"):
        return
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = 0o644
    with contextlib.suppress(OSError):
        os.fchmod(fd, mode)


def _fsync_folder(folder: str) -> None:
    """Persist the rename; folders cannot be opened (or need not be synced) on some systems."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _explain(exc: OSError, path: str, folder: str) -> AtomicWriteError:
    if exc.errno in _NO_SPACE:
        reason = f"no space left on the device holding {folder!r}; free some space and save again"
    elif exc.errno in _NOT_WRITABLE:
        reason = f"the folder {folder!r} is not writable (read-only or no permission); save elsewhere"
    else:
        reason = f"{type(exc).__name__}: {exc}"
    return AtomicWriteError(exc.errno or errno.EIO,
                            f"cannot save {path!r}: {reason}. The previous file, if any, is unchanged")
