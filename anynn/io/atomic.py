"""Atomic file writes: the file at ``path`` is either the old one or the complete new one, never half.

The bytes go to a temporary file in the same folder (so the rename stays on one file system), which
is flushed and fsync'ed, renamed over ``path`` with `os.replace` (atomic on POSIX and Windows), and
the folder is fsync'ed so the rename itself survives a power cut. On any error the temporary file is
removed and a clear `AtomicWriteError` says what happened.

A ``path`` that is a symbolic link is written through: the link stays a link and its target gets the
new bytes (as ``open(path, "w")`` and ``torch.save`` do), the temporary file lying next to the target.

A ``path`` that is neither a regular file nor a folder (a device such as ``/dev/null``, a named pipe) has no
old file to keep and cannot be replaced: it is opened and written as ``open(path, "wb")`` and ``torch.save``
write it, and stays what it was.

A process killed mid-write (``kill -9``) leaves a stray ``.<name>.anynn-<host>-<pid>-<random>.tmp``
next to an intact ``path``. The next save to the same path removes such leftovers of that path, and
only those: files whose name has that exact pattern, written on this host by a process that no longer
runs (or by an earlier process that had the same id, or by this process in a save that has ended).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import socket
import stat
import tempfile
import threading
from typing import IO, Iterator

_NO_SPACE = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}
_HOST = hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
_ACTIVE: set[str] = set()  # this process's temporary files being written now (any thread)
_ACTIVE_LOCK = threading.Lock()


class AtomicWriteError(OSError, RuntimeError):
    """Saving failed (disk full, read-only or missing folder...); the previous file is untouched. A RuntimeError too,
    as ``torch.save``'s ("Parent directory ... does not exist", "PytorchStreamWriter failed writing file")."""


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike) -> Iterator[IO[bytes]]:
    """Open a temporary binary file that replaces ``path`` when the ``with`` block ends without error.

    Example
    -------
    >>> with atomic_open("weights.safetensors") as f:  # doctest: +SKIP
    ...     f.write(payload)
    """
    path = os.fsdecode(path)
    if not path:
        raise AtomicWriteError(errno.ENOENT, "cannot save to an empty path: give a file name")
    if _special_file(path):
        with _written_in_place(path) as f:
            yield f
        return
    target = os.path.realpath(path)  # write through symbolic links, as open(path, "w") does
    folder = os.path.dirname(target)
    if not os.path.isdir(folder):
        raise AtomicWriteError(errno.ENOENT, f"cannot save {path!r}: the folder {folder!r} does not exist")
    if os.path.isdir(target):
        raise AtomicWriteError(errno.EISDIR, f"cannot save {path!r}: it is a folder, not a file")
    prefix = f".{_tag(os.path.basename(target))}.anynn-{_HOST}-"
    remove_stale_temporaries(target)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{prefix}{os.getpid()}-", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise _explain(exc, path, folder) from exc
    with _ACTIVE_LOCK:
        _ACTIVE.add(tmp)
    try:
        _copy_mode(fd, target)
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException as exc:  # KeyboardInterrupt too: never leave the temporary file behind
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError) and not isinstance(exc, AtomicWriteError):
            raise _explain(exc, path, folder) from exc
        raise
    finally:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(tmp)
    _fsync_folder(folder)


def _special_file(path: str) -> bool:
    """Whether ``path`` exists and is neither a regular file nor a folder (a device, a named pipe, a socket)."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


@contextlib.contextmanager
def _written_in_place(path: str) -> Iterator[IO[bytes]]:
    """``path`` (a device or a pipe) opened for writing: renaming a file over it would replace the device."""
    try:
        with open(path, "wb") as f:
            yield f
            f.flush()
    except OSError as exc:
        if isinstance(exc, AtomicWriteError):
            raise
        raise _explain(exc, path, os.path.dirname(os.path.abspath(path))) from exc


def atomic_write(path: str | os.PathLike, data: bytes | bytearray | memoryview) -> None:
    """Write ``data`` to ``path`` atomically (see `atomic_open`)."""
    with atomic_open(path) as f:
        f.write(data)


def remove_stale_temporaries(path: str | os.PathLike) -> list[str]:
    """Remove the temporary files that saves to ``path`` killed mid-write left behind; return their names.

    Only names of the exact form ``.<name>.anynn-<host>-<pid>-<random>.tmp`` next to ``path`` (its
    symbolic links resolved), written on this host, are considered, and only those whose writer is
    gone: no process ``<pid>`` runs, or the one running started after the file was last written
    (the id was reused), or it is this process and the save that wrote the file has ended.
    """
    target = os.path.realpath(os.fsdecode(path))
    folder, name = os.path.split(target)
    pattern = re.compile(rf"\.{re.escape(_tag(name))}\.anynn-{_HOST}-(\d+)-[A-Za-z0-9_]+\.tmp")
    removed = []
    try:
        entries = os.listdir(folder)
    except OSError:
        return removed
    for entry in entries:
        match = pattern.fullmatch(entry)
        if match is None:
            continue
        full = os.path.join(folder, entry)
        with _ACTIVE_LOCK:
            active = full in _ACTIVE
        if active or not _writer_gone(full, int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(full)
            removed.append(entry)
    return removed


def _writer_gone(file: str, pid: int) -> bool:
    if pid == os.getpid():
        return True  # not among this process's active saves (checked by the caller)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OSError, OverflowError):
        pass  # it exists (owned by someone else) or cannot be asked: look at when it started
    started = _process_start_time(pid)
    try:
        written = os.stat(file).st_mtime
    except OSError:
        return False
    return started is not None and written < started - 1.0


def _process_start_time(pid: int) -> float | None:
    """When process ``pid`` started (seconds since the epoch), where ``/proc`` tells; else None."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of stat(5), counted after the command name
        with open("/proc/stat", "rb") as f:
            boot = next(int(line.split()[1]) for line in f if line.startswith(b"btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration, AttributeError):
        return None


def _tag(name: str) -> str:
    """The file name as it appears in temporary names (hashed when long, to stay under NAME_MAX)."""
    return name if len(name) <= 120 else name[:40] + "~" + hashlib.sha256(name.encode()).hexdigest()[:16]


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
