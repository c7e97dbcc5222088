"""Fuzzing the loaders: random bytes, truncations, huge declared header sizes and flipped header bytes
give `CorruptFileError` (or, for harmless flips, a normal load), never a crash, a hang or another error."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from anynn import nn, optim
from anynn.io import CorruptFileError, load, load_checkpoint, save, save_checkpoint

FUZZ = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def folder():
    path = tempfile.mkdtemp(prefix="anynn-fuzz-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="module")
def valid(folder):
    """Bytes of a valid weights file, a valid .npz and a valid checkpoint."""
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.Linear(4, 2), seed=0)
    out = {}
    for name in ("w.safetensors", "w.npz"):
        save(model, os.path.join(folder, name))
        with open(os.path.join(folder, name), "rb") as f:
            out[name] = f.read()
    opt = optim.Adam(model.parameters())
    save_checkpoint(os.path.join(folder, "c.safetensors"), model=model, optimizer=opt, epoch=1, step=2)
    with open(os.path.join(folder, "c.safetensors"), "rb") as f:
        out["checkpoint"] = f.read()
    return out


def try_load(folder: str, data: bytes, name: str = "fuzzed.safetensors", checkpoint: bool = False) -> None:
    """Load ``data`` from a file: fine, or `CorruptFileError` naming the file; never anything else, never slow."""
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    start = time.monotonic()
    try:
        if checkpoint:
            load_checkpoint(path, restore_rng=False)
        else:
            load(path)
    except CorruptFileError as exc:
        assert name in str(exc)
    assert time.monotonic() - start < 5.0


@FUZZ
@given(data=st.binary(max_size=2048))
def test_random_bytes(folder, data):
    try_load(folder, data)
    try_load(folder, b"PK\x03\x04" + data, name="fuzzed.npz")


@FUZZ
@given(cut=st.integers(min_value=0, max_value=10_000))
def test_truncated_files_are_always_detected(folder, valid, cut):
    for name in ("w.safetensors", "w.npz", "checkpoint"):
        data = valid[name]
        truncated = data[:cut % len(data)]
        with pytest.raises(CorruptFileError):
            if name == "checkpoint":
                path = os.path.join(folder, "cut.safetensors")
                with open(path, "wb") as f:
                    f.write(truncated)
                load_checkpoint(path, restore_rng=False)
            else:
                try_load_strict(folder, truncated, "cut" + name[1:])


def try_load_strict(folder: str, data: bytes, name: str) -> None:
    path = os.path.join(folder, name)
    with open(path, "wb") as f:
        f.write(data)
    load(path)


@FUZZ
@given(size=st.one_of(st.integers(min_value=0, max_value=2**64 - 1), st.sampled_from([2**63, 2**64 - 1, 10**12])),
       tail=st.binary(max_size=256))
def test_huge_declared_header_sizes_never_hang_or_allocate(folder, size, tail):
    try_load(folder, struct.pack("<Q", size) + tail)


@FUZZ
@given(flips=st.lists(st.tuples(st.integers(min_value=0), st.integers(min_value=1, max_value=255)),
                      min_size=1, max_size=4))
def test_flipped_bytes_in_the_header(folder, valid, flips):
    for name, checkpoint in (("w.safetensors", False), ("checkpoint", True)):
        data = bytearray(valid[name])
        header_end = 8 + int.from_bytes(data[:8], "little")
        for position, mask in flips:
            data[position % header_end] ^= mask
        try_load(folder, bytes(data), checkpoint=checkpoint)


@FUZZ
@given(position=st.integers(min_value=0), value=st.integers(min_value=0, max_value=255))
def test_flipped_bytes_anywhere_in_an_npz(folder, valid, position, value):
    data = bytearray(valid["w.npz"])
    data[position % len(data)] = value
    try_load(folder, bytes(data), name="flipped.npz")


HEADERS = [
    b'[1, 2, 3]', b'{"a": 1}', b'{"a": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}',
    b'{"a": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}',
    b'{"a": {"dtype": "X99", "shape": [1], "data_offsets": [0, 4]}}',
    b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [4, 0]}}',
    b'{"a": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}, '
    b'"b": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}',
    b'{"a": {"dtype": "F32", "shape": [1000000000000, 1000000000000], "data_offsets": [0, 4]}}',
    b'{"__metadata__": {"x": 1}}', b'{"__metadata__": [], "a": 1}', b'\xff\xfe', b'[' * 100_000,
]


@pytest.mark.parametrize("header", HEADERS, ids=range(len(HEADERS)))
def test_hand_made_bad_headers(tmp_path, header):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(struct.pack("<Q", len(header)) + header + b"\0" * 4)
    with pytest.raises(CorruptFileError, match="bad.safetensors"):
        load(path)


def test_a_valid_file_still_loads(folder, valid):
    try_load(folder, valid["w.safetensors"])
    assert np.isfinite(load(os.path.join(folder, "w.safetensors"))["0.weight"].numpy()).all()


@FUZZ
@given(position=st.integers(min_value=0), mask=st.integers(min_value=1, max_value=255))
def test_any_damaged_byte_of_an_anynn_file_is_detected(folder, valid, position, mask):
    """The SHA-256 that `save` records covers every byte of the file, header included: a flip anywhere
    (even one that leaves the JSON meaning the same, such as a space turned into ``\r``) is a `CorruptFileError`."""
    for name, checkpoint in (("w.safetensors", False), ("checkpoint", True)):
        data = bytearray(valid[name])
        data[position % len(data)] ^= mask
        path = os.path.join(folder, "damaged.safetensors")
        with open(path, "wb") as f:
            f.write(bytes(data))
        with pytest.raises(CorruptFileError, match="damaged.safetensors"):
            load_checkpoint(path, restore_rng=False) if checkpoint else load(path)


def test_checksum_can_be_skipped_and_is_optional(folder, valid):
    data = bytearray(valid["w.safetensors"])
    data[-1] ^= 1  # the last byte of the last tensor
    path = os.path.join(folder, "unchecked.safetensors")
    with open(path, "wb") as f:
        f.write(bytes(data))
    with pytest.raises(CorruptFileError, match="checksum mismatch"):
        load(path)
    assert set(load(path, check=False)) == set(load(os.path.join(folder, "w.safetensors")))


@pytest.mark.parametrize("name", ["w.safetensors", "checkpoint"])
def test_every_header_byte_is_covered_by_the_checksum(folder, valid, name):
    """Exhaustive over the header: the flips that keep the JSON's meaning (padding or separator spaces turned
    into tabs, newlines or ``\r``) were the ones the old checksum, computed over the parsed metadata, missed."""
    data = valid[name]
    header_end = 8 + int.from_bytes(data[:8], "little")
    path = os.path.join(folder, "header_flip.safetensors")
    positions = range(header_end) if name == "w.safetensors" else \
        [i for i in range(8, header_end) if data[i:i + 1] in (b" ", b":", b",")]
    for position in positions:
        for replacement in ((b"\r", b"\t", b"\n") if data[position:position + 1] == b" " else (None,)):
            damaged = bytearray(data)
            if replacement is None:
                damaged[position] ^= 0x2D
            else:
                damaged[position:position + 1] = replacement
            with open(path, "wb") as f:
                f.write(bytes(damaged))
            with pytest.raises(CorruptFileError, match="header_flip.safetensors"):
                load_checkpoint(path, restore_rng=False) if name == "checkpoint" else load(path)


def test_files_written_by_the_previous_version_still_load_and_their_data_is_checked(tmp_path):
    """Before the whole-file checksum, files held only ``sha256`` over names, shapes, bytes and metadata."""
    import safetensors.numpy

    from anynn.io.weights import build_metadata, digest

    arrays = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3, np.float64)}
    meta = build_metadata(arrays, "numpy")
    meta["sha256"] = digest(arrays, meta)
    old = safetensors.numpy.save(arrays, metadata=meta)  # exactly what the previous version wrote
    path = tmp_path / "old.safetensors"
    path.write_bytes(old)
    loaded = load(path)
    np.testing.assert_array_equal(loaded["w"].numpy(), arrays["w"])
    damaged = bytearray(old)
    damaged[-1] ^= 1
    path.write_bytes(bytes(damaged))
    with pytest.raises(CorruptFileError, match="checksum mismatch"):
        load(path)


def test_new_safetensors_files_carry_the_whole_file_checksum(folder, valid):
    from anynn.io import load_metadata

    for name in ("w.safetensors", "c.safetensors"):
        meta = load_metadata(os.path.join(folder, name))
        assert len(meta["file_sha256"]) == 64 and "sha256" not in meta
