"""Benchmark workloads, each implemented three ways: anynn, PyTorch, and a hand-written loop.

Every function ``build_<impl>(workload, backend)`` returns a zero-argument ``step`` callable that runs
one training step (or one inference batch) on synthetic data of the workload's shapes. Speed does not
depend on data content, so the data are random.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np


@dataclass(frozen=True)
class Workload:
    name: str
    batch: int
    description: str


WORKLOADS = {
    "mlp_b128": Workload("mlp_b128", 128, "MLP 784-512-256-10, batch 128, Adam step"),
    "mlp_b32": Workload("mlp_b32", 32, "MLP 784-512-256-10, batch 32, Adam step"),
    "xor": Workload("xor", 4, "2-8-1 tanh net on XOR, full batch, SGD step (per-step overhead)"),
    "cnn": Workload("cnn", 64, "1x28x28 conv3x3x32-pool-conv3x3x64-pool-1600-128-10, batch 64, Adam step"),
    "lstm": Workload("lstm", 64, "LSTM seq 32, batch 64, 128 hidden, linear head, Adam step"),
    "mlp_infer": Workload("mlp_infer", 128, "MLP 784-512-256-10 inference, batch 128"),
    "convbn": Workload("convbn", 32, "3x16x16 (conv3x3x16-batchnorm-relu)x2-global avg pool-16-10, batch 32, "
                                     "Adam step"),
    "gru": Workload("gru", 32, "GRU seq 16, batch 32, 64 hidden, linear head, Adam step"),
    "gru_infer": Workload("gru_infer", 32, "the gru workload's model, inference (no_grad, eval), batch 32"),
    "convbn_infer": Workload("convbn_infer", 32, "the convbn workload's model, inference (no_grad, eval), batch 32"),
    "transformer": Workload("transformer", 32, "TransformerEncoderLayer(64, 4 heads, 128), seq 16, batch 32, "
                                               "mean-pooled linear head, Adam step"),
}

# workloads whose model is built the same way from anynn.nn and torch.nn (`_shared_model`)
SHARED = ("convbn", "gru", "transformer", "gru_infer", "convbn_infer")


POOL = 16  # distinct batches cycled through
# Adam's learning rate in every implementation. Random labels get memorised within a few hundred steps at
# 1e-3; the gradients then shrink into float32 denormals and the timings measure the CPU's denormal
# penalty (4.4 ms instead of 2.0 ms per hand-written MLP step here) instead of the work. A small rate
# keeps every implementation in the regime of real training for the whole measurement.
ADAM_LR = 1e-5


def _data(workload: Workload, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(POOL, batch, ...) inputs and labels; XOR and inference use a single batch."""
    if workload.name == "xor" or workload.name.endswith("_infer"):
        x, y = _one_batch(workload, rng)
        return x[None], y[None]
    pairs = [_one_batch(workload, rng) for _ in range(POOL)]
    return np.stack([p[0] for p in pairs]), np.stack([p[1] for p in pairs])


def cycle(pool_x: list, pool_y: list) -> Callable[[], tuple[Any, Any]]:
    """A function returning the next (x, y) of the pools, round and round."""
    state = {"i": -1}

    def next_batch() -> tuple[Any, Any]:
        state["i"] = (state["i"] + 1) % len(pool_x)
        return pool_x[state["i"]], pool_y[state["i"]]

    return next_batch


def _one_batch(workload: Workload, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    b = workload.batch
    if workload.name.startswith("mlp"):
        return rng.standard_normal((b, 784)).astype(np.float32), rng.integers(0, 10, b)
    if workload.name == "xor":
        return (np.array([[0, 0], [0, 1], [1, 0], [1, 1]], np.float32), np.array([[0], [1], [1], [0]], np.float32))
    if workload.name == "cnn":
        return rng.standard_normal((b, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, b)
    if workload.name == "lstm":
        return rng.standard_normal((b, 32, 28)).astype(np.float32), rng.integers(0, 10, b)
    if workload.name.startswith("convbn"):
        return rng.standard_normal((b, 3, 16, 16)).astype(np.float32), rng.integers(0, 10, b)
    if workload.name.startswith("gru"):
        return rng.standard_normal((b, 16, 28)).astype(np.float32), rng.integers(0, 10, b)
    if workload.name == "transformer":
        return rng.standard_normal((b, 16, 64)).astype(np.float32), rng.integers(0, 10, b)
    raise KeyError(workload.name)


def _shared_model(nn: Any, name: str) -> Any:
    """The model of a `SHARED` workload, from ``nn`` (``anynn.nn`` or ``torch.nn``, which share these names)."""
    name = name.removesuffix("_infer")
    if name == "convbn":
        return nn.Sequential(nn.Conv2d(3, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                             nn.Conv2d(16, 16, 3, padding=1, bias=False), nn.BatchNorm2d(16), nn.ReLU(),
                             nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(16, 10))

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            if name == "gru":
                self.body = nn.GRU(28, 64, batch_first=True)
                self.head = nn.Linear(64, 10)
            else:
                self.body = nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True)
                self.head = nn.Linear(64, 10)

        def forward(self, inputs: Any) -> Any:
            if name == "gru":
                return self.head(self.body(inputs)[0][:, -1])
            return self.head(self.body(inputs).mean(1))

    return Net()


# -- anynn ----------------------------------------------------------------------------------------------
def build_anynn(workload: Workload, backend: str, compiled: bool = False) -> Callable[[], Any]:
    import anynn
    from anynn import nn, optim

    x_host, y_host = _data(workload, np.random.default_rng(0))
    next_batch = cycle([anynn.tensor(a, backend=backend) for a in x_host],
                       [anynn.tensor(a, backend=backend) for a in y_host])
    x, _ = next_batch()
    name = workload.name
    if name.startswith("mlp"):
        model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10),
                              backend=backend, seed=0)
        loss_fn: Any = nn.CrossEntropyLoss()
    elif name == "xor":
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), backend=backend, seed=0)
        loss_fn = nn.MSELoss()
    elif name == "cnn":
        from anynn.nn import Conv2d
        from anynn.nn import MaxPool2d

        model = nn.Sequential(Conv2d(1, 32, 3), nn.ReLU(), MaxPool2d(2), Conv2d(32, 64, 3), nn.ReLU(), MaxPool2d(2),
                              nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10),
                              backend=backend, seed=0)
        loss_fn = nn.CrossEntropyLoss()
    elif name == "lstm":
        from anynn.nn.recurrent import LSTM

        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.lstm = LSTM(28, 128, batch_first=True)
                self.head = nn.Linear(128, 10)

            def forward(self, inputs: Any) -> Any:
                out, _ = self.lstm(inputs)
                return self.head(out[:, -1])

        model = Net().to(backend)
        loss_fn = nn.CrossEntropyLoss()
    elif name in SHARED:
        anynn.manual_seed(0)
        model = _shared_model(nn, name).to(backend)
        loss_fn = nn.CrossEntropyLoss()
    else:
        raise KeyError(name)
    sync = anynn.get_backend(backend).synchronize  # waits for queued GPU work; a no-op on the CPU
    if name.endswith("_infer"):
        model.eval()

        def infer() -> Any:
            with anynn.no_grad():
                out = model(x).array
            sync()
            return out

        return infer
    opt: Any = optim.SGD(model.parameters(), lr=0.1) if name == "xor" else optim.Adam(model.parameters(), lr=ADAM_LR)

    def step() -> Any:
        x, y = next_batch()
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
        return loss.array

    if not compiled:
        return step

    def train_step(x: Any, y: Any) -> Any:
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    compiled_step = anynn.compile(train_step)
    block = getattr(next_batch()[0].array, "block_until_ready", None)  # JAX dispatches asynchronously

    def run_compiled() -> Any:
        x, y = next_batch()
        loss = compiled_step(x, y).array
        if block is not None:
            loss.block_until_ready()  # the result is ready (JAX's synchronize() would cost an extra dispatch)
        else:
            sync()
        return loss

    return run_compiled


def build_anynn_compiled(workload: Workload, backend: str) -> Callable[[], Any]:
    """`anynn.compile` of the same step: on jax for the CPU harness, a CUDA graph on cupy."""
    return build_anynn(workload, "cupy" if backend == "cupy" else "jax", compiled=True)


def build_pure_jax(workload: Workload, backend: str) -> Callable[[], Any]:
    """A hand-written ``jax.jit`` step with manual SGD/Adam (benchmarks/pure_jax.py)."""
    from pure_jax import build

    return build(workload, backend, _data(workload, np.random.default_rng(0)))


# -- PyTorch --------------------------------------------------------------------------------------------
def build_torch(workload: Workload, backend: str) -> Callable[[], Any]:
    import torch
    from torch import nn

    device = "cuda" if backend == "cupy" else "cpu"
    x_host, y_host = _data(workload, np.random.default_rng(0))
    next_batch = cycle([torch.tensor(a, device=device) for a in x_host],
                       [torch.tensor(a, device=device) for a in y_host])
    x, _ = next_batch()
    name = workload.name
    if name.startswith("mlp"):
        model: Any = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10))
        loss_fn: Any = nn.CrossEntropyLoss()
    elif name == "xor":
        model = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
        loss_fn = nn.MSELoss()
    elif name == "cnn":
        model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                              nn.MaxPool2d(2), nn.Flatten(), nn.Linear(1600, 128), nn.ReLU(), nn.Linear(128, 10))
        loss_fn = nn.CrossEntropyLoss()
    elif name == "lstm":
        class Net(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.lstm = nn.LSTM(28, 128, batch_first=True)
                self.head = nn.Linear(128, 10)

            def forward(self, inputs: Any) -> Any:
                out, _ = self.lstm(inputs)
                return self.head(out[:, -1])

        model = Net()
        loss_fn = nn.CrossEntropyLoss()
    elif name in SHARED:
        torch.manual_seed(0)
        model = _shared_model(nn, name)
        loss_fn = nn.CrossEntropyLoss()
    else:
        raise KeyError(name)
    model = model.to(device)
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    if name.endswith("_infer"):
        model.eval()

        def infer() -> Any:
            with torch.no_grad():
                out = model(x)
            sync()
            return out

        return infer
    opt: Any = (torch.optim.SGD(model.parameters(), lr=0.1) if name == "xor"
                else torch.optim.Adam(model.parameters(), lr=ADAM_LR))

    def step() -> Any:
        x, y = next_batch()
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sync()
        return loss

    return step


# -- hand-written NumPy (or CuPy) -------------------------------------------------------------------------
def build_handwritten(workload: Workload, backend: str) -> Callable[[], Any]:
    """A careful hand-written loop: explicit forward/backward/Adam with in-place updates."""
    from handwritten import build

    return build(workload, backend, _data(workload, np.random.default_rng(0)))


BUILDERS = {"anynn": build_anynn, "torch": build_torch, "handwritten": build_handwritten,
            "compiled": build_anynn_compiled, "purejax": build_pure_jax}
LABELS = {"anynn": "anynn", "torch": "torch", "handwritten": "handwritten", "compiled": "anynn compiled (jax)",
          "purejax": "pure JAX"}
