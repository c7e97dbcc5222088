"""Draw the documentation's figures into docs/img/ (matplotlib, headless).

    python docs/figures.py                            # sigmoid.png, loss_curves.png, xor_boundary.png
    python docs/figures.py --bench results.json       # also benchmark.png from `benchmarks/run.py --json`
    python docs/figures.py --out /tmp/img --quick     # fewer epochs (the test suite's smoke run)

Every figure comes from code in this file and anynn itself: nothing is drawn by hand.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import anynn  # noqa: E402
from anynn import nn, optim  # noqa: E402

HERE = Path(__file__).resolve().parent
STYLE = {"figure.dpi": 100, "savefig.dpi": 110, "axes.grid": True, "grid.alpha": 0.3, "font.size": 10}


def sigmoid_figure(out: Path) -> None:
    """The sigmoid and its derivative, side by side."""
    z = np.linspace(-10, 10, 401)
    s = 1.0 / (1.0 + np.exp(-z))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.2))
    left.plot(z, s, color="C0")
    left.set_title(r"$\sigma(z) = 1 / (1 + e^{-z})$")
    left.axhline(0.5, color="gray", lw=0.8, ls="--")
    right.plot(z, s * (1 - s), color="C1")
    right.set_title(r"$\sigma'(z) = \sigma(z)\,(1 - \sigma(z))$")
    for ax in (left, right):
        ax.set_xlabel("z")
    right.annotate("at most 0.25", xy=(0, 0.25), xytext=(3, 0.2), arrowprops={"arrowstyle": "->"})
    fig.tight_layout()
    fig.savefig(out / "sigmoid.png")
    plt.close(fig)


def digits_data(seed: int = 0) -> tuple[np.ndarray, ...]:
    """The 8x8 digits standardised, split 80/20: X_train, y_train, X_val, y_val."""
    from anynn.data import load_digits, standardize

    X, y = load_digits()
    order = np.random.default_rng(seed).permutation(len(X))
    cut = int(0.8 * len(X))
    X_train, X_val = standardize(X[order[:cut]], X[order[cut:]], eps=0.1)
    return X_train, y[order[:cut]], X_val, y[order[cut:]]


def loss_curves_figure(out: Path, epochs: int) -> None:
    """Training and validation loss of a 64-32-10 MLP on the digits with SGD at three learning rates."""
    X_train, y_train, X_val, y_val = digits_data()
    x_val, t_val = anynn.tensor(X_val), anynn.tensor(y_val)
    loss_fn = nn.CrossEntropyLoss()
    fig, ax = plt.subplots(figsize=(7, 4))
    for color, lr in zip(("C0", "C1", "C3"), (0.003, 0.1, 2.0)):
        model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10), backend="numpy", seed=0)
        optimizer = optim.SGD(model.parameters(), lr=lr)
        order_rng = np.random.default_rng(0)
        train_losses, val_losses = [], []
        for _ in range(epochs):
            order = order_rng.permutation(len(X_train))
            total = 0.0
            for first in range(0, len(order), 32):
                batch = order[first:first + 32]
                loss = loss_fn(model(anynn.tensor(X_train[batch])), anynn.tensor(y_train[batch]))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                total += loss.item() * len(batch)
            train_losses.append(total / len(order))
            with anynn.no_grad():
                val_losses.append(loss_fn(model(x_val), t_val).item())
        steps = np.arange(1, epochs + 1)
        ax.plot(steps, train_losses, color=color, marker=".", label=f"lr {lr}: training")
        ax.plot(steps, val_losses, color=color, ls="--", label=f"lr {lr}: validation")
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy (log scale)")
    ax.set_title("Digits MLP 64-32-10, SGD, batch 32: too small, good, too large")
    ax.legend(fontsize=8, loc="center right")
    fig.tight_layout()
    fig.savefig(out / "loss_curves.png")
    plt.close(fig)


def xor_figure(out: Path, steps: int) -> None:
    """Decision regions on XOR: a single layer (2-1) next to a hidden layer (2-8-1)."""
    X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    Y = np.array([[0], [1], [1], [0]], dtype=np.float32)
    x, y = anynn.tensor(X), anynn.tensor(Y)
    grid_1d = np.linspace(-0.5, 1.5, 201, dtype=np.float32)
    gx, gy = np.meshgrid(grid_1d, grid_1d)
    grid = anynn.tensor(np.stack([gx.ravel(), gy.ravel()], axis=1))
    models = {"single layer 2-1": nn.Sequential(nn.Linear(2, 1), seed=0),
              "hidden layer 2-8-1 (tanh)": nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1), seed=0)}
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.2), layout="constrained")
    for ax, (title, model) in zip(axes, models.items()):
        optimizer = optim.Adam(model.parameters(), lr=0.1)
        loss_fn = nn.BCEWithLogitsLoss()
        for _ in range(steps):
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        with anynn.no_grad():
            p = model(grid).sigmoid().numpy().reshape(gx.shape)
        filled = ax.contourf(gx, gy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", vmin=0, vmax=1)
        if p.min() < 0.5 < p.max():
            ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.5)
        ax.scatter(X[:, 0], X[:, 1], c=Y.ravel(), cmap="RdBu_r", vmin=0, vmax=1, edgecolors="k", s=120, zorder=3)
        ax.set_title(f"{title}: loss {loss.item():.3f}")
        ax.set_xlabel("$x_1$")
        ax.set_ylabel("$x_2$")
        ax.set_aspect("equal")
    fig.colorbar(filled, ax=list(axes), label="predicted probability of 1", shrink=0.8)
    fig.savefig(out / "xor_boundary.png")
    plt.close(fig)


def benchmark_figure(out: Path, results_json: Path) -> None:
    """Samples per second of anynn, PyTorch and the hand-written loop per workload (median, min-max bars)."""
    report = json.loads(results_json.read_text())
    workloads = list(report["results"])
    impls = ("anynn", "torch", "handwritten")
    fig, ax = plt.subplots(figsize=(8, 4))
    width = 0.26
    for k, impl in enumerate(impls):
        medians, lows, highs = [], [], []
        for w in workloads:
            rates = sorted(r["samples_per_s"] for r in report["results"][w].get(impl, []))
            m = float(np.median(rates)) if rates else 0.0
            medians.append(m)
            lows.append(m - (rates[0] if rates else 0.0))
            highs.append((rates[-1] if rates else 0.0) - m)
        ax.bar(np.arange(len(workloads)) + (k - 1) * width, medians, width, yerr=[lows, highs], capsize=3,
               label=impl)
    ax.set_xticks(np.arange(len(workloads)), workloads)
    ax.set_yscale("log")
    ax.set_ylabel("samples / s (log scale)")
    ax.set_title(f"backend {report.get('backend', '?')}: median of runs, bars min-max")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "benchmark.png")
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=HERE / "img", help="folder for the PNG files")
    parser.add_argument("--quick", action="store_true", help="fewer epochs and steps (smoke test)")
    parser.add_argument("--bench", type=Path, default=None, help="a benchmarks/run.py --json file to chart")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    anynn.set_default_backend("numpy")
    with plt.rc_context(STYLE):
        sigmoid_figure(args.out)
        loss_curves_figure(args.out, epochs=2 if args.quick else 20)
        xor_figure(args.out, steps=50 if args.quick else 1000)
        if args.bench is not None:
            benchmark_figure(args.out, args.bench)
    print(f"figures written to {args.out}")


if __name__ == "__main__":
    main()
