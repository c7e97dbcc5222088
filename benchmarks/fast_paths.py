"""A/B of the backend fast paths: one workload, one process, fast paths on and off in alternating blocks.

    python benchmarks/fast_paths.py [--backend numpy|torch|cupy] [--workloads mlp_b128,lstm] [--rounds 5]

Prints the median samples/s of each mode and their ratio, to show what the library-specific paths
(fused CuPy kernels, ``sliding_window_view``, ``scatter_add``...) buy over the standard-only versions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def measure(workload_name: str, backend: str, rounds: int, seconds: float) -> dict[str, float]:
    from workloads import WORKLOADS, build_anynn

    from anynn.backend import use_fast_paths

    workload = WORKLOADS[workload_name]
    step = build_anynn(workload, backend)
    rates: dict[bool, list[float]] = {True: [], False: []}
    for fast in (True, False):  # warm up both modes (CuPy compiles kernels on first use)
        use_fast_paths(fast)
        for _ in range(3):
            step()
    for _ in range(rounds):
        for fast in (True, False):
            use_fast_paths(fast)
            steps, start = 0, time.perf_counter()
            while time.perf_counter() - start < seconds:
                step()
                steps += 1
            rates[fast].append(steps * workload.batch / (time.perf_counter() - start))
    use_fast_paths(True)
    return {"fast": statistics.median(rates[True]), "portable": statistics.median(rates[False])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="numpy")
    parser.add_argument("--workloads", default="mlp_b128,xor,cnn,lstm")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.5)
    args = parser.parse_args()
    for name in args.workloads.split(","):
        r = measure(name, args.backend, args.rounds, args.seconds)
        print(f"{name:<10} {args.backend}: fast paths {r['fast']:,.0f} samples/s | portable {r['portable']:,.0f} "
              f"| fast/portable {r['fast'] / r['portable']:.2f}x", flush=True)


if __name__ == "__main__":
    main()
