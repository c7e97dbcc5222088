"""XOR: a single layer cannot learn it, one hidden layer can.

    python examples/xor.py [--backend numpy|torch|array_api_strict|cupy|auto]
"""

from __future__ import annotations

import argparse

import numpy as np

import anynn
from anynn import nn, optim

INPUTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
LABELS = np.array([[0], [1], [1], [0]], dtype=np.float32)


def fit(model: nn.Module, backend: str, steps: int = 2000, lr: float = 0.1) -> tuple[float, np.ndarray]:
    """Full-batch Adam on the four XOR points; returns (accuracy, predicted probabilities (4, 1))."""
    x = anynn.tensor(INPUTS, backend=backend)
    y = anynn.tensor(LABELS, backend=backend)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.BCEWithLogitsLoss()
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    with anynn.no_grad():
        probabilities = model(x).sigmoid().numpy()
    accuracy = float(np.mean((probabilities > 0.5) == (LABELS > 0.5)))
    return accuracy, probabilities


def main() -> None:
    parser = argparse.ArgumentParser(description="XOR with and without a hidden layer")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    single = nn.Sequential(nn.Linear(2, 1), backend=args.backend, seed=args.seed)
    accuracy, probabilities = fit(single, args.backend)
    print(f"single layer (2 -> 1): accuracy {accuracy:.2f}, outputs {np.round(probabilities.ravel(), 3)}")

    hidden = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), backend=args.backend, seed=args.seed)
    accuracy, probabilities = fit(hidden, args.backend)
    print(f"hidden layer (2 -> 8 -> 1): accuracy {accuracy:.2f}, outputs {np.round(probabilities.ravel(), 3)}")


if __name__ == "__main__":
    main()
