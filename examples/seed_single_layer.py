"""The single-layer network of the first seed tutorial, built from anynn parts.

Three inputs, one sigmoid output, no bias. The seed updates its weights with
``weights += X.T @ ((y - out) * out * (1 - out))``: exactly one SGD step with learning rate 1 on half
the summed squared error, which is what this script does, on any backend.

    python examples/seed_single_layer.py [--backend numpy|torch|array_api_strict|cupy|auto]
"""

from __future__ import annotations

import argparse

import numpy as np

import anynn
from anynn import nn, optim


def build_model(backend: str) -> nn.Module:
    """Linear(3 → 1, no bias) + Sigmoid in float64, with the seed's starting weights."""
    model = nn.Sequential(nn.Linear(3, 1, bias=False), nn.Sigmoid(), backend=backend, dtype="float64")
    np.random.seed(42)  # the seed's own draw, reproduced bit for bit
    weights = 2 * np.random.random((3, 1)) - 1
    model.load_state_dict({"0.weight": weights.T})  # Linear stores (out, in): the transpose
    return model


def train(backend: str = "numpy", epochs: int = 10000, report_every: int = 1000) -> np.ndarray:
    """Train as the seed does, printing its lines; return the last forward pass's output (4, 1)."""
    inputs = anynn.tensor(np.array([[0, 0, 1], [0, 1, 1], [1, 0, 1], [1, 1, 1]]), backend=backend, dtype="float64")
    targets = anynn.tensor(np.array([[0], [0], [1], [1]]), backend=backend, dtype="float64")
    model = build_model(backend)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    squared_error = nn.MSELoss(reduction="sum")
    for epoch in range(epochs):
        output = model(inputs)
        if epoch % report_every == 0:
            error = np.mean(np.abs(targets.numpy() - output.numpy()))
            print(f"Error at iteration {epoch}: {error}")
        loss = 0.5 * squared_error(output, targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    final = output.numpy()
    print(f"Output after training: \n{final}")
    return final


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--epochs", type=int, default=10000)
    args = parser.parse_args()
    train(args.backend, args.epochs)


if __name__ == "__main__":
    main()
