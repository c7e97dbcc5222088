"""The examples run end to end and print what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# The first seed tutorial's printed results (numpy, float64).
SEED_ERRORS = [0.5261413704970179, 0.02613280066594068, 0.018176858121094902, 0.014734950161984704,
               0.012706694734033585, 0.01133247914225176, 0.010323188962834181, 0.009541743874413929,
               0.008913720541675068, 0.00839478433225734]
SEED_OUTPUT = [0.00966808, 0.00786589, 0.99358863, 0.99211705]


def run_example(name: str, *args: str, cwd: Path = ROOT) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / name), *args], capture_output=True,
                            text=True, timeout=300, cwd=cwd)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("backend", ["numpy", "torch", "array_api_strict"])
def test_seed_single_layer_matches_the_seed(backend):
    out = run_example("seed_single_layer.py", "--backend", backend)
    lines = out.splitlines()
    errors = [float(line.split(": ")[1]) for line in lines if line.startswith("Error at iteration")]
    assert [line.split(":")[0] for line in lines[:10]] == [f"Error at iteration {i}" for i in range(0, 10000, 1000)]
    assert errors == pytest.approx(SEED_ERRORS, abs=1e-9)
    assert lines[10] == "Output after training: "
    matrix = [float(line.strip(" []")) for line in lines[11:15]]
    assert [round(v, 8) for v in matrix] == SEED_OUTPUT
    assert "\n".join(lines[11:15]) == "[[0.00966808]\n [0.00786589]\n [0.99358863]\n [0.99211705]]"


def test_xor_needs_a_hidden_layer():
    out = run_example("xor.py")
    single, hidden = out.splitlines()[:2]
    assert "single layer" in single and "accuracy 1.00" not in single
    assert "hidden layer" in hidden and "accuracy 1.00" in hidden


@pytest.mark.parametrize("backend", ["numpy", "array_api_strict"])
def test_digits_reaches_97_percent(backend):
    out = run_example("digits.py", "--backend", backend)
    accuracy = float(next(line for line in out.splitlines() if line.startswith("test accuracy")).split(":")[1])
    assert accuracy >= 0.97


def test_digits_plot_writes_the_history_png(tmp_path):
    pytest.importorskip("matplotlib")
    out = run_example("digits.py", "--epochs", "2", "--plot", cwd=tmp_path)
    assert "wrote digits_history.png" in out
    assert (tmp_path / "digits_history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_pinn_solves_poisson():
    out = run_example("pinn.py", "--steps", "600")
    error = float(next(line for line in out.splitlines() if line.startswith("max error")).split(":")[1].split()[0])
    assert error < 5e-3


def test_hogwild_workers_train_the_shared_model():
    out = run_example("hogwild.py", "--num-processes", "2", "--epochs", "2")
    lines = out.splitlines()
    before = float(lines[0].rsplit(" ", 1)[1])
    after = float(lines[1].rsplit(" ", 1)[1])
    # Hogwild's interleaving varies run to run (0.93 to 0.98 seen; one worker alone 0.92); chance is 0.1
    assert before < 0.2 and lines[1].startswith("after 2 workers x 2 epochs") and after >= 0.6


@pytest.mark.parametrize("name, missing, extra", [
    ("digits.py", "sklearn", "examples"), ("digits_cnn.py", "sklearn", "examples"),
    ("port_from_pytorch/port.py", "torch", "torch"),  # (a ModuleNotFoundError traceback on an examples install before)
])
def test_an_example_without_its_extra_names_it(name, missing, extra, monkeypatch):
    # a core install (pip install anynn) has no scikit-learn: the example says which extra brings it (it stopped at a
    # ModuleNotFoundError traceback before)
    import runpy

    monkeypatch.setitem(sys.modules, missing, None)
    monkeypatch.setattr(sys, "argv", [name])
    with pytest.raises(SystemExit, match=rf"pip install 'anynn\[{extra}\]'"):
        runpy.run_path(str(ROOT / "examples" / name), run_name="__main__")
