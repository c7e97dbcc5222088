"""Run a PyTorch program on anynn by changing only its import lines, and compare it with PyTorch.

``load_program(path, "anynn")`` executes the program's file with every ``import torch...`` /
``from torch... import`` line rewritten to anynn (``import torch`` -> ``import anynn as torch``,
``import torch.nn as nn`` -> ``import anynn.nn as nn``, ``from torch.nn import functional as F`` ->
``from anynn.nn import functional as F``); nothing else in the file changes. ``load_program(path, "torch")``
executes it as written.

    python examples/port_from_pytorch/port.py --backend numpy

trains the MNIST-style program and the character GPT on both, starting from PyTorch's initial
weights, and prints each step's losses and their largest difference.
"""

from __future__ import annotations

import argparse
import re
import sys
import types
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
_IMPORT = re.compile(r"^([ \t]*)(import torch\b[^\n]*|from torch\b[^\n]*)$", re.M)


def swap_import_line(line: str) -> str:
    """One ``import torch...`` / ``from torch...`` statement rewritten to anynn (same names bound)."""
    # real programs leave trailing blanks and comments after their imports: keep them, rewrite the statement
    indent, stmt, tail = re.fullmatch(r"([ \t]*)(.*?)(\s*(?:#.*)?)", line).groups()
    if stmt == "import torch":
        return f"{indent}import anynn as torch{tail}"
    m = re.fullmatch(r"import torch as (\w+)", stmt)
    if m:  # openai's diffusion code: import torch as th
        return f"{indent}import anynn as {m[1]}{tail}"
    m = re.fullmatch(r"import torch\.([\w.]+) as (\w+)", stmt)
    if m:
        return f"{indent}import anynn.{m[1]} as {m[2]}{tail}"
    m = re.fullmatch(r"import torch\.([\w.]+)", stmt)
    if m:  # binds the name torch, as the original does
        return f"{indent}import anynn.{m[1]}; import anynn as torch{tail}"
    m = re.fullmatch(r"from torch(\.[\w.]+)? import (.+)", stmt)
    if m:
        return f"{indent}from anynn{m[1] or ''} import {m[2]}{tail}"
    raise ValueError(f"cannot rewrite the import line {line!r}")


def swap_imports(source: str) -> str:
    """The program's source with its torch import lines rewritten to anynn; every other line untouched."""
    return _IMPORT.sub(lambda m: swap_import_line(m.group(0)), source)


def load_program(path: str | Path, use: str) -> types.ModuleType:
    """Execute the program at ``path`` as a module, on ``use`` = "torch" (as written) or "anynn" (imports swapped)."""
    if use not in ("torch", "anynn"):
        raise ValueError(f"load_program: use must be 'torch' or 'anynn', got {use!r}")
    path = Path(path)
    source = path.read_text(encoding="utf-8")
    if use == "anynn":
        source = swap_imports(source)
    module = types.ModuleType(f"{path.stem}_on_{use}")
    module.__file__ = str(path)
    sys.modules[module.__name__] = module  # a @dataclass config (nanoGPT's GPTConfig) looks its module up there
    exec(compile(source, str(path), "exec"), module.__dict__)
    return module


def torch_state(model) -> dict[str, np.ndarray]:
    """A PyTorch model's initial weights as NumPy arrays (what anynn's load_state_dict takes)."""
    return {k: v.detach().cpu().numpy().copy() for k, v in model.state_dict().items()}


def as_torch(state: dict[str, np.ndarray], program: types.ModuleType) -> dict:
    """NumPy weights as the program's torch tensors (PyTorch's load_state_dict takes tensors only)."""
    return {k: program.torch.from_numpy(v) for k, v in state.items()}


def digits_data(n: int = 128, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic 14x14 "digits": a class-dependent bar plus noise (float32 images, int64 labels)."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, n)
    images = rng.normal(0.0, 0.3, (n, 1, 14, 14)).astype(np.float32)
    images[np.arange(n), 0, labels + 2, 2:12] += 1.0
    return images, labels.astype(np.int64)


TEXT = "to be, or not to be, that is the question: whether 'tis nobler in the mind to suffer. " * 4


def text_offsets(steps: int = 20, batch: int = 4, block: int = 16, seed: int = 0) -> list[list[int]]:
    """Window starts for ``steps`` batches of ``batch`` windows of ``block`` characters of `TEXT`."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, len(TEXT) - block - 1, (steps, batch)).tolist()


def compare(backend: str = "numpy", steps: int = 20) -> dict[str, tuple[list[float], list[float]]]:
    """Both programs on PyTorch and on anynn (``backend``), from PyTorch's initial weights, dropout off.

    Returns ``{program: (pytorch_losses, anynn_losses)}``.
    """
    import anynn

    results = {}
    images, labels = digits_data()
    reference = load_program(HERE / "mnist_style.py", "torch")
    ported = load_program(HERE / "mnist_style.py", "anynn")
    start = torch_state(reference.Net())
    _, expected, _ = reference.main(images, labels, steps, as_torch(start, reference), dropout=(0.0, 0.0))
    previous = anynn.backend.default_backend().key
    anynn.set_default_backend(backend)
    try:
        _, got, _ = ported.main(images, labels, steps, start, dropout=(0.0, 0.0))
        results["mnist_style"] = (expected, got)
        reference = load_program(HERE / "char_gpt.py", "torch")
        ported = load_program(HERE / "char_gpt.py", "anynn")
        offsets = text_offsets(steps)
        start = torch_state(reference.CharGPT(len(set(TEXT)), dropout=0.0))
        _, expected, _ = reference.main(TEXT, offsets, as_torch(start, reference), dropout=0.0)
        _, got, _ = ported.main(TEXT, offsets, start, dropout=0.0)
        results["char_gpt"] = (expected, got)
    finally:
        anynn.set_default_backend(previous)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy", help="anynn backend: numpy, torch, array_api_strict, cupy...")
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args(argv)
    try:
        import torch  # noqa: F401 - the reference: each program also runs as written
    except ImportError:
        sys.exit("examples/port_from_pytorch/port.py compares each program with PyTorch running it as written: "
                 "pip install 'anynn[torch]' (CPU build: pip install torch==2.13.0)")
    for name, (expected, got) in compare(args.backend, args.steps).items():
        diff = max(abs(a - b) for a, b in zip(expected, got))
        print(f"{name}: {len(got)} steps, largest loss difference from PyTorch {diff:.2e}")
        for step, (a, b) in enumerate(zip(expected, got)):
            print(f"  step {step:2d}  pytorch {a:.6f}  anynn {b:.6f}")


if __name__ == "__main__":
    sys.exit(main())
