"""Double-backward cost: a gradient penalty's second backward against the first backward, anynn vs PyTorch.

    python benchmarks/double_backward.py [--quick] [--dtypes float32,float64] [--batches 128,1024]
                                         [--backend numpy|torch] [--repeats 5] [--seconds 2] [--threads N]
                                         [--json out.json]

Workload (issue 15's target "a double backward of an MLP costs at most 3x its first backward"): an MLP
64-256-256-10 with ReLU, cross-entropy on a batch of random inputs; each timed iteration runs

1. ``loss.backward()`` — the first backward (create_graph off, the training hot path);
2. ``g = grad(loss, params, create_graph=True)`` — the recorded first backward;
3. ``(sum of g_i ** 2).backward()`` — the second backward (a gradient penalty on every parameter).

Both timed backwards start from empty ``.grad`` (set to None outside the timers), so neither pays for adding
into gradients a previous phase left.

Each phase is timed alone (forward passes are outside the timers). As in benchmarks/run.py every
implementation runs in a fresh process, in alternating order over the repetitions; the table shows each
phase's time (median over a process's iterations, then median over processes, min-max in brackets) and
the ratios second/first and create_graph/first per implementation, and anynn/PyTorch of the second
backward, all measured in the same run. ``--stat p10`` uses each process's 10th percentile instead of the
median (steadier on a loaded machine: other processes only ever add time).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PHASES = ("first", "create_graph", "second")
SIZES = (64, 256, 256, 10)


def _statistic(times: list[float], stat: str) -> float:
    times = sorted(times)
    return times[len(times) // 10] if stat == "p10" else statistics.median(times)


def _build_anynn(dtype: str, batch: int, backend: str):  # -> (zero_grads, forward_loss, grad, params)
    import numpy as np

    import anynn
    from anynn import nn

    rng = np.random.default_rng(0)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers, backend=backend, seed=0).to(dtype=dtype)
    x = anynn.tensor(rng.standard_normal((batch, SIZES[0])).astype(dtype), dtype=dtype, backend=backend)
    y = anynn.tensor(rng.integers(0, SIZES[-1], batch), backend=backend)
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())
    sync = anynn.get_backend(backend).synchronize
    return params, (lambda: loss_fn(model(x), y)), anynn.autograd.grad, sync


def _build_torch(dtype: str, batch: int, backend: str):
    import numpy as np
    import torch
    from torch import nn

    rng = np.random.default_rng(0)
    device = "cuda" if backend == "cupy" else "cpu"
    layers: list = []
    for i, (n_in, n_out) in enumerate(zip(SIZES[:-1], SIZES[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(SIZES) - 2:
            layers.append(nn.ReLU())
    model = nn.Sequential(*layers).to(device=device, dtype=getattr(torch, dtype))
    x = torch.tensor(rng.standard_normal((batch, SIZES[0])).astype(dtype), device=device)
    y = torch.tensor(rng.integers(0, SIZES[-1], batch), device=device)
    loss_fn = nn.CrossEntropyLoss()
    params = list(model.parameters())
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    return params, (lambda: loss_fn(model(x), y)), torch.autograd.grad, sync


def worker(impl: str, dtype: str, batch: int, backend: str, seconds: float, threads: int) -> dict:
    """Inside a fresh process: build, warm up, time the three phases of each iteration; one JSON line."""
    params, forward, grad, sync = (_build_anynn if impl == "anynn" else _build_torch)(dtype, batch, backend)
    if threads:  # after the build: threadpoolctl limits only the libraries already loaded
        if impl == "torch":
            import torch

            torch.set_num_threads(threads)
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(threads)
        except ImportError:
            pass
    clock = time.perf_counter
    times: dict[str, list[float]] = {phase: [] for phase in PHASES}

    def iteration(record: bool) -> None:
        for p in params:
            p.grad = None
        loss = forward()
        t0 = clock()
        loss.backward()
        sync()
        t1 = clock()
        loss = forward()
        t2 = clock()
        grads = grad(loss, params, create_graph=True)
        sync()
        t3 = clock()
        penalty = sum((g ** 2).sum() for g in grads)
        for p in params:  # like for like: the first backward also starts from empty .grad (no sums into them)
            p.grad = None
        t4 = clock()
        penalty.backward()
        sync()
        t5 = clock()
        if record:
            times["first"].append(t1 - t0)
            times["create_graph"].append(t3 - t2)
            times["second"].append(t5 - t4)

    for _ in range(10):
        iteration(False)
    deadline = clock() + seconds
    while clock() < deadline or len(times["first"]) < 20:
        iteration(True)
    return {"impl": impl, "dtype": dtype, "batch": batch, "iterations": len(times["first"]), "times": times}


FAILED: list[str] = []  # workers that exited with an error: the run exits 1 after its table


def run_one(impl: str, dtype: str, batch: int, backend: str, seconds: float, threads: int) -> dict | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", impl, dtype, str(batch), backend, str(seconds),
           str(threads)]
    env = dict(os.environ)
    if threads:
        env.update({name: str(threads) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")})
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600, env=env)
    if result.returncode != 0:
        print(f"  {impl}/{dtype}/b{batch} failed: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        FAILED.append(f"{impl}/{dtype}/b{batch}")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def summarise(runs: list[dict], stat: str) -> dict[str, tuple[float, float, float]]:
    """Per phase: (median, min, max) over processes of each process's statistic, in seconds."""
    out = {}
    for phase in PHASES:
        values = [_statistic(r["times"][phase], stat) for r in runs]
        out[phase] = (statistics.median(values), min(values), max(values))
    ratios = [_statistic(r["times"]["second"], stat) / _statistic(r["times"]["first"], stat) for r in runs]
    out["second/first"] = (statistics.median(ratios), min(ratios), max(ratios))
    return out


def print_row(label: str, by_impl: dict[str, list[dict]], stat: str) -> None:
    stats = {impl: summarise(runs, stat) for impl, runs in by_impl.items() if runs}
    for impl, s in stats.items():
        first, cg, second = s["first"][0], s["create_graph"][0], s["second"][0]
        lo, hi = s["second/first"][1], s["second/first"][2]
        print(f"{label:<14} {impl:<6} first {first * 1e3:7.3f} ms | create_graph {cg * 1e3:7.3f} ms "
              f"({cg / first:.2f}x) | second {second * 1e3:7.3f} ms ({second / first:.2f}x of first; per process "
              f"{lo:.2f}-{hi:.2f}x)")
    if "anynn" in stats and "torch" in stats:
        a, t = stats["anynn"], stats["torch"]
        print(f"{'':<14} anynn/torch: first {a['first'][0] / t['first'][0]:.2f}x, create_graph "
              f"{a['create_graph'][0] / t['create_graph'][0]:.2f}x, second {a['second'][0] / t['second'][0]:.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="double-backward cost of an MLP: anynn vs PyTorch")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and shorter timings")
    parser.add_argument("--backend", default="numpy", help="anynn backend: numpy, torch or cupy")
    parser.add_argument("--dtypes", default="float32,float64")
    parser.add_argument("--batches", default="128")
    parser.add_argument("--implementations", default="anynn,torch")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="timing window per process (default 2, quick 0.5)")
    parser.add_argument("--threads", type=int, default=0, help="BLAS/PyTorch threads per process (0: library default)")
    parser.add_argument("--stat", choices=("median", "p10"), default="median")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--worker", nargs=6, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        impl, dtype, batch, backend, seconds, threads = args.worker
        print(json.dumps(worker(impl, dtype, int(batch), backend, float(seconds), int(threads))))
        return
    sys.path.insert(0, str(HERE))
    from run import environment

    repeats = args.repeats or (2 if args.quick else 5)
    seconds = args.seconds if args.seconds is not None else (0.5 if args.quick else 2.0)
    env = environment()
    print("environment:", json.dumps(env))
    print(f"MLP {'-'.join(map(str, SIZES))} relu, cross-entropy, penalty sum(g**2) over all parameters; backend "
          f"{args.backend}; statistic {args.stat}; {repeats} processes per implementation")
    impls = tuple(args.implementations.split(","))
    results: dict[str, dict[str, list[dict]]] = {}
    for dtype in args.dtypes.split(","):
        for batch in (int(b) for b in args.batches.split(",")):
            label = f"{dtype} b{batch}"
            results[label] = {impl: [] for impl in impls}
            for rep in range(repeats):
                for impl in (impls if rep % 2 == 0 else tuple(reversed(impls))):
                    r = run_one(impl, dtype, batch, args.backend, seconds, args.threads)
                    if r is not None:
                        results[label][impl].append(r)
            print_row(label, results[label], args.stat)
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": env, "backend": args.backend, "stat": args.stat,
                                               "results": results}, indent=1))


if __name__ == "__main__":
    main()
    if FAILED:
        sys.exit(f"{len(FAILED)} worker(s) failed: {', '.join(FAILED)}")
