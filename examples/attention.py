"""A tiny Transformer encoder learns to tell whether a sequence of digits is sorted.

Token embedding + sinusoidal positions → 2 pre-norm encoder layers → mean over positions → linear
classifier. Sortedness is a property of *pairs* of positions, so the model has to attend; half of
the unsorted examples differ from a sorted one by a single swap of two neighbours.

    python examples/attention.py [--backend numpy|torch|array_api_strict|cupy|auto] [--steps 1000]
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np

import anynn
from anynn import nn, optim
from anynn.functional import cross_entropy
from anynn.nn.transformer import TransformerEncoder, TransformerEncoderLayer

try:
    from anynn.nn.embedding import Embedding
except ImportError:  # older anynn: a Linear layer on one-hot vectors is the same map
    Embedding = None

VOCAB, LENGTH = 10, 8


def make_sequences(count: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(count, LENGTH) int64 tokens and (count,) labels: 1 sorted (non-decreasing), 0 not; balanced.

    Unsorted examples are half random shuffles, half a sorted sequence with one neighbour pair swapped.
    """
    tokens = np.sort(rng.integers(0, VOCAB, size=(count, LENGTH)), axis=1)
    kind = rng.integers(0, 3, size=count)  # 0 sorted, 1 shuffled, 2 one swap
    for i in np.flatnonzero(kind == 1):
        rng.shuffle(tokens[i])
    for i in np.flatnonzero(kind == 2):
        candidates = np.flatnonzero(tokens[i, :-1] != tokens[i, 1:])
        if candidates.size:
            j = rng.choice(candidates)
            tokens[i, j], tokens[i, j + 1] = tokens[i, j + 1], tokens[i, j]
    labels = np.all(tokens[:, :-1] <= tokens[:, 1:], axis=1).astype(np.int64)
    return tokens.astype(np.int64), labels


def positional_encoding(length: int, width: int) -> np.ndarray:
    """The sinusoidal encoding of "Attention is all you need": (length, width) float32."""
    position = np.arange(length)[:, None]
    frequency = np.exp(-math.log(10000.0) * np.arange(0, width, 2) / width)
    table = np.zeros((length, width), dtype=np.float32)
    table[:, 0::2] = np.sin(position * frequency)
    table[:, 1::2] = np.cos(position * frequency)
    return table


class SortedClassifier(nn.Module):
    """tokens (N, LENGTH) int → logits (N, 2)."""

    def __init__(self, width: int = 32, heads: int = 4, layers: int = 2, backend: str = "numpy",
                 seed: int = 0) -> None:
        super().__init__()
        where = dict(backend=backend)
        self.embed = Embedding(VOCAB, width, **where) if Embedding is not None else nn.Linear(VOCAB, width, **where)
        layer = TransformerEncoderLayer(width, heads, dim_feedforward=2 * width, dropout=0.0, batch_first=True,
                                        norm_first=True, **where)
        self.encoder = TransformerEncoder(layer, layers)
        self.head = nn.Linear(width, 2, **where)
        self.reset_parameters(seed)
        self.positions = anynn.tensor(positional_encoding(LENGTH, width), backend=backend)
        self.backend_name = backend

    def forward(self, tokens: np.ndarray) -> anynn.Tensor:
        if Embedding is not None:
            x = self.embed(anynn.tensor(tokens, backend=self.backend_name))
        else:
            x = self.embed(anynn.tensor(np.eye(VOCAB, dtype=np.float32)[tokens], backend=self.backend_name))
        x = self.encoder(x + self.positions)
        return self.head(x.mean(axis=1))


def accuracy(model: SortedClassifier, tokens: np.ndarray, labels: np.ndarray) -> float:
    model.eval()
    with anynn.no_grad():
        predicted = model(tokens).argmax(axis=1).numpy()
    model.train()
    return float(np.mean(predicted == labels))


def main() -> None:
    parser = argparse.ArgumentParser(description="a tiny Transformer encoder: is the sequence sorted?")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    anynn.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    test_tokens, test_labels = make_sequences(2000, rng)
    model = SortedClassifier(backend=args.backend, seed=args.seed)
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    start = time.perf_counter()
    for step in range(1, args.steps + 1):
        tokens, labels = make_sequences(args.batch_size, rng)
        loss = cross_entropy(model(tokens), anynn.tensor(labels, backend=args.backend))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if step % 100 == 0:
            print(f"step {step:4d}  loss {loss.item():.4f}  "
                  f"test accuracy {accuracy(model, test_tokens, test_labels):.3f}")
    elapsed = time.perf_counter() - start
    print(f"backend {args.backend}: {args.steps} steps in {elapsed:.1f} s")
    print(f"test accuracy: {accuracy(model, test_tokens, test_labels):.3f}")


if __name__ == "__main__":
    main()
