"""`anynn.utils.tensorboard.SummaryWriter`: the event files hold what tensorboardX writes for the same values as
NumPy, for anynn Tensors of every backend (scalars, dicts of scalars, histograms, images, text, a model's graph)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

import anynn
from anynn import nn

tbx = pytest.importorskip("tensorboardX")
from anynn.utils.tensorboard import SummaryWriter  # noqa: E402
from tensorboardX.proto.event_pb2 import Event  # noqa: E402


def _events(folder: Path) -> list:
    """The Events of every event file under ``folder`` (TFRecord framing: length, crc, data, crc)."""
    events = []
    for path in sorted(folder.rglob("events.out.tfevents.*")):
        data = path.read_bytes()
        at = 0
        while at < len(data):
            (length,) = struct.unpack("<Q", data[at:at + 8])
            event = Event()
            event.ParseFromString(data[at + 12:at + 12 + length])
            events.append(event)
            at += 12 + length + 4
    return events


def _summaries(folder: Path) -> list[tuple[str, int, str]]:
    """(tag, step, the value's serialised bytes) of every summary value, wall times left out."""
    found = []
    for event in _events(folder):
        for value in event.summary.value:
            found.append((value.tag, event.step, value.SerializeToString()))
    return sorted(found)


def _write_both(tmp_path: Path, write, backend) -> tuple[list, list]:
    ours_dir, theirs_dir = tmp_path / "ours", tmp_path / "theirs"
    with SummaryWriter(str(ours_dir)) as ours:
        write(ours, lambda a: anynn.tensor(a, dtype=anynn.float64 if a.dtype == np.float64 else None, backend=backend))
    with tbx.SummaryWriter(str(theirs_dir)) as theirs:
        write(theirs, lambda a: a)
    return _summaries(ours_dir), _summaries(theirs_dir)


def test_scalars_histograms_images_text_match_numpy_inputs(tmp_path, backend) -> None:
    rng = np.random.default_rng(0)
    values, image = rng.standard_normal(200), rng.random((3, 8, 8)).astype(np.float32)

    def write(w, as_tensor) -> None:
        for step in range(3):
            w.add_scalar("loss", as_tensor(np.array(0.5 / (step + 1))), step)
            w.add_scalars("run", {"train": as_tensor(np.array(float(step))), "test": 2.0 * step}, step)
        w.add_histogram("weights", as_tensor(values), 0)
        w.add_image("sample", as_tensor(image), 0)
        w.add_images("batch", as_tensor(np.stack([image, image])), 0)
        w.add_text("note", "hello", 0)

    ours, theirs = _write_both(tmp_path, write, backend)
    assert ours == theirs and len(ours) == 3 + 3 * 2 + 4  # add_scalars: a value per name per step


def test_add_scalar_of_a_tensor_with_grad(tmp_path) -> None:
    w = nn.Linear(2, 1)
    loss = (w(anynn.ones(4, 2)) ** 2).mean()
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_scalar("loss", loss, anynn.tensor(7))
        assert writer.get_logdir() == writer.log_dir == str(tmp_path)
    [(tag, step, value)] = _summaries(tmp_path)
    assert (tag, step) == ("loss", 7) and loss.item() == pytest.approx(
        struct.unpack("<f", value[value.index(b"\x15") + 1:][:4])[0], rel=1e-6)


def test_default_log_dir_is_under_runs_as_torch(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with SummaryWriter(comment="_lr0.1") as writer:
        folder = Path(writer.log_dir)
    assert folder.parent.name == "runs" and folder.name.endswith("_lr0.1") and folder.is_dir()


def test_add_graph_exports_the_model_through_onnx(tmp_path, capsys) -> None:
    pytest.importorskip("ndonnx")
    model = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    with SummaryWriter(str(tmp_path)) as writer:
        writer.add_graph(model, anynn.randn(5, 4))
    assert capsys.readouterr().out == ""  # tensorboardX printed each node's name ('input', ...); PyTorch prints none
    graphs = [e.graph_def for e in _events(tmp_path) if e.graph_def]
    assert graphs and (b"Gemm" in graphs[0] or b"MatMul" in graphs[0])
    with SummaryWriter(str(tmp_path / "none")) as writer, pytest.raises(ValueError, match="input_to_model"):
        writer.add_graph(model)
