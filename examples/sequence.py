"""A recurrent network learns to add: the sum of a digit sequence modulo k, read one digit at a time.

Each sequence is random digits in ``0..k-1`` (one-hot encoded); the label is their sum modulo ``k``.
The model is an LSTM (or GRU) whose final hidden state feeds a linear classifier; it has to learn to
keep a running count modulo ``k`` in its state. Training batches are drawn fresh, each with its own
length from 1 to ``length`` (short sequences teach the count quickly, long ones to keep it); the
test set is 1000 sequences of the full length. Data is generated here: nothing to download.

    python examples/sequence.py [--backend numpy|torch|array_api_strict|cupy|auto] [--cell lstm|gru]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import anynn
from anynn import nn, optim
from anynn.nn.recurrent import GRU, LSTM


def make_data(n: int, length: int, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``n`` sequences: x (n, length, k) one-hot float32 digits, y (n,) int64 = sum of digits mod k."""
    digits = rng.integers(0, k, size=(n, length))
    x = np.eye(k, dtype=np.float32)[digits]
    return x, (digits.sum(axis=1) % k).astype(np.int64)


class SequenceClassifier(nn.Module):
    """Recurrent layer over (N, L, k) one-hot digits, then a linear map of the last hidden state to k classes."""

    def __init__(self, k: int, hidden: int, cell: str = "lstm", backend: str = "numpy", seed: int = 0) -> None:
        super().__init__()
        layer = LSTM if cell == "lstm" else GRU
        self.rnn = layer(k, hidden, batch_first=True, backend=backend, seed=seed)
        self.head = nn.Linear(hidden, k, backend=backend, seed=seed + 1)

    def forward(self, x: anynn.Tensor) -> anynn.Tensor:
        _, h_n = self.rnn(x)
        h_n = h_n[0] if isinstance(h_n, tuple) else h_n  # the LSTM returns (h_n, c_n)
        return self.head(h_n[-1])


def accuracy(model: nn.Module, x: np.ndarray, y: np.ndarray, backend: str) -> float:
    model.eval()
    with anynn.no_grad():
        predicted = model(anynn.tensor(x, backend=backend)).argmax(axis=1).numpy()
    model.train()
    return float(np.mean(predicted == y))


def main() -> None:
    parser = argparse.ArgumentParser(description="LSTM/GRU learns the sum of a digit sequence modulo k")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--cell", choices=["lstm", "gru"], default="lstm")
    parser.add_argument("--k", type=int, default=3, help="digits 0..k-1, label = sum mod k")
    parser.add_argument("--length", type=int, default=10)
    parser.add_argument("--hidden", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batches", type=int, default=100, help="fresh batches per epoch")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    rng = np.random.default_rng(args.seed)
    x_test, y_test = make_data(1000, args.length, args.k, rng)
    backend = anynn.get_backend(args.backend)
    model = SequenceClassifier(args.k, args.hidden, args.cell, backend=backend.key, seed=args.seed)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()

    print(f"backend: {backend.key}; {args.cell.upper()} on sums of {args.length} digits mod {args.k}; "
          f"{args.batches} batches of {args.batch_size} per epoch")
    start = time.perf_counter()
    for epoch in range(args.epochs):
        total = 0.0
        for _ in range(args.batches):
            x, y = make_data(args.batch_size, int(rng.integers(1, args.length + 1)), args.k, rng)
            loss = loss_fn(model(anynn.tensor(x, backend=backend)), anynn.tensor(y, backend=backend))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        print(f"epoch {epoch + 1:2d}: loss {total / args.batches:.4f}, "
              f"accuracy on length {args.length}: {accuracy(model, x_test, y_test, backend.key):.3f}")
    elapsed = time.perf_counter() - start
    print(f"test accuracy: {accuracy(model, x_test, y_test, backend.key):.4f}")
    x_long, y_long = make_data(1000, 2 * args.length, args.k, rng)
    print(f"accuracy on twice as long sequences (never seen): {accuracy(model, x_long, y_long, backend.key):.4f}")
    print(f"training time: {elapsed:.1f} s ({args.epochs} epochs)")


if __name__ == "__main__":
    main()
