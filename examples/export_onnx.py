"""Train the digits MLP, export it to ONNX, and run the file with onnxruntime: the same test accuracy.

    pip install 'anynn[onnx,examples]'      # ndonnx, onnx and onnxruntime; scikit-learn for the digits split
    python examples/export_onnx.py [--epochs 20] [--out digits.onnx]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the digits example's data loading

import anynn  # noqa: E402
import anynn.onnx  # noqa: E402
from anynn import nn, optim  # noqa: E402
from digits import load  # noqa: E402


def train(X: np.ndarray, y: np.ndarray, epochs: int, seed: int) -> nn.Module:
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 10), seed=seed)
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    order_rng = np.random.default_rng(seed)
    x_all, y_all = anynn.tensor(X), anynn.tensor(y)
    for _ in range(epochs):
        order = order_rng.permutation(len(X))
        for first in range(0, len(order), 32):
            index = anynn.tensor(order[first:first + 32])
            loss = loss_fn(model(x_all[index]), y_all[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description="Export the digits MLP to ONNX and run it with onnxruntime")
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="digits.onnx")
    args = parser.parse_args()

    X_train, X_test, y_train, y_test = load(args.seed)
    model = train(X_train, y_train, args.epochs, args.seed)
    model.eval()
    with anynn.no_grad():
        ours = model(anynn.tensor(X_test)).numpy()
    print(f"anynn test accuracy: {np.mean(ours.argmax(axis=1) == y_test):.4f}")

    proto = anynn.onnx.export(model, X_test[:1], args.out, input_names=["pixels"], output_names=["logits"],
                              dynamic_axes={"pixels": {0: "batch"}, "logits": {0: "batch"}})
    print(f"wrote {args.out}: {', '.join(node.op_type for node in proto.graph.node)}")

    import onnxruntime

    session = onnxruntime.InferenceSession(args.out, providers=["CPUExecutionProvider"])
    start = time.perf_counter()
    (logits,) = session.run(None, {"pixels": X_test})
    elapsed = time.perf_counter() - start
    print(f"onnxruntime test accuracy: {np.mean(logits.argmax(axis=1) == y_test):.4f} "
          f"({len(X_test)} images in {elapsed * 1e3:.2f} ms)")
    print(f"largest difference from anynn: {np.abs(logits - ours).max():.2e}")


if __name__ == "__main__":
    main()
