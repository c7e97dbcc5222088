"""Data-parallel scaling: the MLP 784-512-256-10 Adam step on 1 and on 2 MPI ranks.

    python benchmarks/distributed.py [--ranks 1,2] [--batch 128] [--seconds 2] [--repeats 3] [--backend numpy]

Every rank runs with one thread (OMP/OpenBLAS/MKL_NUM_THREADS=1), so on a small machine the ranks
do not fight over cores. Two scalings are measured, each job in a fresh ``mpiexec``, alternating:

- weak: every rank keeps ``--batch`` samples per step (the global batch grows with the ranks);
- strong: the global batch stays ``--batch``, split over the ranks.

Efficiency is samples/s at R ranks divided by R times samples/s at one rank. The table shows the
median over repetitions and the min–max, so a noisy machine shows up as a wide range; it also
shows the time per step spent averaging gradients (allreduce plus host staging).
Needs the ``mpi`` extra (``pip install 'anynn[mpi]'``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def worker(batch: int, seconds: float, backend: str) -> None:
    """One rank of a timed job; rank 0 prints one JSON line."""
    import numpy as np

    import anynn
    import anynn.distributed as dist
    from anynn import nn, optim

    ctx = dist.init(backend=backend)
    rng = np.random.default_rng(ctx.rank)
    x = anynn.tensor(rng.standard_normal((batch, 784)).astype(np.float32), backend=ctx.backend)
    y = anynn.tensor(rng.integers(0, 10, batch), backend=ctx.backend)
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 10),
                          backend=ctx.backend, seed=0)
    dist.broadcast_parameters(model)
    optimizer = dist.DistributedOptimizer(optim.Adam(model.parameters(), lr=1e-3))
    loss_fn = nn.CrossEntropyLoss()
    reduce_time = [0.0]
    reduce = optimizer.reducer.reduce

    def timed_reduce() -> None:
        t0 = time.perf_counter()
        reduce()
        reduce_time[0] += time.perf_counter() - t0

    optimizer.reducer.reduce = timed_reduce

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    for _ in range(3):
        step()
    # every rank must run the same number of steps: rank 0 decides, the others follow
    go = np.ones(1, dtype=np.int64)
    steps, reduce_time[0] = 0, 0.0
    dist.barrier()
    start = time.perf_counter()
    while go[0]:
        for _ in range(5):
            step()
        steps += 5
        if ctx.rank == 0:
            go[0] = int(time.perf_counter() - start < seconds)
        if ctx.comm is not None:
            ctx.comm.Bcast(go, root=0)
    elapsed = time.perf_counter() - start
    if ctx.rank == 0:
        print(json.dumps({"ranks": ctx.world_size, "batch_per_rank": batch, "steps": steps,
                          "samples_per_s": ctx.world_size * batch * steps / elapsed,
                          "allreduce_ms_per_step": 1e3 * reduce_time[0] / steps}))


def run_job(ranks: int, batch: int, seconds: float, backend: str, mpiexec: str) -> dict:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    cmd = [mpiexec, "-n", str(ranks), sys.executable, str(Path(__file__).resolve()), "--worker", str(batch),
           str(seconds), backend]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120 + 10 * seconds, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def load_average() -> str:
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description="anynn data-parallel scaling on 1 and 2 MPI ranks")
    parser.add_argument("--ranks", default="1,2")
    parser.add_argument("--batch", type=int, default=128, help="per rank (weak) / global (strong) batch")
    parser.add_argument("--seconds", type=float, default=2.0, help="timed seconds per job")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        batch, seconds, backend = args.worker
        worker(int(batch), float(seconds), backend)
        return

    beside = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(beside) if beside.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("mpiexec not found: pip install 'anynn[mpi]'")
    ranks = [int(r) for r in args.ranks.split(",")]
    print(f"MLP 784-512-256-10, Adam, backend {args.backend}, 1 thread per rank; {os.cpu_count()} CPUs; "
          f"load average before: {load_average()}")
    results: dict[str, dict[int, list[dict]]] = {"weak": {r: [] for r in ranks}, "strong": {r: [] for r in ranks}}
    for rep in range(args.repeats):
        order = ranks if rep % 2 == 0 else ranks[::-1]
        for mode in results:
            for r in order:
                if mode == "strong" and args.batch % r:
                    continue
                batch = args.batch if mode == "weak" else args.batch // r
                results[mode][r].append(run_job(r, batch, args.seconds, args.backend, mpiexec))
    print(f"load average after: {load_average()}")
    print(f"{'scaling':8} {'ranks':>5} {'batch/rank':>10} {'samples/s (median, min-max)':>30} "
          f"{'efficiency':>10} {'allreduce ms/step':>18}")
    for mode, by_ranks in results.items():
        base = statistics.median(j["samples_per_s"] for j in by_ranks[ranks[0]]) if by_ranks[ranks[0]] else None
        for r, jobs in by_ranks.items():
            if not jobs:
                continue
            rates = [j["samples_per_s"] for j in jobs]
            median = statistics.median(rates)
            efficiency = median / (r / ranks[0] * base) if base else float("nan")
            comm = statistics.median(j["allreduce_ms_per_step"] for j in jobs)
            spread = f"{median:,.0f} ({min(rates):,.0f}-{max(rates):,.0f})"
            print(f"{mode:8} {r:>5} {jobs[0]['batch_per_rank']:>10} {spread:>30} {efficiency:>10.2f} {comm:>18.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
