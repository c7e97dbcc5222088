"""Benchmark harness: anynn vs PyTorch vs a hand-written loop, each in its own process, alternated.

    python benchmarks/run.py [--quick] [--backend numpy|cupy|torch] [--workloads mlp_b128,xor] [--json out.json]
                             [--implementations anynn,torch,handwritten,compiled,purejax]

For every workload and repetition, each implementation runs in a fresh process (PyTorch's OpenMP
threads and OpenBLAS's threads interfere inside one process), in alternating order. A process warms
up, then times batches of steps; the table shows the median samples/s with min–max over repetitions,
and the ratios anynn/PyTorch and anynn/hand-written measured in the same run.

Two more columns (``--implementations``): "anynn compiled (jax)" — the same anynn step through
`anynn.compile` (one XLA program on JAX's CPU backend; with ``--backend cupy`` a CUDA graph) — and "pure
JAX", a hand-written ``jax.jit`` step with manual SGD/Adam (benchmarks/pure_jax.py). For those two the
first call's time (trace + XLA compile, or warm-up + capture) is reported as ``first call s``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
IMPLEMENTATIONS = ("anynn", "torch", "handwritten", "compiled", "purejax")
COMPILED = ("compiled", "purejax")  # no inference variant: they run the training workloads only
NEEDS = {"torch": "torch", "compiled": "jax", "purejax": "jax"}  # the library a column needs besides anynn


def installed_implementations() -> tuple[str, ...]:
    """The columns whose library this Python has (the default: a machine without JAX measures the others and
    exits 0; a column asked for by name that fails makes the run exit 1)."""
    import importlib.util

    return tuple(i for i in IMPLEMENTATIONS if i not in NEEDS or importlib.util.find_spec(NEEDS[i]) is not None)


def worker(impl: str, workload_name: str, backend: str, seconds: float) -> dict:
    """Run inside a fresh process: build, warm up, time; print one JSON line."""
    sys.path.insert(0, str(HERE))
    start_import = time.perf_counter()
    if impl in ("anynn", "compiled"):
        import anynn  # noqa: F401
    elif impl == "purejax":
        import jax

        jax.config.update("jax_enable_x64", True)  # as anynn's jax backend runs
    elif impl == "torch":
        import torch  # noqa: F401
    else:
        import numpy  # noqa: F401
    import_s = time.perf_counter() - start_import
    from workloads import BUILDERS, WORKLOADS

    workload = WORKLOADS[workload_name]
    step = BUILDERS[impl](workload, backend)
    calls = []
    for _ in range(3):
        t0 = time.perf_counter()
        step()
        calls.append(time.perf_counter() - t0)
    # calibrate: how many steps take ~0.1 s
    n, elapsed = 1, 0.0
    while True:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        elapsed = time.perf_counter() - t0
        if elapsed > 0.1:
            break
        n *= 2
    rates = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline or len(rates) < 3:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        rates.append(n * workload.batch / (time.perf_counter() - t0))
    peak_mib = peak_memory_mib()
    return {"impl": impl, "workload": workload_name, "samples_per_s": statistics.median(rates),
            "peak_mib": peak_mib, "import_s": import_s, "first_calls_s": calls}


def peak_memory_mib() -> float:
    """This process's peak resident memory.

    /proc's VmHWM starts afresh at exec; ``ru_maxrss`` would carry over the parent's peak through
    fork (the harness imports torch, so every worker would seem to start at ~200 MiB).
    """
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def environment() -> dict:
    info = {"python": platform.python_version(), "machine": platform.machine(), "cpus": os.cpu_count()}
    try:
        import numpy

        info["numpy"] = numpy.__version__
    except ImportError:
        pass
    try:
        import torch

        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    except ImportError:
        pass
    try:
        from threadpoolctl import threadpool_info

        info["blas"] = [f"{p.get('internal_api')} {p.get('version')} ({p.get('num_threads')} threads, "
                        f"{p.get('architecture')})" for p in threadpool_info()]
    except ImportError:
        info["blas"] = "threadpoolctl not installed"
    return info


FAILED: list[str] = []  # workers that exited with an error: the run exits 1 after its table


def run_one(impl: str, workload: str, backend: str, seconds: float) -> dict | None:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", impl, workload, backend, str(seconds)]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    if result.returncode != 0:
        print(f"  {impl}/{workload} failed: {result.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        FAILED.append(f"{impl}/{workload}")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description="anynn benchmarks against PyTorch and hand-written loops")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and shorter timings")
    parser.add_argument("--backend", default="numpy", help="anynn backend: numpy, torch or cupy")
    parser.add_argument("--workloads", default="mlp_b128,mlp_b32,xor,cnn,lstm,mlp_infer")
    parser.add_argument("--repeats", type=int, default=None)
    parser.add_argument("--seconds", type=float, default=None, help="timing window per run (default 2, quick 0.5)")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--implementations", default=",".join(installed_implementations()),
                        help="which columns to measure (anynn, torch, handwritten, compiled, purejax)")
    parser.add_argument("--worker", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        impl, workload, backend, seconds = args.worker
        print(json.dumps(worker(impl, workload, backend, float(seconds))))
        return

    repeats = args.repeats or (2 if args.quick else 5)
    seconds = args.seconds if args.seconds is not None else (0.5 if args.quick else 2.0)
    env = environment()
    print("environment:", json.dumps(env))
    results: dict[str, dict[str, list[dict]]] = {}
    chosen = tuple(args.implementations.split(","))
    for workload in args.workloads.split(","):
        impls = tuple(i for i in chosen if not (workload == "mlp_infer" and i in COMPILED))
        results[workload] = {impl: [] for impl in impls}
        for rep in range(repeats):
            order = impls if rep % 2 == 0 else tuple(reversed(impls))
            for impl in order:
                r = run_one(impl, workload, args.backend, seconds)
                if r is not None:
                    results[workload][impl].append(r)
        print_table_row(workload, results[workload])
    if args.json:
        Path(args.json).write_text(json.dumps({"environment": env, "backend": args.backend, "results": results},
                                              indent=1))


def summarise(runs: list[dict]) -> tuple[float, float, float] | None:
    rates = [r["samples_per_s"] for r in runs]
    return (statistics.median(rates), min(rates), max(rates)) if rates else None


def print_table_row(workload: str, by_impl: dict[str, list[dict]]) -> None:
    from workloads import LABELS

    stats = {impl: summarise(runs) for impl, runs in by_impl.items()}
    cells = []
    for impl in by_impl:
        s = stats[impl]
        label = LABELS[impl]
        cells.append(f"{label} {s[0]:,.0f} ({s[1]:,.0f}-{s[2]:,.0f})" if s else f"{label} n/a")
    ratios = []
    for ours, other in (("anynn", "torch"), ("anynn", "handwritten"), ("compiled", "purejax"), ("compiled", "torch"),
                        ("purejax", "torch")):
        if stats.get(ours) and stats.get(other):
            ratios.append(f"{ours}/{other} {stats[ours][0] / stats[other][0]:.2f}x")
    firsts = {impl: min(r["first_calls_s"][0] for r in runs) for impl, runs in by_impl.items()
              if runs and impl in COMPILED}
    mem = {impl: max(r["peak_mib"] for r in runs) for impl, runs in by_impl.items() if runs}
    imports = {impl: min(r["import_s"] for r in runs) for impl, runs in by_impl.items() if runs}
    print(f"{workload:<10} samples/s: " + " | ".join(cells) + " || " + ", ".join(ratios))
    print(f"{'':<10} peak MiB: " + ", ".join(f"{k} {v:.0f}" for k, v in mem.items())
          + "; import s: " + ", ".join(f"{k} {v:.2f}" for k, v in imports.items()))
    if firsts:
        print(f"{'':<10} first call s (trace + compile): " + ", ".join(f"{k} {v:.2f}" for k, v in firsts.items()))


if __name__ == "__main__":
    main()
    if FAILED:
        sys.exit(f"{len(FAILED)} worker(s) failed: {', '.join(FAILED)}")
