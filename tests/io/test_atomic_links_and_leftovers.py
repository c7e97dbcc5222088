"""Atomic saves through symbolic links, and the cleanup of temporary files that a ``kill -9`` left behind."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from anynn import nn, optim
from anynn.io import load, load_checkpoint, save, save_checkpoint
from anynn.io.atomic import _HOST, atomic_write, remove_stale_temporaries

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
posix_only = pytest.mark.skipif(os.name != "posix", reason="symbolic links and kill -9 as on POSIX")


def model_on(backend_name: str, seed: int) -> nn.Module:
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2), backend=backend_name, seed=seed)


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@posix_only
@pytest.mark.parametrize("backend_name", ["numpy", "torch", "array_api_strict"])
def test_saving_to_a_symlink_writes_through_to_its_target(tmp_path, backend_name):
    (tmp_path / "runs").mkdir()
    target = tmp_path / "runs" / "w.safetensors"
    link = tmp_path / "latest.safetensors"
    save(model_on(backend_name, 0), target)
    link.symlink_to(os.path.join("runs", "w.safetensors"))  # relative, as `ln -s` makes them
    new = model_on(backend_name, 1)
    save(new, link)
    assert link.is_symlink() and os.readlink(link) == os.path.join("runs", "w.safetensors")
    for name, value in new.state_dict().items():  # the target holds the new weights
        np.testing.assert_array_equal(load(target)[name].numpy(), value.numpy(), err_msg=name)
    assert sorted(os.listdir(tmp_path)) == ["latest.safetensors", "runs"]
    assert os.listdir(tmp_path / "runs") == ["w.safetensors"]  # the temporary file was next to the target


@posix_only
def test_checkpoints_chains_of_links_and_dangling_links_write_through(tmp_path):
    model = model_on("numpy", 0)
    target = tmp_path / "real.ckpt"
    (tmp_path / "b").symlink_to("real.ckpt")  # dangling: open(path, "w") creates the target
    (tmp_path / "a").symlink_to("b")
    save_checkpoint(tmp_path / "a", model=model, optimizer=optim.SGD(model.parameters(), lr=0.1), epoch=3)
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink() and target.is_file()
    assert load_checkpoint(target, restore_rng=False)["epoch"] == 3
    os.chmod(target, 0o640)
    atomic_write(tmp_path / "a", b"x")
    assert target.read_bytes() == b"x" and (os.stat(target).st_mode & 0o777) == 0o640


def leftover(folder, name: str, pid: int, host: str = _HOST, age: float = 0.0, tail: str = "abc_12xy") -> str:
    entry = f".{name}.anynn-{host}-{pid}-{tail}.tmp"
    path = os.path.join(folder, entry)
    with open(path, "wb") as f:
        f.write(b"half a file")
    if age:
        os.utime(path, (time.time() - age, time.time() - age))
    return entry


@posix_only
def test_a_save_removes_the_leftovers_of_killed_saves_of_that_path_and_nothing_else(tmp_path):
    gone = dead_pid()
    stale = [leftover(tmp_path, "w.safetensors", gone),
             leftover(tmp_path, "w.safetensors", os.getpid())]  # this process, in no save now
    if os.path.exists("/proc/self/stat"):  # a live process that started after the file was written: a reused id
        stale.append(leftover(tmp_path, "w.safetensors", os.getppid(), age=10 * 365 * 86400, tail="old"))
    kept = [leftover(tmp_path, "w.safetensors", os.getppid()),  # its writer may still be running
            leftover(tmp_path, "other.safetensors", gone),  # another path's
            leftover(tmp_path, "w.safetensors", gone, host="0123abcd" if _HOST != "0123abcd" else "fedc9876"),
            ".w.safetensors.k3j4h5g6.tmp",  # not named by anynn
            "w.safetensors.anynn-x.tmp", ".w.safetensors.anynn-notes.txt"]
    for name in kept[3:]:
        (tmp_path / name).write_bytes(b"keep me")
    save(model_on("numpy", 0), tmp_path / "w.safetensors")
    left = set(os.listdir(tmp_path))
    assert not left & set(stale), left & set(stale)
    assert left == set(kept) | {"w.safetensors"}


@posix_only
def test_remove_stale_temporaries_spares_a_save_in_progress_in_this_process(tmp_path):
    from anynn.io.atomic import atomic_open

    path = tmp_path / "w.bin"
    with atomic_open(path) as f:
        f.write(b"partial")
        (entry,) = [e for e in os.listdir(tmp_path) if e.startswith(".w.bin.anynn-")]
        assert remove_stale_temporaries(path) == []  # another thread saving the same path would call this
        assert entry in os.listdir(tmp_path)
    assert path.read_bytes() == b"partial" and os.listdir(tmp_path) == ["w.bin"]


KILLED_SAVER = r"""
import sys, time
from anynn.io.atomic import atomic_open
with atomic_open(sys.argv[1]) as f:
    f.write(b"x" * 1_000_000)
    f.flush()
    print("writing", flush=True)
    time.sleep(120)
"""


@posix_only
@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_kill_9_leftovers_no_longer_accumulate(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    for _ in range(3):
        proc = subprocess.Popen([sys.executable, "-c", KILLED_SAVER, str(path)], env=env, stdout=subprocess.PIPE)
        try:
            assert proc.stdout.readline() == b"writing\n"
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=30)
            proc.stdout.close()
        assert len([e for e in os.listdir(tmp_path) if e.endswith(".tmp")]) == 1  # the killed save's
        save(model_on("numpy", 0), path)
        assert os.listdir(tmp_path) == ["ckpt.safetensors"]


def test_the_host_tag_is_stable():
    import hashlib

    assert _HOST == hashlib.sha256(socket.gethostname().encode()).hexdigest()[:8]
