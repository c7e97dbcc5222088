"""Hogwild: several processes train one model at once, lock-free, on parameters in shared memory.

The shape of pytorch/examples' mnist_hogwild, on scikit-learn's bundled 8x8 digits: ``model.share_memory()``,
then ``mp.Process(target=train, args=(rank, ...))`` per worker; each worker has its own optimizer and data order,
and every step writes straight into the parent's parameters. Prints the test accuracy afterwards.

    python examples/hogwild.py [--num-processes 2] [--epochs 4] [--backend numpy|torch]
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import anynn
import anynn.multiprocessing as mp
import anynn.nn.functional as F
from anynn import nn, optim
from anynn.data.bundled import load_digits
from anynn.utils.data import DataLoader, TensorDataset


class Net(nn.Module):
    """A small CNN for 1x8x8 digits: x (N, 1, 8, 8) -> log-probabilities (N, 10)."""

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, kernel_size=3, padding=1)
        self.conv2 = nn.Conv2d(8, 16, kernel_size=3, padding=1)
        self.conv2_drop = nn.Dropout2d(0.1)
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x: anynn.Tensor) -> anynn.Tensor:
        x = F.relu(F.max_pool2d(self.conv1(x), 2))
        x = F.relu(F.max_pool2d(self.conv2_drop(self.conv2(x)), 2))
        x = F.relu(self.fc1(x.view(-1, 64)))
        return F.log_softmax(self.fc2(x), dim=1)


def digits(backend: str = "numpy") -> tuple[TensorDataset, TensorDataset]:
    """The digits as (N, 1, 8, 8) float32 images, standardised, and int64 labels: 1347 to train, 450 to test."""
    images, labels = load_digits(images=True)
    images = (images / np.float32(16.0) - np.float32(0.3)) / np.float32(0.4)  # about zero mean, unit variance
    order = np.random.default_rng(0).permutation(len(labels))
    train, test = order[:1347], order[1347:]
    make = lambda idx: TensorDataset(anynn.tensor(images[idx], backend=backend),  # noqa: E731
                                     anynn.tensor(labels[idx], backend=backend))
    return make(train), make(test)


def train(rank: int, model: nn.Module, dataset: TensorDataset, epochs: int = 4, lr: float = 0.01,
          seed: int = 1) -> None:
    """One worker: its own seed, data order and optimizer; its steps write into the shared parameters.

    Adam (its moment estimates private to the worker) rather than mnist_hogwild's SGD with momentum 0.5: on these
    84 steps per epoch SGD reached 0.26-0.75 test accuracy depending on how the workers interleaved, Adam 0.93-0.98.
    """
    anynn.manual_seed(seed + rank)
    loader = DataLoader(dataset, batch_size=32, shuffle=True)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    model.train()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            F.nll_loss(model(x), y).backward()
            optimizer.step()


def evaluate(model: nn.Module, dataset: TensorDataset) -> float:
    """The share of ``dataset`` that ``model`` labels right."""
    model.eval()
    x, y = dataset.tensors
    with anynn.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description="Hogwild training on the 8x8 digits")
    parser.add_argument("--num-processes", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--backend", default="numpy")
    args = parser.parse_args()

    anynn.manual_seed(1)
    mp.set_start_method("spawn", force=True)
    train_set, test_set = digits(args.backend)
    model = Net().to(args.backend)
    model.share_memory()  # gradients appear later, in each worker, and stay private to it
    print(f"before training: accuracy {evaluate(model, test_set):.3f}")
    processes = [mp.Process(target=train, args=(rank, model, train_set, args.epochs))
                 for rank in range(args.num_processes)]
    for p in processes:
        p.start()
    for p in processes:
        p.join()
    if any(p.exitcode != 0 for p in processes):
        raise SystemExit(f"a worker failed: exit codes {[p.exitcode for p in processes]}")
    print(f"after {args.num_processes} workers x {args.epochs} epochs (pid {os.getpid()} waited): "
          f"accuracy {evaluate(model, test_set):.3f}")


if __name__ == "__main__":
    main()
