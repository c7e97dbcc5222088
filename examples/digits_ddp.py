"""The digits MLP of ``digits.py``, data-parallel over MPI ranks.

    mpiexec -n 2 python examples/digits_ddp.py [--backend numpy|torch|cupy] [--epochs 40]
    python examples/digits_ddp.py            # one process works too

Every rank holds the whole model and trains on its own shard of each global batch of
``--batch-size`` samples; gradients are averaged over the ranks before each Adam step, so the run
takes the same steps as one process would. Only rank 0 shows progress and prints the results.
Needs the ``mpi`` extra (``pip install 'anynn[mpi]'``) for more than one rank.
"""

from __future__ import annotations

import argparse
import time

from digits import accuracy, load  # the same data and the same metric as the one-process example

import anynn.distributed as dist
from anynn import nn, optim
from anynn.data import TensorDataset

try:
    from tqdm.auto import tqdm
except ImportError:  # the progress bar is optional
    tqdm = None


def main() -> None:
    parser = argparse.ArgumentParser(description="MLP on the 8x8 digits, data-parallel over MPI ranks")
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=32, help="global batch, split over the ranks")
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    ctx = dist.init(backend=args.backend)  # rank, world size; on CuPy one GPU per rank
    if args.batch_size % ctx.world_size:
        parser.error(f"--batch-size {args.batch_size} does not split evenly over {ctx.world_size} ranks")
    X_train, X_test, y_train, y_test = load(args.seed)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10), backend=ctx.backend, seed=args.seed)
    dist.broadcast_parameters(model)  # the same start everywhere, whatever each rank drew
    optimizer = dist.DistributedOptimizer(optim.Adam(model.parameters(), lr=args.lr))
    batches = dist.DistributedBatches(TensorDataset(X_train, y_train), batch_size=args.batch_size // ctx.world_size,
                                      seed=args.seed, backend=ctx.backend)
    loss_fn = nn.CrossEntropyLoss()

    with dist.main_process_only():
        print(f"backend: {ctx.backend.key}; {ctx.world_size} rank(s) x {args.batch_size // ctx.world_size} samples "
              f"per step; {len(X_train)} training and {len(X_test)} test images")
    start = time.perf_counter()
    epochs = range(args.epochs)
    bar = tqdm(epochs, desc="training", unit="epoch") if tqdm is not None and ctx.is_main_process else epochs
    for _ in bar:
        total, seen = 0.0, 0
        for x, target in batches:
            loss = loss_fn(model(x), target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item() * x.shape[0]
            seen += x.shape[0]
        if bar is not epochs:
            bar.set_postfix(loss=f"{total / seen:.4f}")  # rank 0's shard: a cheap, local estimate
    elapsed = time.perf_counter() - start
    if ctx.is_main_process:  # the weights are identical on every rank: one evaluation is enough
        print(f"test accuracy: {accuracy(model, X_test, y_test, ctx.backend):.4f}")
        print(f"training time: {elapsed:.1f} s ({args.epochs} epochs, {ctx.world_size} rank(s))")


if __name__ == "__main__":
    main()
