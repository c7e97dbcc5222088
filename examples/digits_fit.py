"""The digits MLP (64-64-10) trained with `fit`: DataLoaders, early stopping, progress bars, curves.

Prints the test accuracy, macro F1 and the training speed; ``--plot`` writes digits_history.png
(loss and accuracy curves, train and validation).

    python examples/digits_fit.py [--backend numpy|torch|array_api_strict|cupy|auto] [--epochs 30] [--plot]
"""

from __future__ import annotations

import argparse
import time

import numpy as np

import anynn
from anynn import metrics, nn, optim
from anynn.data import DataLoader, TensorDataset, load_digits, standardize
from anynn.train import EarlyStopping, evaluate, fit, predict


def split(seed: int) -> tuple[np.ndarray, ...]:
    """Digits shuffled and split 65/10/25 into train/validation/test, standardised with the training
    statistics. Returns X_train, y_train, X_val, y_val, X_test, y_test."""
    X, y = load_digits()
    order = np.random.default_rng(seed).permutation(len(X))
    n_test, n_val = len(X) // 4, len(X) // 10
    test, val, train = order[:n_test], order[n_test:n_test + n_val], order[n_test + n_val:]
    X_train, X_val, X_test = standardize(X[train], X[val], X[test], eps=0.1)  # eps: border pixels are always 0
    return X_train, y[train], X_val, y[val], X_test, y[test]


def main() -> None:
    parser = argparse.ArgumentParser(description="digits MLP trained with anynn.train.fit")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--patience", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))
    parser.add_argument("--plot", action="store_true", help="write digits_history.png")
    args = parser.parse_args()

    X_train, y_train, X_val, y_val, X_test, y_test = split(args.seed)
    backend = anynn.get_backend(args.backend)
    train = DataLoader(TensorDataset(X_train, y_train), batch_size=args.batch_size, shuffle=True, seed=args.seed,
                       backend=backend)
    val = DataLoader(TensorDataset(X_val, y_val), batch_size=256, backend=backend)
    test = DataLoader(TensorDataset(X_test, y_test), batch_size=256, backend=backend)

    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10), backend=backend, seed=args.seed)
    loss = nn.CrossEntropyLoss()
    stop = EarlyStopping(monitor="val_loss", patience=args.patience, restore_best_weights=True)
    print(f"backend: {backend.key}; {len(X_train)} training, {len(X_val)} validation, {len(X_test)} test images")
    start = time.perf_counter()
    history = fit(model, loss, optim.Adam(model.parameters(), lr=args.lr), train, val_data=val,
                  epochs=args.epochs, callbacks=[stop], verbose=args.verbose)
    elapsed = time.perf_counter() - start

    scores = evaluate(model, loss, test, metrics=["accuracy", "f1"])
    predicted = predict(model, test)
    cm = metrics.confusion_matrix(anynn.tensor(y_test, backend=backend), predicted)
    print(f"epochs run: {len(history)} (best val_loss {stop.best:.4f} at epoch {stop.best_epoch + 1})")
    print(f"test accuracy: {scores['accuracy']:.4f}")
    print(f"test macro F1: {scores['f1']:.4f}")
    print(f"training: {elapsed:.2f} s, {len(history) * len(X_train) / elapsed:.0f} samples/s (with validation)")
    print("confusion matrix (rows: true digit, columns: predicted):")
    print(backend.to_host(cm))
    if args.plot:
        history.plot("digits_history.png")
        print("wrote digits_history.png")


if __name__ == "__main__":
    main()
