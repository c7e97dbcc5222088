"""The main job: an MLP on scikit-learn's bundled 8x8 handwritten digits.

Trains with Adam and a progress bar, then prints the test accuracy and the time taken.

    python examples/digits.py [--backend numpy|torch|array_api_strict|cupy|auto] [--epochs 40]
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

try:  # the stratified train/test split is scikit-learn's (the examples extra)
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
except ImportError:
    sys.exit("examples/digits.py needs scikit-learn for its stratified split: pip install 'anynn[examples]' "
             "(or pip install scikit-learn)")

import anynn
from anynn import nn, optim
from anynn.train import History

try:
    from tqdm.auto import tqdm
except ImportError:  # the progress bar is optional
    tqdm = None


def load(seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Digits split 75/25 (stratified) and standardised with the training set's statistics.

    Returns X_train, X_test (n, 64) float32 and y_train, y_test (n,) int64.
    """
    digits = load_digits()
    X_train, X_test, y_train, y_test = train_test_split(
        digits.data, digits.target.astype(np.int64), test_size=0.25, stratify=digits.target, random_state=seed)
    mean = X_train.mean(axis=0)
    scale = X_train.std(axis=0) + 0.1  # + 0.1: some border pixels are always 0
    X_train = ((X_train - mean) / scale).astype(np.float32)
    X_test = ((X_test - mean) / scale).astype(np.float32)
    return X_train, X_test, y_train, y_test


def accuracy(model: nn.Module, X: np.ndarray, y: np.ndarray, backend: str) -> float:
    model.eval()
    with anynn.no_grad():
        predicted = model(anynn.tensor(X, backend=backend)).argmax(axis=1).numpy()
    model.train()
    return float(np.mean(predicted == y))


def main() -> None:
    parser = argparse.ArgumentParser(description="MLP on the 8x8 digits")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--plot", action="store_true", help="write the loss and accuracy curves to digits_history.png")
    args = parser.parse_args()

    X_train, X_test, y_train, y_test = load(args.seed)
    backend = anynn.get_backend(args.backend)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10), backend=backend, seed=args.seed)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    loss_fn = nn.CrossEntropyLoss()
    order_rng = np.random.default_rng(args.seed)
    x_all = anynn.tensor(X_train, backend=backend)
    y_all = anynn.tensor(y_train, backend=backend)

    history = History()  # per-epoch logs, as fit would keep them (for --plot)
    print(f"backend: {backend.key}; {len(X_train)} training and {len(X_test)} test images")
    start = time.perf_counter()
    epochs = range(args.epochs)
    bar = tqdm(epochs, desc="training", unit="epoch") if tqdm is not None else epochs
    for epoch in bar:
        order = order_rng.permutation(len(X_train))
        total = 0.0
        for first in range(0, len(order), args.batch_size):
            index = anynn.tensor(order[first:first + args.batch_size], backend=backend)
            loss = loss_fn(model(x_all[index]), y_all[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * index.shape[0]
        if tqdm is not None:
            bar.set_postfix(loss=f"{total / len(order):.4f}")
        if args.plot:
            history.append(epoch, {"loss": total / len(order), "accuracy": accuracy(model, X_train, y_train, backend),
                                   "val_accuracy": accuracy(model, X_test, y_test, backend)})
    elapsed = time.perf_counter() - start
    print(f"test accuracy: {accuracy(model, X_test, y_test, backend):.4f}")
    print(f"training time: {elapsed:.1f} s ({args.epochs} epochs)")
    if args.plot:
        history.plot("digits_history.png")
        print("wrote digits_history.png")


if __name__ == "__main__":
    main()
