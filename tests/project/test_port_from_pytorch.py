"""The worked port (examples/port_from_pytorch): PyTorch programs run on anynn with only their import lines
changed, start from PyTorch's initial weights and train to PyTorch's losses over 20 steps, on every backend."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest

import anynn

pytest.importorskip("torch")
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "port_from_pytorch"
sys.path.insert(0, str(EXAMPLE))
import port  # noqa: E402

PROGRAMS = ["mnist_style.py", "char_gpt.py"]


@pytest.mark.parametrize("program", PROGRAMS)
def test_only_import_lines_change(program):
    source = (EXAMPLE / program).read_text(encoding="utf-8").splitlines()
    swapped = port.swap_imports("\n".join(source)).splitlines()
    assert len(swapped) == len(source)
    changed = [(a, b) for a, b in zip(source, swapped) if a != b]
    assert changed and all(a.lstrip().startswith(("import torch", "from torch")) for a, _ in changed)
    assert all("anynn" in b and "torch." not in b.split(" as ")[0].replace("anynn", "") for _, b in changed)


@pytest.mark.parametrize("line, expected", [
    ("import torch", "import anynn as torch"),
    ("import torch.nn as nn", "import anynn.nn as nn"),
    ("from torch.nn import functional as F", "from anynn.nn import functional as F"),
    ("from torch.utils.data import DataLoader, TensorDataset",
     "from anynn.utils.data import DataLoader, TensorDataset"),
    ("    import torch.utils.data", "    import anynn.utils.data; import anynn as torch"),
    ("from torch import nn, optim", "from anynn import nn, optim"),
    ("import torch ", "import anynn as torch "),
    ("import torch.nn as nn  # layers", "import anynn.nn as nn  # layers"),
    ("from torch.nn.utils import clip_grad_norm_\t", "from anynn.nn.utils import clip_grad_norm_\t"),
    ("import torch as th", "import anynn as th"),  # openai's improved/guided-diffusion
])
def test_swap_import_line(line, expected):
    assert port.swap_import_line(line) == expected


@pytest.mark.parametrize("backend_name", ["numpy", "torch", "array_api_strict", "array_api_strict:device1"])
def test_losses_match_pytorch_over_20_steps(backend_name):
    results = port.compare(backend_name, steps=20)
    assert set(results) == {"mnist_style", "char_gpt"}
    for name, (expected, got) in results.items():
        assert len(expected) == len(got) == 20, name
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4, err_msg=name)
        assert expected[-1] < expected[0], f"{name}: PyTorch's run should learn something"


def test_ported_programs_run_with_dropout_and_sampling():
    mnist = port.load_program(EXAMPLE / "mnist_style.py", "anynn")
    images, labels = port.digits_data()
    model, losses, (test_loss, accuracy) = mnist.main(images, labels, steps=8)
    assert isinstance(model, anynn.nn.Module) and len(losses) == 8 and all(map(math.isfinite, losses))
    assert math.isfinite(test_loss) and 0.0 <= accuracy <= 1.0
    gpt = port.load_program(EXAMPLE / "char_gpt.py", "anynn")
    _, losses, sample = gpt.main(port.TEXT, port.text_offsets(4))
    assert len(losses) == 4 and len(sample) == 21 and set(sample) <= set(port.TEXT)


def test_load_program_runs_a_dataclass_config(tmp_path):
    """nanoGPT's GPTConfig and makemore's ModelConfig are dataclasses, which look their module up in sys.modules
    ('NoneType' object has no attribute '__dict__' before)."""
    program = tmp_path / "config_program.py"
    program.write_text("from dataclasses import dataclass\nimport torch\n\n\n@dataclass\nclass Config:\n"
                       "    n_embd: int = 4\n\n\ndef width():\n    return torch.zeros(Config().n_embd).shape[0]\n")
    assert port.load_program(program, "anynn").width() == 4


def test_load_program_refuses_other_libraries():
    with pytest.raises(ValueError, match="torch' or 'anynn"):
        port.load_program(EXAMPLE / "mnist_style.py", "jax")
