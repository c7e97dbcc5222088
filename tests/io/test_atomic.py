"""Atomic writes: a crash, a full disk or a read-only folder never damages the previous file."""

from __future__ import annotations

import errno
import os
import random
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from anynn import nn
from anynn.io import AtomicWriteError, atomic_open, atomic_write, load_arrays, load_metadata, save
from anynn.io import atomic as atomic_module

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def leftovers(folder) -> list[str]:
    return [n for n in os.listdir(folder) if n.endswith(".tmp")]


def test_atomic_write_replaces_the_file_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write(path, b"old")
    os.chmod(path, 0o640)
    atomic_write(path, b"new contents")
    assert path.read_bytes() == b"new contents"
    assert os.stat(path).st_mode & 0o777 == 0o640  # permissions of the file it replaced
    assert leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes are POSIX")
def test_a_named_pipe_is_written_into_not_replaced(tmp_path):
    """A path that is a device or a pipe (/dev/null, a FIFO a reader drains) is written as open(path, "wb") writes
    it, as torch.save: the temporary file was renamed over it, so saving to /dev/null replaced the device with a
    regular file."""
    import stat
    import threading

    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    save(nn.Linear(2, 3, seed=0), pipe)
    reader.join(timeout=10)
    assert stat.S_ISFIFO(os.stat(pipe).st_mode) and os.listdir(tmp_path) == ["pipe"]
    (tmp_path / "copy.safetensors").write_bytes(received[0])
    assert sorted(load_arrays(tmp_path / "copy.safetensors")) == ["bias", "weight"]


def test_an_error_while_writing_keeps_the_old_file_and_removes_the_temporary_one(tmp_path):
    path = tmp_path / "f.bin"
    atomic_write(path, b"old")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_open(path) as f:
            f.write(b"half of the new")
            raise RuntimeError("boom")
    assert path.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("code", sorted({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}))
def test_a_full_disk_raises_a_clear_error_and_removes_the_temporary_file(tmp_path, monkeypatch, code):
    path = tmp_path / "model.safetensors"
    save(nn.Linear(2, 2, seed=0), path)
    before = path.read_bytes()

    def full(fd):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic_module.os, "fsync", full)
    with pytest.raises(AtomicWriteError, match=r"no space left.*previous file, if any, is unchanged") as info:
        save(nn.Linear(2, 2, seed=1), path)
    assert info.value.errno == code and isinstance(info.value, OSError)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES])
def test_a_read_only_folder_raises_a_clear_error(tmp_path, monkeypatch, code):
    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(atomic_module.tempfile, "mkstemp", refuse)
    with pytest.raises(AtomicWriteError, match=r"model.safetensors.*is not writable"):
        save(nn.Linear(2, 2, seed=0), tmp_path / "model.safetensors")
    assert os.listdir(tmp_path) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write into read-only folders")
def test_a_really_read_only_folder(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir()
    os.chmod(folder, 0o555)
    try:
        with pytest.raises(AtomicWriteError, match="not writable"):
            save(nn.Linear(2, 2, seed=0), folder / "model.safetensors")
        assert os.listdir(folder) == []
    finally:
        os.chmod(folder, 0o755)


def test_a_missing_folder_raises_a_clear_error(tmp_path):
    with pytest.raises(AtomicWriteError, match="does not exist"):
        atomic_write(tmp_path / "no" / "such" / "f.bin", b"x")


# -- SIGKILL in the middle of a save -------------------------------------------------------------
SAVER = r"""
import sys
import numpy as np
from anynn.io import save
path = sys.argv[1]
rng = np.random.default_rng(0)
base = rng.standard_normal(4_000_000).astype(np.float32)   # 16 MB per tensor, 32 MB per file
version = 0
while True:
    version += 1
    save({"a": base + version, "b": np.full(4_000_000, version, np.float32)}, path,
         metadata={"version": str(version)})
    print(version, flush=True)
"""


def check_intact(path) -> int:
    """The file loads and is one complete version (every tensor agrees with the metadata)."""
    version = int(load_metadata(path)["version"])
    arrays = load_arrays(path)
    assert np.all(arrays["b"] == version)
    expected_head = np.random.default_rng(0).standard_normal(4)[:4].astype(np.float32) + version
    np.testing.assert_array_equal(arrays["a"][:4], expected_head)
    return version


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_process_killed_while_saving_leaves_the_previous_file_intact(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    script = tmp_path / "saver.py"
    script.write_text(SAVER)
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""), "OMP_NUM_THREADS": "1"}
    chooser = random.Random(1234)
    seen_versions, interrupted = [], 0
    for round_ in range(8):  # at least 3 kills, and more until one lands inside a write (usually at once)
        if round_ >= 3 and interrupted:
            break
        proc = subprocess.Popen([sys.executable, str(script), str(path)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            first = _read_line(proc, timeout=60.0)  # wait until one save completed in this round
            assert first, f"round {round_}: the saver never finished a save: {proc.stderr.read()[-2000:]}"
            time.sleep(chooser.uniform(0.0, 0.4))  # then kill it at a random point of a later save
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
            proc.stdout.close()
            proc.stderr.close()
        assert proc.returncode == -signal.SIGKILL
        seen_versions.append(check_intact(path))
        strays = leftovers(tmp_path)
        interrupted += bool(strays)
        for stray in strays:  # a killed process cannot clean up; the next save is unaffected
            os.unlink(tmp_path / stray)
    assert all(v >= 1 for v in seen_versions)
    print(f"versions intact after each kill: {seen_versions}; killed mid-write: {interrupted} of {len(seen_versions)}")


def _read_line(proc: subprocess.Popen, timeout: float) -> str:
    """One line of the child's stdout, or '' after ``timeout`` seconds (never blocks forever)."""
    import selectors

    with selectors.DefaultSelector() as selector:
        selector.register(proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if selector.select(timeout=max(0.0, deadline - time.monotonic())):
                return proc.stdout.readline()
            if proc.poll() is not None:
                return ""
    return ""


def test_save_on_a_file_that_is_a_folder_is_clear(tmp_path):
    (tmp_path / "taken").mkdir()
    with pytest.raises(AtomicWriteError, match="taken"):
        atomic_write(tmp_path / "taken", b"x")
    assert leftovers(tmp_path) == []
